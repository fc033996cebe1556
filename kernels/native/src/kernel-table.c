/* Descriptors, paths and the CPU checks that choose among them. */
#include "kernel-table.h"

#include <stdlib.h>
#include <string.h>

#if EDGE_ARCH_AARCH64 || EDGE_ARCH_ARM
#include <sys/auxv.h>
#endif

#define EDGE_INDEX(fn, ...) idx_##fn,
enum { EDGE_GEMM_UKERNELS(EDGE_INDEX) gemm_count };
enum { EDGE_DW_UKERNELS(EDGE_INDEX) dw_count };
enum { EDGE_ADD_UKERNELS(EDGE_INDEX) add_count };
enum { EDGE_MEAN_UKERNELS(EDGE_INDEX) mean_count };

#define EDGE_GEMM_DESCRIPTOR(fn, isa, mr, nr, kr, weights, a_i16, rowsum) \
  {#fn, isa, fn, mr, nr, kr, weights, a_i16, rowsum},
#define EDGE_DW_DESCRIPTOR(fn, isa, ct, taps, weights) {#fn, isa, fn, ct, taps, weights},
#define EDGE_SIMPLE_DESCRIPTOR(fn, isa) {#fn, isa, fn},

const struct edge_gemm_ukernel edge_gemm_ukernels[] = {EDGE_GEMM_UKERNELS(EDGE_GEMM_DESCRIPTOR)};
const size_t edge_gemm_ukernel_count = gemm_count;
const struct edge_dw_ukernel edge_dw_ukernels[] = {EDGE_DW_UKERNELS(EDGE_DW_DESCRIPTOR)};
const size_t edge_dw_ukernel_count = dw_count;
static const struct edge_add_ukernel add_ukernels[] = {EDGE_ADD_UKERNELS(EDGE_SIMPLE_DESCRIPTOR)};
static const struct edge_mean_ukernel mean_ukernels[] = {EDGE_MEAN_UKERNELS(EDGE_SIMPLE_DESCRIPTOR)};

#define EDGE_PATH_ENTRY(name, isa, gemm, gemm_tail, dw9, dwany, add, mean)                             \
  {name,                                 isa,                                                         \
   &edge_gemm_ukernels[idx_##gemm],      &edge_gemm_ukernels[idx_##gemm_tail],                        \
   &edge_dw_ukernels[idx_##dw9],         &edge_dw_ukernels[idx_##dwany],                              \
   &add_ukernels[idx_##add],             &mean_ukernels[idx_##mean]},
const struct edge_path edge_paths[] = {EDGE_PATHS(EDGE_PATH_ENTRY)};
const size_t edge_path_count = sizeof(edge_paths) / sizeof(edge_paths[0]);

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

const struct edge_path *edge_path_find(const char *name) {
  for (size_t i = 0; i < edge_path_count; i++) {
    if (strcmp(edge_paths[i].name, name) == 0) return &edge_paths[i];
  }
  return NULL;
}

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
  *out = best;
  return EDGE_OK;
}
