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
 * registers. GCC's generic schedule puts all 16 multiplies before their accumulates and
 * spills one accumulator per 128 MACs; its Cortex-A72 schedule interleaves them without a
 * spill, and on the llvm-mca models (npm run bench:arm) runs faster on the A53 as well as
 * on the A72 (48 and 16.2 cycles per 128 MACs against 55 and 18.2), so the kernel is
 * tuned for the A72 whatever the build's -mtune.
 *
 * The output stage is written out for both rows, with every index a constant, so that
 * the accumulators stay in registers from the first k to the store, and the kernel walks
 * all the column blocks of a call itself (n_loop): on v2's small-k layers (16 to 32
 * channels, 2 to 4 groups of k) a tile's set-up and output cost more than its loop.
 */
#include <arm_neon.h>

#include "kernel-table.h"
#include "requantize.h"

/* Columns 0-3 or 4-7 of one row: each accumulator's 4 lanes summed, bias added. */
static inline int32x4_t reduce4(uint32x4_t a0, uint32x4_t a1, uint32x4_t a2, uint32x4_t a3, int32x4_t bias) {
  return vaddq_s32(vreinterpretq_s32_u32(vpaddq_u32(vpaddq_u32(a0, a1), vpaddq_u32(a2, a3))), bias);
}

__attribute__((target("tune=cortex-a72"))) void qu8_gemm_2x8c8__aarch64_neon_umull(
    size_t mr, size_t nc, size_t kc, const void *a, size_t a_stride, const int32_t *rowsum, const void *w, uint8_t *c,
    size_t c_stride, const struct edge_output_params *o) {
  /* A missing second row repeats the first; its store rewrites the same bytes. */
  const uint8_t *a0 = a, *a1 = mr > 1 ? a0 + a_stride : a0;
  uint8_t *c0 = c, *c1 = mr > 1 ? c0 + c_stride : c0;
  const size_t block_bytes = edge_gemm_block_bytes(8, kc, EDGE_W_U8);
  const int16x8_t zo = vdupq_n_s16((int16_t)o->zero_point);
  const uint8x8_t vmin = vdup_n_u8(o->min), vmax = vdup_n_u8(o->max);
  const float32x4_t lo = vdupq_n_f32(o->min_less_zero_point), hi = vdupq_n_f32(o->max_less_zero_point);
  const int32_t s0 = rowsum != NULL ? rowsum[0] : 0, s1 = rowsum != NULL ? rowsum[mr > 1 ? 1 : 0] : 0;
  for (const uint8_t *block = w;; block += block_bytes) {
    const int32_t *bias = (const int32_t *)block;
    const int32_t *kzp = bias + 8;
    const float *scale = (const float *)(bias + 2 * 8);
    const uint8_t *wk = (const uint8_t *)(scale + 8);

    uint32x4_t acc0[8], acc1[8];
#pragma GCC unroll 8
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

    const int32x4_t b_lo = vld1q_s32(bias), b_hi = vld1q_s32(bias + 4);
    const int32x4_t k_lo = vld1q_s32(kzp), k_hi = vld1q_s32(kzp + 4);
    const int32x4_t v0_lo = vmlaq_n_s32(reduce4(acc0[0], acc0[1], acc0[2], acc0[3], b_lo), k_lo, s0);
    const int32x4_t v0_hi = vmlaq_n_s32(reduce4(acc0[4], acc0[5], acc0[6], acc0[7], b_hi), k_hi, s0);
    const int32x4_t v1_lo = vmlaq_n_s32(reduce4(acc1[0], acc1[1], acc1[2], acc1[3], b_lo), k_lo, s1);
    const int32x4_t v1_hi = vmlaq_n_s32(reduce4(acc1[4], acc1[5], acc1[6], acc1[7], b_hi), k_hi, s1);
    const float32x4_t s_lo = vld1q_f32(scale), s_hi = vld1q_f32(scale + 4);
    const size_t n = nc < 8 ? nc : 8;
    edge_store8_neon(c1, n, edge_output_neon(edge_fp32_neon(v1_lo, s_lo, lo, hi), edge_fp32_neon(v1_hi, s_hi, lo, hi),
                                             zo, vmin, vmax));
    edge_store8_neon(c0, n, edge_output_neon(edge_fp32_neon(v0_lo, s_lo, lo, hi), edge_fp32_neon(v0_hi, s_hi, lo, hi),
                                             zo, vmin, vmax));
    if (nc <= 8) break;
    nc -= 8, c0 += 8, c1 += 8;
  }
}
