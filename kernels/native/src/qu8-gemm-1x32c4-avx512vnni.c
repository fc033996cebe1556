/*
 * One row x 32 columns, for fully connected layers and the rows left over by the
 * 14-row kernel. Four k phases in separate accumulators hide VPDPBUSD's latency,
 * which a single row's two accumulators could not.
 */
#include "qu8-gemm-c4-avx512vnni.h"

void qu8_gemm_1x32c4__avx512vnni(size_t mr, size_t nc, size_t kc, const void *a, size_t a_stride,
                                 const int32_t *rowsum, const void *w, uint8_t *c, size_t c_stride,
                                 const struct edge_output_params *o) {
  (void)mr;
  (void)a_stride;
  (void)c_stride;
  const uint8_t *x = a;
  const int32_t *bias = w;
  const int32_t *kzp = bias + 32;
  const float *scale = (const float *)(bias + 2 * 32);
  const uint8_t *wk = (const uint8_t *)(scale + 32);
  __m512i acc[4][2];
  acc[0][0] = _mm512_loadu_si512(bias);
  acc[0][1] = _mm512_loadu_si512(bias + 16);
  for (size_t p = 1; p < 4; p++) acc[p][0] = acc[p][1] = _mm512_setzero_si512();
  size_t k = 0;
  for (; k + 16 <= kc; k += 16) {
#pragma GCC unroll 4
    for (size_t p = 0; p < 4; p++) {
      const __m512i v = edge_broadcast4(x + k + 4 * p);
      acc[p][0] = _mm512_dpbusd_epi32(acc[p][0], v, _mm512_loadu_si512(wk + 128 * p));
      acc[p][1] = _mm512_dpbusd_epi32(acc[p][1], v, _mm512_loadu_si512(wk + 128 * p + 64));
    }
    wk += 512;
  }
  for (; k < kc; k += 4) {
    const __m512i v = edge_broadcast4(x + k);
    acc[0][0] = _mm512_dpbusd_epi32(acc[0][0], v, _mm512_loadu_si512(wk));
    acc[0][1] = _mm512_dpbusd_epi32(acc[0][1], v, _mm512_loadu_si512(wk + 64));
    wk += 128;
  }
  __m512i s0 = _mm512_add_epi32(_mm512_add_epi32(acc[0][0], acc[1][0]), _mm512_add_epi32(acc[2][0], acc[3][0]));
  __m512i s1 = _mm512_add_epi32(_mm512_add_epi32(acc[0][1], acc[1][1]), _mm512_add_epi32(acc[2][1], acc[3][1]));
  if (rowsum != NULL) {
    const __m512i s = _mm512_set1_epi32(rowsum[0]);
    s0 = _mm512_add_epi32(s0, _mm512_mullo_epi32(s, _mm512_loadu_si512(kzp)));
    s1 = _mm512_add_epi32(s1, _mm512_mullo_epi32(s, _mm512_loadu_si512(kzp + 16)));
  }
  const __m512 hi = _mm512_set1_ps(o->max_less_zero_point);
  const bool clamp = o->clamp_in_float; /* one row: a branch per vector costs nothing here */
  const __m512i y0 = edge_fp32_avx512(clamp, s0, scale, hi), y1 = edge_fp32_avx512(clamp, s1, scale + 16, hi);
  const __m512i out = edge_output4_avx512(y0, y1, y0, y1, _mm512_set1_epi16((int16_t)o->zero_point),
                                          _mm512_set1_epi8((char)o->min), _mm512_set1_epi8((char)o->max));
  _mm256_mask_storeu_epi8(c, nc >= 32 ? ~(__mmask32)0 : (((__mmask32)1 << nc) - 1), _mm512_castsi512_si256(out));
}

/* VPSADBW adds 8 bytes per 64-bit lane: a row's sum in 8 partial sums. */
static inline __m512i row_partials(const uint8_t *x, size_t k) {
  const __m512i zero = _mm512_setzero_si512();
  __m512i s = zero;
  size_t i = 0;
  for (; i + 64 <= k; i += 64) s = _mm512_add_epi64(s, _mm512_sad_epu8(_mm512_loadu_si512(x + i), zero));
  if (i < k) {
    const __mmask64 tail = ((__mmask64)1 << (k - i)) - 1;
    s = _mm512_add_epi64(s, _mm512_sad_epu8(_mm512_maskz_loadu_epi8(tail, x + i), zero));
  }
  return s;
}

/* Sums of a and b's pairs of 64-bit lanes, a's in the low half of each 128-bit lane. */
static inline __m512i pair_sums(__m512i a, __m512i b) {
  return _mm512_add_epi64(_mm512_unpacklo_epi64(a, b), _mm512_unpackhi_epi64(a, b));
}

/* Sums of 128-bit lanes 0 + 1 and 2 + 3 of a, then of b. */
static inline __m512i lane_sums(__m512i a, __m512i b) {
  return _mm512_add_epi64(_mm512_shuffle_i64x2(a, b, _MM_SHUFFLE(2, 0, 2, 0)),
                          _mm512_shuffle_i64x2(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
}

/* Row sums for the kzp correction, 8 rows at a time: their partial sums add up in a tree. */
void qu8_rowsum__avx512(size_t rows, size_t k, const uint8_t *a, size_t a_stride, int32_t *out) {
  size_t r = 0;
  for (; r + 8 <= rows; r += 8) {
    __m512i s[8];
    for (size_t i = 0; i < 8; i++) s[i] = row_partials(a + (r + i) * a_stride, k);
    const __m512i b0 = lane_sums(pair_sums(s[0], s[1]), pair_sums(s[2], s[3]));
    const __m512i b1 = lane_sums(pair_sums(s[4], s[5]), pair_sums(s[6], s[7]));
    _mm256_storeu_si256((__m256i *)(out + r), _mm512_cvtepi64_epi32(lane_sums(b0, b1)));
  }
  for (; r < rows; r++) out[r] = (int32_t)_mm512_reduce_add_epi64(row_partials(a + r * a_stride, k));
}
