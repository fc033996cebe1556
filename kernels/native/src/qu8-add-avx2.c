/* Quantized add for AVX2, 16 elements per step; the AVX-512 path uses it too (add is memory bound). */
#include <immintrin.h>

#include "kernel-table.h"
#include "requantize.h"

void qu8_add__avx2(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out, const struct edge_add_params *p) {
  /* bias + ma * a + mb * b with the zero points and the rounding half folded into bias:
     every partial sum stays within int32 because ma, mb <= 2^21. */
  const __m256i bias = _mm256_set1_epi32((INT32_C(1) << (p->shift - 1)) - p->ma * p->za - p->mb * p->zb);
  const __m256i ma = _mm256_set1_epi32(p->ma), mb = _mm256_set1_epi32(p->mb);
  const __m128i shift = _mm_cvtsi32_si128(p->shift);
  const __m256i zo = _mm256_set1_epi16((int16_t)p->o.zero_point);
  const __m128i vmin = _mm_set1_epi8((char)p->o.min), vmax = _mm_set1_epi8((char)p->o.max);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256i y[2];
    for (size_t h = 0; h < 2; h++) {
      const __m256i va = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(a + i + 8 * h)));
      const __m256i vb = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(b + i + 8 * h)));
      const __m256i acc =
          _mm256_add_epi32(_mm256_add_epi32(bias, _mm256_mullo_epi32(va, ma)), _mm256_mullo_epi32(vb, mb));
      y[h] = _mm256_sra_epi32(acc, shift);
    }
    _mm_storeu_si128((__m128i *)(out + i), edge_output_avx2(y[0], y[1], zo, vmin, vmax));
  }
  if (i < n) qu8_add__scalar(n - i, a + i, b + i, out + i, p);
}
