/* Portable quantized add (TFLite's, ARITHMETIC.md). */
#include "kernel-table.h"
#include "requantize.h"

void qu8_add__scalar(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out, const struct edge_add_params *p) {
  for (size_t i = 0; i < n; i++) {
    int32_t x = edge_mbqm_packed((a[i] - p->za) * (1 << 20), p->a.v, 16, 0);
    int32_t y = edge_mbqm_packed((b[i] - p->zb) * (1 << 20), p->b.v, 16, 0);
    out[i] = edge_requantize_packed(x + y, p->out.v, 16, 0, &p->o);
  }
}
