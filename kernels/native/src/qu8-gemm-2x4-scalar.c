/* Portable GEMM micro-kernel: 2 rows x 4 columns, int16 (w - zw) weights. */
#include "kernel-table.h"
#include "requantize.h"

void qu8_gemm_2x4__scalar(size_t mr, size_t nc, size_t kc, const void *a, size_t a_stride, const int32_t *rowsum,
                          const void *w, uint8_t *c, size_t c_stride, const struct edge_output_params *o) {
  (void)rowsum; /* EDGE_W_I16 never needs the row sums */
  const uint8_t *a0 = a;
  const uint8_t *a1 = mr > 1 ? a0 + a_stride : a0;
  const int32_t *bias = w;
  const float *scale = (const float *)(bias + 2 * 4);
  const int16_t *wk = (const int16_t *)(scale + 4);
  int32_t acc0[4], acc1[4];
  for (size_t j = 0; j < 4; j++) acc0[j] = acc1[j] = bias[j];
  for (size_t k = 0; k < kc; k++) {
    int32_t x0 = a0[k], x1 = a1[k];
    for (size_t j = 0; j < 4; j++) {
      acc0[j] += x0 * wk[j];
      acc1[j] += x1 * wk[j];
    }
    wk += 4;
  }
  uint8_t *c1 = mr > 1 ? c + c_stride : c;
  for (size_t j = 0; j < nc; j++) {
    c1[j] = edge_output_fp32(acc1[j], scale[j], o);
    c[j] = edge_output_fp32(acc0[j], scale[j], o);
  }
}
