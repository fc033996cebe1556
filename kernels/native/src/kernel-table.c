/* Descriptors, paths and the CPU checks that choose among them. */
#include "kernel-table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if EDGE_ARCH_AARCH64 || EDGE_ARCH_ARM
#include <sys/auxv.h>
#endif
#if EDGE_ARCH_X86_64
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#define EDGE_INDEX(fn, ...) idx_##fn,
enum { EDGE_GEMM_UKERNELS(EDGE_INDEX) gemm_count };
/* idx_none: a path without a first-layer convolution kernel. */
enum { idx_none = -1, EDGE_CONV_UKERNELS(EDGE_INDEX) conv_count };
enum { EDGE_DW3S1_UKERNELS(EDGE_INDEX) dw3s1_count };
enum { EDGE_DW3S2_UKERNELS(EDGE_INDEX) dw3s2_count };
enum { EDGE_DW_UKERNELS(EDGE_INDEX) dw_count };
enum { EDGE_ADD_UKERNELS(EDGE_INDEX) add_count };
enum { EDGE_MEAN_UKERNELS(EDGE_INDEX) mean_count };

#define EDGE_GEMM_DESCRIPTOR(fn, isa, mr, nr, kr, kc_align, min_k, weights, a_i16, full_tiles, n_loop, rowsum, begin, \
                             end)                                                                                     \
  {#fn, isa, fn, mr, nr, kr, kc_align, min_k, weights, a_i16, full_tiles, n_loop, rowsum, begin, end},
#define EDGE_CONV_DESCRIPTOR(fn, isa, pixels) {#fn, isa, fn, pixels},
#define EDGE_DW_DESCRIPTOR(fn, isa, ct, taps, weights) {#fn, isa, fn, ct, taps, weights},
#define EDGE_SIMPLE_DESCRIPTOR(fn, isa) {#fn, isa, fn},

const struct edge_gemm_ukernel edge_gemm_ukernels[] = {EDGE_GEMM_UKERNELS(EDGE_GEMM_DESCRIPTOR)};
const size_t edge_gemm_ukernel_count = gemm_count;
/* A terminator keeps the array non-empty on targets without such kernels. */
const struct edge_conv_ukernel edge_conv_ukernels[] = {
    EDGE_CONV_UKERNELS(EDGE_CONV_DESCRIPTOR){NULL, EDGE_ISA_SCALAR, NULL, 0}};
const size_t edge_conv_ukernel_count = conv_count;
#define EDGE_DW3_DESCRIPTOR(fn, isa, weights) {#fn, isa, fn, weights},
const struct edge_dw3x3s1_ukernel edge_dw3s1_ukernels[] = {
    EDGE_DW3S1_UKERNELS(EDGE_DW3_DESCRIPTOR){NULL, EDGE_ISA_SCALAR, NULL, EDGE_DW3_TRANSPOSED}};
const size_t edge_dw3s1_ukernel_count = dw3s1_count;
const struct edge_dw3x3s2_ukernel edge_dw3s2_ukernels[] = {
    EDGE_DW3S2_UKERNELS(EDGE_DW3_DESCRIPTOR){NULL, EDGE_ISA_SCALAR, NULL, EDGE_DW3_TRANSPOSED}};
const size_t edge_dw3s2_ukernel_count = dw3s2_count;
const struct edge_dw_ukernel edge_dw_ukernels[] = {EDGE_DW_UKERNELS(EDGE_DW_DESCRIPTOR)};
const size_t edge_dw_ukernel_count = dw_count;
static const struct edge_add_ukernel add_ukernels[] = {EDGE_ADD_UKERNELS(EDGE_SIMPLE_DESCRIPTOR)};
static const struct edge_mean_ukernel mean_ukernels[] = {EDGE_MEAN_UKERNELS(EDGE_SIMPLE_DESCRIPTOR)};
static const struct edge_lut_ukernel lut_ukernels[] = {EDGE_LUT_UKERNELS(EDGE_SIMPLE_DESCRIPTOR)};
static const struct edge_mul_ukernel mul_ukernels[] = {EDGE_MUL_UKERNELS(EDGE_SIMPLE_DESCRIPTOR)};

#define EDGE_PATH_ENTRY(name, isa, gemm, gemm_small, gemm_tail, conv, dw3s1, dw3s2, dw9, dwany, add, mean) \
  {name,                                 isa,                                                         \
   &edge_gemm_ukernels[idx_##gemm],      &edge_gemm_ukernels[idx_##gemm_small],                       \
   &edge_gemm_ukernels[idx_##gemm_tail],                                                              \
   idx_##conv < 0 ? NULL : &edge_conv_ukernels[idx_##conv],                                           \
   idx_##dw3s1 < 0 ? NULL : &edge_dw3s1_ukernels[idx_##dw3s1],                                        \
   idx_##dw3s2 < 0 ? NULL : &edge_dw3s2_ukernels[idx_##dw3s2],                                        \
   &edge_dw_ukernels[idx_##dw9],         &edge_dw_ukernels[idx_##dwany],                              \
   &add_ukernels[idx_##add],             &mean_ukernels[idx_##mean]},
const struct edge_path edge_paths[] = {EDGE_PATHS(EDGE_PATH_ENTRY)};
const size_t edge_path_count = sizeof(edge_paths) / sizeof(edge_paths[0]);

#if EDGE_ARCH_X86_64
/*
 * AMX-INT8 needs the CPU (CPUID.7.0:EDX bits 24, 25), the OS saving tile state (XCR0
 * bits 17, 18) and Linux's per-process permission for the 8 KB of tile data, which
 * arch_prctl grants (and which then covers every thread). Asked once.
 */
__attribute__((target("xsave"))) static bool amx_usable(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(d & (1u << 24)) || !(d & (1u << 25))) return false;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return false; /* OSXSAVE: xgetbv exists */
  if ((_xgetbv(0) & (3u << 17)) != (3u << 17)) return false;
  enum { ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18 };
  return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
}
#endif

bool edge_isa_available(enum edge_isa isa) {
  switch (isa) {
    case EDGE_ISA_SCALAR:
      return true;
#if EDGE_ARCH_X86_64
    case EDGE_ISA_AVX2:
      /* libgcc's checks include the OS's XSAVE support for the wider registers. */
      return __builtin_cpu_supports("avx2");
    case EDGE_ISA_AVX512VNNI:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
    case EDGE_ISA_AMX:
      return edge_isa_available(EDGE_ISA_AVX512VNNI) && amx_usable();
#elif EDGE_ARCH_AARCH64
    case EDGE_ISA_NEON:
      return true;
    case EDGE_ISA_NEONDOT:
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
      return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#elif EDGE_ARCH_ARM
    case EDGE_ISA_NEON:
#ifndef HWCAP_NEON
#define HWCAP_NEON (1 << 12)
#endif
      return (getauxval(AT_HWCAP) & HWCAP_NEON) != 0;
#endif
    default:
      return false;
  }
}

bool edge_isa_covers(enum edge_isa path, enum edge_isa kernel) {
  if (kernel == path || kernel == EDGE_ISA_SCALAR) return true;
  if (kernel == EDGE_ISA_AVX2) return path == EDGE_ISA_AVX512VNNI || path == EDGE_ISA_AMX;
  if (kernel == EDGE_ISA_AVX512VNNI) return path == EDGE_ISA_AMX;
  return kernel == EDGE_ISA_NEON && path == EDGE_ISA_NEONDOT;
}

/* Lists run from the portable kernel to the fastest: the last one the path covers. */
const struct edge_lut_ukernel *edge_path_lut(const struct edge_path *path) {
  size_t best = 0;
  for (size_t i = 1; i < sizeof lut_ukernels / sizeof *lut_ukernels; i++) {
    if (edge_isa_covers(path->isa, lut_ukernels[i].isa)) best = i;
  }
  return &lut_ukernels[best];
}

const struct edge_mul_ukernel *edge_path_mul(const struct edge_path *path) {
  size_t best = 0;
  for (size_t i = 1; i < sizeof mul_ukernels / sizeof *mul_ukernels; i++) {
    if (edge_isa_covers(path->isa, mul_ukernels[i].isa)) best = i;
  }
  return &mul_ukernels[best];
}

const struct edge_path *edge_path_find(const char *name) {
  for (size_t i = 0; i < edge_path_count; i++) {
    if (strcmp(edge_paths[i].name, name) == 0) return &edge_paths[i];
  }
  return NULL;
}

unsigned edge_cpu_part_parse(const char *cpuinfo) {
  for (const char *line = cpuinfo; *line != '\0';) {
    const char *end = strchr(line, '\n');
    const size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
    const char *colon = memchr(line, ':', len);
    if (strncmp(line, "CPU part", 8) == 0 && colon != NULL) return (unsigned)strtoul(colon + 1, NULL, 16);
    if (end == NULL) break;
    line = end + 1;
  }
  return 0;
}

/*
 * On the Cortex-A53 (Pi 3, Zero 2) one NEON instruction issues per cycle, so UMULL +
 * UADALP (8 MACs per 2 instructions) gains nothing over SMLAL (4 MACs per instruction),
 * and the 4x16 int16 tile reuses each load over twice the MACs: neon-mlal models faster
 * there (npm run bench:arm), neon everywhere else without the dot product.
 */
const char *edge_path_for_part(const char *best, unsigned part) {
  if (part == EDGE_CPU_PART_CORTEX_A53 && strcmp(best, "neon") == 0) return "neon-mlal";
  return best;
}

#if EDGE_ARCH_AARCH64
/* The first core's part number from /proc/cpuinfo (the Pis' cores are all alike), 0 if unknown. */
static unsigned cpu_part(void) {
  static char text[8192];
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (f == NULL) return 0;
  const size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  return edge_cpu_part_parse(text);
}
#endif

enum edge_status edge_path_select(const char *forced, const struct edge_path **out, const char **why) {
  if (forced == NULL || forced[0] == '\0') forced = getenv("EDGE_AGENT_KERNEL_PATH");
  if (forced != NULL && forced[0] != '\0') {
    const struct edge_path *p = edge_path_find(forced);
    if (p == NULL) {
      *why = "EDGE_AGENT_KERNEL_PATH names a path this build does not have";
      return EDGE_ERR_UNSUPPORTED;
    }
    if (!edge_isa_available(p->isa)) {
      *why = "EDGE_AGENT_KERNEL_PATH names a path this CPU does not support";
      return EDGE_ERR_UNSUPPORTED;
    }
    *out = p;
    return EDGE_OK;
  }
  /* Paths are listed from the most portable to the fastest. */
  const struct edge_path *best = &edge_paths[0];
  for (size_t i = 1; i < edge_path_count; i++) {
    if (edge_isa_available(edge_paths[i].isa)) best = &edge_paths[i];
  }
#if EDGE_ARCH_AARCH64
  const struct edge_path *tuned = edge_path_find(edge_path_for_part(best->name, cpu_part()));
  if (tuned != NULL) best = tuned;
#endif
  *out = best;
  return EDGE_OK;
}
