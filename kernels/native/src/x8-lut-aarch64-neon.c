/* Byte lookup for aarch64, 16 bytes per step: TBL over the first 64 table bytes, then TBX over each next 64 with the index moved down by 64 (TBL gives 0 and TBX keeps the byte for an index past 63). */
#include <arm_neon.h>

#include "kernel-table.h"

void x8_lut__aarch64_neon(size_t n, const uint8_t *in, const uint8_t *table, uint8_t *out) {
  const uint8x16x4_t t0 = vld1q_u8_x4(table), t1 = vld1q_u8_x4(table + 64);
  const uint8x16x4_t t2 = vld1q_u8_x4(table + 128), t3 = vld1q_u8_x4(table + 192);
  const uint8x16_t sixty_four = vdupq_n_u8(64);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    uint8x16_t x = vld1q_u8(in + i);
    uint8x16_t y = vqtbl4q_u8(t0, x);
    x = vsubq_u8(x, sixty_four);
    y = vqtbx4q_u8(y, t1, x);
    x = vsubq_u8(x, sixty_four);
    y = vqtbx4q_u8(y, t2, x);
    x = vsubq_u8(x, sixty_four);
    y = vqtbx4q_u8(y, t3, x);
    vst1q_u8(out + i, y);
  }
  if (i < n) x8_lut__scalar(n - i, in + i, table, out + i);
}
