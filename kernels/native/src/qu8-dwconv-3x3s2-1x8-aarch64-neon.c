/*
 * 3x3 stride-2 depthwise for aarch64 NEON (Cortex-A53/A72/A76): 8 channels of one output
 * row, sliding along it. As in the stride-1 kernel the 9 weight vectors and the widened
 * 3x3 window stay in registers; a pixel's third column is the next one's first, so each
 * pixel loads and widens two new columns (12 instructions) for 18 SMLAL: 30 per 8
 * outputs against 45 for the per-pixel kernel.
 */
#include "qu8-dwconv-3x3-aarch64-neon.h"

/* One output row of one tile from input rows rows[0..2]. */
static void row_tile(size_t width, size_t channels, size_t c0, size_t n, const uint8_t *const *rows,
                     const int16x8_t wv[9], const int32_t *bias, const float *scale, uint8_t *out,
                     const struct edge_output_params *o) {
  int16x8_t p[3], q[3], r[3];
  column(rows, c0, p);
  for (size_t x = 0; x < width; x++) {
    column(rows, (2 * x + 1) * channels + c0, q);
    column(rows, (2 * x + 2) * channels + c0, r);
    store(out + x * channels, n, pixel(p, q, r, wv, bias, scale, o));
#pragma GCC unroll 3
    for (size_t i = 0; i < 3; i++) p[i] = r[i];
  }
}

void qu8_dwconv_3x3s2_1x8__aarch64_neon(size_t width, size_t channels, const uint8_t *const *rows, const void *w,
                                        uint8_t *output, const struct edge_output_params *o) {
  const size_t block = edge_dw_block_bytes(8, 9, EDGE_DW_I16);
  for (size_t c0 = 0; c0 < channels; c0 += 8) {
    const size_t n = EDGE_MIN(8, channels - c0);
    const int32_t *bias = (const int32_t *)((const uint8_t *)w + c0 / 8 * block);
    const float *scale = (const float *)(bias + 8);
    int16x8_t wv[9];
    weights(bias, wv);
    row_tile(width, channels, c0, n, rows, wv, bias, scale, output + c0, o);
  }
}
