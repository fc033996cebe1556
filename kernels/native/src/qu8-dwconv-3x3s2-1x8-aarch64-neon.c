/*
 * 3x3 stride-2 depthwise for aarch64 NEON (Cortex-A53/A72/A76): 8 channels of one output
 * row, sliding along it. As in the stride-1 kernel the 9 weight vectors and the widened
 * 3x3 window stay in registers; a pixel's third column is the next one's first, so each
 * pixel loads and widens two new columns (12 instructions) for 18 SMLAL: 30 per 8
 * outputs against 45 for the per-pixel kernel.
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
    const int16_t *wt = (const int16_t *)(bias + 16);
    int16x8_t wv[9];
#pragma GCC unroll 9
    for (size_t i = 0; i < 9; i++) wv[i] = vld1q_s16(wt + 8 * i);
    row_tile(width, channels, c0, n, rows, wv, bias, scale, output + c0, o);
  }
}
