/*
 * GEMM micro-kernel for armv7 NEON (32-bit Raspberry Pi OS): 2 rows x 4 columns, raw
 * uint8 weights in groups of 8 k (c8), 8-bit multiplies, as the aarch64 2x8c8 kernel:
 * VMULL.U8 of 8 bytes of a row and of a column gives 8 uint16 products, VPADAL.U16 adds
 * them pairwise into 4 uint32 lanes, summed across lanes at the end; the weight zero
 * point comes back as -zw * rowsum(x). 8 MACs per multiply instruction against 4 for the
 * int16 kernel (qu8-gemm-4x8-neon-mlal.c). armv7's 16 quad registers hold the 8
 * accumulators, the two rows, the 4 weight columns and the products in flight.
 */
#include <arm_neon.h>
#include <string.h>

#include "kernel-table.h"
#include "requantize.h"

/* The 4 columns of one row: each accumulator's 4 lanes summed, kzp added. */
static inline int32x4_t reduce4(uint32x4_t c0, uint32x4_t c1, uint32x4_t c2, uint32x4_t c3, const int32_t *kzp,
                                const int32_t *rowsum, size_t r) {
  const uint32x2_t s01 = vpadd_u32(vadd_u32(vget_low_u32(c0), vget_high_u32(c0)), vadd_u32(vget_low_u32(c1), vget_high_u32(c1)));
  const uint32x2_t s23 = vpadd_u32(vadd_u32(vget_low_u32(c2), vget_high_u32(c2)), vadd_u32(vget_low_u32(c3), vget_high_u32(c3)));
  int32x4_t v = vreinterpretq_s32_u32(vcombine_u32(s01, s23));
  if (rowsum != NULL) v = vmlaq_n_s32(v, vld1q_s32(kzp), rowsum[r]);
  return v;
}

/* Column j of the group at wk against both rows. GCC keeps named accumulators in
   registers on armv7 where an array of them goes through memory every iteration. */
#define COLUMN(j)                                              \
  do {                                                         \
    const uint8x8_t wj = vld1_u8(wk + 8 * (j));                \
    acc0_##j = vpadalq_u16(acc0_##j, vmull_u8(wj, x0));        \
    acc1_##j = vpadalq_u16(acc1_##j, vmull_u8(wj, x1));        \
  } while (0)

void qu8_gemm_2x4c8__neon_umull(size_t mr, size_t nc, size_t kc, const void *a, size_t a_stride,
                                const int32_t *rowsum, const void *w, uint8_t *c, size_t c_stride,
                                const struct edge_output_params *o) {
  /* A missing second row repeats the first; its store rewrites the same bytes. */
  const uint8_t *a0 = a, *a1 = mr > 1 ? a0 + a_stride : a0;
  uint8_t *c0 = c, *c1 = mr > 1 ? c0 + c_stride : c0;
  const int32_t *bias = w;
  const int32_t *kzp = bias + 4;
  const float *scale = (const float *)(bias + 2 * 4);
  const uint8_t *wk = (const uint8_t *)(scale + 4);

  /* Each accumulator starts as its column's bias, in lane 0 for row 0 and lane 1 for row
     1: eight distinct starting values, which GCC cannot merge into one and then copy into
     eight registers on every iteration, as it does with eight zeros. */
  const uint32x4_t zero = vdupq_n_u32(0);
#define START(j, lane) vsetq_lane_u32((uint32_t)bias[j], zero, lane)
  uint32x4_t acc0_0 = START(0, 0), acc0_1 = START(1, 0), acc0_2 = START(2, 0), acc0_3 = START(3, 0);
  uint32x4_t acc1_0 = START(0, 1), acc1_1 = START(1, 1), acc1_2 = START(2, 1), acc1_3 = START(3, 1);
#undef START
  for (size_t k = 0; k < kc; k += 8) {
    const uint8x8_t x0 = vld1_u8(a0 + k), x1 = vld1_u8(a1 + k);
    COLUMN(0);
    COLUMN(1);
    COLUMN(2);
    COLUMN(3);
    wk += 32;
  }

  const int16x8_t zo = vdupq_n_s16((int16_t)o->zero_point);
  const uint8x8_t vmin = vdup_n_u8(o->min), vmax = vdup_n_u8(o->max);
  const float32x4_t lo = vdupq_n_f32(o->min_less_zero_point), hi = vdupq_n_f32(o->max_less_zero_point);
  const float32x4_t s = vld1q_f32(scale);
  const int32x4_t v0 = edge_fp32_neon(reduce4(acc0_0, acc0_1, acc0_2, acc0_3, kzp, rowsum, 0), s, lo, hi);
  const int32x4_t v1 = edge_fp32_neon(reduce4(acc1_0, acc1_1, acc1_2, acc1_3, kzp, rowsum, mr > 1 ? 1 : 0), s, lo, hi);
  /* Both rows narrowed together: bytes 0-3 are row 0, 4-7 row 1. */
  const uint8x8_t bytes = edge_output_neon(v0, v1, zo, vmin, vmax);
  uint8_t tmp[8];
  vst1_u8(tmp, bytes);
  memcpy(c1, tmp + 4, nc);
  memcpy(c0, tmp, nc);
}
