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
 * Weights, biases and scales follow the transpose's lane order (qu8-dwconv-3x3-avx512vnni.h).
 */
#include "qu8-dwconv-3x3-avx512vnni.h"

static inline __attribute__((always_inline)) void store(const bool CLAMP, uint8_t *out, const __m512i acc[4],
                                                        const struct edge_dw3x3_pattern *w, __mmask64 mask,
                                                        __m512 hi, __m512i zo, __m512i vmin, __m512i vmax) {
  __m512i y[4];
#pragma GCC unroll 4
  for (size_t i = 0; i < 4; i++) y[i] = edge_fp32_avx512(CLAMP, acc[i], w->scale[i], hi);
  _mm512_mask_storeu_epi8(out, mask, edge_output_transposed_avx512(y, zo, vmin, vmax));
}

/* One 64-byte group of both output rows; CORRECTED adds the o - zw products. */
static inline __attribute__((always_inline)) void group(const bool CORRECTED, size_t j, size_t channels,
                                                        const uint8_t *const *rows,
                                                        const struct edge_dw3x3_pattern *pw, __m512i up[4],
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

static inline __attribute__((always_inline)) void rows_3x3s1(const bool CLAMP, size_t bytes, size_t channels,
                                                             const uint8_t *const *rows, const void *w,
                                                             size_t patterns, uint8_t *top, uint8_t *bottom,
                                                             const struct edge_output_params *o) {
  const __m512i zo = _mm512_set1_epi16((int16_t)o->zero_point);
  const __m512i vmin = _mm512_set1_epi8((char)o->min), vmax = _mm512_set1_epi8((char)o->max);
  const __m512 hi = _mm512_set1_ps(o->max_less_zero_point);
  const struct edge_dw3x3_pattern *pattern = w;
  size_t p = 0;
  for (size_t j = 0; j < bytes; j += 64) {
    const struct edge_dw3x3_pattern *pw = pattern + p;
    p = p + 1 == patterns ? 0 : p + 1;
    __m512i up[4], down[4];
    /* Only a vector holding a channel whose w - zw does not fit int8 pays for the correction. */
    if (pw->corrected != 0) group(true, j, channels, rows, pw, up, down);
    else group(false, j, channels, rows, pw, up, down);
    const __mmask64 mask = bytes - j >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (bytes - j)) - 1);
    store(CLAMP, top + j, up, pw, mask, hi, zo, vmin, vmax);
    if (bottom != NULL) store(CLAMP, bottom + j, down, pw, mask, hi, zo, vmin, vmax);
  }
}

void qu8_dwconv_3x3s1_2x64__avx512vnni(size_t bytes, size_t channels, const uint8_t *const *rows, const void *w,
                                       size_t patterns, uint8_t *top, uint8_t *bottom,
                                       const struct edge_output_params *o) {
  if (o->clamp_in_float) rows_3x3s1(true, bytes, channels, rows, w, patterns, top, bottom, o);
  else rows_3x3s1(false, bytes, channels, rows, w, patterns, top, bottom, o);
}
