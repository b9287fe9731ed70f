#!/usr/bin/env bash
# Installs, from Debian 12's packages only, whatever the build and the tests need.
# Idempotent: when every package is present it does nothing (no apt-get update either).
#   --build-only   just what building needs (the container image's builder stage)
set -euo pipefail

build_only=""
[ "${1:-}" = "--build-only" ] && build_only=yes

packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config git
  # libraries
  libboost-dev libboost-program-options-dev libyaml-cpp-dev librocksdb-dev libucx-dev
  libfmt-dev libspdlog-dev libre2-dev libxxhash-dev libssl-dev doctest-dev
)
[ -n "$build_only" ] || packages+=(
  # tests and benchmarks: real clients and a real peer
  libhiredis-dev python3 python3-redis python3-pytest redis-server redis-tools
  procps iproute2
  # Node's clients for the transaction tests: node-redis from Debian, ioredis from npm
  nodejs node-redis
  # /metrics: promtool checks the exposition, a real prometheus scrapes it
  prometheus
)

# npm only where no npm came with nodejs (a NodeSource nodejs ships its own).
[ -n "$build_only" ] || command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# ioredis (npm's registry) for tests/e2e/test_node_clients.py, once per checkout.
install_node_clients() {
  [ -z "$build_only" ] || return 0
  local dir
  dir="$(cd "$(dirname "$0")/../.." && pwd)/tests/e2e/node"
  [ -d "$dir/node_modules/ioredis" ] && return 0
  (cd "$dir" && npm install --no-audit --no-fund --no-save --loglevel=error >/dev/null)
}
if [ ${#missing[@]} -eq 0 ]; then
  install_node_clients
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# Packages that ship a service (prometheus) must not start it: the tests run their own,
# on loopback. policy-rc.d tells Debian's maintainer scripts not to start services.
policy=/usr/sbin/policy-rc.d
added_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  added_policy=yes
fi
status=0
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" || status=$?
[ -n "$added_policy" ] && $sudo rm -f "$policy"
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  $sudo systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
[ $status -eq 0 ] && { install_node_clients || status=$?; }
exit $status
