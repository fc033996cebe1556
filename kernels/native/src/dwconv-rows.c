/*
 * 3x3 depthwise over whole rows, on the path's dw3s1 / dw3s2 kernel when it has one
 * (ukernels.h describes the contract): stride 1 over pairs of output rows, stride 2 over
 * single rows. Each thread walks a contiguous range of them and keeps the input rows it
 * needs in a ring of four zx-padded copies: consecutive steps share two rows (stride 1)
 * or one (stride 2), so every input row is copied once per thread.
 */
#include <stdlib.h>
#include <string.h>

#include "op-internal.h"

struct dw3_op {
  struct edge_op base;
  struct edge_conv_desc geo; /* sizes only */
  const struct edge_dw3x3s1_ukernel *uk1;
  const struct edge_dw3x3s2_ukernel *uk2;
  struct edge_output_params out;
  void *packed;         /* patterns or tiles, as the kernel's weights format says */
  size_t pattern_count; /* how many */
  uint8_t *zero_row; /* row_bytes of zx, for rows above and below the input */
  size_t row_bytes;  /* a padded row: every byte the kernel reads */
};

struct dw3_call {
  const struct dw3_op *op;
  const uint8_t *input;
  uint8_t *output;
  uint8_t *scratch; /* per thread: 4 padded rows */
  size_t steps, steps_per_task; /* row pairs (stride 1) or rows (stride 2) */
};

/* The input row iy, padded, from the thread's ring (copied there unless it already is). */
static const uint8_t *padded_row(const struct dw3_op *op, const uint8_t *input, uint8_t *ring, size_t *held,
                                 size_t iy) {
  const struct edge_conv_desc *d = &op->geo;
  if (iy >= d->input_h) return op->zero_row;
  const size_t C = d->input_c, left = d->pad_left * C, span = d->input_w * C;
  uint8_t *row = ring + (iy % 4) * op->row_bytes;
  if (held[iy % 4] != iy) {
    edge_pad_row(row, op->row_bytes, input + iy * span, left, span, d->input_zero_point);
    held[iy % 4] = iy;
  }
  return row;
}

static void dw3_task(void *arg, size_t thread, size_t task) {
  const struct dw3_call *call = arg;
  const struct dw3_op *op = call->op;
  const struct edge_conv_desc *d = &op->geo;
  const size_t q0 = task * call->steps_per_task, q1 = EDGE_MIN(call->steps, q0 + call->steps_per_task);
  uint8_t *ring = call->scratch + thread * 4 * op->row_bytes;
  size_t held[4] = {SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX}; /* the input row in each slot */
  const size_t C = d->input_c, out_row = d->output_w * C;
  for (size_t q = q0; q < q1; q++) {
    const size_t oy = op->uk1 != NULL ? 2 * q : q;
    const uint8_t *rows[4];
    /* Unsigned wrap-around puts rows above the input out of range too. */
    for (size_t r = 0; r < 4; r++) {
      const size_t iy = oy * d->stride_h + r - d->pad_top;
      rows[r] = op->uk1 != NULL || r < 3 ? padded_row(op, call->input, ring, held, iy) : op->zero_row;
    }
    uint8_t *top = call->output + oy * out_row;
    if (op->uk1 != NULL) {
      op->uk1->fn(out_row, C, rows, op->packed, op->pattern_count, top,
                  oy + 1 < d->output_h ? top + out_row : NULL, &op->out);
    } else {
      op->uk2->fn(d->output_w, C, rows, op->packed, top, &op->out);
    }
  }
}

static enum edge_status dw3_run(struct edge_context *ctx, const struct edge_op *base, const void *input,
                                const void *input2, void *output) {
  (void)input2;
  const struct dw3_op *op = (const struct dw3_op *)base;
  const size_t threads = edge_context_threads(ctx);
  uint8_t *scratch = edge_workspace(ctx, threads * 4 * op->row_bytes);
  if (scratch == NULL) return EDGE_ERR_NOMEM;
  const size_t steps = op->uk1 != NULL ? edge_div_up(op->geo.output_h, 2) : op->geo.output_h;
  struct dw3_call call = {op, input, output, scratch, steps, edge_div_up(steps, edge_ranges(threads))};
  edge_pool_run(ctx->pool, dw3_task, &call, edge_div_up(steps, call.steps_per_task));
  return EDGE_OK;
}

static void dw3_destroy(struct edge_op *base) {
  struct dw3_op *op = (struct dw3_op *)base;
  edge_aligned_free(op->packed);
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

bool edge_dw3x3_applies(const struct edge_path *path, const struct edge_conv_desc *d) {
  if (d->kernel_h != 3 || d->kernel_w != 3 || d->depth_multiplier != 1 || d->stride_h != d->stride_w) return false;
  return (d->stride_h == 1 && path->dw3s1 != NULL) || (d->stride_h == 2 && path->dw3s2 != NULL);
}

/* Transposed patterns (ukernels.h): int8 w - o for a per-channel offset o. False when some o - zw does not fit int8. */
static bool pack_transposed(const struct edge_conv_desc *d, const uint8_t *weights, const int32_t *bias,
                            size_t patterns, bool s1, struct edge_dw3x3_pattern *out) {
  const size_t C = d->input_c;
  int32_t *offset = malloc(C * sizeof(int32_t));
  if (offset == NULL) return false;
  for (size_t c = 0; c < C; c++) {
    int32_t lo = 255, hi = 0;
    for (size_t t = 0; t < 9; t++) lo = EDGE_MIN(lo, weights[t * C + c]), hi = EDGE_MAX(hi, weights[t * C + c]);
    const int32_t zw = d->weight_zero_point[c];
    offset[c] = edge_int8_offset(lo, hi, zw);
    if (offset[c] - zw < -128 || offset[c] - zw > 127) {
      free(offset);
      return false;
    }
  }
  for (size_t p = 0; p < patterns; p++) {
    struct edge_dw3x3_pattern *pw = &out[p];
    for (size_t i = 0; i < 4; i++) {
      for (size_t lane = 0; lane < 16; lane++) {
        /* The kernels' transpose puts byte 16 L + 4 i + j of a 64-byte group in lane 4 L + j of vector i. */
        const size_t byte = p * 64 + 16 * (lane / 4) + 4 * i + lane % 4;
        if (!s1 && !EDGE_DW3S2_PACKED(C) && byte >= C) continue; /* past the last channel: never stored */
        const size_t c = byte % C;
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
  free(offset);
  return true;
}

/* Tiles of 8 channels as EDGE_DW_I16: int32 bias'[8], float scale[8], int16 (w - zw)[9][8]. */
static void pack_i16(const struct edge_conv_desc *d, const uint8_t *weights, const int32_t *bias, size_t tiles,
                     uint8_t *out) {
  const size_t C = d->input_c, block = edge_dw_block_bytes(8, 9, EDGE_DW_I16);
  for (size_t t = 0; t < tiles; t++) {
    int32_t *head = (int32_t *)(out + t * block);
    float *scale = (float *)(head + 8);
    int16_t *wt = (int16_t *)(head + 16);
    for (size_t j = 0; j < 8 && t * 8 + j < C; j++) {
      const size_t c = t * 8 + j;
      head[j] = bias[c];
      scale[j] = d->requant.scale[c];
      for (size_t tap = 0; tap < 9; tap++) wt[tap * 8 + j] = (int16_t)(weights[tap * C + c] - d->weight_zero_point[c]);
    }
  }
}

enum edge_status edge_dw3x3_create(struct edge_context *ctx, const struct edge_conv_desc *d,
                                   const uint8_t *weights, struct edge_op **out) {
  const size_t C = d->input_c;
  const bool s1 = d->stride_h == 1;
  const enum edge_dw3_weights format = s1 ? ctx->path->dw3s1->weights : ctx->path->dw3s2->weights;
  int32_t *bias = malloc(C * sizeof(int32_t));
  struct dw3_op *op = calloc(1, sizeof(*op));
  if (bias == NULL || op == NULL) {
    free(bias), free(op);
    return EDGE_ERR_NOMEM;
  }
  for (size_t c = 0; c < C; c++) {
    int64_t centred = 0;
    for (size_t t = 0; t < 9; t++) centred += weights[t * C + c] - d->weight_zero_point[c];
    bias[c] = edge_fold_bias(d->bias[c], d->input_zero_point, centred);
  }
  op->geo = *d;
  op->geo.weight_zero_point = op->geo.bias = NULL;
  op->geo.requant.scale = NULL;
  op->uk1 = s1 ? ctx->path->dw3s1 : NULL;
  op->uk2 = s1 ? NULL : ctx->path->dw3s2;
  op->out = edge_output_params_make(d->requant.zero_point, d->requant.min, d->requant.max);
  op->out.clamp_in_float = !edge_fp32_bounded(d->bias, d->requant.scale, C, 9);
  size_t bytes;
  if (format == EDGE_DW3_I16) {
    op->pattern_count = edge_div_up(C, 8);
    bytes = op->pattern_count * edge_dw_block_bytes(8, 9, EDGE_DW_I16);
  } else {
    op->pattern_count = s1 ? C / gcd(C, 64) : EDGE_DW3S2_PACKED(C) ? 1 : edge_div_up(C, 64);
    bytes = op->pattern_count * sizeof(struct edge_dw3x3_pattern);
  }
  /* The furthest byte a kernel reads, past the last output's last tap, with a vector's slack. */
  const size_t reads = (s1 ? d->output_w + 2 : 2 * d->output_w + 1) * C + 128;
  op->row_bytes = edge_round_up(EDGE_MAX(reads, (d->pad_left + d->input_w) * C), 64);
  op->packed = edge_aligned_alloc(bytes);
  op->zero_row = edge_aligned_alloc(op->row_bytes);
  if (op->packed == NULL || op->zero_row == NULL) {
    free(bias);
    dw3_destroy(&op->base);
    return EDGE_ERR_NOMEM;
  }
  memset(op->zero_row, d->input_zero_point, op->row_bytes);
  memset(op->packed, 0, bytes);
  if (format == EDGE_DW3_I16) {
    pack_i16(d, weights, bias, op->pattern_count, op->packed);
  } else if (!pack_transposed(d, weights, bias, op->pattern_count, s1, op->packed)) {
    free(bias);
    dw3_destroy(&op->base);
    return EDGE_ERR_UNSUPPORTED;
  }
  free(bias);
  op->base = (struct edge_op){{.input = d->input_h * d->input_w * C, .output = d->output_h * d->output_w * C},
                              s1 ? op->uk1->name : op->uk2->name,
                              sizeof(*op) + bytes + op->row_bytes,
                              dw3_run,
                              dw3_destroy};
  *out = &op->base;
  return EDGE_OK;
}
