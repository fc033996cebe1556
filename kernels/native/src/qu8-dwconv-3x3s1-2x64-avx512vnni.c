/*
 * 3x3 stride-1 depthwise for AVX-512 VNNI: two output rows x 64 bytes of a row per step.
 * With stride 1 an output row is a 1-D convolution of its flattened input rows: byte j
 * takes taps at j + kx * C of rows oy..oy+2, whatever C is, so the kernel walks rows 64
 * bytes at a time. The four input rows of a row pair are transposed so that one int32
 * lane holds a channel's bytes from all four rows; VPDPBUSD then does a whole column of
 * the 3x3 window per instruction for both output rows: weights (w0, w1, w2, 0) for the
 * upper row and (0, w0, w1, w2) for the lower one. That is 24 VPDPBUSD and 24 byte
 * shuffles per 128 outputs, against 18 zero-extensions and 18 VPDPWSSD per 32.
 *
 * The transpose (unpack bytes of row pairs, then words) leaves byte b + 16 L + 4 i + j
 * of a 64-byte group in lane 4 L + j of vector i; packs then unpack it back in order,
 * so the packed weights, biases and scales follow that lane order (dwconv.c).
 */
#include <immintrin.h>

#include "kernel-table.h"
#include "requantize.h"

static inline __attribute__((always_inline)) void transpose4(const uint8_t *const *rows, size_t b, __m512i u[4]) {
  const __m512i r0 = _mm512_loadu_si512(rows[0] + b), r1 = _mm512_loadu_si512(rows[1] + b);
  const __m512i r2 = _mm512_loadu_si512(rows[2] + b), r3 = _mm512_loadu_si512(rows[3] + b);
  const __m512i t0 = _mm512_unpacklo_epi8(r0, r1), t1 = _mm512_unpackhi_epi8(r0, r1);
  const __m512i t2 = _mm512_unpacklo_epi8(r2, r3), t3 = _mm512_unpackhi_epi8(r2, r3);
  u[0] = _mm512_unpacklo_epi16(t0, t2);
  u[1] = _mm512_unpackhi_epi16(t0, t2);
  u[2] = _mm512_unpacklo_epi16(t1, t3);
  u[3] = _mm512_unpackhi_epi16(t1, t3);
}

/* 4 x 16 int32 in transposed lane order to 64 bytes in memory order. */
static inline __m512i pack_transposed(const __m512i y[4], __m512i zo, __m512i vmin, __m512i vmax) {
  const __m512i lo = _mm512_adds_epi16(_mm512_packs_epi32(y[0], y[1]), zo);
  const __m512i hi = _mm512_adds_epi16(_mm512_packs_epi32(y[2], y[3]), zo);
  return _mm512_min_epu8(_mm512_max_epu8(_mm512_packus_epi16(lo, hi), vmin), vmax);
}

static inline __attribute__((always_inline)) void store(uint8_t *out, const __m512i acc[4],
                                                        const struct edge_dw3x3s1_pattern *w, __mmask64 mask,
                                                        __m512 hi, __m512i zo, __m512i vmin, __m512i vmax) {
  __m512i y[4];
#pragma GCC unroll 4
  for (size_t i = 0; i < 4; i++) y[i] = edge_fp32_avx512(acc[i], w->scale[i], hi);
  _mm512_mask_storeu_epi8(out, mask, pack_transposed(y, zo, vmin, vmax));
}

/* One 64-byte group of both output rows; CORRECTED adds the o - zw products. */
static inline __attribute__((always_inline)) void group(const bool CORRECTED, size_t j, size_t channels,
                                                        const uint8_t *const *rows,
                                                        const struct edge_dw3x3s1_pattern *pw, __m512i up[4],
                                                        __m512i down[4]) {
#pragma GCC unroll 4
  for (size_t i = 0; i < 4; i++) up[i] = down[i] = _mm512_load_si512(pw->bias[i]);
#pragma GCC unroll 3
  for (size_t kx = 0; kx < 3; kx++) {
    __m512i u[4];
    transpose4(rows, j + kx * channels, u);
#pragma GCC unroll 4
    for (size_t i = 0; i < 4; i++) {
      up[i] = _mm512_dpbusd_epi32(up[i], u[i], _mm512_load_si512(pw->up[kx][i]));
      down[i] = _mm512_dpbusd_epi32(down[i], u[i], _mm512_load_si512(pw->down[kx][i]));
      if (CORRECTED) {
        up[i] = _mm512_dpbusd_epi32(up[i], u[i], _mm512_load_si512(pw->kz_up[i]));
        down[i] = _mm512_dpbusd_epi32(down[i], u[i], _mm512_load_si512(pw->kz_down[i]));
      }
    }
  }
}

void qu8_dwconv_3x3s1_2x64__avx512vnni(size_t bytes, size_t channels, const uint8_t *const *rows, const void *w,
                                       size_t patterns, uint8_t *top, uint8_t *bottom,
                                       const struct edge_output_params *o) {
  const __m512i zo = _mm512_set1_epi16((int16_t)o->zero_point);
  const __m512i vmin = _mm512_set1_epi8((char)o->min), vmax = _mm512_set1_epi8((char)o->max);
  const __m512 hi = _mm512_set1_ps(o->max_less_zero_point);
  const struct edge_dw3x3s1_pattern *pattern = w;
  size_t p = 0;
  for (size_t j = 0; j < bytes; j += 64) {
    const struct edge_dw3x3s1_pattern *pw = pattern + p;
    p = p + 1 == patterns ? 0 : p + 1;
    __m512i up[4], down[4];
    /* Only a vector holding a channel whose w - zw does not fit int8 pays for the correction. */
    if (pw->corrected != 0) group(true, j, channels, rows, pw, up, down);
    else group(false, j, channels, rows, pw, up, down);
    const __mmask64 mask = bytes - j >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (bytes - j)) - 1);
    store(top + j, up, pw, mask, hi, zo, vmin, vmax);
    if (bottom != NULL) store(bottom + j, down, pw, mask, hi, zo, vmin, vmax);
  }
}
