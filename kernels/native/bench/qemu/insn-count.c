/*
 * A QEMU TCG plugin that counts executed guest instructions per translation block, split
 * into phases: every execution of the block at address `mark` starts the next phase (the
 * benchmark driver calls a marker function before each layer). At exit it writes one line
 * per block and phase that ran, "phase vaddr instructions executions", to `out`:
 *
 *   qemu-aarch64 -plugin ./insn-count.so,mark=0x4005d0,out=counts.txt ./model-count ...
 *
 * The benchmark (bench/arm-model.ts) maps the addresses to kernel symbols and loops.
 * Single-threaded guests only: the phase is one global.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-plugin-api.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MAX_PHASES 256

struct block {
  uint64_t vaddr;
  uint64_t insns;
  uint64_t runs[MAX_PHASES];
  struct block *next;
};

static struct block *blocks;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t mark;
static unsigned phase;
static char out_path[4096];

static void on_mark(unsigned int vcpu, void *data) {
  (void)vcpu, (void)data;
  if (phase + 1 < MAX_PHASES) phase++;
}

static void on_exec(unsigned int vcpu, void *data) {
  (void)vcpu;
  ((struct block *)data)->runs[phase]++;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  /* A block translated again (after a flush) gets a record of its own; the reader sums them. */
  struct block *b = calloc(1, sizeof *b);
  if (!b) return;
  b->vaddr = qemu_plugin_tb_vaddr(tb);
  b->insns = qemu_plugin_tb_n_insns(tb);
  pthread_mutex_lock(&lock);
  b->next = blocks;
  blocks = b;
  pthread_mutex_unlock(&lock);
  /* The marker first, so that the marker block's own instructions count in the phase it opens. */
  if (mark && b->vaddr == mark) qemu_plugin_register_vcpu_tb_exec_cb(tb, on_mark, QEMU_PLUGIN_CB_NO_REGS, NULL);
  qemu_plugin_register_vcpu_tb_exec_cb(tb, on_exec, QEMU_PLUGIN_CB_NO_REGS, b);
}

static void write_counts(qemu_plugin_id_t id, void *data) {
  (void)id, (void)data;
  FILE *f = fopen(out_path, "w");
  if (!f) {
    qemu_plugin_outs("insn-count: cannot write the output file\n");
    return;
  }
  for (struct block *b = blocks; b; b = b->next)
    for (unsigned p = 0; p <= phase; p++)
      if (b->runs[p]) fprintf(f, "%u %" PRIx64 " %" PRIu64 " %" PRIu64 "\n", p, b->vaddr, b->insns, b->runs[p]);
  fclose(f);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
  (void)info;
  for (int i = 0; i < argc; i++) {
    if (strncmp(argv[i], "mark=", 5) == 0) mark = strtoull(argv[i] + 5, NULL, 16);
    else if (strncmp(argv[i], "out=", 4) == 0) snprintf(out_path, sizeof out_path, "%s", argv[i] + 4);
    else {
      fprintf(stderr, "insn-count: unknown argument %s (mark=HEX, out=FILE)\n", argv[i]);
      return -1;
    }
  }
  if (!out_path[0]) {
    fprintf(stderr, "insn-count: out=FILE is required\n");
    return -1;
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_atexit_cb(id, write_counts, NULL);
  return 0;
}
