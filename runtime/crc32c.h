// SPDX-License-Identifier: Apache-2.0
//
// CRC-32C (Castagnoli), the model file checksum. Table-driven, 8 bytes per
// step; the polynomial is the one with hardware support on x86 (SSE4.2) and
// ARMv8 (CRC extension), which a faster path can use later without changing
// the files.
#pragma once

#include <cstddef>
#include <cstdint>

namespace octet::rt {

/// Continues a CRC-32C over `n` bytes (start with crc = 0).
uint32_t crc32c_update(uint32_t crc, const void* data, size_t n);

/// CRC-32C of a model file whose 4-byte checksum field at `field_offset`
/// counts as zero bytes.
uint32_t model_checksum(const uint8_t* data, size_t size, size_t field_offset);

}  // namespace octet::rt
