#!/usr/bin/env bash
# disk_bench.sh: Crescent's SSD tier beside RocksDB's own db_bench, same machine, same run.
#
#   1. GET from disk: crescentd --persistence async with a working set of 3x maxmemory,
#      uniform random GETs (most miss memory and are read from RocksDB), beside
#      db_bench fillseq,readrandom at the same value size, key count and thread count.
#      Goal: Crescent >= 0.5x db_bench readrandom.
#   2. PUT: crescent-bench set against --persistence async and --persistence off (nothing
#      evicted). Goal: async >= 0.9x off.
#
# Installs rocksdb-tools (db_bench) from Debian when missing, builds crescentd and
# crescent-bench when missing, kills only the processes it started, removes its work
# folder. See tools/bench/README.md, "SSD tier: disk_bench.sh".
#
#   tools/bench/disk_bench.sh            full run (about 3 minutes)
#   QUICK=1 tools/bench/disk_bench.sh    short run (under a minute)
#
# Environment: QUICK=1, VALUE_SIZE (bytes, default 65536), MEMORY_MB (maxmemory for the
# GET-from-disk part; default 256, QUICK 128), THREADS (client threads = db_bench
# --threads, default 2), KEEP=1 (keep the work folder), OUT=FILE (also write the report),
# BUILD_DIR (where crescentd and crescent-bench are; default build), PARTS (get,put: the
# default; "put" runs only the PUT comparison).
set -euo pipefail
cd "$(dirname "$0")/../.."

QUICK=${QUICK:-0}
VALUE_SIZE=${VALUE_SIZE:-65536}
THREADS=${THREADS:-2}
KEEP=${KEEP:-0}
OUT=${OUT:-}
BUILD_DIR=${BUILD_DIR:-build}
PARTS=${PARTS:-get,put}
BENCH=$BUILD_DIR/crescent-bench
CRESCENTD=$BUILD_DIR/crescentd
if [ "$QUICK" = 1 ]; then
  MEMORY_MB=${MEMORY_MB:-128} GET_SECS=3 PUT_SECS=2 PUT_MEMORY_MB=768 PUT_KEYS=2048 PUT_ROUNDS=${PUT_ROUNDS:-2}
else
  MEMORY_MB=${MEMORY_MB:-256} GET_SECS=10 PUT_SECS=4 PUT_MEMORY_MB=1024 PUT_KEYS=4096 PUT_ROUNDS=${PUT_ROUNDS:-9}
fi
# Working set: three times maxmemory.
NKEYS=$((3 * MEMORY_MB * 1024 * 1024 / VALUE_SIZE))
# PUT key set: PUT_KEYS values of VALUE_SIZE, well below PUT_MEMORY_MB (nothing evicted).
[ $((PUT_KEYS * VALUE_SIZE)) -lt $((PUT_MEMORY_MB * 1024 * 1024 / 2)) ] ||
  PUT_KEYS=$((PUT_MEMORY_MB * 1024 * 1024 / 2 / VALUE_SIZE))

log() { printf '[disk_bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
PROBLEMS=()
problem() { PROBLEMS+=("$*"); log "PROBLEM: $*"; }

# ---------------------------------------------------------------- packages and build
missing=()
for p in rocksdb-tools redis-tools; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q >/dev/null
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
for tool in db_bench redis-cli python3 ss; do command -v "$tool" >/dev/null || die "$tool not found"; done
if [ ! -x "$BENCH" ] || [ ! -x "$CRESCENTD" ]; then
  log "building crescentd and crescent-bench"
  { [ -f "$BUILD_DIR/build.ninja" ] || cmake -S . -B "$BUILD_DIR" -G Ninja; } >/dev/null
  ninja -C "$BUILD_DIR" crescentd crescent-bench >/dev/null || die "build failed"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/crescent-disk-bench.XXXXXX")
CRESCENT_PID=""
stop_crescent() {
  [ -n "$CRESCENT_PID" ] || return 0
  kill "$CRESCENT_PID" 2>/dev/null || true
  wait "$CRESCENT_PID" 2>/dev/null || true
  CRESCENT_PID=""
}
cleanup() {
  stop_crescent
  if [ "$KEEP" = 1 ]; then log "work folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  local p i
  for i in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    [ -z "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ] && { echo "$p"; return 0; }
  done
  return 1
}

start_crescent() {  # name persistence maxmemory_mb
  local name=$1 i
  PORT=$(free_port)
  rm -rf "$WORK/$name-data"
  mkdir -p "$WORK/$name-data"
  "$CRESCENTD" --port "$PORT" --metrics-port 0 --io-threads "$THREADS" --persistence "$2" \
    --maxmemory "${3}MB" --dir "$WORK/$name-data" >>"$WORK/$name.log" 2>&1 &
  CRESCENT_PID=$!
  for i in $(seq 1 100); do
    kill -0 "$CRESCENT_PID" 2>/dev/null || die "crescentd ($name) exited at start: $(tail -3 "$WORK/$name.log")"
    [ "$(redis-cli -p "$PORT" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.1
  done
  die "crescentd ($name) did not answer PING"
}
check_alive() {  # name
  if ! kill -0 "$CRESCENT_PID" 2>/dev/null; then
    local status=0
    wait "$CRESCENT_PID" 2>/dev/null || status=$?
    problem "crescentd ($1) died (exit status $status): $(tail -5 "$WORK/$1.log" | tr '\n' ' ')"
    CRESCENT_PID=""
    return 1
  fi
}
info() {  # field [section]
  redis-cli -p "$PORT" info "${2:-persistence}" 2>/dev/null | tr -d '\r' | awk -F: -v k="$1" '$1 == k {print $2}'
}
jget() { grep -o "\"$2\":[^,}]*" <<<"$1" | head -1 | cut -d: -f2- | tr -d '"'; }
fmt() { awk -v v="$1" -v d="${2:-0}" 'BEGIN { if (v == "" || v == "null") print "-"; else printf "%.*f", d, v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a+0 == 0) print "-"; else printf "%.2f", b / a }'; }
mibs() { awk -v o="$1" -v s="$VALUE_SIZE" 'BEGIN { if (o == "") print "-"; else printf "%.0f", o * s / 1048576 }'; }
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# Waits until the async queue is empty (at most $2 seconds); prints the seconds waited.
wait_drained() {  # name max_seconds
  local t0 depth
  t0=$(date +%s.%N)
  while :; do
    depth=$(info disk_queue_depth)
    [ "$depth" = 0 ] && break
    if awk -v t0="$t0" -v now="$(date +%s.%N)" -v m="$2" 'BEGIN { exit !(now - t0 > m) }'; then
      problem "$1: disk_queue_depth still $depth after $2 s"
      break
    fi
    sleep 0.1
  done
  awk -v t0="$t0" -v now="$(date +%s.%N)" 'BEGIN { printf "%.1f", now - t0 }'
}

# ---------------------------------------------------------------- 1. GET from disk
declare -A D  # deltas over the GET run
R_READ_OPS="" C_GET_OPS=""
if [[ ",$PARTS," == *,get,* ]]; then
# Load NKEYS distinct keys ("key:<12 digits>", crescent-bench's names) of VALUE_SIZE
# bytes. The async queue holds 64 MiB; a write that finds it full stays in memory only
# and is lost when evicted. So the loader writes in batches of 16 MiB and waits for the
# queue to drain after each one: the load runs at the disk's pace and nothing is dropped.
log "GET from disk: maxmemory ${MEMORY_MB} MB, $NKEYS keys x $VALUE_SIZE B ($((NKEYS * VALUE_SIZE / 1048576)) MiB)"
start_crescent get async "$MEMORY_MB"
LOAD_T0=$(date +%s.%N)
python3 - "$PORT" "$NKEYS" "$VALUE_SIZE" <<'EOF' || problem "loader failed"
import os, socket, sys, time
port, n, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
f = s.makefile("rb")
value = os.urandom(size)
batch = max(1, (16 << 20) // size)

def reply():
    line = f.readline()
    if line[:1] == b"$":
        ln = int(line[1:])
        data = f.read(ln + 2) if ln >= 0 else b""
        return line + data
    return line

def depth():
    s.sendall(b"*2\r\n$4\r\nINFO\r\n$11\r\npersistence\r\n")
    for l in reply().split(b"\r\n"):
        if l.startswith(b"disk_queue_depth:"):
            return int(l.split(b":")[1])
    return -1

errors = 0
for start in range(0, n, batch):
    for k in range(start, min(n, start + batch)):
        key = b"key:%012d" % k
        s.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n" % (len(key), key, size) + value + b"\r\n")
    for k in range(start, min(n, start + batch)):
        r = reply()
        if not r.startswith(b"+OK"):
            errors += 1
            if errors == 1:
                print("first error reply: %r" % r[:200], file=sys.stderr)
    t0 = time.time()
    while depth() != 0 and time.time() - t0 < 60:
        time.sleep(0.02)
sys.exit(1 if errors else 0)
EOF
DRAIN_S=$(wait_drained get 120)
LOAD_S=$(awk -v t0="$LOAD_T0" -v now="$(date +%s.%N)" 'BEGIN { printf "%.1f", now - t0 }')
check_alive get || die "crescentd died during the load"
DBSIZE=$(redis-cli -p "$PORT" dbsize)
DROPPED=$(info disk_async_dropped)
DISK_ONLY=$(info disk_only_objects)
WRITES=$(info disk_writes)
log "loaded in $LOAD_S s (last drain $DRAIN_S s): dbsize $DBSIZE, disk_writes $WRITES, disk_only_objects $DISK_ONLY, dropped $DROPPED"
[ "$DBSIZE" = "$NKEYS" ] || problem "crescentd holds $DBSIZE keys after loading $NKEYS distinct keys"
[ "${DROPPED:-0}" = 0 ] || problem "disk_async_dropped $DROPPED during a throttled load"

declare -A B  # before the GET run
for k in disk_reads disk_read_hits promoted_objects demoted_objects disk_bytes_read disk_corruptions; do B[$k]=$(info "$k"); done
GET_OUT=$("$BENCH" --port "$PORT" --server-pid "$CRESCENT_PID" --workload get --prefill 0 \
  --keyspace "$NKEYS" --value-size "$VALUE_SIZE" --threads "$THREADS" --connections "$THREADS" \
  --pipeline 1 --duration "$GET_SECS" --json 2>"$WORK/get.err") ||
  problem "crescent-bench get: $(jget "$GET_OUT" errors) error replies, $(jget "$GET_OUT" connection_failures) connection failures; first: $(jget "$GET_OUT" first_error) $(tail -2 "$WORK/get.err" | tr '\n' ' ')"
check_alive get || true
if [ -n "$CRESCENT_PID" ]; then
  for k in "${!B[@]}"; do D[$k]=$(( $(info "$k") - ${B[$k]:-0} )); done
fi
C_GET_OPS=$(jget "$GET_OUT" ops_per_sec)
C_GET_GETS=$(jget "$GET_OUT" gets)
C_GET_HITS=$(jget "$GET_OUT" hits)
C_GET_MISSES=$(jget "$GET_OUT" misses)
C_GET_P99=$(awk -v u="$(jget "$GET_OUT" p99_us)" 'BEGIN { if (u == "") print "-"; else printf "%.2f", u / 1000 }')
C_GET_SCPU=$(jget "$GET_OUT" server_cpu_us_per_req)
echo "get: $GET_OUT" >>"$WORK/crescent-bench.jsonl"
log "crescent GET: $(fmt "$C_GET_OPS") ops/s, p99 $C_GET_P99 ms; disk_reads +${D[disk_reads]:-?}, disk_read_hits +${D[disk_read_hits]:-?}, promoted_objects +${D[promoted_objects]:-?}"
[ "${C_GET_MISSES:-0}" = 0 ] || problem "crescent GET: $C_GET_MISSES of $C_GET_GETS GETs returned nil (keys lost)"
[ "${D[disk_corruptions]:-0}" = 0 ] || problem "disk_corruptions +${D[disk_corruptions]} during GET"
stop_crescent
rm -rf "$WORK/get-data"

# db_bench: same value size, key count (16-byte keys, as crescent-bench's), threads, and
# read duration; BlobDB for values >= 64 KiB, no compression, as crescentd configures it.
log "db_bench fillseq,readrandom: --num=$NKEYS --value_size=$VALUE_SIZE --threads=$THREADS"
db_bench --benchmarks=fillseq,readrandom --value_size="$VALUE_SIZE" --num="$NKEYS" --key_size=16 \
  --use_existing_db=0 --db="$WORK/db_bench" --compression_type=none --enable_blob_files=true \
  --min_blob_size=65536 --threads="$THREADS" --duration="$GET_SECS" >"$WORK/db_bench.log" 2>&1 ||
  problem "db_bench failed: $(tail -3 "$WORK/db_bench.log" | tr '\n' ' ')"
dbb() {  # benchmark field(ops|mbs)
  awk -v b="$1" -v f="$2" '$1 == b { for (i = 1; i <= NF; i++) { if ($i == "ops/sec" && f == "ops") print $(i-1); if ($i == "MB/s" && f == "mbs") print $(i-1) } }' "$WORK/db_bench.log" | head -1
}
R_FILL_OPS=$(dbb fillseq ops)
R_READ_OPS=$(dbb readrandom ops)
R_READ_FOUND=$(grep -o 'readrandom.*(\([0-9]* of [0-9]* found\))' "$WORK/db_bench.log" | grep -o '[0-9]* of [0-9]* found' || true)
log "db_bench: fillseq $(fmt "$R_FILL_OPS") ops/s, readrandom $(fmt "$R_READ_OPS") ops/s ($R_READ_FOUND)"
rm -rf "$WORK/db_bench"
fi  # get

# ---------------------------------------------------------------- 2. PUT async vs off
# Same key set (random among PUT_KEYS keys, overwrites), same clients; maxmemory large
# enough that nothing is evicted.
declare -A P
# Rounds alternate the two modes (async first in odd rounds, off first in even ones), so
# that the machine's drift hits both alike; the table quotes medians.
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
put_round() {  # mode round
  local mode=$1 round=$2 out
  start_crescent "put-$mode" "$mode" "$PUT_MEMORY_MB"
  out=$("$BENCH" --port "$PORT" --server-pid "$CRESCENT_PID" --workload set --keyspace "$PUT_KEYS" \
    --value-size "$VALUE_SIZE" --threads "$THREADS" --connections $((2 * THREADS)) --pipeline 1 \
    --duration "$PUT_SECS" --warmup 0.5 --json 2>"$WORK/put.err") ||
    problem "crescent-bench set ($mode): $(jget "$out" errors) error replies; first: $(jget "$out" first_error) $(tail -2 "$WORK/put.err" | tr '\n' ' ')"
  echo "put-$mode-$round: $out" >>"$WORK/crescent-bench.jsonl"
  local ops p99 scpu
  ops=$(jget "$out" ops_per_sec)
  p99=$(awk -v u="$(jget "$out" p99_us)" 'BEGIN { if (u != "") printf "%.2f", u / 1000 }')
  scpu=$(jget "$out" server_cpu_us_per_req)
  P[$mode|ops_all]+=" $ops" P[$mode|p99_all]+=" $p99" P[$mode|scpu_all]+=" $scpu"
  P[$mode|sets]=$(awk -v a="${P[$mode|sets]:-0}" -v o="${ops:-0}" -v s="$PUT_SECS" 'BEGIN { printf "%.0f", a + o * (s + 0.5) }')
  if check_alive "put-$mode"; then
    local dropped writes evicted rests rest_ms
    dropped=$(info disk_async_dropped) writes=$(info disk_writes) evicted=$(info evicted_keys stats)
    rests=$(info disk_writer_rests) rest_ms=$(info disk_writer_rest_ms)
    P[$mode|dropped]=$((${P[$mode|dropped]:-0} + ${dropped:-0}))
    P[$mode|writes]=$((${P[$mode|writes]:-0} + ${writes:-0}))
    P[$mode|rests]=$((${P[$mode|rests]:-0} + ${rests:-0}))
    P[$mode|rest_ms]=$((${P[$mode|rest_ms]:-0} + ${rest_ms:-0}))
    [ "${evicted:-0}" = 0 ] || problem "put $mode round $round: $evicted keys evicted"
  fi
  log "PUT $mode round $round: $(fmt "$ops") ops/s, p99 $p99 ms, disk_writes ${writes:-?}, dropped ${dropped:-?}"
  stop_crescent
  rm -rf "$WORK/put-$mode-data"
}
if [[ ",$PARTS," == *,put,* ]]; then
  for round in $(seq 1 "$PUT_ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then put_round async "$round"; put_round off "$round"
    else put_round off "$round"; put_round async "$round"; fi
  done
  for mode in async off; do
    P[$mode|ops]=$(median <<<"${P[$mode|ops_all]}")
    P[$mode|p99]=$(median <<<"${P[$mode|p99_all]}")
    P[$mode|scpu]=$(median <<<"${P[$mode|scpu_all]}")
  done
  # Per-round ratios (the two runs of a round are adjacent in time): their median is the
  # figure least moved by the machine's drift.
  read -ra A_OPS <<<"${P[async|ops_all]}"
  read -ra O_OPS <<<"${P[off|ops_all]}"
  P[ratios]=""
  for i in "${!A_OPS[@]}"; do P[ratios]+=" $(ratio "${O_OPS[$i]:-}" "${A_OPS[$i]}")"; done
  P[ratio]=$(median <<<"$(tr ' ' '\n' <<<"${P[ratios]}" | grep -v '^-$' | tr '\n' ' ')")
fi
# Drops under an unthrottled PUT load are the documented behaviour of a full queue: a
# note in the report, not a failure.
if [ "${P[async|dropped]:-0}" != 0 ]; then
  log "put async: disk_async_dropped ${P[async|dropped]} of about ${P[async|sets]} SETs (queue full: those values never reached the disk)"
fi

# ---------------------------------------------------------------- report
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
goal() { awk -v r="$1" -v g="$2" 'BEGIN { if (r == "-") print "-"; else if (r + 0 >= g) print ">= " g " met"; else print ">= " g " **missed**" }'; }
report() {
  local gr pr
  gr=$(ratio "$R_READ_OPS" "$C_GET_OPS")
  pr=$(awk -v r="${P[ratio]:-}" 'BEGIN { if (r == "") print "-"; else printf "%.2f", r }')
  echo "## Crescent SSD tier ($(date +%F), $(nproc) cores$([ "$QUICK" = 1 ] && echo ', QUICK'))"
  echo
  echo "| workload | peer | Crescent | ratio | goal |"
  echo "|---|---:|---:|---:|---|"
  [[ ",$PARTS," == *,get,* ]] && echo "| GET from disk, $((VALUE_SIZE / 1024)) KiB, $NKEYS keys (3x maxmemory ${MEMORY_MB} MB), uniform random, $THREADS threads | db_bench readrandom: $(fmt "$R_READ_OPS") ops/s, $(mibs "$R_READ_OPS") MiB/s | $(fmt "$C_GET_OPS") ops/s, $(mibs "$C_GET_OPS") MiB/s | $gr | $(goal "$gr" 0.5) |"
  [[ ",$PARTS," == *,put,* ]] && echo "| PUT $((VALUE_SIZE / 1024)) KiB, $PUT_KEYS keys, $((2 * THREADS)) conns, median of $PUT_ROUNDS rounds of ${PUT_SECS} s | persistence off: $(fmt "${P[off|ops]:-}") ops/s, $(mibs "${P[off|ops]:-}") MiB/s | persistence async: $(fmt "${P[async|ops]:-}") ops/s, $(mibs "${P[async|ops]:-}") MiB/s | $pr | $(goal "$pr" 0.9) |"
  echo
  echo "Notes:"
  echo "- Machine load average (1/5/15 min): $LOAD_BEFORE before, $LOAD_AFTER after; clients, server and db_bench share the same $(nproc) cores."
  echo "- Value size $VALUE_SIZE B, 16-byte keys; RocksDB BlobDB (min_blob_size 65536), no compression, on $(df -P "$WORK" | awk 'NR==2 {print $1}'); everything fits the OS page cache ($(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo) GiB RAM), so \"disk\" reads are mostly page-cache reads for both."
  [[ ",$PARTS," == *,get,* ]] && echo "- GET from disk: load of $NKEYS keys in $LOAD_S s (16 MiB batches, each waiting for disk_queue_depth:0; $(mibs "$(awk -v n="$NKEYS" -v t="$LOAD_S" 'BEGIN { print n / t }')") MiB/s); dbsize $DBSIZE, disk_only_objects $DISK_ONLY, disk_async_dropped $DROPPED. GET run ${GET_SECS} s, crescent-bench $THREADS threads x 1 connection, pipeline 1: $(fmt "$C_GET_GETS") GETs, $(fmt "$C_GET_HITS") hits, $(fmt "$C_GET_MISSES") nil; p99 $C_GET_P99 ms; server CPU $(fmt "$C_GET_SCPU" 1) µs/req. INFO persistence during the run: disk_reads +${D[disk_reads]:-?}, disk_read_hits +${D[disk_read_hits]:-?}, promoted_objects +${D[promoted_objects]:-?}, demoted_objects +${D[demoted_objects]:-?}, disk_bytes_read +$(mibs "$(awk -v b="${D[disk_bytes_read]:-0}" -v s="$VALUE_SIZE" 'BEGIN { print b / s }')") MiB. Reads promote values back to memory, so a share of GETs (about maxmemory / working set) hit memory."
  [[ ",$PARTS," == *,get,* ]] && echo "- db_bench $(db_bench --version 2>/dev/null | head -1 | awk '{print $NF}'): --benchmarks=fillseq,readrandom --num=$NKEYS --value_size=$VALUE_SIZE --threads=$THREADS --duration=$GET_SECS (readrandom only) --compression_type=none --enable_blob_files=true --min_blob_size=65536; fillseq $(fmt "$R_FILL_OPS") ops/s ($(mibs "$R_FILL_OPS") MiB/s); readrandom ${R_READ_FOUND:-?}."
  [[ ",$PARTS," == *,put,* ]] && echo "- PUT: crescentd --maxmemory ${PUT_MEMORY_MB}MB --io-threads $THREADS, random overwrites of $PUT_KEYS keys, 0.5 s warm-up, $PUT_ROUNDS rounds alternating the modes; ops/s per round off${P[off|ops_all]:-} / async${P[async|ops_all]:-}; ratio per round${P[ratios]:-} (the table: their median); median p99 off ${P[off|p99]:-?} ms / async ${P[async|p99]:-?} ms; median server CPU µs/req off $(fmt "${P[off|scpu]:-}" 1) / async $(fmt "${P[async|scpu]:-}" 1); async, all rounds: disk_writes ${P[async|writes]:-?}, disk_async_dropped ${P[async|dropped]:-?} of about ${P[async|sets]:-?} SETs. A dropped write skips RocksDB (crescentd finds the queue full before copying the value and queues one delete of the key instead), so drops flatter the async figure; the disk tier's threads run at low priority (RocksDB's under SCHED_IDLE, the writer at nice 19, resting after a batch during which it was preempted: disk_writer_rests ${P[async|rests]:-?}, disk_writer_rest_ms ${P[async|rest_ms]:-?}), so under this CPU-saturating load they write what a twentieth of a core allows."
  if [ ${#PROBLEMS[@]} -gt 0 ]; then
    echo
    echo "Problems:"
    local p
    for p in "${PROBLEMS[@]}"; do echo "- $p"; done
  fi
}
echo
if [ -n "$OUT" ]; then report | tee "$OUT"; else report; fi
[ ${#PROBLEMS[@]} -eq 0 ]
