/*
 * GEMM micro-kernel for AVX2: 4 rows x 16 columns, int16 activations and int16 (w - zw)
 * weights in pairs of k (vpmaddwd). Without VNNI there is no exact 8-bit product with
 * 32-bit accumulation: vpmaddubsw saturates its int16 sums.
 */
#include <immintrin.h>
#include <string.h>

#include "kernel-table.h"
#include "requantize.h"

static inline __m256i pair(const int16_t *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

void qu8_gemm_4x16c2__avx2(size_t mr, size_t nc, size_t kc, const void *a, size_t a_stride, const int32_t *rowsum,
                           const void *w, uint8_t *c, size_t c_stride, const struct edge_output_params *o) {
  (void)rowsum; /* EDGE_W_I16 never needs the row sums */
  const int16_t *ar[4];
  uint8_t *cr[4];
  ar[0] = a;
  cr[0] = c;
  for (size_t r = 1; r < 4; r++) {
    ar[r] = r < mr ? (const int16_t *)((const uint8_t *)ar[r - 1] + a_stride) : ar[r - 1];
    cr[r] = r < mr ? cr[r - 1] + c_stride : cr[r - 1];
  }
  const int32_t *bias = w;
  const float *scale = (const float *)(bias + 2 * 16);
  const int16_t *wk = (const int16_t *)(scale + 16);

  __m256i acc[4][2];
  const __m256i b0 = _mm256_loadu_si256((const __m256i *)bias), b1 = _mm256_loadu_si256((const __m256i *)(bias + 8));
  for (size_t r = 0; r < 4; r++) {
    acc[r][0] = b0;
    acc[r][1] = b1;
  }
  for (size_t k = 0; k < kc; k += 2) {
    const __m256i w0 = _mm256_loadu_si256((const __m256i *)wk);
    const __m256i w1 = _mm256_loadu_si256((const __m256i *)(wk + 16));
    wk += 32;
    for (size_t r = 0; r < 4; r++) {
      const __m256i x = pair(ar[r] + k);
      acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(x, w0));
      acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(x, w1));
    }
  }

  const __m256i zo = _mm256_set1_epi16((int16_t)o->zero_point);
  const __m128i vmin = _mm_set1_epi8((char)o->min), vmax = _mm_set1_epi8((char)o->max);
  const __m256 hi = _mm256_set1_ps(o->max_less_zero_point);
  for (size_t r = 4; r-- > 0;) {
    __m128i out = edge_output_avx2(edge_fp32_avx2(acc[r][0], scale, hi), edge_fp32_avx2(acc[r][1], scale + 8, hi),
                                   zo, vmin, vmax);
    if (nc == 16) {
      _mm_storeu_si128((__m128i *)cr[r], out);
    } else {
      uint8_t tmp[16];
      _mm_storeu_si128((__m128i *)tmp, out);
      memcpy(cr[r], tmp, nc);
    }
  }
}
