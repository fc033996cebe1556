#define _POSIX_C_SOURCE 200112L
/* Contexts, scratch memory, shared packing helpers and the generic operator entry points. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op-internal.h"
#include "ukernels.h"

const char *edge_status_message(enum edge_status s) {
  switch (s) {
    case EDGE_OK:
      return "ok";
    case EDGE_ERR_NOMEM:
      return "out of memory";
    case EDGE_ERR_INVALID:
      return "invalid operator description";
    case EDGE_ERR_UNSUPPORTED:
      return "unsupported";
    case EDGE_ERR_THREAD:
      return "could not start a thread";
  }
  return "unknown error";
}

void *edge_aligned_alloc(size_t bytes) {
  void *p = NULL;
  if (posix_memalign(&p, 64, bytes == 0 ? 64 : edge_round_up(bytes, 64)) != 0) return NULL;
  return p;
}

void edge_aligned_free(void *p) { free(p); }

void edge_mbqm_params_init(struct edge_mbqm_params *p, int32_t multiplier, int32_t shift) {
  const int32_t total = 31 - shift;
  p->multiplier = multiplier;
  p->shift = shift;
  p->total = total;
  p->unbias = (int32_t)(uint32_t)(UINT64_C(1) << (62 - total));
  p->biased_round = (INT64_C(1) << 62) + (INT64_C(1) << (total - 1));
  p->kind = shift < 0 ? EDGE_RQ_RIGHT : shift == 0 ? EDGE_RQ_ZERO : EDGE_RQ_LEFT;
}

bool edge_u8_range(int32_t v) { return v >= 0 && v <= 255; }

bool edge_fp32_bounded(const int32_t *bias, const float *scale, size_t channels, size_t products) {
  for (size_t c = 0; c < channels; c++) {
    const double acc = fabs((double)bias[c]) + (double)products * 255 * 255;
    /* The margin covers the two float32 roundings. */
    if (acc >= 2147483647.0 || acc * scale[c] * (1 + 0x1p-20) >= 2147483647.0) return false;
  }
  return true;
}

bool edge_scale_valid(const struct edge_scale_desc *r, size_t channels) {
  if (r->scale == NULL) return false;
  /* XNNPACK's range (ARITHMETIC.md); it also keeps every product finite. */
  for (size_t c = 0; c < channels; c++) {
    if (!(r->scale[c] > 0 && r->scale[c] < 256)) return false;
  }
  return edge_u8_range(r->zero_point) && edge_u8_range(r->min) && edge_u8_range(r->max) && r->min <= r->max;
}

bool edge_requant_valid(const struct edge_requant_desc *r, size_t channels) {
  if (r->multiplier == NULL || r->shift == NULL) return false;
  for (size_t c = 0; c < channels; c++) {
    if (r->multiplier[c] < 0 || r->shift[c] < -31 || r->shift[c] > 30) return false;
  }
  return edge_u8_range(r->zero_point) && edge_u8_range(r->min) && edge_u8_range(r->max) && r->min <= r->max;
}

enum edge_status edge_context_create(const char *path, size_t threads, struct edge_context **out, const char **why) {
  const struct edge_path *p = NULL;
  enum edge_status s = edge_path_select(path, &p, why);
  if (s != EDGE_OK) return s;
  struct edge_context *ctx = calloc(1, sizeof(*ctx));
  if (ctx == NULL) return EDGE_ERR_NOMEM;
  ctx->path = p;
  s = edge_pool_create(threads, &ctx->pool);
  if (s != EDGE_OK) {
    free(ctx);
    *why = edge_status_message(s);
    return s;
  }
  *out = ctx;
  return EDGE_OK;
}

void edge_context_destroy(struct edge_context *ctx) {
  if (ctx == NULL) return;
  edge_pool_destroy(ctx->pool);
  edge_aligned_free(ctx->workspace);
  free(ctx);
}

const struct edge_path *edge_context_path(const struct edge_context *ctx) { return ctx->path; }
size_t edge_context_threads(const struct edge_context *ctx) { return edge_pool_threads(ctx->pool); }

void *edge_workspace(struct edge_context *ctx, size_t bytes) {
  if (bytes <= ctx->workspace_bytes) return ctx->workspace;
  void *p = edge_aligned_alloc(bytes);
  if (p == NULL) return NULL;
  edge_aligned_free(ctx->workspace);
  ctx->workspace = p;
  ctx->workspace_bytes = bytes;
  return p;
}

struct edge_op_shape edge_op_shape(const struct edge_op *op) { return op->shape; }
const char *edge_op_kernel_name(const struct edge_op *op) { return op->kernel; }
size_t edge_op_bytes(const struct edge_op *op) { return op->bytes; }

enum edge_status edge_op_run(struct edge_context *ctx, const struct edge_op *op, const void *input,
                             const void *input2, void *output) {
  return op->run(ctx, op, input, input2, output);
}

void edge_op_destroy(struct edge_op *op) {
  if (op != NULL) op->destroy(op);
}
