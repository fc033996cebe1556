/* What every operator implementation shares; not part of the API. */
#pragma once

#include <string.h>

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

/*
 * bias' = bias - zx * sum(w - zw), the input zero point folded into the bias; `centred`
 * is the true sum, taken modulo 2^32 like the int32 accumulator it stands for.
 */
static inline int32_t edge_fold_bias(int32_t bias, int32_t zx, int64_t centred) {
  return (int32_t)(uint32_t)((int64_t)bias - (int64_t)zx * centred);
}

/*
 * For weights stored as int8 w - o: the offset o nearest zw for which every w in [lo, hi]
 * fits, zw itself whenever it can (int8 models, and all but a channel or two of uint8
 * ones). o - zw, the correction, is then mostly 0.
 */
static inline int32_t edge_int8_offset(int32_t lo, int32_t hi, int32_t zw) {
  return EDGE_MIN(EDGE_MAX(zw, hi - 127), lo + 128);
}

/* An input row copied into `row` between zx padding: `left` bytes, the span, then zx up to row_bytes. */
static inline void edge_pad_row(uint8_t *row, size_t row_bytes, const uint8_t *src, size_t left, size_t span,
                                int32_t zx) {
  memset(row, zx, left);
  memcpy(row + left, src, span);
  memset(row + left + span, zx, row_bytes - left - span);
}

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
