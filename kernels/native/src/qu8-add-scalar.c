/* Portable quantized add (XNNPACK's, ARITHMETIC.md). */
#include "kernel-table.h"
#include "requantize.h"

void qu8_add__scalar(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out, const struct edge_add_params *p) {
  const int32_t half = INT32_C(1) << (p->shift - 1);
  for (size_t i = 0; i < n; i++) {
    const int32_t acc = p->ma * (a[i] - p->za) + p->mb * (b[i] - p->zb);
    /* >> of a negative int32 is arithmetic on every compiler we build with (GCC, Clang). */
    out[i] = edge_output((acc + half) >> p->shift, &p->o);
  }
}
