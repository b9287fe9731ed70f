"""crescent-bench (tools/crescent_bench) against a real server: what each workload
writes and reads, what it reports, and how it fails.

The binary is $CRESCENT_BENCH, else crescent-bench beside crescentd ($CRESCENTD or
build/). With --target redis the same tests run against redis-server: compare.sh drives
both servers with this client, so it must behave the same against each.
"""

import json
import os
import re
import subprocess
import time

import pytest

from conftest import HOST, crescentd_path, free_port


def bench_path():
    return os.environ.get("CRESCENT_BENCH",
                          os.path.join(os.path.dirname(crescentd_path()), "crescent-bench"))


def bench_command(port, *args):
    exe = bench_path()
    if not os.access(exe, os.X_OK):
        pytest.fail(f"crescent-bench not found at {exe} (build it or set CRESCENT_BENCH)", pytrace=False)
    return [exe, "--host", HOST, "--port", str(port)] + [str(a) for a in args]


def run_bench(port, *args, timeout=120):
    return subprocess.run(bench_command(port, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, text=True)


def run_json(port, *args):
    p = run_bench(port, "--json", *args)
    lines = p.stdout.strip().splitlines()
    assert len(lines) == 1, f"expected one JSON line, got {p.stdout!r}; stderr {p.stderr!r}"
    return p.returncode, json.loads(lines[0]), p.stderr


def all_keys(r):
    return sorted(r.scan_iter(count=1000))


def test_set_with_sequential_keys_writes_each_key_once(server, r):
    rc, out, err = run_json(server.port, "--workload", "set", "--key-pattern", "seq", "--keyspace", 2000,
                            "--requests", 2000, "--value-size", 100, "--threads", 2, "--connections", 4,
                            "--pipeline", 8)
    assert rc == 0, err
    assert out["workload"] == "set"
    assert (out["connections"], out["threads"], out["pipeline"]) == (4, 2, 8)
    assert out["requests"] == 2000
    assert out["sets"] == 2000 and out["gets"] == 0
    assert out["payload_bytes"] == 2000 * 100
    assert out["errors"] == 0 and out["connection_failures"] == 0 and out["first_error"] == ""
    assert out["seconds"] > 0 and out["ops_per_sec"] > 0
    assert 0 < out["p50_us"] <= out["p99_us"] <= out["p999_us"] <= out["max_us"]
    assert out["client_cpu_us_per_req"] > 0
    assert out["server_cpu_us_per_req"] is None  # no --server-pid
    keys = all_keys(r)
    assert keys == [b"key:%012d" % i for i in range(2000)]
    for key in (keys[0], keys[999], keys[-1]):
        value = r.get(key)
        assert len(value) == 100
        assert all(0x21 <= c <= 0x7e for c in value)


def test_get_fills_the_key_set_then_every_get_hits(server, r):
    rc, out, err = run_json(server.port, "--workload", "get", "--keyspace", 500, "--requests", 3000,
                            "--value-size", "1k", "--pipeline", 4, "--connections", 3)
    assert rc == 0, err
    assert out["prefilled"] == 500 and out["keyspace"] == 500
    assert out["requests"] == 3000 and out["gets"] == 3000 and out["sets"] == 0
    assert out["lookups"] == 3000 and out["hits"] == 3000 and out["misses"] == 0
    assert out["payload_bytes"] == 3000 * 1024
    assert r.dbsize() == 500
    assert {r.strlen(k) for k in all_keys(r)} == {1024}


def test_get_counts_misses_for_keys_never_written(server, r):
    rc, out, err = run_json(server.port, "--workload", "get", "--keyspace", 1000, "--prefill", 0.5,
                            "--requests", 4000)
    assert rc == 0, err
    assert out["prefilled"] == 500
    assert out["hits"] + out["misses"] == 4000
    assert 0.4 < out["misses"] / 4000 < 0.6
    assert out["payload_bytes"] == out["hits"] * 16
    assert r.dbsize() == 500


def test_mixed_sends_gets_and_sets_at_the_ratio(server, r):
    rc, out, err = run_json(server.port, "--workload", "mixed", "--get-ratio", 0.25, "--keyspace", 300,
                            "--requests", 4000, "--value-size", 64)
    assert rc == 0, err
    assert out["gets"] + out["sets"] == 4000
    assert 0.2 < out["gets"] / 4000 < 0.3
    assert out["misses"] == 0  # the key set was filled first
    assert r.dbsize() == 300


def test_kvcache_lookups_misses_and_the_keys_it_leaves(server, r):
    rc, out, err = run_json(server.port, "--workload", "kvcache", "--server-memory", "32MB",
                            "--value-size", "64k-128k", "--requests", 3000, "--threads", 2,
                            "--server-pid", server.proc.pid)
    assert rc == 0, err
    assert out["connections"] == 8 and out["pipeline"] == 1
    assert out["key_length"] == 140
    keyspace = out["keyspace"]
    # 80% of 32 MiB over values of 96 KiB on average (plus key and overhead)
    assert 250 <= keyspace <= 275
    assert out["prefilled"] == int(0.8 * keyspace)
    ops = out["exists"] + out["gets"] + out["sets"] + out["dels"]
    assert ops == out["requests"] == 3000
    # every lookup is an EXISTS, followed by a GET that hits or by a SET (a miss); a GET
    # finds nothing when another connection replaced the key after the EXISTS, and a SET
    # follows it
    assert out["lookups"] == out["exists"]
    assert out["misses"] == out["sets"]
    assert out["hits"] <= out["gets"] <= out["hits"] + out["gets"] // 20
    assert abs(out["lookups"] - out["hits"] - out["sets"]) <= 8  # the last lookup of each connection
    # 20% of the lookups are for new content, and some popular slots were never filled
    assert 0.15 < out["misses"] / out["lookups"] < 0.6
    # new content replaces its slot's old key: the key set keeps its size (give or take
    # a connection stopped between its SET and its DEL)
    keys = all_keys(r)
    assert out["prefilled"] <= len(keys) <= keyspace + 8
    for key in keys[:50]:
        assert len(key) == 140
        assert key.startswith(b"vllm@meta-llama/Llama-3.1-70B-Instruct@4@0@")
        assert 64 * 1024 <= r.strlen(key) <= 128 * 1024
    assert out["server_cpu_us_per_req"] is not None and out["server_cpu_us_per_req"] > 0


def test_duration_mode_runs_for_the_given_time(server, r):
    rc, out, err = run_json(server.port, "--workload", "set", "--duration", 0.3, "--warmup", 0.1,
                            "--keyspace", 100)
    assert rc == 0, err
    assert out["seconds"] >= 0.3
    assert out["requests"] > 0
    assert r.dbsize() <= 100


def test_text_summary(server, r):
    p = run_bench(server.port, "--workload", "get", "--keyspace", 10, "--requests", 100, "--value-size", "4KiB")
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert out.startswith(f"crescent-bench get: {HOST}:{server.port}, 1 connections on 1 threads, pipeline 1\n")
    assert "keys:        16 bytes, 10 in the key set, 10 written beforehand" in out
    assert "values:      4KiB\n" in out
    assert re.search(r"^get +\d+ ops/s  \(100 requests in [\d.]+ s\)$", out, re.M)
    assert re.search(r"^payload: +[\d.]+ GB/s$", out, re.M)
    assert re.search(r"^latency:     p50 [\d.]+ us  p99 [\d.]+ us  p99\.9 [\d.]+ us", out, re.M)
    assert "lookups:     100, hits 100, misses 0 (0.0%)" in out
    assert "errors:      0 error replies, 0 connection failures\n" in out


def test_error_replies_fail_the_run_and_are_reported(fresh_server):
    s = fresh_server(["--requirepass", "secret"], password="secret")
    rc, out, err = run_json(s.port, "--workload", "set", "--requests", 50)
    assert rc == 1
    assert out["errors"] == 50
    assert out["first_error"].startswith("NOAUTH")
    # a workload that fills the key set first stops at the prefill
    p = run_bench(s.port, "--workload", "get", "--keyspace", 10, "--requests", 10)
    assert p.returncode == 1
    assert p.stderr.startswith("crescent-bench: prefill failed: NOAUTH")


def test_no_server_is_a_connection_failure():
    port = free_port()
    rc, out, err = run_json(port, "--workload", "set", "--requests", 10, "--connections", 3)
    assert rc == 1
    assert out["connection_failures"] == 3
    assert out["requests"] == 0
    assert out["first_error"] == f"connect {HOST}:{port}: Connection refused"


def test_server_closing_connections_mid_run_is_reported(fresh_server):
    s = fresh_server()
    client = s.client()
    # CLIENT KILL from another connection while the bench runs
    proc = subprocess.Popen(bench_command(s.port, "--json", "--workload", "set", "--duration", 30,
                                          "--connections", 2),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(200):
            killed = client.client_kill_filter(_type="normal", skipme=True)
            if killed:
                break
            time.sleep(0.02)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1
    result = json.loads(out)
    assert result["connection_failures"] >= 1
    assert result["first_error"] == "connection closed by the server"


def test_bad_options_exit_2_with_the_reason():
    p = run_bench(6379, "--bogus", "1")
    assert p.returncode == 2
    assert p.stderr == "crescent-bench: unknown option --bogus (see --help)\n"
    assert p.stdout == ""
    p = run_bench(6379, "--value-size", "4m-1m")
    assert p.returncode == 2
    assert p.stderr == "crescent-bench: bad value for --value-size: '4m-1m'\n"
    p = run_bench(6379, "--help")
    assert p.returncode == 0
    assert p.stdout.startswith("Usage: crescent-bench")
