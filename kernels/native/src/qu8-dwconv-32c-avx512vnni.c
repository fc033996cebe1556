/*
 * Depthwise micro-kernels for AVX-512 VNNI: 32 channels per step. Inputs are
 * zero-extended to int32 lanes and VPDPWSSD multiplies them by int32 lanes holding
 * w - zw (high half 0): one exact product accumulated per lane per instruction.
 * Channel tails use masked loads and stores, which never touch bytes past the mask.
 */
#include <immintrin.h>

#include "kernel-table.h"
#include "requantize.h"

static inline void dwconv_32c(size_t channels, size_t width, const uint8_t *const *input, size_t taps,
                              const void *w, uint8_t *output, const struct edge_output_params *o) {
  const size_t block = edge_dw_block_bytes(32, taps, EDGE_DW_I32);
  const __m512i zo = _mm512_set1_epi16((int16_t)o->zero_point);
  const __m512i vmin = _mm512_set1_epi8((char)o->min), vmax = _mm512_set1_epi8((char)o->max);
  for (size_t px = 0; px < width; px++) {
    const uint8_t *const *in = input + px * taps;
    const uint8_t *blk = w;
    for (size_t c = 0; c < channels; c += 32) {
      const size_t n = EDGE_MIN(channels - c, 32);
      const __mmask32 mask = n == 32 ? ~(__mmask32)0 : (((__mmask32)1 << n) - 1);
      const int32_t *bias = (const int32_t *)blk;
      const int32_t *rq = bias + 32;
      const int32_t *wt = rq + EDGE_RQ_FIELDS * 32;
      __m512i acc0 = _mm512_loadu_si512(bias);
      __m512i acc1 = _mm512_loadu_si512(bias + 16);
      for (size_t t = 0; t < taps; t++) {
        const __m256i x = _mm256_maskz_loadu_epi8(mask, in[t] + c);
        acc0 = _mm512_dpwssd_epi32(acc0, _mm512_cvtepu8_epi32(_mm256_castsi256_si128(x)),
                                   _mm512_loadu_si512(wt + 32 * t));
        acc1 = _mm512_dpwssd_epi32(acc1, _mm512_cvtepu8_epi32(_mm256_extracti128_si256(x, 1)),
                                   _mm512_loadu_si512(wt + 32 * t + 16));
      }
      const __m512i y0 = edge_mbqm_avx512(acc0, rq, 32, 0), y1 = edge_mbqm_avx512(acc1, rq, 32, 16);
      const __m512i out = edge_output4_avx512(y0, y1, y0, y1, zo, vmin, vmax);
      _mm256_mask_storeu_epi8(output, mask, _mm512_castsi512_si256(out));
      output += n;
      blk += block;
    }
  }
}

void qu8_dwconv_9p32c__avx512vnni(size_t channels, size_t width, const uint8_t *const *input, size_t taps,
                                  const void *w, uint8_t *output, const struct edge_output_params *o) {
  (void)taps;
  dwconv_32c(channels, width, input, 9, w, output, o);
}

void qu8_dwconv_up32c__avx512vnni(size_t channels, size_t width, const uint8_t *const *input, size_t taps,
                                  const void *w, uint8_t *output, const struct edge_output_params *o) {
  dwconv_32c(channels, width, input, taps, w, output, o);
}
