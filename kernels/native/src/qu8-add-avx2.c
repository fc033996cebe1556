/* Quantized add for AVX2, 16 elements per step; the AVX-512 path uses it too (add is memory bound). */
#include <immintrin.h>

#include "kernel-table.h"
#include "requantize.h"

static inline __m256i scaled(const uint8_t *x, __m256i zero, const int32_t *rq) {
  __m256i v = _mm256_sub_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)x)), zero);
  return edge_mbqm_avx2(_mm256_slli_epi32(v, 20), rq, 16, 0);
}

void qu8_add__avx2(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out, const struct edge_add_params *p) {
  const __m256i za = _mm256_set1_epi32(p->za), zb = _mm256_set1_epi32(p->zb);
  const __m256i zo = _mm256_set1_epi16((int16_t)p->o.zero_point);
  const __m128i vmin = _mm_set1_epi8((char)p->o.min), vmax = _mm_set1_epi8((char)p->o.max);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256i lo = _mm256_add_epi32(scaled(a + i, za, p->a.v), scaled(b + i, zb, p->b.v));
    __m256i hi = _mm256_add_epi32(scaled(a + i + 8, za, p->a.v), scaled(b + i + 8, zb, p->b.v));
    __m128i v = edge_output_avx2(edge_mbqm_avx2(lo, p->out.v, 16, 0), edge_mbqm_avx2(hi, p->out.v, 16, 0), zo, vmin,
                                 vmax);
    _mm_storeu_si128((__m128i *)(out + i), v);
  }
  if (i < n) qu8_add__scalar(n - i, a + i, b + i, out + i, p);
}
