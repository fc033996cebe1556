/*
 * The one list of kernels. It expands into the declarations (below), the descriptors
 * and the paths (kernel-table.c); kernel-test and kernel-bench walk the same lists, so
 * a kernel added here is dispatched, tested and benchmarked.
 *
 * Entries for other architectures are not compiled at all: their files are not in this
 * build (sources.json), so the lists are split by target.
 */
#pragma once

#include "ukernels.h"

/* GEMM: X(fn, isa, mr, nr, kr, kc_align, min_k, weights, a_i16, full_tiles, n_loop, rowsum, begin, end) */
/* First-layer convolution (3x3 stride 2 over 3 channels): X(fn, isa, pixels) */
/* Depthwise 3x3 stride 1 over row pairs, and stride 2 over rows: X(fn, isa, weights) */
/* Depthwise: X(fn, isa, ct, taps, weights) */
/* Add, mean: X(fn, isa) */
/* Paths: X(name, isa, gemm, gemm_small, gemm_tail, conv, dw3s1, dw3s2, dw9, dwany, add, mean).
   gemm_small runs the GEMMs whose k is below gemm's min_k; gemm_tail reads either one's
   packing and takes the rows a partial tile leaves (the same kernel when there is none);
   conv is the first-layer convolution and dw3s1, dw3s2 the whole-row 3x3 depthwise, or
   none (im2col and the GEMM; dw9). */

#define EDGE_GEMM_COMMON(X) \
  X(qu8_gemm_2x4__scalar, EDGE_ISA_SCALAR, 2, 4, 1, 1, 0, EDGE_W_I16, false, false, false, NULL, NULL, NULL)
#define EDGE_CONV_COMMON(X)
#define EDGE_DW3S1_COMMON(X)
#define EDGE_DW3S2_COMMON(X)
#define EDGE_DW_COMMON(X)                                        \
  X(qu8_dwconv_9p1c__scalar, EDGE_ISA_SCALAR, 1, 9, EDGE_DW_I16) \
  X(qu8_dwconv_up1c__scalar, EDGE_ISA_SCALAR, 1, 0, EDGE_DW_I16)
#define EDGE_ADD_COMMON(X) X(qu8_add__scalar, EDGE_ISA_SCALAR)
#define EDGE_MEAN_COMMON(X) X(qu8_mean__scalar, EDGE_ISA_SCALAR)
/* Lookup, multiply: X(fn, isa), most portable first (ukernels.h) */
#define EDGE_LUT_COMMON(X) X(x8_lut__scalar, EDGE_ISA_SCALAR)
#define EDGE_MUL_COMMON(X) X(qu8_vmul__scalar, EDGE_ISA_SCALAR)
#define EDGE_PATHS_COMMON(X)                                                                                  \
  X("scalar", EDGE_ISA_SCALAR, qu8_gemm_2x4__scalar, qu8_gemm_2x4__scalar, qu8_gemm_2x4__scalar, none, none,  \
    none, qu8_dwconv_9p1c__scalar, qu8_dwconv_up1c__scalar, qu8_add__scalar, qu8_mean__scalar)

#if EDGE_ARCH_X86_64
#define EDGE_GEMM_ARCH(X)                                                                                                 \
  X(qu8_gemm_4x16c2__avx2, EDGE_ISA_AVX2, 4, 16, 2, 2, 0, EDGE_W_I16, true, false, false, NULL, NULL, NULL)               \
  X(qu8_gemm_14x32c4__avx512vnni, EDGE_ISA_AVX512VNNI, 14, 32, 4, 4, 0, EDGE_W_S8, false, false, false,                   \
    qu8_rowsum__avx512, NULL, NULL)                                                                                       \
  X(qu8_gemm_1x32c4__avx512vnni, EDGE_ISA_AVX512VNNI, 1, 32, 4, 4, 0, EDGE_W_S8, false, false, false, qu8_rowsum__avx512, \
    NULL, NULL)                                                                                                           \
  X(qu8_gemm_32x32c4__amx, EDGE_ISA_AMX, 32, 32, 4, 64, 24, EDGE_W_S8, false, true, false, qu8_rowsum__avx512,            \
    qu8_gemm_amx_begin, qu8_gemm_amx_end)
#define EDGE_CONV_ARCH(X) X(qu8_conv_3x3s2c3_2x32__avx512vnni, EDGE_ISA_AVX512VNNI, 2)
#define EDGE_DW3S1_ARCH(X) X(qu8_dwconv_3x3s1_2x64__avx512vnni, EDGE_ISA_AVX512VNNI, EDGE_DW3_TRANSPOSED)
#define EDGE_DW3S2_ARCH(X) X(qu8_dwconv_3x3s2_1x64__avx512vnni, EDGE_ISA_AVX512VNNI, EDGE_DW3_TRANSPOSED)
#define EDGE_DW_ARCH(X)                                                    \
  X(qu8_dwconv_9p16c__avx2, EDGE_ISA_AVX2, 16, 9, EDGE_DW_I32)             \
  X(qu8_dwconv_up16c__avx2, EDGE_ISA_AVX2, 16, 0, EDGE_DW_I32)             \
  X(qu8_dwconv_9p32c__avx512vnni, EDGE_ISA_AVX512VNNI, 32, 9, EDGE_DW_I32) \
  X(qu8_dwconv_up32c__avx512vnni, EDGE_ISA_AVX512VNNI, 32, 0, EDGE_DW_I32)
#define EDGE_ADD_ARCH(X) X(qu8_add__avx2, EDGE_ISA_AVX2)
#define EDGE_MEAN_ARCH(X) X(qu8_mean__avx2, EDGE_ISA_AVX2)
#define EDGE_LUT_ARCH(X) X(x8_lut__avx2, EDGE_ISA_AVX2)
#define EDGE_MUL_ARCH(X) X(qu8_vmul__avx2, EDGE_ISA_AVX2)
#define EDGE_PATHS_ARCH(X)                                                                                    \
  X("avx2", EDGE_ISA_AVX2, qu8_gemm_4x16c2__avx2, qu8_gemm_4x16c2__avx2, qu8_gemm_4x16c2__avx2, none, none, none, \
    qu8_dwconv_9p16c__avx2, qu8_dwconv_up16c__avx2, qu8_add__avx2, qu8_mean__avx2)                            \
  X("avx512vnni", EDGE_ISA_AVX512VNNI, qu8_gemm_14x32c4__avx512vnni, qu8_gemm_14x32c4__avx512vnni,          \
    qu8_gemm_1x32c4__avx512vnni, qu8_conv_3x3s2c3_2x32__avx512vnni, qu8_dwconv_3x3s1_2x64__avx512vnni,       \
    qu8_dwconv_3x3s2_1x64__avx512vnni, qu8_dwconv_9p32c__avx512vnni, qu8_dwconv_up32c__avx512vnni,           \
    qu8_add__avx2, qu8_mean__avx2)                                                                            \
  X("amx", EDGE_ISA_AMX, qu8_gemm_32x32c4__amx, qu8_gemm_14x32c4__avx512vnni, qu8_gemm_1x32c4__avx512vnni,   \
    qu8_conv_3x3s2c3_2x32__avx512vnni, qu8_dwconv_3x3s1_2x64__avx512vnni, qu8_dwconv_3x3s2_1x64__avx512vnni,       \
    qu8_dwconv_9p32c__avx512vnni, qu8_dwconv_up32c__avx512vnni, qu8_add__avx2, qu8_mean__avx2)

#elif EDGE_ARCH_AARCH64 || EDGE_ARCH_ARM
/* The shared NEON files (depthwise, add, mean, row sums) use only intrinsics that exist on both armv7 and aarch64. */
#define EDGE_CONV_ARCH(X)
#define EDGE_NEON_DW(X)                                      \
  X(qu8_dwconv_9p8c__neon, EDGE_ISA_NEON, 8, 9, EDGE_DW_I16) \
  X(qu8_dwconv_up8c__neon, EDGE_ISA_NEON, 8, 0, EDGE_DW_I16)
#define EDGE_ADD_ARCH(X) X(qu8_add__neon, EDGE_ISA_NEON)
#define EDGE_MEAN_ARCH(X) X(qu8_mean__neon, EDGE_ISA_NEON)
#define EDGE_MUL_ARCH(X) X(qu8_vmul__neon, EDGE_ISA_NEON)

#if EDGE_ARCH_AARCH64
#define EDGE_LUT_ARCH(X) X(x8_lut__aarch64_neon, EDGE_ISA_NEON)
#define EDGE_DW3S1_ARCH(X)                                               \
  X(qu8_dwconv_3x3s1_2x8__aarch64_neon, EDGE_ISA_NEON, EDGE_DW3_I16) \
  X(qu8_dwconv_3x3s1_2x8__aarch64_neon_a53, EDGE_ISA_NEON, EDGE_DW3_I16)
#define EDGE_DW3S2_ARCH(X)                                               \
  X(qu8_dwconv_3x3s2_1x8__aarch64_neon, EDGE_ISA_NEON, EDGE_DW3_I16) \
  X(qu8_dwconv_3x3s2_1x8__aarch64_neon_a53, EDGE_ISA_NEON, EDGE_DW3_I16)
#define EDGE_GEMM_ARCH(X)                                                                                              \
  X(qu8_gemm_4x16__aarch64_neon_mlal, EDGE_ISA_NEON, 4, 16, 1, 1, 0, EDGE_W_I16, false, false, true, NULL, NULL, NULL) \
  X(qu8_gemm_2x8c8__aarch64_neon_umull, EDGE_ISA_NEON, 2, 8, 8, 8, 0, EDGE_W_U8, false, false, true, qu8_rowsum__neon, \
    NULL, NULL)                                                                                                        \
  X(qu8_gemm_4x16c4__neondot, EDGE_ISA_NEONDOT, 4, 16, 4, 4, 0, EDGE_W_U8, false, false, true, qu8_rowsum__neondot,    \
    NULL, NULL)
#define EDGE_DW_ARCH(X) EDGE_NEON_DW(X)
/* neon-mlal, the int16 GEMM, is chosen on the Cortex-A53 (edge_path_for_part), where it
   models faster than neon's 8-bit GEMM; elsewhere it is there to be forced with
   EDGE_AGENT_KERNEL_PATH and timed beside neon on the board itself. */
#define EDGE_PATHS_ARCH(X)                                                                                     \
  X("neon-mlal", EDGE_ISA_NEON, qu8_gemm_4x16__aarch64_neon_mlal, qu8_gemm_4x16__aarch64_neon_mlal,           \
    qu8_gemm_4x16__aarch64_neon_mlal, none, qu8_dwconv_3x3s1_2x8__aarch64_neon_a53,                            \
    qu8_dwconv_3x3s2_1x8__aarch64_neon_a53,                                                                    \
    qu8_dwconv_9p8c__neon, qu8_dwconv_up8c__neon, qu8_add__neon, qu8_mean__neon)                               \
  X("neon", EDGE_ISA_NEON, qu8_gemm_2x8c8__aarch64_neon_umull, qu8_gemm_2x8c8__aarch64_neon_umull,            \
    qu8_gemm_2x8c8__aarch64_neon_umull, none, qu8_dwconv_3x3s1_2x8__aarch64_neon,                              \
    qu8_dwconv_3x3s2_1x8__aarch64_neon,                                                                        \
    qu8_dwconv_9p8c__neon, qu8_dwconv_up8c__neon, qu8_add__neon, qu8_mean__neon)                               \
  X("neondot", EDGE_ISA_NEONDOT, qu8_gemm_4x16c4__neondot, qu8_gemm_4x16c4__neondot, qu8_gemm_4x16c4__neondot, \
    none, qu8_dwconv_3x3s1_2x8__aarch64_neon, qu8_dwconv_3x3s2_1x8__aarch64_neon, qu8_dwconv_9p8c__neon,       \
    qu8_dwconv_up8c__neon, qu8_add__neon, qu8_mean__neon)
#else
#define EDGE_LUT_ARCH(X) X(x8_lut__neon, EDGE_ISA_NEON)
#define EDGE_DW3S1_ARCH(X)
#define EDGE_DW3S2_ARCH(X)
/* armv7's 16 vector registers fit a 4x8 int16 tile, or a 2x4 8-bit one. */
#define EDGE_GEMM_ARCH(X)                                                                                             \
  X(qu8_gemm_4x8__neon_mlal, EDGE_ISA_NEON, 4, 8, 1, 1, 0, EDGE_W_I16, false, false, false, NULL, NULL, NULL)         \
  X(qu8_gemm_2x4c8__neon_umull, EDGE_ISA_NEON, 2, 4, 8, 8, 0, EDGE_W_U8, false, false, false, qu8_rowsum__neon, NULL, \
    NULL)
#define EDGE_DW_ARCH(X) EDGE_NEON_DW(X)
/* armv7-neon-mlal, like neon-mlal on aarch64, is there to be forced and timed on a board. */
#define EDGE_PATHS_ARCH(X)                                                                                     \
  X("armv7-neon-mlal", EDGE_ISA_NEON, qu8_gemm_4x8__neon_mlal, qu8_gemm_4x8__neon_mlal, qu8_gemm_4x8__neon_mlal, \
    none, none, none, qu8_dwconv_9p8c__neon, qu8_dwconv_up8c__neon, qu8_add__neon, qu8_mean__neon)           \
  X("armv7-neon", EDGE_ISA_NEON, qu8_gemm_2x4c8__neon_umull, qu8_gemm_2x4c8__neon_umull,                       \
    qu8_gemm_2x4c8__neon_umull, none, none, none, qu8_dwconv_9p8c__neon, qu8_dwconv_up8c__neon, qu8_add__neon, \
    qu8_mean__neon)
#endif

#else
#define EDGE_GEMM_ARCH(X)
#define EDGE_CONV_ARCH(X)
#define EDGE_DW3S1_ARCH(X)
#define EDGE_DW3S2_ARCH(X)
#define EDGE_DW_ARCH(X)
#define EDGE_ADD_ARCH(X)
#define EDGE_MEAN_ARCH(X)
#define EDGE_LUT_ARCH(X)
#define EDGE_MUL_ARCH(X)
#define EDGE_PATHS_ARCH(X)
#endif

#define EDGE_GEMM_UKERNELS(X) EDGE_GEMM_COMMON(X) EDGE_GEMM_ARCH(X)
#define EDGE_CONV_UKERNELS(X) EDGE_CONV_COMMON(X) EDGE_CONV_ARCH(X)
#define EDGE_DW3S1_UKERNELS(X) EDGE_DW3S1_COMMON(X) EDGE_DW3S1_ARCH(X)
#define EDGE_DW3S2_UKERNELS(X) EDGE_DW3S2_COMMON(X) EDGE_DW3S2_ARCH(X)
#define EDGE_DW_UKERNELS(X) EDGE_DW_COMMON(X) EDGE_DW_ARCH(X)
#define EDGE_ADD_UKERNELS(X) EDGE_ADD_COMMON(X) EDGE_ADD_ARCH(X)
#define EDGE_MEAN_UKERNELS(X) EDGE_MEAN_COMMON(X) EDGE_MEAN_ARCH(X)
#define EDGE_LUT_UKERNELS(X) EDGE_LUT_COMMON(X) EDGE_LUT_ARCH(X)
#define EDGE_MUL_UKERNELS(X) EDGE_MUL_COMMON(X) EDGE_MUL_ARCH(X)
#define EDGE_PATHS(X) EDGE_PATHS_COMMON(X) EDGE_PATHS_ARCH(X)

#define EDGE_DECLARE_GEMM(fn, ...)                                                                                   \
  void fn(size_t mr, size_t nc, size_t kc, const void *a, size_t a_stride, const int32_t *rowsum, const void *w, \
          uint8_t *c, size_t c_stride, const struct edge_output_params *o);
#define EDGE_DECLARE_CONV(fn, ...)                                                                    \
  void fn(size_t width, const uint8_t *const *rows, const void *w, size_t channels, uint8_t *output, \
          const struct edge_output_params *o);
#define EDGE_DECLARE_DW3S1(fn, ...)                                                                   \
  void fn(size_t bytes, size_t channels, const uint8_t *const *rows, const void *w, size_t patterns, \
          uint8_t *top, uint8_t *bottom, const struct edge_output_params *o);
#define EDGE_DECLARE_DW3S2(fn, ...)                                                                      \
  void fn(size_t width, size_t channels, const uint8_t *const *rows, const void *w, uint8_t *output, \
          const struct edge_output_params *o);
#define EDGE_DECLARE_DW(fn, ...)                                                                     \
  void fn(size_t channels, size_t width, const uint8_t *const *input, size_t step, size_t taps, const void *w, \
          uint8_t *output, const struct edge_output_params *o);
#define EDGE_DECLARE_ADD(fn, ...) \
  void fn(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out, const struct edge_add_params *p);
#define EDGE_DECLARE_MEAN(fn, ...)                                                             \
  void fn(size_t pixels, size_t channels, size_t stride, const uint8_t *input, uint8_t *output, \
          const struct edge_mean_params *p);

EDGE_GEMM_UKERNELS(EDGE_DECLARE_GEMM)
#if EDGE_ARCH_X86_64
void qu8_rowsum__avx512(size_t rows, size_t k, const uint8_t *a, size_t a_stride, int32_t *out);
void qu8_gemm_amx_begin(void);
void qu8_gemm_amx_end(void);
#elif EDGE_ARCH_AARCH64
void qu8_rowsum__neondot(size_t rows, size_t k, const uint8_t *a, size_t a_stride, int32_t *out);
#endif
#if EDGE_ARCH_AARCH64 || EDGE_ARCH_ARM
void qu8_rowsum__neon(size_t rows, size_t k, const uint8_t *a, size_t a_stride, int32_t *out);
#endif
EDGE_CONV_UKERNELS(EDGE_DECLARE_CONV)
EDGE_DW3S1_UKERNELS(EDGE_DECLARE_DW3S1)
EDGE_DW3S2_UKERNELS(EDGE_DECLARE_DW3S2)
EDGE_DW_UKERNELS(EDGE_DECLARE_DW)
EDGE_ADD_UKERNELS(EDGE_DECLARE_ADD)
EDGE_MEAN_UKERNELS(EDGE_DECLARE_MEAN)
#define EDGE_DECLARE_LUT(fn, ...) void fn(size_t n, const uint8_t *in, const uint8_t *table, uint8_t *out);
#define EDGE_DECLARE_MUL(fn, ...) \
  void fn(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out, const struct edge_mul_params *p);
EDGE_LUT_UKERNELS(EDGE_DECLARE_LUT)
EDGE_MUL_UKERNELS(EDGE_DECLARE_MUL)

/* A path: the kernels one forced EDGE_AGENT_KERNEL_PATH value runs. */
struct edge_path {
  const char *name;
  enum edge_isa isa;
  const struct edge_gemm_ukernel *gemm;
  const struct edge_gemm_ukernel *gemm_small;
  const struct edge_gemm_ukernel *gemm_tail;
  const struct edge_conv_ukernel *conv;    /* NULL: im2col and the GEMM */
  const struct edge_dw3x3s1_ukernel *dw3s1; /* NULL: dw9 */
  const struct edge_dw3x3s2_ukernel *dw3s2; /* NULL: dw9 */
  const struct edge_dw_ukernel *dw9;
  const struct edge_dw_ukernel *dwany;
  const struct edge_add_ukernel *add;
  const struct edge_mean_ukernel *mean;
};

extern const struct edge_path edge_paths[];
extern const size_t edge_path_count;

extern const struct edge_gemm_ukernel edge_gemm_ukernels[];
extern const size_t edge_gemm_ukernel_count;
extern const struct edge_conv_ukernel edge_conv_ukernels[];
extern const size_t edge_conv_ukernel_count;
extern const struct edge_dw3x3s1_ukernel edge_dw3s1_ukernels[];
extern const size_t edge_dw3s1_ukernel_count;
extern const struct edge_dw3x3s2_ukernel edge_dw3s2_ukernels[];
extern const size_t edge_dw3s2_ukernel_count;
extern const struct edge_dw_ukernel edge_dw_ukernels[];
extern const size_t edge_dw_ukernel_count;

/* The lookup and multiply kernels a path runs: the last of each list its instruction set covers. */
const struct edge_lut_ukernel *edge_path_lut(const struct edge_path *path);
const struct edge_mul_ukernel *edge_path_mul(const struct edge_path *path);

/* ARM's "CPU part" numbers in /proc/cpuinfo. */
#define EDGE_CPU_PART_CORTEX_A53 0xd03u
#define EDGE_CPU_PART_CORTEX_A72 0xd08u
#define EDGE_CPU_PART_CORTEX_A76 0xd0bu

/* The "CPU part" of the first core listed in a /proc/cpuinfo text, 0 when it has none. */
unsigned edge_cpu_part_parse(const char *cpuinfo);
/* The path to run on a core of that part, given the fastest one its instruction sets allow. */
const char *edge_path_for_part(const char *best, unsigned part);

/* The best path this CPU runs (for its core where one is known to run another path
   faster), or the one named by EDGE_AGENT_KERNEL_PATH / `forced`. */
const struct edge_path *edge_path_find(const char *name);
enum edge_status edge_path_select(const char *forced, const struct edge_path **out, const char **why);
