/*
 * Plain loops written from kernels/ARITHMETIC.md and nothing else: the oracle kernel-test
 * compares every path with. Slow on purpose; it shares no code with src/.
 */
#pragma once

#include "operators.h"

int32_t ref_mbqm(int32_t x, int32_t multiplier, int32_t shift);
void ref_conv(const struct edge_conv_desc *d, const uint8_t *weights, const uint8_t *in, uint8_t *out);
void ref_dwconv(const struct edge_conv_desc *d, const uint8_t *weights, const uint8_t *in, uint8_t *out);
void ref_gemm(const struct edge_gemm_desc *d, const uint8_t *weights, const uint8_t *in, uint8_t *out);
void ref_avgpool(const struct edge_pool_desc *d, const uint8_t *in, uint8_t *out);
void ref_mean(const struct edge_mean_desc *d, const uint8_t *in, uint8_t *out);
void ref_add(const struct edge_add_desc *d, const uint8_t *a, const uint8_t *b, uint8_t *out);
void ref_lookup(const struct edge_lookup_desc *d, const uint8_t *in, uint8_t *out);
void ref_mul(const struct edge_mul_desc *d, const uint8_t *a, const uint8_t *b, uint8_t *out);
void ref_softmax(const struct edge_softmax_desc *d, const uint8_t *in, uint8_t *out);
void ref_requantize(const struct edge_requantize_desc *d, const uint8_t *in, uint8_t *out);
void ref_pad(const struct edge_pad_desc *d, const uint8_t *in, uint8_t *out);
void ref_quantize(const struct edge_quantize_desc *d, const float *in, uint8_t *out);
void ref_dequantize(const struct edge_quantize_desc *d, const uint8_t *in, float *out);
