/*
 * Depthwise micro-kernels for AVX-512 VNNI: 32 channels, two pixels per step. Inputs
 * are zero-extended to int32 lanes and VPDPWSSD multiplies them by int32 lanes holding
 * w - zw (high half 0): one exact product accumulated per lane per instruction.
 * Channel tiles are the outer loop so that a tile's 9 x 2 weight vectors stay in
 * registers across the row; each pixel's taps go to two accumulators (taps 0-4 and
 * 5-8), which halves the chain of dependent VPDPWSSD. Channel tails use masked loads
 * and stores, which never touch bytes past the mask.
 */
#include <immintrin.h>

#include "kernel-table.h"
#include "requantize.h"

struct pixel_acc {
  __m512i lo_a, hi_a, lo_b, hi_b;
};

/* Full tiles zero-extend straight from memory (one load and one shuffle per 16 bytes);
   tails go through a masked load, which never touches bytes past the mask. */
static inline __attribute__((always_inline)) void tap(struct pixel_acc *p, size_t t, const uint8_t *x, bool full,
                                                      __mmask32 mask, __m512i wlo, __m512i whi) {
  __m512i xl, xh;
  if (full) {
    xl = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)x));
    xh = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(x + 16)));
  } else {
    const __m256i v = _mm256_maskz_loadu_epi8(mask, x);
    xl = _mm512_cvtepu8_epi32(_mm256_castsi256_si128(v));
    xh = _mm512_cvtepu8_epi32(_mm256_extracti128_si256(v, 1));
  }
  if (t < 5) {
    p->lo_a = _mm512_dpwssd_epi32(p->lo_a, xl, wlo);
    p->hi_a = _mm512_dpwssd_epi32(p->hi_a, xh, whi);
  } else {
    p->lo_b = _mm512_dpwssd_epi32(p->lo_b, xl, wlo);
    p->hi_b = _mm512_dpwssd_epi32(p->hi_b, xh, whi);
  }
}

/* Channels c .. c + 31 (masked to n) of `width` pixels. */
static inline __attribute__((always_inline)) void tile_32c(const size_t TAPS, const bool FULL, size_t c, size_t n,
                                                           size_t C, size_t width, const uint8_t *const *input,
                                                           size_t step, size_t taps, const uint8_t *blk,
                                                           uint8_t *output, const struct edge_output_params *o) {
  const __m512i zo = _mm512_set1_epi16((int16_t)o->zero_point);
  const __m512i vmin = _mm512_set1_epi8((char)o->min), vmax = _mm512_set1_epi8((char)o->max);
  const __m512i zero = _mm512_setzero_si512();
  /* This kernel runs the rare shapes: it always clamps in float, which is never wrong. */
  const __m512 hi = _mm512_set1_ps(o->max_less_zero_point);
  {
    const __mmask32 mask = n == 32 ? ~(__mmask32)0 : (((__mmask32)1 << n) - 1);
    const int32_t *bias = (const int32_t *)blk;
    const float *scale = (const float *)(bias + 32);
    const int32_t *wt = bias + 2 * 32;
    const __m512i b0 = _mm512_loadu_si512(bias), b1 = _mm512_loadu_si512(bias + 16);
    __m512i wr[9][2];
    if (TAPS == 9) {
#pragma GCC unroll 9
      for (size_t t = 0; t < 9; t++) {
        wr[t][0] = _mm512_loadu_si512(wt + 32 * t);
        wr[t][1] = _mm512_loadu_si512(wt + 32 * t + 16);
      }
    }
    size_t px = 0;
    for (; px < width; px += 2) {
      /* An odd last pixel is computed twice and stored once. */
      const size_t q = px + 1 < width ? px + 1 : px;
      const uint8_t *const *in0 = step != 0 ? input : input + px * taps;
      const uint8_t *const *in1 = step != 0 ? input : input + q * taps;
      const size_t s0 = px * step + c, s1 = q * step + c;
      struct pixel_acc p0 = {b0, b1, zero, zero}, p1 = {b0, b1, zero, zero};
#pragma GCC unroll 9
      for (size_t t = 0; t < taps; t++) {
        const __m512i wlo = TAPS == 9 ? wr[t][0] : _mm512_loadu_si512(wt + 32 * t);
        const __m512i whi = TAPS == 9 ? wr[t][1] : _mm512_loadu_si512(wt + 32 * t + 16);
        tap(&p0, TAPS == 9 ? t : 0, in0[t] + s0, FULL, mask, wlo, whi);
        tap(&p1, TAPS == 9 ? t : 0, in1[t] + s1, FULL, mask, wlo, whi);
      }
      const __m512i out = edge_output4_avx512(
          edge_fp32_avx512(true, _mm512_add_epi32(p0.lo_a, p0.lo_b), scale, hi),
          edge_fp32_avx512(true, _mm512_add_epi32(p0.hi_a, p0.hi_b), scale + 16, hi),
          edge_fp32_avx512(true, _mm512_add_epi32(p1.lo_a, p1.lo_b), scale, hi),
          edge_fp32_avx512(true, _mm512_add_epi32(p1.hi_a, p1.hi_b), scale + 16, hi), zo, vmin, vmax);
      _mm256_mask_storeu_epi8(output + q * C + c, mask, _mm512_extracti64x4_epi64(out, 1));
      _mm256_mask_storeu_epi8(output + px * C + c, mask, _mm512_castsi512_si256(out));
    }
  }
}

static inline __attribute__((always_inline)) void dwconv_32c(const size_t TAPS, size_t channels, size_t width,
                                                             const uint8_t *const *input, size_t step, size_t taps,
                                                             const void *w, uint8_t *output,
                                                             const struct edge_output_params *o) {
  if (TAPS != 0) taps = TAPS;
  const size_t block = edge_dw_block_bytes(32, taps, EDGE_DW_I32);
  size_t c = 0;
  for (; c + 32 <= channels; c += 32) {
    tile_32c(TAPS, true, c, 32, channels, width, input, step, taps, (const uint8_t *)w + c / 32 * block, output, o);
  }
  if (c < channels) {
    tile_32c(TAPS, false, c, channels - c, channels, width, input, step, taps, (const uint8_t *)w + c / 32 * block,
             output, o);
  }
}

void qu8_dwconv_9p32c__avx512vnni(size_t channels, size_t width, const uint8_t *const *input, size_t step,
                                  size_t taps, const void *w, uint8_t *output, const struct edge_output_params *o) {
  dwconv_32c(9, channels, width, input, step, taps, w, output, o);
}

void qu8_dwconv_up32c__avx512vnni(size_t channels, size_t width, const uint8_t *const *input, size_t step,
                                  size_t taps, const void *w, uint8_t *output, const struct edge_output_params *o) {
  dwconv_32c(0, channels, width, input, step, taps, w, output, o);
}
