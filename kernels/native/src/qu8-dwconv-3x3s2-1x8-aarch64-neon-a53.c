/*
 * The Cortex-A53 variant of qu8-dwconv-3x3s2-1x8-aarch64-neon.c, as the stride-1 one
 * (qu8-dwconv-3x3s1-2x8-aarch64-neon-a53.c).
 */
#define EDGE_DW3_SHORT_CHAINS 1
#define EDGE_DW3S2_NAME qu8_dwconv_3x3s2_1x8__aarch64_neon_a53
#include "qu8-dwconv-3x3s2-1x8-aarch64-neon.c"
