/*
 * Row sums of A for the kzp correction of the 8-bit NEON GEMMs (aarch64 and armv7):
 * UADDLP then UADALP add 16 bytes into 4 uint32 lanes, folded at the end.
 */
#include <arm_neon.h>

#include "kernel-table.h"

void qu8_rowsum__neon(size_t rows, size_t k, const uint8_t *a, size_t a_stride, int32_t *out) {
  for (size_t r = 0; r < rows; r++) {
    const uint8_t *x = a + r * a_stride;
    uint32x4_t s = vdupq_n_u32(0);
    size_t i = 0;
    for (; i + 16 <= k; i += 16) s = vpadalq_u16(s, vpaddlq_u8(vld1q_u8(x + i)));
    const uint32x2_t half = vadd_u32(vget_low_u32(s), vget_high_u32(s));
    uint32_t total = vget_lane_u32(vpadd_u32(half, half), 0);
    for (; i < k; i++) total += x[i];
    out[r] = (int32_t)total;
  }
}
