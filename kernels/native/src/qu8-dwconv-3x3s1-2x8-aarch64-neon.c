/*
 * 3x3 stride-1 depthwise for aarch64 NEON (Cortex-A53/A72/A76): 8 channels, sliding
 * along the row, the two output rows of a pair in turn. aarch64's 32 vector registers
 * hold a tile's 9 weight vectors (int16 w - zw), the widened window of 3 columns x 3
 * input rows and the accumulators, so each output pixel loads and widens one new column
 * (6 instructions) for 18 SMLAL: 24 instructions of loads and multiplies per 8 outputs
 * against 45 for the per-pixel kernel, which reloads and rewidens all 9 taps and their
 * weights (the output stage comes on top of both).
 */
#include "qu8-dwconv-3x3-aarch64-neon.h"

/* The *_a53 variant includes this file under its own name. */
#ifndef EDGE_DW3S1_NAME
#define EDGE_DW3S1_NAME qu8_dwconv_3x3s1_2x8__aarch64_neon
#endif

/* One output row of one tile from the tile's input rows; n, the channels stored, is a constant 8 but in
   the tail tile. */
static inline __attribute__((always_inline)) void row_tile(const struct tile *t, size_t width, size_t channels,
                                                           size_t c0, size_t n, uint8_t *out) {
  /* Three window columns take turns as the newest, so none is ever copied. */
  int16x8_t p[3], q[3], r[3];
  column(t, c0, p);
  column(t, channels + c0, q);
  size_t x = 0;
  for (; x + 3 <= width; x += 3) {
    column(t, (x + 2) * channels + c0, r);
    store(out + x * channels, n, pixel(t, p, q, r));
    column(t, (x + 3) * channels + c0, p);
    store(out + (x + 1) * channels, n, pixel(t, q, r, p));
    column(t, (x + 4) * channels + c0, q);
    store(out + (x + 2) * channels, n, pixel(t, r, p, q));
  }
  for (; x < width; x++) {
    column(t, (x + 2) * channels + c0, r);
    store(out + x * channels, n, pixel(t, p, q, r));
#pragma GCC unroll 3
    for (size_t i = 0; i < 3; i++) p[i] = q[i], q[i] = r[i];
  }
}

static inline __attribute__((always_inline)) void rows_tile(const struct tile *t, size_t width, size_t channels,
                                                            size_t c0, size_t n, uint8_t *out) {
  if (n == 8) row_tile(t, width, channels, c0, 8, out);
  else row_tile(t, width, channels, c0, n, out);
}

void EDGE_DW3S1_NAME(size_t bytes, size_t channels, const uint8_t *const *rows, const void *w,
                                        size_t tiles, uint8_t *top, uint8_t *bottom,
                                        const struct edge_output_params *o) {
  const size_t width = bytes / channels;
  const size_t block = edge_dw_block_bytes(8, 9, EDGE_DW_I16);
  for (size_t i = 0; i < tiles; i++) {
    const size_t c0 = i * 8, n = EDGE_MIN(8, channels - c0);
    struct tile t = tile_load(rows, (const int32_t *)((const uint8_t *)w + i * block), o);
    rows_tile(&t, width, channels, c0, n, top + c0);
    if (bottom == NULL) continue;
    for (size_t r = 0; r < 3; r++) t.rows[r] = rows[r + 1];
    rows_tile(&t, width, channels, c0, n, bottom + c0);
  }
}
