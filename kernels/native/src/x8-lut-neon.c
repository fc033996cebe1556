/* Byte lookup for armv7 NEON, 8 bytes per step: VTBL over the first 32 table bytes, then VTBX over each next 32 with the index moved down by 32 (VTBL gives 0 and VTBX keeps the byte for an index past 31). */
#include <arm_neon.h>

#include "kernel-table.h"

void x8_lut__neon(size_t n, const uint8_t *in, const uint8_t *table, uint8_t *out) {
  uint8x8x4_t t[8];
  for (size_t k = 0; k < 8; k++) {
    t[k].val[0] = vld1_u8(table + 32 * k);
    t[k].val[1] = vld1_u8(table + 32 * k + 8);
    t[k].val[2] = vld1_u8(table + 32 * k + 16);
    t[k].val[3] = vld1_u8(table + 32 * k + 24);
  }
  const uint8x8_t thirty_two = vdup_n_u8(32);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint8x8_t x = vld1_u8(in + i);
    uint8x8_t y = vtbl4_u8(t[0], x);
#pragma GCC unroll 7
    for (size_t k = 1; k < 8; k++) {
      x = vsub_u8(x, thirty_two);
      y = vtbx4_u8(y, t[k], x);
    }
    vst1_u8(out + i, y);
  }
  if (i < n) x8_lut__scalar(n - i, in + i, table, out + i);
}
