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
  const struct edge_gemm_ukernel *tail; /* same packing as uk, for partial row tiles */
  size_t k, n, kc, blocks, block_bytes;
  bool rowsum;          /* some block needs the row sums of A */
  bool *block_rowsum;   /* per block: a column with kzp != 0 */
  struct edge_output_params out;
  uint8_t *packed;
};

static enum edge_status core_pack(struct gemm_core *g, const struct edge_path *path, size_t k, size_t n,
                                  int32_t zx, const int32_t *zw, const int32_t *bias,
                                  const struct edge_scale_desc *rq, const uint8_t *weights) {
  const struct edge_gemm_ukernel *uk = k >= path->gemm->min_k ? path->gemm : path->gemm_small;
  const size_t nr = uk->nr, kr = uk->kr;
  g->uk = uk;
  g->tail = path->gemm_tail;
  g->k = k;
  g->n = n;
  g->kc = edge_round_up(k, uk->kc_align);
  g->blocks = edge_div_up(n, nr);
  g->block_bytes = edge_gemm_block_bytes(nr, g->kc, uk->weights);
  g->out = edge_output_params_make(rq->zero_point, rq->min, rq->max);
  g->out.clamp_in_float = !edge_fp32_bounded(bias, rq->scale, n, k);
  g->rowsum = false;
  g->packed = edge_aligned_alloc(g->blocks * g->block_bytes);
  g->block_rowsum = calloc(g->blocks, sizeof(bool));
  if (g->packed == NULL || g->block_rowsum == NULL) {
    edge_aligned_free(g->packed);
    free(g->block_rowsum);
    return EDGE_ERR_NOMEM;
  }
  memset(g->packed, 0, g->blocks * g->block_bytes);

  for (size_t b = 0; b < g->blocks; b++) {
    uint8_t *block = g->packed + b * g->block_bytes;
    int32_t *head = (int32_t *)block;
    uint8_t *wk = block + 3 * nr * sizeof(int32_t);
    const size_t n0 = b * nr, cols = EDGE_MIN(nr, n - n0);
    memcpy(head + 2 * nr, rq->scale + n0, cols * sizeof(float));
    for (size_t j = 0; j < cols; j++) {
      const size_t c = n0 + j;
      const uint8_t *row = weights + c * k;
      int64_t centred = 0;
      for (size_t i = 0; i < k; i++) centred += row[i] - zw[c];
      head[j] = edge_fold_bias(bias[c], zx, centred);
      /* EDGE_W_S8 stores w - o; kzp = o - zw times the row sum makes up the difference. */
      int32_t offset = 0, kzp = 0;
      if (uk->weights == EDGE_W_U8) kzp = -zw[c];
      if (uk->weights == EDGE_W_S8) {
        int32_t lo = 255, hi = 0;
        for (size_t i = 0; i < k; i++) lo = EDGE_MIN(lo, row[i]), hi = EDGE_MAX(hi, row[i]);
        offset = edge_int8_offset(lo, hi, zw[c]);
        kzp = offset - zw[c];
      }
      head[nr + j] = kzp;
      if (kzp != 0) g->rowsum = g->block_rowsum[b] = true;
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
            wk[at] = (uint8_t)(int8_t)(row[i] - offset);
            break;
        }
      }
    }
  }
  return EDGE_OK;
}

static bool gemm_desc_valid(size_t k, size_t n, int32_t zx, const int32_t *zw, const int32_t *bias,
                            const struct edge_scale_desc *rq) {
  if (k == 0 || n == 0 || zw == NULL || bias == NULL || !edge_u8_range(zx)) return false;
  for (size_t c = 0; c < n; c++) {
    if (!edge_u8_range(zw[c])) return false;
  }
  return edge_scale_valid(rq, n);
}

struct conv_op;
static void im2col_rows(const struct conv_op *op, const uint8_t *input, size_t r0, size_t rows, uint8_t *a);

/*
 * One GEMM over `rows` rows. A tile of rows is read from the input as it is when the
 * micro-kernel can (gemm and 1x1 convolution with k a multiple of kr, uint8; for tile
 * kernels, a whole tile whose reads stay inside the input), else built in the thread's
 * scratch (im2col, zero padding up to kc, widening to int16); its row sums, when the
 * packing needs them, go to scratch as well. Both stay in L1.
 */
struct gemm_call {
  const struct gemm_core *g;
  const struct conv_op *conv; /* im2col source, or NULL */
  size_t rows;
  const uint8_t *input;
  bool copy; /* every tile goes through scratch */
  uint8_t *scratch;
  size_t scratch_stride;
  uint8_t *c;
  size_t chunks, blocks_per_chunk;
  size_t items_per_task; /* kernels with per-thread state: contiguous (tile, chunk) ranges */
};

static size_t a_row_bytes(const struct gemm_core *g) { return g->kc * (g->uk->a_i16 ? 2 : 1); }

static size_t tile_scratch_bytes(const struct gemm_core *g, bool copy) {
  return edge_round_up((copy || g->uk->full_tiles ? g->uk->mr * a_row_bytes(g) : 0) + g->uk->mr * sizeof(int32_t), 64);
}

/* Rows of A as the micro-kernel reads them: kc elements, zero past k. */
static void prepare_rows(const struct gemm_core *g, const uint8_t *src, size_t src_stride, size_t rows, void *dst) {
  for (size_t r = 0; r < rows; r++, src += src_stride) {
    if (g->uk->a_i16) {
      int16_t *d = (int16_t *)dst + r * g->kc;
      for (size_t i = 0; i < g->k; i++) d[i] = src[i];
      for (size_t i = g->k; i < g->kc; i++) d[i] = 0;
    } else {
      uint8_t *d = (uint8_t *)dst + r * g->kc;
      memcpy(d, src, g->k);
      memset(d + g->k, 0, g->kc - g->k);
    }
  }
}

static void row_sums(const struct gemm_core *g, size_t rows, const uint8_t *a, size_t a_stride, int32_t *out) {
  if (g->uk->rowsum != NULL) {
    g->uk->rowsum(rows, g->k, a, a_stride, out);
    return;
  }
  for (size_t r = 0; r < rows; r++) {
    uint32_t s = 0;
    for (size_t i = 0; i < g->k; i++) s += a[r * a_stride + i];
    out[r] = (int32_t)s;
  }
}

/* Row tile `tile` against the column blocks of chunk `chunk`. */
static void gemm_item(const struct gemm_call *call, size_t thread, size_t tile, size_t chunk) {
  const struct gemm_core *g = call->g;
  const struct edge_gemm_ukernel *uk = g->uk;
  const size_t mr = uk->mr, nr = uk->nr;
  const size_t m0 = tile * mr;
  const size_t b0 = chunk * call->blocks_per_chunk;
  const size_t b1 = EDGE_MIN(g->blocks, b0 + call->blocks_per_chunk);
  const size_t rows = EDGE_MIN(mr, call->rows - m0);
  uint8_t *scratch = call->scratch + thread * call->scratch_stride;

  /* A tile kernel reads mr rows of kc bytes: the last rows of the input need a copy. */
  const bool copy = call->copy || (uk->full_tiles && (rows < mr || (m0 + mr - 1) * g->k + g->kc > call->rows * g->k));
  const uint8_t *a;
  size_t a_stride;
  if (!copy) {
    a = call->input + m0 * g->k;
    a_stride = g->k;
  } else {
    a = scratch;
    a_stride = a_row_bytes(g);
    if (call->conv != NULL) im2col_rows(call->conv, call->input, m0, rows, scratch);
    else prepare_rows(g, call->input + m0 * g->k, g->k, rows, scratch);
  }
  int32_t *rowsum = NULL;
  if (g->rowsum) {
    rowsum = (int32_t *)(scratch + (call->copy || uk->full_tiles ? mr * a_row_bytes(g) : 0));
    row_sums(g, rows, a, a_stride, rowsum);
  }
  /* A partial tile of at most half the rows is cheaper row by row in the tail kernel. */
  const struct edge_gemm_ukernel *tail = g->tail;
  const bool use_tail = rows < mr && tail != uk && rows <= mr / 2;
  if (uk->n_loop && !use_tail) {
    /* Blocks without a kzp correction add 0 times the row sums. */
    const size_t n0 = b0 * nr;
    uk->fn(rows, EDGE_MIN(g->n, b1 * nr) - n0, g->kc, a, a_stride, rowsum, g->packed + b0 * g->block_bytes,
           call->c + m0 * g->n + n0, g->n, &g->out);
    return;
  }
  for (size_t b = b0; b < b1; b++) {
    const size_t nc = EDGE_MIN(nr, g->n - b * nr);
    const uint8_t *w = g->packed + b * g->block_bytes;
    uint8_t *c = call->c + m0 * g->n + b * nr;
    const int32_t *sums = g->block_rowsum[b] ? rowsum : NULL;
    if (!use_tail) {
      uk->fn(rows, nc, g->kc, a, a_stride, sums, w, c, g->n, &g->out);
      continue;
    }
    for (size_t r = 0; r < rows; r += tail->mr) {
      tail->fn(EDGE_MIN(tail->mr, rows - r), nc, g->kc, a + r * a_stride, a_stride, sums != NULL ? sums + r : NULL,
               w, c + r * g->n, g->n, &g->out);
    }
  }
}

/* Rows the micro-kernel cannot read from the input as they are, whatever the tile. */
static bool must_copy(const struct gemm_core *g) {
  return g->uk->a_i16 || (g->kc != g->k && !g->uk->full_tiles);
}

static void gemm_task(void *arg, size_t thread, size_t task) {
  const struct gemm_call *call = arg;
  gemm_item(call, thread, task / call->chunks, task % call->chunks);
}

/* For kernels with per-thread state: one setup per task, over a contiguous range of items. */
static void gemm_range_task(void *arg, size_t thread, size_t task) {
  const struct gemm_call *call = arg;
  const size_t items = edge_div_up(call->rows, call->g->uk->mr) * call->chunks;
  const size_t i0 = task * call->items_per_task, i1 = EDGE_MIN(items, i0 + call->items_per_task);
  call->g->uk->begin();
  for (size_t i = i0; i < i1; i++) gemm_item(call, thread, i / call->chunks, i % call->chunks);
  call->g->uk->end();
}

static enum edge_status gemm_compute(struct edge_context *ctx, const struct gemm_core *g,
                                     const struct conv_op *conv, size_t rows, const uint8_t *input, bool copy,
                                     uint8_t *c) {
  const size_t tiles = edge_div_up(rows, g->uk->mr);
  const size_t threads = edge_context_threads(ctx);
  const size_t stride = tile_scratch_bytes(g, copy);
  uint8_t *scratch = edge_workspace(ctx, threads * stride);
  if (scratch == NULL) return EDGE_ERR_NOMEM;
  /* Few row tiles (fully connected, the last layers): split the columns as well. */
  size_t chunks = 1;
  if (threads > 1 && tiles < 4 * threads) chunks = EDGE_MIN(g->blocks, edge_div_up(4 * threads, tiles));
  struct gemm_call call = {g, conv, rows, input, copy, scratch, stride, c, chunks, edge_div_up(g->blocks, chunks), 0};
  call.chunks = edge_div_up(g->blocks, call.blocks_per_chunk);
  const size_t items = tiles * call.chunks;
  if (g->uk->begin == NULL) {
    edge_pool_run(ctx->pool, gemm_task, &call, items);
    return EDGE_OK;
  }
  call.items_per_task = edge_div_up(items, edge_ranges(threads));
  edge_pool_run(ctx->pool, gemm_range_task, &call, edge_div_up(items, call.items_per_task));
  return EDGE_OK;
}

/* ---- GEMM operator ---- */

struct gemm_op {
  struct edge_op base;
  struct gemm_core core;
  size_t rows;
};

static enum edge_status gemm_run(struct edge_context *ctx, const struct edge_op *base, const void *input,
                                 const void *input2, void *output) {
  (void)input2;
  const struct gemm_op *op = (const struct gemm_op *)base;
  const struct gemm_core *g = &op->core;
  return gemm_compute(ctx, g, NULL, op->rows, input, must_copy(g), output);
}

static void core_free(struct gemm_core *g) {
  edge_aligned_free(g->packed);
  free(g->block_rowsum);
}

static void gemm_destroy(struct edge_op *base) {
  struct gemm_op *op = (struct gemm_op *)base;
  core_free(&op->core);
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
  enum edge_status s = core_pack(&op->core, ctx->path, d->k, d->n, d->input_zero_point, d->weight_zero_point,
                                 d->bias, &d->requant, weights);
  if (s != EDGE_OK) {
    free(op);
    return s;
  }
  op->rows = d->rows;
  op->base = (struct edge_op){{.input = d->rows * d->k, .output = d->rows * d->n},
                              op->core.uk->name,
                              sizeof(*op) + op->core.blocks * op->core.block_bytes,
                              gemm_run,
                              gemm_destroy};
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

/* Inline copy for the short spans of im2col (a kernel row of 3 channels is 9 bytes): no call, no overrun. */
static inline void copy_span(uint8_t *dst, const uint8_t *src, size_t n) {
  if (n >= 8) {
    size_t i = 0;
    for (; i + 8 < n; i += 8) memcpy(dst + i, src + i, 8);
    memcpy(dst + n - 8, src + n - 8, 8);
    return;
  }
  for (size_t i = 0; i < n; i++) dst[i] = src[i];
}

/* Rows r0 .. r0 + rows of the im2col matrix: taps outside the input hold zx, columns past k hold 0. */
static void im2col_rows(const struct conv_op *op, const uint8_t *input, size_t r0, size_t rows, uint8_t *a) {
  const struct edge_conv_desc *d = &op->geo;
  const struct gemm_core *g = &op->core;
  const size_t C = d->input_c, span = d->kernel_w * C;
  const uint8_t zx = (uint8_t)d->input_zero_point;
  size_t oy = r0 / d->output_w, ox = r0 % d->output_w;
  for (size_t r = 0; r < rows; r++) {
    /* Unsigned wrap-around puts taps above or left of the input out of range too. */
    const size_t ix0 = ox * d->stride_w - d->pad_left;
    const bool columns_inside = ix0 < d->input_w && ix0 + d->kernel_w <= d->input_w;
    uint8_t *row = g->uk->a_i16 ? a + r * g->kc * 2 : a + r * g->kc;
    uint8_t *bytes = g->uk->a_i16 ? row + g->kc : row; /* int16 rows: build bytes, then widen in place */
    for (size_t ky = 0; ky < d->kernel_h; ky++) {
      const size_t iy = oy * d->stride_h + ky - d->pad_top;
      uint8_t *dst = bytes + ky * span;
      if (iy >= d->input_h) {
        memset(dst, zx, span);
      } else if (columns_inside) {
        /* The taps of one kernel row are adjacent pixels: one copy. */
        copy_span(dst, input + (iy * d->input_w + ix0) * C, span);
      } else {
        for (size_t kx = 0; kx < d->kernel_w; kx++) {
          const size_t ix = ix0 + kx;
          if (ix < d->input_w) copy_span(dst + kx * C, input + (iy * d->input_w + ix) * C, C);
          else memset(dst + kx * C, zx, C);
        }
      }
    }
    for (size_t i = g->k; i < g->kc; i++) bytes[i] = 0;
    if (g->uk->a_i16) {
      int16_t *wide = (int16_t *)row;
      for (size_t i = 0; i < g->kc; i++) wide[i] = bytes[i];
    }
    if (++ox == d->output_w) {
      ox = 0;
      oy++;
    }
  }
}

static enum edge_status conv_run(struct edge_context *ctx, const struct edge_op *base, const void *input,
                                 const void *input2, void *output) {
  (void)input2;
  const struct conv_op *op = (const struct conv_op *)base;
  const struct gemm_core *g = &op->core;
  const size_t rows = op->geo.output_h * op->geo.output_w;
  if (op->direct) return gemm_compute(ctx, g, NULL, rows, input, must_copy(g), output);
  return gemm_compute(ctx, g, op, rows, input, true, output);
}

static void conv_destroy(struct edge_op *base) {
  struct conv_op *op = (struct conv_op *)base;
  core_free(&op->core);
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
  if (edge_conv3x3s2c3_applies(ctx->path, d)) {
    const enum edge_status s = edge_conv3x3s2c3_create(ctx, d, weights, out);
    if (s != EDGE_ERR_UNSUPPORTED) return s;
  }
  struct conv_op *op = calloc(1, sizeof(*op));
  if (op == NULL) return EDGE_ERR_NOMEM;
  enum edge_status s = core_pack(&op->core, ctx->path, k, d->output_c, d->input_zero_point,
                                 d->weight_zero_point, d->bias, &d->requant, weights);
  if (s != EDGE_OK) {
    free(op);
    return s;
  }
  op->geo = *d;
  op->geo.weight_zero_point = op->geo.bias = NULL;
  op->geo.requant.scale = NULL;
  op->direct = d->kernel_h == 1 && d->kernel_w == 1 && d->stride_h == 1 && d->stride_w == 1 && d->pad_top == 0 &&
               d->pad_left == 0 && d->output_h == d->input_h && d->output_w == d->input_w;
  op->base = (struct edge_op){{.input = d->input_h * d->input_w * d->input_c, .output = d->output_h * d->output_w * d->output_c},
                              op->core.uk->name, sizeof(*op) + op->core.blocks * op->core.block_bytes, conv_run,
                              conv_destroy};
  *out = &op->base;
  return EDGE_OK;
}
