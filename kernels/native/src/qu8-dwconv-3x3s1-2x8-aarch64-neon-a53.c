/*
 * The Cortex-A53 variant of qu8-dwconv-3x3s1-2x8-aarch64-neon.c: the same kernel with short
 * multiply-accumulate chains (EDGE_DW3_SHORT_CHAINS, qu8-dwconv-3x3-aarch64-neon.h), which
 * the in-order A53 needs and the out-of-order cores pay for. The neon-mlal path, the one
 * the A53 chooses, runs it.
 */
#define EDGE_DW3_SHORT_CHAINS 1
#define EDGE_DW3S1_NAME qu8_dwconv_3x3s1_2x8__aarch64_neon_a53
#include "qu8-dwconv-3x3s1-2x8-aarch64-neon.c"
