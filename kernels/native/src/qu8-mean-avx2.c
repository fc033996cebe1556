/* Mean over pixels for AVX2: 16 channels per step, 32-bit sums; the AVX-512 path uses it too. */
#include <immintrin.h>

#include "kernel-table.h"
#include "requantize.h"

void qu8_mean__avx2(size_t pixels, size_t channels, size_t stride, const uint8_t *input, uint8_t *output,
                    const struct edge_mean_params *p) {
  const __m256i bias = _mm256_set1_epi32(-p->zx * (int32_t)pixels);
  const __m256i zo = _mm256_set1_epi16((int16_t)p->o.zero_point);
  const __m128i vmin = _mm_set1_epi8((char)p->o.min), vmax = _mm_set1_epi8((char)p->o.max);
  size_t c = 0;
  for (; c + 16 <= channels; c += 16) {
    __m256i lo = bias, hi = bias;
    for (size_t i = 0; i < pixels; i++) {
      const uint8_t *x = input + i * stride + c;
      lo = _mm256_add_epi32(lo, _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)x)));
      hi = _mm256_add_epi32(hi, _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(x + 8))));
    }
    __m128i v = edge_output_avx2(edge_mbqm_avx2(lo, &p->rq), edge_mbqm_avx2(hi, &p->rq), zo, vmin,
                                 vmax);
    _mm_storeu_si128((__m128i *)(output + c), v);
  }
  if (c < channels) qu8_mean__scalar(pixels, channels - c, stride, input + c, output + c, p);
}
