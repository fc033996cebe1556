/*
 * The operator API the binding, kernel-test and kernel-bench use. An operator is created
 * once per layer (checks its description, packs its weights for the context's path) and
 * then run any number of times on caller-owned buffers. Nothing here aborts: every
 * failure is a status.
 */
#pragma once

#include "common.h"
#include "kernel-table.h"

struct edge_context;
struct edge_op;

/* path: a path name, or NULL/"" for EDGE_AGENT_KERNEL_PATH, else the best available. */
enum edge_status edge_context_create(const char *path, size_t threads, struct edge_context **out, const char **why);
void edge_context_destroy(struct edge_context *ctx);
const struct edge_path *edge_context_path(const struct edge_context *ctx);
size_t edge_context_threads(const struct edge_context *ctx);

/* TFLite's fixed-point requantization (mean, requantize): length 1. */
struct edge_requant_desc {
  const int32_t *multiplier;
  const int32_t *shift;
  int32_t zero_point, min, max;
};

/* XNNPACK's fp32 requantization (conv, depthwise, GEMM): one float32 scale in (0, 256) per output channel. */
struct edge_scale_desc {
  const float *scale;
  int32_t zero_point, min, max;
};

struct edge_gemm_desc {
  size_t rows, k, n;
  int32_t input_zero_point;
  const int32_t *weight_zero_point; /* n */
  const int32_t *bias;              /* n */
  struct edge_scale_desc requant;
};

/* Convolution and depthwise (depth_multiplier is read by depthwise only). */
struct edge_conv_desc {
  size_t input_h, input_w, input_c;
  size_t output_h, output_w, output_c;
  size_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, depth_multiplier;
  int32_t input_zero_point;
  const int32_t *weight_zero_point; /* output_c */
  const int32_t *bias;              /* output_c */
  struct edge_scale_desc requant;
};

struct edge_pool_desc {
  size_t input_h, input_w, channels, output_h, output_w;
  size_t filter_h, filter_w, stride_h, stride_w, pad_top, pad_left;
  int32_t zero_point, min, max;
};

struct edge_mean_desc {
  size_t input_h, input_w, channels;
  int32_t input_zero_point;
  struct edge_requant_desc requant;
};

/* XNNPACK's add: out = clamp(zo + ((ma * (a - za) + mb * (b - zb) + 2^(shift-1)) >> shift), min, max). */
struct edge_add_desc {
  size_t size;
  int32_t zero_point_a, zero_point_b;
  int32_t multiplier_a, multiplier_b; /* 0..2^21 */
  int32_t shift;                      /* 13..30 */
  int32_t zero_point, min, max;
};

/* A byte-to-byte table (hard-swish, RELU, RELU6 tabulated at load), applied elementwise. */
struct edge_lookup_desc {
  size_t size;
  const uint8_t *table; /* 256 bytes, copied */
};

/*
 * XNNPACK's multiply with broadcasting (ARITHMETIC.md): the output has shape[0..rank),
 * and an input's element at output index (i0, i1, ...) lies at sum(i_k * stride[k]);
 * stride 0 repeats it.
 */
struct edge_mul_desc {
  size_t rank; /* 1..4 */
  size_t shape[4];
  size_t stride_a[4], stride_b[4];
  int32_t zero_point_a, zero_point_b;
  float scale; /* (0, 256) */
  int32_t zero_point, min, max;
};

struct edge_softmax_desc {
  size_t rows, channels;
  const double *exp_table; /* 256 entries */
  double inverse_output_scale;
  int32_t zero_point, min, max;
};

struct edge_requantize_desc {
  size_t size;
  int32_t input_zero_point;
  struct edge_requant_desc requant;
};

struct edge_pad_desc {
  size_t input_h, input_w, input_c;
  size_t pad_top, pad_bottom, pad_left, pad_right, pad_channels_before, pad_channels_after;
  int32_t value;
};

struct edge_resize_desc {
  size_t input_h, input_w, channels, output_h, output_w;
  bool bilinear;
  /* edge_resize_table_length() entries: see resize.c */
  const int32_t *tables;
};

struct edge_quantize_desc {
  size_t size;
  double scale;
  int32_t zero_point, min, max;
};

enum edge_status edge_gemm_create(struct edge_context *ctx, const struct edge_gemm_desc *d, const uint8_t *weights,
                                  struct edge_op **out);
enum edge_status edge_conv_create(struct edge_context *ctx, const struct edge_conv_desc *d, const uint8_t *weights,
                                  struct edge_op **out);
enum edge_status edge_dwconv_create(struct edge_context *ctx, const struct edge_conv_desc *d,
                                    const uint8_t *weights, struct edge_op **out);
enum edge_status edge_avgpool_create(struct edge_context *ctx, const struct edge_pool_desc *d, struct edge_op **out);
enum edge_status edge_mean_create(struct edge_context *ctx, const struct edge_mean_desc *d, struct edge_op **out);
enum edge_status edge_add_create(struct edge_context *ctx, const struct edge_add_desc *d, struct edge_op **out);
enum edge_status edge_lookup_create(struct edge_context *ctx, const struct edge_lookup_desc *d, struct edge_op **out);
enum edge_status edge_mul_create(struct edge_context *ctx, const struct edge_mul_desc *d, struct edge_op **out);
enum edge_status edge_softmax_create(struct edge_context *ctx, const struct edge_softmax_desc *d,
                                     struct edge_op **out);
enum edge_status edge_requantize_create(struct edge_context *ctx, const struct edge_requantize_desc *d,
                                        struct edge_op **out);
enum edge_status edge_pad_create(struct edge_context *ctx, const struct edge_pad_desc *d, struct edge_op **out);
size_t edge_resize_table_length(const struct edge_resize_desc *d);
enum edge_status edge_resize_create(struct edge_context *ctx, const struct edge_resize_desc *d, struct edge_op **out);
enum edge_status edge_quantize_create(struct edge_context *ctx, const struct edge_quantize_desc *d,
                                      struct edge_op **out);
enum edge_status edge_dequantize_create(struct edge_context *ctx, const struct edge_quantize_desc *d,
                                        struct edge_op **out);

/* Element counts of the operands (the second input is 0 for unary operators); elements are bytes unless float. */
struct edge_op_shape {
  size_t input, input2, output;
  bool float_input, float_output;
};
struct edge_op_shape edge_op_shape(const struct edge_op *op);
const char *edge_op_kernel_name(const struct edge_op *op);
/* Memory the operator holds (packed weights included), for the garbage collector's accounting. */
size_t edge_op_bytes(const struct edge_op *op);

/* Buffers hold at least the counts of edge_op_shape; the caller checks that. */
enum edge_status edge_op_run(struct edge_context *ctx, const struct edge_op *op, const void *input,
                             const void *input2, void *output);
void edge_op_destroy(struct edge_op *op);
