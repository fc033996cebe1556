#include "reference.h"

#include <math.h>
#include <string.h>

static int32_t wrap32(int64_t v) { return (int32_t)(uint32_t)(uint64_t)v; }

/* floor(a / 2^e) for 0 <= e <= 62, without relying on >> of negative numbers. */
static int64_t floor_div_pow2(int64_t a, int32_t e) {
  const int64_t d = INT64_C(1) << e;
  return a >= 0 ? a / d : -((-a + d - 1) / d);
}

int32_t ref_mbqm(int32_t x, int32_t multiplier, int32_t shift) {
  const int32_t total = 31 - shift; /* 1 <= total <= 62 */
  const int64_t p = (int64_t)x * multiplier;
  const int64_t r = floor_div_pow2(p + (INT64_C(1) << (total - 1)), total);
  return r > INT32_MAX ? INT32_MAX : r < INT32_MIN ? INT32_MIN : (int32_t)r;
}

static uint8_t clamp(int64_t v, int32_t min, int32_t max) { return (uint8_t)(v < min ? min : v > max ? max : v); }

static uint8_t output(int64_t acc, const struct edge_requant_desc *r, size_t c) {
  return clamp(r->zero_point + (int64_t)ref_mbqm(wrap32(acc), r->multiplier[c], r->shift[c]), r->min, r->max);
}

/* Round half to even, spelled out rather than left to the floating-point environment. */
static float round_half_even(float v) {
  const float f = floorf(v), d = v - f; /* exact: |v| <= 255 here */
  if (d > 0.5f || (d == 0.5f && fmodf(f, 2.0f) != 0.0f)) return f + 1.0f;
  return f;
}

/* The fp32 stage: zo + roundHalfEven(clamp(f32(f32(acc) * scale), min - zo, max - zo)). */
static uint8_t output_fp32(int64_t acc, const struct edge_scale_desc *r, size_t c) {
  const float x = (float)wrap32(acc);
  float v = x * r->scale[c];
  const float lo = (float)(r->min - r->zero_point), hi = (float)(r->max - r->zero_point);
  v = v < lo ? lo : v > hi ? hi : v;
  return (uint8_t)(r->zero_point + (int32_t)round_half_even(v));
}

void ref_conv(const struct edge_conv_desc *d, const uint8_t *weights, const uint8_t *in, uint8_t *out) {
  for (size_t oy = 0; oy < d->output_h; oy++) {
    for (size_t ox = 0; ox < d->output_w; ox++) {
      for (size_t oc = 0; oc < d->output_c; oc++) {
        int64_t acc = d->bias[oc];
        for (size_t ky = 0; ky < d->kernel_h; ky++) {
          for (size_t kx = 0; kx < d->kernel_w; kx++) {
            int64_t iy = (int64_t)(oy * d->stride_h + ky) - (int64_t)d->pad_top;
            int64_t ix = (int64_t)(ox * d->stride_w + kx) - (int64_t)d->pad_left;
            if (iy < 0 || ix < 0 || iy >= (int64_t)d->input_h || ix >= (int64_t)d->input_w) continue;
            for (size_t ic = 0; ic < d->input_c; ic++) {
              int32_t x = in[((size_t)iy * d->input_w + (size_t)ix) * d->input_c + ic];
              int32_t w = weights[((oc * d->kernel_h + ky) * d->kernel_w + kx) * d->input_c + ic];
              acc += (int64_t)(x - d->input_zero_point) * (w - d->weight_zero_point[oc]);
            }
          }
        }
        out[(oy * d->output_w + ox) * d->output_c + oc] = output_fp32(acc, &d->requant, oc);
      }
    }
  }
}

void ref_dwconv(const struct edge_conv_desc *d, const uint8_t *weights, const uint8_t *in, uint8_t *out) {
  const size_t m = d->depth_multiplier;
  for (size_t oy = 0; oy < d->output_h; oy++) {
    for (size_t ox = 0; ox < d->output_w; ox++) {
      for (size_t oc = 0; oc < d->output_c; oc++) {
        int64_t acc = d->bias[oc];
        for (size_t ky = 0; ky < d->kernel_h; ky++) {
          for (size_t kx = 0; kx < d->kernel_w; kx++) {
            int64_t iy = (int64_t)(oy * d->stride_h + ky) - (int64_t)d->pad_top;
            int64_t ix = (int64_t)(ox * d->stride_w + kx) - (int64_t)d->pad_left;
            if (iy < 0 || ix < 0 || iy >= (int64_t)d->input_h || ix >= (int64_t)d->input_w) continue;
            int32_t x = in[((size_t)iy * d->input_w + (size_t)ix) * d->input_c + oc / m];
            int32_t w = weights[(ky * d->kernel_w + kx) * d->output_c + oc];
            acc += (int64_t)(x - d->input_zero_point) * (w - d->weight_zero_point[oc]);
          }
        }
        out[(oy * d->output_w + ox) * d->output_c + oc] = output_fp32(acc, &d->requant, oc);
      }
    }
  }
}

void ref_gemm(const struct edge_gemm_desc *d, const uint8_t *weights, const uint8_t *in, uint8_t *out) {
  for (size_t r = 0; r < d->rows; r++) {
    for (size_t c = 0; c < d->n; c++) {
      int64_t acc = d->bias[c];
      for (size_t i = 0; i < d->k; i++) {
        acc += (int64_t)(in[r * d->k + i] - d->input_zero_point) * (weights[c * d->k + i] - d->weight_zero_point[c]);
      }
      out[r * d->n + c] = output_fp32(acc, &d->requant, c);
    }
  }
}

void ref_avgpool(const struct edge_pool_desc *d, const uint8_t *in, uint8_t *out) {
  for (size_t oy = 0; oy < d->output_h; oy++) {
    for (size_t ox = 0; ox < d->output_w; ox++) {
      for (size_t c = 0; c < d->channels; c++) {
        int64_t s = 0, count = 0;
        for (size_t ky = 0; ky < d->filter_h; ky++) {
          for (size_t kx = 0; kx < d->filter_w; kx++) {
            int64_t iy = (int64_t)(oy * d->stride_h + ky) - (int64_t)d->pad_top;
            int64_t ix = (int64_t)(ox * d->stride_w + kx) - (int64_t)d->pad_left;
            if (iy < 0 || ix < 0 || iy >= (int64_t)d->input_h || ix >= (int64_t)d->input_w) continue;
            s += in[((size_t)iy * d->input_w + (size_t)ix) * d->channels + c] - d->zero_point;
            count++;
          }
        }
        int64_t q = 0;
        if (count > 0) {
          int64_t half = count / 2;
          q = s >= 0 ? (s + half) / count : -((-s + half) / count);
        }
        out[(oy * d->output_w + ox) * d->channels + c] = clamp(d->zero_point + q, d->min, d->max);
      }
    }
  }
}

void ref_mean(const struct edge_mean_desc *d, const uint8_t *in, uint8_t *out) {
  const size_t pixels = d->input_h * d->input_w;
  for (size_t c = 0; c < d->channels; c++) {
    int64_t s = 0;
    for (size_t i = 0; i < pixels; i++) s += in[i * d->channels + c] - d->input_zero_point;
    out[c] = output(s, &d->requant, 0);
  }
}

void ref_add(const struct edge_add_desc *d, const uint8_t *a, const uint8_t *b, uint8_t *out) {
  for (size_t i = 0; i < d->size; i++) {
    const int64_t acc = (int64_t)d->multiplier_a * (a[i] - d->zero_point_a) +
                        (int64_t)d->multiplier_b * (b[i] - d->zero_point_b);
    const int64_t y = floor_div_pow2(acc + (INT64_C(1) << (d->shift - 1)), d->shift);
    out[i] = clamp(d->zero_point + y, d->min, d->max);
  }
}

void ref_lookup(const struct edge_lookup_desc *d, const uint8_t *in, uint8_t *out) {
  for (size_t i = 0; i < d->size; i++) out[i] = d->table[in[i]];
}

/* Output index by output index, each operand's element found from its strides. */
void ref_mul(const struct edge_mul_desc *d, const uint8_t *a, const uint8_t *b, uint8_t *out) {
  size_t count = 1;
  for (size_t k = 0; k < d->rank; k++) count *= d->shape[k];
  for (size_t i = 0; i < count; i++) {
    size_t rest = i, at_a = 0, at_b = 0;
    for (size_t k = d->rank; k-- > 0;) {
      const size_t index = rest % d->shape[k];
      rest /= d->shape[k];
      at_a += index * d->stride_a[k];
      at_b += index * d->stride_b[k];
    }
    const int32_t acc = (a[at_a] - d->zero_point_a) * (b[at_b] - d->zero_point_b);
    float v = (float)acc * d->scale;
    const float lo = (float)(d->min - d->zero_point), hi = (float)(d->max - d->zero_point);
    v = v < lo ? lo : v > hi ? hi : v;
    out[i] = (uint8_t)(d->zero_point + (int32_t)round_half_even(v));
  }
}

static uint8_t clamp_real(double v, int32_t min, int32_t max) {
  if (!(v >= min)) return (uint8_t)min;
  if (v > max) return (uint8_t)max;
  return (uint8_t)v;
}

void ref_softmax(const struct edge_softmax_desc *d, const uint8_t *in, uint8_t *out) {
  for (size_t r = 0; r < d->rows; r++) {
    const uint8_t *x = in + r * d->channels;
    int max = 0;
    for (size_t c = 0; c < d->channels; c++) max = x[c] > max ? x[c] : max;
    double sum = 0;
    for (size_t c = 0; c < d->channels; c++) sum += d->exp_table[max - x[c]];
    for (size_t c = 0; c < d->channels; c++) {
      double q = d->exp_table[max - x[c]] / sum;
      q = q * d->inverse_output_scale;
      q = floor(q + 0.5);
      out[r * d->channels + c] = clamp_real(d->zero_point + q, d->min, d->max);
    }
  }
}

void ref_requantize(const struct edge_requantize_desc *d, const uint8_t *in, uint8_t *out) {
  for (size_t i = 0; i < d->size; i++) out[i] = output(in[i] - d->input_zero_point, &d->requant, 0);
}

void ref_pad(const struct edge_pad_desc *d, const uint8_t *in, uint8_t *out) {
  const size_t oh = d->input_h + d->pad_top + d->pad_bottom, ow = d->input_w + d->pad_left + d->pad_right;
  const size_t oc = d->input_c + d->pad_channels_before + d->pad_channels_after;
  for (size_t y = 0; y < oh; y++) {
    for (size_t x = 0; x < ow; x++) {
      for (size_t c = 0; c < oc; c++) {
        int64_t iy = (int64_t)y - (int64_t)d->pad_top, ix = (int64_t)x - (int64_t)d->pad_left;
        int64_t ic = (int64_t)c - (int64_t)d->pad_channels_before;
        bool inside = iy >= 0 && ix >= 0 && ic >= 0 && iy < (int64_t)d->input_h && ix < (int64_t)d->input_w &&
                      ic < (int64_t)d->input_c;
        out[(y * ow + x) * oc + c] =
            inside ? in[((size_t)iy * d->input_w + (size_t)ix) * d->input_c + (size_t)ic] : (uint8_t)d->value;
      }
    }
  }
}

/* C99 round() is exactly "half away from zero"; floor(v + 0.5) would misround 0.49999999999999994. */
static double round_half_away(double v) { return round(v); }

void ref_quantize(const struct edge_quantize_desc *d, const float *in, uint8_t *out) {
  for (size_t i = 0; i < d->size; i++) {
    double q = (double)in[i] / d->scale;
    if (isnan(q)) q = 0; /* ARITHMETIC.md leaves NaN open; the TypeScript reference quantizes it as 0 */
    out[i] = clamp_real(d->zero_point + round_half_away(q), d->min, d->max);
  }
}

void ref_dequantize(const struct edge_quantize_desc *d, const uint8_t *in, float *out) {
  for (size_t i = 0; i < d->size; i++) out[i] = (float)(d->scale * (double)(in[i] - d->zero_point));
}
