/*
 * Runs each layer of a MobileNet's convolution stack once, for counting its instructions
 * under qemu-user (bench/arm-model.ts, with the insn-count plugin). Before each layer, and
 * once after the last, it calls edge_bench_phase(), whose address the plugin is given: the
 * plugin starts a new phase there, so phase i + 1 holds layer i's instructions alone
 * (building the operators and packing the weights happen in phase 0). It prints one line
 * per layer, "layer INDEX MACS KERNEL NAME", on stdout.
 *
 *   model-count --model v1|v2 [--path NAME]
 */
#include <string.h>

#include "mobilenet.h"

__attribute__((noinline)) void edge_bench_phase(void) { __asm__ volatile(""); }

int main(int argc, char **argv) {
  const char *path = NULL, *model = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--path") == 0 && i + 1 < argc) path = argv[++i];
    else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) model = argv[++i];
    else model = NULL, i = argc;
  }
  const struct layer *layers = model && strcmp(model, "v1") == 0 ? v1 : model && strcmp(model, "v2") == 0 ? v2 : NULL;
  if (!layers) {
    fprintf(stderr, "usage: model-count --model v1|v2 [--path NAME]\n");
    return 2;
  }
  const size_t count = layers == v1 ? sizeof v1 / sizeof *v1 : sizeof v2 / sizeof *v2;
  struct edge_context *ctx = NULL;
  const char *why = "";
  if (edge_context_create(path, 1, &ctx, &why) != EDGE_OK) {
    fprintf(stderr, "model-count: %s\n", why);
    return 1;
  }
  struct built *b = calloc(count, sizeof *b);
  size_t biggest = 0;
  for (size_t i = 0; i < count; i++) {
    if (build(ctx, &layers[i], 0, &b[i]) != EDGE_OK) {
      fprintf(stderr, "model-count: could not build layer %zu\n", i);
      return 1;
    }
    biggest = EDGE_MAX(biggest, EDGE_MAX(b[i].in_bytes, b[i].out_bytes));
  }
  uint8_t *x = malloc(biggest), *y = malloc(biggest);
  for (size_t i = 0; i < biggest; i++) x[i] = rnd8();
  for (size_t i = 0; i < count; i++) {
    edge_bench_phase();
    edge_op_run(ctx, b[i].op, (i % 2) ? y : x, NULL, (i % 2) ? x : y);
  }
  edge_bench_phase();
  printf("path %s\n", edge_context_path(ctx)->name);
  for (size_t i = 0; i < count; i++) printf("layer %zu %.0f %s %s\n", i, b[i].macs, edge_op_kernel_name(b[i].op), b[i].name);
  for (size_t i = 0; i < count; i++) edge_op_destroy(b[i].op);
  free(b), free(x), free(y);
  edge_context_destroy(ctx);
  return 0;
}
