/*
 * What the sliding-window 3x3 depthwise kernels for aarch64 NEON share: loading and
 * widening one window column, one output pixel of 8 channels from three columns, and a
 * channel-tail store, all forced inline so the window stays in registers.
 */
#pragma once

#include <arm_neon.h>

#include "kernel-table.h"
#include "requantize.h"

static inline __attribute__((always_inline)) void column(const uint8_t *const *rows, size_t at, int16x8_t col[3]) {
#pragma GCC unroll 3
  for (size_t r = 0; r < 3; r++) col[r] = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(rows[r] + at)));
}

/* Output pixel of 8 channels from window columns a, b, c. */
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

/* The 9 weight vectors of one 8-channel tile, after its 8 biases and 8 scales. */
static inline __attribute__((always_inline)) void weights(const int32_t *bias, int16x8_t wv[9]) {
  const int16_t *wt = (const int16_t *)(bias + 16);
#pragma GCC unroll 9
  for (size_t i = 0; i < 9; i++) wv[i] = vld1q_s16(wt + 8 * i);
}
