#!/usr/bin/env bash
# fuzz.sh [SECONDS]: builds the libFuzzer targets of fuzz/ with clang (ASan + UBSan, in
# build-fuzz/) and runs each for SECONDS (default 60), all at once, on a copy of its
# seed corpus (fuzz/corpus/<target>/) so that the repository's corpus is not touched.
#
# Environment:
#   FUZZ_TARGETS="request_parser dispatcher"   which targets to run
#   FUZZ_ARGS="..."         more libFuzzer flags (e.g. -jobs=2 -workers=2, -only_ascii=1)
#   FUZZ_KEEP_CORPUS=DIR    keep the grown corpora in DIR/<target>/ (to merge new seeds
#                           with -merge=1; see fuzz/README.md)
#   FUZZ_PARALLEL=0         run the targets one after the other instead of at once
#
# Output, per target: executions, exec/s, coverage (cov: edges, ft: features), corpus
# size, peak RSS, then "fuzz_<target>: 1 passed, 0 failed" (or "0 passed, 1 failed"),
# and last "fuzz: N passed, M failed", which test.sh adds up. On a crash (or a leak, a
# timeout, an out-of-memory) the input that caused it is kept in
# build-fuzz/artifacts/<target>/ and its path is printed with the commands that
# reproduce and minimize it. Exit status: 0 when no target failed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
repo=$PWD

# ccache (CMake uses it when installed) across clones of the repository, as CI builds a
# fresh one: paths taken relative to the repository, the working directory left out of
# the hash, and the headers that CMake precompiles accepted.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros}

seconds=${1:-60}
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: $0 [SECONDS]   (each target runs for SECONDS, default 60)" >&2
  exit 2
fi
targets=${FUZZ_TARGETS:-request_parser dispatcher}
build_dir=build-fuzz

fail_early() {
  echo "fuzz: $1"
  echo "fuzz: 0 passed, 1 failed"
  exit 1
}

# --- toolchain: clang and libFuzzer (Debian 12: clang-14, libclang-rt-14-dev) ---------
bash tools/scripts/install-deps.sh || fail_early "install-deps failed"
need=()
command -v clang++ >/dev/null 2>&1 || need+=(clang)
runtime_dir=$(clang++ -print-runtime-dir 2>/dev/null || true)
if [ -z "$runtime_dir" ] || [ ! -f "$runtime_dir/libclang_rt.fuzzer-x86_64.a" ]; then
  need+=(libclang-rt-14-dev)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "fuzz: installing ${need[*]}" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  { $sudo apt-get update -q && $sudo apt-get install -y -q --no-install-recommends "${need[@]}"; } >&2 ||
    fail_early "cannot install ${need[*]}"
fi

# --- build -------------------------------------------------------------------------
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
start=$SECONDS
build_targets=()
for t in $targets; do build_targets+=("${t}_fuzzer"); done
if ! cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
       -DCMAKE_CXX_COMPILER=clang++ -DCRESCENT_FUZZ=ON >"$log/cmake.txt" 2>&1 ||
   ! ninja -C "$build_dir" "${build_targets[@]}" >"$log/build.txt" 2>&1; then
  cat "$log/cmake.txt" "$log/build.txt" 2>/dev/null | grep -v '^\[' | tail -n 60
  fail_early "build failed"
fi
echo "fuzz: built ${build_targets[*]} in $((SECONDS - start)) s"

# --- run -----------------------------------------------------------------------------
run_target() {
  local t=$1
  local bin="$repo/$build_dir/fuzz/${t}_fuzzer"
  local work="$log/$t"
  local corpus="$work/corpus"
  local artifacts="$repo/$build_dir/artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  cp "$repo/fuzz/corpus/$t/"* "$corpus/" 2>/dev/null || true
  # -timeout: one input running longer is a hang (reported like a crash). -rss_limit_mb
  # is libFuzzer's default made explicit: a run that grows past it is a finding too.
  # shellcheck disable=SC2086  # FUZZ_ARGS is a list of flags
  (cd "$work" && "$bin" -max_total_time="$seconds" -max_len=65536 \
     -dict="$repo/fuzz/resp.dict" -timeout=120 -rss_limit_mb=2048 -print_final_stats=1 \
     -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} "$corpus" >"$work/out.txt" 2>&1)
  echo $? >"$work/rc"
  if [ -n "${FUZZ_KEEP_CORPUS:-}" ]; then
    mkdir -p "$FUZZ_KEEP_CORPUS/$t"
    cp "$corpus/"* "$FUZZ_KEEP_CORPUS/$t/" 2>/dev/null || true
  fi
}

start=$SECONDS
echo "== fuzz: ${targets} for ${seconds} s each"
pids=()
for t in $targets; do
  if [ "${FUZZ_PARALLEL:-1}" = "0" ]; then
    run_target "$t"
  else
    run_target "$t" &
    pids+=($!)
  fi
done
for pid in "${pids[@]}"; do wait "$pid"; done

passed=0
failed=0
for t in $targets; do
  out="$log/$t/out.txt"
  rc=$(cat "$log/$t/rc" 2>/dev/null || echo 1)
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$out" | grep -oE '[0-9]+$' | tail -n 1)
  speed=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$out" | grep -oE '[0-9]+$' | tail -n 1)
  rss=$(grep -oE 'stat::peak_rss_mb: *[0-9]+' "$out" | grep -oE '[0-9]+$' | tail -n 1)
  # The last status line has the final coverage: "#N DONE cov: X ft: Y corp: A/B ...".
  last=$(grep -E '^#[0-9]+' "$out" | tail -n 1)
  cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+')
  ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+')
  corp=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' <<<"$last" | sed 's/corp: //')
  seeds=$(find "$repo/fuzz/corpus/$t" -type f | wc -l)
  echo "fuzz $t: ${execs:-?} executions (${speed:-?}/s), cov: ${cov:-?} ft: ${ft:-?}," \
       "corpus ${corp:-?} (from $seeds seeds), peak RSS ${rss:-?} MB"
  if [ "$rc" -eq 0 ]; then
    echo "fuzz_$t: 1 passed, 0 failed"
    passed=$((passed + 1))
    continue
  fi
  echo "fuzz_$t: 0 passed, 1 failed"
  failed=$((failed + 1))
  artifact=$(grep -oE "Test unit written to [^ ]+" "$out" | tail -n 1 | sed 's/Test unit written to //')
  echo "--- $t: libFuzzer exited with $rc; the report:"
  grep -E -m 1 -A 60 '^==[0-9]+==|ERROR: libFuzzer|invariant broken|dispatcher_fuzzer:|runtime error:' "$out" |
    head -n 80
  if [ -n "$artifact" ]; then
    echo "--- input kept: $artifact"
    echo "    reproduce: $build_dir/fuzz/${t}_fuzzer $artifact"
    echo "    minimize:  $build_dir/fuzz/${t}_fuzzer -minimize_crash=1 -max_total_time=60" \
         "-exact_artifact_path=$artifact.min $artifact"
  else
    tail -n 30 "$out"
  fi
done
echo "fuzz: ran for $((SECONDS - start)) s"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
