/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A program built outside the Octet tree against an installed Octet
 * (tests/consumer/consumer_test.sh): loads MODEL with the op resolver
 * written by `octet inspect MODEL --ops-header model_ops.h`, runs it on a
 * fixed input and prints the top class. With a second argument "--missing"
 * it loads with a resolver lacking the model's first operator and expects
 * the load to fail naming it.
 */
#include <octet/octet.h>
#include <stdio.h>
#include <string.h>

#include "model_ops.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MODEL.octet [--missing]\n", argv[0]);
    return 2;
  }
  octet_op_resolver resolver = model_ops_resolver();
  const int missing = argc > 2 && strcmp(argv[2], "--missing") == 0;
  const octet_op* first = resolver.ops[0];
  if (missing) {
    /* Drop the first operator the model needs. */
    resolver.ops += 1;
    resolver.num_ops -= 1;
  }
  octet_model_options mo;
  memset(&mo, 0, sizeof(mo));
  mo.struct_size = sizeof(mo);
  mo.resolver = &resolver;
  octet_model* model = NULL;
  const octet_status s = octet_model_load_file(argv[1], &mo, &model);
  if (missing) {
    const char* error = model ? octet_model_last_error(model) : "";
    const char* name = octet_op_name(first);
    printf("consumer: load without %s: %s: %s\n", name, octet_status_string(s), error);
    const int named = strstr(error, name) != NULL;
    octet_model_destroy(model);
    return s == OCTET_ERROR_UNSUPPORTED && named ? 0 : 1;
  }
  if (s != OCTET_OK) {
    fprintf(stderr, "consumer: %s\n", model ? octet_model_last_error(model) : "out of memory");
    octet_model_destroy(model);
    return 1;
  }
  octet_interpreter* it = NULL;
  if (octet_interpreter_create(model, NULL, &it) != OCTET_OK) {
    fprintf(stderr, "consumer: %s\n", it ? octet_interpreter_last_error(it) : "out of memory");
    octet_interpreter_destroy(it);
    octet_model_destroy(model);
    return 1;
  }
  octet_tensor_info in, out;
  octet_model_input_info(model, 0, &in);
  octet_model_output_info(model, 0, &out);
  unsigned char* x = (unsigned char*)octet_interpreter_input_data(it, 0);
  memset(x, 0, in.bytes);
  if (in.dtype == OCTET_FLOAT32) {
    float* f = (float*)x;
    for (size_t i = 0; i < in.bytes / 4; ++i) f[i] = (float)(i % 29) / 28.0f;
  }
  if (octet_interpreter_invoke(it) != OCTET_OK) {
    fprintf(stderr, "consumer: %s\n", octet_interpreter_last_error(it));
    return 1;
  }
  int best = 0;
  if (out.dtype == OCTET_FLOAT32) {
    const float* p = (const float*)octet_interpreter_output_data(it, 0);
    for (size_t c = 1; c < out.bytes / 4; ++c) best = p[c] > p[best] ? (int)c : best;
  } else {
    const signed char* p = (const signed char*)octet_interpreter_output_data(it, 0);
    for (size_t c = 1; c < out.bytes; ++c) best = p[c] > p[best] ? (int)c : best;
  }
  printf("consumer: Octet %s, %d registered operators, top class %d\n", octet_version(),
         resolver.num_ops, best);
  octet_interpreter_destroy(it);
  octet_model_destroy(model);
  return 0;
}
