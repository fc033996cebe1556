/* Quantized multiply for NEON (aarch64 and armv7), 8 elements per step. */
#include <arm_neon.h>

#include "kernel-table.h"
#include "requantize.h"

void qu8_vmul__neon(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out, const struct edge_mul_params *p) {
  const int16x8_t za = vdupq_n_s16((int16_t)p->za), zb = vdupq_n_s16((int16_t)p->zb);
  const float32x4_t scale = vdupq_n_f32(p->scale);
  const float32x4_t lo = vdupq_n_f32(p->o.min_less_zero_point), hi = vdupq_n_f32(p->o.max_less_zero_point);
  const int16x8_t zo = vdupq_n_s16((int16_t)p->o.zero_point);
  const uint8x8_t vmin = vdup_n_u8(p->o.min), vmax = vdup_n_u8(p->o.max);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    /* Centred values fit int16; their widening product is exact in int32 and in float. */
    const int16x8_t va = vsubq_s16(vreinterpretq_s16_u16(vmovl_u8(vld1_u8(a + i))), za);
    const int16x8_t vb = vsubq_s16(vreinterpretq_s16_u16(vmovl_u8(vld1_u8(b + i))), zb);
    const int32x4_t p0 = vmull_s16(vget_low_s16(va), vget_low_s16(vb));
    const int32x4_t p1 = vmull_s16(vget_high_s16(va), vget_high_s16(vb));
    vst1_u8(out + i, edge_output_neon(edge_fp32_neon(p0, scale, lo, hi), edge_fp32_neon(p1, scale, lo, hi), zo, vmin,
                                      vmax));
  }
  if (i < n) qu8_vmul__scalar(n - i, a + i, b + i, out + i, p);
}
