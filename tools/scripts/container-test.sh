#!/usr/bin/env bash
# Builds the Crescent image with podman and checks it for real: it runs the image with a
# named volume on /data and the RESP port published on loopback, talks to it with
# redis-cli from the host (SET/GET, PUT with a TTL) and with the image's own crescent-cli
# inside the container (ping, status --json), checks the HEALTHCHECK reports
# healthy and that the server runs as the non-root user `crescent`, restarts the
# container and checks that the data written before is found again (the SSD tier in
# /data), and that crescentd exits 0 on stop.
#
#   tools/scripts/container-test.sh
#
# Needs no registry: ../shared/tools/container-env.sh (beside the repository) installs
# podman and builds a local debian:bookworm base. Every step has a time limit; the
# container, the volume and the image tag created here are removed at the end, whatever
# happened (the build cache is kept, so a second run is quick). Exit code 0 only if every
# check passed. Environment: CONTAINER_TEST_BUILD_TIMEOUT (seconds, default 2400).
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
env_script="$repo/../shared/tools/container-env.sh"
if [ ! -f "$env_script" ]; then
  echo "container-test: $env_script not found" >&2
  exit 1
fi
# shellcheck source=/dev/null
source "$env_script" || { echo "container-test: container-env.sh failed" >&2; exit 1; }
set +e  # container-env.sh sets -e; this script counts failures itself

id="ctest-$$-$RANDOM"
image="localhost/crescent-$id:latest"
container="crescent-$id"
volume="crescent-$id"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
build_timeout=${CONTAINER_TEST_BUILD_TIMEOUT:-2400}
passed=0
failed=0
log=$(mktemp -d)

cleanup() {
  timeout 60 podman rm -f -t 5 "$container" >/dev/null 2>&1
  timeout 60 podman volume rm -f "$volume" >/dev/null 2>&1
  timeout 60 podman rmi -f "$image" >/dev/null 2>&1
  rm -rf "$log"
}
trap cleanup EXIT

pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
finish() {
  echo "container-test: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}
rcli() { timeout 10 redis-cli -h 127.0.0.1 -p "$port" "$@" 2>&1; }
# Waits until PING answers PONG; $1 = seconds.
wait_pong() {
  local deadline=$((SECONDS + $1))
  while [ $SECONDS -lt "$deadline" ]; do
    [ "$(rcli PING)" = "PONG" ] && return 0
    sleep 0.5
  done
  return 1
}
show_logs() { echo "--- container log (last 30 lines) ---"; timeout 20 podman logs --tail 30 "$container" 2>&1; echo "---"; }

# 1. Build.
echo "== building $image (limit ${build_timeout}s)"
start=$SECONDS
if timeout "$build_timeout" podman build --network host --format docker -t "$image" "$repo" >"$log/build.txt" 2>&1; then
  pass "image built in $((SECONDS - start))s ($(podman image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
else
  tail -40 "$log/build.txt"
  fail "podman build (exit code or time limit; log above)"
  finish
fi

# 2. Run with a named volume and the port published on loopback.
echo "== running $container on 127.0.0.1:$port, volume $volume on /data"
timeout 60 podman volume create "$volume" >/dev/null
if ! timeout 60 podman run -d --name "$container" -p "127.0.0.1:$port:6379" \
    -v "$volume:/data" "$image" >"$log/run.txt" 2>&1; then
  cat "$log/run.txt"
  fail "podman run"
  finish
fi
if wait_pong 30; then
  pass "PING answers PONG through the published port"
else
  show_logs
  fail "no PONG on 127.0.0.1:$port within 30s"
  finish
fi

# 3. The server runs as the non-root user crescent.
uid_line=$(timeout 20 podman exec "$container" grep '^Uid:' /proc/1/status)
crescent_uid=$(timeout 20 podman exec "$container" id -u crescent)
comm=$(timeout 20 podman exec "$container" cat /proc/1/comm)
whoami=$(timeout 20 podman exec "$container" id -un)
if [ "$comm" = "crescentd" ] && [ -n "$crescent_uid" ] && [ "$crescent_uid" != 0 ] &&
   [ "$(echo "$uid_line" | awk '{print $2}')" = "$crescent_uid" ] && [ "$whoami" = "crescent" ]; then
  pass "PID 1 is crescentd running as crescent (uid $crescent_uid, not root)"
else
  fail "expected PID 1 crescentd as user crescent; got comm='$comm' '$uid_line' whoami='$whoami'"
fi

# 4. Commands from the host.
r1=$(rcli SET greeting "hello from the host")
r2=$(rcli GET greeting)
r3=$(rcli PUT kept-with-ttl "object value" TTL 3600000)
r4=$(rcli PTTL kept-with-ttl)
if [ "$r1" = "OK" ] && [ "$r2" = "hello from the host" ] && [ "$r3" = "OK" ] &&
   [ "$r4" -gt 3500000 ] 2>/dev/null && [ "$r4" -le 3600000 ]; then
  pass "SET/GET and PUT with TTL from the host (PTTL $r4 ms)"
else
  fail "SET/GET/PUT: SET=$r1 GET=$r2 PUT=$r3 PTTL=$r4"
fi

# 4b. The image's crescent-cli, inside the container (the server's port there is 6379).
ccli_ping=$(timeout 20 podman exec "$container" crescent-cli -p 6379 ping 2>&1)
ccli_code=$?
ccli_keys=$(timeout 20 podman exec "$container" crescent-cli -p 6379 --json status 2>&1 |
            /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["keys"])' 2>&1)
if [ "$ccli_code" = 0 ] && [[ $ccli_ping == PONG* ]] && [ "$ccli_keys" = 2 ]; then
  pass "crescent-cli in the image: ping ($ccli_ping), status --json (keys $ccli_keys)"
else
  fail "crescent-cli in the image: ping exit $ccli_code '$ccli_ping', status keys '$ccli_keys'"
fi

# 5. HEALTHCHECK. Without systemd podman does not run it on a timer; run it now.
health=""
deadline=$((SECONDS + 30))
while [ $SECONDS -lt $deadline ]; do
  timeout 20 podman healthcheck run "$container" >/dev/null 2>&1
  health=$(timeout 20 podman inspect --format '{{.State.Health.Status}}' "$container" 2>/dev/null)
  [ "$health" = "healthy" ] && break
  sleep 1
done
if [ "$health" = "healthy" ]; then
  pass "HEALTHCHECK reports healthy"
else
  fail "HEALTHCHECK status '$health' (podman healthcheck run: $(timeout 20 podman healthcheck run "$container" 2>&1))"
fi

# 6. Restart: SIGTERM (crescentd must exit 0), start again, find the data again.
echo "== restarting $container"
timeout 60 podman stop -t 20 "$container" >/dev/null 2>&1
code=$(timeout 20 podman inspect --format '{{.State.ExitCode}}' "$container")
if [ "$code" = "0" ]; then
  pass "crescentd exited 0 on stop (SIGTERM)"
else
  show_logs
  fail "crescentd exit code on stop: '$code'"
fi
timeout 60 podman start "$container" >/dev/null 2>&1
if ! wait_pong 30; then
  show_logs
  fail "no PONG within 30s after the restart"
  finish
fi
pass "PING answers PONG after the restart"
g=$(rcli GET greeting)
t=$(rcli PTTL kept-with-ttl)
v=$(rcli GET kept-with-ttl)
keys=$(rcli DBSIZE)
if [ "$g" = "hello from the host" ] && [ "$v" = "object value" ] &&
   [ "$t" -gt 0 ] 2>/dev/null && [ "$t" -le "$r4" ]; then
  pass "data written before the restart is found again (TTL kept: $t ms)"
else
  fail "data not found after the restart (DBSIZE=$keys, GET greeting='$g', GET kept-with-ttl='$v', PTTL=$t):" \
       "the SSD tier (persistence: async, dir /data on the volume) did not bring it back;" \
       "persistence is probably not wired into crescentd yet"
fi
finish
