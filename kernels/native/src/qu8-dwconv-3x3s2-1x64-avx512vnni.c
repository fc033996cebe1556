/*
 * 3x3 stride-2 depthwise for AVX-512 VNNI: one output row, 64 channels of one pixel per
 * step. As in the stride-1 kernel, the input rows are transposed so that an int32 lane
 * holds one channel's bytes of rows 0-2 (and a fourth, zero-weighted row) and VPDPBUSD
 * does a window column per instruction. A pixel's third column is the next pixel's first,
 * so each pixel transposes two new columns: 16 byte shuffles and 12 VPDPBUSD per 64
 * outputs, against 36 zero-extensions and 36 VPDPWSSD.
 */
#include "qu8-dwconv-3x3-avx512vnni.h"

static inline __attribute__((always_inline)) void column(const bool CORRECTED, __m512i acc[4], const __m512i u[4],
                                                         const struct edge_dw3x3_pattern *pw, size_t kx) {
#pragma GCC unroll 4
  for (size_t i = 0; i < 4; i++) {
    acc[i] = _mm512_dpbusd_epi32(acc[i], u[i], _mm512_load_si512(pw->up[kx][i]));
    if (CORRECTED) acc[i] = _mm512_dpbusd_epi32(acc[i], u[i], _mm512_load_si512(pw->kz_up[i]));
  }
}

/* Channels c0 .. c0 + 63 of every pixel of the row. */
static inline __attribute__((always_inline)) void chunk(const bool CLAMP, const bool CORRECTED, size_t width,
                                                        size_t channels,
                                                        size_t c0, const uint8_t *const *rows,
                                                        const struct edge_dw3x3_pattern *pw, uint8_t *output,
                                                        __mmask64 mask, __m512 hi, __m512i zo, __m512i vmin,
                                                        __m512i vmax) {
  __m512i next[4];
  transpose4(rows, c0, next);
  for (size_t x = 0; x < width; x++) {
    __m512i acc[4], u[4];
#pragma GCC unroll 4
    for (size_t i = 0; i < 4; i++) acc[i] = _mm512_load_si512(pw->bias[i]);
    column(CORRECTED, acc, next, pw, 0);
    transpose4(rows, (2 * x + 1) * channels + c0, u);
    column(CORRECTED, acc, u, pw, 1);
    transpose4(rows, (2 * x + 2) * channels + c0, next);
    column(CORRECTED, acc, next, pw, 2);
    __m512i y[4];
#pragma GCC unroll 4
    for (size_t i = 0; i < 4; i++) y[i] = edge_fp32_avx512(CLAMP, acc[i], pw->scale[i], hi);
    _mm512_mask_storeu_epi8(output + x * channels + c0, mask, edge_output_transposed_avx512(y, zo, vmin, vmax));
  }
}

/*
 * 8, 16 or 32 channels: 64 / C pixels per vector. Their inputs for tap column kx are
 * every other pixel from 2 x + kx on: two loads per row and one qword permute gather
 * them (idx: the qwords of the even pixels of the 128 bytes loaded).
 */
static inline __attribute__((always_inline)) void gather4(const uint8_t *const *rows, size_t b, __m512i idx,
                                                          __m512i u[4]) {
  __m512i r[4];
#pragma GCC unroll 4
  for (size_t i = 0; i < 4; i++) {
    r[i] = _mm512_permutex2var_epi64(_mm512_loadu_si512(rows[i] + b), idx, _mm512_loadu_si512(rows[i] + b + 64));
  }
  interleave4(r, u);
}

static inline __attribute__((always_inline)) void packed(const bool CLAMP, const bool CORRECTED, size_t width,
                                                         size_t channels, const uint8_t *const *rows,
                                                         const struct edge_dw3x3_pattern *pw, uint8_t *output,
                                                         __m512 hi, __m512i zo, __m512i vmin, __m512i vmax) {
  const size_t per = 64 / channels; /* pixels per vector */
  const __m512i idx = channels == 32   ? _mm512_set_epi64(11, 10, 9, 8, 3, 2, 1, 0)
                      : channels == 16 ? _mm512_set_epi64(13, 12, 9, 8, 5, 4, 1, 0)
                                       : _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
  for (size_t x = 0; x < width; x += per) {
    __m512i acc[4], u[4];
#pragma GCC unroll 4
    for (size_t i = 0; i < 4; i++) acc[i] = _mm512_load_si512(pw->bias[i]);
#pragma GCC unroll 3
    for (size_t kx = 0; kx < 3; kx++) {
      gather4(rows, (2 * x + kx) * channels, idx, u);
      column(CORRECTED, acc, u, pw, kx);
    }
    __m512i y[4];
#pragma GCC unroll 4
    for (size_t i = 0; i < 4; i++) y[i] = edge_fp32_avx512(CLAMP, acc[i], pw->scale[i], hi);
    const size_t bytes = EDGE_MIN(per, width - x) * channels;
    const __mmask64 mask = bytes >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << bytes) - 1);
    _mm512_mask_storeu_epi8(output + x * channels, mask, edge_output_transposed_avx512(y, zo, vmin, vmax));
  }
}

void qu8_dwconv_3x3s2_1x64__avx512vnni(size_t width, size_t channels, const uint8_t *const *rows, const void *w,
                                       uint8_t *output, const struct edge_output_params *o) {
  const __m512i zo = _mm512_set1_epi16((int16_t)o->zero_point);
  const __m512i vmin = _mm512_set1_epi8((char)o->min), vmax = _mm512_set1_epi8((char)o->max);
  const __m512 hi = _mm512_set1_ps(o->max_less_zero_point);
  const struct edge_dw3x3_pattern *pw = w;
  if (EDGE_DW3S2_PACKED(channels)) {
    const bool clamp = o->clamp_in_float, corrected = pw->corrected != 0;
    if (clamp && corrected) packed(true, true, width, channels, rows, pw, output, hi, zo, vmin, vmax);
    else if (clamp) packed(true, false, width, channels, rows, pw, output, hi, zo, vmin, vmax);
    else if (corrected) packed(false, true, width, channels, rows, pw, output, hi, zo, vmin, vmax);
    else packed(false, false, width, channels, rows, pw, output, hi, zo, vmin, vmax);
    return;
  }
  for (size_t c0 = 0; c0 < channels; c0 += 64, pw++) {
    const __mmask64 mask = channels - c0 >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (channels - c0)) - 1);
    /* Only a chunk holding a channel whose w - zw does not fit int8 pays for the correction. */
    const bool clamp = o->clamp_in_float, corrected = pw->corrected != 0;
    if (clamp && corrected) chunk(true, true, width, channels, c0, rows, pw, output, mask, hi, zo, vmin, vmax);
    else if (clamp) chunk(true, false, width, channels, c0, rows, pw, output, mask, hi, zo, vmin, vmax);
    else if (corrected) chunk(false, true, width, channels, c0, rows, pw, output, mask, hi, zo, vmin, vmax);
    else chunk(false, false, width, channels, c0, rows, pw, output, mask, hi, zo, vmin, vmax);
  }
}
