#!/usr/bin/env bash
# Installs what is missing (Debian packages), then builds everything into build/
# (or $BUILD_DIR) with CMake and Ninja. Extra arguments go to CMake.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/install-deps.sh
# ccache keys on paths relative to the checkout, so another clone reuses the cache.
export CCACHE_BASEDIR="$PWD"
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
ninja -C "$build_dir"
