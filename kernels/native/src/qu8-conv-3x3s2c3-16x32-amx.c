/*
 * The first layer of a MobileNet, 3x3 stride 2 over 3 channels, as a direct convolution
 * on AMX-INT8: 16 output pixels x 32 output channels per step, no im2col. Pixel p's
 * window in input row ky is 9 bytes starting 6 * p bytes into the (padded) row, so one
 * tile load with a row stride of 6 bytes reads 16 windows of 12 bytes (the 3 past the
 * window meet zero weights). Per kernel row: one A tile, two B tiles of 3 groups of
 * 4 k x 16 channels, two TDPBUSD; channels whose w - zw do not fit int8 add a second
 * product with their correction (conv-hwc.c).
 */
#include <immintrin.h>

#include "kernel-table.h"
#include "requantize.h"

struct tile_config {
  uint8_t palette;
  uint8_t start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};

/*
 * C 0-1 (16 pixels x channels 0-15, 16-31), A 2 (16 windows of 12 bytes), B 3-4
 * (3 groups of 4 k x 16 channels), corrections 5-6 (the same shape). The intrinsics take
 * tile numbers as literals.
 */
void qu8_conv_3x3s2c3_amx_begin(void) {
  static const struct tile_config config = {
      .palette = 1,
      .colsb = {64, 64, 12, 64, 64, 64, 64},
      .rows = {16, 16, 16, 3, 3, 3, 3},
  };
  _tile_loadconfig(&config);
}

void qu8_conv_3x3s2c3_amx_end(void) { _tile_release(); }

static inline __attribute__((always_inline)) void output_pixels(const bool CLAMP, int32_t acc[16][32], size_t pixels,
                                                                __m512i b0, __m512i b1, const float *scale,
                                                                uint8_t *output, size_t channels, __mmask32 store,
                                                                __m512 hi, __m512i zo, __m512i vmin, __m512i vmax) {
  for (size_t p = 0; p < pixels; p += 2) {
    /* An odd last pixel is computed twice and stored once. */
    const size_t q = p + 1 < pixels ? p + 1 : p;
    const __m512i out = edge_output4_avx512(
        edge_fp32_avx512(CLAMP, _mm512_add_epi32(_mm512_load_si512(&acc[p][0]), b0), scale, hi),
        edge_fp32_avx512(CLAMP, _mm512_add_epi32(_mm512_load_si512(&acc[p][16]), b1), scale + 16, hi),
        edge_fp32_avx512(CLAMP, _mm512_add_epi32(_mm512_load_si512(&acc[q][0]), b0), scale, hi),
        edge_fp32_avx512(CLAMP, _mm512_add_epi32(_mm512_load_si512(&acc[q][16]), b1), scale + 16, hi), zo, vmin,
        vmax);
    _mm256_mask_storeu_epi8(output + q * channels, store, _mm512_extracti64x4_epi64(out, 1));
    _mm256_mask_storeu_epi8(output + p * channels, store, _mm512_castsi512_si256(out));
  }
}

void qu8_conv_3x3s2c3_16x32__amx(size_t width, const uint8_t *const *rows, const void *w, size_t channels,
                                 uint8_t *output, const struct edge_output_params *o) {
  const __m512i zo = _mm512_set1_epi16((int16_t)o->zero_point);
  const __m512i vmin = _mm512_set1_epi8((char)o->min), vmax = _mm512_set1_epi8((char)o->max);
  const __m512 hi = _mm512_set1_ps(o->max_less_zero_point);
  const uint8_t *block = w;
  for (size_t c0 = 0; c0 < channels; c0 += 32, block += EDGE_CONV3X3S2C3_BLOCK_BYTES) {
    const int32_t *bias = (const int32_t *)block;
    const float *scale = (const float *)(bias + 32);
    const int32_t corrected = bias[64];
    const uint8_t *wk = block + EDGE_CONV3X3S2C3_HEAD_BYTES;
    const uint8_t *kz = wk + 3 * 384;
    const size_t nc = EDGE_MIN(32, channels - c0);
    const __mmask32 store = nc >= 32 ? ~(__mmask32)0 : (((__mmask32)1 << nc) - 1);
    const __m512i b0 = _mm512_loadu_si512(bias), b1 = _mm512_loadu_si512(bias + 16);
    for (size_t p0 = 0; p0 < width; p0 += 16) {
      _tile_zero(0);
      _tile_zero(1);
      if (corrected) {
        _tile_loadd(5, kz, 128);
        _tile_loadd(6, kz + 64, 128);
      }
      for (size_t ky = 0; ky < 3; ky++) {
        _tile_loadd(2, rows[ky] + 6 * p0, 6);
        _tile_loadd(3, wk + 384 * ky, 128);
        _tile_loadd(4, wk + 384 * ky + 64, 128);
        _tile_dpbusd(0, 2, 3);
        _tile_dpbusd(1, 2, 4);
        if (corrected) {
          _tile_dpbusd(0, 2, 5);
          _tile_dpbusd(1, 2, 6);
        }
      }
      int32_t acc[16][32] __attribute__((aligned(64)));
      _tile_stored(0, &acc[0][0], 128);
      _tile_stored(1, &acc[0][16], 128);
      const size_t pixels = EDGE_MIN(16, width - p0);
      uint8_t *out = output + p0 * channels + c0;
      if (o->clamp_in_float) output_pixels(true, acc, pixels, b0, b1, scale, out, channels, store, hi, zo, vmin, vmax);
      else output_pixels(false, acc, pixels, b0, b1, scale, out, channels, store, hi, zo, vmin, vmax);
    }
  }
}
