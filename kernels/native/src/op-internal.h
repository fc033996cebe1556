/* What every operator implementation shares; not part of the API. */
#pragma once

#include "operators.h"
#include "threadpool.h"

struct edge_context {
  const struct edge_path *path;
  struct edge_pool *pool;
  void *workspace;
  size_t workspace_bytes;
};

/*
 * How many contiguous ranges to split a run into for operators whose work comes in
 * ranges (per-thread setup, reused rows): one alone; with several threads four per
 * thread, so that when the OS parks a thread the others take its ranges instead of
 * waiting for it.
 */
static inline size_t edge_ranges(size_t threads) { return threads == 1 ? 1 : 4 * threads; }

/* Grows the context's scratch to at least `bytes` (64-byte aligned); NULL when out of memory. */
void *edge_workspace(struct edge_context *ctx, size_t bytes);

struct edge_op {
  struct edge_op_shape shape;
  const char *kernel;
  size_t bytes; /* memory held, packed weights included */
  enum edge_status (*run)(struct edge_context *ctx, const struct edge_op *op, const void *input, const void *input2,
                          void *output);
  void (*destroy)(struct edge_op *op);
};

bool edge_requant_valid(const struct edge_requant_desc *r, size_t channels);
bool edge_scale_valid(const struct edge_scale_desc *r, size_t channels);
bool edge_u8_range(int32_t v);

/* Nonzero sizes; padding and strides may put any tap outside the input (it then reads zx). */
bool edge_conv_geometry_valid(const struct edge_conv_desc *d);

/* The direct first-layer convolution (conv-hwc.c): whether the path has one for this
   layer, and its factory, which reports EDGE_ERR_UNSUPPORTED for weights it cannot pack. */
bool edge_conv3x3s2c3_applies(const struct edge_path *path, const struct edge_conv_desc *d);
enum edge_status edge_conv3x3s2c3_create(struct edge_context *ctx, const struct edge_conv_desc *d,
                                         const uint8_t *weights, struct edge_op **out);

/* The same for the whole-row 3x3 depthwise (dwconv-rows.c); the description is valid. */
bool edge_dw3x3_applies(const struct edge_path *path, const struct edge_conv_desc *d);
enum edge_status edge_dw3x3_create(struct edge_context *ctx, const struct edge_conv_desc *d,
                                   const uint8_t *weights, struct edge_op **out);
