/*
 * Depthwise micro-kernels for NEON (aarch64 and armv7): 8 channels per step, int16
 * (w - zw) weights, vmlal_s16. The dot product gives depthwise nothing (each output
 * channel reads one input channel per tap), so the neondot path uses these too.
 */
#include <arm_neon.h>
#include <string.h>

#include "kernel-table.h"
#include "requantize.h"

static inline void dwconv_8c(size_t channels, size_t width, const uint8_t *const *input, size_t step, size_t taps,
                             const void *w, uint8_t *output, const struct edge_output_params *o) {
  const size_t block = edge_dw_block_bytes(8, taps, EDGE_DW_I16);
  const int16x8_t zo = vdupq_n_s16((int16_t)o->zero_point);
  const uint8x8_t vmin = vdup_n_u8(o->min), vmax = vdup_n_u8(o->max);
  const float32x4_t lo_f = vdupq_n_f32(o->min_less_zero_point), hi_f = vdupq_n_f32(o->max_less_zero_point);
  for (size_t px = 0; px < width; px++) {
    const uint8_t *const *in = step != 0 ? input : input + px * taps;
    const size_t shift = px * step;
    const uint8_t *blk = w;
    for (size_t c = 0; c < channels; c += 8) {
      const size_t n = EDGE_MIN(channels - c, 8);
      const int32_t *bias = (const int32_t *)blk;
      const float *scale = (const float *)(bias + 8);
      const int16_t *wt = (const int16_t *)(bias + 2 * 8);
      int32x4_t lo = vld1q_s32(bias), hi = vld1q_s32(bias + 4);
      for (size_t t = 0; t < taps; t++) {
        uint8x8_t x8;
        if (n == 8) {
          x8 = vld1_u8(in[t] + shift + c);
        } else {
          uint8_t tmp[8] = {0};
          memcpy(tmp, in[t] + shift + c, n);
          x8 = vld1_u8(tmp);
        }
        int16x8_t x = vreinterpretq_s16_u16(vmovl_u8(x8));
        int16x8_t wv = vld1q_s16(wt + 8 * t);
        lo = vmlal_s16(lo, vget_low_s16(x), vget_low_s16(wv));
        hi = vmlal_s16(hi, vget_high_s16(x), vget_high_s16(wv));
      }
      edge_store8_neon(output, n,
                       edge_output_neon(edge_fp32_neon(lo, vld1q_f32(scale), lo_f, hi_f),
                                        edge_fp32_neon(hi, vld1q_f32(scale + 4), lo_f, hi_f), zo, vmin, vmax));
      output += n;
      blk += block;
    }
  }
}

void qu8_dwconv_9p8c__neon(size_t channels, size_t width, const uint8_t *const *input, size_t step, size_t taps, const void *w,
                           uint8_t *output, const struct edge_output_params *o) {
  (void)taps;
  dwconv_8c(channels, width, input, step, 9, w, output, o);
}

void qu8_dwconv_up8c__neon(size_t channels, size_t width, const uint8_t *const *input, size_t step, size_t taps, const void *w,
                           uint8_t *output, const struct edge_output_params *o) {
  dwconv_8c(channels, width, input, step, taps, w, output, o);
}
