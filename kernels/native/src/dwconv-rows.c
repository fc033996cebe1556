/*
 * 3x3 stride-1 depthwise over pairs of output rows, on the path's dw3s1 kernel when it
 * has one (ukernels.h describes the contract). Each thread walks a contiguous range of
 * row pairs and keeps the input rows it needs in a ring of four zx-padded copies: a pair
 * shares two rows with the previous one, so every input row is copied once per thread.
 */
#include <stdlib.h>
#include <string.h>

#include "op-internal.h"

struct dw3_op {
  struct edge_op base;
  struct edge_conv_desc geo; /* sizes only */
  const struct edge_dw3x3s1_ukernel *uk;
  struct edge_output_params out;
  struct edge_dw3x3s1_pattern *patterns;
  size_t pattern_count;
  uint8_t *zero_row; /* row_bytes of zx, for rows above and below the input */
  size_t row_bytes;  /* a padded row: every byte the kernel reads */
};

struct dw3_call {
  const struct dw3_op *op;
  const uint8_t *input;
  uint8_t *output;
  uint8_t *scratch; /* per thread: 4 padded rows */
  size_t pairs_per_task;
};

static void dw3_task(void *arg, size_t thread, size_t task) {
  const struct dw3_call *call = arg;
  const struct dw3_op *op = call->op;
  const struct edge_conv_desc *d = &op->geo;
  const size_t pairs = edge_div_up(d->output_h, 2);
  const size_t q0 = task * call->pairs_per_task, q1 = EDGE_MIN(pairs, q0 + call->pairs_per_task);
  uint8_t *ring = call->scratch + thread * 4 * op->row_bytes;
  size_t held[4] = {SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX}; /* the input row in each slot */
  const size_t C = d->input_c, left = d->pad_left * C, span = d->input_w * C;
  const size_t out_row = d->output_w * C;
  for (size_t q = q0; q < q1; q++) {
    const size_t oy = 2 * q;
    const uint8_t *rows[4];
    for (size_t r = 0; r < 4; r++) {
      /* Unsigned wrap-around puts rows above the input out of range too. */
      const size_t iy = oy + r - d->pad_top;
      if (iy >= d->input_h) {
        rows[r] = op->zero_row;
        continue;
      }
      uint8_t *row = ring + (iy % 4) * op->row_bytes;
      if (held[iy % 4] != iy) {
        memset(row, d->input_zero_point, left);
        memcpy(row + left, call->input + iy * span, span);
        memset(row + left + span, d->input_zero_point, op->row_bytes - left - span);
        held[iy % 4] = iy;
      }
      rows[r] = row;
    }
    uint8_t *top = call->output + oy * out_row;
    op->uk->fn(out_row, C, rows, op->patterns, op->pattern_count, top, oy + 1 < d->output_h ? top + out_row : NULL,
               &op->out);
  }
}

static enum edge_status dw3_run(struct edge_context *ctx, const struct edge_op *base, const void *input,
                                const void *input2, void *output) {
  (void)input2;
  const struct dw3_op *op = (const struct dw3_op *)base;
  const size_t threads = edge_context_threads(ctx);
  uint8_t *scratch = edge_workspace(ctx, threads * 4 * op->row_bytes);
  if (scratch == NULL) return EDGE_ERR_NOMEM;
  const size_t pairs = edge_div_up(op->geo.output_h, 2);
  struct dw3_call call = {op, input, output, scratch, edge_div_up(pairs, threads)};
  edge_pool_run(ctx->pool, dw3_task, &call, edge_div_up(pairs, call.pairs_per_task));
  return EDGE_OK;
}

static void dw3_destroy(struct edge_op *base) {
  struct dw3_op *op = (struct dw3_op *)base;
  edge_aligned_free(op->patterns);
  edge_aligned_free(op->zero_row);
  free(op);
}

static size_t gcd(size_t a, size_t b) {
  while (b != 0) {
    const size_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

bool edge_dw3x3s1_applies(const struct edge_path *path, const struct edge_conv_desc *d) {
  return path->dw3s1 != NULL && d->kernel_h == 3 && d->kernel_w == 3 && d->stride_h == 1 && d->stride_w == 1 &&
         d->depth_multiplier == 1;
}

enum edge_status edge_dw3x3s1_create(struct edge_context *ctx, const struct edge_conv_desc *d,
                                     const uint8_t *weights, struct edge_op **out) {
  const size_t C = d->input_c;
  /* Per channel: the offset o (zw when every w - zw fits int8) and bias' with zx folded in. */
  int32_t *offset = malloc(C * sizeof(int32_t)), *bias = malloc(C * sizeof(int32_t));
  struct dw3_op *op = calloc(1, sizeof(*op));
  if (offset == NULL || bias == NULL || op == NULL) {
    free(offset), free(bias), free(op);
    return EDGE_ERR_NOMEM;
  }
  for (size_t c = 0; c < C; c++) {
    const int32_t zw = d->weight_zero_point[c];
    int32_t lo = 255, hi = 0;
    int64_t centred = 0;
    for (size_t t = 0; t < 9; t++) {
      const int32_t w = weights[t * C + c];
      lo = EDGE_MIN(lo, w);
      hi = EDGE_MAX(hi, w);
      centred += w - zw;
    }
    offset[c] = EDGE_MIN(EDGE_MAX(zw, hi - 127), lo + 128);
    if (offset[c] - zw < -128 || offset[c] - zw > 127) {
      free(offset), free(bias), free(op);
      return EDGE_ERR_UNSUPPORTED;
    }
    /* The true sum is taken modulo 2^32, like the int32 accumulator it stands for. */
    bias[c] = (int32_t)(uint32_t)((int64_t)d->bias[c] - (int64_t)d->input_zero_point * centred);
  }
  op->geo = *d;
  op->geo.weight_zero_point = op->geo.bias = NULL;
  op->geo.requant.scale = NULL;
  op->uk = ctx->path->dw3s1;
  op->out = edge_output_params_make(d->requant.zero_point, d->requant.min, d->requant.max);
  op->pattern_count = C / gcd(C, 64);
  const size_t out_bytes = edge_round_up(d->output_w * C, 64);
  op->row_bytes = edge_round_up(EDGE_MAX(out_bytes + 2 * C, (d->pad_left + d->input_w) * C), 64);
  op->patterns = edge_aligned_alloc(op->pattern_count * sizeof(*op->patterns));
  op->zero_row = edge_aligned_alloc(op->row_bytes);
  if (op->patterns == NULL || op->zero_row == NULL) {
    free(offset), free(bias);
    dw3_destroy(&op->base);
    return EDGE_ERR_NOMEM;
  }
  memset(op->zero_row, d->input_zero_point, op->row_bytes);
  memset(op->patterns, 0, op->pattern_count * sizeof(*op->patterns));
  for (size_t p = 0; p < op->pattern_count; p++) {
    struct edge_dw3x3s1_pattern *pw = &op->patterns[p];
    for (size_t i = 0; i < 4; i++) {
      for (size_t lane = 0; lane < 16; lane++) {
        /* The kernel's transpose puts byte 16 L + 4 i + j of a 64-byte group in lane 4 L + j of vector i. */
        const size_t c = (p * 64 + 16 * (lane / 4) + 4 * i + lane % 4) % C;
        const int32_t kz = offset[c] - d->weight_zero_point[c];
        pw->bias[i][lane] = bias[c];
        pw->scale[i][lane] = d->requant.scale[c];
        if (kz != 0) pw->corrected |= 1u << i;
        for (size_t r = 0; r < 3; r++) {
          pw->kz_up[i][lane * 4 + r] = (int8_t)kz;
          pw->kz_down[i][lane * 4 + r + 1] = (int8_t)kz;
          for (size_t kx = 0; kx < 3; kx++) {
            const int8_t w = (int8_t)(weights[(r * 3 + kx) * C + c] - offset[c]);
            pw->up[kx][i][lane * 4 + r] = w;
            pw->down[kx][i][lane * 4 + r + 1] = w;
          }
        }
      }
    }
  }
  free(offset), free(bias);
  op->base = (struct edge_op){{.input = d->input_h * d->input_w * C, .output = d->output_h * d->output_w * C},
                              op->uk->name,
                              sizeof(*op) + op->pattern_count * sizeof(*op->patterns) + op->row_bytes,
                              dw3_run,
                              dw3_destroy};
  *out = &op->base;
  return EDGE_OK;
}
