#!/usr/bin/env bash
# compare.sh: Crescent beside Redis, same machine, same clients, same run.
#
# Installs what it needs (iperf3, redis-server, redis-tools) when missing, builds crescentd
# and crescent-bench, starts redis-server and crescentd with the same memory on free
# loopback ports, measures the loopback ceiling with iperf3, runs every workload against
# both, and prints one markdown table. Every load stops by itself; the script kills only
# the processes it started, by PID, when it exits. See tools/bench/README.md.
#
#   tools/bench/compare.sh              full run (about 10 minutes)
#   QUICK=1 tools/bench/compare.sh      short run (under a minute after the build)
#
# Environment: QUICK=1, MEMORY_MB (maxmemory of both servers, default 2048), IO_THREADS
# (crescentd's, default 0: crescentd's own default, half the cores), MT_IO_THREADS (the second crescentd's, for large values and
# kvcache; default: one per core; 0 skips it), SKIP_BUILD=1,
# KEEP=1 (keep the work folder with the logs), OUT=FILE (also write the report there).
set -euo pipefail
cd "$(dirname "$0")/../.."

QUICK=${QUICK:-0}
MEMORY_MB=${MEMORY_MB:-2048}
# crescentd as a user who changes nothing runs it: --io-threads 0 is half the usable cores
# (one on 2 cores, as Redis has one network thread), so its I/O threads busy-poll.
IO_THREADS=${IO_THREADS:-0}
# Large values and kvcache run a second time against a crescentd with an I/O thread per
# core: there the server's own sends, not the load generator, are
# what a single thread is short of (see tools/bench/README.md, the loopback ceiling).
MT_IO_THREADS=${MT_IO_THREADS:-$(nproc)}
SKIP_BUILD=${SKIP_BUILD:-0}
KEEP=${KEEP:-0}
OUT=${OUT:-}
BENCH=build/crescent-bench
CRESCENTD=build/crescentd
HZ=$(getconf CLK_TCK)

if [ "$QUICK" = 1 ]; then
  RB_N1=30000 RB_N16=300000 LARGE_SECS=1 LARGE_WARMUP=0.2 KV_SECS=3 KV_WARMUP=0.5 IPERF_SECS=1
  ROUNDS=${ROUNDS:-1}
else
  RB_N1=200000 RB_N16=2000000 LARGE_SECS=4 LARGE_WARMUP=0.5 KV_SECS=10 KV_WARMUP=1 IPERF_SECS=3
  ROUNDS=${ROUNDS:-5}
fi
MEM_KEYS=1000000   # memory per key: distinct keys of 100-byte values
RB_KEYSPACE=100000

log() { printf '[compare %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- (a) packages
install_missing() {
  local missing=() p
  for p in iperf3 redis-server redis-tools; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q >/dev/null
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}
install_missing
for tool in iperf3 redis-server redis-cli redis-benchmark ss; do
  command -v "$tool" >/dev/null || die "$tool not found"
done

# ---------------------------------------------------------------- (b) build
WORK=$(mktemp -d /tmp/crescent-compare.XXXXXX)
if [ "$SKIP_BUILD" != 1 ]; then
  log "building crescentd and crescent-bench (log: $WORK/build.log)"
  if ! { cmake -S . -B build -G Ninja && ninja -C build crescentd crescent-bench; } >"$WORK/build.log" 2>&1; then
    tail -30 "$WORK/build.log" >&2
    die "build failed"
  fi
fi
[ -x "$BENCH" ] && [ -x "$CRESCENTD" ] || die "missing $BENCH or $CRESCENTD"

# ---------------------------------------------------------------- (c) servers
REDIS_PID="" CRESCENT_PID="" CRESCENT_MT_PID="" IPERF_PID=""
cleanup() {
  local pid
  for pid in $REDIS_PID $CRESCENT_PID $CRESCENT_MT_PID $IPERF_PID; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in $REDIS_PID $CRESCENT_PID $CRESCENT_MT_PID $IPERF_PID; do
    wait "$pid" 2>/dev/null || true
  done
  if [ "$KEEP" = 1 ]; then log "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

USED_PORTS=" "
free_port() {
  local p i
  for i in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    case "$USED_PORTS" in *" $p "*) continue ;; esac
    if [ -z "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ]; then
      USED_PORTS="$USED_PORTS$p "
      echo "$p"
      return 0
    fi
  done
  return 1
}

wait_ping() {  # port pid name
  local i
  for i in $(seq 1 100); do
    kill -0 "$2" 2>/dev/null || return 1
    [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.1
  done
  return 1
}

RESTARTS=0
start_redis() {
  REDIS_PORT=$(free_port)
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
    --maxmemory "${MEMORY_MB}mb" --maxmemory-policy allkeys-lru --protected-mode no \
    --dir "$WORK" --logfile "$WORK/redis.log" &
  REDIS_PID=$!
  wait_ping "$REDIS_PORT" "$REDIS_PID" || die "redis-server did not start (see $WORK/redis.log)"
}
# Starts a crescentd and sets ${prefix}_PORT and ${prefix}_PID.
start_crescentd() {  # prefix io-threads name (of its log and data folder)
  local port pid
  port=$(free_port)
  mkdir -p "$WORK/$3-data"
  "$CRESCENTD" --port "$port" --maxmemory "${MEMORY_MB}MB" --persistence off \
    --metrics-port 0 --io-threads "$2" --dir "$WORK/$3-data" >>"$WORK/$3.log" 2>&1 &
  pid=$!
  printf -v "${1}_PORT" %s "$port"
  printf -v "${1}_PID" %s "$pid"
  wait_ping "$port" "$pid" || die "crescentd --io-threads $2 did not start (see $WORK/$3.log)"
}
start_crescent() { start_crescentd CRESCENT "$IO_THREADS" crescentd; }
# For the large values and kvcache only.
start_crescent_mt() { start_crescentd CRESCENT_MT "$MT_IO_THREADS" crescentd-mt; }
start_redis
start_crescent
# Busy polling as the I/O threads apply it (0 when they are more than half the cores).
BUSY_POLL_US=$(redis-cli -p "$CRESCENT_PORT" info server | tr -d '\r' | awk -F: '/^io_busy_poll_us:/ {print $2}')
IO_THREADS_ACTIVE=$(redis-cli -p "$CRESCENT_PORT" info server | tr -d '\r' | awk -F: '/^io_threads_active:/ {print $2}')
log "redis-server $(redis-server --version | grep -o 'v=[^ ]*') pid $REDIS_PID port $REDIS_PORT;" \
  "crescentd pid $CRESCENT_PID port $CRESCENT_PORT; maxmemory ${MEMORY_MB} MB each"

port_of() {
  case $1 in redis) echo "$REDIS_PORT" ;; crescent) echo "$CRESCENT_PORT" ;; *) echo "$CRESCENT_MT_PORT" ;; esac
}
pid_of() {
  case $1 in redis) echo "$REDIS_PID" ;; crescent) echo "$CRESCENT_PID" ;; *) echo "$CRESCENT_MT_PID" ;; esac
}

PROBLEMS=()
# Which server goes first alternates from row to row, so that a change in the machine's
# background load does not always fall on the same one.
ROW_COUNT=0
servers_in_turn() {
  ROW_COUNT=$((ROW_COUNT + 1))
  if [ $((ROW_COUNT % 2)) = 1 ]; then SERVERS="redis crescent"; else SERVERS="crescent redis"; fi
}
problem() { PROBLEMS+=("$*"); log "PROBLEM: $*"; }

# After every run: a server that died is reported (with its last log lines) and restarted.
check_alive() {  # server workload
  local pid
  pid=$(pid_of "$1")
  if ! kill -0 "$pid" 2>/dev/null; then
    local status=0
    wait "$pid" 2>/dev/null || status=$?
    local logf="$WORK/redis.log"
    [ "$1" = crescent ] && logf="$WORK/crescentd.log"
    [ "$1" = crescent-mt ] && logf="$WORK/crescentd-mt.log"
    problem "$1 died during '$2' (exit status $status); last log lines: $(tail -5 "$logf" | tr '\n' ' ')"
    RESTARTS=$((RESTARTS + 1))
    case $1 in redis) start_redis ;; crescent) start_crescent ;; *) start_crescent_mt ;; esac
    return 1
  fi
  return 0
}

flush() { redis-cli -p "$(port_of "$1")" flushall >/dev/null 2>&1 || true; }

proc_cpu_ticks() {  # pid -> utime+stime in clock ticks
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo $((${12} + ${13}))
}
children_cpu_ticks() {  # cutime+cstime of this shell: the children it has waited for
  local stat
  stat=$(cat "/proc/$$/stat")
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo $((${14} + ${15}))
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
jget() { grep -o "\"$2\":[^,}]*" <<<"$1" | head -1 | cut -d: -f2- | tr -d '"'; }
fmt() { awk -v v="$1" -v d="${2:-0}" 'BEGIN { if (v == "" || v == "null") print "-"; else printf "%.*f", d, v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a+0 == 0) print "-"; else printf "%.2f", b / a }'; }

declare -A R  # R[server|row|field]

# ---------------------------------------------------------------- (d) loopback ceiling
# Measured before and after the workloads (the machine may be shared); the higher counts.
IPERF_RUNS=()
IPERF_GBPS=""
measure_loopback() {
  local port gbits gbps
  port=$(free_port)
  iperf3 -s -B 127.0.0.1 -p "$port" -1 >"$WORK/iperf-server.log" 2>&1 &
  IPERF_PID=$!
  sleep 0.5
  if iperf3 -c 127.0.0.1 -p "$port" -l 1M -t "$IPERF_SECS" -f g >"$WORK/iperf.log" 2>&1; then
    gbits=$(awk '/receiver/ { for (i = 1; i < NF; i++) if ($(i+1) == "Gbits/sec") print $i }' "$WORK/iperf.log" | tail -1)
    gbps=$(awk -v g="$gbits" 'BEGIN { printf "%.2f", g / 8 }')
    IPERF_RUNS+=("$gbps")
    IPERF_GBPS=$(awk -v a="${IPERF_GBPS:-0}" -v b="$gbps" 'BEGIN { printf "%.2f", (b > a ? b : a) }')
    log "loopback ceiling (iperf3, one stream, 1 MiB writes): $gbits Gbit/s = $gbps GB/s"
  else
    problem "iperf3 failed: $(tail -2 "$WORK/iperf.log" | tr '\n' ' ')"
  fi
  kill "$IPERF_PID" 2>/dev/null || true
  wait "$IPERF_PID" 2>/dev/null || true
  IPERF_PID=""
}
measure_loopback

# ---------------------------------------------------------------- (e) workloads
# Memory per key first, while both servers are fresh: RSS growth over MEM_KEYS distinct
# keys ("key:<12 digits>") of 100-byte values. crescentd keeps from half to all of a
# prefault window (64 MiB here) faulted in above its pool's highest allocation: RSS alone
# would move by up to 32 MiB (32 B per key) with where the load happened to stop, so what
# INFO reports there (pool_prefaulted_ahead; redis-server has none) is left out of both
# readings.
prefaulted_kb() {  # port
  redis-cli -p "$1" info memory | tr -d '\r' |
    awk -F: '$1 == "pool_prefaulted_ahead" { kb = int($2 / 1024) } END { print kb + 0 }'
}
for s in redis crescent; do
  pid=$(pid_of "$s")
  # The first window is published whole once it is in: until then RSS grows unreported.
  if [ "$s" = crescent ]; then
    for _ in $(seq 1 50); do
      [ "$(prefaulted_kb "$(port_of "$s")")" -gt 0 ] && break
      sleep 0.1
    done
  fi
  before=$(($(rss_kb "$pid") - $(prefaulted_kb "$(port_of "$s")")))
  out=$("$BENCH" --port "$(port_of "$s")" --workload set --value-size 100 --keyspace "$MEM_KEYS" \
    --requests "$MEM_KEYS" --key-pattern seq --pipeline 64 --threads 2 --connections 4 --json) ||
    problem "$s: memory-per-key load failed: $(jget "$out" first_error)"
  sleep 1
  after=$(($(rss_kb "$pid") - $(prefaulted_kb "$(port_of "$s")")))
  keys=$(redis-cli -p "$(port_of "$s")" dbsize)
  [ "$keys" = "$MEM_KEYS" ] || problem "$s holds $keys keys after writing $MEM_KEYS distinct keys"
  R[$s|mem|value]=$(awk -v a="$before" -v b="$after" -v n="$keys" 'BEGIN { printf "%.1f", (b - a) * 1024 / n }')
  log "$s: RSS (less the prefault window) $before kB -> $after kB for $keys keys: ${R[$s|mem|value]} B/key"
  check_alive "$s" memory-per-key || true
  flush "$s"
done

# Small values: redis-benchmark, 50 clients, --csv gives rps and p99 (ms).
run_redis_benchmark() {  # server row test size pipeline requests
  local s=$1 row=$2 test=$3 size=$4 pipe=$5 n=$6 port pid c0 c1 s0 s1 line rc=0
  port=$(port_of "$s")
  pid=$(pid_of "$s")
  s0=$(proc_cpu_ticks "$pid")
  c0=$(children_cpu_ticks)
  timeout 120 redis-benchmark -h 127.0.0.1 -p "$port" -t "$test" -c 50 -P "$pipe" -d "$size" \
    -r "$RB_KEYSPACE" -n "$n" --csv >"$WORK/rb.out" 2>"$WORK/rb.err" || rc=$?
  c1=$(children_cpu_ticks)
  s1=$(proc_cpu_ticks "$pid")
  line=$(grep -i "^\"$test\"" "$WORK/rb.out" | tail -1)
  if [ "$rc" -ne 0 ] || [ -z "$line" ]; then
    problem "$s: redis-benchmark -t $test -d $size -P $pipe failed (rc $rc): $(tail -2 "$WORK/rb.err" | tr '\n' ' ')"
    return 0
  fi
  IFS=, read -r _ rps _ _ _ _ p99 _ <<<"$(tr -d '"' <<<"$line")"
  R[$s|$row|value_all]+=" $rps"
  R[$s|$row|p99_all]+=" $p99"
  R[$s|$row|scpu_all]+=" $(awk -v t=$((s1 - s0)) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.2f", t * 1e6 / hz / n }')"
  R[$s|$row|ccpu_all]+=" $(awk -v t=$((c1 - c0)) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.2f", t * 1e6 / hz / n }')"
  log "$s $row: $rps rps, p99 $p99 ms"
}

median() {  # space-separated numbers -> their median (empty if none)
  tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g |
    awk '{ a[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
# The small rows are what the scheduler sways most (the client's one thread and the server
# share two cores): each runs ROUNDS times, alternating which server goes first, and the
# table gives the medians; the ratios of single rounds are listed below it.
take_medians() {  # row
  local s field
  for s in redis crescent; do
    for field in value p99 scpu ccpu; do R[$s|$1|$field]=$(median "${R[$s|$1|${field}_all]:-}"); done
  done
  # Rounds are paired (each server's n-th run sits next to the other's), so the row's ratio
  # is the median of the rounds' ratios: a load that changes between rounds moves both
  # servers of a pair, not just the ratio of independently taken medians.
  R[ratio|$1]=$(median "$(awk -v a="${R[redis|$1|value_all]:-}" -v b="${R[crescent|$1|value_all]:-}" 'BEGIN {
    n = split(a, x, " "); split(b, y, " ")
    for (i = 1; i <= n; i++) if (x[i] + 0 > 0) printf "%.4f ", y[i] / x[i]
  }')")
}
ROWS=()
for size in 16 1024; do
  label=$([ "$size" = 16 ] && echo 16B || echo 1KiB)
  for pipe in 1 16; do
    n=$([ "$pipe" = 1 ] && echo "$RB_N1" || echo "$RB_N16")
    for test in set get; do
      row="$test $label P$pipe"
      ROWS+=("$row|rb")
      for _ in $(seq 1 "$ROUNDS"); do
        servers_in_turn
        for s in $SERVERS; do
          run_redis_benchmark "$s" "$row" "$test" "$size" "$pipe" "$n"
          check_alive "$s" "redis-benchmark $row" || true
        done
      done
      take_medians "$row"
    done
    for s in redis crescent; do flush "$s"; done
  done
done

# Large values and kvcache: crescent-bench, --json.
run_crescent_bench() {  # server row args...
  local s=$1 row=$2 out rc=0
  shift 2
  out=$("$BENCH" --port "$(port_of "$s")" --server-pid "$(pid_of "$s")" --json "$@" 2>"$WORK/cb.err") || rc=$?
  if [ -z "$out" ]; then
    problem "$s: crescent-bench $row produced nothing (rc $rc): $(tail -2 "$WORK/cb.err" | tr '\n' ' ')"
    return 0
  fi
  if [ "$rc" -ne 0 ]; then
    problem "$s: crescent-bench $row: $(jget "$out" errors) error replies, $(jget "$out" connection_failures) connection failures; first: $(jget "$out" first_error)"
  fi
  R[$s|$row|ops]=$(jget "$out" ops_per_sec)
  R[$s|$row|gbps]=$(jget "$out" gb_per_sec)
  R[$s|$row|p99]=$(awk -v u="$(jget "$out" p99_us)" 'BEGIN { printf "%.3f", u / 1000 }')
  R[$s|$row|scpu]=$(jget "$out" server_cpu_us_per_req)
  R[$s|$row|ccpu]=$(jget "$out" client_cpu_us_per_req)
  R[$s|$row|misses]=$(jget "$out" misses)
  R[$s|$row|lookups]=$(jget "$out" lookups)
  R[$s|$row|errors]=$(jget "$out" errors)
  echo "$s $row: $out" >>"$WORK/crescent-bench.jsonl"
  log "$s $row: $(fmt "${R[$s|$row|ops]}") ops/s, ${R[$s|$row|gbps]} GB/s, p99 ${R[$s|$row|p99]} ms"
}

LARGE_SERVERS_EXTRA=""
if [ "$MT_IO_THREADS" != 0 ]; then
  start_crescent_mt
  log "crescentd --io-threads $MT_IO_THREADS: pid $CRESCENT_MT_PID port $CRESCENT_MT_PORT"
  LARGE_SERVERS_EXTRA=crescent-mt
fi

for size in 64k 1m 4m; do
  case $size in
    64k) keys=2048 label=64KiB ;;
    1m) keys=256 label=1MiB ;;
    4m) keys=64 label=4MiB ;;
  esac
  for test in set get; do
    row="$test $label"
    ROWS+=("$row|large")
    servers_in_turn
    for s in $SERVERS $LARGE_SERVERS_EXTRA; do
      flush "$s"
      run_crescent_bench "$s" "$row" --workload "$test" --value-size "$size" --keyspace "$keys" \
        --threads 2 --connections 4 --pipeline 1 --duration "$LARGE_SECS" --warmup "$LARGE_WARMUP"
      check_alive "$s" "$row" || true
    done
  done
done

ROWS+=("kvcache|kv")
servers_in_turn
for s in $SERVERS $LARGE_SERVERS_EXTRA; do
  flush "$s"
  run_crescent_bench "$s" kvcache --workload kvcache --server-memory "${MEMORY_MB}MB" --threads 2 \
    --duration "$KV_SECS" --warmup "$KV_WARMUP"
  R[$s|kvcache|evicted]=$(redis-cli -p "$(port_of "$s")" info stats 2>/dev/null | awk -F: '/^evicted_keys:/ {print $2}' | tr -d '\r')
  check_alive "$s" kvcache || true
  flush "$s"
done

measure_loopback

# ---------------------------------------------------------------- (f) report
report() {
  local row kind v_r v_c unit
  echo "## Crescent vs Redis ($(date +%F), $(nproc) cores, maxmemory ${MEMORY_MB} MB each$([ "$QUICK" = 1 ] && echo ', QUICK'))"
  echo
  echo "redis-server $(redis-server --version | grep -o 'v=[^ ]*' | cut -d= -f2); crescentd --io-threads $IO_THREADS (${IO_THREADS_ACTIVE:-?} I/O threads) --persistence off (its I/O threads busy-poll for up to ${BUSY_POLL_US:-?} µs before it sleeps). Small values (redis-benchmark rows): medians of $ROUNDS rounds (the ratio: the median of the rounds' ratios)."
  echo "Loopback ceiling (iperf3, one TCP stream, 1 MiB writes, ${IPERF_SECS} s, before and after the workloads): ${IPERF_RUNS[*]:-?} GB/s; the higher, ${IPERF_GBPS:-?} GB/s, is the ceiling below."
  echo
  echo "| workload | Redis | Crescent | ratio (Crescent/Redis) | p99 Redis (ms) | p99 Crescent (ms) | server CPU µs/req Redis / Crescent | client CPU µs/req Redis / Crescent |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for entry in "${ROWS[@]}"; do
    row=${entry%|*}
    kind=${entry#*|}
    if [ "$kind" = rb ]; then
      v_r=${R[redis|$row|value]:-} v_c=${R[crescent|$row|value]:-} unit=" rps"
      echo "| $row (redis-benchmark, 50 clients) | $(fmt "$v_r")$unit | $(fmt "$v_c")$unit | $(fmt "${R[ratio|$row]:-}" 2) | $(fmt "${R[redis|$row|p99]:-}" 3) | $(fmt "${R[crescent|$row|p99]:-}" 3) | $(fmt "${R[redis|$row|scpu]:-}" 2) / $(fmt "${R[crescent|$row|scpu]:-}" 2) | $(fmt "${R[redis|$row|ccpu]:-}" 2) / $(fmt "${R[crescent|$row|ccpu]:-}" 2) |"
    else
      v_r=${R[redis|$row|gbps]:-} v_c=${R[crescent|$row|gbps]:-}
      local extra=""
      [ "$kind" = large ] && extra=" (crescent-bench, 4 conns)"
      [ "$kind" = kv ] && extra=" (crescent-bench, 8 conns, 1-4 MiB)"
      echo "| $row$extra | $(fmt "$v_r" 2) GB/s, $(fmt "${R[redis|$row|ops]:-}") ops/s | $(fmt "$v_c" 2) GB/s, $(fmt "${R[crescent|$row|ops]:-}") ops/s | $(ratio "$v_r" "$v_c") | $(fmt "${R[redis|$row|p99]:-}" 3) | $(fmt "${R[crescent|$row|p99]:-}" 3) | $(fmt "${R[redis|$row|scpu]:-}" 1) / $(fmt "${R[crescent|$row|scpu]:-}" 1) | $(fmt "${R[redis|$row|ccpu]:-}" 1) / $(fmt "${R[crescent|$row|ccpu]:-}" 1) |"
    fi
  done
  echo "| memory per key, RSS growth (Crescent: less its prefault window), $MEM_KEYS keys of 100 B (lower is better) | $(fmt "${R[redis|mem|value]:-}" 1) B | $(fmt "${R[crescent|mem|value]:-}" 1) B | $(ratio "${R[redis|mem|value]:-}" "${R[crescent|mem|value]:-}") | - | - | - | - |"
  if [ "$ROUNDS" -gt 1 ]; then
    echo
    echo "Small values, Crescent / Redis in each round, throughput (p99, lower is better):"
    echo
    for entry in "${ROWS[@]}"; do
      [ "${entry#*|}" = rb ] || continue
      row=${entry%|*}
      echo "- $row: $(per_round "${R[redis|$row|value_all]:-}" "${R[crescent|$row|value_all]:-}" "${R[redis|$row|p99_all]:-}" "${R[crescent|$row|p99_all]:-}")"
    done
  fi
  echo
  echo "Large values against the loopback ceiling (${IPERF_GBPS:-?} GB/s)$([ -n "$LARGE_SERVERS_EXTRA" ] && echo ", and with crescentd's default of an I/O thread per core ($MT_IO_THREADS)"):"
  echo
  if [ -n "$LARGE_SERVERS_EXTRA" ]; then
    echo "| workload | Redis GB/s | of ceiling | Crescent GB/s | of ceiling | Crescent, $MT_IO_THREADS I/O threads, GB/s | of ceiling | ratio to Redis | p99 (ms) | server / client CPU µs/req |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  else
    echo "| workload | Redis GB/s | of ceiling | Crescent GB/s | of ceiling |"
    echo "|---|---:|---:|---:|---:|"
  fi
  for entry in "${ROWS[@]}"; do
    row=${entry%|*}
    kind=${entry#*|}
    [ "$kind" = rb ] && continue
    v_r=${R[redis|$row|gbps]:-} v_c=${R[crescent|$row|gbps]:-} v_m=${R[crescent-mt|$row|gbps]:-}
    if [ -n "$LARGE_SERVERS_EXTRA" ]; then
      echo "| $row | $(fmt "$v_r" 2) | $(pct "$v_r") | $(fmt "$v_c" 2) | $(pct "$v_c") | $(fmt "$v_m" 2) | $(pct "$v_m") | $(ratio "$v_r" "$v_m") | $(fmt "${R[crescent-mt|$row|p99]:-}" 3) | $(fmt "${R[crescent-mt|$row|scpu]:-}" 1) / $(fmt "${R[crescent-mt|$row|ccpu]:-}" 1) |"
    else
      echo "| $row | $(fmt "$v_r" 2) | $(pct "$v_r") | $(fmt "$v_c" 2) | $(pct "$v_c") |"
    fi
  done
  echo
  echo "kvcache: misses/lookups Redis $(fmt "${R[redis|kvcache|misses]:-}")/$(fmt "${R[redis|kvcache|lookups]:-}"), Crescent $(fmt "${R[crescent|kvcache|misses]:-}")/$(fmt "${R[crescent|kvcache|lookups]:-}"); evicted keys Redis ${R[redis|kvcache|evicted]:-?}, Crescent ${R[crescent|kvcache|evicted]:-?}."
  echo "Client and servers share the same $(nproc) cores: CPU spent by the client is CPU the server does not get."
  if [ ${#PROBLEMS[@]} -gt 0 ]; then
    echo
    echo "Problems:"
    local p
    for p in "${PROBLEMS[@]}"; do echo "- $p"; done
  fi
}
per_round() {  # redis values, crescent values, redis p99s, crescent p99s -> "1.02 (0.95), ..."
  awk -v a="$1" -v b="$2" -v pa="$3" -v pb="$4" 'BEGIN {
    n = split(a, x, " "); split(b, y, " "); split(pa, px, " "); split(pb, py, " ")
    for (i = 1; i <= n; i++) {
      r = (x[i] + 0 > 0) ? sprintf("%.2f", y[i] / x[i]) : "-"
      q = (px[i] + 0 > 0) ? sprintf("%.2f", py[i] / px[i]) : "-"
      printf "%s%s (%s)", (i > 1 ? ", " : ""), r, q
    }
  }'
}
pct() { awk -v v="$1" -v c="$IPERF_GBPS" 'BEGIN { if (v == "" || c == "" || c + 0 == 0) print "-"; else printf "%.0f%%", 100 * v / c }'; }

echo
if [ -n "$OUT" ]; then report | tee "$OUT"; else report; fi
[ ${#PROBLEMS[@]} -eq 0 ]
