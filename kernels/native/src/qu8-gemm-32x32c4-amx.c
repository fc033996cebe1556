/*
 * GEMM micro-kernel for AMX-INT8: 32 rows x 32 columns as 2 x 2 tiles of 16 x 16 int32.
 * Per 64 k: two A tiles (16 rows x 64 bytes, read straight from the rows of A) and two B
 * tiles (16 groups of 4 k x 16 columns: the c4 packing of the AVX-512 kernels, read with
 * a stride of one 32-column group) feed four TDPBUSD of 16 x 16 x 64 MACs each, uint8
 * activations times int8 weights, exact in int32. The accumulators then go through
 * memory to the AVX-512 fp32 output stage.
 *
 * A tile reads 16 whole rows of 64 bytes: the caller passes 32 readable rows of kc bytes
 * (full_tiles), with zero weights past k so that bytes read past a row's k count nothing.
 */
#include <immintrin.h>

#include "kernel-table.h"
#include "requantize.h"

struct tile_config {
  uint8_t palette;
  uint8_t start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};

/*
 * Every tile used is 16 rows of 64 bytes: C 0-3 (rows 0-15 and 16-31 x columns 0-15 and
 * 16-31), A 4-5 (rows 0-15, 16-31), B 6-7 (columns 0-15, 16-31). The intrinsics take
 * tile numbers as literals.
 */
void qu8_gemm_amx_begin(void) {
  static const struct tile_config config = {
      .palette = 1,
      .colsb = {64, 64, 64, 64, 64, 64, 64, 64},
      .rows = {16, 16, 16, 16, 16, 16, 16, 16},
  };
  _tile_loadconfig(&config);
}

/* Releasing the tiles lets the OS skip their 8 KB on context switches again. */
void qu8_gemm_amx_end(void) { _tile_release(); }

/* The output stage of the block: acc + bias (+ kzp * rowsum), fp32, 32 columns per row. */
static inline __attribute__((always_inline)) void output(const bool CLAMP, int32_t acc[32][32], size_t mr, size_t nc,
                                                         const int32_t *rowsum, const void *w, uint8_t *c,
                                                         size_t c_stride, const struct edge_output_params *o) {
  const int32_t *bias = w;
  const int32_t *kzp = bias + 32;
  const float *scale = (const float *)(bias + 2 * 32);
  const __m512i b0 = _mm512_loadu_si512(bias), b1 = _mm512_loadu_si512(bias + 16);
  const __m512i z0 = _mm512_loadu_si512(kzp), z1 = _mm512_loadu_si512(kzp + 16);
  const __m512i zo = _mm512_set1_epi16((int16_t)o->zero_point);
  const __m512i vmin = _mm512_set1_epi8((char)o->min), vmax = _mm512_set1_epi8((char)o->max);
  const __m512 hi = _mm512_set1_ps(o->max_less_zero_point);
  const __mmask32 store = nc >= 32 ? ~(__mmask32)0 : (((__mmask32)1 << nc) - 1);
  for (size_t r = 0; r < mr; r += 2) {
    /* An odd last row is computed twice and stored once. */
    const size_t r1 = r + 1 < mr ? r + 1 : r;
    __m512i v[4] = {_mm512_add_epi32(_mm512_load_si512(&acc[r][0]), b0),
                    _mm512_add_epi32(_mm512_load_si512(&acc[r][16]), b1),
                    _mm512_add_epi32(_mm512_load_si512(&acc[r1][0]), b0),
                    _mm512_add_epi32(_mm512_load_si512(&acc[r1][16]), b1)};
    if (rowsum != NULL) {
      const __m512i s0 = _mm512_set1_epi32(rowsum[r]), s1 = _mm512_set1_epi32(rowsum[r1]);
      v[0] = _mm512_add_epi32(v[0], _mm512_mullo_epi32(s0, z0));
      v[1] = _mm512_add_epi32(v[1], _mm512_mullo_epi32(s0, z1));
      v[2] = _mm512_add_epi32(v[2], _mm512_mullo_epi32(s1, z0));
      v[3] = _mm512_add_epi32(v[3], _mm512_mullo_epi32(s1, z1));
    }
    const __m512i out = edge_output4_avx512(
        edge_fp32_avx512(CLAMP, v[0], scale, hi), edge_fp32_avx512(CLAMP, v[1], scale + 16, hi),
        edge_fp32_avx512(CLAMP, v[2], scale, hi), edge_fp32_avx512(CLAMP, v[3], scale + 16, hi), zo, vmin, vmax);
    _mm256_mask_storeu_epi8(c + r1 * c_stride, store, _mm512_extracti64x4_epi64(out, 1));
    _mm256_mask_storeu_epi8(c + r * c_stride, store, _mm512_castsi512_si256(out));
  }
}

/*
 * Columns 0-15 only, for a block of at most 16 columns (a 16-channel layer has nothing
 * else): half the tiles, and 4 rows per output vector.
 */
static inline __attribute__((always_inline)) void output16(const bool CLAMP, int32_t acc[32][32], size_t mr, size_t nc,
                                                           const int32_t *rowsum, const void *w, uint8_t *c,
                                                           size_t c_stride, const struct edge_output_params *o) {
  const int32_t *bias = w;
  const int32_t *kzp = bias + 32;
  const float *scale = (const float *)(bias + 2 * 32);
  const __m512i b0 = _mm512_loadu_si512(bias), z0 = _mm512_loadu_si512(kzp);
  const __m512i zo = _mm512_set1_epi16((int16_t)o->zero_point);
  const __m512i vmin = _mm512_set1_epi8((char)o->min), vmax = _mm512_set1_epi8((char)o->max);
  const __m512 hi = _mm512_set1_ps(o->max_less_zero_point);
  const __mmask16 store = (__mmask16)(((uint32_t)1 << nc) - 1);
  for (size_t r = 0; r < mr; r += 4) {
    /* Missing rows repeat the last one and are stored first, so the real one wins. */
    size_t rows[4];
    for (size_t i = 0; i < 4; i++) rows[i] = r + i < mr ? r + i : mr - 1;
    __m512i v[4];
    for (size_t i = 0; i < 4; i++) {
      v[i] = _mm512_add_epi32(_mm512_load_si512(&acc[rows[i]][0]), b0);
      if (rowsum != NULL) v[i] = _mm512_add_epi32(v[i], _mm512_mullo_epi32(_mm512_set1_epi32(rowsum[rows[i]]), z0));
    }
    const __m512i out =
        edge_output4_avx512(edge_fp32_avx512(CLAMP, v[0], scale, hi), edge_fp32_avx512(CLAMP, v[1], scale, hi),
                            edge_fp32_avx512(CLAMP, v[2], scale, hi), edge_fp32_avx512(CLAMP, v[3], scale, hi), zo,
                            vmin, vmax);
    _mm_mask_storeu_epi8(c + rows[3] * c_stride, store, _mm512_extracti32x4_epi32(out, 3));
    _mm_mask_storeu_epi8(c + rows[2] * c_stride, store, _mm512_extracti32x4_epi32(out, 2));
    _mm_mask_storeu_epi8(c + rows[1] * c_stride, store, _mm512_extracti32x4_epi32(out, 1));
    _mm_mask_storeu_epi8(c + rows[0] * c_stride, store, _mm512_castsi512_si128(out));
  }
}

void qu8_gemm_32x32c4__amx(size_t mr, size_t nc, size_t kc, const void *a, size_t a_stride, const int32_t *rowsum,
                           const void *w, uint8_t *c, size_t c_stride, const struct edge_output_params *o) {
  const uint8_t *wk = (const uint8_t *)w + 3 * 32 * sizeof(int32_t);
  const uint8_t *a0 = a, *a1 = a0 + 16 * a_stride;

  int32_t acc[32][32] __attribute__((aligned(64)));
  if (nc <= 16) {
    _tile_zero(0);
    _tile_zero(2);
    for (size_t k = 0; k < kc; k += 64) {
      _tile_loadd(4, a0 + k, a_stride);
      _tile_loadd(5, a1 + k, a_stride);
      _tile_loadd(6, wk + k * 32, 128);
      _tile_dpbusd(0, 4, 6);
      _tile_dpbusd(2, 5, 6);
    }
    _tile_stored(0, &acc[0][0], 128);
    _tile_stored(2, &acc[16][0], 128);
    if (o->clamp_in_float) output16(true, acc, mr, nc, rowsum, w, c, c_stride, o);
    else output16(false, acc, mr, nc, rowsum, w, c, c_stride, o);
    return;
  }
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (size_t k = 0; k < kc; k += 64) {
    const uint8_t *b = wk + k * 32;
    _tile_loadd(4, a0 + k, a_stride);
    _tile_loadd(5, a1 + k, a_stride);
    _tile_loadd(6, b, 128);
    _tile_loadd(7, b + 64, 128);
    _tile_dpbusd(0, 4, 6);
    _tile_dpbusd(1, 4, 7);
    _tile_dpbusd(2, 5, 6);
    _tile_dpbusd(3, 5, 7);
  }
  _tile_stored(0, &acc[0][0], 128);
  _tile_stored(1, &acc[0][16], 128);
  _tile_stored(2, &acc[16][0], 128);
  _tile_stored(3, &acc[16][16], 128);

  if (o->clamp_in_float) output(true, acc, mr, nc, rowsum, w, c, c_stride, o);
  else output(false, acc, mr, nc, rowsum, w, c, c_stride, o);
}
