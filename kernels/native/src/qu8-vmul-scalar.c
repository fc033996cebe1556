/* Portable quantized multiply (XNNPACK's, ARITHMETIC.md). */
#include "kernel-table.h"
#include "requantize.h"

void qu8_vmul__scalar(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out, const struct edge_mul_params *p) {
  for (size_t i = 0; i < n; i++) {
    /* |product| <= 255 * 255: exact in float, so the multiply by scale rounds once. */
    out[i] = edge_output_fp32((a[i] - p->za) * (b[i] - p->zb), p->scale, &p->o);
  }
}
