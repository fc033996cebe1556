/*
 * Byte lookup for AVX2, 32 bytes per step, from 16 VPSHUFB over the table's 16-byte
 * rows (XNNPACK's scheme). VPSHUFB gives 0 for an index with its top bit set and
 * otherwise reads the row at the index's low 4 bits, which x - 16k shares with x. So
 * lookup k, with index x - 16k, contributes for 8 consecutive rows k of x's; the rows
 * are stored XORed with their neighbours so that the contributions telescope to row
 * x / 16: the first 9 lookups subtract with wrap-around (x < 128 sees rows 0..x/16),
 * the last 7 with signed saturation, which stops at -128 (x >= 128 sees x/16 - 7..x/16;
 * rows 8..15 also carry row k - 8 to cancel the wrapped part).
 */
#include <immintrin.h>

#include "kernel-table.h"

static inline __m256i row(const uint8_t *table, size_t k) {
  return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(table + 16 * k)));
}

static inline __m256i lookup(const __m256i *t, __m256i x) {
  const __m256i sixteen = _mm256_set1_epi8(16);
  __m256i y = _mm256_shuffle_epi8(t[0], x);
  /* Unrolled, so that the rows stay in registers. */
#pragma GCC unroll 8
  for (size_t k = 1; k <= 8; k++) {
    x = _mm256_sub_epi8(x, sixteen);
    y = _mm256_xor_si256(y, _mm256_shuffle_epi8(t[k], x));
  }
#pragma GCC unroll 7
  for (size_t k = 9; k < 16; k++) {
    x = _mm256_subs_epi8(x, sixteen);
    y = _mm256_xor_si256(y, _mm256_shuffle_epi8(t[k], x));
  }
  return y;
}

void x8_lut__avx2(size_t n, const uint8_t *in, const uint8_t *table, uint8_t *out) {
  __m256i t[16];
  t[0] = row(table, 0);
  for (size_t k = 1; k < 16; k++) {
    t[k] = _mm256_xor_si256(row(table, k - 1), row(table, k));
    if (k >= 8) t[k] = _mm256_xor_si256(t[k], t[k - 8]);
  }
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    _mm256_storeu_si256((__m256i *)(out + i), lookup(t, _mm256_loadu_si256((const __m256i *)(in + i))));
  }
  if (i < n) x8_lut__scalar(n - i, in + i, table, out + i);
}
