/*
 * The lookup operator (hard-swish, RELU, RELU6 as 256-byte tables) and the broadcasting
 * multiply (squeeze-and-excite's H x W x C by 1 x 1 x C). Each runs the kernel of its
 * list that the context's path covers (kernel-table.h).
 */
#include <stdlib.h>
#include <string.h>

#include "op-internal.h"
#include "requantize.h"

static void free_op(struct edge_op *op) { free(op); }

/* ---- Lookup ---- */

struct lookup_op {
  struct edge_op base;
  const struct edge_lut_ukernel *uk;
  size_t size;
  uint8_t table[256];
};

#define LOOKUP_CHUNK 16384

struct lookup_call {
  const struct lookup_op *op;
  const uint8_t *in;
  uint8_t *out;
};

static void lookup_task(void *arg, size_t thread, size_t task) {
  (void)thread;
  const struct lookup_call *c = arg;
  const size_t i = task * LOOKUP_CHUNK, n = EDGE_MIN(LOOKUP_CHUNK, c->op->size - i);
  c->op->uk->fn(n, c->in + i, c->op->table, c->out + i);
}

static enum edge_status lookup_run(struct edge_context *ctx, const struct edge_op *base, const void *input,
                                   const void *input2, void *output) {
  (void)input2;
  const struct lookup_op *op = (const struct lookup_op *)base;
  struct lookup_call call = {op, input, output};
  edge_pool_run(ctx->pool, lookup_task, &call, edge_div_up(op->size, LOOKUP_CHUNK));
  return EDGE_OK;
}

enum edge_status edge_lookup_create(struct edge_context *ctx, const struct edge_lookup_desc *d, struct edge_op **out) {
  if (!d->size || d->table == NULL) return EDGE_ERR_INVALID;
  struct lookup_op *op = calloc(1, sizeof *op);
  if (op == NULL) return EDGE_ERR_NOMEM;
  op->uk = edge_path_lut(ctx->path);
  struct edge_op_shape shape = {.input = d->size, .output = d->size};
  op->base = (struct edge_op){shape, op->uk->name, sizeof *op, lookup_run, free_op};
  op->size = d->size;
  memcpy(op->table, d->table, 256);
  *out = &op->base;
  return EDGE_OK;
}

/* ---- Multiply ---- */

struct mul_op {
  struct edge_op base;
  const struct edge_mul_ukernel *uk;
  struct edge_mul_desc d; /* padded to 4 axes, outermost first; inner strides 1 or 0 */
  struct edge_mul_params p;
};

/*
 * Rows along the innermost axis. The kernels read both operands contiguously; an operand
 * repeated along that axis (stride 0) is spread into a row of the workspace first.
 */
static enum edge_status mul_run(struct edge_context *ctx, const struct edge_op *base, const void *input,
                                const void *input2, void *output) {
  const struct mul_op *op = (const struct mul_op *)base;
  const struct edge_mul_desc *d = &op->d;
  const size_t n = d->shape[3];
  const bool spread_a = d->stride_a[3] == 0, spread_b = d->stride_b[3] == 0;
  uint8_t *row = NULL;
  if (spread_a || spread_b) {
    row = edge_workspace(ctx, 2 * n);
    if (row == NULL) return EDGE_ERR_NOMEM;
  }
  const uint8_t *a = input, *b = input2;
  uint8_t *y = output;
  for (size_t i0 = 0; i0 < d->shape[0]; i0++) {
    for (size_t i1 = 0; i1 < d->shape[1]; i1++) {
      for (size_t i2 = 0; i2 < d->shape[2]; i2++) {
        const uint8_t *ra = a + i0 * d->stride_a[0] + i1 * d->stride_a[1] + i2 * d->stride_a[2];
        const uint8_t *rb = b + i0 * d->stride_b[0] + i1 * d->stride_b[1] + i2 * d->stride_b[2];
        if (spread_a) ra = memset(row, *ra, n);
        if (spread_b) rb = memset(row + n, *rb, n);
        op->uk->fn(n, ra, rb, y, &op->p);
        y += n;
      }
    }
  }
  return EDGE_OK;
}

enum edge_status edge_mul_create(struct edge_context *ctx, const struct edge_mul_desc *d, struct edge_op **out) {
  if (d->rank < 1 || d->rank > 4 || !edge_u8_range(d->zero_point_a) || !edge_u8_range(d->zero_point_b) ||
      !edge_u8_range(d->zero_point) || !edge_u8_range(d->min) || !edge_u8_range(d->max) || d->min > d->max ||
      !(d->scale > 0 && d->scale < 256)) {
    return EDGE_ERR_INVALID;
  }
  struct mul_op *op = calloc(1, sizeof *op);
  if (op == NULL) return EDGE_ERR_NOMEM;
  struct edge_mul_desc *p = &op->d;
  *p = *d;
  size_t size = 1, size_a = 1, size_b = 1;
  for (size_t k = 0; k < 4; k++) {
    const bool given = k >= 4 - d->rank;
    const size_t from = k - (4 - d->rank);
    p->shape[k] = given ? d->shape[from] : 1;
    p->stride_a[k] = given ? d->stride_a[from] : 0;
    p->stride_b[k] = given ? d->stride_b[from] : 0;
    if (p->shape[k] == 0) {
      free(op);
      return EDGE_ERR_INVALID;
    }
    size *= p->shape[k];
    size_a += (p->shape[k] - 1) * p->stride_a[k];
    size_b += (p->shape[k] - 1) * p->stride_b[k];
  }
  /* A strided innermost axis would need a gather; the load step never produces one. */
  if (p->stride_a[3] > 1 || p->stride_b[3] > 1) {
    free(op);
    return EDGE_ERR_INVALID;
  }
  op->uk = edge_path_mul(ctx->path);
  struct edge_op_shape shape = {.input = size_a, .input2 = size_b, .output = size};
  op->base = (struct edge_op){shape, op->uk->name, sizeof *op, mul_run, free_op};
  op->p = (struct edge_mul_params){d->zero_point_a, d->zero_point_b, d->scale,
                                   edge_output_params_make(d->zero_point, d->min, d->max)};
  *out = &op->base;
  return EDGE_OK;
}
