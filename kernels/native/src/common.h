/*
 * Definitions every kernel file shares: target detection, status codes and the layout
 * of the per-channel requantization constants that packing writes and kernels read.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) || defined(_M_X64)
#define EDGE_ARCH_X86_64 1
#elif defined(__aarch64__)
#define EDGE_ARCH_AARCH64 1
#elif defined(__arm__)
#define EDGE_ARCH_ARM 1
#endif

/* Every entry point returns one of these; the binding turns them into JS errors. */
enum edge_status {
  EDGE_OK = 0,
  EDGE_ERR_NOMEM = 1,
  EDGE_ERR_INVALID = 2,
  EDGE_ERR_UNSUPPORTED = 3,
  EDGE_ERR_THREAD = 4,
};

const char *edge_status_message(enum edge_status s);

#define EDGE_MIN(a, b) ((a) < (b) ? (a) : (b))
#define EDGE_MAX(a, b) ((a) > (b) ? (a) : (b))

static inline size_t edge_round_up(size_t n, size_t q) { return (n + q - 1) / q * q; }
static inline size_t edge_div_up(size_t n, size_t q) { return (n + q - 1) / q; }

/* How MBQM's vector forms treat a shift (requantize.h). */
enum edge_rq_kind {
  EDGE_RQ_RIGHT = 0, /* shift < 0 */
  EDGE_RQ_ZERO = 1,  /* shift == 0 */
  EDGE_RQ_LEFT = 2,  /* shift > 0: the result may need saturation */
};

/*
 * A per-tensor fixed-point requantization (mean, requantize), unpacked once at load
 * into what each form of MBQM needs, so that no kernel derives anything per call.
 */
struct edge_mbqm_params {
  int32_t multiplier; /* Q31, >= 0 */
  int32_t shift;      /* -31..30 */
  int32_t total;      /* 31 - shift */
  int32_t unbias;     /* 2^(62 - total) modulo 2^32: what AVX2's 2^62 bias leaves after the shift */
  int64_t biased_round; /* 2^62 + 2^(total - 1): keeps the rounded product positive for a logical shift */
  enum edge_rq_kind kind;
};

void edge_mbqm_params_init(struct edge_mbqm_params *p, int32_t multiplier, int32_t shift);

/*
 * The part of the output stage shared by all channels. The fp32 stage (conv, depthwise,
 * GEMM) clamps in float to [min - zo, max - zo] before converting, which keeps the
 * conversion in range; rounding a clamped value equals clamping a rounded one because
 * the bounds are integers, so vector forms may clamp either side after narrowing.
 */
struct edge_output_params {
  int32_t zero_point;
  uint8_t min;
  uint8_t max;
  float min_less_zero_point;
  float max_less_zero_point;
  /* The fp32 stage of this operator may produce values the conversion cannot hold; when
     it provably cannot (edge_fp32_bounded), x86 kernels skip the float clamp. */
  bool clamp_in_float;
};

static inline struct edge_output_params edge_output_params_make(int32_t zero_point, int32_t min, int32_t max) {
  return (struct edge_output_params){zero_point, (uint8_t)min, (uint8_t)max, (float)(min - zero_point),
                                     (float)(max - zero_point), true};
}

/*
 * Whether every f32(f32(acc) * scale) stays below 2^31 in magnitude for accumulators of
 * `products` terms (x - zx)(w - zw), each at most 255 * 255, plus the bias: then the
 * conversion to int32 is exact and the integer clamp after it is all the output needs.
 */
bool edge_fp32_bounded(const int32_t *bias, const float *scale, size_t channels, size_t products);

void *edge_aligned_alloc(size_t bytes);
void edge_aligned_free(void *p);
