/* Mean over pixels for NEON (aarch64 and armv7): 8 channels per step, 32-bit sums. */
#include <arm_neon.h>

#include "kernel-table.h"
#include "requantize.h"

void qu8_mean__neon(size_t pixels, size_t channels, size_t stride, const uint8_t *input, uint8_t *output,
                    const struct edge_mean_params *p) {
  const int32x4_t bias = vdupq_n_s32(-p->zx * (int32_t)pixels);
  const int16x8_t zo = vdupq_n_s16((int16_t)p->o.zero_point);
  const uint8x8_t vmin = vdup_n_u8(p->o.min), vmax = vdup_n_u8(p->o.max);
  size_t c = 0;
  for (; c + 8 <= channels; c += 8) {
    uint32x4_t lo = vdupq_n_u32(0), hi = vdupq_n_u32(0);
    for (size_t i = 0; i < pixels; i++) {
      uint16x8_t x = vmovl_u8(vld1_u8(input + i * stride + c));
      lo = vaddw_u16(lo, vget_low_u16(x));
      hi = vaddw_u16(hi, vget_high_u16(x));
    }
    int32x4_t slo = edge_mbqm_neon(vaddq_s32(vreinterpretq_s32_u32(lo), bias), &p->rq);
    int32x4_t shi = edge_mbqm_neon(vaddq_s32(vreinterpretq_s32_u32(hi), bias), &p->rq);
    vst1_u8(output + c, edge_output_neon(slo, shi, zo, vmin, vmax));
  }
  if (c < channels) qu8_mean__scalar(pixels, channels - c, stride, input + c, output + c, p);
}
