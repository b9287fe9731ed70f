#!/usr/bin/env bash
# How fast crescent-cli dumps and loads: fills a server with N objects (mostly small
# values, every 200th of 64 KiB or more, as tests/e2e/test_cli.py's mix), dumps them to a
# file, loads the file into a second server, and prints the figures (seconds, objects/s,
# MB/s). Measures only; asserts nothing.
#
#   tools/bench/cli_dump_load.sh [N]        (default 100000; build/ must hold crescentd
#                                            and crescent-cli)
#
# Both servers run on free loopback ports and are stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-100000}
build=${BUILD_DIR:-build}
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
start() {  # $1 = port
  "$build/crescentd" --port "$1" --metrics-port 0 --persistence off --maxmemory 1GB \
    --dir "$work" >"$work/server-$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    "$build/crescent-cli" -p "$1" --timeout 1 ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "crescentd on port $1 did not start" >&2
  exit 1
}
src=$(free_port); start "$src"
dst=$(free_port); start "$dst"

echo "filling the source with $n objects"
/usr/bin/python3 - "$src" "$n" <<'PY'
import os, random, socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(20251122)
s = socket.create_connection(("127.0.0.1", port))
def cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out
batch = []
for i in range(n):
    size = 65536 + rng.randrange(190_000) if i % 200 == 0 else rng.randrange(1, 800)
    opts = ["TTL", 600000] if i % 10 == 1 else []
    batch.append(cmd("UPSERT", b"obj:%d" % i, os.urandom(size), *opts))
    if len(batch) == 1000 or i == n - 1:
        s.sendall(b"".join(batch))
        want, got = len(batch), b""
        while got.count(b"\r\n") < want:
            got += s.recv(1 << 20)
        batch = []
PY

now() { date +%s.%N; }
t0=$(now)
"$build/crescent-cli" -p "$src" --no-progress --json dump "$work/all.dump" >"$work/dump.json"
t1=$(now)
"$build/crescent-cli" -p "$dst" --no-progress --json load "$work/all.dump" >"$work/load.json"
t2=$(now)
/usr/bin/python3 - "$work/dump.json" "$work/load.json" "$t0" "$t1" "$t2" <<'PY'
import json, sys
d, l = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
t0, t1, t2 = map(float, sys.argv[3:6])
for name, secs, objects in (("dump", t1 - t0, d["objects"]), ("load", t2 - t1, l["loaded"])):
    print(f"{name}: {objects:,} objects, {d['file_bytes'] / 1e6:.1f} MB file, {secs:.2f} s, "
          f"{objects / secs:,.0f} objects/s, {d['file_bytes'] / 1e6 / secs:.1f} MB/s")
PY
