/*
 * bench:arm-decode's driver: decodes a JPEG with the libvips that sharp ships for arm64
 * (libjpeg inside it), as the agent's preprocessing does, under qemu-user with the TCG
 * plugin kernels/native/bench/qemu/insn-count.c counting each block's executions.
 *
 *   jpeg-decode FRAME.jpg CASE...     CASE: SHRINK or SHRINK:WIDTH:HEIGHT
 *
 * A case loads the frame with jpegload's shrink (libjpeg's scaled decode: 1, 2, 4 or 8) and,
 * with a size, resizes it there with the linear kernel, as sharp does for the agent. Each
 * case runs twice, the first time to warm libvips' lazy set-up; edge_bench_phase() is
 * called before every run and once at the end, so the plugin's phases 2, 4, 6... are the
 * counted runs. Last, it prints each loaded object's executable segments and load bias,
 * so that the executed addresses can be found in their files.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <vips/vips.h>

void edge_bench_phase(void) __attribute__((noinline));
void edge_bench_phase(void) { __asm__ volatile(""); }

static int print_object(struct dl_phdr_info *info, size_t size, void *self) {
  (void)size;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *p = &info->dlpi_phdr[i];
    if (p->p_type != PT_LOAD || !(p->p_flags & PF_X)) continue;
    const char *name = info->dlpi_name[0] ? info->dlpi_name : (const char *)self;
    printf("object 0x%lx 0x%lx 0x%lx %s\n", (unsigned long)info->dlpi_addr, (unsigned long)(info->dlpi_addr + p->p_vaddr),
           (unsigned long)(info->dlpi_addr + p->p_vaddr + p->p_memsz), name);
  }
  return 0;
}

static void run_case(const char *text, const void *jpeg, size_t length, int counted) {
  int shrink = 1, width = 0, height = 0;
  if (sscanf(text, "%d:%d:%d", &shrink, &width, &height) < 1 || shrink < 1) {
    fprintf(stderr, "jpeg-decode: bad case '%s' (SHRINK or SHRINK:WIDTH:HEIGHT)\n", text);
    exit(2);
  }
  edge_bench_phase();
  VipsImage *image, *out;
  if (vips_jpegload_buffer((void *)jpeg, length, &image, "shrink", shrink, "access", VIPS_ACCESS_SEQUENTIAL, NULL)) vips_error_exit(NULL);
  if (width > 0) {
    if (vips_resize(image, &out, (double)width / image->Xsize, "vscale", (double)height / image->Ysize, "kernel", VIPS_KERNEL_LINEAR, NULL))
      vips_error_exit(NULL);
    g_object_unref(image);
  } else {
    out = image;
  }
  size_t bytes;
  void *pixels = vips_image_write_to_memory(out, &bytes);
  if (!pixels) vips_error_exit(NULL);
  if (counted) printf("case %s %dx%d\n", text, out->Xsize, out->Ysize);
  g_free(pixels);
  g_object_unref(out);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: jpeg-decode FRAME.jpg CASE...\n");
    return 2;
  }
  if (VIPS_INIT(argv[0])) vips_error_exit(NULL);
  /* One worker, and nothing kept between runs: every run decodes afresh, as the agent's do. */
  vips_concurrency_set(1);
  vips_cache_set_max(0);
  gchar *jpeg;
  gsize length;
  if (!g_file_get_contents(argv[1], &jpeg, &length, NULL)) {
    fprintf(stderr, "jpeg-decode: cannot read %s\n", argv[1]);
    return 1;
  }
  for (int i = 2; i < argc; i++) {
    run_case(argv[i], jpeg, length, 0);
    run_case(argv[i], jpeg, length, 1);
  }
  edge_bench_phase();
  g_free(jpeg);
  dl_iterate_phdr(print_object, argv[0]);
  return 0;
}
