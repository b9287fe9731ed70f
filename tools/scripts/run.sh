#!/usr/bin/env bash
# Quick start: install, build, and run a single node with the embedded defaults
# (127.0.0.1:6379). Arguments are passed to crescentd (crescentd --help lists them).
# The build also makes the administration tool: build/crescent-cli -p 6379 status
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/build.sh
exec ./build/crescentd "$@"
