#!/usr/bin/env bash
# Quick start: install, build, and run every test: the unit tests (doctest, one binary
# per module) and the end-to-end tests (pytest, real crescentd processes on loopback
# ports, real clients). The last line is the total: "total: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
# ccache keys on paths relative to the checkout, so every build of every clone shares it.
export CCACHE_BASEDIR="$PWD"
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

# Hostile input: the unit and end-to-end tests again under sanitizers, and a short fuzzing
# run (tools/scripts/sanitize.sh, tools/scripts/fuzz.sh; fuzz/README.md). Each stage's
# script ends with "NAME: N passed, M failed", added to the totals here.
#   CRESCENT_SKIP_SANITIZERS=1  skip the ASan+UBSan and TSan stages
#   CRESCENT_SKIP_FUZZ=1        skip the fuzzing stage
#   CRESCENT_FUZZ_SECONDS=N     seconds per fuzz target (default 60)
#   CRESCENT_TSAN_E2E=1         also run the end-to-end suite under TSan (about 7 min, and
#                               tests with time or memory bounds fail under its overhead)
#   CRESCENT_SKIP_CONTAINER=1   skip building and running the container image
stage() {  # stage NAME COMMAND...
  local name=$1 start=$SECONDS line p f
  shift
  echo "== $name"
  "$@" 2>&1 | tee "$log/stage-$name.txt"
  line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed" "$log/stage-$name.txt" | tail -n 1)
  p=$(sed -E 's/^[^:]+: ([0-9]+) passed.*/\1/' <<<"$line")
  f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
  [[ "$p" =~ ^[0-9]+$ ]] || p=0
  [[ "$f" =~ ^[0-9]+$ ]] || f=1  # the script died before its summary
  echo "== $name took $((SECONDS - start)) s"
  passed=$((passed + p))
  failed=$((failed + f))
}
if [ "${CRESCENT_SKIP_SANITIZERS:-0}" != "1" ]; then
  stage asan bash tools/scripts/sanitize.sh address
  SANITIZE_E2E=${CRESCENT_TSAN_E2E:-0} stage tsan bash tools/scripts/sanitize.sh thread
fi
if [ "${CRESCENT_SKIP_FUZZ:-0}" != "1" ]; then
  stage fuzz bash tools/scripts/fuzz.sh "${CRESCENT_FUZZ_SECONDS:-60}"
fi
# The Dockerfile, built and run for real with podman (CRESCENT_SKIP_CONTAINER=1 skips it).
if [ "${CRESCENT_SKIP_CONTAINER:-0}" != "1" ]; then
  stage container-test bash tools/scripts/container-test.sh
fi

echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
