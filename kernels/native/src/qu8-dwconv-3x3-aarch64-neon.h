/*
 * What the sliding-window 3x3 depthwise kernels for aarch64 NEON share: a tile's
 * constants, loading and widening one window column, one output pixel of 8 channels from
 * three columns, and a channel-tail store, all forced inline so the window stays in
 * registers.
 */
#pragma once

#include <arm_neon.h>

#include "kernel-table.h"
#include "requantize.h"

/*
 * Everything a pixel reads besides its window, loaded once per tile into values: the
 * output stores go through uint8_t pointers, which may alias any memory, so whatever a
 * pixel read through a pointer (weights, bias, scale, the output parameters, the row
 * pointers) would be loaded again for every pixel.
 */
struct tile {
  const uint8_t *rows[3];
  int16x8_t wv[9];
  int32x4_t bias_lo, bias_hi;
  float32x4_t scale_lo, scale_hi, lo, hi;
  int16x8_t zo;
  uint8x8_t min, max;
};

/* The tile of 8 channels whose packing (EDGE_DW_I16: 8 biases, 8 scales, 9 weight vectors) is at bias. */
static inline __attribute__((always_inline)) struct tile tile_load(const uint8_t *const *rows, const int32_t *bias,
                                                                   const struct edge_output_params *o) {
  struct tile t;
  for (size_t r = 0; r < 3; r++) t.rows[r] = rows[r];
  const float *scale = (const float *)(bias + 8);
  const int16_t *wt = (const int16_t *)(bias + 16);
#pragma GCC unroll 9
  for (size_t i = 0; i < 9; i++) t.wv[i] = vld1q_s16(wt + 8 * i);
  t.bias_lo = vld1q_s32(bias);
  t.bias_hi = vld1q_s32(bias + 4);
  t.scale_lo = vld1q_f32(scale);
  t.scale_hi = vld1q_f32(scale + 4);
  t.lo = vdupq_n_f32(o->min_less_zero_point);
  t.hi = vdupq_n_f32(o->max_less_zero_point);
  t.zo = vdupq_n_s16((int16_t)o->zero_point);
  t.min = vdup_n_u8(o->min);
  t.max = vdup_n_u8(o->max);
  return t;
}

static inline __attribute__((always_inline)) void column(const struct tile *t, size_t at, int16x8_t col[3]) {
#pragma GCC unroll 3
  for (size_t r = 0; r < 3; r++) col[r] = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(t->rows[r] + at)));
}

#if EDGE_DW3_SHORT_CHAINS
/*
 * Output pixel of 8 channels from window columns a, b, c, for the in-order Cortex-A53
 * (the *_a53 kernels): each row of the window has its own accumulators, added at the end
 * (integer sums: the order does not change them), so that no chain is more than 3 SMLAL
 * long; in one chain of 9 the A53 waits out each multiply-accumulate's latency. The
 * out-of-order cores hide those latencies, and the 4 extra additions only cost them.
 */
static inline __attribute__((always_inline)) uint8x8_t pixel(const struct tile *t, const int16x8_t a[3],
                                                             const int16x8_t b[3], const int16x8_t c[3]) {
  int32x4_t lo[3], hi[3];
#pragma GCC unroll 3
  for (size_t ky = 0; ky < 3; ky++) {
    lo[ky] = vmull_s16(vget_low_s16(a[ky]), vget_low_s16(t->wv[ky * 3]));
    hi[ky] = vmull_high_s16(a[ky], t->wv[ky * 3]);
  }
#pragma GCC unroll 3
  for (size_t ky = 0; ky < 3; ky++) {
    lo[ky] = vmlal_s16(lo[ky], vget_low_s16(b[ky]), vget_low_s16(t->wv[ky * 3 + 1]));
    hi[ky] = vmlal_high_s16(hi[ky], b[ky], t->wv[ky * 3 + 1]);
  }
#pragma GCC unroll 3
  for (size_t ky = 0; ky < 3; ky++) {
    lo[ky] = vmlal_s16(lo[ky], vget_low_s16(c[ky]), vget_low_s16(t->wv[ky * 3 + 2]));
    hi[ky] = vmlal_high_s16(hi[ky], c[ky], t->wv[ky * 3 + 2]);
  }
  const int32x4_t sum_lo = vaddq_s32(vaddq_s32(t->bias_lo, lo[0]), vaddq_s32(lo[1], lo[2]));
  const int32x4_t sum_hi = vaddq_s32(vaddq_s32(t->bias_hi, hi[0]), vaddq_s32(hi[1], hi[2]));
  return edge_output_neon(edge_fp32_neon(sum_lo, t->scale_lo, t->lo, t->hi),
                          edge_fp32_neon(sum_hi, t->scale_hi, t->lo, t->hi), t->zo, t->min, t->max);
}
#else
/* Output pixel of 8 channels from window columns a, b, c. */
static inline __attribute__((always_inline)) uint8x8_t pixel(const struct tile *t, const int16x8_t a[3],
                                                             const int16x8_t b[3], const int16x8_t c[3]) {
  int32x4_t lo = t->bias_lo, hi = t->bias_hi;
#pragma GCC unroll 3
  for (size_t ky = 0; ky < 3; ky++) {
    lo = vmlal_s16(lo, vget_low_s16(a[ky]), vget_low_s16(t->wv[ky * 3]));
    hi = vmlal_high_s16(hi, a[ky], t->wv[ky * 3]);
    lo = vmlal_s16(lo, vget_low_s16(b[ky]), vget_low_s16(t->wv[ky * 3 + 1]));
    hi = vmlal_high_s16(hi, b[ky], t->wv[ky * 3 + 1]);
    lo = vmlal_s16(lo, vget_low_s16(c[ky]), vget_low_s16(t->wv[ky * 3 + 2]));
    hi = vmlal_high_s16(hi, c[ky], t->wv[ky * 3 + 2]);
  }
  return edge_output_neon(edge_fp32_neon(lo, t->scale_lo, t->lo, t->hi), edge_fp32_neon(hi, t->scale_hi, t->lo, t->hi),
                          t->zo, t->min, t->max);
}
#endif

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
