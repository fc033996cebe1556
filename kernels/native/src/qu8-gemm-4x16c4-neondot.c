/*
 * GEMM micro-kernel for the ARMv8.2 dot product (Cortex-A76 of the Pi 5): 4 rows x 16
 * columns, raw uint8 weights in groups of 4 k, UDOT. UDOT sums x * w, so the weight zero
 * point comes back as -zw * rowsum(x) (kzp = -zw) when any zw is nonzero.
 * Built with -march=armv8.2-a+dotprod and only called when HWCAP_ASIMDDP is set.
 */
#include <arm_neon.h>
#include <string.h>

#include "kernel-table.h"
#include "requantize.h"

/*
 * One group of 4 k for the tile: 4 weight vectors (16 columns x 4 k) against lane `lane`
 * of each row's 16 bytes of A. In assembly, in order (volatile), so that the weight loads
 * stay next to their UDOTs: in C, GCC's scheduler hoists the loads of all four groups of a
 * 16-k step (16 vectors), which with the 16 accumulators and 4 rows needs 36 registers and
 * spills two accumulators every step. Here 24 are live.
 */
#define DOT_ROWS(lane, ra, rb, row_a, row_b)                                                                  \
  __asm__ volatile("udot %[c0].4s, %[b0].16b, %[xa].4b[" #lane "]\n\t"                                   \
                   "udot %[c1].4s, %[b1].16b, %[xa].4b[" #lane "]\n\t"                                   \
                   "udot %[c2].4s, %[b2].16b, %[xa].4b[" #lane "]\n\t"                                   \
                   "udot %[c3].4s, %[b3].16b, %[xa].4b[" #lane "]\n\t"                                   \
                   "udot %[d0].4s, %[b0].16b, %[xb].4b[" #lane "]\n\t"                                   \
                   "udot %[d1].4s, %[b1].16b, %[xb].4b[" #lane "]\n\t"                                   \
                   "udot %[d2].4s, %[b2].16b, %[xb].4b[" #lane "]\n\t"                                   \
                   "udot %[d3].4s, %[b3].16b, %[xb].4b[" #lane "]"                                        \
                   : [c0] "+w"(acc[ra][0]), [c1] "+w"(acc[ra][1]), [c2] "+w"(acc[ra][2]),                 \
                     [c3] "+w"(acc[ra][3]), [d0] "+w"(acc[rb][0]), [d1] "+w"(acc[rb][1]),                 \
                     [d2] "+w"(acc[rb][2]), [d3] "+w"(acc[rb][3])                                         \
                   : [b0] "w"(b0), [b1] "w"(b1), [b2] "w"(b2), [b3] "w"(b3), [xa] "w"(row_a), [xb] "w"(row_b))

#define DOT_LANE(lane)                                                                                  \
  do {                                                                                                  \
    uint8x16_t b0, b1, b2, b3;                                                                          \
    __asm__ volatile("ldp %q[b0], %q[b1], [%[wk]]\n\t"                                                   \
                     "ldp %q[b2], %q[b3], [%[wk], #32]"                                                 \
                     : [b0] "=w"(b0), [b1] "=w"(b1), [b2] "=w"(b2), [b3] "=w"(b3)                       \
                     : [wk] "r"(wk), "m"(*(const uint8_t(*)[64])wk));                                   \
    DOT_ROWS(lane, 0, 1, va0, va1);                                                                     \
    DOT_ROWS(lane, 2, 3, va2, va3);                                                                     \
    wk += 64;                                                                                           \
  } while (0)

/* Row r of the tile out: kzp times its row sum added (0 without row sums), scaled, stored. */
#define OUTPUT_ROW(r)                                                                                        \
  do {                                                                                                       \
    const int32x4_t v0 = vmlaq_laneq_s32(vreinterpretq_s32_u32(acc[r][0]), k0, sums, r);                     \
    const int32x4_t v1 = vmlaq_laneq_s32(vreinterpretq_s32_u32(acc[r][1]), k1, sums, r);                     \
    const int32x4_t v2 = vmlaq_laneq_s32(vreinterpretq_s32_u32(acc[r][2]), k2, sums, r);                     \
    const int32x4_t v3 = vmlaq_laneq_s32(vreinterpretq_s32_u32(acc[r][3]), k3, sums, r);                     \
    const uint8x8_t lo8 =                                                                                    \
        edge_output_neon(edge_fp32_neon(v0, s0, lo, hi), edge_fp32_neon(v1, s1, lo, hi), zo, vmin, vmax);    \
    const uint8x8_t hi8 =                                                                                    \
        edge_output_neon(edge_fp32_neon(v2, s2, lo, hi), edge_fp32_neon(v3, s3, lo, hi), zo, vmin, vmax);    \
    edge_store16_neon(cr[r], nc, vcombine_u8(lo8, hi8));                                                     \
  } while (0)

static inline uint8x16_t dup4(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return vreinterpretq_u8_u32(vdupq_n_u32(v));
}

static inline __attribute__((always_inline)) void tile(size_t mr, size_t nc, size_t kc, const void *a, size_t a_stride,
                              const int32_t *rowsum, const void *w, uint8_t *c, size_t c_stride,
                              const struct edge_output_params *o) {
  const uint8_t *ar[4];
  uint8_t *cr[4];
  ar[0] = a;
  cr[0] = c;
#pragma GCC unroll 4
  for (size_t r = 1; r < 4; r++) {
    ar[r] = r < mr ? ar[r - 1] + a_stride : ar[r - 1];
    cr[r] = r < mr ? cr[r - 1] + c_stride : cr[r - 1];
  }
  const uint8_t *a0 = ar[0], *a1 = ar[1], *a2 = ar[2], *a3 = ar[3];
  const int32_t *bias = w;
  const int32_t *kzp = bias + 16;
  const float *scale = (const float *)(bias + 2 * 16);
  const uint8_t *wk = (const uint8_t *)(scale + 16);

  uint32x4_t acc[4][4];
#pragma GCC unroll 4
  for (size_t j = 0; j < 4; j++) {
    uint32x4_t b = vreinterpretq_u32_s32(vld1q_s32(bias + 4 * j));
    acc[0][j] = acc[1][j] = acc[2][j] = acc[3][j] = b;
  }
  size_t k = 0;
  for (; k + 16 <= kc; k += 16) {
    uint8x16_t va0 = vld1q_u8(a0 + k), va1 = vld1q_u8(a1 + k), va2 = vld1q_u8(a2 + k), va3 = vld1q_u8(a3 + k);
    DOT_LANE(0);
    DOT_LANE(1);
    DOT_LANE(2);
    DOT_LANE(3);
  }
  for (; k < kc; k += 4) {
    uint8x16_t va0 = dup4(a0 + k), va1 = dup4(a1 + k), va2 = dup4(a2 + k), va3 = dup4(a3 + k);
    DOT_LANE(0);
  }

  const int16x8_t zo = vdupq_n_s16((int16_t)o->zero_point);
  const uint8x8_t vmin = vdup_n_u8(o->min), vmax = vdup_n_u8(o->max);
  const float32x4_t lo = vdupq_n_f32(o->min_less_zero_point), hi = vdupq_n_f32(o->max_less_zero_point);
  const float32x4_t s0 = vld1q_f32(scale), s1 = vld1q_f32(scale + 4), s2 = vld1q_f32(scale + 8),
                    s3 = vld1q_f32(scale + 12);
  int32x4_t sums = vdupq_n_s32(0);
  if (rowsum != NULL) {
    sums = vsetq_lane_s32(rowsum[0], sums, 0);
    sums = vsetq_lane_s32(rowsum[mr > 1 ? 1 : 0], sums, 1);
    sums = vsetq_lane_s32(rowsum[mr > 2 ? 2 : mr - 1], sums, 2);
    sums = vsetq_lane_s32(rowsum[mr > 3 ? 3 : mr - 1], sums, 3);
  }
  const int32x4_t k0 = vld1q_s32(kzp), k1 = vld1q_s32(kzp + 4), k2 = vld1q_s32(kzp + 8), k3 = vld1q_s32(kzp + 12);
  OUTPUT_ROW(3);
  OUTPUT_ROW(2);
  OUTPUT_ROW(1);
  OUTPUT_ROW(0);
}

/* Every column block of the call (n_loop), one tile after another. */
void qu8_gemm_4x16c4__neondot(size_t mr, size_t nc, size_t kc, const void *a, size_t a_stride,
                              const int32_t *rowsum, const void *w, uint8_t *c, size_t c_stride,
                              const struct edge_output_params *o) {
  const size_t block_bytes = edge_gemm_block_bytes(16, kc, EDGE_W_U8);
  for (const uint8_t *block = w;; block += block_bytes) {
    tile(mr, nc < 16 ? nc : 16, kc, a, a_stride, rowsum, block, c, c_stride, o);
    if (nc <= 16) break;
    nc -= 16, c += 16;
  }
}

/* Row sums for the kzp correction: UDOT against ones adds 4 bytes per lane. */
void qu8_rowsum__neondot(size_t rows, size_t k, const uint8_t *a, size_t a_stride, int32_t *out) {
  const uint8x16_t ones = vdupq_n_u8(1);
  for (size_t r = 0; r < rows; r++) {
    const uint8_t *x = a + r * a_stride;
    uint32x4_t s = vdupq_n_u32(0);
    size_t i = 0;
    for (; i + 16 <= k; i += 16) s = vdotq_u32(s, vld1q_u8(x + i), ones);
    uint32_t total = vaddvq_u32(s);
    for (; i < k; i++) total += x[i];
    out[r] = (int32_t)total;
  }
}
