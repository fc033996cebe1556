/*
 * RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR: gathers over tables that the TypeScript side
 * computes once in float32, as TFLite does (kernels/ref/resize.ts): for nearest, each output
 * row's and column's source index; for bilinear, the two source indices and the Q11 weight
 * of the second. With the same tables and the same integer blend, C gives the reference
 * kernel's bytes. A segmentation head upsamples its class scores many times over, which is
 * where a resize takes time.
 */
#include <stdlib.h>
#include <string.h>

#include "op-internal.h"

struct resize_op {
  struct edge_op base;
  struct edge_resize_desc d;
  /* nearest: rows[oh] cols[ow]; bilinear: first, second, alpha for the rows, then for the columns */
  int32_t *tables;
};

static void resize_free(struct edge_op *base) {
  free(((struct resize_op *)base)->tables);
  free(base);
}

static enum edge_status nearest_run(struct edge_context *ctx, const struct edge_op *base, const void *input,
                                    const void *input2, void *output) {
  (void)ctx;
  (void)input2;
  const struct resize_op *op = (const struct resize_op *)base;
  const struct edge_resize_desc *d = &op->d;
  const int32_t *rows = op->tables, *cols = op->tables + d->output_h;
  const uint8_t *x = input;
  uint8_t *y = output;
  const size_t c = d->channels;
  for (size_t oy = 0; oy < d->output_h; oy++) {
    const uint8_t *row = x + (size_t)rows[oy] * d->input_w * c;
    for (size_t ox = 0; ox < d->output_w; ox++, y += c) memcpy(y, row + (size_t)cols[ox] * c, c);
  }
  return EDGE_OK;
}

static enum edge_status bilinear_run(struct edge_context *ctx, const struct edge_op *base, const void *input,
                                     const void *input2, void *output) {
  (void)ctx;
  (void)input2;
  const struct resize_op *op = (const struct resize_op *)base;
  const struct edge_resize_desc *d = &op->d;
  const size_t oh = d->output_h, ow = d->output_w, c = d->channels, iw = d->input_w;
  const int32_t *r1 = op->tables, *r2 = r1 + oh, *ra = r2 + oh;
  const int32_t *c1 = ra + oh, *c2 = c1 + ow, *ca = c2 + ow;
  const uint8_t *x = input;
  uint8_t *y = output;
  for (size_t oy = 0; oy < oh; oy++) {
    const uint8_t *top = x + (size_t)r1[oy] * iw * c, *bottom = x + (size_t)r2[oy] * iw * c;
    const int32_t ay = ra[oy];
    for (size_t ox = 0; ox < ow; ox++) {
      const uint8_t *tl = top + (size_t)c1[ox] * c, *tr = top + (size_t)c2[ox] * c;
      const uint8_t *bl = bottom + (size_t)c1[ox] * c, *br = bottom + (size_t)c2[ox] * c;
      const int32_t ax = ca[ox];
      for (size_t k = 0; k < c; k++) {
        /* Q11 across, then Q11 down: Q22, rounded half up. Every term is a blend of bytes, so below 2^31. */
        const int32_t t = tl[k] * 2048 + (tr[k] - tl[k]) * ax;
        const int32_t b = bl[k] * 2048 + (br[k] - bl[k]) * ax;
        *y++ = (uint8_t)((t * 2048 + (b - t) * ay + 2097152) >> 22);
      }
    }
  }
  return EDGE_OK;
}

static bool indices_valid(const int32_t *v, size_t n, size_t limit) {
  for (size_t i = 0; i < n; i++)
    if (v[i] < 0 || (size_t)v[i] >= limit) return false;
  return true;
}

static bool weights_valid(const int32_t *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (v[i] < 0 || v[i] > 2048) return false;
  return true;
}

size_t edge_resize_table_length(const struct edge_resize_desc *d) {
  return (d->bilinear ? 3 : 1) * (d->output_h + d->output_w);
}

enum edge_status edge_resize_create(struct edge_context *ctx, const struct edge_resize_desc *d, struct edge_op **out) {
  (void)ctx;
  const size_t ih = d->input_h, iw = d->input_w, oh = d->output_h, ow = d->output_w;
  if (!ih || !iw || !d->channels || !oh || !ow || d->tables == NULL) return EDGE_ERR_INVALID;
  const int32_t *t = d->tables;
  if (d->bilinear) {
    if (!indices_valid(t, 2 * oh, ih) || !weights_valid(t + 2 * oh, oh) || !indices_valid(t + 3 * oh, 2 * ow, iw) ||
        !weights_valid(t + 3 * oh + 2 * ow, ow))
      return EDGE_ERR_INVALID;
  } else if (!indices_valid(t, oh, ih) || !indices_valid(t + oh, ow, iw)) {
    return EDGE_ERR_INVALID;
  }
  const size_t entries = edge_resize_table_length(d);
  struct resize_op *op = calloc(1, sizeof *op);
  int32_t *tables = malloc(entries * sizeof *tables);
  if (op == NULL || tables == NULL) {
    free(op);
    free(tables);
    return EDGE_ERR_NOMEM;
  }
  memcpy(tables, t, entries * sizeof *tables);
  struct edge_op_shape shape = {.input = ih * iw * d->channels, .output = oh * ow * d->channels};
  op->base = (struct edge_op){shape, d->bilinear ? "qu8_resize_bilinear__portable" : "qu8_resize_nearest__portable",
                              sizeof *op + entries * sizeof *tables, d->bilinear ? bilinear_run : nearest_run, resize_free};
  op->d = *d;
  op->d.tables = tables;
  op->tables = tables;
  *out = &op->base;
  return EDGE_OK;
}
