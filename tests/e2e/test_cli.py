"""crescent-cli (tools/crescent_cli, built as build/crescent-cli) against real servers: every
subcommand in text and --json, the exit codes scripts rely on (0 ok, 1 command error, 2
usage, 3 connection/auth), redis-cli's habits (-h, -p, -a, -u, --tls --cacert), and
dump/load of 100,000 objects from one server into a fresh one. Crescent's own tool and
commands, so the whole module is crescent_only. The binary is $CRESCENT_CLI, else
crescent-cli beside crescentd ($CRESCENTD or build/crescentd). How fast dump and load are
is measured by tools/bench/cli_dump_load.sh, not asserted here."""

import json
import os
import pty
import random
import subprocess
import time

import pytest

from conftest import HOST, crescentd_path, free_port
from test_tls import certs  # noqa: F401  (the fixture: a CA, server and client certificates)

pytestmark = pytest.mark.crescent_only

CLI = os.environ.get("CRESCENT_CLI", os.path.join(os.path.dirname(crescentd_path()), "crescent-cli"))


@pytest.fixture(scope="module", autouse=True)
def cli_built():
    if not os.access(CLI, os.X_OK):
        pytest.fail(f"crescent-cli not found at {CLI} (build it or set CRESCENT_CLI)", pytrace=False)


def run_cli(server, *args, password=None, env_password=None, stdin=None, stderr=None, timeout=300):
    """Runs crescent-cli against `server` (a ServerProcess, or a port number)."""
    port = server if isinstance(server, int) else server.port
    cmd = [CLI, "--host", HOST, "--port", str(port), "--no-progress"]
    if password is not None:
        cmd += ["--password", password]
    cmd += [str(a) for a in args]
    env = dict(os.environ)
    env.pop("CRESCENT_PASSWORD", None)
    if env_password is not None:
        env["CRESCENT_PASSWORD"] = env_password
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=stderr or subprocess.PIPE,
                          stdin=stdin, env=env, timeout=timeout)


def run_json(server, *args, expect=0, **kw):
    p = run_cli(server, "--json", *args, **kw)
    assert p.returncode == expect, f"exit {p.returncode}\nstdout: {p.stdout!r}\nstderr: {p.stderr!r}"
    return json.loads(p.stdout)


def as_dict(reply):
    items = list(reply.items()) if isinstance(reply, dict) else list(zip(reply[::2], reply[1::2]))
    return {(k.decode() if isinstance(k, bytes) else k): v for k, v in items}


# -- exit codes and usage ---------------------------------------------------------------

def test_help_documents_exit_codes():
    p = subprocess.run([CLI, "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert p.returncode == 0
    out = p.stdout.decode()
    assert "exit codes:" in out
    for line in ("0  success", "1  the command failed", "2  usage error", "3  connection or authentication"):
        assert line in out
    for command in ("ping", "status", "info", "segments", "keys", "query", "remove-regex",
                    "config", "dump", "load"):
        assert command in out
    for option in ("--host", "--port", "--password", "--user", "--tls", "--tls-ca", "--tls-cert",
                   "--tls-key", "--json", "--timeout", "CRESCENT_PASSWORD"):
        assert option in out


@pytest.mark.parametrize("args", [
    ["bogus-command"],
    [],
    ["query"],                           # missing KEY
    ["config", "set", "maxclients"],     # missing VALUE
    ["config"],                          # missing ACTION
    ["keys", "*", "--count", "0"],
    ["--port", "abc", "ping"],
    ["--port", "70000", "ping"],
    ["--timeout", "-1", "ping"],
    ["remove-regex", "x", "--no-such-flag"],
])
def test_usage_errors_exit_2(server, args):
    p = subprocess.run([CLI, "--port", str(server.port)] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    assert p.returncode == 2, p
    assert b"usage:" in p.stderr


def test_connection_refused_exits_3():
    port = free_port()  # nothing listens there
    p = run_cli(port, "ping")
    assert p.returncode == 3
    assert b"cannot connect" in p.stderr
    doc = run_json(port, "status", expect=3)
    assert doc["exit_code"] == 3 and "cannot connect" in doc["error"]


def test_tls_to_a_plain_port_exits_3(server):
    p = run_cli(server, "--tls", "--timeout", "5", "ping")
    assert p.returncode == 3, p


def test_authentication(fresh_server):
    s = fresh_server(["--requirepass", "secret"], password="secret")
    # wrong password: AUTH refused at connection time
    p = run_cli(s, "ping", password="wrong")
    assert p.returncode == 3 and b"authentication failed" in p.stderr, p
    assert run_json(s, "ping", password="wrong", expect=3)["exit_code"] == 3
    # no password: the first command answers NOAUTH
    p = run_cli(s, "status")
    assert p.returncode == 3 and b"Authentication required" in p.stderr, p
    assert b"CRESCENT_PASSWORD" in p.stderr
    # right password, from the flag or from the environment
    assert run_json(s, "ping", password="secret")["reply"] == "PONG"
    assert run_json(s, "ping", env_password="secret")["reply"] == "PONG"
    assert run_json(s, "ping", env_password="wrong", expect=3)["exit_code"] == 3
    # --user: AUTH default secret
    assert run_json(s, "--user", "default", "ping", password="secret")["reply"] == "PONG"
    assert run_json(s, "--user", "nobody", "ping", password="secret", expect=3)["exit_code"] == 3


def run_raw(*args, env_password=None, timeout=60):
    """Runs crescent-cli with exactly these arguments (no --host/--port added)."""
    env = dict(os.environ)
    env.pop("CRESCENT_PASSWORD", None)
    env.pop("REDISCLI_AUTH", None)
    if env_password is not None:
        env["CRESCENT_PASSWORD"] = env_password
    return subprocess.run([CLI] + [str(a) for a in args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env, timeout=timeout)


def test_command_help_and_cluster_stub(server):
    p = run_raw("dump", "--help")
    assert p.returncode == 0 and b"--batch-bytes" in p.stdout and b"usage: crescent-cli" in p.stdout
    # cluster commands come later: a clear message and exit code 1, in text and in JSON
    p = run_raw("-p", server.port, "cluster", "nodes")
    assert p.returncode == 1, p
    assert b"not in cluster mode" in p.stderr and b"not available yet" in p.stderr
    p = run_raw("-p", server.port, "--json", "cluster")
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    assert doc["exit_code"] == 1 and "not in cluster mode" in doc["error"]


def test_redis_cli_habits_h_p_a_u(fresh_server):
    s = fresh_server(["--requirepass", "secret"], password="secret")
    port = s.port
    p = run_raw("-h", HOST, "-p", port, "-a", "secret", "ping")
    assert p.returncode == 0 and p.stdout.startswith(b"PONG ("), p
    assert run_raw("-p", port, "ping", "-a", "secret").returncode == 0  # options after the command
    p = run_raw("-h", HOST, "-p", port, "ping")
    assert p.returncode == 3 and b"Authentication required" in p.stderr, p
    p = run_raw("-h", HOST, "-p", port, "-a", "nope", "ping")
    assert p.returncode == 3 and b"authentication failed" in p.stderr, p
    for uri in (f"redis://:secret@{HOST}:{port}", f"redis://default:secret@{HOST}:{port}/0",
                f"redis://default:s%65cret@{HOST}:{port}/"):
        p = run_raw("-u", uri, "ping")
        assert p.returncode == 0 and p.stdout.startswith(b"PONG ("), (uri, p)
    p = run_raw("-u", f"redis://default:wrong@{HOST}:{port}", "ping")
    assert p.returncode == 3 and b"authentication failed" in p.stderr, p
    p = run_raw("-u", f"redis://nobody:secret@{HOST}:{port}", "ping")
    assert p.returncode == 3, p
    # a flag after the URI wins over it; the URI wins over the flags before it
    assert run_raw("-u", f"redis://{HOST}:{port}", "-a", "secret", "ping").returncode == 0
    assert run_raw("-a", "secret", "-u", f"redis://:wrong@{HOST}:{port}", "ping").returncode == 3
    assert run_raw("-u", f"redis://:secret@{HOST}:1", "-p", port, "ping").returncode == 0
    assert run_raw("-u", f"redis://:secret@{HOST}:{port}", "-p", free_port(), "ping").returncode == 3
    # the password from the environment, as with --password
    assert run_raw("-p", port, "ping", env_password="secret").returncode == 0
    # usage errors of the habits
    for args in (["-u", "http://x", "ping"], ["-u", f"redis://{HOST}:{port}/x", "ping"],
                 ["-p", "0", "ping"], ["-h"]):
        p = run_raw(*args)
        assert p.returncode == 2 and b"usage:" in p.stderr, (args, p)


def test_exit_codes_of_each_kind(fresh_server):
    s = fresh_server()
    r = s.client()
    r.set("k", "v")
    assert run_raw("-p", s.port, "query", "k").returncode == 0
    assert run_raw("-p", s.port, "query", "missing").returncode == 1
    assert run_raw("-p", s.port, "config", "set", "no-such-option", "1").returncode == 1
    assert run_raw("-p", s.port, "query").returncode == 2
    assert run_raw("-p", s.port, "--no-such-option", "ping").returncode == 2
    assert run_raw("-p", free_port(), "ping").returncode == 3
    assert run_raw("-p", s.port, "-a", "pw", "ping").returncode == 3  # AUTH without a password set
    # a server that stops answering: the timeout is a connection failure
    import socket
    with socket.socket() as quiet:
        quiet.bind((HOST, 0))
        quiet.listen(1)
        p = run_raw("-p", quiet.getsockname()[1], "--timeout", "0.5", "ping")
    assert p.returncode == 3 and b"timed out" in p.stderr, p


def test_tls_habits(fresh_server, certs):
    from test_tls import tls_args
    tls_port = free_port()
    s = fresh_server(tls_args(certs, tls_port))
    p = run_raw("-h", HOST, "-p", tls_port, "--tls", "--cacert", certs["ca.pem"], "ping")
    assert p.returncode == 0 and p.stdout.startswith(b"PONG ("), p
    p = run_raw("-u", f"rediss://{HOST}:{tls_port}", "--cacert", certs["ca.pem"], "--json", "status")
    assert p.returncode == 0, p
    assert json.loads(p.stdout)["process_id"] == s.proc.pid
    # the older spelling, and no CA: the certificate is not checked
    assert run_raw("-p", tls_port, "--tls", "--tls-ca", certs["ca.pem"], "ping").returncode == 0
    assert run_raw("-p", tls_port, "--tls", "ping").returncode == 0
    # a CA the server's certificate does not chain to
    p = run_raw("-p", tls_port, "--tls", "--cacert", certs["client.pem"], "ping")
    assert p.returncode == 3 and b"certificate" in p.stderr, p
    # the plain port is still plain; TLS to it fails with exit code 3
    assert run_raw("-p", s.port, "ping").returncode == 0
    assert run_raw("-p", s.port, "--tls", "--timeout", "5", "ping").returncode == 3


def test_tls_client_certificate(fresh_server, certs):
    from test_tls import tls_args
    tls_port = free_port()
    fresh_server(tls_args(certs, tls_port, ca=True))
    base = ["-p", tls_port, "--tls", "--cacert", certs["ca.pem"], "--timeout", "5"]
    p = run_raw(*base, "--cert", certs["client.pem"], "--key", certs["client.key"], "ping")
    assert p.returncode == 0 and p.stdout.startswith(b"PONG ("), p
    p = run_raw(*base, "ping")  # no client certificate: refused
    assert p.returncode == 3, p
    p = run_raw(*base, "--cert", certs["client.pem"], "--key", certs["ca.pem"], "ping")
    assert p.returncode == 3, p  # not a key


# -- the read-only commands -------------------------------------------------------------

def test_ping(server):
    p = run_cli(server, "ping")
    assert p.returncode == 0 and p.stdout.startswith(b"PONG (")
    doc = run_json(server, "ping")
    assert doc["reply"] == "PONG" and doc["latency_ms"] >= 0


def test_status_summarises_info(fresh_server):
    s = fresh_server()
    r = s.client()
    for i in range(20):
        r.set(f"k{i}", "x" * 100)
    r.execute_command("PUT", "soft", "v", "SOFTPIN", "60000")
    r.execute_command("PUT", "hard", "v", "HARDPIN", "TTL", "60000")
    r.get("k1")              # a hit, and a lease
    r.get("missing")         # a miss
    doc = run_json(s, "status")
    info = r.info("everything")
    assert doc["version"] == str(info["crescent_version"])
    assert doc["keys"] == 22 and doc["keys_with_ttl"] == 1
    assert doc["connected_clients"] >= 2 and doc["maxclients"] == 10000
    assert doc["pool_capacity"] == 256 << 20 and 0 < doc["pool_used"] < doc["pool_capacity"]
    assert doc["segments"] == [{"name": "local", "capacity": 256 << 20,
                                "used": doc["pool_used"], "objects": 22}]
    assert doc["soft_pinned_objects"] == 1 and doc["hard_pinned_objects"] == 1
    assert doc["leased_objects"] >= 1
    assert doc["evicted_objects"] == 0
    assert doc["keyspace_hits"] == 1 and doc["keyspace_misses"] == 1 and doc["hit_rate"] == 0.5
    assert doc["uptime_seconds"] >= 0 and doc["process_id"] == s.proc.pid
    p = run_cli(s, "status")
    assert p.returncode == 0
    out = p.stdout.decode()
    for label in ("server", "uptime", "clients", "keys", "memory", "pool", "segments",
                  "evictions", "leases/pins", "hit rate"):
        assert any(line.startswith(label + " ") for line in out.splitlines()), (label, out)
    assert "hit rate     50.0%" in out
    assert "1 soft-pinned, 1 hard-pinned" in out


def test_info_text_section_and_json(server):
    p = run_cli(server, "info")
    out = p.stdout.decode()
    assert p.returncode == 0 and "# Server" in out and "# Eviction" in out and "\r" not in out
    p = run_cli(server, "info", "eviction")
    out = p.stdout.decode()
    assert out.startswith("# Eviction\n") and "# Server" not in out and "evicted_objects:" in out
    doc = run_json(server, "info", "all")
    assert doc["server"]["tcp_port"] == server.port
    assert isinstance(doc["segments"]["segment0"], dict) and doc["segments"]["segment0"]["name"] == "local"
    assert "eviction" in doc and "commandstats" in doc


def test_segments_table_and_json(fresh_server):
    s = fresh_server()
    r = s.client()
    assert r.execute_command("SEGMENT", "MOUNT", "extra", "16MB") == b"OK"
    r.execute_command("PUT", "o", "x" * 5000, "PREFER", "extra")
    doc = run_json(s, "segments")
    by_name = {seg["name"]: seg for seg in doc}
    assert set(by_name) == {"local", "extra"}
    assert by_name["extra"]["capacity"] == 16 << 20 and by_name["extra"]["objects"] == 1
    assert by_name["extra"]["used"] >= 5000 and by_name["local"]["objects"] == 0
    lines = run_cli(s, "segments").stdout.decode().splitlines()
    assert lines[0].split() == ["NAME", "CAPACITY", "USED", "USE", "OBJECTS"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"local", "extra"} and "16.0 MiB" in rows["extra"]


def test_keys_uses_scan_match(fresh_server):
    s = fresh_server()
    r = s.client()
    pipe = r.pipeline(transaction=False)
    for i in range(2500):
        pipe.set(f"user:{i}", i)
    for i in range(700):
        pipe.set(f"other:{i}", i)
    pipe.set(b"user:\xff\x00bin", "b")
    pipe.execute()
    r.config_resetstat()
    p = run_cli(s, "keys", "user:*")
    assert p.returncode == 0
    keys = p.stdout.decode().splitlines()
    assert len(keys) == 2501 and len(set(keys)) == 2501
    assert set(keys) - {f"user:{i}" for i in range(2500)} == {"user:\\xff\\x00bin"}
    doc = run_json(s, "keys", "other:1*")
    expected = {f"other:{i}" for i in range(700) if str(i).startswith("1")}
    assert doc["count"] == len(expected) and set(doc["keys"]) == expected
    assert run_json(s, "keys", "user:*", "--limit", "7")["count"] == 7
    assert run_json(s, "keys", "nothing*")["keys"] == []
    stats = r.info("commandstats")
    assert stats["cmdstat_scan"]["calls"] >= 3 and "cmdstat_keys" not in stats


def test_query_text_json_and_missing_key(server, r):
    r.execute_command("PUT", "q", "hello", "SOFTPIN", "60000", "HARDPIN", "TTL", "50000")
    doc = run_json(server, "query", "q")
    assert doc["key"] == "q" and doc["size"] == 5 and doc["hard_pin"] == 1
    assert 40000 < doc["ttl"] <= 50000 and 50000 < doc["soft_pin"] <= 60000
    assert doc["replicas"] == [{"segment": "local", "kind": "memory", "state": "COMPLETE"}]
    assert len(doc["checksum"]) == 16
    out = run_cli(server, "query", "q").stdout.decode()
    fields = {line.split()[0]: line.split(None, 1)[1] for line in out.splitlines() if line.strip()}
    assert fields["size"] == "5 bytes" and fields["hard_pin"] == "yes"
    assert fields["checksum"] == doc["checksum"] and fields["replicas"] == "1"
    assert fields["local"] == "memory  COMPLETE"
    r.set("plain", "v")
    out = run_cli(server, "query", "plain").stdout.decode()
    assert "ttl       none" in out and "soft_pin  no" in out and "hard_pin  no" in out
    p = run_cli(server, "query", "missing")
    assert p.returncode == 1 and b"key not found: missing" in p.stderr
    doc = run_json(server, "query", "missing", expect=1)
    assert doc == {"error": "key not found: missing", "exit_code": 1}


def test_remove_regex_dry_run_real_and_force(fresh_server):
    s = fresh_server(["--lease-ttl", "60s"])
    r = s.client()
    for i in range(50):
        r.set(f"cache:a:{i}", "v")
        r.set(f"cache:b:{i}", "v")
    r.get("cache:a:7")   # leased for 60 s: REMOVEREGEX keeps it without FORCE
    doc = run_json(s, "remove-regex", "^cache:a:", "--dry-run")
    assert doc["dry_run"] is True and doc["matched"] == 50 and doc["leased"] == 1
    assert len(doc["sample"]) == 10 and all(k.startswith("cache:a:") for k in doc["sample"])
    assert r.dbsize() == 100  # nothing removed
    out = run_cli(s, "remove-regex", "^cache:a:", "--dry-run", "--sample", "3").stdout.decode()
    assert out.startswith("50 objects match /^cache:a:/ (dry run: nothing removed)")
    assert "1 of them are leased" in out and "... and 47 more" in out
    doc = run_json(s, "remove-regex", "^cache:a:")
    assert doc == {"dry_run": False, "regex": "^cache:a:", "removed": 49, "force": False}
    assert r.exists("cache:a:7") == 1 and r.dbsize() == 51
    p = run_cli(s, "remove-regex", "^cache:a:", "--force")
    assert p.returncode == 0 and p.stdout == b"removed 1 objects matching /^cache:a:/\n"
    assert r.dbsize() == 50
    p = run_cli(s, "remove-regex", "(unclosed")
    assert p.returncode == 1 and b"invalid regular expression" in p.stderr
    assert run_json(s, "remove-regex", "(unclosed", "--dry-run", expect=1)["exit_code"] == 1
    assert r.dbsize() == 50


def test_config_get_set_rewrite(fresh_server):
    s = fresh_server()
    r = s.client()
    p = run_cli(s, "config", "get", "max*")
    assert p.returncode == 0
    assert "maxclients 10000" in p.stdout.decode().splitlines()
    assert run_json(s, "config", "get", "lease-ttl") == {"lease-ttl": "10s"}
    assert run_json(s, "config", "set", "maxclients", "77") == {"ok": True, "name": "maxclients", "value": "77"}
    assert r.config_get("maxclients") == {"maxclients": "77"}
    assert run_cli(s, "config", "set", "lease-ttl", "2s").stdout == b"OK\n"
    assert r.config_get("lease-ttl") == {"lease-ttl": "2s"}
    p = run_cli(s, "config", "set", "maxclients", "lots")
    assert p.returncode == 1 and b"maxclients" in p.stderr
    p = run_cli(s, "config", "set", "port", "1234")
    assert p.returncode == 1 and b"immutable" in p.stderr
    doc = run_json(s, "config", "set", "no-such-option", "1", expect=1)
    assert "no-such-option" in doc["error"]
    # the test server has no config file: REWRITE is refused, exit code 1
    p = run_cli(s, "config", "rewrite")
    assert p.returncode == 1 and b"without a config file" in p.stderr
    assert r.config_get("maxclients") == {"maxclients": "77"}


def test_progress_bar_only_on_a_terminal(fresh_server, tmp_path):
    s = fresh_server()
    r = s.client()
    pipe = r.pipeline(transaction=False)
    for i in range(3000):
        pipe.set(f"k{i}", "v" * 100)
    pipe.execute()
    # stderr is a pipe: no bar
    p = subprocess.run([CLI, "--port", str(s.port), "dump", str(tmp_path / "a.dump")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    assert p.returncode == 0 and p.stderr == b""
    # stderr is a terminal: a bar that reaches 100%
    master, slave = pty.openpty()
    try:
        p = subprocess.run([CLI, "--port", str(s.port), "dump", str(tmp_path / "b.dump")],
                           stdout=subprocess.PIPE, stderr=slave, timeout=120)
        os.close(slave)
        slave = None
        shown = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    assert p.returncode == 0
    assert b"dump [" in shown and b"100.0%" in shown and b"3,000/3,000" in shown, shown
    assert p.stdout.startswith(b"dumped 3,000 objects")


# -- dump and load ----------------------------------------------------------------------

N_OBJECTS = 100_000


def make_objects(rng):
    """(key, value, options) for N_OBJECTS objects: mostly small values, every 200th of
    64 KiB or more, a few of several MiB, empty ones, binary keys and values, TTLs, soft
    pins (with and without a duration) and hard pins."""
    for i in range(N_OBJECTS):
        if i % 50 == 0:
            key = b"\x00bin\xff\r\n" + i.to_bytes(4, "big") + bytes([rng.randrange(256)])
        else:
            key = b"obj:%d" % i
        if i in (7, 8):
            size = (1 << 20) * (i - 5) + 3   # 2 MiB + 3, 3 MiB + 3
        elif i % 200 == 0:
            size = 65536 + rng.randrange(0, 190_000)
        elif i % 997 == 0:
            size = 0
        else:
            size = rng.randrange(1, 800)
        value = os.urandom(size) if i % 3 else (b"text %d " % i * (size // 8 + 1))[:size]
        options = []
        if i % 10 == 1:
            options += ["TTL", rng.randrange(60_000, 600_000)]
        if i % 17 == 2:
            options += ["SOFTPIN", rng.randrange(120_000, 1_800_000)]
        elif i % 23 == 3:
            options += ["SOFTPIN"]   # the server's soft-pin-ttl (30 min)
        if i % 29 == 4:
            options += ["HARDPIN"]
        yield key, value, options


def populate(r, objects):
    keys = []
    pipe = r.pipeline(transaction=False)
    for key, value, options in objects:
        pipe.execute_command("UPSERT", key, value, *options)
        keys.append(key)
        if len(pipe) >= 1000:
            assert all(x == b"OK" for x in pipe.execute())
    assert all(x == b"OK" for x in pipe.execute())
    return keys


def query_many(r, keys):
    pipe = r.pipeline(transaction=False)
    for k in keys:
        pipe.execute_command("QUERY", k)
    return [as_dict(x) if x is not None else None for x in pipe.execute()]


def test_dump_and_load_100k_objects(fresh_server, tmp_path):
    src = fresh_server(["--maxmemory", "512MB"])
    dst = fresh_server(["--maxmemory", "512MB"])
    rs, rd = src.client(), dst.client()
    keys = populate(rs, make_objects(random.Random(20251122)))
    assert rs.dbsize() == N_OBJECTS
    path = tmp_path / "all.dump"

    doc = run_json(src, "dump", path)
    assert doc["objects"] == N_OBJECTS and doc["vanished"] == 0
    assert doc["file_bytes"] == path.stat().st_size and doc["value_bytes"] > 100 << 20
    assert not os.path.exists(str(path) + ".partial")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89CRDUMP\n"

    doc = run_json(dst, "load", path)
    assert doc == {"file": str(path), "objects": N_OBJECTS, "loaded": N_OBJECTS,
                   "expired_skipped": 0, "failed": 0, "errors": []}
    assert rd.dbsize() == N_OBJECTS

    # Values byte for byte (MGET) and TTLs (PTTL) of every object; the full metadata
    # (QUERY) of every object that was pinned, plus enough unpinned ones; the pin counts.
    pinned = [k for k, i in zip(keys, range(N_OBJECTS)) if i % 17 == 2 or i % 23 == 3 or i % 29 == 4]
    sample = list(dict.fromkeys(pinned + keys[::97]))
    ttls = 0
    for start in range(0, N_OBJECTS, 1000):
        chunk = keys[start:start + 1000]
        assert rs.mget(chunk) == rd.mget(chunk)
        ps, pd = rs.pipeline(transaction=False), rd.pipeline(transaction=False)
        for k in chunk:
            ps.pttl(k)
            pd.pttl(k)
        for key, a, b in zip(chunk, ps.execute(), pd.execute()):
            if a == -1:
                assert b == -1, key
            else:
                ttls += 1
                assert a > 0 and abs(a - b) <= 1000, (key, a, b)
    soft = hard = large = 0
    for start in range(0, len(sample), 1000):
        chunk = sample[start:start + 1000]
        for key, a, b in zip(chunk, query_many(rs, chunk), query_many(rd, chunk)):
            assert b is not None, key
            assert (a["size"], a["checksum"], a["hard_pin"]) == (b["size"], b["checksum"], b["hard_pin"]), key
            assert (a["ttl"] == -1) == (b["ttl"] == -1), key
            if a["soft_pin"] == 0:
                assert b["soft_pin"] == 0, key
            else:
                soft += 1
                assert abs(a["soft_pin"] - b["soft_pin"]) <= 1000, (key, a["soft_pin"], b["soft_pin"])
            hard += a["hard_pin"]
            large += a["size"] >= 65536
    # the mix really was there, and nothing else is pinned on the new server
    assert ttls == N_OBJECTS // 10
    assert hard == len(range(4, N_OBJECTS, 29)) and soft > 9000 and large >= 5
    es, ed = rs.info("eviction"), rd.info("eviction")
    assert ed["soft_pinned_objects"] == es["soft_pinned_objects"] == soft
    assert ed["hard_pinned_objects"] == es["hard_pinned_objects"] == hard
    assert es["evicted_objects"] == 0 and ed["evicted_objects"] == 0
    sizes = [len(v) for v in rd.mget(keys[:1000])]
    assert sizes[7] == (2 << 20) + 3 and sizes[8] == (3 << 20) + 3 and 0 in sizes
    assert sum(1 for s in sizes if s >= 65536) >= 5


def age_dump(path, ms):
    """Moves a dump's reference time `ms` into the past (and rewrites its checksum), as if
    the dump had been made that long ago: how long objects have left is then known without
    waiting for them to expire."""
    import hashlib
    import struct
    data = bytearray(path.read_bytes())
    (reference,) = struct.unpack("<Q", data[9:17])
    data[9:17] = struct.pack("<Q", reference - ms)
    data[-32:] = hashlib.sha256(bytes(data[:-32])).digest()
    path.write_bytes(bytes(data))


def test_load_skips_expired_objects_unless_relative(fresh_server, tmp_path):
    src = fresh_server()
    r = src.client()
    for i in range(10):
        r.execute_command("PUT", f"short:{i}", "v", "TTL", "20000")
        r.execute_command("PUT", f"long:{i}", "v", "TTL", "600000", "SOFTPIN", "20000")
    path = tmp_path / "ttl.dump"
    assert run_json(src, "dump", path)["objects"] == 20
    age_dump(path, 30_000)  # made 30 s ago: the short TTLs and the soft pins have ended
    dst = fresh_server()
    doc = run_json(dst, "load", path)
    assert (doc["loaded"], doc["expired_skipped"]) == (10, 10)
    rd = dst.client()
    assert sorted(rd.keys("*")) == sorted(f"long:{i}".encode() for i in range(10))
    info = as_dict(rd.execute_command("QUERY", "long:3"))
    assert info["soft_pin"] == 0 and 560_000 < info["ttl"] <= 570_000  # the pin had ended
    out = run_cli(dst, "load", path).stdout.decode()
    assert out == "loaded 10 of 20 objects; 10 had expired and were skipped\n"
    # --relative-ttl: lifetimes count from the load, as they were at the dump
    dst2 = fresh_server()
    doc = run_json(dst2, "load", path, "--relative-ttl")
    assert (doc["loaded"], doc["expired_skipped"]) == (20, 0)
    info = as_dict(dst2.client().execute_command("QUERY", "short:0"))
    assert 0 < info["ttl"] <= 20000
    info = as_dict(dst2.client().execute_command("QUERY", "long:0"))
    assert 0 < info["soft_pin"] <= 20000 and 590_000 < info["ttl"] <= 600_000


def test_load_rejects_corrupt_truncated_and_foreign_files(fresh_server, tmp_path):
    src = fresh_server()
    r = src.client()
    for i in range(500):
        r.set(f"k{i}", os.urandom(100))
    path = tmp_path / "good.dump"
    assert run_json(src, "dump", path)["objects"] == 500
    data = path.read_bytes()
    dst = fresh_server()
    rd = dst.client()

    corrupt = tmp_path / "corrupt.dump"
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x01
    corrupt.write_bytes(bytes(flipped))
    p = run_cli(dst, "load", corrupt)
    assert p.returncode == 1 and b"checksum mismatch" in p.stderr, p
    assert rd.dbsize() == 0  # verified before anything is loaded

    truncated = tmp_path / "truncated.dump"
    truncated.write_bytes(data[:-100])
    p = run_cli(dst, "load", truncated)
    assert p.returncode == 1 and b"checksum mismatch" in p.stderr, p

    foreign = tmp_path / "foreign.dump"
    foreign.write_bytes(b"this is not a dump file at all, just some text\n" * 10)
    doc = run_json(dst, "load", foreign, expect=1)
    assert "not a crescent-cli dump" in doc["error"]

    p = run_cli(dst, "load", tmp_path / "missing.dump")
    assert p.returncode == 1 and b"cannot read" in p.stderr

    # through stdin the checksum is checked at the end: a corrupt stream still fails
    with open(corrupt, "rb") as f:
        p = run_cli(dst, "load", "-", stdin=f)
    assert p.returncode == 1 and b"corrupt" in p.stderr
    rd.flushall()
    assert rd.dbsize() == 0
    assert run_json(dst, "load", path)["loaded"] == 500 and rd.dbsize() == 500


def test_dump_to_stdout_load_from_stdin(fresh_server, tmp_path):
    src = fresh_server()
    r = src.client()
    for i in range(300):
        r.execute_command("PUT", f"p{i}", os.urandom(i * 10), *(["HARDPIN"] if i % 2 else []))
    dump = run_cli(src, "dump", "-")
    assert dump.returncode == 0 and dump.stdout.startswith(b"\x89CRDUMP\n")
    assert b"dumped 300 objects" in dump.stderr
    dst = fresh_server()
    p = subprocess.run([CLI, "--port", str(dst.port), "--json", "load", "-"], input=dump.stdout,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    assert p.returncode == 0, p
    assert json.loads(p.stdout)["loaded"] == 300
    rd = dst.client()
    for i in (0, 1, 150, 299):
        assert rd.get(f"p{i}") == r.get(f"p{i}")
        assert as_dict(rd.execute_command("QUERY", f"p{i}"))["hard_pin"] == i % 2


def test_dump_file_format_is_as_documented(fresh_server, tmp_path):
    """Parses a dump by hand, following the layout in docs/cli-dump-format.md."""
    import hashlib
    import struct
    s = fresh_server()
    r = s.client()
    r.execute_command("PUT", b"k\x00", b"\xffvalue", "TTL", "100000", "SOFTPIN", "200000", "HARDPIN")
    path = tmp_path / "one.dump"
    before = int(time.time() * 1000)
    assert run_json(s, "dump", path)["objects"] == 1
    data = path.read_bytes()
    assert data[:8] == b"\x89CRDUMP\n" and data[8] == 1
    (reference,) = struct.unpack("<Q", data[9:17])
    assert before <= reference <= int(time.time() * 1000)
    body = data[17:]
    assert body[0] == 0x01 and body[1] == 0x07        # object; TTL, soft pin, hard pin
    assert body[2] == 2 and body[3:5] == b"k\x00"     # varint key length, key
    assert body[5] == 6 and body[6:12] == b"\xffvalue"

    def varint(buf, pos):
        n = shift = 0
        while True:
            b = buf[pos]
            n |= (b & 0x7F) << shift
            pos += 1
            if not b & 0x80:
                return n, pos
            shift += 7
    ttl, pos = varint(body, 12)
    pin, pos = varint(body, pos)
    assert 99_000 < ttl <= 100_500 and 199_000 < pin <= 200_500
    assert body[pos] == 0x00 and struct.unpack("<Q", body[pos + 1:pos + 9]) == (1,)
    assert body[pos + 9:] == hashlib.sha256(data[:17 + pos + 9]).digest()
