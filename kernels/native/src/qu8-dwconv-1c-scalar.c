/* Portable depthwise micro-kernels, one channel at a time: 9 taps and any number of taps. */
#include "kernel-table.h"
#include "requantize.h"

static inline void dwconv_1c(size_t channels, size_t width, const uint8_t *const *input, size_t step, size_t taps,
                             const void *w, uint8_t *output, const struct edge_output_params *o) {
  const size_t block = edge_dw_block_bytes(1, taps, EDGE_DW_I16);
  for (size_t px = 0; px < width; px++) {
    const uint8_t *const *in = step != 0 ? input : input + px * taps;
    const size_t shift = px * step;
    const uint8_t *blk = w;
    for (size_t c = 0; c < channels; c++) {
      const int32_t *head = (const int32_t *)blk;
      const int16_t *wt = (const int16_t *)(head + 2);
      int32_t acc = head[0];
      for (size_t t = 0; t < taps; t++) acc += in[t][shift + c] * wt[t];
      *output++ = edge_output_fp32(acc, ((const float *)head)[1], o);
      blk += block;
    }
  }
}

void qu8_dwconv_9p1c__scalar(size_t channels, size_t width, const uint8_t *const *input, size_t step, size_t taps,
                             const void *w, uint8_t *output, const struct edge_output_params *o) {
  (void)taps;
  dwconv_1c(channels, width, input, step, 9, w, output, o);
}

void qu8_dwconv_up1c__scalar(size_t channels, size_t width, const uint8_t *const *input, size_t step, size_t taps,
                             const void *w, uint8_t *output, const struct edge_output_params *o) {
  dwconv_1c(channels, width, input, step, taps, w, output, o);
}
