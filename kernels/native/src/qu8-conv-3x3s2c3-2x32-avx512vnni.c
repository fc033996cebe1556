/*
 * The first layer of a MobileNet, 3x3 stride 2 over 3 channels, as a direct convolution
 * for AVX-512 VNNI: two output pixels x 32 output channels per step, no im2col. A pixel's
 * window in input row ky is the 9 bytes at 6 * p of the padded row (conv-hwc.c); each
 * 4-byte group of it, broadcast, feeds one VPDPBUSD per 16 channels against the packed
 * int8 weights (3 groups per row, the bytes past the window meeting zero weights), and
 * channels whose w - zw do not fit int8 add their correction the same way.
 */
#include <immintrin.h>
#include <string.h>

#include "kernel-table.h"
#include "requantize.h"

static inline __m512i broadcast4(const uint8_t *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

/* Adds pixel p's window to acc[0..1] (channels 0-15, 16-31). */
static inline __attribute__((always_inline)) void window(const bool CORRECTED, __m512i acc[2],
                                                         const uint8_t *const *rows, size_t p, const uint8_t *wk,
                                                         const uint8_t *kz) {
#pragma GCC unroll 3
  for (size_t ky = 0; ky < 3; ky++) {
#pragma GCC unroll 3
    for (size_t g = 0; g < 3; g++) {
      const __m512i x = broadcast4(rows[ky] + 6 * p + 4 * g);
      acc[0] = _mm512_dpbusd_epi32(acc[0], x, _mm512_loadu_si512(wk + 384 * ky + 128 * g));
      acc[1] = _mm512_dpbusd_epi32(acc[1], x, _mm512_loadu_si512(wk + 384 * ky + 128 * g + 64));
      if (CORRECTED) {
        acc[0] = _mm512_dpbusd_epi32(acc[0], x, _mm512_loadu_si512(kz + 128 * g));
        acc[1] = _mm512_dpbusd_epi32(acc[1], x, _mm512_loadu_si512(kz + 128 * g + 64));
      }
    }
  }
}

static inline __attribute__((always_inline)) void block(const bool CLAMP, const bool CORRECTED, size_t width,
                                                        const uint8_t *const *rows, const uint8_t *blk,
                                                        size_t channels, uint8_t *output, __mmask32 store,
                                                        const struct edge_output_params *o) {
  const int32_t *bias = (const int32_t *)blk;
  const float *scale = (const float *)(bias + 32);
  const uint8_t *wk = blk + EDGE_CONV3X3S2C3_HEAD_BYTES;
  const uint8_t *kz = wk + 3 * 384;
  const __m512i b0 = _mm512_loadu_si512(bias), b1 = _mm512_loadu_si512(bias + 16);
  const __m512i zo = _mm512_set1_epi16((int16_t)o->zero_point);
  const __m512i vmin = _mm512_set1_epi8((char)o->min), vmax = _mm512_set1_epi8((char)o->max);
  const __m512 hi = _mm512_set1_ps(o->max_less_zero_point);
  for (size_t p = 0; p < width; p += 2) {
    /* An odd last pixel is computed twice and stored once. */
    const size_t q = p + 1 < width ? p + 1 : p;
    __m512i a[2] = {b0, b1}, b[2] = {b0, b1};
    window(CORRECTED, a, rows, p, wk, kz);
    window(CORRECTED, b, rows, q, wk, kz);
    const __m512i out = edge_output4_avx512(
        edge_fp32_avx512(CLAMP, a[0], scale, hi), edge_fp32_avx512(CLAMP, a[1], scale + 16, hi),
        edge_fp32_avx512(CLAMP, b[0], scale, hi), edge_fp32_avx512(CLAMP, b[1], scale + 16, hi), zo, vmin, vmax);
    _mm256_mask_storeu_epi8(output + q * channels, store, _mm512_extracti64x4_epi64(out, 1));
    _mm256_mask_storeu_epi8(output + p * channels, store, _mm512_castsi512_si256(out));
  }
}

void qu8_conv_3x3s2c3_2x32__avx512vnni(size_t width, const uint8_t *const *rows, const void *w, size_t channels,
                                       uint8_t *output, const struct edge_output_params *o) {
  const uint8_t *blk = w;
  for (size_t c0 = 0; c0 < channels; c0 += 32, blk += EDGE_CONV3X3S2C3_BLOCK_BYTES) {
    const size_t nc = EDGE_MIN(32, channels - c0);
    const __mmask32 store = nc >= 32 ? ~(__mmask32)0 : (((__mmask32)1 << nc) - 1);
    const bool corrected = ((const int32_t *)blk)[64] != 0;
    uint8_t *out = output + c0;
    if (o->clamp_in_float && corrected) block(true, true, width, rows, blk, channels, out, store, o);
    else if (o->clamp_in_float) block(true, false, width, rows, blk, channels, out, store, o);
    else if (corrected) block(false, true, width, rows, blk, channels, out, store, o);
    else block(false, false, width, rows, blk, channels, out, store, o);
  }
}
