/* Quantized add for NEON (aarch64 and armv7), 8 elements per step. */
#include <arm_neon.h>

#include "kernel-table.h"
#include "requantize.h"

static inline int32x4_t scaled(int16x4_t centred, const int32_t *rq) {
  return edge_mbqm_neon(vshlq_n_s32(vmovl_s16(centred), 20), rq, 16, 0);
}

void qu8_add__neon(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out, const struct edge_add_params *p) {
  const uint8x8_t za = vdup_n_u8((uint8_t)p->za), zb = vdup_n_u8((uint8_t)p->zb);
  const int16x8_t zo = vdupq_n_s16((int16_t)p->o.zero_point);
  const uint8x8_t vmin = vdup_n_u8(p->o.min), vmax = vdup_n_u8(p->o.max);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    /* The wrapped uint16 difference read as int16 is exactly a - za. */
    int16x8_t da = vreinterpretq_s16_u16(vsubl_u8(vld1_u8(a + i), za));
    int16x8_t db = vreinterpretq_s16_u16(vsubl_u8(vld1_u8(b + i), zb));
    int32x4_t lo = vaddq_s32(scaled(vget_low_s16(da), p->a.v), scaled(vget_low_s16(db), p->b.v));
    int32x4_t hi = vaddq_s32(scaled(vget_high_s16(da), p->a.v), scaled(vget_high_s16(db), p->b.v));
    lo = edge_mbqm_neon(lo, p->out.v, 16, 0);
    hi = edge_mbqm_neon(hi, p->out.v, 16, 0);
    vst1_u8(out + i, edge_output_neon(lo, hi, zo, vmin, vmax));
  }
  if (i < n) qu8_add__scalar(n - i, a + i, b + i, out + i, p);
}
