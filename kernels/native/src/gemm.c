/*
 * Fully connected / 1x1 convolution (GEMM) and general convolution (im2col + the same
 * GEMM). Weights are packed once into the micro-kernel's tiles with the input zero point
 * folded into the bias; a run prepares A only when the micro-kernel cannot read the
 * input as it is (K not a multiple of kr, int16 activations, im2col), then splits
 * row tiles x column chunks across the pool.
 */
#include <stdlib.h>
#include <string.h>

#include "op-internal.h"

struct gemm_core {
  const struct edge_gemm_ukernel *uk;
  size_t k, n, kc, blocks, block_bytes;
  bool rowsum;
  struct edge_output_params out;
  uint8_t *packed;
};

static enum edge_status core_pack(struct gemm_core *g, const struct edge_gemm_ukernel *uk, size_t k, size_t n,
                                  int32_t zx, const int32_t *zw, const int32_t *bias,
                                  const struct edge_requant_desc *rq, const uint8_t *weights) {
  const size_t nr = uk->nr, kr = uk->kr;
  g->uk = uk;
  g->k = k;
  g->n = n;
  g->kc = edge_round_up(k, kr);
  g->blocks = edge_div_up(n, nr);
  g->block_bytes = edge_gemm_block_bytes(nr, g->kc, uk->weights);
  g->out = (struct edge_output_params){rq->zero_point, (uint8_t)rq->min, (uint8_t)rq->max};
  g->rowsum = false;
  g->packed = edge_aligned_alloc(g->blocks * g->block_bytes);
  if (g->packed == NULL) return EDGE_ERR_NOMEM;
  memset(g->packed, 0, g->blocks * g->block_bytes);

  /* int8 (w - zw) is exact only when every difference fits; otherwise store w - 128. */
  bool direct = true;
  if (uk->weights == EDGE_W_S8) {
    for (size_t c = 0; c < n && direct; c++) {
      for (size_t i = 0; i < k; i++) {
        int32_t d = weights[c * k + i] - zw[c];
        if (d < -128 || d > 127) {
          direct = false;
          break;
        }
      }
    }
  }

  for (size_t b = 0; b < g->blocks; b++) {
    uint8_t *block = g->packed + b * g->block_bytes;
    int32_t *head = (int32_t *)block;
    uint8_t *wk = block + (2 + EDGE_RQ_FIELDS) * nr * sizeof(int32_t);
    const size_t n0 = b * nr, cols = EDGE_MIN(nr, n - n0);
    edge_pack_requant(head + 2 * nr, nr, rq->multiplier, rq->shift, n0, cols);
    for (size_t j = 0; j < cols; j++) {
      const size_t c = n0 + j;
      const uint8_t *row = weights + c * k;
      int64_t centred = 0;
      for (size_t i = 0; i < k; i++) centred += row[i] - zw[c];
      /* The true sum is taken modulo 2^32, like the int32 accumulator it stands for. */
      head[j] = (int32_t)(uint32_t)((int64_t)bias[c] - (int64_t)zx * centred);
      int32_t kzp = 0;
      if (uk->weights == EDGE_W_U8) kzp = -zw[c];
      if (uk->weights == EDGE_W_S8 && !direct) kzp = 128 - zw[c];
      head[nr + j] = kzp;
      if (kzp != 0) g->rowsum = true;
      for (size_t i = 0; i < k; i++) {
        const size_t at = (i / kr) * nr * kr + j * kr + i % kr;
        switch (uk->weights) {
          case EDGE_W_I16:
            ((int16_t *)wk)[at] = (int16_t)(row[i] - zw[c]);
            break;
          case EDGE_W_U8:
            wk[at] = row[i];
            break;
          case EDGE_W_S8:
            wk[at] = (uint8_t)(int8_t)(direct ? row[i] - zw[c] : row[i] - 128);
            break;
        }
      }
    }
  }
  return EDGE_OK;
}

static bool gemm_desc_valid(size_t k, size_t n, int32_t zx, const int32_t *zw, const int32_t *bias,
                            const struct edge_requant_desc *rq) {
  if (k == 0 || n == 0 || zw == NULL || bias == NULL || !edge_u8_range(zx)) return false;
  for (size_t c = 0; c < n; c++) {
    if (!edge_u8_range(zw[c])) return false;
  }
  return edge_requant_valid(rq, n);
}

/* One GEMM over `rows` rows of prepared A. */
struct gemm_call {
  const struct gemm_core *g;
  size_t rows;
  const uint8_t *a;
  size_t a_stride;
  const int32_t *rowsum;
  uint8_t *c;
  size_t chunks, blocks_per_chunk;
};

static void gemm_task(void *arg, size_t thread, size_t task) {
  (void)thread;
  const struct gemm_call *call = arg;
  const struct gemm_core *g = call->g;
  const size_t mr = g->uk->mr, nr = g->uk->nr;
  const size_t m0 = task / call->chunks * mr;
  const size_t b0 = task % call->chunks * call->blocks_per_chunk;
  const size_t b1 = EDGE_MIN(g->blocks, b0 + call->blocks_per_chunk);
  const size_t rows = EDGE_MIN(mr, call->rows - m0);
  for (size_t b = b0; b < b1; b++) {
    g->uk->fn(rows, EDGE_MIN(nr, g->n - b * nr), g->kc, call->a + m0 * call->a_stride, call->a_stride,
              call->rowsum != NULL ? call->rowsum + m0 : NULL, g->packed + b * g->block_bytes,
              call->c + m0 * g->n + b * nr, g->n, &g->out);
  }
}

static void gemm_compute(struct edge_context *ctx, const struct gemm_core *g, size_t rows, const uint8_t *a,
                         size_t a_stride, const int32_t *rowsum, uint8_t *c) {
  const size_t tiles = edge_div_up(rows, g->uk->mr);
  const size_t threads = edge_context_threads(ctx);
  /* Few row tiles (fully connected, the last layers): split the columns as well. */
  size_t chunks = 1;
  if (threads > 1 && tiles < 4 * threads) chunks = EDGE_MIN(g->blocks, edge_div_up(4 * threads, tiles));
  struct gemm_call call = {g, rows, a, a_stride, rowsum, c, chunks, edge_div_up(g->blocks, chunks)};
  call.chunks = edge_div_up(g->blocks, call.blocks_per_chunk);
  edge_pool_run(ctx->pool, gemm_task, &call, tiles * call.chunks);
}

/* Rows of A as the micro-kernel reads them: kc elements, zero past k. */
static void prepare_row(const struct gemm_core *g, const uint8_t *src, void *dst) {
  if (g->uk->a_i16) {
    int16_t *d = dst;
    for (size_t i = 0; i < g->k; i++) d[i] = src[i];
    for (size_t i = g->k; i < g->kc; i++) d[i] = 0;
  } else {
    memcpy(dst, src, g->k);
    memset((uint8_t *)dst + g->k, 0, g->kc - g->k);
  }
}

static int32_t row_sum(const uint8_t *row, size_t n) {
  uint32_t s = 0;
  for (size_t i = 0; i < n; i++) s += row[i];
  return (int32_t)s;
}

/* ---- GEMM operator ---- */

struct gemm_op {
  struct edge_op base;
  struct gemm_core core;
  size_t rows;
};

#define PREPARE_ROWS 64

struct prepare_call {
  const struct gemm_core *g;
  size_t rows;
  const uint8_t *input;
  size_t input_stride;
  uint8_t *a; /* NULL: A is the input */
  size_t a_stride;
  int32_t *rowsum;
};

static void prepare_task(void *arg, size_t thread, size_t task) {
  (void)thread;
  const struct prepare_call *p = arg;
  const size_t r1 = EDGE_MIN(p->rows, (task + 1) * PREPARE_ROWS);
  for (size_t r = task * PREPARE_ROWS; r < r1; r++) {
    const uint8_t *src = p->input + r * p->input_stride;
    if (p->a != NULL) prepare_row(p->g, src, p->a + r * p->a_stride);
    if (p->rowsum != NULL) p->rowsum[r] = row_sum(src, p->g->k);
  }
}

static enum edge_status gemm_run(struct edge_context *ctx, const struct edge_op *base, const void *input,
                                 const void *input2, void *output) {
  (void)input2;
  const struct gemm_op *op = (const struct gemm_op *)base;
  const struct gemm_core *g = &op->core;
  const bool copy = g->uk->a_i16 || g->kc != g->k;
  const size_t a_stride = g->kc * (g->uk->a_i16 ? 2 : 1);
  const size_t a_bytes = copy ? edge_round_up(op->rows * a_stride, 64) : 0;
  const size_t sum_bytes = g->rowsum ? op->rows * sizeof(int32_t) : 0;
  uint8_t *ws = NULL;
  if (a_bytes + sum_bytes != 0) {
    ws = edge_workspace(ctx, a_bytes + sum_bytes);
    if (ws == NULL) return EDGE_ERR_NOMEM;
    struct prepare_call p = {g, op->rows, input, g->k, copy ? ws : NULL, a_stride,
                             g->rowsum ? (int32_t *)(ws + a_bytes) : NULL};
    edge_pool_run(ctx->pool, prepare_task, &p, edge_div_up(op->rows, PREPARE_ROWS));
  }
  gemm_compute(ctx, g, op->rows, copy ? ws : input, copy ? a_stride : g->k,
               g->rowsum ? (const int32_t *)(ws + a_bytes) : NULL, output);
  return EDGE_OK;
}

static void gemm_destroy(struct edge_op *base) {
  struct gemm_op *op = (struct gemm_op *)base;
  edge_aligned_free(op->core.packed);
  free(op);
}

enum edge_status edge_gemm_create(struct edge_context *ctx, const struct edge_gemm_desc *d, const uint8_t *weights,
                                  struct edge_op **out) {
  if (d->rows == 0 || weights == NULL ||
      !gemm_desc_valid(d->k, d->n, d->input_zero_point, d->weight_zero_point, d->bias, &d->requant)) {
    return EDGE_ERR_INVALID;
  }
  struct gemm_op *op = calloc(1, sizeof(*op));
  if (op == NULL) return EDGE_ERR_NOMEM;
  enum edge_status s = core_pack(&op->core, ctx->path->gemm, d->k, d->n, d->input_zero_point, d->weight_zero_point,
                                 d->bias, &d->requant, weights);
  if (s != EDGE_OK) {
    free(op);
    return s;
  }
  op->rows = d->rows;
  op->base = (struct edge_op){{.input = d->rows * d->k, .output = d->rows * d->n}, ctx->path->gemm->name, gemm_run, gemm_destroy};
  *out = &op->base;
  return EDGE_OK;
}

/* ---- Convolution ---- */

struct conv_op {
  struct edge_op base;
  struct gemm_core core;
  struct edge_conv_desc geo; /* sizes only; the arrays are not kept */
  bool direct;               /* 1x1, stride 1, no padding: the input is A */
};

struct im2col_call {
  const struct conv_op *op;
  const uint8_t *input;
  uint8_t *a;
  size_t a_stride;
  int32_t *rowsum;
};

static void im2col_task(void *arg, size_t thread, size_t task) {
  (void)thread;
  const struct im2col_call *p = arg;
  const struct edge_conv_desc *d = &p->op->geo;
  const struct gemm_core *g = &p->op->core;
  const size_t rows = d->output_h * d->output_w, C = d->input_c;
  const uint8_t zx = (uint8_t)d->input_zero_point;
  const size_t r1 = EDGE_MIN(rows, (task + 1) * PREPARE_ROWS);
  for (size_t r = task * PREPARE_ROWS; r < r1; r++) {
    const size_t oy = r / d->output_w, ox = r % d->output_w;
    uint8_t *row = p->a + r * p->a_stride;
    size_t at = 0;
    uint32_t sum = 0;
    for (size_t ky = 0; ky < d->kernel_h; ky++) {
      /* Unsigned wrap-around puts taps above or left of the input out of range too. */
      const size_t iy = oy * d->stride_h + ky - d->pad_top;
      for (size_t kx = 0; kx < d->kernel_w; kx++, at += C) {
        const size_t ix = ox * d->stride_w + kx - d->pad_left;
        const bool inside = iy < d->input_h && ix < d->input_w;
        const uint8_t *src = inside ? p->input + (iy * d->input_w + ix) * C : NULL;
        if (g->uk->a_i16) {
          int16_t *dst = (int16_t *)row + at;
          for (size_t c = 0; c < C; c++) dst[c] = inside ? src[c] : zx;
        } else if (inside) {
          memcpy(row + at, src, C);
        } else {
          memset(row + at, zx, C);
        }
      }
    }
    if (g->uk->a_i16) {
      for (size_t i = g->k; i < g->kc; i++) ((int16_t *)row)[i] = 0;
    } else {
      memset(row + g->k, 0, g->kc - g->k);
      if (p->rowsum != NULL) {
        for (size_t i = 0; i < g->k; i++) sum += row[i];
        p->rowsum[r] = (int32_t)sum;
      }
    }
  }
}

static enum edge_status conv_run(struct edge_context *ctx, const struct edge_op *base, const void *input,
                                 const void *input2, void *output) {
  (void)input2;
  const struct conv_op *op = (const struct conv_op *)base;
  const struct gemm_core *g = &op->core;
  const size_t rows = op->geo.output_h * op->geo.output_w;
  if (op->direct && !g->uk->a_i16 && g->kc == g->k) {
    int32_t *rowsum = NULL;
    if (g->rowsum) {
      rowsum = edge_workspace(ctx, rows * sizeof(int32_t));
      if (rowsum == NULL) return EDGE_ERR_NOMEM;
      struct prepare_call p = {g, rows, input, g->k, NULL, 0, rowsum};
      edge_pool_run(ctx->pool, prepare_task, &p, edge_div_up(rows, PREPARE_ROWS));
    }
    gemm_compute(ctx, g, rows, input, g->k, rowsum, output);
    return EDGE_OK;
  }
  const size_t a_stride = g->kc * (g->uk->a_i16 ? 2 : 1);
  const size_t a_bytes = edge_round_up(rows * a_stride, 64);
  uint8_t *ws = edge_workspace(ctx, a_bytes + (g->rowsum ? rows * sizeof(int32_t) : 0));
  if (ws == NULL) return EDGE_ERR_NOMEM;
  int32_t *rowsum = g->rowsum ? (int32_t *)(ws + a_bytes) : NULL;
  struct im2col_call p = {op, input, ws, a_stride, rowsum};
  edge_pool_run(ctx->pool, im2col_task, &p, edge_div_up(rows, PREPARE_ROWS));
  gemm_compute(ctx, g, rows, ws, a_stride, rowsum, output);
  return EDGE_OK;
}

static void conv_destroy(struct edge_op *base) {
  struct conv_op *op = (struct conv_op *)base;
  edge_aligned_free(op->core.packed);
  free(op);
}

bool edge_conv_geometry_valid(const struct edge_conv_desc *d) {
  return d->input_h && d->input_w && d->input_c && d->output_h && d->output_w && d->output_c && d->kernel_h &&
         d->kernel_w && d->stride_h && d->stride_w && d->depth_multiplier;
}

enum edge_status edge_conv_create(struct edge_context *ctx, const struct edge_conv_desc *d, const uint8_t *weights,
                                  struct edge_op **out) {
  const size_t k = d->kernel_h * d->kernel_w * d->input_c;
  if (weights == NULL || !edge_conv_geometry_valid(d) ||
      !gemm_desc_valid(k, d->output_c, d->input_zero_point, d->weight_zero_point, d->bias, &d->requant)) {
    return EDGE_ERR_INVALID;
  }
  struct conv_op *op = calloc(1, sizeof(*op));
  if (op == NULL) return EDGE_ERR_NOMEM;
  enum edge_status s = core_pack(&op->core, ctx->path->gemm, k, d->output_c, d->input_zero_point,
                                 d->weight_zero_point, d->bias, &d->requant, weights);
  if (s != EDGE_OK) {
    free(op);
    return s;
  }
  op->geo = *d;
  op->geo.weight_zero_point = op->geo.bias = NULL;
  op->geo.requant.multiplier = op->geo.requant.shift = NULL;
  op->direct = d->kernel_h == 1 && d->kernel_w == 1 && d->stride_h == 1 && d->stride_w == 1 && d->pad_top == 0 &&
               d->pad_left == 0 && d->output_h == d->input_h && d->output_w == d->input_w;
  op->base = (struct edge_op){{.input = d->input_h * d->input_w * d->input_c, .output = d->output_h * d->output_w * d->output_c},
                              ctx->path->gemm->name, conv_run, conv_destroy};
  *out = &op->base;
  return EDGE_OK;
}
