#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's first command: install what is missing, build, and run the
# main job (build a model with the builder API, write fp32 and int8 .octet
# files, run both, compare results and speed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build_dir="${OCTET_BUILD_DIR:-build}"
mkdir -p "$build_dir/quickstart"
"$build_dir/bin/quickstart" --out "$build_dir/quickstart"
echo
"$build_dir/bin/octet" inspect "$build_dir/quickstart/quickstart_int8.octet" | head -n 30
