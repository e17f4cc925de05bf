/* SPDX-License-Identifier: Apache-2.0 */
/*
 * classify: load a .octet model from a file (mmap'd and verified, weights
 * used in place), run one input, print the top classes. Uses only the C API
 * in <octet/octet.h>.
 *
 *   classify MODEL.octet [INPUT.raw]
 *
 * INPUT.raw holds exactly the model input's bytes in its dtype (e.g. what
 * numpy's ndarray.tofile() writes). Without it, a fixed test pattern is used.
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

static int fill_input(const octet_tensor_info* t, void* dst, const char* path) {
  if (path != NULL) {
    FILE* f = fopen(path, "rb");
    if (f == NULL) {
      fprintf(stderr, "classify: cannot open '%s'\n", path);
      return 0;
    }
    size_t got = fread(dst, 1, t->bytes, f);
    int extra = fgetc(f) != EOF;
    fclose(f);
    if (got != t->bytes || extra) {
      fprintf(stderr, "classify: '%s' must hold exactly %zu bytes for input '%s' (%s)\n", path,
              t->bytes, t->name, octet_dtype_name(t->dtype));
      return 0;
    }
    return 1;
  }
  size_t n = t->bytes / octet_dtype_size(t->dtype);
  for (size_t i = 0; i < n; ++i) {
    double v = (double)((i * 37) % 101) / 100.0; /* a deterministic pattern in [0, 1] */
    switch (t->dtype) {
      case OCTET_FLOAT32: ((float*)dst)[i] = (float)v; break;
      case OCTET_UINT8: ((uint8_t*)dst)[i] = (uint8_t)(v * 255.0); break;
      case OCTET_INT8: ((int8_t*)dst)[i] = (int8_t)(v * 255.0 - 128.0); break;
      default:
        fprintf(stderr, "classify: input dtype %s not handled\n", octet_dtype_name(t->dtype));
        return 0;
    }
  }
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: classify MODEL.octet [INPUT.raw]\n");
    return 2;
  }
  octet_model* model = NULL;
  if (octet_model_load_file(argv[1], NULL, &model) != OCTET_OK) {
    fprintf(stderr, "classify: %s\n", octet_model_last_error(model));
    octet_model_destroy(model);
    return 1;
  }
  octet_interpreter* it = NULL;
  if (octet_interpreter_create(model, NULL, &it) != OCTET_OK) {
    fprintf(stderr, "classify: %s\n", octet_interpreter_last_error(it));
    octet_interpreter_destroy(it);
    octet_model_destroy(model);
    return 1;
  }
  octet_tensor_info in, out;
  octet_model_input_info(model, 0, &in);
  octet_model_output_info(model, 0, &out);
  int rc = 1;
  if (fill_input(&in, octet_interpreter_input_data(it, 0), argc == 3 ? argv[2] : NULL) &&
      octet_interpreter_invoke(it) == OCTET_OK) {
    const void* y = octet_interpreter_output_data(it, 0);
    size_t n = out.bytes / octet_dtype_size(out.dtype);
    printf("model %s: input '%s' %s, output '%s' %s with %zu classes\n", argv[1], in.name,
           octet_dtype_name(in.dtype), out.name, octet_dtype_name(out.dtype), n);
    /* Top 5 by selection: n is small for classifiers. */
    int used[4096] = {0};
    size_t top = n < 5 ? n : 5;
    for (size_t k = 0; k < top && n <= 4096; ++k) {
      size_t best = 0;
      double best_v = -1e300;
      for (size_t i = 0; i < n; ++i) {
        double v = output_value(&out, y, i);
        if (!used[i] && v > best_v) {
          best_v = v;
          best = i;
        }
      }
      used[best] = 1;
      printf("  #%zu class %zu: %.4f\n", k + 1, best, best_v);
    }
    rc = 0;
  } else if (argc != 3) {
    fprintf(stderr, "classify: %s\n", octet_interpreter_last_error(it));
  }
  octet_interpreter_destroy(it);
  octet_model_destroy(model);
  return rc;
}
