/*
 * The layer shapes of MobileNet v1 1.0 224 and v2 1.0 224 (their convolution stacks) and
 * how kernel-bench builds them as operators, with random weights and the weight zero
 * points of a TF1 uint8 model (per tensor) or a TF2 int8 model (128).
 */
#pragma once

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "operators.h"

static uint32_t seed = 12345;
static uint8_t rnd8(void) {
  seed = seed * 1664525u + 1013904223u;
  return (uint8_t)(seed >> 24);
}

/* A layer of a MobileNet: conv (KxK), depthwise (3x3) or pointwise/fully connected (gemm). */
enum kind { CONV, DW, PW };
struct layer {
  enum kind kind;
  int in_h, in_c, out_c, k, stride;
};

static const struct layer v2[] = {
    {CONV, 224, 3, 32, 3, 2},    {DW, 112, 32, 32, 3, 1},     {PW, 112, 32, 16, 1, 1},
    {PW, 112, 16, 96, 1, 1},     {DW, 112, 96, 96, 3, 2},     {PW, 56, 96, 24, 1, 1},
    {PW, 56, 24, 144, 1, 1},     {DW, 56, 144, 144, 3, 1},    {PW, 56, 144, 24, 1, 1},
    {PW, 56, 24, 144, 1, 1},     {DW, 56, 144, 144, 3, 2},    {PW, 28, 144, 32, 1, 1},
    {PW, 28, 32, 192, 1, 1},     {DW, 28, 192, 192, 3, 1},    {PW, 28, 192, 32, 1, 1},
    {PW, 28, 32, 192, 1, 1},     {DW, 28, 192, 192, 3, 1},    {PW, 28, 192, 32, 1, 1},
    {PW, 28, 32, 192, 1, 1},     {DW, 28, 192, 192, 3, 2},    {PW, 14, 192, 64, 1, 1},
    {PW, 14, 64, 384, 1, 1},     {DW, 14, 384, 384, 3, 1},    {PW, 14, 384, 64, 1, 1},
    {PW, 14, 64, 384, 1, 1},     {DW, 14, 384, 384, 3, 1},    {PW, 14, 384, 64, 1, 1},
    {PW, 14, 64, 384, 1, 1},     {DW, 14, 384, 384, 3, 1},    {PW, 14, 384, 64, 1, 1},
    {PW, 14, 64, 384, 1, 1},     {DW, 14, 384, 384, 3, 1},    {PW, 14, 384, 96, 1, 1},
    {PW, 14, 96, 576, 1, 1},     {DW, 14, 576, 576, 3, 1},    {PW, 14, 576, 96, 1, 1},
    {PW, 14, 96, 576, 1, 1},     {DW, 14, 576, 576, 3, 1},    {PW, 14, 576, 96, 1, 1},
    {PW, 14, 96, 576, 1, 1},     {DW, 14, 576, 576, 3, 2},    {PW, 7, 576, 160, 1, 1},
    {PW, 7, 160, 960, 1, 1},     {DW, 7, 960, 960, 3, 1},     {PW, 7, 960, 160, 1, 1},
    {PW, 7, 160, 960, 1, 1},     {DW, 7, 960, 960, 3, 1},     {PW, 7, 960, 160, 1, 1},
    {PW, 7, 160, 960, 1, 1},     {DW, 7, 960, 960, 3, 1},     {PW, 7, 960, 320, 1, 1},
    {PW, 7, 320, 1280, 1, 1},    {PW, 1, 1280, 1001, 1, 1},
};

static const struct layer v1[] = {
    {CONV, 224, 3, 32, 3, 2},    {DW, 112, 32, 32, 3, 1},     {PW, 112, 32, 64, 1, 1},
    {DW, 112, 64, 64, 3, 2},     {PW, 56, 64, 128, 1, 1},     {DW, 56, 128, 128, 3, 1},
    {PW, 56, 128, 128, 1, 1},    {DW, 56, 128, 128, 3, 2},    {PW, 28, 128, 256, 1, 1},
    {DW, 28, 256, 256, 3, 1},    {PW, 28, 256, 256, 1, 1},    {DW, 28, 256, 256, 3, 2},
    {PW, 14, 256, 512, 1, 1},    {DW, 14, 512, 512, 3, 1},    {PW, 14, 512, 512, 1, 1},
    {DW, 14, 512, 512, 3, 1},    {PW, 14, 512, 512, 1, 1},    {DW, 14, 512, 512, 3, 1},
    {PW, 14, 512, 512, 1, 1},    {DW, 14, 512, 512, 3, 1},    {PW, 14, 512, 512, 1, 1},
    {DW, 14, 512, 512, 3, 1},    {PW, 14, 512, 512, 1, 1},    {DW, 14, 512, 512, 3, 2},
    {PW, 7, 512, 1024, 1, 1},    {DW, 7, 1024, 1024, 3, 1},   {PW, 7, 1024, 1024, 1, 1},
    {PW, 1, 1024, 1001, 1, 1},
};

struct built {
  struct edge_op *op;
  size_t in_bytes, out_bytes;
  double macs;
  char name[96];
};

static int out_size(int in, int stride) { return (in + stride - 1) / stride; }

/* zw_mode 0: TF1 uint8 (one zero point per tensor, not 128); 1: TF2 int8 (128). */
static enum edge_status build(struct edge_context *ctx, const struct layer *l, int zw_mode, struct built *b) {
  const int oh = out_size(l->in_h, l->stride);
  const size_t oc = (size_t)l->out_c;
  const size_t per = l->kind == DW ? (size_t)(l->k * l->k) : (size_t)(l->k * l->k * l->in_c);
  uint8_t *w = malloc(per * oc);
  int32_t *zw = malloc(oc * 4), *bias = malloc(oc * 4);
  float *scale = malloc(oc * sizeof(float));
  for (size_t i = 0; i < per * oc; i++) w[i] = rnd8();
  for (size_t c = 0; c < oc; c++) {
    zw[c] = zw_mode ? 128 : 117;
    bias[c] = (int32_t)(rnd8() * 100) - 12800;
    scale[c] = ldexpf(0.6f + (float)rnd8() / 512, -9 - (int)(rnd8() % 3));
  }
  struct edge_scale_desc rq = {scale, 3, 0, 255};
  enum edge_status s;
  b->in_bytes = (size_t)l->in_h * (size_t)l->in_h * (size_t)l->in_c;
  b->out_bytes = (size_t)oh * (size_t)oh * oc;
  b->macs = (double)oh * oh * (double)oc * (double)per;
  if (l->kind == PW) {
    struct edge_gemm_desc d = {(size_t)l->in_h * (size_t)l->in_h, (size_t)l->in_c, oc, 121, zw, bias, rq};
    s = edge_gemm_create(ctx, &d, w, &b->op);
    snprintf(b->name, sizeof b->name, "pointwise %5dx%4d -> %4d", l->in_h * l->in_h, l->in_c, l->out_c);
  } else {
    const int total = (oh - 1) * l->stride + l->k - l->in_h;
    struct edge_conv_desc d = {(size_t)l->in_h, (size_t)l->in_h, (size_t)l->in_c, (size_t)oh, (size_t)oh, oc,
                               (size_t)l->k, (size_t)l->k, (size_t)l->stride, (size_t)l->stride,
                               (size_t)(total > 0 ? total / 2 : 0), (size_t)(total > 0 ? total / 2 : 0), 1, 121, zw,
                               bias, rq};
    s = l->kind == DW ? edge_dwconv_create(ctx, &d, w, &b->op) : edge_conv_create(ctx, &d, w, &b->op);
    snprintf(b->name, sizeof b->name, "%s %3dx%3dx%4d s%d", l->kind == DW ? "depthwise 3x3" : "conv 3x3     ",
             l->in_h, l->in_h, l->in_c, l->stride);
  }
  free(w), free(zw), free(bias), free(scale);
  return s;
}
