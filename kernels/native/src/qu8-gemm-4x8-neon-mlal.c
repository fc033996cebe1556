/*
 * GEMM micro-kernel for armv7 NEON (32-bit Raspberry Pi OS): 4 rows x 8 columns, int16
 * (w - zw) weights, widening multiply-accumulate by lane. Per column group of 8 and k:
 * one 16-byte weight load feeds 8 vmlal across the 4 rows. aarch64 runs the 4x16 tile.
 */
#include <arm_neon.h>

#include "kernel-table.h"
#include "requantize.h"

#define MLAL_LANE(half, lane)                                                  \
  do {                                                                         \
    int16x8_t vb = vld1q_s16(wk);                                              \
    wk += 8;                                                                   \
    acc0l = vmlal_lane_s16(acc0l, vget_low_s16(vb), half(va0), lane);          \
    acc0h = vmlal_lane_s16(acc0h, vget_high_s16(vb), half(va0), lane);         \
    acc1l = vmlal_lane_s16(acc1l, vget_low_s16(vb), half(va1), lane);          \
    acc1h = vmlal_lane_s16(acc1h, vget_high_s16(vb), half(va1), lane);         \
    acc2l = vmlal_lane_s16(acc2l, vget_low_s16(vb), half(va2), lane);          \
    acc2h = vmlal_lane_s16(acc2h, vget_high_s16(vb), half(va2), lane);         \
    acc3l = vmlal_lane_s16(acc3l, vget_low_s16(vb), half(va3), lane);          \
    acc3h = vmlal_lane_s16(acc3h, vget_high_s16(vb), half(va3), lane);         \
  } while (0)

static inline int16x8_t widen(const uint8_t *p) { return vreinterpretq_s16_u16(vmovl_u8(vld1_u8(p))); }

void qu8_gemm_4x8__neon_mlal(size_t mr, size_t nc, size_t kc, const void *a, size_t a_stride,
                             const int32_t *rowsum, const void *w, uint8_t *c, size_t c_stride,
                             const struct edge_output_params *o) {
  (void)rowsum; /* EDGE_W_I16 never needs the row sums */
  /* Missing rows repeat the last one; their stores rewrite the same bytes. */
  const uint8_t *a0 = a;
  const uint8_t *a1 = mr > 1 ? a0 + a_stride : a0;
  const uint8_t *a2 = mr > 2 ? a1 + a_stride : a1;
  const uint8_t *a3 = mr > 3 ? a2 + a_stride : a2;
  uint8_t *c1 = mr > 1 ? c + c_stride : c;
  uint8_t *c2 = mr > 2 ? c1 + c_stride : c1;
  uint8_t *c3 = mr > 3 ? c2 + c_stride : c2;

  const int32_t *bias = w;
  const float *scale = (const float *)(bias + 2 * 8);
  const int16_t *wk = (const int16_t *)(scale + 8);
  int32x4_t acc0l = vld1q_s32(bias), acc0h = vld1q_s32(bias + 4);
  int32x4_t acc1l = acc0l, acc1h = acc0h, acc2l = acc0l, acc2h = acc0h, acc3l = acc0l, acc3h = acc0h;

  size_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    int16x8_t va0 = widen(a0 + k), va1 = widen(a1 + k), va2 = widen(a2 + k), va3 = widen(a3 + k);
    MLAL_LANE(vget_low_s16, 0);
    MLAL_LANE(vget_low_s16, 1);
    MLAL_LANE(vget_low_s16, 2);
    MLAL_LANE(vget_low_s16, 3);
    MLAL_LANE(vget_high_s16, 0);
    MLAL_LANE(vget_high_s16, 1);
    MLAL_LANE(vget_high_s16, 2);
    MLAL_LANE(vget_high_s16, 3);
  }
  for (; k < kc; k++) {
    int16x8_t vb = vld1q_s16(wk);
    wk += 8;
    acc0l = vmlal_n_s16(acc0l, vget_low_s16(vb), a0[k]);
    acc0h = vmlal_n_s16(acc0h, vget_high_s16(vb), a0[k]);
    acc1l = vmlal_n_s16(acc1l, vget_low_s16(vb), a1[k]);
    acc1h = vmlal_n_s16(acc1h, vget_high_s16(vb), a1[k]);
    acc2l = vmlal_n_s16(acc2l, vget_low_s16(vb), a2[k]);
    acc2h = vmlal_n_s16(acc2h, vget_high_s16(vb), a2[k]);
    acc3l = vmlal_n_s16(acc3l, vget_low_s16(vb), a3[k]);
    acc3h = vmlal_n_s16(acc3h, vget_high_s16(vb), a3[k]);
  }

  const int16x8_t zo = vdupq_n_s16((int16_t)o->zero_point);
  const uint8x8_t vmin = vdup_n_u8(o->min), vmax = vdup_n_u8(o->max);
  const float32x4_t lo = vdupq_n_f32(o->min_less_zero_point), hi = vdupq_n_f32(o->max_less_zero_point);
  const float32x4_t s0 = vld1q_f32(scale), s1 = vld1q_f32(scale + 4);
#define ROW(acc_l, acc_h) \
  edge_output_neon(edge_fp32_neon(acc_l, s0, lo, hi), edge_fp32_neon(acc_h, s1, lo, hi), zo, vmin, vmax)
  edge_store8_neon(c3, nc, ROW(acc3l, acc3h));
  edge_store8_neon(c2, nc, ROW(acc2l, acc2h));
  edge_store8_neon(c1, nc, ROW(acc1l, acc1h));
  edge_store8_neon(c, nc, ROW(acc0l, acc0h));
#undef ROW
}
