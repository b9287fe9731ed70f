"""Node's clients, unchanged: ioredis's and node-redis's multi() and WATCH (node-redis
from Debian's node-redis package, ioredis from npm into tests/e2e/node/node_modules by
tools/scripts/install-deps.sh). Run against redis-server too."""

import json
import os
import shutil
import subprocess

import pytest

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")


def run_node(script, port):
    node = shutil.which("node") or shutil.which("nodejs")
    assert node, "node is not installed (tools/scripts/install-deps.sh installs it)"
    assert os.path.isdir(os.path.join(NODE_DIR, "node_modules", "ioredis")), \
        "ioredis is missing: run tools/scripts/install-deps.sh"
    env = dict(os.environ, NODE_PATH=os.pathsep.join(
        [os.path.join(NODE_DIR, "node_modules"), "/usr/share/nodejs", "/usr/lib/nodejs"]))
    p = subprocess.run([node, os.path.join(NODE_DIR, script), str(port)], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert p.returncode == 0, p.stderr.decode()
    return json.loads(p.stdout)


def test_ioredis_and_node_redis_multi_and_watch(server, r):
    out = run_node("transactions.js", server.port)
    io = out["ioredis"]
    # ioredis: [[err, result], ...]
    assert io["multi"] == [[None, "OK"], [None, 1], [None, 2], [None, "1"]]
    assert io["aborted"] is None          # the watched key was written by another client
    assert io["after"] == "theirs"
    assert "EXECABORT" in io["queueError"]
    nr = out["nodeRedis"]
    assert nr["multi"] == ["OK", 1, 2, "1"]
    assert nr["watchError"] == "WatchError"
    assert nr["after"] == "theirs"
