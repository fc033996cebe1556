/*
 * What the row-transposing 3x3 depthwise kernels for AVX-512 VNNI share. Four input rows
 * are transposed so that an int32 lane holds one channel's bytes from all four: unpacking
 * bytes of row pairs, then words, leaves byte b + 16 L + 4 i + j of a 64-byte group in
 * lane 4 L + j of vector i. VPDPBUSD then multiplies a lane by (w_row0, .., w_row3) in one
 * instruction. Packing 4 such vectors (packs, then packus) puts the bytes back in memory
 * order, so weights, biases and scales are packed in the lane order (dwconv-rows.c).
 */
#pragma once

#include <immintrin.h>

#include "kernel-table.h"
#include "requantize.h"

/* The transpose of four vectors already loaded, one per row. */
static inline __attribute__((always_inline)) void interleave4(const __m512i r[4], __m512i u[4]) {
  const __m512i t0 = _mm512_unpacklo_epi8(r[0], r[1]), t1 = _mm512_unpackhi_epi8(r[0], r[1]);
  const __m512i t2 = _mm512_unpacklo_epi8(r[2], r[3]), t3 = _mm512_unpackhi_epi8(r[2], r[3]);
  u[0] = _mm512_unpacklo_epi16(t0, t2);
  u[1] = _mm512_unpackhi_epi16(t0, t2);
  u[2] = _mm512_unpacklo_epi16(t1, t3);
  u[3] = _mm512_unpackhi_epi16(t1, t3);
}

static inline __attribute__((always_inline)) void transpose4(const uint8_t *const *rows, size_t b, __m512i u[4]) {
  __m512i r[4];
#pragma GCC unroll 4
  for (size_t i = 0; i < 4; i++) r[i] = _mm512_loadu_si512(rows[i] + b);
  interleave4(r, u);
}

/* 4 x 16 int32 in the transposed lane order to 64 clamped bytes in memory order. */
static inline __attribute__((always_inline)) __m512i edge_output_transposed_avx512(const __m512i y[4], __m512i zo,
                                                                                    __m512i vmin, __m512i vmax) {
  const __m512i lo = _mm512_adds_epi16(_mm512_packs_epi32(y[0], y[1]), zo);
  const __m512i hi = _mm512_adds_epi16(_mm512_packs_epi32(y[2], y[3]), zo);
  return _mm512_min_epu8(_mm512_max_epu8(_mm512_packus_epi16(lo, hi), vmin), vmax);
}
