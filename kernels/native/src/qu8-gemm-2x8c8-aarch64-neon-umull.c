/*
 * GEMM micro-kernel for aarch64 NEON without dot product (Cortex-A53/A72 of the Pi Zero 2,
 * 3 and 4): 2 rows x 8 columns, raw uint8 weights in groups of 8 k (c8), 8-bit multiplies.
 * UMULL multiplies 8 bytes of a row by 8 bytes of a column into 8 uint16 products
 * (255 * 255 fits), and UADALP adds them pairwise into 4 uint32 lanes of that row and
 * column, summed across lanes at the end. That is 8 MACs per multiply instruction against
 * 4 for the int16 SMLAL kernel (qu8-gemm-4x16-aarch64-neon-mlal.c, the neon-mlal path),
 * with the accumulation moved to a separate instruction that needs no multiplier. The
 * sums are of x * w, so the weight zero point comes back as -zw * rowsum(x) (kzp = -zw),
 * as for UDOT. 16 accumulators, 2 rows and the 8 weight columns fit aarch64's 32 vector
 * registers; GCC's schedule, all 16 multiplies before their accumulates (what an in-order
 * A53 needs to hide their latency), spills one accumulator per 128 MACs.
 */
#include <arm_neon.h>

#include "kernel-table.h"
#include "requantize.h"

/* Columns 0-3 or 4-7 of one row: each accumulator's 4 lanes summed, bias and kzp added. */
static inline int32x4_t reduce4(const uint32x4_t acc[4], const int32_t *bias, const int32_t *kzp,
                                const int32_t *rowsum, size_t r) {
  const uint32x4_t sums = vpaddq_u32(vpaddq_u32(acc[0], acc[1]), vpaddq_u32(acc[2], acc[3]));
  int32x4_t v = vaddq_s32(vreinterpretq_s32_u32(sums), vld1q_s32(bias));
  if (rowsum != NULL) v = vmlaq_n_s32(v, vld1q_s32(kzp), rowsum[r]);
  return v;
}

void qu8_gemm_2x8c8__aarch64_neon_umull(size_t mr, size_t nc, size_t kc, const void *a, size_t a_stride,
                                        const int32_t *rowsum, const void *w, uint8_t *c, size_t c_stride,
                                        const struct edge_output_params *o) {
  /* A missing second row repeats the first; its store rewrites the same bytes. */
  const uint8_t *a0 = a, *a1 = mr > 1 ? a0 + a_stride : a0;
  uint8_t *c0 = c, *c1 = mr > 1 ? c0 + c_stride : c0;
  const int32_t *bias = w;
  const int32_t *kzp = bias + 8;
  const float *scale = (const float *)(bias + 2 * 8);
  const uint8_t *wk = (const uint8_t *)(scale + 8);

  uint32x4_t acc0[8], acc1[8];
  for (size_t j = 0; j < 8; j++) acc0[j] = acc1[j] = vdupq_n_u32(0);
  for (size_t k = 0; k < kc; k += 8) {
    const uint8x8_t x0 = vld1_u8(a0 + k), x1 = vld1_u8(a1 + k);
#pragma GCC unroll 8
    for (size_t j = 0; j < 8; j++) {
      const uint8x8_t wj = vld1_u8(wk + 8 * j);
      acc0[j] = vpadalq_u16(acc0[j], vmull_u8(wj, x0));
      acc1[j] = vpadalq_u16(acc1[j], vmull_u8(wj, x1));
    }
    wk += 64;
  }

  const int16x8_t zo = vdupq_n_s16((int16_t)o->zero_point);
  const uint8x8_t vmin = vdup_n_u8(o->min), vmax = vdup_n_u8(o->max);
  const float32x4_t lo = vdupq_n_f32(o->min_less_zero_point), hi = vdupq_n_f32(o->max_less_zero_point);
  const float32x4_t s_lo = vld1q_f32(scale), s_hi = vld1q_f32(scale + 4);
  const uint32x4_t *acc[2] = {acc0, acc1};
  uint8_t *out[2] = {c0, c1};
  for (size_t r = 2; r-- > 0;) {
    const size_t row = r < mr ? r : mr - 1;
    const int32x4_t v_lo = edge_fp32_neon(reduce4(acc[r], bias, kzp, rowsum, row), s_lo, lo, hi);
    const int32x4_t v_hi = edge_fp32_neon(reduce4(acc[r] + 4, bias + 4, kzp + 4, rowsum, row), s_hi, lo, hi);
    edge_store8_neon(out[r], nc, edge_output_neon(v_lo, v_hi, zo, vmin, vmax));
  }
}
