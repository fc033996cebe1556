/* Quantized add for NEON (aarch64 and armv7), 8 elements per step. */
#include <arm_neon.h>

#include "kernel-table.h"
#include "requantize.h"

void qu8_add__neon(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out, const struct edge_add_params *p) {
  /* bias + ma * a + mb * b with the zero points folded into bias (every partial sum fits
     int32 because ma, mb <= 2^21); vrshl's rounding right shift adds the half. */
  const int32x4_t bias = vdupq_n_s32(-p->ma * p->za - p->mb * p->zb);
  const int32x4_t nshift = vdupq_n_s32(-p->shift);
  const int32_t ma = p->ma, mb = p->mb;
  const int16x8_t zo = vdupq_n_s16((int16_t)p->o.zero_point);
  const uint8x8_t vmin = vdup_n_u8(p->o.min), vmax = vdup_n_u8(p->o.max);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint16x8_t va = vmovl_u8(vld1_u8(a + i)), vb = vmovl_u8(vld1_u8(b + i));
    int32x4_t lo = vmlaq_n_s32(bias, vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(va))), ma);
    int32x4_t hi = vmlaq_n_s32(bias, vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(va))), ma);
    lo = vmlaq_n_s32(lo, vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(vb))), mb);
    hi = vmlaq_n_s32(hi, vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(vb))), mb);
    vst1_u8(out + i, edge_output_neon(vrshlq_s32(lo, nshift), vrshlq_s32(hi, nshift), zo, vmin, vmax));
  }
  if (i < n) qu8_add__scalar(n - i, a + i, b + i, out + i, p);
}
