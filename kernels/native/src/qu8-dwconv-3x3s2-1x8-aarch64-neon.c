/*
 * 3x3 stride-2 depthwise for aarch64 NEON (Cortex-A53/A72/A76): 8 channels of one output
 * row, sliding along it. As in the stride-1 kernel the 9 weight vectors and the widened
 * 3x3 window stay in registers; a pixel's third column is the next one's first, so each
 * pixel loads and widens two new columns (12 instructions) for 18 SMLAL: 30 per 8
 * outputs against 45 for the per-pixel kernel, before the output stage.
 */
#include "qu8-dwconv-3x3-aarch64-neon.h"

/* The *_a53 variant includes this file under its own name. */
#ifndef EDGE_DW3S2_NAME
#define EDGE_DW3S2_NAME qu8_dwconv_3x3s2_1x8__aarch64_neon
#endif

/* One output row of one tile; n, the channels stored, is a constant 8 but in the tail tile. */
static inline __attribute__((always_inline)) void row_tile(const struct tile *t, size_t width, size_t channels,
                                                           size_t c0, size_t n, uint8_t *out) {
  int16x8_t p[3], q[3], r[3];
  column(t, c0, p);
  for (size_t x = 0; x < width; x++) {
    column(t, (2 * x + 1) * channels + c0, q);
    column(t, (2 * x + 2) * channels + c0, r);
    store(out + x * channels, n, pixel(t, p, q, r));
#pragma GCC unroll 3
    for (size_t i = 0; i < 3; i++) p[i] = r[i];
  }
}

void EDGE_DW3S2_NAME(size_t width, size_t channels, const uint8_t *const *rows, const void *w,
                                        uint8_t *output, const struct edge_output_params *o) {
  const size_t block = edge_dw_block_bytes(8, 9, EDGE_DW_I16);
  for (size_t c0 = 0; c0 < channels; c0 += 8) {
    const size_t n = EDGE_MIN(8, channels - c0);
    const struct tile t = tile_load(rows, (const int32_t *)((const uint8_t *)w + c0 / 8 * block), o);
    if (n == 8) row_tile(&t, width, channels, c0, 8, output + c0);
    else row_tile(&t, width, channels, c0, n, output + c0);
  }
}
