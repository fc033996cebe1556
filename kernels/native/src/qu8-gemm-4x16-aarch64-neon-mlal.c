/*
 * GEMM micro-kernel for aarch64 NEON without dot product (Cortex-A53/A72 of the Pi Zero 2,
 * 3 and 4): 4 rows x 16 columns, int16 (w - zw) weights, widening multiply-accumulate by
 * lane. aarch64's 32 vector registers hold the 16 accumulators, the 4 widened rows of A
 * and 2 weight vectors, so per k two 16-byte weight loads feed 16 SMLAL (64 MACs), and
 * widening A (8 instructions per 8 k) is spread over twice the columns of the 4x8 tile
 * armv7's 16 registers allow. The loops over rows are unrolled by pragma: at -O2 GCC
 * leaves them rolled, and acc[4][4] and va[4] then live on the stack.
 *
 * This is the path the Cortex-A53 runs (kernel-table.c, edge_path_for_part): the A53
 * issues one NEON instruction per cycle, so SMLAL's 4 MACs per instruction equal UMULL +
 * UADALP's 8 per two, and the 4x16 tile needs fewer loads per MAC than neon's 2x8.
 */
#include <arm_neon.h>

#include "kernel-table.h"
#include "requantize.h"

#define MLAL_LANE(lane)                                                          \
  do {                                                                           \
    const int16x8_t w0 = vld1q_s16(wk), w1 = vld1q_s16(wk + 8);                  \
    wk += 16;                                                                    \
    _Pragma("GCC unroll 4") for (size_t r = 0; r < 4; r++) {                     \
      acc[r][0] = vmlal_laneq_s16(acc[r][0], vget_low_s16(w0), va[r], lane);     \
      acc[r][1] = vmlal_high_laneq_s16(acc[r][1], w0, va[r], lane);              \
      acc[r][2] = vmlal_laneq_s16(acc[r][2], vget_low_s16(w1), va[r], lane);     \
      acc[r][3] = vmlal_high_laneq_s16(acc[r][3], w1, va[r], lane);              \
    }                                                                            \
  } while (0)

static inline __attribute__((always_inline)) void tile(size_t mr, size_t nc, size_t kc, const void *a, size_t a_stride,
                                      const int32_t *rowsum, const void *w, uint8_t *c, size_t c_stride,
                                      const struct edge_output_params *o) {
  (void)rowsum; /* EDGE_W_I16 never needs the row sums */
  /* Missing rows repeat the last one; their stores rewrite the same bytes. */
  const uint8_t *ar[4];
  uint8_t *cr[4];
  ar[0] = a;
  cr[0] = c;
  for (size_t r = 1; r < 4; r++) {
    ar[r] = r < mr ? ar[r - 1] + a_stride : ar[r - 1];
    cr[r] = r < mr ? cr[r - 1] + c_stride : cr[r - 1];
  }
  const int32_t *bias = w;
  const float *scale = (const float *)(bias + 2 * 16);
  const int16_t *wk = (const int16_t *)(scale + 16);
  int32x4_t acc[4][4];
#pragma GCC unroll 4
  for (size_t j = 0; j < 4; j++) acc[0][j] = acc[1][j] = acc[2][j] = acc[3][j] = vld1q_s32(bias + 4 * j);

  size_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    int16x8_t va[4];
#pragma GCC unroll 4
    for (size_t r = 0; r < 4; r++) va[r] = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(ar[r] + k)));
    MLAL_LANE(0);
    MLAL_LANE(1);
    MLAL_LANE(2);
    MLAL_LANE(3);
    MLAL_LANE(4);
    MLAL_LANE(5);
    MLAL_LANE(6);
    MLAL_LANE(7);
  }
  for (; k < kc; k++) {
    const int16x8_t w0 = vld1q_s16(wk), w1 = vld1q_s16(wk + 8);
    wk += 16;
#pragma GCC unroll 4
    for (size_t r = 0; r < 4; r++) {
      const int16_t x = ar[r][k];
      acc[r][0] = vmlal_n_s16(acc[r][0], vget_low_s16(w0), x);
      acc[r][1] = vmlal_high_n_s16(acc[r][1], w0, x);
      acc[r][2] = vmlal_n_s16(acc[r][2], vget_low_s16(w1), x);
      acc[r][3] = vmlal_high_n_s16(acc[r][3], w1, x);
    }
  }

  const int16x8_t zo = vdupq_n_s16((int16_t)o->zero_point);
  const uint8x8_t vmin = vdup_n_u8(o->min), vmax = vdup_n_u8(o->max);
  const float32x4_t lo = vdupq_n_f32(o->min_less_zero_point), hi = vdupq_n_f32(o->max_less_zero_point);
#pragma GCC unroll 4
  for (size_t r = 4; r-- > 0;) {
    int32x4_t v[4];
#pragma GCC unroll 4
    for (size_t j = 0; j < 4; j++) v[j] = edge_fp32_neon(acc[r][j], vld1q_f32(scale + 4 * j), lo, hi);
    const uint8x8_t lo8 = edge_output_neon(v[0], v[1], zo, vmin, vmax);
    edge_store16_neon(cr[r], nc, vcombine_u8(lo8, edge_output_neon(v[2], v[3], zo, vmin, vmax)));
  }
}

/* Every column block of the call (n_loop), one tile after another. */
void qu8_gemm_4x16__aarch64_neon_mlal(size_t mr, size_t nc, size_t kc, const void *a, size_t a_stride,
                                      const int32_t *rowsum, const void *w, uint8_t *c, size_t c_stride,
                                      const struct edge_output_params *o) {
  const size_t block_bytes = edge_gemm_block_bytes(16, kc, EDGE_W_I16);
  for (const uint8_t *block = w;; block += block_bytes) {
    tile(mr, nc < 16 ? nc : 16, kc, a, a_stride, rowsum, block, c, c_stride, o);
    if (nc <= 16) break;
    nc -= 16, c += 16;
  }
}
