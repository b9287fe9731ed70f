"""Server commands: INFO, DBSIZE, TIME, COMMAND (COUNT/INFO/DOCS), MEMORY USAGE, CONFIG,
SLOWLOG."""

import fnmatch
import os
import re
import time

import pytest

from respclient import (NOT_INTEGER, SYNTAX_ERROR, Error, Status, parse_info,
                        process_uptime_seconds, wait_until, wrong_args)


def info(raw, *sections):
    text = raw.cmd("INFO", *sections)
    assert isinstance(text, bytes), text
    return text, parse_info(text)


# -- INFO -------------------------------------------------------------------------

def test_info_default_sections(raw):
    text, sections = info(raw)
    assert text.endswith(b"\r\n")
    for name in ("server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                 "cluster", "keyspace"):
        assert name in sections, f"INFO lacks section {name}: {list(sections)}"


def test_info_server_fields(raw):
    _, s = info(raw, "server")
    assert list(s) == ["server"]
    server = s["server"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", server["redis_version"]), server["redis_version"]
    assert server["redis_mode"] == "standalone"
    assert int(server["tcp_port"]) == raw.port
    assert int(server["process_id"]) > 0
    # the process's own age, as the kernel counts it (whole seconds, rounded down)
    assert abs(int(server["uptime_in_seconds"]) - process_uptime_seconds(int(server["process_id"]))) < 2
    assert abs(int(server["server_time_usec"]) / 1e6 - time.time()) < 5


def test_info_fields(raw):
    _, s = info(raw)
    assert s["persistence"]["loading"] == "0"
    assert s["cluster"]["cluster_enabled"] == "0"
    assert int(s["clients"]["connected_clients"]) >= 1
    assert int(s["memory"]["used_memory"]) > 0
    assert s["replication"]["role"] == "master"


def test_info_stats_count_what_happened(server, raw):
    def stats():
        return {k: int(v) for k, v in info(raw, "stats")[1]["stats"].items()
                if k in ("total_connections_received", "total_commands_processed",
                         "keyspace_hits", "keyspace_misses", "expired_keys")}
    before = stats()
    raw.cmd("SET", "hit", "v")
    raw.cmd("SET", "gone", "v", "PX", "1")
    assert raw.cmd("GET", "hit") == b"v"           # a hit
    assert raw.cmd("GET", "missing") is None       # a miss
    time.sleep(0.05)
    assert raw.cmd("GET", "gone") is None          # a miss, and the key expires on access
    with server.raw() as other:                    # one more connection
        assert other.cmd("PING") == Status("PONG")
    after = stats()
    delta = {k: after[k] - before[k] for k in after}
    assert delta == {"total_connections_received": 1,
                     # the first INFO, 5 commands here and the other connection's PING
                     "total_commands_processed": 7,
                     "keyspace_hits": 1, "keyspace_misses": 2, "expired_keys": 1}, delta


def test_info_section_names_case_insensitive(raw):
    _, s = info(raw, "CLIENTS")
    assert list(s) == ["clients"]
    _, s = info(raw, "Memory")
    assert list(s) == ["memory"]


def test_info_multiple_sections(raw):
    _, s = info(raw, "server", "keyspace")
    assert list(s) == ["server", "keyspace"]


def test_info_unknown_section_is_empty(raw):
    assert raw.cmd("INFO", "nosuchsection") == b""


def test_info_keyspace(r, raw):
    _, s = info(raw, "keyspace")
    assert s == {"keyspace": {}}           # no db0 line when the database is empty
    r.mset({"a": 1, "b": 2, "c": 3})
    r.expire("a", 100)
    _, s = info(raw, "keyspace")
    db0 = s["keyspace"]["db0"]
    fields = dict(kv.split("=") for kv in db0.split(","))
    assert fields["keys"] == "3"
    assert fields["expires"] == "1"
    assert "avg_ttl" in fields


def test_info_connected_clients(server, raw):
    def connected():
        return int(info(raw, "clients")[1]["clients"]["connected_clients"])
    before = connected()
    extra = [server.raw() for _ in range(5)]
    try:
        for c in extra:
            assert c.cmd("PING") == "PONG"
        assert wait_until(lambda: connected() == before + 5, timeout=5,
                          message="connected_clients to grow by 5")
    finally:
        for c in extra:
            c.close()
    wait_until(lambda: connected() == before, timeout=5, message="connected_clients to drop back")


def test_info_stats_keyspace_hits_misses(r, raw):
    raw.cmd("CONFIG", "RESETSTAT")
    raw.cmd("SET", "k", "v")
    raw.cmd("GET", "k")
    raw.cmd("GET", "k")
    raw.cmd("GET", "missing")
    stats = info(raw, "stats")[1]["stats"]
    assert stats["keyspace_hits"] == "2"
    assert stats["keyspace_misses"] == "1"


def test_info_used_memory_grows(r, raw):
    before = int(info(raw, "memory")[1]["memory"]["used_memory"])
    r.set("big", b"x" * (4 << 20))
    after = int(info(raw, "memory")[1]["memory"]["used_memory"])
    assert after - before >= 4 << 20


def test_info_redis_py(r):
    i = r.info()
    assert i["loading"] == 0
    assert i["cluster_enabled"] == 0
    assert "redis_version" in i


# -- DBSIZE / TIME ------------------------------------------------------------------

def test_dbsize(r, raw):
    assert raw.cmd("DBSIZE") == 0
    r.mset({f"k{i}": i for i in range(42)})
    assert raw.cmd("DBSIZE") == 42


def test_time(raw):
    before = time.time()
    reply = raw.cmd("TIME")
    after = time.time()
    assert isinstance(reply, list) and len(reply) == 2
    secs, usecs = reply
    assert isinstance(secs, bytes) and secs.isdigit()
    assert isinstance(usecs, bytes) and usecs.isdigit()
    assert 0 <= int(usecs) < 1_000_000
    t = int(secs) + int(usecs) / 1e6
    assert before - 1 <= t <= after + 1
    assert raw.cmd("TIME", "x") == wrong_args("time")


def test_time_advances(raw):
    def now():
        s, us = raw.cmd("TIME")
        return int(s) * 1_000_000 + int(us)
    a = now()
    time.sleep(0.02)
    b = now()
    assert 15_000 <= b - a <= 2_000_000


# -- COMMAND ------------------------------------------------------------------------

def test_command_count(raw):
    n = raw.cmd("COMMAND", "COUNT")
    assert isinstance(n, int) and n > 50
    assert raw.cmd("COMMAND", "COUNT", "x") == wrong_args("command|count")


def _command_info(raw, name):
    reply = raw.cmd("COMMAND", "INFO", name)
    assert isinstance(reply, list) and len(reply) == 1
    entry = reply[0]
    assert isinstance(entry, list) and len(entry) >= 7, entry
    return entry


@pytest.mark.parametrize("name,arity,flags,first,last,step", [
    ("get", 2, {"readonly", "fast"}, 1, 1, 1),
    ("set", -3, {"write", "denyoom"}, 1, 1, 1),
    ("mset", -3, {"write", "denyoom"}, 1, -1, 2),
    ("mget", -2, {"readonly", "fast"}, 1, -1, 1),
    ("del", -2, {"write"}, 1, -1, 1),
    ("rename", 3, {"write"}, 1, 2, 1),
    ("ping", -1, {"fast"}, 0, 0, 0),
    ("incrbyfloat", 3, {"write", "denyoom", "fast"}, 1, 1, 1),
])
def test_command_info(raw, name, arity, flags, first, last, step):
    entry = _command_info(raw, name)
    assert entry[0] == name.encode()
    assert entry[1] == arity
    assert isinstance(entry[2], list)
    assert set(entry[2]) >= flags
    assert entry[3:6] == [first, last, step]


def test_command_info_is_case_insensitive_and_multiple(raw):
    reply = raw.cmd("COMMAND", "INFO", "GET", "nosuchcommand", "Set")
    assert len(reply) == 3
    assert reply[0][0] == b"get"
    assert reply[1] is None
    assert reply[2][0] == b"set"


def test_command_info_get_acl_categories(raw):
    entry = _command_info(raw, "get")
    assert set(entry[6]) >= {"@read", "@string", "@fast"}


def test_command_docs_get(raw):
    reply = raw.cmd("COMMAND", "DOCS", "get")
    assert isinstance(reply, list) and len(reply) == 2
    assert reply[0] == b"get"
    doc = dict(zip(reply[1][::2], reply[1][1::2]))
    # 7.0 says "Get the value of a key", 7.2 "Returns the string value of a key."
    assert b"value of a key" in doc[b"summary"]
    assert doc[b"group"] == b"string"
    assert doc[b"since"] == b"1.0.0"
    assert doc[b"complexity"] == b"O(1)"
    args = doc[b"arguments"]
    assert isinstance(args, list) and len(args) == 1
    arg = dict(zip(args[0][::2], args[0][1::2]))
    assert arg[b"name"] == b"key" and arg[b"type"] == b"key"


def test_command_docs_several_and_unknown(raw):
    reply = raw.cmd("COMMAND", "DOCS", "get", "nosuchcommand", "set")
    names = reply[::2]
    assert sorted(names) == [b"get", b"set"]
    assert raw.cmd("COMMAND", "DOCS", "nosuchcommand") == []


def test_command_unknown_subcommand(raw):
    assert raw.cmd("COMMAND", "foo") == Error("ERR unknown subcommand 'foo'. Try COMMAND HELP.")


# -- MEMORY USAGE -------------------------------------------------------------------

def test_memory_usage(raw):
    raw.cmd("SET", "k", "x" * 1000)
    n = raw.cmd("MEMORY", "USAGE", "k")
    assert isinstance(n, int) and 1000 <= n < 4096
    raw.cmd("SET", "big", "x" * 100_000)
    big = raw.cmd("MEMORY", "USAGE", "big")
    assert 100_000 <= big < 200_000
    assert raw.cmd("MEMORY", "USAGE", "missing") is None
    assert raw.last_raw == b"$-1\r\n"


def test_memory_usage_errors(raw):
    raw.cmd("SET", "k", "v")
    assert raw.cmd("MEMORY", "USAGE") == wrong_args("memory|usage")
    assert raw.cmd("MEMORY", "USAGE", "k", "extra") == SYNTAX_ERROR
    assert raw.cmd("MEMORY", "USAGE", "k", "SAMPLES", "x") == NOT_INTEGER
    assert isinstance(raw.cmd("MEMORY", "USAGE", "k", "SAMPLES", "5"), int)
    assert raw.cmd("MEMORY", "foo") == Error("ERR unknown subcommand 'foo'. Try MEMORY HELP.")


# -- CONFIG -------------------------------------------------------------------------

def test_config_get_maxmemory(raw):
    assert raw.cmd("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"268435456"]
    # names are case-insensitive (Redis 7.0 echoes the name as it was asked for)
    name, value = raw.cmd("CONFIG", "GET", "MAXMEMORY")
    assert name.lower() == b"maxmemory" and value == b"268435456"


def test_config_get_patterns(raw):
    everything = raw.cmd("CONFIG", "GET", "*")
    assert isinstance(everything, list) and len(everything) % 2 == 0
    names = everything[::2]
    assert len(set(names)) == len(names)
    for name in (b"maxmemory", b"port", b"bind", b"requirepass", b"maxclients", b"timeout",
                 b"proto-max-bulk-len", b"dir"):
        assert name in names, name
    conf = dict(zip(everything[::2], everything[1::2]))
    assert conf[b"port"] == str(raw.port).encode()
    assert conf[b"maxmemory"] == b"268435456"
    assert conf[b"proto-max-bulk-len"] == b"536870912"

    some = raw.cmd("CONFIG", "GET", "max*")
    some_names = some[::2]
    assert b"maxmemory" in some_names and b"maxclients" in some_names
    assert all(fnmatch.fnmatchcase(n.decode(), "max*") for n in some_names)
    assert raw.cmd("CONFIG", "GET", "nosuchoption") == []


def test_config_get_several(raw):
    reply = raw.cmd("CONFIG", "GET", "maxmemory", "port")
    conf = dict(zip(reply[::2], reply[1::2]))
    assert conf == {b"maxmemory": b"268435456", b"port": str(raw.port).encode()}


def test_config_get_redis_py(r, server):
    assert r.config_get("maxmemory") == {"maxmemory": "268435456"}
    assert r.config_get("port") == {"port": str(server.port)}


def test_config_set_and_get(raw):
    assert raw.cmd("CONFIG", "GET", "timeout") == [b"timeout", b"0"]
    try:
        assert raw.cmd("CONFIG", "SET", "timeout", "300") == Status("OK")
        assert raw.cmd("CONFIG", "GET", "timeout") == [b"timeout", b"300"]
    finally:
        assert raw.cmd("CONFIG", "SET", "timeout", "0") == "OK"
    assert raw.cmd("CONFIG", "GET", "timeout") == [b"timeout", b"0"]


def test_config_set_unknown_option(raw):
    assert raw.cmd("CONFIG", "SET", "nosuchoption", "1") == Error(
        "ERR Unknown option or number of arguments for CONFIG SET - 'nosuchoption'")


def test_config_set_bad_values(raw):
    assert raw.cmd("CONFIG", "SET", "timeout", "abc") == Error(
        "ERR CONFIG SET failed (possibly related to argument 'timeout') - "
        "argument couldn't be parsed into an integer")
    assert raw.cmd("CONFIG", "SET", "proto-max-bulk-len", "abc") == Error(
        "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - "
        "argument must be a memory value")
    assert raw.cmd("CONFIG", "GET", "proto-max-bulk-len") == [b"proto-max-bulk-len", b"536870912"]


@pytest.mark.crescent_only
def test_config_set_maxmemory_is_fixed(raw):
    # A segment's size is fixed when it is mapped (one region, registered once with the
    # transport); capacity grows by mounting segments, not by CONFIG SET.
    assert raw.cmd("CONFIG", "SET", "maxmemory", "1gb") == Error(
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - "
        "can't set immutable config")
    assert raw.cmd("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"268435456"]


def test_config_arity_and_unknown_subcommand(raw):
    assert raw.cmd("CONFIG", "GET") == wrong_args("config|get")
    assert raw.cmd("CONFIG", "SET") == wrong_args("config|set")
    assert raw.cmd("CONFIG", "SET", "timeout") == wrong_args("config|set")
    assert raw.cmd("CONFIG", "RESETSTAT", "x") == wrong_args("config|resetstat")
    assert raw.cmd("CONFIG") == wrong_args("config")
    assert raw.cmd("CONFIG", "foo") == Error("ERR unknown subcommand 'foo'. Try CONFIG HELP.")


def test_config_resetstat(r, raw):
    raw.cmd("SET", "k", "v")
    for _ in range(3):
        raw.cmd("GET", "k")
        raw.cmd("GET", "missing")
    stats = info(raw, "stats")[1]["stats"]
    assert int(stats["keyspace_hits"]) >= 3 and int(stats["keyspace_misses"]) >= 3
    assert raw.cmd("CONFIG", "RESETSTAT") == Status("OK")
    stats = info(raw, "stats")[1]["stats"]
    assert stats["keyspace_hits"] == "0"
    assert stats["keyspace_misses"] == "0"
    assert stats["expired_keys"] == "0"
    # the data is untouched
    assert raw.cmd("GET", "k") == b"v"


# -- SLOWLOG ------------------------------------------------------------------------

def test_slowlog_reset_len_get(raw):
    assert raw.cmd("SLOWLOG", "RESET") == Status("OK")
    assert raw.cmd("SLOWLOG", "LEN") == 0
    assert raw.cmd("SLOWLOG", "GET") == []
    assert raw.cmd("SLOWLOG", "GET", "10") == []


def test_slowlog_records_commands(server, raw):
    assert raw.cmd("CONFIG", "SET", "slowlog-log-slower-than", "0") == "OK"
    try:
        raw.cmd("SLOWLOG", "RESET")
        raw.cmd("CLIENT", "SETNAME", "slowpoke")
        raw.cmd("SET", "slowkey", "slowvalue")
        raw.cmd("GET", "slowkey")
        n = raw.cmd("SLOWLOG", "LEN")
        assert isinstance(n, int) and n >= 2
        entries = raw.cmd("SLOWLOG", "GET", "-1")
        assert len(entries) >= 2
        # newest first: [id, unix time, microseconds, [args...], client addr, client name]
        by_args = {tuple(e[3]): e for e in entries}
        entry = by_args[(b"SET", b"slowkey", b"slowvalue")]
        assert len(entry) == 6
        assert isinstance(entry[0], int)
        assert abs(entry[1] - time.time()) < 10
        assert isinstance(entry[2], int)
        # the threshold filters: nothing that ran well under it is logged
        assert raw.cmd("CONFIG", "SET", "slowlog-log-slower-than", "10000000") == "OK"
        length = raw.cmd("SLOWLOG", "LEN")
        raw.cmd("GET", "slowkey")
        assert raw.cmd("SLOWLOG", "LEN") == length
        host, port = raw.sock.getsockname()
        assert entry[4] == f"{host}:{port}".encode()
        assert entry[5] == b"slowpoke"
        ids = [e[0] for e in entries]
        assert ids == sorted(ids, reverse=True)
        assert len(raw.cmd("SLOWLOG", "GET", "1")) == 1
    finally:
        assert raw.cmd("CONFIG", "SET", "slowlog-log-slower-than", "10000") == "OK"
        raw.cmd("SLOWLOG", "RESET")
    assert raw.cmd("SLOWLOG", "LEN") == 0


def test_slowlog_errors(raw):
    assert raw.cmd("SLOWLOG") == wrong_args("slowlog")
    assert raw.cmd("SLOWLOG", "foo") == Error("ERR unknown subcommand 'foo'. Try SLOWLOG HELP.")
    assert raw.cmd("SLOWLOG", "GET", "abc") == Error("ERR count should be greater than or equal to -1")
    assert raw.cmd("SLOWLOG", "GET", "-2") == Error("ERR count should be greater than or equal to -1")
    assert raw.cmd("SLOWLOG", "LEN", "x") == wrong_args("slowlog|len")
    assert raw.cmd("SLOWLOG", "RESET", "x") == wrong_args("slowlog|reset")


# -- I/O threads: busy polling ------------------------------------------------------

def _io_counters(c):
    _, s = info(c, "stats")
    return int(s["stats"]["io_polled_wakeups"]), int(s["stats"]["io_sleeps"])


@pytest.mark.crescent_only
def test_io_thread_busy_polls_and_config_set_changes_it(fresh_server):
    """With an I/O thread on at most half the cores, an idle thread polls before it sleeps:
    requests that follow each other within the budget are found by polling. CONFIG SET
    io-busy-poll-us 0 turns it off at once (and then nothing is counted)."""
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("busy polling needs two usable cores per I/O thread")
    s = fresh_server(["--io-threads", "1"])
    with s.raw() as c:
        _, sections = info(c, "server")
        assert sections["server"]["io_busy_poll_us"] == "50"
        # 10 ms: far more than this client takes between a reply and its next request
        assert c.cmd("CONFIG", "SET", "io-busy-poll-us", "10000") == "OK"
        assert c.cmd("CONFIG", "GET", "io-busy-poll-us") == [b"io-busy-poll-us", b"10000"]
        polled0, slept0 = _io_counters(c)
        # Not one idle period per PING: a server thread preempted after a reply finds the
        # next PING already there, and when the client and the server end up sharing a
        # core (a busy process on the other one) that is nearly every PING. So PINGs go
        # on until 20 idle periods have been caught by polling (a build that does not
        # poll never gets there). Sleeps are what a client stalled for 10 ms causes.
        sent, polled, slept = 0, 0, 0
        while polled < 20 and sent < 20_000:
            for _ in range(500):
                assert c.cmd("PING") == "PONG"
            sent += 500
            polled1, slept1 = _io_counters(c)
            polled, slept = polled1 - polled0, slept1 - slept0
        assert polled >= 20 and slept * 2 <= polled, (sent, polled0, polled1, slept0, slept1)

        assert c.cmd("CONFIG", "SET", "io-busy-poll-us", "0") == "OK"
        _, sections = info(c, "server")
        assert sections["server"]["io_busy_poll_us"] == "0"
        before = _io_counters(c)
        for _ in range(50):
            assert c.cmd("PING") == "PONG"
        assert _io_counters(c) == before
        assert c.cmd("CONFIG", "RESETSTAT") == "OK"
        assert _io_counters(c) == (0, 0)
        assert c.cmd("CONFIG", "SET", "io-busy-poll-us", "10001") == Error(
            "ERR CONFIG SET failed (possibly related to argument 'io-busy-poll-us') - "
            "argument must be between 0 and 10000 inclusive")


@pytest.mark.crescent_only
def test_io_threads_on_more_than_half_the_cores_do_not_busy_poll(fresh_server):
    cores = len(os.sched_getaffinity(0))
    s = fresh_server(["--io-threads", str(cores)])
    with s.raw() as c:
        _, sections = info(c, "server")
        assert sections["server"]["io_threads_active"] == str(cores)
        assert sections["server"]["io_busy_poll_us"] == "0"
        # the option keeps its value: it applies if the server is restarted with fewer threads
        assert c.cmd("CONFIG", "GET", "io-busy-poll-us") == [b"io-busy-poll-us", b"50"]
        for _ in range(20):
            assert c.cmd("PING") == "PONG"
        assert _io_counters(c) == (0, 0)
    assert "without busy polling" in s.output()


# -- shutdown -------------------------------------------------------------------------

def test_sigterm_with_open_clients(fresh_server):
    """SIGTERM stops the server promptly (exit code 0) even with clients connected."""
    s = fresh_server()
    clients = [s.raw() for _ in range(5)]
    try:
        for i, c in enumerate(clients):
            assert c.cmd("SET", f"k{i}", "v") == "OK"
        clients[0].send(b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$10\r\nabc")   # a half-sent request
        assert s.stop() == 0, s.output()
        for c in clients:
            assert c.is_closed(timeout=5)
    finally:
        for c in clients:
            c.close()
