#!/usr/bin/env bash
# Quick start: install, build, and run every test: the unit tests (doctest, one binary
# per module) and the end-to-end tests (pytest, real crescentd processes on loopback
# ports, real clients). The last line is the total: "total: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/build.sh || { echo "total: 0 passed, 1 failed (build)"; exit 1; }

passed=0
failed=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

echo "== unit tests"
for bin in build/unit_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  "$bin" --no-intro=true >"$log/$name.txt" 2>&1
  rc=$?
  line=$(grep -E '^\[doctest\] test cases:' "$log/$name.txt" | tail -n 1)
  p=$(sed -E 's/.*\| *([0-9]+) passed.*/\1/' <<<"$line")
  f=$(sed -E 's/.*\| *([0-9]+) failed.*/\1/' <<<"$line")
  [[ "$p" =~ ^[0-9]+$ ]] || p=0
  [[ "$f" =~ ^[0-9]+$ ]] || f=0
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  echo "$name: $p passed, $f failed"
  [ "$f" -ne 0 ] && cat "$log/$name.txt"
  passed=$((passed + p))
  failed=$((failed + f))
done

echo "== end-to-end tests"
# Debian's python3 (python3-redis, python3-pytest), whatever python3 is first on PATH.
/usr/bin/python3 -m pytest tests/e2e -q -p no:cacheprovider 2>&1 | tee "$log/e2e.txt"
summary=$(grep -E '(passed|failed|error)' "$log/e2e.txt" | tail -n 1)
p=$(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
f=0
for n in $(grep -oE '[0-9]+ (failed|errors?)' <<<"$summary" | grep -oE '^[0-9]+'); do f=$((f + n)); done
[ -n "$p" ] || p=0
if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; fi  # pytest itself failed to run
passed=$((passed + p))
failed=$((failed + f))

echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
