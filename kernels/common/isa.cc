// SPDX-License-Identifier: Apache-2.0
#include "kernels/common/isa.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <cpuinfo.h>
#elif defined(__aarch64__) || defined(__arm__)
// ARM features straight from the kernel's auxiliary vector: no cpuinfo, so
// cross builds need no third-party ARM library (docs/porting.md).
#include <sys/auxv.h>
#endif

namespace octet::kernels {
namespace {

constexpr const char* kNames[kIsaCount] = {"scalar",     "avx2", "avxvnni",
                                           "avx512vnni", "neon", "neondot"};

bool compiled_in(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return true;
    case Isa::kAvx2:
#ifdef OCTET_HAVE_AVX2
      return true;
#else
      return false;
#endif
    case Isa::kAvxVnni:
#ifdef OCTET_HAVE_AVXVNNI
      return true;
#else
      return false;
#endif
    case Isa::kAvx512Vnni:
#ifdef OCTET_HAVE_AVX512VNNI
      return true;
#else
      return false;
#endif
    case Isa::kNeon:
#ifdef OCTET_HAVE_NEON
      return true;
#else
      return false;
#endif
    case Isa::kNeonDot:
#ifdef OCTET_HAVE_NEONDOT
      return true;
#else
      return false;
#endif
  }
  return false;
}

#if defined(__x86_64__) || defined(__i386__)
// AVX-VNNI (VEX vpdpbusd on ymm): CPUID.(EAX=7,ECX=1):EAX[4]. OS support for
// ymm state is implied by cpuinfo's AVX2 answer, which checks XCR0.
bool host_has_avxvnni() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) return false;
  return (eax & (1u << 4)) != 0 && cpuinfo_has_x86_avx2();
}
#endif

#if defined(__aarch64__)
// Linux arm64 HWCAP bits (arch/arm64/include/uapi/asm/hwcap.h), spelled out
// so an old libc's headers cannot hide them.
constexpr unsigned long kHwcapAsimd = 1ul << 1;
constexpr unsigned long kHwcapAsimdDp = 1ul << 20;  // sdot/udot (ARMv8.2 DotProd)
#elif defined(__arm__)
constexpr unsigned long kHwcapArmNeon = 1ul << 12;  // arch/arm/include/uapi/asm/hwcap.h
#endif

bool host_has(Isa isa) {
  if (isa == Isa::kScalar) return true;
#if defined(__aarch64__)
  const unsigned long hwcap = getauxval(AT_HWCAP);
  switch (isa) {
    case Isa::kNeon:
      return (hwcap & kHwcapAsimd) != 0;
    case Isa::kNeonDot:
      return (hwcap & kHwcapAsimd) != 0 && (hwcap & kHwcapAsimdDp) != 0;
    default:
      return false;
  }
#elif defined(__arm__)
  // 32-bit: NEON only; the AArch32 dot-product kernels do not exist.
  return isa == Isa::kNeon && (getauxval(AT_HWCAP) & kHwcapArmNeon) != 0;
#elif defined(__x86_64__) || defined(__i386__)
  if (!cpuinfo_initialize()) return false;
  switch (isa) {
    case Isa::kAvx2:
      return cpuinfo_has_x86_avx2();
    case Isa::kAvxVnni:
      return host_has_avxvnni();
    case Isa::kAvx512Vnni:
      return cpuinfo_has_x86_avx512f() && cpuinfo_has_x86_avx512bw() &&
             cpuinfo_has_x86_avx512vl() && cpuinfo_has_x86_avx512vnni();
    default:
      return false;
  }
#else
  return false;
#endif
}

struct IsaTable {
  bool available[kIsaCount];
  Isa best;
};

const IsaTable& table() {
  static std::once_flag once;
  static IsaTable t;
  std::call_once(once, [] {
    t.best = Isa::kScalar;
    for (int32_t i = 0; i < kIsaCount; ++i) {
      const Isa isa = static_cast<Isa>(i);
      t.available[i] = compiled_in(isa) && host_has(isa);
    }
    // Best first: the widest dot-product path the host has.
    constexpr Isa kPreference[] = {Isa::kAvx512Vnni, Isa::kAvxVnni, Isa::kAvx2, Isa::kNeonDot,
                                   Isa::kNeon};
    for (Isa isa : kPreference) {
      if (t.available[static_cast<int32_t>(isa)]) {
        t.best = isa;
        break;
      }
    }
    const char* env = getenv("OCTET_ISA");
    Isa forced;
    if (env != nullptr && parse_isa(env, &forced) && t.available[static_cast<int32_t>(forced)]) {
      t.best = forced;
    }
  });
  return t;
}

}  // namespace

const char* isa_name(Isa isa) {
  const int32_t i = static_cast<int32_t>(isa);
  return i >= 0 && i < kIsaCount ? kNames[i] : "unknown";
}

bool parse_isa(const char* name, Isa* isa) {
  if (name == nullptr) return false;
  for (int32_t i = 0; i < kIsaCount; ++i) {
    if (strcmp(name, kNames[i]) == 0) {
      *isa = static_cast<Isa>(i);
      return true;
    }
  }
  return false;
}

bool isa_available(Isa isa) {
  const int32_t i = static_cast<int32_t>(isa);
  return i >= 0 && i < kIsaCount && table().available[i];
}

Isa default_isa() { return table().best; }

int32_t isa_fallback_chain(Isa isa, Isa* chain) {
  static constexpr Isa kX86[] = {Isa::kAvx512Vnni, Isa::kAvxVnni, Isa::kAvx2, Isa::kScalar};
  static constexpr Isa kArm[] = {Isa::kNeonDot, Isa::kNeon, Isa::kScalar};
  const bool arm = isa == Isa::kNeon || isa == Isa::kNeonDot;
  const Isa* order = arm ? kArm : kX86;
  const int32_t n = arm ? 3 : 4;
  int32_t count = 0;
  bool started = false;
  for (int32_t i = 0; i < n; ++i) {
    if (order[i] == isa) started = true;
    if (started && isa_available(order[i])) chain[count++] = order[i];
  }
  if (count == 0) chain[count++] = Isa::kScalar;
  return count;
}

}  // namespace octet::kernels
