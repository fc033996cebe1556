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

#define DOT_LANE(lane)                                                                            \
  do {                                                                                            \
    uint8x16_t b0 = vld1q_u8(wk), b1 = vld1q_u8(wk + 16), b2 = vld1q_u8(wk + 32), b3 = vld1q_u8(wk + 48); \
    wk += 64;                                                                                     \
    acc[0][0] = vdotq_laneq_u32(acc[0][0], b0, va0, lane);                                        \
    acc[0][1] = vdotq_laneq_u32(acc[0][1], b1, va0, lane);                                        \
    acc[0][2] = vdotq_laneq_u32(acc[0][2], b2, va0, lane);                                        \
    acc[0][3] = vdotq_laneq_u32(acc[0][3], b3, va0, lane);                                        \
    acc[1][0] = vdotq_laneq_u32(acc[1][0], b0, va1, lane);                                        \
    acc[1][1] = vdotq_laneq_u32(acc[1][1], b1, va1, lane);                                        \
    acc[1][2] = vdotq_laneq_u32(acc[1][2], b2, va1, lane);                                        \
    acc[1][3] = vdotq_laneq_u32(acc[1][3], b3, va1, lane);                                        \
    acc[2][0] = vdotq_laneq_u32(acc[2][0], b0, va2, lane);                                        \
    acc[2][1] = vdotq_laneq_u32(acc[2][1], b1, va2, lane);                                        \
    acc[2][2] = vdotq_laneq_u32(acc[2][2], b2, va2, lane);                                        \
    acc[2][3] = vdotq_laneq_u32(acc[2][3], b3, va2, lane);                                        \
    acc[3][0] = vdotq_laneq_u32(acc[3][0], b0, va3, lane);                                        \
    acc[3][1] = vdotq_laneq_u32(acc[3][1], b1, va3, lane);                                        \
    acc[3][2] = vdotq_laneq_u32(acc[3][2], b2, va3, lane);                                        \
    acc[3][3] = vdotq_laneq_u32(acc[3][3], b3, va3, lane);                                        \
  } while (0)

static inline uint8x16_t dup4(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return vreinterpretq_u8_u32(vdupq_n_u32(v));
}

void qu8_gemm_4x16c4__neondot(size_t mr, size_t nc, size_t kc, const void *a, size_t a_stride,
                              const int32_t *rowsum, const void *w, uint8_t *c, size_t c_stride,
                              const struct edge_output_params *o) {
  const uint8_t *ar[4];
  uint8_t *cr[4];
  ar[0] = a;
  cr[0] = c;
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
  for (size_t r = 4; r-- > 0;) {
    int32x4_t v[4];
    for (size_t j = 0; j < 4; j++) {
      v[j] = vreinterpretq_s32_u32(acc[r][j]);
      if (rowsum != NULL) v[j] = vmlaq_n_s32(v[j], vld1q_s32(kzp + 4 * j), rowsum[r < mr ? r : mr - 1]);
      v[j] = edge_fp32_neon(v[j], vld1q_f32(scale + 4 * j), lo, hi);
    }
    const uint8x8_t lo8 = edge_output_neon(v[0], v[1], zo, vmin, vmax);
    edge_store16_neon(cr[r], nc, vcombine_u8(lo8, edge_output_neon(v[2], v[3], zo, vmin, vmax)));
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
