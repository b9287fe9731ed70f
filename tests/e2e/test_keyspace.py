"""Keyspace commands: DEL, UNLINK, EXISTS, TOUCH, TYPE, KEYS, SCAN, RANDOMKEY, RENAME,
RENAMENX, TTL/PTTL, EXPIRE family, EXPIRETIME/PEXPIRETIME, PERSIST, DBSIZE, FLUSHALL/FLUSHDB,
and expiry (active and lazy)."""

import threading
import time

import pytest

from respclient import NOT_INTEGER, SYNTAX_ERROR, Error, Status, wait_until, wrong_args

FAR_FUTURE_S = 99999999999
NO_SUCH_KEY = Error("ERR no such key")


def invalid_expire(command):
    return Error(f"ERR invalid expire time in '{command}' command")


# -- DEL / UNLINK / EXISTS / TOUCH / TYPE ----------------------------------------

def test_del(raw):
    assert raw.cmd("DEL", "a") == 0
    raw.cmd("MSET", "a", "1", "b", "2", "c", "3")
    # duplicates are deleted (and counted) once
    assert raw.cmd("DEL", "a", "b", "a", "missing") == 2
    assert raw.cmd("MGET", "a", "b", "c") == [None, None, b"3"]
    assert raw.cmd("DEL") == wrong_args("del")


def test_unlink(raw):
    raw.cmd("MSET", "a", "1", "b", "2")
    assert raw.cmd("UNLINK", "a", "a", "missing") == 1
    assert raw.cmd("EXISTS", "a") == 0
    assert raw.cmd("EXISTS", "b") == 1
    assert raw.cmd("UNLINK") == wrong_args("unlink")


def test_del_large_value(r):
    r.set("big", b"x" * (4 << 20))
    assert r.unlink("big") == 1
    assert r.get("big") is None


def test_exists_counts_duplicates(raw):
    raw.cmd("MSET", "a", "1", "b", "2")
    assert raw.cmd("EXISTS", "a") == 1
    assert raw.cmd("EXISTS", "missing") == 0
    assert raw.cmd("EXISTS", "a", "a", "b", "missing") == 3
    assert raw.cmd("EXISTS", "a", "a", "a") == 3
    assert raw.cmd("EXISTS") == wrong_args("exists")


def test_touch(raw):
    raw.cmd("MSET", "a", "1", "b", "2")
    assert raw.cmd("TOUCH", "a", "b", "missing", "a") == 3
    assert raw.cmd("TOUCH", "missing") == 0
    assert raw.cmd("TOUCH") == wrong_args("touch")


def test_type(raw):
    raw.cmd("SET", "s", "v")
    raw.cmd("SET", "n", "12")
    assert raw.cmd("TYPE", "s") == Status("string")
    assert raw.last_raw == b"+string\r\n"
    assert raw.cmd("TYPE", "n") == Status("string")
    assert raw.cmd("TYPE", "missing") == Status("none")
    assert raw.last_raw == b"+none\r\n"
    assert raw.cmd("TYPE") == wrong_args("type")
    assert raw.cmd("TYPE", "a", "b") == wrong_args("type")


# -- KEYS -------------------------------------------------------------------------

GLOB_KEYS = [b"a", b"b", b"c", b"d", b"ab", b"a*", b"a?", b"[x]", b"x", b"^", b"a\\b", b"hello",
             b"hallo", b"hxllo", b"hllo", b"heeeello", b"a]", b"-", b"\x00bin\r\n"]


@pytest.fixture
def glob_keys(r):
    r.mset({k: b"1" for k in GLOB_KEYS})
    return GLOB_KEYS


@pytest.mark.parametrize("pattern,expected", [
    (b"*", GLOB_KEYS),
    (b"h?llo", [b"hallo", b"hello", b"hxllo"]),
    (b"h*llo", [b"hallo", b"heeeello", b"hello", b"hllo", b"hxllo"]),
    (b"h[ae]llo", [b"hallo", b"hello"]),
    (b"h[^e]llo", [b"hallo", b"hxllo"]),
    (b"h[a-b]llo", [b"hallo"]),
    (b"[a-c]", [b"a", b"b", b"c"]),
    (b"[^a]", [b"-", b"^", b"b", b"c", b"d", b"x"]),
    (b"[x]", [b"x"]),
    (b"[-]", [b"-"]),
    (b"a?", [b"a*", b"a?", b"a]", b"ab"]),
    (b"a*", [b"a", b"a*", b"a?", b"a\\b", b"a]", b"ab"]),
    (b"*b", [b"a\\b", b"ab", b"b"]),
    (b"a\\*", [b"a*"]),
    (b"a\\?", [b"a?"]),
    (b"\\[x\\]", [b"[x]"]),
    (b"a\\\\b", [b"a\\b"]),
    (b"a]", [b"a]"]),
    (b"\x00*", [b"\x00bin\r\n"]),
    (b"*\r\n", [b"\x00bin\r\n"]),
    (b"nomatch", []),
    (b"hello", [b"hello"]),
])
def test_keys_glob(raw, glob_keys, pattern, expected):
    assert sorted(raw.cmd("KEYS", pattern)) == sorted(expected)


def test_keys_empty_db(raw):
    assert raw.cmd("KEYS", "*") == []
    assert raw.last_raw == b"*0\r\n"


def test_keys_arity(raw):
    assert raw.cmd("KEYS") == wrong_args("keys")
    assert raw.cmd("KEYS", "a", "b") == wrong_args("keys")


def test_keys_skips_expired(raw):
    raw.cmd("SET", "live", "1")
    raw.cmd("SET", "dead", "1", "PX", "1")
    time.sleep(0.01)
    assert raw.cmd("KEYS", "*") == [b"live"]


# -- SCAN -------------------------------------------------------------------------

def scan_all(raw, *opts, max_calls=100000):
    """Run a full SCAN iteration; return (list of returned keys, number of calls)."""
    cursor = b"0"
    seen = []
    calls = 0
    while True:
        reply = raw.cmd("SCAN", cursor, *opts)
        assert isinstance(reply, list) and len(reply) == 2, reply
        cursor, keys = reply
        assert isinstance(cursor, bytes) and cursor.isdigit(), cursor
        assert isinstance(keys, list)
        seen.extend(keys)
        calls += 1
        assert calls < max_calls, "SCAN did not terminate"
        if cursor == b"0":
            return seen, calls


def test_scan_empty(raw):
    assert raw.cmd("SCAN", "0") == [b"0", []]


def test_scan_full_iteration(r, raw):
    keys = {f"key:{i}".encode() for i in range(1000)}
    r.mset({k: b"v" for k in keys})
    for count in ("10", "100", "1000"):
        seen, calls = scan_all(raw, "COUNT", count)
        assert set(seen) == keys          # every key at least once, nothing else
    seen, _ = scan_all(raw)              # default COUNT
    assert set(seen) == keys


def test_scan_match(r, raw):
    r.mset({f"user:{i}": "1" for i in range(200)})
    r.mset({f"item:{i}": "1" for i in range(200)})
    seen, _ = scan_all(raw, "MATCH", "user:1*", "COUNT", "50")
    expected = {f"user:{i}".encode() for i in range(200) if str(i).startswith("1")}
    assert set(seen) == expected
    seen, _ = scan_all(raw, "MATCH", "nomatch*")
    assert seen == []


def test_scan_type(r, raw):
    r.mset({f"k{i}": "v" for i in range(50)})
    seen, _ = scan_all(raw, "TYPE", "string", "COUNT", "20")
    assert set(seen) == {f"k{i}".encode() for i in range(50)}
    for other in ("hash", "list", "set", "zset", "stream"):
        seen, _ = scan_all(raw, "TYPE", other, "COUNT", "20")
        assert seen == [], other


def test_scan_match_count_type_together(r, raw):
    r.mset({f"a{i}": "v" for i in range(30)})
    r.mset({f"b{i}": "v" for i in range(30)})
    seen, _ = scan_all(raw, "MATCH", "a*", "COUNT", "7", "TYPE", "string")
    assert set(seen) == {f"a{i}".encode() for i in range(30)}


def test_scan_skips_expired(r, raw):
    r.set("live", "1")
    r.set("dead", "1", px=1)
    time.sleep(0.01)
    seen, _ = scan_all(raw)
    assert seen == [b"live"]


@pytest.mark.parametrize("cursor", ["abc", "1.5", "18446744073709551616", "0x10", "1a"])
def test_scan_invalid_cursor(raw, cursor):
    assert raw.cmd("SCAN", cursor) == Error("ERR invalid cursor")


@pytest.mark.parametrize("opts,expected", [
    (("COUNT", "0"), SYNTAX_ERROR),
    (("COUNT", "-1"), SYNTAX_ERROR),
    (("COUNT", "abc"), NOT_INTEGER),
    (("COUNT",), SYNTAX_ERROR),
    (("MATCH",), SYNTAX_ERROR),
    (("TYPE",), SYNTAX_ERROR),
    (("FOO", "bar"), SYNTAX_ERROR),
])
def test_scan_option_errors(raw, opts, expected):
    raw.cmd("SET", "k", "v")
    assert raw.cmd("SCAN", "0", *opts) == expected


def test_scan_arity(raw):
    assert raw.cmd("SCAN") == wrong_args("scan")


def test_scan_redis_py(r):
    r.mset({f"k{i}": i for i in range(300)})
    assert set(r.scan_iter(match="k1*", count=25)) == {f"k{i}".encode() for i in range(300)
                                                       if str(i).startswith("1")}


def test_scan_guarantee_while_keys_change(r, raw):
    """Keys present for the whole scan are all returned, while between the SCAN calls other
    keys are added (enough to make the table grow) and deleted."""
    stable = {f"stable:{i}".encode() for i in range(2000)}
    doomed = [f"doomed:{i}".encode() for i in range(2000)]
    r.mset({k: b"v" for k in stable})
    r.mset({k: b"v" for k in doomed})
    added = set()
    cursor, seen, calls = b"0", set(), 0
    while True:
        cursor, keys = raw.cmd("SCAN", cursor, "COUNT", "20")
        seen.update(keys)
        calls += 1
        assert calls < 100000
        if cursor == b"0":
            break
        with r.pipeline(transaction=False) as p:
            for j in range(40):
                k = f"added:{calls}:{j}".encode()
                added.add(k)
                p.set(k, b"v")
            for k in doomed[(calls - 1) * 20:calls * 20]:
                p.delete(k)
            p.execute()
    missing = stable - seen
    assert not missing, f"{len(missing)} stable keys never returned, e.g. {sorted(missing)[:5]}"
    assert seen <= stable | set(doomed) | added
    assert len(added) >= 1000, "the scan ended too early to test anything"


def test_scan_guarantee_under_concurrent_changes(server, r, raw):
    """As above, with the keys added and deleted by another connection at the same time."""
    stable = {f"stable:{i}".encode() for i in range(2000)}
    doomed = [f"doomed:{i}".encode() for i in range(2000)]
    r.mset({k: b"v" for k in stable})
    r.mset({k: b"v" for k in doomed})

    stop = threading.Event()
    started = threading.Event()
    churn_error = []
    added = set()

    def churn():
        try:
            c = server.client()
            i = 0
            while not stop.is_set():
                with c.pipeline(transaction=False) as p:
                    for _ in range(50):
                        p.set(f"added:{i}", "v")
                        added.add(f"added:{i}".encode())
                        if i < len(doomed):
                            p.delete(doomed[i])
                        i += 1
                    p.execute()
                started.set()
            c.close()
        except Exception as e:  # surfaced below
            churn_error.append(e)

    t = threading.Thread(target=churn)
    t.start()
    try:
        assert started.wait(timeout=10) or churn_error, "churn thread did not start"
        seen, calls = scan_all(raw, "COUNT", "20")
    finally:
        stop.set()
        t.join(timeout=30)
    assert not churn_error, churn_error
    seen = set(seen)
    missing = stable - seen
    assert not missing, f"{len(missing)} stable keys never returned, e.g. {sorted(missing)[:5]}"
    # nothing that never existed is returned
    assert seen <= stable | set(doomed) | added


# -- RANDOMKEY ----------------------------------------------------------------------

def test_randomkey(raw):
    assert raw.cmd("RANDOMKEY") is None
    assert raw.last_raw == b"$-1\r\n"
    raw.cmd("MSET", "a", "1", "b", "2", "c", "3")
    got = {raw.cmd("RANDOMKEY") for _ in range(200)}
    assert got == {b"a", b"b", b"c"}
    assert raw.cmd("RANDOMKEY", "x") == wrong_args("randomkey")


def test_randomkey_single(raw):
    raw.cmd("SET", b"only\x00key", "1")
    assert raw.cmd("RANDOMKEY") == b"only\x00key"


# -- RENAME / RENAMENX ----------------------------------------------------------------

def test_rename(raw):
    raw.cmd("SET", "a", "1")
    assert raw.cmd("RENAME", "a", "b") == Status("OK")
    assert raw.cmd("GET", "a") is None
    assert raw.cmd("GET", "b") == b"1"


def test_rename_overwrites_and_moves_ttl(raw):
    raw.cmd("SET", "src", "1", "EX", "100")
    raw.cmd("SET", "dst", "2")
    assert raw.cmd("RENAME", "src", "dst") == "OK"
    assert raw.cmd("GET", "dst") == b"1"
    assert raw.cmd("TTL", "dst") in (99, 100)
    # and a key without TTL over a key with TTL: no TTL afterwards
    raw.cmd("SET", "t", "x", "EX", "100")
    raw.cmd("SET", "plain", "y")
    assert raw.cmd("RENAME", "plain", "t") == "OK"
    assert raw.cmd("TTL", "t") == -1


def test_rename_same_key(raw):
    raw.cmd("SET", "a", "1", "EX", "100")
    assert raw.cmd("RENAME", "a", "a") == "OK"
    assert raw.cmd("GET", "a") == b"1"
    assert raw.cmd("TTL", "a") in (99, 100)


def test_rename_errors(raw):
    assert raw.cmd("RENAME", "missing", "x") == NO_SUCH_KEY
    assert raw.cmd("RENAME", "missing", "missing") == NO_SUCH_KEY
    assert raw.cmd("RENAME", "a") == wrong_args("rename")
    assert raw.cmd("RENAME", "a", "b", "c") == wrong_args("rename")


def test_renamenx(raw):
    raw.cmd("MSET", "a", "1", "b", "2")
    assert raw.cmd("RENAMENX", "a", "b") == 0
    assert raw.cmd("MGET", "a", "b") == [b"1", b"2"]
    assert raw.cmd("RENAMENX", "a", "a") == 0
    assert raw.cmd("RENAMENX", "a", "c") == 1
    assert raw.cmd("MGET", "a", "c") == [None, b"1"]
    assert raw.cmd("RENAMENX", "missing", "x") == NO_SUCH_KEY
    assert raw.cmd("RENAMENX", "a") == wrong_args("renamenx")


# -- TTL / EXPIRE family ---------------------------------------------------------------

def test_ttl_pttl_missing_and_persistent(raw):
    assert raw.cmd("TTL", "missing") == -2
    assert raw.cmd("PTTL", "missing") == -2
    raw.cmd("SET", "k", "v")
    assert raw.cmd("TTL", "k") == -1
    assert raw.cmd("PTTL", "k") == -1
    assert raw.cmd("TTL") == wrong_args("ttl")
    assert raw.cmd("PTTL", "a", "b") == wrong_args("pttl")


def test_expire_pexpire(raw):
    raw.cmd("SET", "k", "v")
    assert raw.cmd("EXPIRE", "k", "100") == 1
    assert raw.cmd("TTL", "k") == 100
    assert raw.cmd("PEXPIRE", "k", "50000") == 1
    assert 49000 <= raw.cmd("PTTL", "k") <= 50000
    assert raw.cmd("EXPIRE", "missing", "10") == 0
    assert raw.cmd("PEXPIRE", "missing", "10") == 0
    assert raw.cmd("EXISTS", "missing") == 0


def test_expireat_pexpireat(raw):
    raw.cmd("SET", "k", "v")
    now = int(time.time())
    assert raw.cmd("EXPIREAT", "k", str(now + 100)) == 1
    assert 98 <= raw.cmd("TTL", "k") <= 100
    assert raw.cmd("PEXPIREAT", "k", str((now + 200) * 1000)) == 1
    assert 198 <= raw.cmd("TTL", "k") <= 200
    assert raw.cmd("EXPIREAT", "missing", str(now + 100)) == 0


def test_expiretime_pexpiretime(raw):
    assert raw.cmd("EXPIRETIME", "missing") == -2
    assert raw.cmd("PEXPIRETIME", "missing") == -2
    raw.cmd("SET", "k", "v")
    assert raw.cmd("EXPIRETIME", "k") == -1
    assert raw.cmd("PEXPIRETIME", "k") == -1
    raw.cmd("EXPIREAT", "k", str(FAR_FUTURE_S))
    assert raw.cmd("EXPIRETIME", "k") == FAR_FUTURE_S
    assert raw.cmd("PEXPIRETIME", "k") == FAR_FUTURE_S * 1000
    raw.cmd("PEXPIREAT", "k", str(FAR_FUTURE_S * 1000 + 123))
    assert raw.cmd("PEXPIRETIME", "k") == FAR_FUTURE_S * 1000 + 123
    assert raw.cmd("EXPIRETIME", "k") == FAR_FUTURE_S
    raw.cmd("EXPIRE", "k", "100")
    assert abs(raw.cmd("EXPIRETIME", "k") - (time.time() + 100)) <= 2
    assert raw.cmd("EXPIRETIME") == wrong_args("expiretime")
    assert raw.cmd("PEXPIRETIME", "a", "b") == wrong_args("pexpiretime")


@pytest.mark.parametrize("args", [
    ("EXPIRE", "k", "0"), ("EXPIRE", "k", "-1"), ("PEXPIRE", "k", "-100"), ("PEXPIRE", "k", "0"),
    ("EXPIREAT", "k", "1"), ("PEXPIREAT", "k", "1000"), ("EXPIREAT", "k", "-10"),
])
def test_expire_in_the_past_deletes(raw, args):
    raw.cmd("SET", "k", "v")
    assert raw.cmd(*args) == 1
    assert raw.cmd("EXISTS", "k") == 0
    assert raw.cmd("GET", "k") is None
    assert raw.cmd("TTL", "k") == -2


def test_expire_nx_xx_gt_lt(raw):
    raw.cmd("SET", "k", "v")
    # no TTL yet
    assert raw.cmd("EXPIRE", "k", "10", "XX") == 0
    assert raw.cmd("EXPIRE", "k", "10", "GT") == 0      # no TTL counts as infinite
    assert raw.cmd("TTL", "k") == -1
    assert raw.cmd("EXPIRE", "k", "10", "NX") == 1
    assert raw.cmd("EXPIRE", "k", "20", "NX") == 0
    assert raw.cmd("TTL", "k") == 10
    assert raw.cmd("EXPIRE", "k", "20", "XX") == 1
    assert raw.cmd("TTL", "k") == 20
    assert raw.cmd("EXPIRE", "k", "10", "GT") == 0
    assert raw.cmd("EXPIRE", "k", "30", "GT") == 1
    assert raw.cmd("TTL", "k") == 30
    assert raw.cmd("EXPIRE", "k", "40", "LT") == 0
    assert raw.cmd("EXPIRE", "k", "15", "LT") == 1
    assert raw.cmd("TTL", "k") == 15
    assert raw.cmd("PERSIST", "k") == 1
    assert raw.cmd("EXPIRE", "k", "15", "LT") == 1      # anything is less than infinite
    assert raw.cmd("TTL", "k") == 15
    assert raw.cmd("EXPIRE", "k", "100", "xx", "gt") == 1  # XX and GT combine
    assert raw.cmd("TTL", "k") == 100


def test_pexpire_and_expireat_options(raw):
    raw.cmd("SET", "k", "v")
    assert raw.cmd("PEXPIRE", "k", "10000", "NX") == 1
    assert raw.cmd("PEXPIRE", "k", "20000", "LT") == 0
    assert raw.cmd("PEXPIRE", "k", "20000", "GT") == 1
    now = int(time.time())
    assert raw.cmd("EXPIREAT", "k", str(now + 5), "GT") == 0
    assert raw.cmd("EXPIREAT", "k", str(now + 5), "LT") == 1
    assert raw.cmd("PEXPIREAT", "k", str((now + 50) * 1000), "XX") == 1
    assert raw.cmd("PEXPIREAT", "missing", str((now + 50) * 1000), "NX") == 0


@pytest.mark.parametrize("opts,expected", [
    (("NX", "XX"), Error("ERR NX and XX, GT or LT options at the same time are not compatible")),
    (("NX", "GT"), Error("ERR NX and XX, GT or LT options at the same time are not compatible")),
    (("NX", "LT"), Error("ERR NX and XX, GT or LT options at the same time are not compatible")),
    (("GT", "LT"), Error("ERR GT and LT options at the same time are not compatible")),
    (("FOO",), Error("ERR Unsupported option FOO")),
])
def test_expire_option_errors(raw, opts, expected):
    raw.cmd("SET", "k", "v")
    for cmd in ("EXPIRE", "PEXPIRE"):
        assert raw.cmd(cmd, "k", "100", *opts) == expected
    assert raw.cmd("TTL", "k") == -1


@pytest.mark.parametrize("cmd", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
def test_expire_not_integer(raw, cmd):
    raw.cmd("SET", "k", "v")
    assert raw.cmd(cmd, "k", "abc") == NOT_INTEGER
    assert raw.cmd(cmd, "k", "1.5") == NOT_INTEGER
    assert raw.cmd(cmd, "k") == wrong_args(cmd.lower())


@pytest.mark.parametrize("cmd,value", [
    ("EXPIRE", "9223372036854775807"),
    ("EXPIRE", "9223372036854775"),
    ("PEXPIRE", "9223372036854775807"),
    ("EXPIREAT", "9223372036854775807"),
])
def test_expire_overflow(raw, cmd, value):
    raw.cmd("SET", "k", "v")
    assert raw.cmd(cmd, "k", value) == invalid_expire(cmd.lower())
    assert raw.cmd("TTL", "k") == -1


def test_persist(raw):
    assert raw.cmd("PERSIST", "missing") == 0
    raw.cmd("SET", "k", "v")
    assert raw.cmd("PERSIST", "k") == 0
    raw.cmd("EXPIRE", "k", "100")
    assert raw.cmd("PERSIST", "k") == 1
    assert raw.cmd("TTL", "k") == -1
    assert raw.cmd("PERSIST", "k") == 0
    assert raw.cmd("PERSIST") == wrong_args("persist")


def test_set_overwrite_clears_ttl_but_incr_does_not(raw):
    raw.cmd("SET", "k", "1", "EX", "100")
    raw.cmd("INCR", "k")
    assert raw.cmd("TTL", "k") in (99, 100)
    raw.cmd("SET", "k", "2")
    assert raw.cmd("TTL", "k") == -1


# -- DBSIZE / FLUSHALL / FLUSHDB ----------------------------------------------------------

def test_dbsize(raw):
    assert raw.cmd("DBSIZE") == 0
    raw.cmd("MSET", "a", "1", "b", "2")
    assert raw.cmd("DBSIZE") == 2
    raw.cmd("DEL", "a")
    assert raw.cmd("DBSIZE") == 1
    assert raw.cmd("DBSIZE", "x") == wrong_args("dbsize")


@pytest.mark.parametrize("cmd", ["FLUSHALL", "FLUSHDB"])
@pytest.mark.parametrize("mode", [(), ("ASYNC",), ("SYNC",), ("async",)])
def test_flush(r, raw, cmd, mode):
    r.mset({f"k{i}": "v" for i in range(500)})
    r.set("t", "v", ex=100)
    assert raw.cmd(cmd, *mode) == Status("OK")
    assert raw.cmd("DBSIZE") == 0
    assert raw.cmd("GET", "k1") is None
    assert raw.cmd("KEYS", "*") == []
    # the database is usable right away
    assert raw.cmd("SET", "k1", "new") == "OK"
    assert raw.cmd("GET", "k1") == b"new"


@pytest.mark.parametrize("cmd", ["FLUSHALL", "FLUSHDB"])
def test_flush_errors(raw, cmd):
    raw.cmd("SET", "k", "v")
    assert raw.cmd(cmd, "FOO") == SYNTAX_ERROR
    assert raw.cmd(cmd, "ASYNC", "SYNC") == SYNTAX_ERROR
    assert raw.cmd("DBSIZE") == 1


# -- expiry -------------------------------------------------------------------------------

def test_active_expiry(r):
    """Keys with a short TTL disappear without being touched: DBSIZE goes down."""
    r.set("keep", "1")
    expired_before = r.info("stats")["expired_keys"]
    t0 = time.monotonic()          # every key below expires at t0 + 100 ms or later
    with r.pipeline(transaction=False) as p:
        for i in range(20):
            p.set(f"short:{i}", "v", px=100)
        p.execute()
    assert r.dbsize() == 21
    # only DBSIZE and INFO are sent: the keys are never accessed, so only active expiry
    # can remove them
    wait_until(lambda: r.dbsize() == 1, timeout=2.0, interval=0.02, message="DBSIZE to drop to 1")
    elapsed = time.monotonic() - t0
    assert elapsed >= 0.1, f"keys gone after {elapsed:.3f}s, before their 100 ms TTL"
    info = r.info("keyspace")
    assert info["db0"]["keys"] == 1 and info["db0"]["expires"] == 0
    assert r.info("stats")["expired_keys"] - expired_before == 20
    assert r.get("keep") == b"1"


def test_lazy_expiry_never_returns_expired_key(raw):
    """Once a key's TTL has passed, no command sees it, even before active expiry runs."""
    keys = [f"lazy:{i}" for i in range(5)]
    for k in keys:
        raw.cmd("SET", k, "v", "PX", "200")
    t_set = time.monotonic()      # every expiry is at or before t_set + 200 ms
    deadline = t_set + 0.200 + 0.005
    # until the deadline the keys may or may not exist; from then on they must not
    while time.monotonic() < deadline:
        time.sleep(0.002)
    checks = [
        (("GET", keys[0]), None),
        (("EXISTS", *keys), 0),
        (("MGET", *keys), [None] * 5),
        (("TTL", keys[1]), -2),
        (("PTTL", keys[2]), -2),
        (("STRLEN", keys[3]), 0),
        (("TYPE", keys[4]), "none"),
        (("GETRANGE", keys[0], "0", "-1"), b""),
        (("KEYS", "lazy:*"), []),
        (("RANDOMKEY",), None),
        (("SCAN", "0", "MATCH", "lazy:*", "COUNT", "1000"), [b"0", []]),
        (("APPEND", keys[1], "x"), 1),           # appends to an empty string: a new key
        (("INCR", keys[2]), 1),                  # starts from 0
        (("SETNX", keys[3], "new"), 1),          # the expired key does not block NX
        (("RENAME", keys[4], "other"), NO_SUCH_KEY),
    ]
    for args, expected in checks:
        assert raw.cmd(*args) == expected, args


def test_expired_key_polling_get(raw):
    """GET returns the value until the TTL passes, then nil forever after."""
    # Each bound compares the server's moment with client times on its safe side, so a
    # slow server (sanitizers, a loaded machine) cannot fail it: the SET ran after
    # before_set and before t_set; a GET ran after `now` and before its reply came back.
    before_set = time.monotonic()
    raw.cmd("SET", "k", "v", "PX", "150")
    t_set = time.monotonic()
    first_nil_replied_at = None
    while True:
        now = time.monotonic()
        v = raw.cmd("GET", "k")
        if v is None:
            if first_nil_replied_at is None:
                first_nil_replied_at = time.monotonic()
        else:
            assert first_nil_replied_at is None, "expired key came back"
            assert v == b"v"
            assert now < t_set + 0.150 + 0.005, f"key still returned {now - t_set:.3f}s after SET PX 150"
        if now > t_set + 0.4:
            break
        time.sleep(0.005)
    assert first_nil_replied_at is not None
    # 2 ms for the server's millisecond clock and its rounding
    assert first_nil_replied_at - before_set >= 0.148, "key expired too early"


def test_expire_then_persist_survives(r):
    r.set("k", "v", px=300)
    assert r.persist("k") is True
    time.sleep(0.4)
    assert r.get("k") == b"v"


def test_info_keyspace_counts_expires(r):
    r.mset({"a": 1, "b": 2, "c": 3})
    r.expire("a", 100)
    r.expire("b", 100)
    ks = r.info("keyspace")["db0"]
    assert ks["keys"] == 3 and ks["expires"] == 2
