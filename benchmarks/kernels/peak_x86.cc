// SPDX-License-Identifier: Apache-2.0
//
// Throughput peaks of the instructions the int8 and fp32 kernels live on,
// measured in the same process as the kernels so that kernel figures can be
// printed as a fraction of what this machine does right now: 16 independent
// accumulator chains (enough to cover latency × issue width), 64 instructions
// per loop iteration. Compiled with AVX-512 flags in its own library; only
// called after the dispatcher has confirmed the ISA.
#include <immintrin.h>

#include <cstdint>

namespace octet::bench {

#define OCTET_REP16(X) \
  X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)

int64_t peak_vpdpbusd_zmm(int64_t iterations) {
  __m512i a = _mm512_set1_epi32(0x01010101), b = _mm512_set1_epi32(0x01020304);
#define DECL(i) __m512i acc##i = _mm512_set1_epi32(i);
  OCTET_REP16(DECL)
#undef DECL
  for (int64_t it = 0; it < iterations; ++it) {
#define STEP(i) acc##i = _mm512_dpbusd_epi32(acc##i, a, b);
    OCTET_REP16(STEP)
    OCTET_REP16(STEP) OCTET_REP16(STEP) OCTET_REP16(STEP)
#undef STEP
        __asm__ volatile(""
                         : "+v"(a), "+v"(b));
  }
  __m512i s = _mm512_setzero_si512();
#define SUM(i) s = _mm512_add_epi32(s, acc##i);
  OCTET_REP16(SUM)
#undef SUM
  return _mm512_reduce_add_epi32(s);
}

int64_t peak_vpdpbusd_ymm(int64_t iterations) {
  __m256i a = _mm256_set1_epi32(0x01010101), b = _mm256_set1_epi32(0x01020304);
#define DECL(i) __m256i acc##i = _mm256_set1_epi32(i);
  OCTET_REP16(DECL)
#undef DECL
  for (int64_t it = 0; it < iterations; ++it) {
#define STEP(i) acc##i = _mm256_dpbusd_epi32(acc##i, a, b);
    OCTET_REP16(STEP)
    OCTET_REP16(STEP) OCTET_REP16(STEP) OCTET_REP16(STEP)
#undef STEP
        __asm__ volatile(""
                         : "+v"(a), "+v"(b));
  }
  __m256i s = _mm256_setzero_si256();
#define SUM(i) s = _mm256_add_epi32(s, acc##i);
  OCTET_REP16(SUM)
#undef SUM
  alignas(32) int32_t v[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(v), s);
  return v[0] + v[7];
}

int64_t peak_vfmadd231ps_zmm(int64_t iterations) {
  __m512 a = _mm512_set1_ps(1.0000001f), b = _mm512_set1_ps(0.9999999f);
#define DECL(i) __m512 acc##i = _mm512_set1_ps(static_cast<float>(i));
  OCTET_REP16(DECL)
#undef DECL
  for (int64_t it = 0; it < iterations; ++it) {
#define STEP(i) acc##i = _mm512_fmadd_ps(a, b, acc##i);
    OCTET_REP16(STEP)
    OCTET_REP16(STEP) OCTET_REP16(STEP) OCTET_REP16(STEP)
#undef STEP
        __asm__ volatile(""
                         : "+v"(a), "+v"(b));
  }
  __m512 s = _mm512_setzero_ps();
#define SUM(i) s = _mm512_add_ps(s, acc##i);
  OCTET_REP16(SUM)
#undef SUM
  return static_cast<int64_t>(_mm512_reduce_add_ps(s));
}

}  // namespace octet::bench
