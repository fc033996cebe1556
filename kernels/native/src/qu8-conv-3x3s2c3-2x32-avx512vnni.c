/*
 * The first layer of a MobileNet, 3x3 stride 2 over 3 channels, as a direct convolution
 * for AVX-512 VNNI: two output pixels x 32 output channels per step (four x 16 for the
 * small MobileNets), no im2col. A pixel's
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

/*
 * The windows of NP pixels against NH halves of 16 channels, one accumulator per kernel
 * row (three short chains of VPDPBUSD instead of one of nine, whose latency bound the
 * loop); each weight vector loaded serves every pixel, each broadcast every half.
 */
static inline __attribute__((always_inline)) void windows(const bool CORRECTED, const size_t NP, const size_t NH,
                                                          const __m512i bias[2], const uint8_t *const *rows,
                                                          const size_t *pixels, const uint8_t *wk, const uint8_t *kz,
                                                          __m512i out[4][2]) {
  __m512i acc[4][2][3];
#pragma GCC unroll 4
  for (size_t i = 0; i < NP; i++) {
#pragma GCC unroll 2
    for (size_t h = 0; h < NH; h++) acc[i][h][0] = bias[h], acc[i][h][1] = acc[i][h][2] = _mm512_setzero_si512();
  }
#pragma GCC unroll 3
  for (size_t g = 0; g < 3; g++) {
#pragma GCC unroll 3
    for (size_t ky = 0; ky < 3; ky++) {
      __m512i x[4];
#pragma GCC unroll 4
      for (size_t i = 0; i < NP; i++) x[i] = broadcast4(rows[ky] + 6 * pixels[i] + 4 * g);
#pragma GCC unroll 2
      for (size_t h = 0; h < NH; h++) {
        const __m512i wv = _mm512_loadu_si512(wk + 384 * ky + 128 * g + 64 * h);
#pragma GCC unroll 4
        for (size_t i = 0; i < NP; i++) acc[i][h][ky] = _mm512_dpbusd_epi32(acc[i][h][ky], x[i], wv);
        if (CORRECTED) {
          const __m512i kv = _mm512_loadu_si512(kz + 128 * g + 64 * h);
#pragma GCC unroll 4
          for (size_t i = 0; i < NP; i++) acc[i][h][ky] = _mm512_dpbusd_epi32(acc[i][h][ky], x[i], kv);
        }
      }
    }
  }
#pragma GCC unroll 4
  for (size_t i = 0; i < NP; i++) {
#pragma GCC unroll 2
    for (size_t h = 0; h < NH; h++) {
      out[i][h] = _mm512_add_epi32(_mm512_add_epi32(acc[i][h][0], acc[i][h][1]), acc[i][h][2]);
    }
  }
}

static inline __attribute__((always_inline)) void block(const bool CLAMP, const bool CORRECTED, size_t width,
                                                        const uint8_t *const *rows, const uint8_t *blk,
                                                        size_t channels, size_t nc, uint8_t *output,
                                                        const struct edge_output_params *o) {
  const int32_t *bias = (const int32_t *)blk;
  const float *scale = (const float *)(bias + 32);
  const uint8_t *wk = blk + EDGE_CONV3X3S2C3_HEAD_BYTES;
  const uint8_t *kz = wk + 3 * 384;
  const __m512i b0 = _mm512_loadu_si512(bias), b1 = _mm512_loadu_si512(bias + 16);
  const __m512i zo = _mm512_set1_epi16((int16_t)o->zero_point);
  const __m512i vmin = _mm512_set1_epi8((char)o->min), vmax = _mm512_set1_epi8((char)o->max);
  const __m512 hi = _mm512_set1_ps(o->max_less_zero_point);
  const __m512i bias2[2] = {b0, b1};
  __m512i acc[4][2];
  if (nc <= 16) {
    /* 16 channels or fewer (the small MobileNets): 4 pixels per output vector. */
    const __mmask16 store = (__mmask16)(((uint32_t)1 << nc) - 1);
    for (size_t p = 0; p < width; p += 4) {
      /* Missing pixels repeat the last one and are stored first, so the real one wins. */
      size_t q[4];
      for (size_t i = 0; i < 4; i++) q[i] = p + i < width ? p + i : width - 1;
      windows(CORRECTED, 4, 1, bias2, rows, q, wk, kz, acc);
      const __m512i out = edge_output4_avx512(
          edge_fp32_avx512(CLAMP, acc[0][0], scale, hi), edge_fp32_avx512(CLAMP, acc[1][0], scale, hi),
          edge_fp32_avx512(CLAMP, acc[2][0], scale, hi), edge_fp32_avx512(CLAMP, acc[3][0], scale, hi), zo, vmin,
          vmax);
      _mm_mask_storeu_epi8(output + q[3] * channels, store, _mm512_extracti32x4_epi32(out, 3));
      _mm_mask_storeu_epi8(output + q[2] * channels, store, _mm512_extracti32x4_epi32(out, 2));
      _mm_mask_storeu_epi8(output + q[1] * channels, store, _mm512_extracti32x4_epi32(out, 1));
      _mm_mask_storeu_epi8(output + q[0] * channels, store, _mm512_castsi512_si128(out));
    }
    return;
  }
  const __mmask32 store = nc >= 32 ? ~(__mmask32)0 : (((__mmask32)1 << nc) - 1);
  for (size_t p = 0; p < width; p += 2) {
    /* An odd last pixel is computed twice and stored once. */
    const size_t q[2] = {p, p + 1 < width ? p + 1 : p};
    windows(CORRECTED, 2, 2, bias2, rows, q, wk, kz, acc);
    const __m512i out = edge_output4_avx512(
        edge_fp32_avx512(CLAMP, acc[0][0], scale, hi), edge_fp32_avx512(CLAMP, acc[0][1], scale + 16, hi),
        edge_fp32_avx512(CLAMP, acc[1][0], scale, hi), edge_fp32_avx512(CLAMP, acc[1][1], scale + 16, hi), zo, vmin,
        vmax);
    _mm256_mask_storeu_epi8(output + q[1] * channels, store, _mm512_extracti64x4_epi64(out, 1));
    _mm256_mask_storeu_epi8(output + p * channels, store, _mm512_castsi512_si256(out));
  }
}

void qu8_conv_3x3s2c3_2x32__avx512vnni(size_t width, const uint8_t *const *rows, const void *w, size_t channels,
                                       uint8_t *output, const struct edge_output_params *o) {
  const uint8_t *blk = w;
  for (size_t c0 = 0; c0 < channels; c0 += 32, blk += EDGE_CONV3X3S2C3_BLOCK_BYTES) {
    const size_t nc = EDGE_MIN(32, channels - c0);
    const bool clamp = o->clamp_in_float, corrected = ((const int32_t *)blk)[64] != 0;
    uint8_t *out = output + c0;
    if (clamp && corrected) block(true, true, width, rows, blk, channels, nc, out, o);
    else if (clamp) block(true, false, width, rows, blk, channels, nc, out, o);
    else if (corrected) block(false, true, width, rows, blk, channels, nc, out, o);
    else block(false, false, width, rows, blk, channels, nc, out, o);
  }
}
