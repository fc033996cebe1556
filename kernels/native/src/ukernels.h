/*
 * Micro-kernel signatures and descriptors. Operators (gemm.c, dwconv.c, ...) own the
 * loops over rows, tiles and threads; a micro-kernel only computes one tile from memory
 * prepared for it.
 */
#pragma once

#include "common.h"

enum edge_isa {
  EDGE_ISA_SCALAR,
  EDGE_ISA_NEON,
  EDGE_ISA_NEONDOT,
  EDGE_ISA_AVX2,
  EDGE_ISA_AVX512VNNI,
  EDGE_ISA_AMX, /* AMX-INT8 tiles, with AVX-512 VNNI for everything else */
};

bool edge_isa_available(enum edge_isa isa);

/*
 * GEMM: C[mr x nc] = requantize(bias' + A[mr x kc] * W[kc x nc] (+ rowsum * kzp)).
 *
 * Packed weights, per block of nr columns (see gemm.c, edge_gemm_pack):
 *   int32 bias'[nr]            bias - zx * sum_k (w - zw), the input zero point folded in
 *   int32 kzp[nr]              weight zero point correction, times the row sum of A
 *   float scale[nr]            the fp32 output stage's scale
 *   weights[kc / kr][nr][kr]   in the element format below, zero past k and n
 */
enum edge_gemm_weights {
  EDGE_W_I16, /* int16 w - zw: A * W is the whole sum, kzp = 0 */
  EDGE_W_U8,  /* uint8 w (UDOT): kzp = -zw */
  EDGE_W_S8,  /* int8 w - o, o = zw when every w - zw fits (kzp = 0), else kzp = o - zw (VPDPBUSD, AMX) */
};

/* rowsum is NULL when no column has kzp != 0. A rows hold kc elements (uint8, or int16 when a_i16). */
static inline size_t edge_gemm_block_bytes(size_t nr, size_t kc, enum edge_gemm_weights w) {
  return 3 * nr * sizeof(int32_t) + kc * nr * (w == EDGE_W_I16 ? 2 : 1);
}

typedef void (*edge_gemm_fn)(size_t mr, size_t nc, size_t kc, const void *a, size_t a_stride, const int32_t *rowsum,
                             const void *w, uint8_t *c, size_t c_stride, const struct edge_output_params *o);

/* Row sums of `rows` rows of k bytes for the kzp correction. */
typedef void (*edge_rowsum_fn)(size_t rows, size_t k, const uint8_t *a, size_t a_stride, int32_t *out);

/*
 * Per-thread state a kernel needs around a run of calls (AMX's tile configuration,
 * which costs hundreds of cycles to load): begin before the first call on a thread,
 * end after the last.
 */
typedef void (*edge_gemm_hook)(void);

struct edge_gemm_ukernel {
  const char *name;
  enum edge_isa isa;
  edge_gemm_fn fn;
  uint8_t mr, nr, kr;
  uint8_t kc_align; /* kc is k rounded up to this multiple of kr (AMX: a tile's 64 bytes) */
  uint8_t min_k;    /* smaller k runs on the path's gemm_small: padding to kc would waste more than it gains */
  enum edge_gemm_weights weights;
  bool a_i16;
  /* Reads mr rows of kc bytes whatever mr is (tiles): partial and overrunning tiles go through scratch. */
  bool full_tiles;
  /* Takes every column block of a call at once: nc up to the blocks' columns, w the first
     block and the others after it (edge_gemm_block_bytes apart), rowsum for all of them. */
  bool n_loop;
  edge_rowsum_fn rowsum; /* NULL: portable loop (or never needed, for EDGE_W_I16) */
  edge_gemm_hook begin, end; /* NULL for kernels without per-thread state */
};

/*
 * The 3x3 stride-2 convolution over 3 channels that starts every MobileNet, direct (no
 * im2col): `width` output pixels of one row from 3 input rows, each padded with zx on
 * both sides (conv-hwc.c), so that pixel p's window in row ky is the 9 bytes at
 * rows[ky] + 6 * p; kernels may read 12 bytes there.
 *
 * Packed weights, per block of 32 output channels (o is a per-channel offset that makes
 * every w - o fit int8; o - zw, the correction, is mostly 0):
 *   int32 bias'[32]; float scale[32]; int32 corrected (any o != zw), padded to 320 bytes
 *   int8 w[3 rows][3 groups of 4 window bytes][32][4]    w - o, 0 past the 9 bytes
 *   int8 kz[3 groups][32][4]                             o - zw, 0 past the 9 bytes
 */
enum {
  EDGE_CONV3X3S2C3_HEAD_BYTES = 320,
  EDGE_CONV3X3S2C3_BLOCK_BYTES = 320 + 4 * 384,
};

typedef void (*edge_conv3x3s2c3_fn)(size_t width, const uint8_t *const *rows, const void *w, size_t channels,
                                    uint8_t *output, const struct edge_output_params *o);

struct edge_conv_ukernel {
  const char *name;
  enum edge_isa isa;
  edge_conv3x3s2c3_fn fn;
  uint8_t pixels; /* pixels per step: rows are read up to 6 * round_up(width, pixels) + 6 bytes */
};

/*
 * Depthwise 3x3, multiplier 1, over whole rows (qu8-dwconv-3x3s*): rows points at input
 * rows copied with zx padding on both sides (dwconv-rows.c), so that every tap reads the
 * same way and within the copy.
 *
 * Stride 1, two output rows at a time over flattened rows: rows holds the 4 input rows of
 * the pair, byte j of an output row takes taps at rows[ky][j + kx * C]; bottom is NULL for
 * a last row without a pair. Byte j uses pattern (j / 64) mod patterns, patterns =
 * C / gcd(C, 64).
 * Stride 2, one output row: rows holds its 3 input rows and one more that is read with
 * zero weights; pixel x, channel c takes taps at rows[ky][(2 x + kx) * C + c]. Pattern q
 * covers channels 64 q .. 64 q + 63, except for 8, 16 or 32 channels (EDGE_DW3S2_PACKED):
 * then one pattern covers 64 / C pixels, byte b channel b mod C.
 *
 * Within a pattern, lanes follow the kernels' transpose order. Weights are w - o for a
 * per-channel o that makes them fit int8; o - zw, mostly 0, corrects the rest.
 */
#define EDGE_DW3S2_PACKED(channels) ((channels) == 8 || (channels) == 16 || (channels) == 32)

struct edge_dw3x3_pattern {
  _Alignas(64) int8_t up[3][4][64]; /* [kx][vector][lane * 4 + input row]: rows 0-2 of the (upper) output row */
  int8_t down[3][4][64];            /* rows 1-3 for the lower one (stride 1) */
  int8_t kz_up[4][64];              /* o - zw on rows 0-2 */
  int8_t kz_down[4][64];            /* and 1-3 */
  int32_t bias[4][16];
  float scale[4][16];
  uint32_t corrected; /* bit i: vector i has a channel whose o != zw */
};

/* How a whole-row kernel's weights are packed. */
enum edge_dw3_weights {
  EDGE_DW3_TRANSPOSED, /* edge_dw3x3_pattern, as above */
  EDGE_DW3_I16,        /* tiles of 8 channels as EDGE_DW_I16 (below), patterns = ceil(C / 8) */
};

typedef void (*edge_dw3x3s1_fn)(size_t bytes, size_t channels, const uint8_t *const *rows, const void *w,
                                size_t patterns, uint8_t *top, uint8_t *bottom, const struct edge_output_params *o);
typedef void (*edge_dw3x3s2_fn)(size_t width, size_t channels, const uint8_t *const *rows, const void *w,
                                uint8_t *output, const struct edge_output_params *o);

struct edge_dw3x3s1_ukernel {
  const char *name;
  enum edge_isa isa;
  edge_dw3x3s1_fn fn;
  enum edge_dw3_weights weights;
};

struct edge_dw3x3s2_ukernel {
  const char *name;
  enum edge_isa isa;
  edge_dw3x3s2_fn fn;
  enum edge_dw3_weights weights;
};

/*
 * Depthwise, multiplier 1: `width` output pixels of one row, each tap pointing at
 * `channels` bytes. With step 0, input holds width * taps pointers (the indirection
 * buffer); otherwise it holds the taps of the first pixel, and pixel p reads tap t at
 * input[t] + p * step.
 *
 * Packed weights, per tile of ct channels:
 *   int32 bias'[ct]; float scale[ct]; weights[taps][ct] as int16 (w - zw) or int32 (w - zw)
 */
enum edge_dw_weights {
  EDGE_DW_I16,
  EDGE_DW_I32,
};

static inline size_t edge_dw_block_bytes(size_t ct, size_t taps, enum edge_dw_weights w) {
  return edge_round_up(2 * ct * sizeof(int32_t) + taps * ct * (w == EDGE_DW_I16 ? 2 : 4), 4);
}

typedef void (*edge_dw_fn)(size_t channels, size_t width, const uint8_t *const *input, size_t step, size_t taps,
                           const void *w, uint8_t *output, const struct edge_output_params *o);

struct edge_dw_ukernel {
  const char *name;
  enum edge_isa isa;
  edge_dw_fn fn;
  uint8_t ct;
  uint8_t taps; /* 0: any number */
  enum edge_dw_weights weights;
};

struct edge_add_params {
  int32_t za, zb, ma, mb, shift;
  struct edge_output_params o;
};

typedef void (*edge_add_fn)(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out,
                            const struct edge_add_params *p);

/* Mean over `pixels` pixels of `channels` channels each; pixels lie `stride` bytes apart. */
struct edge_mean_params {
  int32_t zx;
  struct edge_mbqm_params rq;
  struct edge_output_params o;
};

typedef void (*edge_mean_fn)(size_t pixels, size_t channels, size_t stride, const uint8_t *input, uint8_t *output,
                             const struct edge_mean_params *p);

struct edge_add_ukernel {
  const char *name;
  enum edge_isa isa;
  edge_add_fn fn;
};

struct edge_mean_ukernel {
  const char *name;
  enum edge_isa isa;
  edge_mean_fn fn;
};

/* out[i] = table[in[i]] for n bytes: hard-swish, RELU and RELU6, tabulated at load. */
typedef void (*edge_lut_fn)(size_t n, const uint8_t *in, const uint8_t *table, uint8_t *out);

/* XNNPACK's multiply over n elements: zo + round(f32((a - za) * (b - zb)) * scale), clamped. */
struct edge_mul_params {
  int32_t za, zb;
  float scale;
  struct edge_output_params o;
};

typedef void (*edge_mul_fn)(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out,
                            const struct edge_mul_params *p);

/*
 * Lookup and multiply kernels are not named by the paths: an operator takes the last
 * kernel of its list that the path's instruction set covers (edge_isa_covers), so the
 * lists run from the most portable kernel to the fastest.
 */
struct edge_lut_ukernel {
  const char *name;
  enum edge_isa isa;
  edge_lut_fn fn;
};

struct edge_mul_ukernel {
  const char *name;
  enum edge_isa isa;
  edge_mul_fn fn;
};

/* Whether a path of instruction set `path` may run a kernel written for `kernel`. */
bool edge_isa_covers(enum edge_isa path, enum edge_isa kernel);
