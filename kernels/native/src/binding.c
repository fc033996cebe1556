/*
 * Node-API binding. JavaScript has already checked every argument (kernels/native/
 * validate.ts); this layer still checks types, lengths and tags so that a wrong call
 * throws instead of touching memory it should not. Nothing here aborts the process.
 *
 * Exports:
 *   info() -> {arch, paths: [{name, available}], best}
 *   createContext(path: string | null, threads: number) -> context
 *   contextPath(context) -> string
 *   create(context, kind: string, ints: Int32Array, zw?, bias?: Int32Array, scale?: Float32Array,
 *          data?: Uint8Array | Float64Array, real?: number) -> operator
 *   kernelName(operator) -> string
 *   run(context, operator, input, input2 | null, output)
 * Contexts and operators are externals freed by their finalizers.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdio.h>
#include <string.h>

#include "operators.h"

static const napi_type_tag context_tag = {0x6564676561676e74u, 0x636f6e7465787431u};
static const napi_type_tag operator_tag = {0x6564676561676e74u, 0x6f70657261746f72u};

#define CHECK(env, call)                                          \
  do {                                                            \
    if ((call) != napi_ok) {                                      \
      napi_throw_error((env), NULL, "edge_kernels: N-API call failed: " #call); \
      return NULL;                                                \
    }                                                             \
  } while (0)

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

static napi_value fail_status(napi_env env, const char *what, enum edge_status s, const char *detail) {
  char msg[256];
  snprintf(msg, sizeof msg, "edge_kernels: %s: %s%s%s", what, edge_status_message(s), detail ? ": " : "",
           detail ? detail : "");
  napi_throw_error(env, NULL, msg);
  return NULL;
}

static napi_value string(napi_env env, const char *s) {
  napi_value v;
  if (napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v) != napi_ok) return NULL;
  return v;
}

static const char *arch_name(void) {
#if EDGE_ARCH_X86_64
  return "x64";
#elif EDGE_ARCH_AARCH64
  return "arm64";
#elif EDGE_ARCH_ARM
  return "arm";
#else
  return "other";
#endif
}

static napi_value info(napi_env env, napi_callback_info cb) {
  (void)cb;
  napi_value result, paths;
  CHECK(env, napi_create_object(env, &result));
  CHECK(env, napi_set_named_property(env, result, "arch", string(env, arch_name())));
  CHECK(env, napi_create_array_with_length(env, edge_path_count, &paths));
  const struct edge_path *best = &edge_paths[0];
  for (size_t i = 0; i < edge_path_count; i++) {
    napi_value p, available;
    const bool ok = edge_isa_available(edge_paths[i].isa);
    if (ok) best = &edge_paths[i];
    CHECK(env, napi_create_object(env, &p));
    CHECK(env, napi_set_named_property(env, p, "name", string(env, edge_paths[i].name)));
    CHECK(env, napi_get_boolean(env, ok, &available));
    CHECK(env, napi_set_named_property(env, p, "available", available));
    CHECK(env, napi_set_element(env, paths, (uint32_t)i, p));
  }
  CHECK(env, napi_set_named_property(env, result, "paths", paths));
  CHECK(env, napi_set_named_property(env, result, "best", string(env, best->name)));
  return result;
}

static void finalize_context(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  edge_context_destroy(data);
}

static void finalize_operator(napi_env env, void *data, void *hint) {
  (void)hint;
  int64_t left;
  napi_adjust_external_memory(env, -(int64_t)edge_op_bytes(data), &left);
  edge_op_destroy(data);
}

static void *unwrap(napi_env env, napi_value v, const napi_type_tag *tag) {
  napi_valuetype type;
  bool tagged = false;
  void *p = NULL;
  if (napi_typeof(env, v, &type) != napi_ok || type != napi_external) return NULL;
  if (napi_check_object_type_tag(env, v, tag, &tagged) != napi_ok || !tagged) return NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return p;
}

static napi_value create_context(napi_env env, napi_callback_info cb) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, cb, &argc, argv, NULL, NULL));
  char path[64] = "";
  napi_valuetype type;
  CHECK(env, napi_typeof(env, argv[0], &type));
  if (type == napi_string) {
    size_t len = 0;
    CHECK(env, napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len));
  }
  uint32_t threads = 1;
  if (napi_get_value_uint32(env, argv[1], &threads) != napi_ok || threads < 1 || threads > 256) {
    return fail(env, "edge_kernels: threads must be an integer in 1..256");
  }
  struct edge_context *ctx = NULL;
  const char *why = NULL;
  enum edge_status s = edge_context_create(path, threads, &ctx, &why);
  if (s != EDGE_OK) return fail_status(env, "createContext", s, why);
  napi_value ext;
  if (napi_create_external(env, ctx, finalize_context, NULL, &ext) != napi_ok) {
    edge_context_destroy(ctx);
    return fail(env, "edge_kernels: could not wrap the context");
  }
  CHECK(env, napi_type_tag_object(env, ext, &context_tag));
  return ext;
}

static napi_value context_path(napi_env env, napi_callback_info cb) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, cb, &argc, argv, NULL, NULL));
  struct edge_context *ctx = argc >= 1 ? unwrap(env, argv[0], &context_tag) : NULL;
  if (ctx == NULL) return fail(env, "edge_kernels: expected a context");
  return string(env, edge_context_path(ctx)->name);
}

/* A typed array of the given type, or NULL data with length 0 when the argument is absent. */
struct view {
  void *data;
  size_t length;
};

static bool typed(napi_env env, napi_value v, napi_typedarray_type want, struct view *out) {
  out->data = NULL;
  out->length = 0;
  if (v == NULL) return true;
  napi_valuetype vt;
  if (napi_typeof(env, v, &vt) != napi_ok) return false;
  if (vt == napi_undefined || vt == napi_null) return true;
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &out->length, &out->data, &buffer, &offset) != napi_ok) return false;
  return type == want;
}

/* The first `count` of `total` ints as sizes (non-negative); JavaScript validated them, this keeps C safe anyway. */
static bool sizes(const struct view *ints, size_t count, size_t total, size_t *out) {
  if (ints->length < total) return false;
  const int32_t *v = ints->data;
  for (size_t i = 0; i < count; i++) {
    if (v[i] < 0) return false;
    out[i] = (size_t)v[i];
  }
  return true;
}

static bool has(const struct view *v, size_t n) { return v->data != NULL && v->length >= n; }

static napi_value create_operator(napi_env env, napi_callback_info cb) {
  size_t argc = 8;
  napi_value argv[8] = {NULL};
  CHECK(env, napi_get_cb_info(env, cb, &argc, argv, NULL, NULL));
  struct edge_context *ctx = unwrap(env, argv[0], &context_tag);
  if (ctx == NULL) return fail(env, "edge_kernels: expected a context");
  char kind[32] = "";
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[1], kind, sizeof kind, &len) != napi_ok) {
    return fail(env, "edge_kernels: kind must be a string");
  }
  struct view ints, zw, bias, scale, bytes, reals;
  if (!typed(env, argv[2], napi_int32_array, &ints) || !typed(env, argv[3], napi_int32_array, &zw) ||
      !typed(env, argv[4], napi_int32_array, &bias) || !typed(env, argv[5], napi_float32_array, &scale)) {
    return fail(env, "edge_kernels: create expects Int32Array and Float32Array arguments");
  }
  const bool softmax = strcmp(kind, "softmax") == 0;
  if (!typed(env, argv[6], softmax ? napi_float64_array : napi_uint8_array, softmax ? &reals : &bytes)) {
    return fail(env, "edge_kernels: create: wrong data array type");
  }
  double real = 0;
  if (argv[7] != NULL) {
    napi_valuetype vt;
    CHECK(env, napi_typeof(env, argv[7], &vt));
    if (vt == napi_number) CHECK(env, napi_get_value_double(env, argv[7], &real));
  }
  const int32_t *iv = ints.data;
  size_t s[20];
  struct edge_op *op = NULL;
  enum edge_status st = EDGE_ERR_INVALID;

  if (strcmp(kind, "gemm") == 0) {
    /* rows k n zx zo min max */
    if (sizes(&ints, 3, 7, s) && has(&zw, s[2]) && has(&bias, s[2]) && has(&scale, s[2]) &&
        has(&bytes, s[1] * s[2])) {
      struct edge_gemm_desc d = {s[0], s[1], s[2], iv[3], zw.data, bias.data, {scale.data, iv[4], iv[5], iv[6]}};
      st = edge_gemm_create(ctx, &d, bytes.data, &op);
    }
  } else if (strcmp(kind, "conv") == 0 || strcmp(kind, "depthwise") == 0) {
    /* ih iw ic oh ow oc kh kw sh sw pt pl dm zx zo min max */
    if (sizes(&ints, 13, 17, s)) {
      struct edge_conv_desc d = {s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11], s[12],
                                 iv[13], zw.data, bias.data, {scale.data, iv[14], iv[15], iv[16]}};
      const bool dw = kind[0] == 'd';
      const size_t weights = dw ? d.kernel_h * d.kernel_w * d.output_c
                                : d.output_c * d.kernel_h * d.kernel_w * d.input_c;
      if (has(&zw, d.output_c) && has(&bias, d.output_c) && has(&scale, d.output_c) && has(&bytes, weights)) {
        st = dw ? edge_dwconv_create(ctx, &d, bytes.data, &op) : edge_conv_create(ctx, &d, bytes.data, &op);
      }
    }
  } else if (strcmp(kind, "averagePool") == 0) {
    /* ih iw c oh ow fh fw sh sw pt pl z min max */
    if (sizes(&ints, 11, 14, s)) {
      struct edge_pool_desc d = {s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10],
                                 iv[11], iv[12], iv[13]};
      st = edge_avgpool_create(ctx, &d, &op);
    }
  } else if (strcmp(kind, "mean") == 0) {
    /* ih iw c zx multiplier shift zo min max */
    if (sizes(&ints, 3, 9, s)) {
      struct edge_mean_desc d = {s[0], s[1], s[2], iv[3], {iv + 4, iv + 5, iv[6], iv[7], iv[8]}};
      st = edge_mean_create(ctx, &d, &op);
    }
  } else if (strcmp(kind, "add") == 0) {
    /* size za zb ma mb shift zo min max */
    if (sizes(&ints, 1, 9, s)) {
      struct edge_add_desc d = {s[0], iv[1], iv[2], iv[3], iv[4], iv[5], iv[6], iv[7], iv[8]};
      st = edge_add_create(ctx, &d, &op);
    }
  } else if (strcmp(kind, "lookup") == 0) {
    /* size; bytes = the 256-byte table */
    if (sizes(&ints, 1, 1, s) && has(&bytes, 256)) {
      struct edge_lookup_desc d = {s[0], bytes.data};
      st = edge_lookup_create(ctx, &d, &op);
    }
  } else if (strcmp(kind, "mul") == 0) {
    /* rank shape[4] strideA[4] strideB[4] za zb zo min max; scale = [scale] */
    if (sizes(&ints, 13, 18, s) && has(&scale, 1)) {
      struct edge_mul_desc d = {s[0], {s[1], s[2], s[3], s[4]}, {s[5], s[6], s[7], s[8]}, {s[9], s[10], s[11], s[12]},
                                iv[13], iv[14], ((const float *)scale.data)[0], iv[15], iv[16], iv[17]};
      st = edge_mul_create(ctx, &d, &op);
    }
  } else if (softmax) {
    /* rows channels zo min max; reals = table; real = 1 / outputScale */
    if (sizes(&ints, 2, 5, s) && has(&reals, 256)) {
      struct edge_softmax_desc d = {s[0], s[1], reals.data, real, iv[2], iv[3], iv[4]};
      st = edge_softmax_create(ctx, &d, &op);
    }
  } else if (strcmp(kind, "requantize") == 0) {
    /* size zi multiplier shift zo min max */
    if (sizes(&ints, 1, 7, s)) {
      struct edge_requantize_desc d = {s[0], iv[1], {iv + 2, iv + 3, iv[4], iv[5], iv[6]}};
      st = edge_requantize_create(ctx, &d, &op);
    }
  } else if (strcmp(kind, "pad") == 0) {
    /* ih iw ic top bottom left right before after value */
    if (sizes(&ints, 9, 10, s)) {
      struct edge_pad_desc d = {s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], iv[9]};
      st = edge_pad_create(ctx, &d, &op);
    }
  } else if (strcmp(kind, "resize") == 0) {
    /* ih iw c oh ow bilinear; bias = the tables (resize.c) */
    if (sizes(&ints, 6, 6, s)) {
      struct edge_resize_desc d = {s[0], s[1], s[2], s[3], s[4], s[5] != 0, bias.data};
      st = has(&bias, edge_resize_table_length(&d)) ? edge_resize_create(ctx, &d, &op) : EDGE_ERR_INVALID;
    }
  } else if (strcmp(kind, "quantize") == 0 || strcmp(kind, "dequantize") == 0) {
    /* size zero_point min max; real = scale */
    if (sizes(&ints, 1, 4, s)) {
      struct edge_quantize_desc d = {s[0], real, iv[1], iv[2], iv[3]};
      st = kind[0] == 'q' ? edge_quantize_create(ctx, &d, &op) : edge_dequantize_create(ctx, &d, &op);
    }
  } else {
    return fail(env, "edge_kernels: unknown operator kind");
  }
  if (st != EDGE_OK) return fail_status(env, kind, st, NULL);
  napi_value ext;
  if (napi_create_external(env, op, finalize_operator, NULL, &ext) != napi_ok) {
    edge_op_destroy(op);
    return fail(env, "edge_kernels: could not wrap the operator");
  }
  /* Packed weights live outside the JS heap; without this the GC would not feel them. */
  int64_t total;
  CHECK(env, napi_adjust_external_memory(env, (int64_t)edge_op_bytes(op), &total));
  CHECK(env, napi_type_tag_object(env, ext, &operator_tag));
  return ext;
}

static napi_value kernel_name(napi_env env, napi_callback_info cb) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, cb, &argc, argv, NULL, NULL));
  struct edge_op *op = argc >= 1 ? unwrap(env, argv[0], &operator_tag) : NULL;
  if (op == NULL) return fail(env, "edge_kernels: expected an operator");
  return string(env, edge_op_kernel_name(op));
}

/* Any typed array with at least `count` elements of `bytes` each. */
static void *buffer(napi_env env, napi_value v, size_t count, size_t bytes, bool *ok) {
  bool is = false;
  *ok = false;
  if (v == NULL || napi_is_typedarray(env, v, &is) != napi_ok || !is) return NULL;
  napi_typedarray_type type;
  size_t length, offset;
  void *data;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &offset) != napi_ok) return NULL;
  const size_t element = type == napi_float32_array ? 4 : (type == napi_uint8_array ? 1 : 0);
  if (element != bytes || length < count || (count > 0 && data == NULL)) return NULL;
  *ok = true;
  return data;
}

static napi_value run(napi_env env, napi_callback_info cb) {
  size_t argc = 5;
  napi_value argv[5] = {NULL};
  CHECK(env, napi_get_cb_info(env, cb, &argc, argv, NULL, NULL));
  struct edge_context *ctx = unwrap(env, argv[0], &context_tag);
  struct edge_op *op = unwrap(env, argv[1], &operator_tag);
  if (ctx == NULL || op == NULL) return fail(env, "edge_kernels: run expects a context and an operator");
  const struct edge_op_shape shape = edge_op_shape(op);
  const size_t in_bytes = shape.float_input ? 4 : 1, out_bytes = shape.float_output ? 4 : 1;
  bool ok_in, ok_in2 = true, ok_out;
  const void *in = buffer(env, argv[2], shape.input, in_bytes, &ok_in);
  const void *in2 = shape.input2 > 0 ? buffer(env, argv[3], shape.input2, 1, &ok_in2) : NULL;
  void *out = buffer(env, argv[4], shape.output, out_bytes, &ok_out);
  if (!ok_in || !ok_in2 || !ok_out) return fail(env, "edge_kernels: run: a buffer has the wrong type or is too short");
  enum edge_status s = edge_op_run(ctx, op, in, in2, out);
  if (s != EDGE_OK) return fail_status(env, "run", s, NULL);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"info", NULL, info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"createContext", NULL, create_context, NULL, NULL, NULL, napi_enumerable, NULL},
      {"contextPath", NULL, context_path, NULL, NULL, NULL, napi_enumerable, NULL},
      {"create", NULL, create_operator, NULL, NULL, NULL, napi_enumerable, NULL},
      {"kernelName", NULL, kernel_name, NULL, NULL, NULL, napi_enumerable, NULL},
      {"run", NULL, run, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
