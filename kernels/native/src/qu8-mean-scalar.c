/* Portable mean over the pixels of each channel. */
#include "kernel-table.h"
#include "requantize.h"

void qu8_mean__scalar(size_t pixels, size_t channels, size_t stride, const uint8_t *input, uint8_t *output,
                      const struct edge_mean_params *p) {
  for (size_t c = 0; c < channels; c++) {
    int32_t sum = 0;
    for (size_t i = 0; i < pixels; i++) sum += input[i * stride + c];
    output[c] = edge_output(edge_mbqm(sum - p->zx * (int32_t)pixels, p->rq.multiplier, p->rq.shift), &p->o);
  }
}
