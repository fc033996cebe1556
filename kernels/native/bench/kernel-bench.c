/*
 * Speed of the native kernels on the real MobileNet layer shapes, single-threaded by
 * default: GMAC/s per layer and kernel, and the whole convolution stack of MobileNet
 * v1 1.0 224 and v2 1.0 224 run end to end (median of 30), with the weight zero points
 * of a TF1 uint8 model (per tensor, row-sum correction) and of a TF2 int8 model (128).
 * On x86 with AVX-512 VNNI (and AMX) it first measures the core's int8 peak (VPDPBUSD,
 * TDPBUSD throughput), which the GEMM figures are a fraction of.
 *
 *   kernel-bench [--path NAME] [--threads N] [--layers] [--runs N] [--elementwise]
 *
 * --elementwise times only MobileNet V3's elementwise kernels (hard-swish, squeeze-and-excite's multiply).
 */
#define _POSIX_C_SOURCE 200112L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mobilenet.h"

#if EDGE_ARCH_X86_64
#include <immintrin.h>
#endif

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, compare_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

#if EDGE_ARCH_X86_64
/*
 * VPDPBUSD throughput with 24 independent accumulators (fewer leave it latency-bound on
 * this core), best of many short trials so that a busy machine's preemptions drop out:
 * the int8 peak as this core runs it, AVX-512 clock included. Inline assembly because
 * GCC, given the same loop in intrinsics, spills accumulators, which halves the rate.
 */
#define EDGE_DPBUSD(r) "vpdpbusd %%zmm30, %%zmm31, %%zmm" #r "\n\t"
__attribute__((target("avx512f,avx512vnni"))) static double vpdpbusd_per_second(void) {
  double best = 1e9;
  const long iters = 20000;
  for (int trial = 0; trial < 200; trial++) {
    double t = now();
    for (long it = 0; it < iters; it++) {
      __asm__ volatile(EDGE_DPBUSD(0) EDGE_DPBUSD(1) EDGE_DPBUSD(2) EDGE_DPBUSD(3) EDGE_DPBUSD(4) EDGE_DPBUSD(5)
                           EDGE_DPBUSD(6) EDGE_DPBUSD(7) EDGE_DPBUSD(8) EDGE_DPBUSD(9) EDGE_DPBUSD(10) EDGE_DPBUSD(11)
                               EDGE_DPBUSD(12) EDGE_DPBUSD(13) EDGE_DPBUSD(14) EDGE_DPBUSD(15) EDGE_DPBUSD(16)
                                   EDGE_DPBUSD(17) EDGE_DPBUSD(18) EDGE_DPBUSD(19) EDGE_DPBUSD(20) EDGE_DPBUSD(21)
                                       EDGE_DPBUSD(22) EDGE_DPBUSD(23)::
                           : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
                             "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18",
                             "xmm19", "xmm20", "xmm21", "xmm22", "xmm23");
    }
    best = EDGE_MIN(best, now() - t);
  }
  return (double)iters * 24 / best;
}

struct tile_config {
  uint8_t palette, start_row, reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};

/* TDPBUSD throughput on four independent 16 x 16 accumulators (16 x 16 x 64 MACs each). */
__attribute__((target("amx-tile,amx-int8"))) static double tdpbusd_per_second(void) {
  static const struct tile_config config = {
      .palette = 1, .colsb = {64, 64, 64, 64, 64, 64}, .rows = {16, 16, 16, 16, 16, 16}};
  static const uint8_t data[16 * 64] __attribute__((aligned(64)));
  _tile_loadconfig(&config);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  _tile_loadd(4, data, 64);
  _tile_loadd(5, data, 64);
  double best = 1e9;
  const long iters = 2000;
  for (int trial = 0; trial < 100; trial++) {
    double t = now();
    for (long it = 0; it < iters; it++) {
      _tile_dpbusd(0, 4, 5);
      _tile_dpbusd(1, 4, 5);
      _tile_dpbusd(2, 4, 5);
      _tile_dpbusd(3, 4, 5);
    }
    best = EDGE_MIN(best, now() - t);
  }
  _tile_release();
  return (double)iters * 4 / best;
}
#endif

/* Runs a model's layers in sequence (each one's output feeds the next of the same size). */
static void bench_model(struct edge_context *ctx, const char *model, const struct layer *layers, size_t count,
                        int runs, bool per_layer) {
  for (int zw_mode = 0; zw_mode < 2; zw_mode++) {
    struct built *b = calloc(count, sizeof *b);
    size_t biggest = 0;
    double macs = 0;
    for (size_t i = 0; i < count; i++) {
      if (build(ctx, &layers[i], zw_mode, &b[i]) != EDGE_OK) {
        fprintf(stderr, "could not build layer %zu of %s\n", i, model);
        exit(1);
      }
      biggest = b[i].in_bytes > biggest ? b[i].in_bytes : biggest;
      biggest = b[i].out_bytes > biggest ? b[i].out_bytes : biggest;
      macs += b[i].macs;
    }
    uint8_t *x = malloc(biggest), *y = malloc(biggest);
    for (size_t i = 0; i < biggest; i++) x[i] = rnd8();
    double *total = malloc(sizeof(double) * (size_t)runs);
    double *layer_t = calloc(count * (size_t)runs, sizeof(double));
    for (int r = -3; r < runs; r++) {
      double t0 = now();
      for (size_t i = 0; i < count; i++) {
        double t = now();
        edge_op_run(ctx, b[i].op, (i % 2) ? y : x, NULL, (i % 2) ? x : y);
        if (r >= 0) layer_t[i * (size_t)runs + (size_t)r] = now() - t;
      }
      if (r >= 0) total[r] = now() - t0;
    }
    const double ms = median(total, runs) * 1e3;
    printf("%s, %s weights: %.3f ms median of %d, %.0f M MACs, %.1f GMAC/s\n", model,
           zw_mode ? "TF2 int8 (zw 128)" : "TF1 uint8 (zw per tensor)", ms, runs, macs * 1e-6, macs / ms * 1e-6);
    if (per_layer) {
      for (size_t i = 0; i < count; i++) {
        double t = median(layer_t + i * (size_t)runs, runs);
        printf("  %-34s %-34s %8.1f us %7.1f GMAC/s\n", b[i].name, edge_op_kernel_name(b[i].op), t * 1e6,
               b[i].macs / t * 1e-9);
      }
    }
    for (size_t i = 0; i < count; i++) edge_op_destroy(b[i].op);
    free(b), free(x), free(y), free(total), free(layer_t);
  }
}

/* The pointwise shapes the brief names, timed alone (weights and activations stay in cache). */
static double peak; /* GMAC/s of the path's GEMM instructions, 0 when not measured */

static void bench_gemm_shapes(struct edge_context *ctx) {
  static const int shapes[][3] = {{3136, 144, 24}, {784, 192, 32}, {196, 576, 96}, {49, 960, 160},
                                  {12544, 32, 64}, {3136, 128, 128}, {196, 512, 512}, {49, 1024, 1024},
                                  {12544, 16, 96}, {3136, 24, 144}, {1, 1024, 1001}};
  for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
    for (int zw_mode = 0; zw_mode < 2; zw_mode++) {
      struct built b;
      const size_t rows = (size_t)shapes[i][0], k = (size_t)shapes[i][1], n = (size_t)shapes[i][2];
      uint8_t *w = malloc(k * n), *x = malloc(rows * k), *y = malloc(rows * n);
      int32_t *zw = malloc(n * 4), *bias = calloc(n, 4);
      float *scale = malloc(n * sizeof(float));
      for (size_t j = 0; j < k * n; j++) w[j] = rnd8();
      for (size_t j = 0; j < rows * k; j++) x[j] = rnd8();
      for (size_t c = 0; c < n; c++) zw[c] = zw_mode ? 128 : 117, scale[c] = 0x1.6p-11f;
      struct edge_gemm_desc d = {rows, k, n, 121, zw, bias, {scale, 3, 0, 255}};
      if (edge_gemm_create(ctx, &d, w, &b.op) != EDGE_OK) exit(1);
      const double macs = (double)rows * (double)k * (double)n;
      int reps = (int)(2e8 / macs) + 1;
      double t[15];
      for (int r = 0; r < 15; r++) {
        double t0 = now();
        for (int q = 0; q < reps; q++) edge_op_run(ctx, b.op, x, NULL, y);
        t[r] = (now() - t0) / reps;
      }
      /* The best of 15: on a shared machine, preemptions only ever add time. */
      double s = t[0];
      for (int r = 1; r < 15; r++) s = EDGE_MIN(s, t[r]);
      printf("  gemm %5zu x %4zu -> %4zu  %-9s %-30s %9.1f us %7.1f GMAC/s", rows, k, n, zw_mode ? "zw 128" : "zw 117",
             edge_op_kernel_name(b.op), s * 1e6, macs / s * 1e-9);
      if (peak > 0) printf("  %3.0f%% of peak", 100 * macs / s * 1e-9 / peak);
      printf("\n");
      edge_op_destroy(b.op);
      free(w), free(x), free(y), free(zw), free(bias), free(scale);
    }
  }
}

/* Best of 15 timings of `reps` runs, in seconds per run. */
static double best_time(struct edge_context *ctx, const struct edge_op *op, const void *x, const void *x2, void *y,
                        int reps) {
  double best = INFINITY;
  for (int r = 0; r < 15; r++) {
    double t0 = now();
    for (int q = 0; q < reps; q++) edge_op_run(ctx, op, x, x2, y);
    best = EDGE_MIN(best, (now() - t0) / reps);
  }
  return best;
}

/*
 * MobileNet V3-Large's elementwise work: hard-swish (a table lookup) over its largest
 * activations, and squeeze-and-excite's H x W x C by 1 x 1 x C multiply at each block's
 * size. Output bytes per second.
 */
static void bench_v3_elementwise(struct edge_context *ctx) {
  static const size_t hswish[][3] = {{112, 112, 16}, {14, 14, 240}, {14, 14, 480}, {7, 7, 960}};
  static const size_t se[][3] = {{28, 28, 72}, {28, 28, 120}, {14, 14, 480}, {14, 14, 672}, {7, 7, 960}};
  uint8_t table[256];
  for (size_t i = 0; i < 256; i++) table[i] = rnd8();
  for (size_t i = 0; i < sizeof hswish / sizeof *hswish; i++) {
    const size_t n = hswish[i][0] * hswish[i][1] * hswish[i][2];
    uint8_t *x = malloc(n), *y = malloc(n);
    for (size_t j = 0; j < n; j++) x[j] = rnd8();
    struct edge_lookup_desc d = {n, table};
    struct edge_op *op = NULL;
    if (edge_lookup_create(ctx, &d, &op) != EDGE_OK) exit(1);
    const double s = best_time(ctx, op, x, NULL, y, (int)(2e7 / (double)n) + 1);
    printf("  hard-swish %3zux%3zux%3zu     %-22s %8.1f us %6.2f GB/s\n", hswish[i][0], hswish[i][1], hswish[i][2],
           edge_op_kernel_name(op), s * 1e6, (double)n / s * 1e-9);
    edge_op_destroy(op);
    free(x), free(y);
  }
  for (size_t i = 0; i < sizeof se / sizeof *se; i++) {
    const size_t pixels = se[i][0] * se[i][1], c = se[i][2], n = pixels * c;
    uint8_t *x = malloc(n), *g = malloc(c), *y = malloc(n);
    for (size_t j = 0; j < n; j++) x[j] = rnd8();
    for (size_t j = 0; j < c; j++) g[j] = rnd8();
    struct edge_mul_desc d = {2, {pixels, c}, {c, 1}, {0, 1}, 121, 3, 0x1.3p-9f, 118, 0, 255};
    struct edge_op *op = NULL;
    if (edge_mul_create(ctx, &d, &op) != EDGE_OK) exit(1);
    const double s = best_time(ctx, op, x, g, y, (int)(2e7 / (double)n) + 1);
    printf("  squeeze-excite mul %3zux%3zux%3zu %-22s %8.1f us %6.2f GB/s\n", se[i][0], se[i][1], c,
           edge_op_kernel_name(op), s * 1e6, (double)n / s * 1e-9);
    edge_op_destroy(op);
    free(x), free(g), free(y);
  }
}

int main(int argc, char **argv) {
  const char *path = NULL;
  size_t threads = 1;
  int runs = 30;
  bool layers = false, elementwise_only = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--path") == 0 && i + 1 < argc) path = argv[++i];
    else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = (size_t)atoi(argv[++i]);
    else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) runs = atoi(argv[++i]);
    else if (strcmp(argv[i], "--layers") == 0) layers = true;
    else if (strcmp(argv[i], "--elementwise") == 0) elementwise_only = true;
    else {
      fprintf(stderr, "usage: kernel-bench [--path NAME] [--threads N] [--layers] [--runs N] [--elementwise]\n");
      return 2;
    }
  }
  struct edge_context *ctx = NULL;
  const char *why = "";
  if (edge_context_create(path, threads, &ctx, &why) != EDGE_OK) {
    fprintf(stderr, "kernel-bench: %s\n", why);
    return 1;
  }
  printf("path %s, %zu thread(s)\n", edge_context_path(ctx)->name, threads);
  if (elementwise_only) {
    printf("MobileNet V3 elementwise (hot caches):\n");
    bench_v3_elementwise(ctx);
    edge_context_destroy(ctx);
    return 0;
  }
#if EDGE_ARCH_X86_64
  if (edge_context_path(ctx)->isa >= EDGE_ISA_AVX512VNNI) {
    const double vnni = vpdpbusd_per_second() * 64 * 1e-9;
    printf("int8 peak of AVX-512 VNNI, measured: %.2f G VPDPBUSD/s x 64 MACs = %.0f GMAC/s per core\n", vnni / 64,
           vnni);
    peak = vnni;
  }
  if (edge_context_path(ctx)->isa == EDGE_ISA_AMX) {
    const double amx = tdpbusd_per_second() * 16384 * 1e-9;
    printf("int8 peak of AMX, measured: %.2f G TDPBUSD/s x 16384 MACs = %.0f GMAC/s per core\n", amx / 16384, amx);
    peak = amx;
  }
#endif
  printf("pointwise shapes alone (hot caches):\n");
  bench_gemm_shapes(ctx);
  printf("MobileNet V3 elementwise (hot caches):\n");
  bench_v3_elementwise(ctx);
  bench_model(ctx, "MobileNet v2 1.0 224 conv stack", v2, sizeof v2 / sizeof *v2, runs, layers);
  bench_model(ctx, "MobileNet v1 1.0 224 conv stack", v1, sizeof v1 / sizeof *v1, runs, layers);
  edge_context_destroy(ctx);
  return 0;
}
