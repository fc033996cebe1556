/*
 * Depthwise convolution. Multiplier 1 runs the path's micro-kernel (the 9-tap one for
 * 3x3, else the any-tap one) over one output row at a time. Pixels whose window lies
 * inside the input get the tap pointers of the first one and a fixed step; pixels at
 * the borders get an indirection buffer of tap pointers in which taps outside the
 * input point at a row of zx: with bias' = bias - zx * sum(w - zw) such taps then
 * contribute exactly nothing. Other multipliers run a portable loop over the same
 * packing with one channel per tile.
 */
#include <stdlib.h>
#include <string.h>

#include "op-internal.h"
#include "requantize.h"

struct dw_op {
  struct edge_op base;
  struct edge_conv_desc geo; /* sizes only */
  const struct edge_dw_ukernel *uk; /* NULL: depth multiplier > 1, portable loop */
  size_t taps, ct, block_bytes;
  struct edge_output_params out;
  uint8_t *packed;
  uint8_t *zero; /* input_c bytes of zx, padded for whole-tile reads */
};

struct dw_call {
  const struct dw_op *op;
  const uint8_t *input;
  uint8_t *output;
  const uint8_t **indirection; /* per thread: output_w * taps pointers */
};

/* Tap pointers of output pixels [ox0, ox1) of row oy, taps outside the input at op->zero. */
static void indirection(const struct dw_op *op, const uint8_t *input, size_t oy, size_t ox0, size_t ox1,
                        const uint8_t **p) {
  const struct edge_conv_desc *d = &op->geo;
  for (size_t ox = ox0; ox < ox1; ox++) {
    for (size_t ky = 0; ky < d->kernel_h; ky++) {
      /* Unsigned wrap-around puts taps above or left of the input out of range too. */
      const size_t iy = oy * d->stride_h + ky - d->pad_top;
      for (size_t kx = 0; kx < d->kernel_w; kx++) {
        const size_t ix = ox * d->stride_w + kx - d->pad_left;
        *p++ = iy < d->input_h && ix < d->input_w ? input + (iy * d->input_w + ix) * d->input_c : op->zero;
      }
    }
  }
}

static void dw_row(void *arg, size_t thread, size_t oy) {
  const struct dw_call *call = arg;
  const struct dw_op *op = call->op;
  const struct edge_conv_desc *d = &op->geo;
  const size_t C = d->input_c, OC = d->output_c, taps = op->taps;
  const uint8_t **ind = call->indirection + thread * d->output_w * taps;
  uint8_t *out = call->output + oy * d->output_w * OC;
  if (op->uk != NULL) {
    const edge_dw_fn fn = op->uk->fn;
    const size_t iy0 = oy * d->stride_h - d->pad_top;
    size_t lo = d->output_w, hi = d->output_w;
    if (iy0 < d->input_h && iy0 + d->kernel_h <= d->input_h) {
      lo = EDGE_MIN(edge_div_up(d->pad_left, d->stride_w), d->output_w);
      hi = d->input_w + d->pad_left < d->kernel_w ? lo : (d->input_w + d->pad_left - d->kernel_w) / d->stride_w + 1;
      hi = EDGE_MAX(lo, EDGE_MIN(hi, d->output_w));
    }
    if (hi > lo) {
      const uint8_t **base = ind;
      for (size_t ky = 0; ky < d->kernel_h; ky++) {
        for (size_t kx = 0; kx < d->kernel_w; kx++) {
          *base++ = call->input + ((iy0 + ky) * d->input_w + lo * d->stride_w - d->pad_left + kx) * C;
        }
      }
      fn(C, hi - lo, ind, d->stride_w * C, taps, op->packed, out + lo * OC, &op->out);
    }
    if (lo > 0) {
      indirection(op, call->input, oy, 0, lo, ind);
      fn(C, lo, ind, 0, taps, op->packed, out, &op->out);
    }
    if (hi < d->output_w) {
      indirection(op, call->input, oy, hi, d->output_w, ind);
      fn(C, d->output_w - hi, ind, 0, taps, op->packed, out + hi * OC, &op->out);
    }
    return;
  }
  indirection(op, call->input, oy, 0, d->output_w, ind);
  const size_t m = d->depth_multiplier;
  for (size_t ox = 0; ox < d->output_w; ox++) {
    const uint8_t *const *in = ind + ox * taps;
    for (size_t oc = 0; oc < d->output_c; oc++) {
      const int32_t *head = (const int32_t *)(op->packed + oc * op->block_bytes);
      const int16_t *wt = (const int16_t *)(head + 2);
      int32_t acc = head[0];
      for (size_t t = 0; t < taps; t++) acc += in[t][oc / m] * wt[t];
      *out++ = edge_output_fp32(acc, ((const float *)head)[1], &op->out);
    }
  }
}

static enum edge_status dw_run(struct edge_context *ctx, const struct edge_op *base, const void *input,
                               const void *input2, void *output) {
  (void)input2;
  const struct dw_op *op = (const struct dw_op *)base;
  const size_t per_thread = op->geo.output_w * op->taps;
  const uint8_t **ind = edge_workspace(ctx, edge_context_threads(ctx) * per_thread * sizeof(*ind));
  if (ind == NULL) return EDGE_ERR_NOMEM;
  struct dw_call call = {op, input, output, ind};
  edge_pool_run(ctx->pool, dw_row, &call, op->geo.output_h);
  return EDGE_OK;
}

static void dw_destroy(struct edge_op *base) {
  struct dw_op *op = (struct dw_op *)base;
  edge_aligned_free(op->packed);
  edge_aligned_free(op->zero);
  free(op);
}

enum edge_status edge_dwconv_create(struct edge_context *ctx, const struct edge_conv_desc *d,
                                    const uint8_t *weights, struct edge_op **out) {
  if (weights == NULL || !edge_conv_geometry_valid(d) || d->output_c != d->input_c * d->depth_multiplier ||
      d->weight_zero_point == NULL || d->bias == NULL || !edge_u8_range(d->input_zero_point) ||
      !edge_scale_valid(&d->requant, d->output_c)) {
    return EDGE_ERR_INVALID;
  }
  const size_t OC = d->output_c;
  for (size_t c = 0; c < OC; c++) {
    if (!edge_u8_range(d->weight_zero_point[c])) return EDGE_ERR_INVALID;
  }
  if (edge_dw3x3_applies(ctx->path, d)) {
    const enum edge_status s = edge_dw3x3_create(ctx, d, weights, out);
    if (s != EDGE_ERR_UNSUPPORTED) return s;
  }
  struct dw_op *op = calloc(1, sizeof(*op));
  if (op == NULL) return EDGE_ERR_NOMEM;
  op->geo = *d;
  op->geo.weight_zero_point = op->geo.bias = NULL;
  op->geo.requant.scale = NULL;
  op->taps = d->kernel_h * d->kernel_w;
  if (d->depth_multiplier == 1) op->uk = op->taps == 9 ? ctx->path->dw9 : ctx->path->dwany;
  op->ct = op->uk != NULL ? op->uk->ct : 1;
  const enum edge_dw_weights format = op->uk != NULL ? op->uk->weights : EDGE_DW_I16;
  op->block_bytes = edge_dw_block_bytes(op->ct, op->taps, format);
  op->out = edge_output_params_make(d->requant.zero_point, d->requant.min, d->requant.max);
  const size_t tiles = edge_div_up(OC, op->ct);
  op->packed = edge_aligned_alloc(tiles * op->block_bytes);
  /* The micro-kernels read whole tiles through the padding pointer: give it room. */
  op->zero = edge_aligned_alloc(edge_round_up(d->input_c, 64) + 64);
  if (op->packed == NULL || op->zero == NULL) {
    dw_destroy(&op->base);
    return EDGE_ERR_NOMEM;
  }
  memset(op->zero, d->input_zero_point, edge_round_up(d->input_c, 64) + 64);
  memset(op->packed, 0, tiles * op->block_bytes);
  for (size_t tile = 0; tile < tiles; tile++) {
    int32_t *head = (int32_t *)(op->packed + tile * op->block_bytes);
    void *wt = head + 2 * op->ct;
    const size_t c0 = tile * op->ct, n = EDGE_MIN(op->ct, OC - c0);
    memcpy(head + op->ct, d->requant.scale + c0, n * sizeof(float));
    for (size_t j = 0; j < n; j++) {
      const size_t c = c0 + j;
      int64_t centred = 0;
      for (size_t t = 0; t < op->taps; t++) {
        const int32_t v = weights[t * OC + c] - d->weight_zero_point[c];
        centred += v;
        if (format == EDGE_DW_I16) {
          ((int16_t *)wt)[t * op->ct + j] = (int16_t)v;
        } else {
          ((int32_t *)wt)[t * op->ct + j] = v & 0xFFFF; /* high half 0 for vpmaddwd / vpdpwssd */
        }
      }
      head[j] = edge_fold_bias(d->bias[c], d->input_zero_point, centred);
    }
  }
  op->base = (struct edge_op){{.input = d->input_h * d->input_w * d->input_c, .output = d->output_h * d->output_w * OC},
                              op->uk != NULL ? op->uk->name : "qu8_dwconv_multiplier__portable",
                              sizeof(*op) + tiles * op->block_bytes + edge_round_up(d->input_c, 64) + 64, dw_run,
                              dw_destroy};
  *out = &op->base;
  return EDGE_OK;
}
