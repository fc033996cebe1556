/*
 * Depthwise micro-kernels for AVX2: 16 channels per step. Weights are int32 lanes
 * holding w - zw in the low half and 0 above, so vpmaddwd on zero-extended inputs is
 * one exact product per lane.
 */
#include <immintrin.h>
#include <string.h>

#include "kernel-table.h"
#include "requantize.h"

static inline void dwconv_16c(size_t channels, size_t width, const uint8_t *const *input, size_t step, size_t taps,
                              const void *w, uint8_t *output, const struct edge_output_params *o) {
  const size_t block = edge_dw_block_bytes(16, taps, EDGE_DW_I32);
  const __m256i zo = _mm256_set1_epi16((int16_t)o->zero_point);
  const __m128i vmin = _mm_set1_epi8((char)o->min), vmax = _mm_set1_epi8((char)o->max);
  const __m256 hi = _mm256_set1_ps(o->max_less_zero_point);
  for (size_t px = 0; px < width; px++) {
    const uint8_t *const *in = step != 0 ? input : input + px * taps;
    const size_t shift = px * step;
    const uint8_t *blk = w;
    for (size_t c = 0; c < channels; c += 16) {
      const size_t n = EDGE_MIN(channels - c, 16);
      const int32_t *bias = (const int32_t *)blk;
      const float *scale = (const float *)(bias + 16);
      const int32_t *wt = bias + 2 * 16;
      __m256i acc0 = _mm256_loadu_si256((const __m256i *)bias);
      __m256i acc1 = _mm256_loadu_si256((const __m256i *)(bias + 8));
      for (size_t t = 0; t < taps; t++) {
        __m128i x;
        if (n == 16) {
          x = _mm_loadu_si128((const __m128i *)(in[t] + shift + c));
        } else {
          uint8_t tmp[16] = {0};
          memcpy(tmp, in[t] + shift + c, n);
          x = _mm_loadu_si128((const __m128i *)tmp);
        }
        acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_cvtepu8_epi32(x),
                                                        _mm256_loadu_si256((const __m256i *)(wt + 16 * t))));
        acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(_mm256_cvtepu8_epi32(_mm_srli_si128(x, 8)),
                                                        _mm256_loadu_si256((const __m256i *)(wt + 16 * t + 8))));
      }
      __m128i out = edge_output_avx2(edge_fp32_avx2(acc0, scale, hi), edge_fp32_avx2(acc1, scale + 8, hi), zo, vmin,
                                     vmax);
      if (n == 16) {
        _mm_storeu_si128((__m128i *)output, out);
      } else {
        uint8_t tmp[16];
        _mm_storeu_si128((__m128i *)tmp, out);
        memcpy(output, tmp, n);
      }
      output += n;
      blk += block;
    }
  }
}

void qu8_dwconv_9p16c__avx2(size_t channels, size_t width, const uint8_t *const *input, size_t step, size_t taps, const void *w,
                            uint8_t *output, const struct edge_output_params *o) {
  (void)taps;
  dwconv_16c(channels, width, input, step, 9, w, output, o);
}

void qu8_dwconv_up16c__avx2(size_t channels, size_t width, const uint8_t *const *input, size_t step, size_t taps, const void *w,
                            uint8_t *output, const struct edge_output_params *o) {
  dwconv_16c(channels, width, input, step, taps, w, output, o);
}
