/*
 * The first layer of a MobileNet (3x3 stride 2 over 3 channels) on the path's direct
 * kernel, when it has one: a MobileNet's 224x224 input makes im2col cost as much as the
 * arithmetic. Each output row gets its three input rows copied into scratch with zx on
 * both sides, so that the kernel reads every window the same way and never past the
 * buffer; the copies are 3 x 672 bytes per row of 112 outputs.
 */
#include <stdlib.h>
#include <string.h>

#include "op-internal.h"

struct conv3_op {
  struct edge_op base;
  struct edge_conv_desc geo; /* sizes only */
  const struct edge_conv_ukernel *uk;
  struct edge_output_params out;
  uint8_t *packed;
  uint8_t *zero_row; /* row_bytes of zx, for rows above and below the input */
  size_t row_bytes;  /* a padded row: every byte the kernel reads */
};

struct conv3_call {
  const struct conv3_op *op;
  const uint8_t *input;
  uint8_t *output;
  uint8_t *scratch; /* per thread: 3 padded rows */
  size_t rows_per_task;
};

static void conv3_row(const struct conv3_call *call, size_t thread, size_t oy) {
  const struct conv3_op *op = call->op;
  const struct edge_conv_desc *d = &op->geo;
  uint8_t *scratch = call->scratch + thread * 3 * op->row_bytes;
  const uint8_t *rows[3];
  const size_t left = d->pad_left * 3, span = d->input_w * 3;
  for (size_t ky = 0; ky < 3; ky++) {
    /* Unsigned wrap-around puts rows above the input out of range too. */
    const size_t iy = oy * 2 + ky - d->pad_top;
    if (iy >= d->input_h) {
      rows[ky] = op->zero_row;
      continue;
    }
    uint8_t *row = scratch + ky * op->row_bytes;
    edge_pad_row(row, op->row_bytes, call->input + iy * span, left, span, d->input_zero_point);
    rows[ky] = row;
  }
  op->uk->fn(d->output_w, rows, op->packed, d->output_c, call->output + oy * d->output_w * d->output_c, &op->out);
}

static void conv3_task(void *arg, size_t thread, size_t task) {
  const struct conv3_call *call = arg;
  const size_t y0 = task * call->rows_per_task, y1 = EDGE_MIN(call->op->geo.output_h, y0 + call->rows_per_task);
  for (size_t oy = y0; oy < y1; oy++) conv3_row(call, thread, oy);
}

static enum edge_status conv3_run(struct edge_context *ctx, const struct edge_op *base, const void *input,
                                  const void *input2, void *output) {
  (void)input2;
  const struct conv3_op *op = (const struct conv3_op *)base;
  const size_t threads = edge_context_threads(ctx);
  uint8_t *scratch = edge_workspace(ctx, threads * 3 * op->row_bytes);
  if (scratch == NULL) return EDGE_ERR_NOMEM;
  /* Ranges of rows, for the row copies' sake as much as the threads'. */
  struct conv3_call call = {op, input, output, scratch, edge_div_up(op->geo.output_h, edge_ranges(threads))};
  edge_pool_run(ctx->pool, conv3_task, &call, edge_div_up(op->geo.output_h, call.rows_per_task));
  return EDGE_OK;
}

static void conv3_destroy(struct edge_op *base) {
  struct conv3_op *op = (struct conv3_op *)base;
  edge_aligned_free(op->packed);
  edge_aligned_free(op->zero_row);
  free(op);
}

/* Packs one block of 32 channels (ukernels.h); o - zw must fit int8 as well. */
static bool pack_block(const struct edge_conv_desc *d, const uint8_t *weights, size_t c0, uint8_t *block) {
  int32_t *bias = (int32_t *)block;
  float *scale = (float *)(bias + 32);
  int8_t *wk = (int8_t *)(block + EDGE_CONV3X3S2C3_HEAD_BYTES);
  int8_t *kz = wk + 3 * 384;
  const size_t n = EDGE_MIN(32, d->output_c - c0);
  for (size_t j = 0; j < n; j++) {
    const size_t c = c0 + j;
    const uint8_t *w = weights + c * 27;
    const int32_t zw = d->weight_zero_point[c];
    int32_t lo = 255, hi = 0;
    int64_t centred = 0;
    for (size_t i = 0; i < 27; i++) {
      lo = EDGE_MIN(lo, w[i]);
      hi = EDGE_MAX(hi, w[i]);
      centred += w[i] - zw;
    }
    const int32_t o = edge_int8_offset(lo, hi, zw);
    if (o - zw < -128 || o - zw > 127) return false;
    bias[j] = edge_fold_bias(d->bias[c], d->input_zero_point, centred);
    scale[j] = d->requant.scale[c];
    if (o != zw) bias[64] = 1;
    for (size_t ky = 0; ky < 3; ky++) {
      /* Window byte b of kernel row ky is tap (ky, b / 3) of input channel b % 3 (OHWI). */
      for (size_t b = 0; b < 9; b++) wk[384 * ky + (b / 4) * 128 + j * 4 + b % 4] = (int8_t)(w[ky * 9 + b] - o);
    }
    for (size_t b = 0; b < 9; b++) kz[(b / 4) * 128 + j * 4 + b % 4] = (int8_t)(o - zw);
  }
  return true;
}

bool edge_conv3x3s2c3_applies(const struct edge_path *path, const struct edge_conv_desc *d) {
  return path->conv != NULL && d->kernel_h == 3 && d->kernel_w == 3 && d->stride_h == 2 && d->stride_w == 2 &&
         d->input_c == 3;
}

enum edge_status edge_conv3x3s2c3_create(struct edge_context *ctx, const struct edge_conv_desc *d,
                                         const uint8_t *weights, struct edge_op **out) {
  struct conv3_op *op = calloc(1, sizeof(*op));
  if (op == NULL) return EDGE_ERR_NOMEM;
  op->geo = *d;
  op->geo.weight_zero_point = op->geo.bias = NULL;
  op->geo.requant.scale = NULL;
  op->uk = ctx->path->conv;
  op->out = edge_output_params_make(d->requant.zero_point, d->requant.min, d->requant.max);
  op->out.clamp_in_float = !edge_fp32_bounded(d->bias, d->requant.scale, d->output_c, 27);
  const size_t reads = 6 * edge_round_up(d->output_w, op->uk->pixels) + 6;
  op->row_bytes = edge_round_up(EDGE_MAX(reads, (d->pad_left + d->input_w) * 3), 64);
  const size_t blocks = edge_div_up(d->output_c, 32);
  op->packed = edge_aligned_alloc(blocks * EDGE_CONV3X3S2C3_BLOCK_BYTES);
  op->zero_row = edge_aligned_alloc(op->row_bytes);
  if (op->packed == NULL || op->zero_row == NULL) {
    conv3_destroy(&op->base);
    return EDGE_ERR_NOMEM;
  }
  memset(op->packed, 0, blocks * EDGE_CONV3X3S2C3_BLOCK_BYTES);
  memset(op->zero_row, d->input_zero_point, op->row_bytes);
  for (size_t b = 0; b < blocks; b++) {
    if (!pack_block(d, weights, b * 32, op->packed + b * EDGE_CONV3X3S2C3_BLOCK_BYTES)) {
      conv3_destroy(&op->base);
      return EDGE_ERR_UNSUPPORTED;
    }
  }
  op->base = (struct edge_op){{.input = d->input_h * d->input_w * 3, .output = d->output_h * d->output_w * d->output_c},
                              op->uk->name,
                              sizeof(*op) + blocks * EDGE_CONV3X3S2C3_BLOCK_BYTES + op->row_bytes,
                              conv3_run,
                              conv3_destroy};
  *out = &op->base;
  return EDGE_OK;
}
