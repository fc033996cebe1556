/* Portable byte lookup. */
#include "kernel-table.h"

void x8_lut__scalar(size_t n, const uint8_t *in, const uint8_t *table, uint8_t *out) {
  for (size_t i = 0; i < n; i++) out[i] = table[in[i]];
}
