/*
 * Runs each C operator of a model once, for counting its instructions under qemu-user
 * (bench/arm-model.ts, with the insn-count plugin). Before each operator, and once after
 * the last, it calls edge_bench_phase(), whose address the plugin is given: the plugin
 * starts a new phase there, so phase i + 1 holds operator i's instructions alone (reading
 * the layers, building the operators and packing the weights happen in phase 0). It
 * prints the path, then one line per operator, "layer INDEX KERNEL", on stdout.
 *
 *   model-count --layers FILE [--path NAME]
 *
 * FILE holds the operators as the addon is asked for them: bench/arm-model.ts records the
 * arguments the TypeScript engine passes to the binding's create() while it loads the
 * model (kernels/native/kernel-set.ts), so the weights, zero points and scales, which
 * decide some of the packing and so the code that runs, are the model's own. Each record,
 * little-endian, every array a uint32 count then its elements:
 *   kind (chars), ints (int32), weight zero points (int32), bias (int32), scale (float32),
 *   data (uint8; float64 for softmax), then one float64
 * and ints are laid out as src/binding.c's create_operator reads them, for the kinds here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "operators.h"

__attribute__((noinline)) void edge_bench_phase(void) { __asm__ volatile(""); }

struct record {
  char kind[32];
  int32_t *ints, *zw, *bias;
  float *scale;
  void *data;
  size_t n_ints, n_zw, n_bias, n_scale, n_data;
  double real;
};

/* An array of `size`-byte elements after its count; NULL when the file ends first. */
static void *read_array(FILE *f, size_t size, size_t *count) {
  uint32_t n;
  if (fread(&n, 4, 1, f) != 1) return NULL;
  *count = n;
  void *a = malloc(n * size + 1);
  if (a != NULL && fread(a, size, n, f) != n) free(a), a = NULL;
  return a;
}

/* The next record; false at the end of the file. A short record ends the program. */
static bool read_record(FILE *f, struct record *r) {
  uint32_t len;
  if (fread(&len, 4, 1, f) != 1) return false;
  bool ok = len < sizeof r->kind && fread(r->kind, 1, len, f) == len;
  r->kind[ok ? len : 0] = '\0';
  ok = ok && (r->ints = read_array(f, 4, &r->n_ints)) && (r->zw = read_array(f, 4, &r->n_zw)) &&
       (r->bias = read_array(f, 4, &r->n_bias)) && (r->scale = read_array(f, 4, &r->n_scale)) &&
       (r->data = read_array(f, strcmp(r->kind, "softmax") == 0 ? 8 : 1, &r->n_data)) && fread(&r->real, 8, 1, f) == 1;
  if (!ok) {
    fprintf(stderr, "model-count: the layer file ends inside a record\n");
    exit(1);
  }
  return true;
}

/* The sizes among the first `count` ints, as binding.c takes them; false when some is negative or ints are short. */
static bool sizes(const struct record *r, size_t count, size_t total, size_t *s) {
  if (r->n_ints < total) return false;
  for (size_t i = 0; i < count; i++) {
    if (r->ints[i] < 0) return false;
    s[i] = (size_t)r->ints[i];
  }
  return true;
}

static bool channels(const struct record *r, size_t n) { return r->n_zw >= n && r->n_bias >= n && r->n_scale >= n; }

/* The operator of a record: the kinds the models of bench:arm run in C. */
static enum edge_status create(struct edge_context *ctx, const struct record *r, struct edge_op **op) {
  const int32_t *iv = r->ints;
  size_t s[13];
  if (strcmp(r->kind, "gemm") == 0) {
    if (!sizes(r, 3, 7, s) || !channels(r, s[2]) || r->n_data < s[1] * s[2]) return EDGE_ERR_INVALID;
    struct edge_gemm_desc d = {s[0], s[1], s[2], iv[3], r->zw, r->bias, {r->scale, iv[4], iv[5], iv[6]}};
    return edge_gemm_create(ctx, &d, r->data, op);
  }
  if (strcmp(r->kind, "conv") == 0 || strcmp(r->kind, "depthwise") == 0) {
    if (!sizes(r, 13, 17, s)) return EDGE_ERR_INVALID;
    struct edge_conv_desc d = {s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11], s[12],
                               iv[13], r->zw, r->bias, {r->scale, iv[14], iv[15], iv[16]}};
    const bool dw = r->kind[0] == 'd';
    const size_t weights = d.kernel_h * d.kernel_w * d.output_c * (dw ? 1 : d.input_c);
    if (!channels(r, d.output_c) || r->n_data < weights) return EDGE_ERR_INVALID;
    return dw ? edge_dwconv_create(ctx, &d, r->data, op) : edge_conv_create(ctx, &d, r->data, op);
  }
  if (strcmp(r->kind, "averagePool") == 0) {
    if (!sizes(r, 11, 14, s)) return EDGE_ERR_INVALID;
    struct edge_pool_desc d = {s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], iv[11], iv[12], iv[13]};
    return edge_avgpool_create(ctx, &d, op);
  }
  if (strcmp(r->kind, "add") == 0) {
    if (!sizes(r, 1, 9, s)) return EDGE_ERR_INVALID;
    struct edge_add_desc d = {s[0], iv[1], iv[2], iv[3], iv[4], iv[5], iv[6], iv[7], iv[8]};
    return edge_add_create(ctx, &d, op);
  }
  if (strcmp(r->kind, "lookup") == 0) {
    if (!sizes(r, 1, 1, s) || r->n_data < 256) return EDGE_ERR_INVALID;
    struct edge_lookup_desc d = {s[0], r->data};
    return edge_lookup_create(ctx, &d, op);
  }
  if (strcmp(r->kind, "softmax") == 0) {
    if (!sizes(r, 2, 5, s) || r->n_data < 256) return EDGE_ERR_INVALID;
    struct edge_softmax_desc d = {s[0], s[1], r->data, r->real, iv[2], iv[3], iv[4]};
    return edge_softmax_create(ctx, &d, op);
  }
  return EDGE_ERR_UNSUPPORTED;
}

int main(int argc, char **argv) {
  const char *path = NULL, *layers = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--path") == 0 && i + 1 < argc) path = argv[++i];
    else if (strcmp(argv[i], "--layers") == 0 && i + 1 < argc) layers = argv[++i];
    else layers = NULL, i = argc;
  }
  FILE *f = layers ? fopen(layers, "rb") : NULL;
  if (!f) {
    fprintf(stderr, layers ? "model-count: cannot open %s\n" : "usage: model-count --layers FILE [--path NAME]\n", layers);
    return 2;
  }
  struct edge_context *ctx = NULL;
  const char *why = "";
  if (edge_context_create(path, 1, &ctx, &why) != EDGE_OK) {
    fprintf(stderr, "model-count: %s\n", why);
    return 1;
  }
  struct edge_op **ops = NULL;
  size_t count = 0, biggest = 0;
  struct record r;
  while (read_record(f, &r)) {
    ops = realloc(ops, (count + 1) * sizeof *ops);
    const enum edge_status s = create(ctx, &r, &ops[count]);
    if (s != EDGE_OK) {
      fprintf(stderr, "model-count: layer %zu (%s): %s\n", count, r.kind, edge_status_message(s));
      return 1;
    }
    const struct edge_op_shape shape = edge_op_shape(ops[count]);
    biggest = EDGE_MAX(biggest, EDGE_MAX(shape.input * (shape.float_input ? 4 : 1), shape.input2));
    biggest = EDGE_MAX(biggest, shape.output * (shape.float_output ? 4 : 1));
    free(r.ints), free(r.zw), free(r.bias), free(r.scale), free(r.data);
    count++;
  }
  fclose(f);
  /* Input values do not choose the code that runs (the weights do, through their packing): any will do. */
  uint8_t *x = malloc(biggest), *y = malloc(biggest);
  uint32_t seed = 12345;
  for (size_t i = 0; i < biggest; i++) seed = seed * 1664525u + 1013904223u, x[i] = y[i] = (uint8_t)(seed >> 24);
  for (size_t i = 0; i < count; i++) {
    edge_bench_phase();
    uint8_t *in = (i % 2) ? y : x, *out = (i % 2) ? x : y;
    edge_op_run(ctx, ops[i], in, in, out);
  }
  edge_bench_phase();
  printf("path %s\n", edge_context_path(ctx)->name);
  for (size_t i = 0; i < count; i++) printf("layer %zu %s\n", i, edge_op_kernel_name(ops[i]));
  for (size_t i = 0; i < count; i++) edge_op_destroy(ops[i]);
  free(ops), free(x), free(y);
  edge_context_destroy(ctx);
  return 0;
}
