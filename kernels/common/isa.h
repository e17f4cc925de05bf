// SPDX-License-Identifier: Apache-2.0
//
// Instruction-set paths and how one is chosen. The host's features come from
// cpuinfo on x86 (plus CPUID for AVX-VNNI, which Debian 12's cpuinfo
// predates) and from getauxval(AT_HWCAP) on ARM (no cpuinfo there), the
// ISAs compiled into this build from OCTET_HAVE_* definitions set by
// kernels/CMakeLists.txt. OCTET_ISA=<name> in the environment, or the
// interpreter option `isa`, forces a path so tests can run every path the
// host has; a path the host or the build lacks is never chosen.
#pragma once

#include <cstdint>

namespace octet::kernels {

/// Kernel paths, lowest first. A path implies nothing about the others: a
/// Zen 4 has avx512vnni but not avxvnni (the VEX encoding).
enum class Isa : int32_t {
  kScalar = 0,
  kAvx2 = 1,
  kAvxVnni = 2,
  kAvx512Vnni = 3,
  kNeon = 4,
  kNeonDot = 5,
};

constexpr int32_t kIsaCount = 6;

/// "scalar", "avx2", "avxvnni", "avx512vnni", "neon", "neondot".
const char* isa_name(Isa isa);

/// Parses an ISA name (case-sensitive); false when unknown.
bool parse_isa(const char* name, Isa* isa);

/// True when the path is compiled into this build and the host can run it.
bool isa_available(Isa isa);

/// The best available path, or the one OCTET_ISA names when it is available
/// (an unknown or unavailable name is ignored). Computed once.
Isa default_isa();

/// Paths to try for an operator when `isa` is selected, best first: `isa`
/// itself, then every lower available path of the same family down to
/// scalar (avx512vnni -> avxvnni -> avx2 -> scalar; neondot -> neon ->
/// scalar). Writes at most kIsaCount entries, returns the count.
int32_t isa_fallback_chain(Isa isa, Isa* chain);

}  // namespace octet::kernels
