/* SPDX-License-Identifier: Apache-2.0 */
/*
 * classify: load a .octet model from a file (mmap'd and verified, weights
 * used in place), run one input, print the top classes. Uses only the C API
 * in <octet/octet.h>.
 *
 *   classify MODEL.octet [INPUT.raw | IMAGE.pgm | IMAGES-idx3-ubyte INDEX]
 *
 * The input side has no float code: a model quantized with
 * `octet quantize --input-type uint8` (normalization folded in) takes the
 * raw pixel bytes of an 8-bit grayscale PGM (P5) or of image INDEX of an
 * uncompressed IDX file (as MNIST/Fashion-MNIST ship, gunzipped) directly;
 * an int8-input model gets them shifted by 128. INPUT.raw holds exactly the
 * model input's bytes in its dtype (e.g. what numpy's ndarray.tofile()
 * writes). Without an input, a fixed test pattern is used.
 */
#include <octet/octet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double output_value(const octet_tensor_info* t, const void* data, size_t i) {
  switch (t->dtype) {
    case OCTET_FLOAT32: return ((const float*)data)[i];
    case OCTET_INT8: return t->scale * (((const int8_t*)data)[i] - t->zero_point);
    case OCTET_UINT8: return t->scale * (((const uint8_t*)data)[i] - t->zero_point);
    default: return 0.0;
  }
}

/* Integer score for ranking: the quantized value itself (same order as the
 * real value, scale > 0), so an integer-output model needs no float. */
static long long output_rank(const octet_tensor_info* t, const void* data, size_t i) {
  switch (t->dtype) {
    case OCTET_INT8: return ((const int8_t*)data)[i];
    case OCTET_UINT8: return ((const uint8_t*)data)[i];
    default: return 0;
  }
}

static int ends_with(const char* s, const char* suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Reads exactly `n` bytes at `offset` of `path` into `dst`. */
static int read_at(const char* path, long offset, void* dst, size_t n) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "classify: cannot open '%s'\n", path);
    return 0;
  }
  int ok = fseek(f, offset, SEEK_SET) == 0 && fread(dst, 1, n, f) == n;
  fclose(f);
  if (!ok) fprintf(stderr, "classify: '%s' is too short\n", path);
  return ok;
}

static unsigned be32(const unsigned char* p) {
  return ((unsigned)p[0] << 24) | ((unsigned)p[1] << 16) | ((unsigned)p[2] << 8) | p[3];
}

/* Image geometry the input wants: height, width, channels from its shape and
 * layout ([1,H,W,C] NHWC, [1,C,H,W] NCHW, [1,H,W]). */
static int input_geometry(const octet_model* m, const octet_tensor_info* t, size_t* h, size_t* w,
                          size_t* c) {
  octet_layout l = octet_model_input_layout(m, 0);
  if (t->rank == 3) {
    *h = (size_t)t->dims[1], *w = (size_t)t->dims[2], *c = 1;
  } else if (t->rank == 4 && l == OCTET_LAYOUT_NCHW) {
    *c = (size_t)t->dims[1], *h = (size_t)t->dims[2], *w = (size_t)t->dims[3];
  } else if (t->rank == 4) {
    *h = (size_t)t->dims[1], *w = (size_t)t->dims[2], *c = (size_t)t->dims[3];
  } else {
    return 0;
  }
  return 1;
}

/* Raw 8-bit pixels into an integer input: uint8 as they are, int8 minus 128
 * (uint8 I/O is int8 shifted by 128). */
static int pixels_to_input(const octet_tensor_info* t, unsigned char* px, size_t n, void* dst) {
  size_t i;
  if (t->dtype == OCTET_UINT8) {
    memcpy(dst, px, n);
  } else if (t->dtype == OCTET_INT8) {
    for (i = 0; i < n; ++i) ((int8_t*)dst)[i] = (int8_t)(px[i] ^ 0x80);
  } else {
    fprintf(stderr,
            "classify: input '%s' is %s; raw images need a uint8 or int8 input "
            "(octet quantize --input-type uint8)\n",
            t->name, octet_dtype_name(t->dtype));
    return 0;
  }
  return 1;
}

/* An 8-bit grayscale binary PGM (P5) of the input's size. */
static int read_pgm(const octet_model* m, const octet_tensor_info* t, const char* path, void* dst) {
  size_t h, w, c;
  unsigned width = 0, height = 0, maxval = 0;
  char magic[3] = {0};
  long offset;
  int ok;
  unsigned char* px;
  FILE* f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "classify: cannot open '%s'\n", path);
    return 0;
  }
  /* Header: "P5", width, height, maxval, one whitespace byte (no comments). */
  ok = fscanf(f, "%2s %u %u %u", magic, &width, &height, &maxval) == 4 && strcmp(magic, "P5") == 0 &&
       maxval == 255 && fgetc(f) != EOF;
  offset = ftell(f);
  fclose(f);
  if (!ok) {
    fprintf(stderr, "classify: '%s' is not an 8-bit binary PGM (P5, maxval 255)\n", path);
    return 0;
  }
  if (!input_geometry(m, t, &h, &w, &c) || c != 1 || h != height || w != width) {
    fprintf(stderr, "classify: '%s' is %ux%u grayscale; input '%s' needs %zu bytes (%s)\n", path,
            width, height, t->name, t->bytes, octet_dtype_name(t->dtype));
    return 0;
  }
  px = (unsigned char*)malloc(h * w);
  ok = px != NULL && read_at(path, offset, px, h * w) && pixels_to_input(t, px, h * w, dst);
  free(px);
  return ok;
}

/* Image `index` of an uncompressed IDX file of unsigned bytes. */
static int read_idx(const octet_model* m, const octet_tensor_info* t, const char* path,
                    const char* index_arg, void* dst) {
  unsigned char head[16];
  size_t h, w, c, n;
  char* end = NULL;
  unsigned long index = strtoul(index_arg, &end, 10);
  unsigned char* px;
  int ok;
  if (end == index_arg || *end != '\0') {
    fprintf(stderr, "classify: image index '%s' is not a number\n", index_arg);
    return 0;
  }
  if (!read_at(path, 0, head, sizeof(head))) return 0;
  if (head[0] != 0 || head[1] != 0 || head[2] != 0x08 || head[3] != 3) {
    fprintf(stderr, "classify: '%s' is not an uncompressed IDX file of 8-bit images (gunzip it)\n",
            path);
    return 0;
  }
  if (!input_geometry(m, t, &h, &w, &c) || c != 1 || be32(head + 8) != h || be32(head + 12) != w) {
    fprintf(stderr, "classify: '%s' holds %ux%u images; input '%s' does not match\n", path,
            be32(head + 8), be32(head + 12), t->name);
    return 0;
  }
  if (index >= be32(head + 4)) {
    fprintf(stderr, "classify: '%s' has %u images; index %lu is out of range\n", path,
            be32(head + 4), index);
    return 0;
  }
  n = h * w;
  px = (unsigned char*)malloc(n);
  ok = px != NULL && read_at(path, (long)(16 + index * n), px, n) && pixels_to_input(t, px, n, dst);
  free(px);
  return ok;
}

static int read_raw(const octet_tensor_info* t, const char* path, void* dst) {
  FILE* f = fopen(path, "rb");
  size_t got;
  int extra;
  if (f == NULL) {
    fprintf(stderr, "classify: cannot open '%s'\n", path);
    return 0;
  }
  got = fread(dst, 1, t->bytes, f);
  extra = fgetc(f) != EOF;
  fclose(f);
  if (got != t->bytes || extra) {
    fprintf(stderr, "classify: '%s' must hold exactly %zu bytes for input '%s' (%s)\n", path,
            t->bytes, t->name, octet_dtype_name(t->dtype));
    return 0;
  }
  return 1;
}

static int fill_pattern(const octet_tensor_info* t, void* dst) {
  size_t n = t->bytes / octet_dtype_size(t->dtype);
  size_t i;
  for (i = 0; i < n; ++i) {
    unsigned v = (unsigned)((i * 37) % 101) * 255u / 100u; /* a deterministic pattern, 0..255 */
    switch (t->dtype) {
      case OCTET_FLOAT32: ((float*)dst)[i] = (float)v / 255.0f; break;
      case OCTET_UINT8: ((uint8_t*)dst)[i] = (uint8_t)v; break;
      case OCTET_INT8: ((int8_t*)dst)[i] = (int8_t)(v ^ 0x80); break;
      default:
        fprintf(stderr, "classify: input dtype %s not handled\n", octet_dtype_name(t->dtype));
        return 0;
    }
  }
  return 1;
}

int main(int argc, char** argv) {
  octet_model* model = NULL;
  octet_interpreter* it = NULL;
  octet_tensor_info in, out;
  int rc = 1, ok;
  void* x;
  if (argc < 2 || argc > 4) {
    fprintf(stderr, "usage: classify MODEL.octet [INPUT.raw | IMAGE.pgm | IMAGES-idx3-ubyte INDEX]\n");
    return 2;
  }
  if (octet_model_load_file(argv[1], NULL, &model) != OCTET_OK) {
    fprintf(stderr, "classify: %s\n", octet_model_last_error(model));
    octet_model_destroy(model);
    return 1;
  }
  if (octet_interpreter_create(model, NULL, &it) != OCTET_OK) {
    fprintf(stderr, "classify: %s\n", octet_interpreter_last_error(it));
    octet_interpreter_destroy(it);
    octet_model_destroy(model);
    return 1;
  }
  octet_model_input_info(model, 0, &in);
  octet_model_output_info(model, 0, &out);
  x = octet_interpreter_input_data(it, 0);
  if (argc == 4) {
    ok = read_idx(model, &in, argv[2], argv[3], x);
  } else if (argc == 3 && ends_with(argv[2], ".pgm")) {
    ok = read_pgm(model, &in, argv[2], x);
  } else if (argc == 3) {
    ok = read_raw(&in, argv[2], x);
  } else {
    ok = fill_pattern(&in, x);
  }
  if (ok && octet_interpreter_invoke(it) == OCTET_OK) {
    const void* y = octet_interpreter_output_data(it, 0);
    size_t n = out.bytes / octet_dtype_size(out.dtype);
    printf("model %s: input '%s' %s %s, output '%s' %s with %zu classes\n", argv[1], in.name,
           octet_dtype_name(in.dtype), octet_layout_name(octet_model_input_layout(model, 0)),
           out.name, octet_dtype_name(out.dtype), n);
    /* Top 5 by selection: n is small for classifiers. */
    int used[4096] = {0};
    size_t top = n < 5 ? n : 5;
    for (size_t k = 0; k < top && n <= 4096; ++k) {
      size_t best = 0;
      int found = 0;
      for (size_t i = 0; i < n; ++i) {
        if (used[i]) continue;
        if (!found || (out.dtype == OCTET_FLOAT32
                           ? output_value(&out, y, i) > output_value(&out, y, best)
                           : output_rank(&out, y, i) > output_rank(&out, y, best))) {
          best = i;
          found = 1;
        }
      }
      used[best] = 1;
      if (out.dtype == OCTET_FLOAT32) {
        printf("  #%zu class %zu: %.4f\n", k + 1, best, output_value(&out, y, best));
      } else {
        printf("  #%zu class %zu: q %lld (real %.4f)\n", k + 1, best, output_rank(&out, y, best),
               output_value(&out, y, best));
      }
    }
    rc = 0;
  } else if (ok) {
    fprintf(stderr, "classify: %s\n", octet_interpreter_last_error(it));
  }
  octet_interpreter_destroy(it);
  octet_model_destroy(model);
  return rc;
}
