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

/*
 * Requantization constants for a tile of T channels, stored as EDGE_RQ_FIELDS int32
 * arrays of T entries each, in this order. They are the unpacked form of
 * (multiplier, shift) so that no kernel derives anything per output.
 */
enum {
  EDGE_RQ_MULT = 0,    /* Q31 multiplier, >= 0 */
  EDGE_RQ_LSHIFT = 1,  /* max(shift, 0) */
  EDGE_RQ_RSHIFT = 2,  /* max(-shift, 0), 0..31 */
  EDGE_RQ_NRSHIFT = 3, /* -RSHIFT: NEON's rounding shift takes negative counts */
  EDGE_RQ_RMASK = 4,   /* 2^RSHIFT - 1 */
  EDGE_RQ_RHALF = 5,   /* RMASK >> 1 */
  EDGE_RQ_MULT_ODD = 6, /* MULT of lane 2i + 1 in lanes 2i and 2i + 1: 32x32->64 multiplies read even lanes */
  EDGE_RQ_FIELDS = 7,
};

/* Writes the constants of channels [c0, c0 + n) into a tile of `tile` channels; lanes past n stay 0. */
void edge_pack_requant(int32_t *dst, size_t tile, const int32_t *multiplier, const int32_t *shift, size_t c0,
                       size_t n);

/* The part of the output stage shared by all channels. */
struct edge_output_params {
  int32_t zero_point;
  uint8_t min;
  uint8_t max;
};

void *edge_aligned_alloc(size_t bytes);
void edge_aligned_free(void *p);
