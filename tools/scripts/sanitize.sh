#!/usr/bin/env bash
# sanitize.sh address|thread: builds crescentd and the unit tests with sanitizers and runs
# them, then runs the end-to-end suite against the sanitized crescentd.
#
#   address  ASan + UBSan (-DCRESCENT_SANITIZE=address,undefined) in build-asan/;
#            leaks are detected, the first report aborts (a sanitized crescentd that
#            reports anything exits non-zero, which the e2e fixture asserts against)
#   thread   TSan (-DCRESCENT_SANITIZE=thread) in build-tsan/; the first race aborts
#
# Environment:
#   SANITIZE_CXX=g++        the compiler (g++ or clang++)
#   SANITIZE_E2E=0          skip the end-to-end suite (default: run it)
#   SANITIZE_E2E_ARGS=...   extra pytest arguments, e.g. "-k protocol" or "-x"
# The e2e suite runs with CRESCENT_SANITIZED=address|thread in its environment.
#
# Output: one line per unit binary and one for e2e, "NAME: N passed, M failed", and last
# the stage's total, "asan: N passed, M failed" (or "tsan: ..."), which test.sh adds up.
# Exit status: 0 when nothing failed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

mode=${1:-}
case "$mode" in
  address)
    stage=asan
    build_dir=build-asan
    sanitizers=address,undefined
    # abort_on_error: a report ends the process with SIGABRT, so an exit code of 0 means
    # there was none. detect_stack_use_after_return costs little and finds real bugs.
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    ;;
  thread)
    stage=tsan
    build_dir=build-tsan
    sanitizers=thread
    export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
    ;;
  *)
    echo "usage: $0 address|thread" >&2
    exit 2
    ;;
esac

# ccache (CMake uses it when installed) across clones of the repository, as CI builds a
# fresh one: paths taken relative to the repository, the working directory left out of
# the hash, and the headers that CMake precompiles accepted.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros}

passed=0
failed=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

if [ "$mode" = thread ]; then
  # RocksDB comes from Debian's librocksdb.a, built without TSan: its own locking is
  # invisible to TSan, which then reports races inside it (e.g. rocksdb::GetRegistry()
  # against rocksdb::CopyCacheDeleterRoleMap() at start-up) that are not races. Only
  # reports whose stack is inside RocksDB are suppressed.
  printf '%s\n' 'race:rocksdb::' 'race:librocksdb' >"$log/tsan.supp"
  export TSAN_OPTIONS="$TSAN_OPTIONS:suppressions=$log/tsan.supp"
fi

finish() {
  echo "$stage: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

# --- build -------------------------------------------------------------------------
bash tools/scripts/install-deps.sh || { failed=1; echo "$stage: install-deps failed"; finish; }
cxx=${SANITIZE_CXX:-g++}
start=$SECONDS
echo "== $stage: building $build_dir ($cxx, -fsanitize=$sanitizers)"
if ! cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
       -DCMAKE_CXX_COMPILER="$cxx" -DCRESCENT_SANITIZE="$sanitizers" >"$log/cmake.txt" 2>&1 ||
   ! ninja -C "$build_dir" >"$log/build.txt" 2>&1; then
  cat "$log/cmake.txt" "$log/build.txt" 2>/dev/null | grep -v '^\[' | tail -n 60
  failed=1
  echo "$stage: build failed"
  finish
fi
echo "$stage: built in $((SECONDS - start)) s"

# --- unit tests ----------------------------------------------------------------------
start=$SECONDS
echo "== $stage: unit tests"
for bin in "$build_dir"/unit_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  "$bin" --no-intro=true >"$log/$name.txt" 2>&1
  rc=$?
  line=$(grep -E '^\[doctest\] test cases:' "$log/$name.txt" | tail -n 1)
  p=$(sed -E 's/.*\| *([0-9]+) passed.*/\1/' <<<"$line")
  f=$(sed -E 's/.*\| *([0-9]+) failed.*/\1/' <<<"$line")
  [[ "$p" =~ ^[0-9]+$ ]] || p=0
  [[ "$f" =~ ^[0-9]+$ ]] || f=0
  # A sanitizer report aborts the binary (or changes its exit code) even when every
  # test case passed: count it as a failure.
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  echo "${stage}_$name: $p passed, $f failed"
  if [ "$f" -ne 0 ]; then
    echo "--- $name (exit code $rc), last lines:"
    tail -n 80 "$log/$name.txt"
  fi
  passed=$((passed + p))
  failed=$((failed + f))
done
echo "$stage: unit tests took $((SECONDS - start)) s"

# --- end-to-end ----------------------------------------------------------------------
if [ "${SANITIZE_E2E:-1}" != "0" ]; then
  start=$SECONDS
  echo "== $stage: end-to-end tests against $build_dir/crescentd"
  touch "$log/e2e-start"
  # Tests that bound time or memory can read this to allow for the sanitizer's overhead
  # (ASan ~2-3x memory, TSan 5-15x time and more memory).
  export CRESCENT_SANITIZED=$mode
  e2e_env=()
  if [ "$mode" = thread ]; then
    # TSan's deadlock detector follows at most 64 mutexes held at once and dies with
    # "CHECK failed: sanitizer_deadlock_detector.h:67" when a thread holds more, as
    # MSET of many keys does (it locks every shard involved). Lock order is checked by
    # the unit tests; the end-to-end run looks for data races only.
    e2e_env=(TSAN_OPTIONS="$TSAN_OPTIONS:detect_deadlocks=0")
  fi
  # shellcheck disable=SC2086  # SANITIZE_E2E_ARGS is a list of words
  env "${e2e_env[@]}" CRESCENTD="$PWD/$build_dir/crescentd" /usr/bin/python3 -m pytest tests/e2e \
    -q -p no:cacheprovider ${SANITIZE_E2E_ARGS:-} >"$log/e2e.txt" 2>&1
  summary=$(grep -E '(passed|failed|error)' "$log/e2e.txt" | tail -n 1)
  p=$(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
  f=0
  for n in $(grep -oE '[0-9]+ (failed|errors?)' <<<"$summary" | grep -oE '^[0-9]+'); do
    f=$((f + n))
  done
  [ -n "$p" ] || p=0
  if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; fi  # pytest itself failed to run
  echo "${stage}_e2e: $p passed, $f failed"
  if [ "$f" -ne 0 ]; then
    grep -E '^(FAILED|ERROR) ' "$log/e2e.txt"
    # The sanitizer reports themselves: in the stderr of the servers, which the fixture
    # leaves in /tmp/e2e-crescent-*/ when a server did not stop cleanly.
    reports=$(find /tmp -maxdepth 2 -path '/tmp/e2e-crescent-*/stderr.log' -newer "$log/e2e-start" \
                -exec grep -lE 'Sanitizer|runtime error:' {} + 2>/dev/null)
    if [ -n "$reports" ]; then
      for r in $reports; do
        echo "--- sanitizer report in $r:"
        grep -E -m 1 -A 40 'ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|WARNING: ThreadSanitizer|ThreadSanitizer: CHECK|runtime error:' "$r" |
          grep -vE '^ +#[0-9]+ .* (/usr/include/|\(libtsan|\(libasan)' | head -n 40
      done
    else
      tail -n 80 "$log/e2e.txt"
    fi
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  echo "$stage: end-to-end tests took $((SECONDS - start)) s"
fi

finish
