/*
 * Bit-exact check of every kernel path this CPU runs against the plain-loop reference
 * (reference.c), over random cases shaped like XNNPACK's testers: channel counts below,
 * at and above each tile, odd sizes, strides, padding, zero points at the extremes,
 * per-channel scales spanning decades, clamping, and accumulators at the int32 edges.
 *
 *   kernel-test [--path NAME] [--seed N] [--quick]
 *
 * Prints one line per path with its case count and ends with "N passed, N failed";
 * exits 1 on any mismatch.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "operators.h"
#include "reference.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint32_t next(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 0x2545F4914F6CDD1Du) >> 32);
}

/* Uniform in [lo, hi]. */
static int32_t rnd(int32_t lo, int32_t hi) { return lo + (int32_t)(next() % (uint32_t)(hi - lo + 1)); }
static bool coin(int percent) { return rnd(0, 99) < percent; }

static void fill(uint8_t *p, size_t n, int lo, int hi) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rnd(lo, hi);
}

static size_t passed, failed, path_cases;
static const char *current_path;

/* The distinct kernels a path's cases ran, to show that each one was exercised. */
static const char *seen[32];
static size_t seen_count;

static void saw(const char *kernel) {
  for (size_t i = 0; i < seen_count; i++) {
    if (strcmp(seen[i], kernel) == 0) return;
  }
  if (seen_count < sizeof seen / sizeof *seen) seen[seen_count++] = kernel;
}

static bool report(const char *op, const char *kernel, const uint8_t *got, const uint8_t *want, size_t n,
                   const char *shape) {
  saw(kernel);
  for (size_t i = 0; i < n; i++) {
    if (got[i] != want[i]) {
      failed++;
      if (failed <= 20) {
        fprintf(stderr, "MISMATCH path %s %s (%s) %s: element %zu got %u want %u\n", current_path, op, kernel, shape,
                i, got[i], want[i]);
      }
      return false;
    }
  }
  passed++;
  path_cases++;
  return true;
}

/* Output zero point and clamp: extremes and narrow ranges as well as the usual 0..255. */
static void make_output(int32_t *zero_point, int32_t *min, int32_t *max) {
  *zero_point = coin(20) ? (coin(50) ? 0 : 255) : rnd(0, 255);
  if (coin(50)) {
    *min = 0;
    *max = 255;
  } else {
    *min = rnd(0, 200);
    *max = rnd(*min, 255);
  }
}

/* Fixed-point requantization (mean, requantize) for a sum of about 2^bits. */
struct requant {
  int32_t *multiplier, *shift;
  struct edge_requant_desc desc;
};

static void make_requant(struct requant *r, size_t channels, int bits) {
  r->multiplier = malloc(channels * sizeof(int32_t));
  r->shift = malloc(channels * sizeof(int32_t));
  const int mode = rnd(0, 9);
  for (size_t c = 0; c < channels; c++) {
    if (mode == 0) { /* anything the contract allows */
      r->multiplier[c] = coin(10) ? 0 : (coin(10) ? INT32_MAX : rnd(0, INT32_MAX));
      r->shift[c] = rnd(-31, 30);
    } else {
      r->multiplier[c] = rnd(1 << 30, INT32_MAX);
      /* Per-channel scales spanning a few decades around the typical one. */
      int s = -(bits - 7) + (mode < 4 ? 0 : rnd(-4, 4));
      r->shift[c] = s < -31 ? -31 : s > 30 ? 30 : s;
    }
    if (c > 0 && mode == 1) {
      r->multiplier[c] = r->multiplier[0];
      r->shift[c] = r->shift[0];
    }
  }
  r->desc.multiplier = r->multiplier;
  r->desc.shift = r->shift;
  make_output(&r->desc.zero_point, &r->desc.min, &r->desc.max);
}

static void free_requant(struct requant *r) {
  free(r->multiplier);
  free(r->shift);
}

/* fp32 output stage (conv, depthwise, GEMM) that keeps typical outputs in range for an accumulator of about 2^bits. */
struct scales {
  float *scale;
  struct edge_scale_desc desc;
};

/* Scales an fp32 edge case picks from: ties at 0.5 and 0.25, f32(acc) rounding above 2^24
   (2^-25), f32(1/6) whose float product rounds a tie away, the largest, tiny, subnormal. */
static float edge_scale(void) {
  static const float picks[] = {0.5f, 0.25f, 1.0f, 0x1p-25f, 0x1.555556p-3f, 0x1.fffffep7f, 1e-6f, 0x1p-140f};
  return picks[rnd(0, sizeof picks / sizeof *picks - 1)];
}

static void make_scales(struct scales *r, size_t channels, int bits) {
  r->scale = malloc(channels * sizeof(float));
  const int mode = rnd(0, 9);
  for (size_t c = 0; c < channels; c++) {
    if (mode == 0) { /* anything finite */
      r->scale[c] = coin(30) ? edge_scale() : ldexpf((float)rnd(1, 1 << 24), rnd(-80, -17));
    } else {
      /* Per-channel scales spanning a few decades around the typical one. */
      const int e = -23 - (bits - 7) + (mode < 4 ? 0 : rnd(-4, 4));
      r->scale[c] = ldexpf((float)rnd(1 << 23, (1 << 24) - 1), e);
    }
    if (c > 0 && mode == 1) r->scale[c] = r->scale[0];
  }
  r->desc.scale = r->scale;
  make_output(&r->desc.zero_point, &r->desc.min, &r->desc.max);
}

static int log2_ceil(double v) { return v <= 1 ? 0 : (int)ceil(log2(v)); }

/* Weights and zero points in one of the layouts the packers treat differently. */
static void make_weights(uint8_t *w, int32_t *zw, size_t n, size_t per_channel, bool channel_major, int mode) {
  const int32_t uniform = rnd(0, 255);
  for (size_t c = 0; c < n; c++) {
    switch (mode) {
      case 0: zw[c] = 128; break;                          /* int8 symmetric (TF2) */
      case 1: zw[c] = uniform; break;                      /* uint8 per-tensor (TF1) */
      case 2: zw[c] = rnd(0, 255); break;                  /* per-channel asymmetric */
      case 3: zw[c] = coin(50) ? 0 : 255; break;           /* extremes */
      default: zw[c] = rnd(0, 255); break;                 /* narrow weights around zw */
    }
  }
  for (size_t c = 0; c < n; c++) {
    for (size_t i = 0; i < per_channel; i++) {
      int v;
      if (mode == 0) v = rnd(1, 255);
      else if (mode == 4) v = zw[c] + rnd(-128, 127);
      else v = rnd(0, 255);
      v = v < 0 ? 0 : v > 255 ? 255 : v;
      w[channel_major ? c * per_channel + i : i * n + c] = (uint8_t)v;
    }
  }
}

static int32_t *make_bias(size_t n, int bits) {
  int32_t *b = malloc(n * sizeof(int32_t));
  const bool edge = coin(5);
  for (size_t c = 0; c < n; c++) {
    if (edge) b[c] = coin(50) ? INT32_MIN + rnd(0, 1000) : INT32_MAX - rnd(0, 1000);
    else b[c] = coin(20) ? 0 : rnd(-(1 << (bits < 30 ? bits : 30)), 1 << (bits < 30 ? bits : 30));
  }
  return b;
}

struct contexts {
  struct edge_context *one, *two;
};

static struct edge_context *pick(const struct contexts *cx) { return coin(25) ? cx->two : cx->one; }

/* op is read only after `s` (the create call) has been evaluated. */
static void run_op(const struct contexts *cx, enum edge_status s, struct edge_op *const *op, const void *in,
                   const void *in2, void *out, const char *what) {
  if (s != EDGE_OK) {
    fprintf(stderr, "path %s: creating %s failed: %s\n", current_path, what, edge_status_message(s));
    failed++;
    exit(1);
  }
  s = edge_op_run(pick(cx), *op, in, in2, out);
  if (s != EDGE_OK) {
    fprintf(stderr, "path %s: running %s failed: %s\n", current_path, what, edge_status_message(s));
    exit(1);
  }
}

static void gemm_case(const struct contexts *cx, size_t rows, size_t k, size_t n, bool edge_acc) {
  uint8_t *w = malloc(n * k), *in = malloc(rows * k), *got = malloc(rows * n), *want = malloc(rows * n);
  int32_t *zw = malloc(n * sizeof(int32_t));
  make_weights(w, zw, n, k, true, rnd(0, 4));
  int32_t zx = coin(20) ? (coin(50) ? 0 : 255) : rnd(0, 255);
  fill(in, rows * k, 0, 255);
  const int bits = log2_ceil(sqrt((double)k) * 128 * 128);
  int32_t *bias = make_bias(n, bits);
  struct scales r;
  make_scales(&r, n, bits);
  if (edge_acc) {
    /* Weights equal to zw leave acc = bias: the output stage sees every int32 edge through each kernel. */
    static const int32_t edges[] = {INT32_MIN, INT32_MIN + 1, -1 << 30, -3, -2, -1, 0, 1, 2, 3, 1 << 30, INT32_MAX,
                                    (1 << 24) + 1, -(1 << 24) - 3};
    for (size_t c = 0; c < n; c++) {
      for (size_t i = 0; i < k; i++) w[c * k + i] = (uint8_t)zw[c];
      bias[c] = coin(50) ? edges[rnd(0, sizeof edges / sizeof *edges - 1)] : (int32_t)next();
      r.scale[c] = coin(50) ? edge_scale() : ldexpf((float)rnd(1, 1 << 24), rnd(-84, -17));
    }
  }
  struct edge_gemm_desc d = {rows, k, n, zx, zw, bias, r.desc};
  struct edge_op *op = NULL;
  run_op(cx, edge_gemm_create(pick(cx), &d, w, &op), &op, in, NULL, got, "gemm");
  ref_gemm(&d, w, in, want);
  char shape[96];
  snprintf(shape, sizeof shape, "rows %zu k %zu n %zu zx %d%s", rows, k, n, zx, edge_acc ? " edge" : "");
  report("gemm", edge_op_kernel_name(op), got, want, rows * n, shape);
  edge_op_destroy(op);
  free(r.scale);
  free(bias), free(zw), free(w), free(in), free(got), free(want);
}

/*
 * Output-stage edge cases through every GEMM and depthwise kernel: weights equal to
 * their zero point leave acc = bias, so each channel requantizes a chosen int32 with a
 * chosen scale.
 */
struct fp32_edge {
  int32_t acc;
  float scale;
};

static const struct fp32_edge fp32_edges[] = {
    {1, 0.5f}, {-1, 0.5f}, {3, 0.5f}, {-3, 0.5f}, {5, 0.5f}, {-5, 0.5f}, {255, 0.5f}, {-255, 0.5f}, /* ties to even */
    {6, 0.25f}, {-6, 0.25f}, {10, 0.25f}, {-10, 0.25f},
    {(1 << 24) + 1, 0x1p-25f}, {-(1 << 24) - 1, 0x1p-25f}, /* f32(acc) rounds to 2^24: 0.5, a tie, to 0 */
    {(1 << 24) + 3, 0x1p-25f}, {-(1 << 24) - 3, 0x1p-25f}, /* rounds to 2^24 + 4 */
    {3, 0x1.555556p-3f}, {-3, 0x1.555556p-3f}, /* the float product is exactly 0.5 */
    {INT32_MAX, 0x1.fffffep7f}, {INT32_MIN, 0x1.fffffep7f}, {INT32_MAX, 1.0f}, {INT32_MIN, 1.0f}, /* clamps */
    {INT32_MAX, 0x1p-140f}, {INT32_MIN, 0x1p-140f}, {INT32_MIN, 0x1p-31f}, {INT32_MAX, 0x1p-31f},
    {127, 1.0f}, {-128, 1.0f}, {128, 1.0f}, {-129, 1.0f}, {100, 1.27f}, {-100, 1.28f},
};

static void fp32_edge_case(const struct contexts *cx, size_t rows, size_t k) {
  const size_t n = sizeof fp32_edges / sizeof *fp32_edges;
  int32_t *bias = malloc(n * sizeof(int32_t)), *zw = malloc(n * sizeof(int32_t));
  float *scale = malloc(n * sizeof(float));
  for (size_t c = 0; c < n; c++) bias[c] = fp32_edges[c].acc, scale[c] = fp32_edges[c].scale, zw[c] = rnd(0, 255);
  struct edge_scale_desc rq = {scale, 128, 0, 255};
  if (coin(50)) make_output(&rq.zero_point, &rq.min, &rq.max);
  const int32_t zx = rnd(0, 255);
  char shape[64];
  {
    uint8_t *w = malloc(n * k), *in = malloc(rows * k), *got = malloc(rows * n), *want = malloc(rows * n);
    for (size_t c = 0; c < n; c++) memset(w + c * k, zw[c], k);
    fill(in, rows * k, 0, 255);
    struct edge_gemm_desc d = {rows, k, n, zx, zw, bias, rq};
    struct edge_op *op = NULL;
    run_op(cx, edge_gemm_create(pick(cx), &d, w, &op), &op, in, NULL, got, "gemm");
    ref_gemm(&d, w, in, want);
    snprintf(shape, sizeof shape, "output stage edges, rows %zu k %zu", rows, k);
    report("gemm", edge_op_kernel_name(op), got, want, rows * n, shape);
    edge_op_destroy(op);
    free(w), free(in), free(got), free(want);
  }
  {
    /* Depthwise 3x3 over a 3 x rows input with left/right padding, weights all zw. */
    struct edge_conv_desc d = {3, rows, n, 1, rows, n, 3, 3, 1, 1, 0, 1, 1, zx, zw, bias, rq};
    uint8_t *w = malloc(9 * n), *in = malloc(3 * rows * n), *got = malloc(rows * n), *want = malloc(rows * n);
    for (size_t t = 0; t < 9; t++)
      for (size_t c = 0; c < n; c++) w[t * n + c] = (uint8_t)zw[c];
    fill(in, 3 * rows * n, 0, 255);
    struct edge_op *op = NULL;
    run_op(cx, edge_dwconv_create(pick(cx), &d, w, &op), &op, in, NULL, got, "depthwise");
    ref_dwconv(&d, w, in, want);
    snprintf(shape, sizeof shape, "output stage edges, width %zu", rows);
    report("depthwise", edge_op_kernel_name(op), got, want, rows * n, shape);
    edge_op_destroy(op);
    free(w), free(in), free(got), free(want);
  }
  free(bias), free(zw), free(scale);
}

/*
 * MBQM edge cases, QNNPACK-style, through mean (every path's vector form) and
 * requantize: ties of both signs, total shifts 1 and 62, saturation, multiplier 0.
 * Mean over 128 x 128 pixels reaches sums up to about 2^21.
 */
#define Q30 (INT32_C(1) << 30)
struct mbqm_edge {
  int32_t multiplier, shift;
  int32_t x[8];
  size_t count;
};

static const struct mbqm_edge mbqm_edges[] = {
    {Q30, -1, {2, -2, 6, -6, 10, -10, 1, -1}, 8},                                     /* x / 4 */
    {Q30, -12, {4096, -4096, 12288, -12288, 4095, -4097, 4097, -4095}, 8},             /* x / 2^13 */
    {Q30, -20, {1 << 20, -(1 << 20), (1 << 20) - 1, -(1 << 20) - 1, (1 << 20) + 1}, 5}, /* x / 2^21 */
    {Q30, 0, {1, -1, 3, -3, 255, -255, 0, 2}, 8},                                     /* shift 0: x / 2 */
    {INT32_MAX, 0, {1, -1, 2000000, -2000000, 77, -77}, 6},
    {1, 30, {1, -1, 3, -3, 101, -101, 0}, 7},                                         /* total 1: x / 2 */
    {Q30, 30, {4, -5, 1, -1, 1000000, -1000000, 0}, 7},                               /* saturation */
    {INT32_MAX, 30, {1, -1, 2000000, -2000000}, 4},
    {Q30, 2, {100, -100, 63, -64, 64, -65}, 6},
    {INT32_MAX, -31, {2000000, -2000000, 1, -1, 0}, 5},                               /* total 62 */
    {Q30, -31, {2000000, -2000000, 1, -1}, 4},
    {0, -5, {2000000, -2000000, 5}, 3},                                               /* multiplier 0 */
    {0, 30, {2000000, -2000000, 5}, 3},
    {1234567890, -17, {123456, -123456, 1000, -999, 1}, 5},
};

static void mbqm_edge_case(const struct contexts *cx, const struct mbqm_edge *e) {
  const size_t h = 128, w = 128, pixels = h * w, channels = 33; /* vector steps and a tail */
  int32_t multiplier = e->multiplier, shift = e->shift;
  struct edge_mean_desc d = {h, w, channels, 128, {&multiplier, &shift, 128, 0, 255}};
  if (coin(50)) make_output(&d.requant.zero_point, &d.requant.min, &d.requant.max);
  uint8_t *in = malloc(pixels * channels), *got = malloc(256), *want = malloc(256);
  for (size_t c = 0; c < channels; c++) {
    /* Pixels whose centred sum is the chosen x: 255s, then the remainder, then 0s. */
    int64_t t = (int64_t)e->x[c % e->count] + 128 * (int64_t)pixels;
    for (size_t i = 0; i < pixels; i++) {
      const int64_t v = t > 255 ? 255 : t;
      in[i * channels + c] = (uint8_t)v;
      t -= v;
    }
  }
  struct edge_op *op = NULL;
  run_op(cx, edge_mean_create(pick(cx), &d, &op), &op, in, NULL, got, "mean");
  ref_mean(&d, in, want);
  char shape[96];
  snprintf(shape, sizeof shape, "MBQM edges, multiplier %d shift %d", multiplier, shift);
  report("mean", edge_op_kernel_name(op), got, want, channels, shape);
  edge_op_destroy(op);
  /* requantize: every x - zi in -255..255. */
  for (int32_t zi = 0; zi <= 255; zi += 255) {
    struct edge_requantize_desc r = {256, zi, d.requant};
    for (size_t i = 0; i < 256; i++) in[i] = (uint8_t)i;
    run_op(cx, edge_requantize_create(pick(cx), &r, &op), &op, in, NULL, got, "requantize");
    ref_requantize(&r, in, want);
    report("requantize", edge_op_kernel_name(op), got, want, 256, shape);
    edge_op_destroy(op);
  }
  free(in), free(got), free(want);
}

static void output_edge_cases(const struct contexts *cx, size_t mr) {
  const size_t rows[] = {1, 2, mr, mr + 1};
  /* k 4 and 64: below and above every gemm kernel's min_k. */
  for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
    fp32_edge_case(cx, rows[r], 4);
    fp32_edge_case(cx, rows[r], 64);
  }
  for (size_t i = 0; i < sizeof mbqm_edges / sizeof *mbqm_edges; i++) mbqm_edge_case(cx, &mbqm_edges[i]);
}

/* Output size for a window of k with stride s and total padding p. */
static size_t out_size(size_t in, size_t k, size_t s, size_t p) { return in + p < k ? 0 : (in + p - k) / s + 1; }

static void conv_like_case(const struct contexts *cx, bool depthwise, size_t ih, size_t iw, size_t ic, size_t oc,
                           size_t kh, size_t kw, size_t sh, size_t sw, size_t dm) {
  struct edge_conv_desc d = {0};
  d.input_h = ih, d.input_w = iw, d.input_c = ic, d.kernel_h = kh, d.kernel_w = kw, d.stride_h = sh, d.stride_w = sw;
  d.depth_multiplier = depthwise ? dm : 1;
  d.output_c = depthwise ? ic * dm : oc;
  const size_t ph = rnd(0, (int)kh), pw = rnd(0, (int)kw);
  d.pad_top = rnd(0, (int)ph), d.pad_left = rnd(0, (int)pw);
  d.output_h = out_size(ih, kh, sh, ph), d.output_w = out_size(iw, kw, sw, pw);
  if (d.output_h == 0 || d.output_w == 0) return;
  const size_t taps = kh * kw, per_channel = depthwise ? taps : taps * ic;
  uint8_t *w = malloc(d.output_c * per_channel), *in = malloc(ih * iw * ic);
  const size_t out_n = d.output_h * d.output_w * d.output_c;
  uint8_t *got = malloc(out_n), *want = malloc(out_n);
  int32_t *zw = malloc(d.output_c * sizeof(int32_t));
  make_weights(w, zw, d.output_c, per_channel, !depthwise, rnd(0, 4));
  d.input_zero_point = coin(20) ? (coin(50) ? 0 : 255) : rnd(0, 255);
  d.weight_zero_point = zw;
  fill(in, ih * iw * ic, 0, 255);
  const int bits = log2_ceil(sqrt((double)per_channel) * 128 * 128);
  int32_t *bias = make_bias(d.output_c, bits);
  d.bias = bias;
  struct scales r;
  make_scales(&r, d.output_c, bits);
  d.requant = r.desc;
  struct edge_op *op = NULL;
  struct edge_context *ctx = pick(cx);
  enum edge_status s = depthwise ? edge_dwconv_create(ctx, &d, w, &op) : edge_conv_create(ctx, &d, w, &op);
  run_op(cx, s, &op, in, NULL, got, depthwise ? "depthwise" : "conv");
  if (depthwise) ref_dwconv(&d, w, in, want);
  else ref_conv(&d, w, in, want);
  char shape[160];
  snprintf(shape, sizeof shape, "in %zux%zux%zu out %zux%zux%zu k %zux%zu s %zux%zu pad %zu,%zu dm %zu", ih, iw, ic,
           d.output_h, d.output_w, d.output_c, kh, kw, sh, sw, d.pad_top, d.pad_left, d.depth_multiplier);
  report(depthwise ? "depthwise" : "conv", edge_op_kernel_name(op), got, want, out_n, shape);
  edge_op_destroy(op);
  free(r.scale);
  free(bias), free(zw), free(w), free(in), free(got), free(want);
}

/* TFLite's QuantizeMultiplier, for realistic add and mean parameters. */
static void quantize_multiplier(double real, int32_t *m, int32_t *s) {
  int e;
  double q = frexp(real, &e);
  int64_t qi = (int64_t)round(q * (double)(INT64_C(1) << 31));
  if (qi == (INT64_C(1) << 31)) {
    qi /= 2;
    e++;
  }
  if (e < -31) qi = 0, e = 0;
  *m = (int32_t)qi;
  *s = e;
}

/* XNNPACK's add parameters from float32 scales (ARITHMETIC.md), or anything the kernel accepts. */
static void add_case(const struct contexts *cx, size_t size) {
  struct edge_add_desc d = {0};
  d.size = size;
  if (coin(80)) {
    const float so = ldexpf((float)rnd(1, 1000), -rnd(7, 13));
    float ra, rb;
    do {
      ra = ldexpf((float)rnd(1, 1000), -rnd(8, 14)) / so;
      rb = ldexpf((float)rnd(1, 1000), -rnd(8, 14)) / so;
    } while ((ra > rb ? ra : rb) >= 0x1p8f || ra < 0x1p-10f || rb < 0x1p-10f);
    int e;
    frexpf(ra > rb ? ra : rb, &e); /* max = m * 2^e, m in [0.5, 1): floor(log2(max)) = e - 1 */
    d.shift = 21 - e;
    d.multiplier_a = (int32_t)lrintf(ldexpf(ra, d.shift));
    d.multiplier_b = (int32_t)lrintf(ldexpf(rb, d.shift));
  } else {
    d.shift = rnd(13, 30);
    d.multiplier_a = rnd(0, 1 << 21);
    d.multiplier_b = rnd(0, 1 << 21);
    if (coin(30)) {
      /* 2^(shift-1) per unit makes every odd difference a tie. */
      d.shift = rnd(13, 22);
      d.multiplier_a = 1 << (d.shift - 1);
      d.multiplier_b = coin(50) ? 0 : d.multiplier_a;
    }
  }
  d.zero_point_a = rnd(0, 255), d.zero_point_b = rnd(0, 255);
  make_output(&d.zero_point, &d.min, &d.max);
  uint8_t *a = malloc(size), *b = malloc(size), *got = malloc(size), *want = malloc(size);
  fill(a, size, 0, 255), fill(b, size, 0, 255);
  struct edge_op *op = NULL;
  run_op(cx, edge_add_create(pick(cx), &d, &op), &op, a, b, got, "add");
  ref_add(&d, a, b, want);
  char shape[96];
  snprintf(shape, sizeof shape, "size %zu ma %d mb %d shift %d", size, d.multiplier_a, d.multiplier_b, d.shift);
  report("add", edge_op_kernel_name(op), got, want, size, shape);
  edge_op_destroy(op);
  free(a), free(b), free(got), free(want);
}

/* A random table (a tabulated hard-swish or RELU, as far as the kernel can tell) over every byte and random ones. */
static void lookup_case(const struct contexts *cx, size_t size) {
  uint8_t table[256];
  fill(table, 256, 0, 255);
  struct edge_lookup_desc d = {size, table};
  uint8_t *in = malloc(size), *got = malloc(size), *want = malloc(size);
  for (size_t i = 0; i < size; i++) in[i] = i < 256 ? (uint8_t)i : (uint8_t)rnd(0, 255);
  struct edge_op *op = NULL;
  run_op(cx, edge_lookup_create(pick(cx), &d, &op), &op, in, NULL, got, "lookup");
  ref_lookup(&d, in, want);
  char shape[32];
  snprintf(shape, sizeof shape, "size %zu", size);
  report("lookup", edge_op_kernel_name(op), got, want, size, shape);
  edge_op_destroy(op);
  free(in), free(got), free(want);
}

/*
 * MUL over a random shape of rank 1..4 where each operand repeats along some axes
 * (stride 0), as the load step leaves them: squeeze-and-excite's rows by one row, a
 * row by a scalar, equal shapes. Scales span the products' range; zero points reach
 * the extremes.
 */
static void mul_case(const struct contexts *cx, size_t rank, size_t inner) {
  struct edge_mul_desc d = {0};
  d.rank = rank;
  for (size_t k = 0; k < rank; k++) d.shape[k] = k == rank - 1 ? inner : (size_t)rnd(1, 6);
  size_t sa = 1, sb = 1;
  for (size_t k = rank; k-- > 0;) {
    const int kind = rnd(0, 3); /* 0: A repeats, 1: B repeats, else neither */
    d.stride_a[k] = kind == 0 ? 0 : sa;
    d.stride_b[k] = kind == 1 ? 0 : sb;
    if (kind != 0) sa *= d.shape[k];
    if (kind != 1) sb *= d.shape[k];
  }
  do {
    d.scale = ldexpf((float)rnd(1, 1 << 20), -rnd(20, 40));
  } while (!(d.scale < 256.0f));
  d.zero_point_a = coin(20) ? (coin(50) ? 0 : 255) : rnd(0, 255);
  d.zero_point_b = coin(20) ? (coin(50) ? 0 : 255) : rnd(0, 255);
  make_output(&d.zero_point, &d.min, &d.max);
  size_t size = 1;
  for (size_t k = 0; k < rank; k++) size *= d.shape[k];
  uint8_t *a = malloc(sa), *b = malloc(sb), *got = malloc(size), *want = malloc(size);
  fill(a, sa, 0, 255), fill(b, sb, 0, 255);
  struct edge_op *op = NULL;
  run_op(cx, edge_mul_create(pick(cx), &d, &op), &op, a, b, got, "mul");
  ref_mul(&d, a, b, want);
  char shape[128];
  snprintf(shape, sizeof shape, "shape %zux%zux%zux%zu (rank %zu) strides a %zu,%zu,%zu,%zu b %zu,%zu,%zu,%zu scale %g",
           d.shape[0], d.shape[1], d.shape[2], d.shape[3], rank, d.stride_a[0], d.stride_a[1], d.stride_a[2],
           d.stride_a[3], d.stride_b[0], d.stride_b[1], d.stride_b[2], d.stride_b[3], (double)d.scale);
  report("mul", edge_op_kernel_name(op), got, want, size, shape);
  edge_op_destroy(op);
  free(a), free(b), free(got), free(want);
}

static void mean_case(const struct contexts *cx, size_t h, size_t w, size_t c) {
  struct edge_mean_desc d = {h, w, c, rnd(0, 255), {0}};
  struct requant r;
  make_requant(&r, 1, 8);
  int32_t m, s;
  quantize_multiplier(ldexp(rnd(500, 2000), -10) / (double)(h * w), &m, &s);
  if (!coin(20)) r.multiplier[0] = m, r.shift[0] = s;
  d.requant = r.desc;
  uint8_t *in = malloc(h * w * c), *got = malloc(c), *want = malloc(c);
  fill(in, h * w * c, 0, 255);
  struct edge_op *op = NULL;
  run_op(cx, edge_mean_create(pick(cx), &d, &op), &op, in, NULL, got, "mean");
  ref_mean(&d, in, want);
  char shape[64];
  snprintf(shape, sizeof shape, "%zux%zux%zu", h, w, c);
  report("mean", edge_op_kernel_name(op), got, want, c, shape);
  edge_op_destroy(op);
  free_requant(&r);
  free(in), free(got), free(want);
}

/* global > 0: a MobileNet's final pool, one window over (global - 1) / 7 + 1 by
   (global - 1) % 7 + 1 pixels (7 x 7 at 49: counts where a reciprocal would misround)
   and many channels, so that every remainder of the sum occurs. */
static void avgpool_case(const struct contexts *cx, int global) {
  struct edge_pool_desc d = {0};
  d.input_h = rnd(1, 9), d.input_w = rnd(1, 9), d.channels = rnd(1, 20);
  d.filter_h = rnd(1, 4), d.filter_w = rnd(1, 4), d.stride_h = rnd(1, 3), d.stride_w = rnd(1, 3);
  if (global) {
    d.input_h = d.filter_h = (size_t)(global - 1) / 7 + 1, d.input_w = d.filter_w = (size_t)(global - 1) % 7 + 1;
    d.channels = rnd(600, 1300);
  }
  const size_t ph = global ? 0 : rnd(0, (int)d.filter_h - 1), pw = global ? 0 : rnd(0, (int)d.filter_w - 1);
  d.pad_top = rnd(0, (int)ph), d.pad_left = rnd(0, (int)pw);
  d.output_h = out_size(d.input_h, d.filter_h, d.stride_h, ph);
  d.output_w = out_size(d.input_w, d.filter_w, d.stride_w, pw);
  if (d.output_h == 0 || d.output_w == 0) return;
  d.zero_point = rnd(0, 255), d.min = rnd(0, 100), d.max = rnd(d.min, 255);
  if (global) d.zero_point = global % 2 ? 255 : 0, d.min = 0, d.max = 255; /* quotients down to -255, up to 255 */
  const size_t n_in = d.input_h * d.input_w * d.channels, n_out = d.output_h * d.output_w * d.channels;
  uint8_t *in = malloc(n_in), *got = malloc(n_out), *want = malloc(n_out);
  fill(in, n_in, 0, 255);
  if (global) {
    /* Channel c: a base near the far end from the zero point plus 1 on c % count pixels,
       so that sums take every remainder mod count at quotients near +-255. */
    const size_t count = d.input_h * d.input_w;
    for (size_t p = 0; p < count; p++) {
      for (size_t c = 0; c < d.channels; c++) {
        const int base = (int)(c / count % 64);
        in[p * d.channels + c] = (uint8_t)((d.zero_point ? base : 254 - base) + (p < c % count ? 1 : 0));
      }
    }
  }
  struct edge_op *op = NULL;
  run_op(cx, edge_avgpool_create(pick(cx), &d, &op), &op, in, NULL, got, "avgpool");
  ref_avgpool(&d, in, want);
  report("avgpool", edge_op_kernel_name(op), got, want, n_out, global ? "global" : "random");
  edge_op_destroy(op);
  free(in), free(got), free(want);
}

static void small_ops_case(const struct contexts *cx) {
  struct edge_op *op = NULL;
  /* softmax */
  {
    double table[256];
    const double bs = ldexp(rnd(1, 100), -rnd(3, 8));
    for (int i = 0; i < 256; i++) table[i] = exp(-bs * i);
    struct edge_softmax_desc d = {rnd(1, 3), rnd(1, 1001), table, 256.0, 0, 0, 255};
    if (coin(30)) d.zero_point = rnd(0, 255), d.min = rnd(0, 50), d.max = rnd(100, 255);
    const size_t n = d.rows * d.channels;
    uint8_t *in = malloc(n), *got = malloc(n), *want = malloc(n);
    fill(in, n, coin(50) ? 200 : 0, 255);
    run_op(cx, edge_softmax_create(pick(cx), &d, &op), &op, in, NULL, got, "softmax");
    ref_softmax(&d, in, want);
    report("softmax", edge_op_kernel_name(op), got, want, n, "random");
    edge_op_destroy(op);
    free(in), free(got), free(want);
  }
  /* requantize */
  {
    struct requant r;
    make_requant(&r, 1, 8);
    struct edge_requantize_desc d = {rnd(1, 300), rnd(0, 255), r.desc};
    uint8_t *in = malloc(d.size), *got = malloc(d.size), *want = malloc(d.size);
    fill(in, d.size, 0, 255);
    run_op(cx, edge_requantize_create(pick(cx), &d, &op), &op, in, NULL, got, "requantize");
    ref_requantize(&d, in, want);
    report("requantize", edge_op_kernel_name(op), got, want, d.size, "random");
    edge_op_destroy(op);
    free_requant(&r);
    free(in), free(got), free(want);
  }
  /* pad */
  {
    struct edge_pad_desc d = {rnd(1, 6), rnd(1, 6), rnd(1, 9), rnd(0, 2), rnd(0, 2), rnd(0, 2), rnd(0, 2),
                              coin(70) ? 0 : rnd(0, 3), coin(70) ? 0 : rnd(0, 3), rnd(0, 255)};
    const size_t n_in = d.input_h * d.input_w * d.input_c;
    const size_t n_out = (d.input_h + d.pad_top + d.pad_bottom) * (d.input_w + d.pad_left + d.pad_right) *
                         (d.input_c + d.pad_channels_before + d.pad_channels_after);
    uint8_t *in = malloc(n_in), *got = malloc(n_out), *want = malloc(n_out);
    fill(in, n_in, 0, 255);
    run_op(cx, edge_pad_create(pick(cx), &d, &op), &op, in, NULL, got, "pad");
    ref_pad(&d, in, want);
    report("pad", edge_op_kernel_name(op), got, want, n_out, "random");
    edge_op_destroy(op);
    free(in), free(got), free(want);
  }
  /* quantize and dequantize */
  {
    struct edge_quantize_desc d = {rnd(1, 200), ldexp(rnd(1, 1000), -rnd(5, 12)), rnd(0, 255), 0, 255};
    if (coin(30)) d.min = rnd(0, 100), d.max = rnd(d.min, 255);
    float *x = malloc(d.size * sizeof(float)), *fgot = malloc(d.size * sizeof(float));
    float *fwant = malloc(d.size * sizeof(float));
    uint8_t *got = malloc(d.size), *want = malloc(d.size), *q = malloc(d.size);
    for (size_t i = 0; i < d.size; i++) {
      /* Ties (k + 0.5) * scale are where rounding modes differ. */
      x[i] = coin(30) ? (float)((rnd(-200, 200) + 0.5) * d.scale) : (float)(rnd(-100000, 100000) * d.scale / 373.0);
      if (coin(2)) x[i] = coin(50) ? NAN : (coin(50) ? INFINITY : -INFINITY);
    }
    run_op(cx, edge_quantize_create(pick(cx), &d, &op), &op, x, NULL, got, "quantize");
    ref_quantize(&d, x, want);
    report("quantize", edge_op_kernel_name(op), got, want, d.size, "random");
    edge_op_destroy(op);
    fill(q, d.size, 0, 255);
    run_op(cx, edge_dequantize_create(pick(cx), &d, &op), &op, q, NULL, fgot, "dequantize");
    ref_dequantize(&d, q, fwant);
    report("dequantize", edge_op_kernel_name(op), (const uint8_t *)fgot, (const uint8_t *)fwant,
           d.size * sizeof(float), "random");
    edge_op_destroy(op);
    free(x), free(fgot), free(fwant), free(got), free(want), free(q);
  }
}

static void test_path(const struct edge_path *path, bool quick) {
  struct contexts cx;
  const char *why = "";
  current_path = path->name;
  path_cases = 0;
  seen_count = 0;
  if (edge_context_create(path->name, 1, &cx.one, &why) != EDGE_OK ||
      edge_context_create(path->name, 2, &cx.two, &why) != EDGE_OK) {
    fprintf(stderr, "path %s: %s\n", path->name, why);
    failed++;
    return;
  }
  const size_t mr = path->gemm->mr, nr = path->gemm->nr;
  const size_t rows[] = {1, 2, mr - 1 ? mr - 1 : 1, mr, mr + 1, 2 * mr + 3, 50};
  const size_t ks[] = {1, 2, 3, 4, 5, 8, 15, 16, 17, 27, 32, 33, 64, 95};
  const size_t ns[] = {1, 3, nr - 1, nr, nr + 1, 2 * nr + 5, 24, 96};
  const size_t step = quick ? 3 : 1;
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
    for (size_t j = 0; j < sizeof ks / sizeof *ks; j += step)
      for (size_t l = 0; l < sizeof ns / sizeof *ns; l++) gemm_case(&cx, rows[i], ks[j], ns[l], false);
  for (int i = 0; i < (quick ? 40 : 600); i++) gemm_case(&cx, rnd(1, 30), rnd(1, 20), rnd(1, 70), true);
  output_edge_cases(&cx, mr);
  for (int i = 0; i < (quick ? 40 : 450); i++) {
    const size_t k = (size_t[]){1, 2, 3, 3, 3, 5}[rnd(0, 5)];
    conv_like_case(&cx, false, rnd(1, 12), rnd(1, 12), (size_t[]){1, 3, 3, 4, 8, 16, 17, 33}[rnd(0, 7)],
                   (size_t[]){1, 5, 8, 16, 17, 32, 33, 40}[rnd(0, 7)], k, coin(80) ? k : (size_t)rnd(1, 4), rnd(1, 3),
                   rnd(1, 3), 1);
  }
  /* The first layer of the MobileNets: 3x3 stride 2 over 3 channels to 32 (or 8, 16 for the small ones). */
  for (int i = 0; i < (quick ? 5 : 60); i++) {
    conv_like_case(&cx, false, rnd(2, 33), rnd(2, 33), 3, (size_t[]){8, 16, 32}[rnd(0, 2)], 3, 3, 2, 2, 1);
  }
  const size_t ct = path->dw9->ct, cta = path->dwany->ct;
  const size_t chans[] = {1, 7, ct > 1 ? ct - 1 : 2, ct, ct + 1, 2 * ct + 3, cta + 5, 48, 96};
  for (size_t i = 0; i < sizeof chans / sizeof *chans; i++) {
    for (int rep = 0; rep < (quick ? 3 : 36); rep++) {
      const int kind = rep % 6;
      const size_t kh = (size_t[]){3, 3, 1, 5, 3, 2}[kind], kw = (size_t[]){3, 3, 1, 5, 5, 2}[kind];
      const size_t s = kind == 1 ? 2 : (size_t)rnd(1, 2);
      conv_like_case(&cx, true, rnd(1, 14), rnd(1, 14), chans[i], 0, kh, kw, s, s, coin(80) ? 1 : rnd(2, 3));
    }
  }
  /* 3x3 stride 1 and 2, a MobileNet's depthwise layers: the channel counts of the models
     (one 64-byte weight pattern or several, whole and partial), heights odd and even. */
  const size_t mobilenet_c[] = {8, 16, 32, 64, 96, 144, 192, 24};
  for (size_t i = 0; i < sizeof mobilenet_c / sizeof *mobilenet_c; i++) {
    for (int rep = 0; rep < (quick ? 2 : 8); rep++) {
      const size_t s = rep % 2 + 1;
      conv_like_case(&cx, true, rnd(1, 20), rnd(1, 20), mobilenet_c[i], 0, 3, 3, s, s, 1);
    }
  }
  const size_t sizes[] = {1, 7, 15, 16, 17, 100, 1000, 40000};
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
    for (int rep = 0; rep < (quick ? 2 : 8); rep++) add_case(&cx, sizes[i]);
  const size_t mean_c[] = {1, 7, 16, 17, 40, 1280};
  for (size_t i = 0; i < sizeof mean_c / sizeof *mean_c; i++)
    for (int rep = 0; rep < (quick ? 2 : 6); rep++) mean_case(&cx, rnd(1, 14), rnd(1, 14), mean_c[i]);
  const size_t lookup_sizes[] = {1, 7, 15, 16, 17, 31, 32, 33, 256, 1000, 40000};
  for (size_t i = 0; i < sizeof lookup_sizes / sizeof *lookup_sizes; i++)
    for (int rep = 0; rep < (quick ? 1 : 4); rep++) lookup_case(&cx, lookup_sizes[i]);
  const size_t mul_inner[] = {1, 7, 8, 9, 15, 16, 17, 33, 72, 960};
  for (size_t i = 0; i < sizeof mul_inner / sizeof *mul_inner; i++)
    for (int rep = 0; rep < (quick ? 4 : 16); rep++) mul_case(&cx, (size_t)rnd(1, 4), mul_inner[i]);
  for (int i = 0; i < (quick ? 20 : 60); i++) avgpool_case(&cx, 0);
  for (int i = 0; i < (quick ? 7 : 49); i++) avgpool_case(&cx, i + 1);
  for (int i = 0; i < (quick ? 10 : 40); i++) small_ops_case(&cx);
  edge_context_destroy(cx.one);
  edge_context_destroy(cx.two);
  printf("path %-11s kernels", path->name);
  for (size_t i = 0; i < seen_count; i++) printf(" %s", seen[i]);
  printf(": %zu cases passed\n", path_cases);
}

/* The core-specific choice: /proc/cpuinfo's CPU part, as the kernels and a Pi print it. */
static void test_path_for_part(void) {
  static const char a53[] = "processor\t: 0\nBogoMIPS\t: 38.40\nFeatures\t: fp asimd evtstrm crc32 cpuid\n"
                            "CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\n"
                            "CPU part\t: 0xd03\nCPU revision\t: 4\n\nprocessor\t: 1\nCPU part\t: 0xd08\n";
  static const char a72[] = "processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xd08\nCPU revision\t: 3\n";
  static const char none[] = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R)\n";
  const struct {
    const char *text, *best, *want;
    unsigned part;
  } cases[] = {
      {a53, "neon", "neon-mlal", EDGE_CPU_PART_CORTEX_A53},
      {a72, "neon", "neon", EDGE_CPU_PART_CORTEX_A72},
      {none, "neon", "neon", 0},
      {a53, "neondot", "neondot", EDGE_CPU_PART_CORTEX_A53},
      {"CPU part\t: 0xd0b", "neondot", "neondot", EDGE_CPU_PART_CORTEX_A76},
      {"CPU part", "neon", "neon", 0},
      {"", "scalar", "scalar", 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const unsigned part = edge_cpu_part_parse(cases[i].text);
    const char *got = edge_path_for_part(cases[i].best, part);
    if (part != cases[i].part || strcmp(got, cases[i].want) != 0) {
      fprintf(stderr, "path for part, case %zu: part 0x%x (want 0x%x), path %s (want %s)\n", i, part, cases[i].part,
              got, cases[i].want);
      failed++;
    } else {
      passed++;
    }
  }
}

int main(int argc, char **argv) {
  const char *only = NULL;
  bool quick = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--path") == 0 && i + 1 < argc) only = argv[++i];
    else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) rng_state = strtoull(argv[++i], NULL, 0) | 1;
    else if (strcmp(argv[i], "--quick") == 0) quick = true;
    else {
      fprintf(stderr, "usage: kernel-test [--path NAME] [--seed N] [--quick]\n");
      return 2;
    }
  }
  test_path_for_part();
  size_t ran = 0;
  for (size_t i = 0; i < edge_path_count; i++) {
    const struct edge_path *p = &edge_paths[i];
    if (only != NULL && strcmp(only, p->name) != 0) continue;
    if (!edge_isa_available(p->isa)) {
      printf("path %-11s skipped: this CPU lacks it\n", p->name);
      continue;
    }
    test_path(p, quick);
    ran++;
  }
  if (only != NULL && ran == 0) {
    fprintf(stderr, "path %s: not built for this architecture or not supported by this CPU\n", only);
    return 1;
  }
  printf("%zu passed, %zu failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
