/*
 * 14 rows x 32 columns: 28 zmm accumulators. 14 divides 196, 784, 3136 and 12544, the
 * row counts of MobileNet's 14x14 to 112x112 layers, so those have no partial tiles. A
 * block of at most 16 columns (8- and 16-channel layers) runs half the accumulators.
 */
#include "qu8-gemm-c4-avx512vnni.h"

void qu8_gemm_14x32c4__avx512vnni(size_t mr, size_t nc, size_t kc, const void *a, size_t a_stride,
                                  const int32_t *rowsum, const void *w, uint8_t *c, size_t c_stride,
                                  const struct edge_output_params *o) {
  if (nc <= 16) edge_gemm_x32c4_avx512vnni(14, true, mr, nc, kc, a, a_stride, rowsum, w, c, c_stride, o);
  else edge_gemm_x32c4_avx512vnni(14, false, mr, nc, kc, a, a_stride, rowsum, w, c, c_stride, o);
}
