/* Quantized multiply for AVX2, 16 elements per step; the AVX-512 paths use it too (it is memory bound). */
#include <immintrin.h>

#include "kernel-table.h"
#include "requantize.h"

static inline __m256i product(const uint8_t *a, const uint8_t *b, __m256i za, __m256i zb, __m256 scale, __m256 hi) {
  const __m256i va = _mm256_sub_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)a)), za);
  const __m256i vb = _mm256_sub_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)b)), zb);
  /* The product is exact in float; the multiply by scale rounds once; the upper clamp keeps the conversion in range. */
  const __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_mullo_epi32(va, vb)), scale);
  return _mm256_cvtps_epi32(_mm256_min_ps(v, hi));
}

void qu8_vmul__avx2(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out, const struct edge_mul_params *p) {
  const __m256i za = _mm256_set1_epi32(p->za), zb = _mm256_set1_epi32(p->zb);
  const __m256 scale = _mm256_set1_ps(p->scale), hi = _mm256_set1_ps(p->o.max_less_zero_point);
  const __m256i zo = _mm256_set1_epi16((int16_t)p->o.zero_point);
  const __m128i vmin = _mm_set1_epi8((char)p->o.min), vmax = _mm_set1_epi8((char)p->o.max);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i lo = product(a + i, b + i, za, zb, scale, hi);
    const __m256i up = product(a + i + 8, b + i + 8, za, zb, scale, hi);
    _mm_storeu_si128((__m128i *)(out + i), edge_output_avx2(lo, up, zo, vmin, vmax));
  }
  if (i + 8 <= n) {
    /* Squeeze-and-excite rows are often a multiple of 8 but not 16 (72, 120, 200). */
    const __m256i lo = product(a + i, b + i, za, zb, scale, hi);
    _mm_storel_epi64((__m128i *)(out + i), edge_output_avx2(lo, lo, zo, vmin, vmax));
    i += 8;
  }
  if (i < n) qu8_vmul__scalar(n - i, a + i, b + i, out + i, p);
}
