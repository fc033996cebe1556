/*
 * 3x3 stride-1 depthwise for aarch64 NEON (Cortex-A53/A72/A76): 8 channels, sliding
 * along the row, the two output rows of a pair in turn. aarch64's 32 vector registers
 * hold a tile's 9 weight vectors (int16 w - zw), the widened window of 3 columns x 3
 * input rows and the accumulators, so each output pixel loads and widens one new column
 * (6 instructions) for 18 SMLAL: 24 instructions per 8 outputs against 45 for the
 * per-pixel kernel, which reloads and rewidens all 9 taps and their weights.
 */
#include <arm_neon.h>

#include "kernel-table.h"
#include "requantize.h"

static inline __attribute__((always_inline)) void column(const uint8_t *const *rows, size_t at, int16x8_t col[3]) {
#pragma GCC unroll 3
  for (size_t r = 0; r < 3; r++) col[r] = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(rows[r] + at)));
}

/* Output pixel from window columns a, b, c; the weights are reloaded from w when needed. */
static inline __attribute__((always_inline)) uint8x8_t pixel(const int16x8_t a[3], const int16x8_t b[3],
                                                             const int16x8_t c[3], const int16x8_t wv[9],
                                                             const int32_t *bias, const float *scale,
                                                             const struct edge_output_params *o) {
  int32x4_t lo = vld1q_s32(bias), hi = vld1q_s32(bias + 4);
#pragma GCC unroll 3
  for (size_t ky = 0; ky < 3; ky++) {
    lo = vmlal_s16(lo, vget_low_s16(a[ky]), vget_low_s16(wv[ky * 3]));
    hi = vmlal_high_s16(hi, a[ky], wv[ky * 3]);
    lo = vmlal_s16(lo, vget_low_s16(b[ky]), vget_low_s16(wv[ky * 3 + 1]));
    hi = vmlal_high_s16(hi, b[ky], wv[ky * 3 + 1]);
    lo = vmlal_s16(lo, vget_low_s16(c[ky]), vget_low_s16(wv[ky * 3 + 2]));
    hi = vmlal_high_s16(hi, c[ky], wv[ky * 3 + 2]);
  }
  const float32x4_t lo_f = vdupq_n_f32(o->min_less_zero_point), hi_f = vdupq_n_f32(o->max_less_zero_point);
  return edge_output_neon(edge_fp32_neon(lo, vld1q_f32(scale), lo_f, hi_f),
                          edge_fp32_neon(hi, vld1q_f32(scale + 4), lo_f, hi_f), vdupq_n_s16((int16_t)o->zero_point),
                          vdup_n_u8(o->min), vdup_n_u8(o->max));
}

/* n of 8 bytes, lane by lane for a channel tail: a call to memcpy would spill the window. */
static inline __attribute__((always_inline)) void store(uint8_t *out, size_t n, uint8x8_t v) {
  switch (n) {
    case 8: vst1_u8(out, v); break;
    case 7: vst1_lane_u8(out + 6, v, 6); /* fall through */
    case 6: vst1_lane_u8(out + 5, v, 5); /* fall through */
    case 5: vst1_lane_u8(out + 4, v, 4); /* fall through */
    case 4: vst1_lane_u8(out + 3, v, 3); /* fall through */
    case 3: vst1_lane_u8(out + 2, v, 2); /* fall through */
    case 2: vst1_lane_u8(out + 1, v, 1); /* fall through */
    default: vst1_lane_u8(out, v, 0);
  }
}

/* One output row of one tile from input rows rows[0..2]. */
static void row_tile(size_t width, size_t channels, size_t c0, size_t n, const uint8_t *const *rows,
                     const int16x8_t wv[9], const int32_t *bias, const float *scale, uint8_t *out,
                     const struct edge_output_params *o) {
  /* Three window columns take turns as the newest, so none is ever copied. */
  int16x8_t p[3], q[3], r[3];
  column(rows, c0, p);
  column(rows, channels + c0, q);
  size_t x = 0;
  for (; x + 3 <= width; x += 3) {
    column(rows, (x + 2) * channels + c0, r);
    store(out + x * channels, n, pixel(p, q, r, wv, bias, scale, o));
    column(rows, (x + 3) * channels + c0, p);
    store(out + (x + 1) * channels, n, pixel(q, r, p, wv, bias, scale, o));
    column(rows, (x + 4) * channels + c0, q);
    store(out + (x + 2) * channels, n, pixel(r, p, q, wv, bias, scale, o));
  }
  for (; x < width; x++) {
    column(rows, (x + 2) * channels + c0, r);
    store(out + x * channels, n, pixel(p, q, r, wv, bias, scale, o));
#pragma GCC unroll 3
    for (size_t i = 0; i < 3; i++) p[i] = q[i], q[i] = r[i];
  }
}

void qu8_dwconv_3x3s1_2x8__aarch64_neon(size_t bytes, size_t channels, const uint8_t *const *rows, const void *w,
                                        size_t tiles, uint8_t *top, uint8_t *bottom,
                                        const struct edge_output_params *o) {
  const size_t width = bytes / channels;
  const size_t block = edge_dw_block_bytes(8, 9, EDGE_DW_I16);
  for (size_t t = 0; t < tiles; t++) {
    const size_t c0 = t * 8, n = EDGE_MIN(8, channels - c0);
    const int32_t *bias = (const int32_t *)((const uint8_t *)w + t * block);
    const float *scale = (const float *)(bias + 8);
    const int16_t *wt = (const int16_t *)(bias + 16);
    int16x8_t wv[9];
#pragma GCC unroll 9
    for (size_t i = 0; i < 9; i++) wv[i] = vld1q_s16(wt + 8 * i);
    row_tile(width, channels, c0, n, rows, wv, bias, scale, top + c0, o);
    if (bottom != NULL) row_tile(width, channels, c0, n, rows + 1, wv, bias, scale, bottom + c0, o);
  }
}
