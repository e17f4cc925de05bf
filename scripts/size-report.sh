#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Size of the static_arena example (docs/porting.md "Size"): the int8
# Fashion-MNIST CNN embedded in the binary, an int8-only runtime
# (OCTET_WITH_FP32=OFF, OCTET_OPS=none, no threads), -Os (MinSizeRel), static
# link with --gc-sections, with
#   (a) an op resolver holding only the CNN's operators (octet inspect --ops-header)
#   (b) an op resolver holding every operator (all int8 kernels)
# for aarch64 (cmake/toolchains/aarch64-linux-gnu.cmake) and x86-64.
#
#   scripts/size-report.sh [HOST_BUILD_DIR]      (default: build-install)
#
# HOST_BUILD_DIR is a normal host build with the tools and examples; its
# static_arena target writes the embedded model and the CNN's operator list.
# The "Octet" column sums the input sections the linker kept from Octet's
# archives (liboctet*.a, from the link map); "loaded" is text + data of the
# whole stripped executable as `size` reports it (the model array included);
# "file" its size on disk, which on aarch64 is dominated by the padding that
# aligns segments to 64 KB pages; "model" the embedded .octet bytes.
# OCTET_SIZE_HOST_BUILD=0 skips rebuilding the host's static_arena.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
host="${1:-$root/build-install}"
archs="${OCTET_SIZE_ARCHS:-aarch64 x86_64}"
jobs="${OCTET_SIZE_JOBS:-2}"

if [ ! -f "$host/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$host" -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
fi
# OCTET_SIZE_HOST_BUILD=0 reuses the host's generated files as they are.
if [ "${OCTET_SIZE_HOST_BUILD:-1}" != 0 ]; then
  echo "== host build $host: static_arena (embeds the int8 CNN, writes its operator list)" >&2
  cmake --build "$host" --target static_arena -j"$jobs" > /dev/null
fi
gen="$host/examples/generated"
for f in static_arena_model.c static_arena_model.h static_arena_ops.h; do
  [ -f "$gen/$f" ] || { echo "size-report: $gen/$f missing" >&2; exit 1; }
done

# (a) the CNN's operators; (b) every operator, same names.
work="$root/build-size-generated"
mkdir -p "$work/cnn" "$work/all"
cp "$gen/static_arena_model.c" "$gen/static_arena_model.h" "$gen/static_arena_ops.h" "$work/cnn/"
cp "$gen/static_arena_model.c" "$gen/static_arena_model.h" "$work/all/"
ops=$(grep -o 'octet_op octet_op_[a-z0-9_]*' "$root/include/octet/octet.h" | awk '{print "&"$2}')
n=$(echo "$ops" | wc -l)
{
  echo "/* Every operator (scripts/size-report.sh). */"
  echo "#ifndef STATIC_ARENA_OPS_OPS_H_"
  echo "#define STATIC_ARENA_OPS_OPS_H_"
  echo "#include <octet/octet.h>"
  echo "#define STATIC_ARENA_OPS_NUM_OPS $n"
  echo "#define STATIC_ARENA_OPS_OPS $(echo $ops | sed 's/ /, /g')"
  echo "static inline octet_op_resolver static_arena_ops_resolver(void) {"
  echo "  static const octet_op* const ops[] = {STATIC_ARENA_OPS_OPS};"
  echo "  octet_op_resolver resolver = {sizeof(octet_op_resolver), ops, STATIC_ARENA_OPS_NUM_OPS};"
  echo "  return resolver;"
  echo "}"
  echo "#endif"
} > "$work/all/static_arena_ops.h"
cnn_ops=$(grep -o '&octet_op_[a-z0-9_]*' "$work/cnn/static_arena_ops.h" | sed 's/&octet_op_//' | tr '\n' ' ')

# sizes MAP: "octet_text octet_rodata octet_data octet_bss" of Octet's kept input sections.
octet_sections() {
  python3 - "$1" <<'EOF'
import re, sys
kinds = {"text": 0, "rodata": 0, "data": 0, "bss": 0}
in_map = False
pending = None
for line in open(sys.argv[1], errors="replace"):
    if line.startswith("Linker script and memory map"):
        in_map = True
        continue
    if not in_map:
        continue
    # " .text.name  0xADDR  0xSIZE file" (or the name alone on the line before).
    m = re.match(r"^ (\.[\w.$@-]+)?\s*(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(\S+)", line)
    if m is None:
        m2 = re.match(r"^ (\.[\w.$@-]+)\s*$", line)
        pending = m2.group(1) if m2 else None
        continue
    name = m.group(1) or pending
    pending = None
    path = m.group(4)
    if name is None or "liboctet" not in path:
        continue
    size = int(m.group(3), 16)
    if name.startswith(".text"):
        kinds["text"] += size
    elif name.startswith((".rodata", ".eh_frame", ".gcc_except")):
        kinds["rodata"] += size
    elif name.startswith((".data", ".init_array", ".fini_array")):
        kinds["data"] += size
    elif name.startswith(".bss") or name.startswith("COMMON"):
        kinds["bss"] += size
print(kinds["text"], kinds["rodata"], kinds["data"], kinds["bss"])
EOF
}

kb() { awk -v b="$1" 'BEGIN { printf "%.1f KB", b / 1024 }'; }

rows=()
for arch in $archs; do
  dir="$root/build-size-$arch"
  args=(-G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel -DOCTET_BUILD_TOOLS=OFF -DOCTET_BUILD_TESTS=OFF
        -DOCTET_BUILD_BENCHMARKS=OFF -DOCTET_BUILD_CONVERTER=OFF -DOCTET_BUILD_EXAMPLES=ON
        -DOCTET_INSTALL=OFF -DOCTET_WITH_FP32=OFF -DOCTET_OPS=none -DOCTET_WITH_THREADS=OFF)
  strip=strip
  size=size
  if [ "$arch" = aarch64 ]; then
    if [ -f "$root/cmake/toolchains/aarch64-linux-gnu.cmake" ]; then
      args+=(-DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/aarch64-linux-gnu.cmake")
    else
      args+=(-DCMAKE_C_COMPILER=aarch64-linux-gnu-gcc -DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++
             -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64)
    fi
    strip=aarch64-linux-gnu-strip
    size=aarch64-linux-gnu-size
  fi
  for set in cnn all; do
    echo "== $arch, $set operators: $dir" >&2
    mkdir -p "$dir"
    cmake -S "$root" -B "$dir" "${args[@]}" -DOCTET_STATIC_ARENA_GENERATED="$work/$set" \
      -DCMAKE_EXE_LINKER_FLAGS="-Wl,-Map=$dir/static_arena.map" > "$dir/size-configure.log" 2>&1 ||
      { cat "$dir/size-configure.log" >&2; exit 1; }
    # The example's sources are the same file names: force its rebuild.
    rm -f "$dir/bin/static_arena"
    find "$dir/examples" -name 'static_arena*.o' -delete 2>/dev/null || true
    cmake --build "$dir" --target static_arena -j"$jobs" > "$dir/size-build.log" 2>&1 ||
      { tail -30 "$dir/size-build.log" >&2; exit 1; }
    read -r text rodata data bss < <(octet_sections "$dir/static_arena.map")
    "$strip" -o "$dir/static_arena.$set.stripped" "$dir/bin/static_arena"
    cp "$dir/bin/static_arena" "$dir/static_arena.$set"
    cp "$dir/static_arena.map" "$dir/static_arena.$set.map"
    whole=$(stat -c %s "$dir/static_arena.$set.stripped")
    loaded=$("$size" "$dir/static_arena.$set.stripped" | awk 'NR == 2 { print $1 + $2 }')
    model=$(grep -o 'static_arena_model_size = [0-9]*' "$work/$set/static_arena_model.c" | awk '{print $3}')
    octet=$((text + rodata + data))
    label="(a) CNN ops: $cnn_ops"
    [ "$set" = all ] && label="(b) all $n operators"
    rows+=("| $arch | $label | $(kb $octet) ($text text + $rodata rodata + $data data) | $(kb $bss) | $(kb "$loaded") ($loaded B) | $(kb "$whole") | $(kb "$model") |")
  done
done

echo
echo "static_arena, -Os (MinSizeRel), OCTET_WITH_FP32=OFF, OCTET_OPS=none, OCTET_WITH_THREADS=OFF, --gc-sections"
echo
echo "| target | op resolver | Octet code (kept from liboctet*.a) | Octet .bss | stripped binary, loaded (text+data) | file size | of which model |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
