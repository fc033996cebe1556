/*
 * The light operators: average pool, mean, add (through the path's kernels), softmax,
 * requantize, pad, quantize and dequantize (portable C: they are a sliver of a
 * MobileNet's time). Float results follow ARITHMETIC.md in IEEE double; the build
 * turns off FMA contraction so that a * b + c rounds twice, as in JavaScript.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op-internal.h"
#include "requantize.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

static void free_op(struct edge_op *op) { free(op); }

static enum edge_status new_op(size_t bytes, struct edge_op_shape shape, const char *kernel,
                               enum edge_status (*run)(struct edge_context *, const struct edge_op *, const void *,
                                                       const void *, void *),
                               void (*destroy)(struct edge_op *), struct edge_op **out) {
  struct edge_op *op = calloc(1, bytes);
  if (op == NULL) return EDGE_ERR_NOMEM;
  *op = (struct edge_op){shape, kernel, bytes, run, destroy};
  *out = op;
  return EDGE_OK;
}

/* ---- Average pool ---- */

struct avgpool_op {
  struct edge_op base;
  struct edge_pool_desc d;
};

/* sum[c] += x[c], 16 at a time with the baseline SIMD of x86-64 and aarch64. */
static void add_bytes(int32_t *restrict sum, const uint8_t *restrict x, size_t n) {
  size_t c = 0;
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  for (; c + 16 <= n; c += 16) {
    const __m128i b = _mm_loadu_si128((const __m128i *)(x + c));
    const __m128i lo = _mm_unpacklo_epi8(b, zero), hi = _mm_unpackhi_epi8(b, zero);
    __m128i *s = (__m128i *)(sum + c);
    _mm_storeu_si128(s, _mm_add_epi32(_mm_loadu_si128(s), _mm_unpacklo_epi16(lo, zero)));
    _mm_storeu_si128(s + 1, _mm_add_epi32(_mm_loadu_si128(s + 1), _mm_unpackhi_epi16(lo, zero)));
    _mm_storeu_si128(s + 2, _mm_add_epi32(_mm_loadu_si128(s + 2), _mm_unpacklo_epi16(hi, zero)));
    _mm_storeu_si128(s + 3, _mm_add_epi32(_mm_loadu_si128(s + 3), _mm_unpackhi_epi16(hi, zero)));
  }
#elif defined(__aarch64__)
  for (; c + 16 <= n; c += 16) {
    const uint8x16_t b = vld1q_u8(x + c);
    const uint16x8_t lo = vmovl_u8(vget_low_u8(b)), hi = vmovl_u8(vget_high_u8(b));
    uint32_t *s = (uint32_t *)(sum + c);
    vst1q_u32(s, vaddw_u16(vld1q_u32(s), vget_low_u16(lo)));
    vst1q_u32(s + 4, vaddw_u16(vld1q_u32(s + 4), vget_high_u16(lo)));
    vst1q_u32(s + 8, vaddw_u16(vld1q_u32(s + 8), vget_low_u16(hi)));
    vst1q_u32(s + 12, vaddw_u16(vld1q_u32(s + 12), vget_high_u16(hi)));
  }
#endif
  for (; c < n; c++) sum[c] += x[c];
}

/*
 * Channels innermost, so that the sums run over contiguous bytes (a MobileNet's global
 * 7x7 pool over 1280 channels is one window). The rounding division is a double one,
 * correctly rounded: an integer quotient comes out exact, and a non-integer one (at
 * least 1 / count < 2^-23 from the next integer) cannot round up to it.
 */
static enum edge_status avgpool_run(struct edge_context *ctx, const struct edge_op *base, const void *input,
                                    const void *input2, void *output) {
  (void)input2;
  const struct edge_pool_desc *d = &((const struct avgpool_op *)base)->d;
  const size_t C = d->channels;
  int32_t *sum = edge_workspace(ctx, C * sizeof(int32_t));
  if (sum == NULL) return EDGE_ERR_NOMEM;
  const uint8_t *in = input;
  uint8_t *out = output;
  for (size_t oy = 0; oy < d->output_h; oy++) {
    /* Unsigned wrap-around puts taps above or left of the input out of range too. */
    const size_t y0 = oy * d->stride_h - d->pad_top;
    for (size_t ox = 0; ox < d->output_w; ox++) {
      const size_t x0 = ox * d->stride_w - d->pad_left;
      int32_t count = 0;
      memset(sum, 0, C * sizeof(int32_t));
      for (size_t ky = 0; ky < d->filter_h; ky++) {
        if (y0 + ky >= d->input_h) continue;
        for (size_t kx = 0; kx < d->filter_w; kx++) {
          if (x0 + kx >= d->input_w) continue;
          add_bytes(sum, in + ((y0 + ky) * d->input_w + x0 + kx) * C, C);
          count++;
        }
      }
      const int32_t half = count / 2, centre = d->zero_point * count;
      const double divisor = count;
      for (size_t c = 0; c < C; c++) {
        const int32_t s = sum[c] - centre;
        /* Both quotients are >= 0, where truncation is floor. */
        const int32_t q = s >= 0 ? (int32_t)((s + half) / divisor) : -(int32_t)((half - s) / divisor);
        const int32_t v = d->zero_point + q;
        *out++ = (uint8_t)(v < d->min ? d->min : v > d->max ? d->max : v);
      }
    }
  }
  return EDGE_OK;
}

enum edge_status edge_avgpool_create(struct edge_context *ctx, const struct edge_pool_desc *d, struct edge_op **out) {
  (void)ctx;
  if (!d->input_h || !d->input_w || !d->channels || !d->output_h || !d->output_w || !d->filter_h || !d->filter_w ||
      !d->stride_h || !d->stride_w || !edge_u8_range(d->zero_point) || !edge_u8_range(d->min) ||
      !edge_u8_range(d->max) || d->min > d->max || d->filter_h * d->filter_w > (1u << 23)) {
    return EDGE_ERR_INVALID;
  }
  /* Every window needs an input tap: an average of nothing is undefined (ARITHMETIC.md). */
  if (d->pad_top >= d->filter_h || (d->output_h - 1) * d->stride_h >= d->input_h + d->pad_top ||
      d->pad_left >= d->filter_w || (d->output_w - 1) * d->stride_w >= d->input_w + d->pad_left) {
    return EDGE_ERR_INVALID;
  }
  struct edge_op_shape shape = {.input = d->input_h * d->input_w * d->channels, .output = d->output_h * d->output_w * d->channels};
  enum edge_status s = new_op(sizeof(struct avgpool_op), shape, "qu8_avgpool__portable", avgpool_run,
                              free_op, out);
  if (s == EDGE_OK) ((struct avgpool_op *)*out)->d = *d;
  return s;
}

/* ---- Mean ---- */

/* The largest H * W whose centred sum (|x - zx| <= 255 each) stays in int32. */
#define EDGE_MEAN_MAX_PIXELS (INT32_MAX / 255)

struct mean_op {
  struct edge_op base;
  const struct edge_mean_ukernel *uk;
  size_t pixels, channels;
  struct edge_mean_params p;
};

static enum edge_status mean_run(struct edge_context *ctx, const struct edge_op *base, const void *input,
                                 const void *input2, void *output) {
  (void)ctx;
  (void)input2;
  const struct mean_op *op = (const struct mean_op *)base;
  op->uk->fn(op->pixels, op->channels, op->channels, input, output, &op->p);
  return EDGE_OK;
}

enum edge_status edge_mean_create(struct edge_context *ctx, const struct edge_mean_desc *d, struct edge_op **out) {
  if (!d->input_h || !d->input_w || !d->channels || d->input_h * d->input_w > EDGE_MEAN_MAX_PIXELS ||
      !edge_u8_range(d->input_zero_point) || !edge_requant_valid(&d->requant, 1)) {
    return EDGE_ERR_INVALID;
  }
  struct edge_op_shape shape = {.input = d->input_h * d->input_w * d->channels, .output = d->channels};
  enum edge_status s = new_op(sizeof(struct mean_op), shape, ctx->path->mean->name, mean_run, free_op, out);
  if (s != EDGE_OK) return s;
  struct mean_op *op = (struct mean_op *)*out;
  op->uk = ctx->path->mean;
  op->pixels = d->input_h * d->input_w;
  op->channels = d->channels;
  op->p.zx = d->input_zero_point;
  edge_mbqm_params_init(&op->p.rq, d->requant.multiplier[0], d->requant.shift[0]);
  op->p.o = edge_output_params_make(d->requant.zero_point, d->requant.min, d->requant.max);
  return EDGE_OK;
}

/* ---- Add ---- */

struct add_op {
  struct edge_op base;
  const struct edge_add_ukernel *uk;
  size_t size;
  struct edge_add_params p;
};

struct add_call {
  const struct add_op *op;
  const uint8_t *a, *b;
  uint8_t *out;
};

#define ADD_CHUNK 16384

static void add_task(void *arg, size_t thread, size_t task) {
  (void)thread;
  const struct add_call *c = arg;
  const size_t i = task * ADD_CHUNK, n = EDGE_MIN(ADD_CHUNK, c->op->size - i);
  c->op->uk->fn(n, c->a + i, c->b + i, c->out + i, &c->op->p);
}

static enum edge_status add_run(struct edge_context *ctx, const struct edge_op *base, const void *a, const void *b,
                                void *output) {
  const struct add_op *op = (const struct add_op *)base;
  struct add_call call = {op, a, b, output};
  edge_pool_run(ctx->pool, add_task, &call, edge_div_up(op->size, ADD_CHUNK));
  return EDGE_OK;
}

enum edge_status edge_add_create(struct edge_context *ctx, const struct edge_add_desc *d, struct edge_op **out) {
  /* ARITHMETIC.md's ranges: ma * (a - za) + mb * (b - zb) + 2^(shift - 1) stays within int32. */
  const int32_t limit = INT32_C(1) << 21;
  if (!d->size || !edge_u8_range(d->zero_point_a) || !edge_u8_range(d->zero_point_b) || d->multiplier_a < 0 ||
      d->multiplier_a > limit || d->multiplier_b < 0 || d->multiplier_b > limit || d->shift < 13 || d->shift > 30 ||
      !edge_u8_range(d->zero_point) || !edge_u8_range(d->min) || !edge_u8_range(d->max) || d->min > d->max) {
    return EDGE_ERR_INVALID;
  }
  struct edge_op_shape shape = {.input = d->size, .input2 = d->size, .output = d->size};
  enum edge_status s = new_op(sizeof(struct add_op), shape, ctx->path->add->name, add_run, free_op, out);
  if (s != EDGE_OK) return s;
  struct add_op *op = (struct add_op *)*out;
  op->uk = ctx->path->add;
  op->size = d->size;
  op->p = (struct edge_add_params){d->zero_point_a, d->zero_point_b, d->multiplier_a, d->multiplier_b, d->shift,
                                   edge_output_params_make(d->zero_point, d->min, d->max)};
  return EDGE_OK;
}

/* ---- Softmax ---- */

struct softmax_op {
  struct edge_op base;
  struct edge_softmax_desc d;
  double table[256];
};

static uint8_t clamp_double(double v, int32_t min, int32_t max) {
  if (!(v >= min)) return (uint8_t)min; /* NaN included */
  if (v > max) return (uint8_t)max;
  return (uint8_t)v;
}

static enum edge_status softmax_run(struct edge_context *ctx, const struct edge_op *base, const void *input,
                                    const void *input2, void *output) {
  (void)ctx;
  (void)input2;
  const struct softmax_op *op = (const struct softmax_op *)base;
  const struct edge_softmax_desc *d = &op->d;
  for (size_t r = 0; r < d->rows; r++) {
    const uint8_t *x = (const uint8_t *)input + r * d->channels;
    uint8_t *y = (uint8_t *)output + r * d->channels;
    uint8_t max = 0;
    for (size_t c = 0; c < d->channels; c++) max = x[c] > max ? x[c] : max;
    double sum = 0;
    for (size_t c = 0; c < d->channels; c++) sum += op->table[max - x[c]];
    for (size_t c = 0; c < d->channels; c++) {
      double q = floor(op->table[max - x[c]] / sum * d->inverse_output_scale + 0.5);
      y[c] = clamp_double(d->zero_point + q, d->min, d->max);
    }
  }
  return EDGE_OK;
}

enum edge_status edge_softmax_create(struct edge_context *ctx, const struct edge_softmax_desc *d,
                                     struct edge_op **out) {
  (void)ctx;
  if (!d->rows || !d->channels || d->exp_table == NULL || !edge_u8_range(d->zero_point) || !edge_u8_range(d->min) ||
      !edge_u8_range(d->max) || d->min > d->max) {
    return EDGE_ERR_INVALID;
  }
  struct edge_op_shape shape = {.input = d->rows * d->channels, .output = d->rows * d->channels};
  enum edge_status s = new_op(sizeof(struct softmax_op), shape, "qu8_softmax__portable", softmax_run,
                              free_op, out);
  if (s != EDGE_OK) return s;
  struct softmax_op *op = (struct softmax_op *)*out;
  op->d = *d;
  memcpy(op->table, d->exp_table, sizeof(op->table));
  op->d.exp_table = NULL;
  return EDGE_OK;
}

/* ---- Requantize ---- */

struct requantize_op {
  struct edge_op base;
  size_t size;
  int32_t zi;
  struct edge_mbqm_params rq;
  struct edge_output_params o;
};

static enum edge_status requantize_run(struct edge_context *ctx, const struct edge_op *base, const void *input,
                                       const void *input2, void *output) {
  (void)ctx;
  (void)input2;
  const struct requantize_op *op = (const struct requantize_op *)base;
  const uint8_t *x = input;
  uint8_t *y = output;
  for (size_t i = 0; i < op->size; i++) {
    y[i] = edge_output(edge_mbqm(x[i] - op->zi, op->rq.multiplier, op->rq.shift), &op->o);
  }
  return EDGE_OK;
}

enum edge_status edge_requantize_create(struct edge_context *ctx, const struct edge_requantize_desc *d,
                                        struct edge_op **out) {
  (void)ctx;
  if (!d->size || !edge_u8_range(d->input_zero_point) || !edge_requant_valid(&d->requant, 1)) {
    return EDGE_ERR_INVALID;
  }
  struct edge_op_shape shape = {.input = d->size, .output = d->size};
  enum edge_status s = new_op(sizeof(struct requantize_op), shape, "qu8_requantize__portable", requantize_run,
                              free_op, out);
  if (s != EDGE_OK) return s;
  struct requantize_op *op = (struct requantize_op *)*out;
  op->size = d->size;
  op->zi = d->input_zero_point;
  edge_mbqm_params_init(&op->rq, d->requant.multiplier[0], d->requant.shift[0]);
  op->o = edge_output_params_make(d->requant.zero_point, d->requant.min, d->requant.max);
  return EDGE_OK;
}

/* ---- Pad ---- */

struct pad_op {
  struct edge_op base;
  struct edge_pad_desc d;
  size_t out_h, out_w, out_c;
};

static enum edge_status pad_run(struct edge_context *ctx, const struct edge_op *base, const void *input,
                                const void *input2, void *output) {
  (void)ctx;
  (void)input2;
  const struct pad_op *op = (const struct pad_op *)base;
  const struct edge_pad_desc *d = &op->d;
  uint8_t *y = output;
  memset(y, d->value, op->out_h * op->out_w * op->out_c);
  for (size_t iy = 0; iy < d->input_h; iy++) {
    for (size_t ix = 0; ix < d->input_w; ix++) {
      const size_t at = ((iy + d->pad_top) * op->out_w + ix + d->pad_left) * op->out_c + d->pad_channels_before;
      memcpy(y + at, (const uint8_t *)input + (iy * d->input_w + ix) * d->input_c, d->input_c);
    }
  }
  return EDGE_OK;
}

enum edge_status edge_pad_create(struct edge_context *ctx, const struct edge_pad_desc *d, struct edge_op **out) {
  (void)ctx;
  if (!d->input_h || !d->input_w || !d->input_c || !edge_u8_range(d->value)) return EDGE_ERR_INVALID;
  const size_t oh = d->input_h + d->pad_top + d->pad_bottom, ow = d->input_w + d->pad_left + d->pad_right;
  const size_t oc = d->input_c + d->pad_channels_before + d->pad_channels_after;
  struct edge_op_shape shape = {.input = d->input_h * d->input_w * d->input_c, .output = oh * ow * oc};
  enum edge_status s = new_op(sizeof(struct pad_op), shape, "qu8_pad__portable", pad_run, free_op, out);
  if (s != EDGE_OK) return s;
  struct pad_op *op = (struct pad_op *)*out;
  op->d = *d;
  op->out_h = oh;
  op->out_w = ow;
  op->out_c = oc;
  return EDGE_OK;
}

/* ---- Quantize / dequantize ---- */

struct quantize_op {
  struct edge_op base;
  struct edge_quantize_desc d;
};

static enum edge_status quantize_run(struct edge_context *ctx, const struct edge_op *base, const void *input,
                                     const void *input2, void *output) {
  (void)ctx;
  (void)input2;
  const struct edge_quantize_desc *d = &((const struct quantize_op *)base)->d;
  const float *x = input;
  uint8_t *y = output;
  /* NaN has no nearest integer; it quantizes as 0 does (as the reference kernels do). */
  const uint8_t nan = clamp_double(d->zero_point, d->min, d->max);
  for (size_t i = 0; i < d->size; i++) {
    const double q = (double)x[i] / d->scale;
    y[i] = q != q ? nan : clamp_double(d->zero_point + round(q), d->min, d->max);
  }
  return EDGE_OK;
}

static enum edge_status dequantize_run(struct edge_context *ctx, const struct edge_op *base, const void *input,
                                       const void *input2, void *output) {
  (void)ctx;
  (void)input2;
  const struct edge_quantize_desc *d = &((const struct quantize_op *)base)->d;
  const uint8_t *x = input;
  float *y = output;
  for (size_t i = 0; i < d->size; i++) y[i] = (float)(d->scale * (double)(x[i] - d->zero_point));
  return EDGE_OK;
}

static bool quantize_valid(const struct edge_quantize_desc *d) {
  return d->size && d->scale > 0 && isfinite(d->scale) && edge_u8_range(d->zero_point) && edge_u8_range(d->min) &&
         edge_u8_range(d->max) && d->min <= d->max;
}

enum edge_status edge_quantize_create(struct edge_context *ctx, const struct edge_quantize_desc *d,
                                      struct edge_op **out) {
  (void)ctx;
  if (!quantize_valid(d)) return EDGE_ERR_INVALID;
  struct edge_op_shape shape = {.input = d->size, .output = d->size, .float_input = true};
  enum edge_status s = new_op(sizeof(struct quantize_op), shape, "qu8_quantize__portable", quantize_run,
                              free_op, out);
  if (s == EDGE_OK) ((struct quantize_op *)*out)->d = *d;
  return s;
}

enum edge_status edge_dequantize_create(struct edge_context *ctx, const struct edge_quantize_desc *d,
                                        struct edge_op **out) {
  (void)ctx;
  struct edge_quantize_desc dd = *d;
  dd.min = 0;
  dd.max = 255;
  if (!quantize_valid(&dd)) return EDGE_ERR_INVALID;
  struct edge_op_shape shape = {.input = d->size, .output = d->size, .float_output = true};
  enum edge_status s = new_op(sizeof(struct quantize_op), shape, "qu8_dequantize__portable", dequantize_run,
                              free_op, out);
  if (s == EDGE_OK) ((struct quantize_op *)*out)->d = dd;
  return s;
}
