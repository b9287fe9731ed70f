"""OBJECT ENCODING / REFCOUNT / IDLETIME / FREQ / HELP for strings: the answers
redis-server 7.0 gives for the same values under the matching eviction policy."""

import time

import pytest

from respclient import Error, Status, wrong_args

FREQ_NOT_TRACKED = Error(
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
    "that when switching between policies at runtime LRU and LFU data will take some time to "
    "adjust.")
IDLETIME_NOT_TRACKED = Error(
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust.")

# Crescent's eviction-policy and the maxmemory-policy of Redis that behaves the same.
POLICY_ARGS = {
    ("crescent", "lru"): ["--eviction-policy", "lru"],
    ("redis", "lru"): ["--maxmemory-policy", "allkeys-lru"],
    ("crescent", "lfu"): ["--eviction-policy", "lfu"],
    ("redis", "lfu"): ["--maxmemory-policy", "allkeys-lfu"],
    ("crescent", "ttl"): ["--eviction-policy", "ttl"],
    ("redis", "ttl"): ["--maxmemory-policy", "volatile-ttl"],
}


def test_object_encoding(r):
    cases = {
        b"0": b"int", b"-1": b"int", b"12345": b"int",
        b"9223372036854775807": b"int", b"-9223372036854775808": b"int",
        b"9223372036854775808": b"embstr",  # does not fit 64 bits
        b"007": b"embstr", b"+5": b"embstr", b"-0": b"embstr", b" 1": b"embstr",
        b"1.5": b"embstr", b"": b"embstr", b"hello": b"embstr",
        b"x" * 44: b"embstr", b"x" * 45: b"raw", b"y" * 10000: b"raw",
        bytes(range(30)): b"embstr",
    }
    for i, (value, encoding) in enumerate(cases.items()):
        r.set(f"k{i}", value)
        assert r.object("encoding", f"k{i}") == encoding, value
    assert r.object("encoding", "missing") is None


def test_object_encoding_of_restored_values(r):
    r.set("n", "100")
    assert r.restore("n2", 0, r.dump("n")) == b"OK"
    assert r.object("encoding", "n2") == b"int"
    r.set("long", "z" * 100)  # DUMPed LZF-compressed
    assert r.restore("long2", 0, r.dump("long")) == b"OK"
    assert r.object("encoding", "long2") == b"raw"


@pytest.mark.parametrize("policy", ["lru", "ttl"])
def test_object_refcount(fresh_server, target, policy):
    s = fresh_server(POLICY_ARGS[(target, policy)])
    c = s.client()
    # Redis shares the integers 0-9999 (reference count INT_MAX) unless an LRU or LFU
    # policy needs an access record per key.
    shared = 2147483647 if policy == "ttl" else 1
    for value, expected in [(b"0", shared), (b"9999", shared), (b"10000", 1), (b"-1", 1),
                            (b"abc", 1), (b"x" * 100, 1), (b"007", 1)]:
        c.set("k", value)
        assert c.object("refcount", "k") == expected, value
    assert c.object("refcount", "missing") is None
    c.close()


def test_object_refcount_of_strings(r):
    r.set("s", "hello")
    assert r.object("refcount", "s") == 1


def test_object_idletime(r):
    r.set("k", "a string")
    assert r.object("idletime", "k") == 0
    time.sleep(1.2)
    assert r.object("idletime", "k") >= 1
    # OBJECT does not touch the key; a read does.
    r.object("encoding", "k")
    r.object("refcount", "k")
    assert r.object("idletime", "k") >= 1
    r.get("k")
    assert r.object("idletime", "k") == 0
    assert r.object("idletime", "missing") is None


def test_touch_restarts_idletime_and_exists_does_not(r):
    r.set("a", "a string")
    assert r.restore("c", 0, r.dump("a"), idletime=500) == b"OK"
    assert r.restore("d", 0, r.dump("a"), idletime=500) == b"OK"
    assert r.exists("c") == 1
    assert r.type("c") == b"string"
    assert r.object("idletime", "c") >= 500
    assert r.touch("d", "missing") == 1
    assert r.object("idletime", "d") == 0


def test_object_freq_needs_lfu(raw):
    raw.cmd("SET", "k", "a string")
    assert raw.cmd("OBJECT", "FREQ", "k") == FREQ_NOT_TRACKED
    # A missing key is nil whatever the policy.
    assert raw.cmd("OBJECT", "FREQ", "missing") is None


def test_object_under_lfu(fresh_server, target):
    s = fresh_server(POLICY_ARGS[(target, "lfu")])
    c = s.raw()
    c.cmd("SET", "k", "a string")
    # A new key starts at Redis's LFU_INIT_VAL; the first read always counts.
    assert c.cmd("OBJECT", "FREQ", "k") == 5
    c.cmd("GET", "k")
    assert c.cmd("OBJECT", "FREQ", "k") == 6
    assert c.cmd("OBJECT", "IDLETIME", "k") == IDLETIME_NOT_TRACKED
    assert c.cmd("OBJECT", "IDLETIME", "missing") is None
    assert c.cmd("OBJECT", "ENCODING", "k") == b"embstr"
    c.close()


def test_object_policy_change_at_run_time(fresh_server, target):
    s = fresh_server(POLICY_ARGS[(target, "lru")])
    c = s.raw()
    c.cmd("SET", "k", "a string")
    assert c.cmd("OBJECT", "FREQ", "k") == FREQ_NOT_TRACKED
    name, value = ("maxmemory-policy", "allkeys-lfu") if target == "redis" else ("eviction-policy", "lfu")
    assert c.cmd("CONFIG", "SET", name, value) == Status("OK")
    assert isinstance(c.cmd("OBJECT", "FREQ", "k"), int)
    assert c.cmd("OBJECT", "IDLETIME", "k") == IDLETIME_NOT_TRACKED
    c.close()


def test_object_help(raw):
    lines = raw.cmd("OBJECT", "HELP")
    assert lines == [
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ]


def test_object_errors(raw):
    assert raw.cmd("OBJECT") == wrong_args("object")
    assert raw.cmd("OBJECT", "foo", "k") == Error("ERR unknown subcommand 'foo'. Try OBJECT HELP.")
    assert raw.cmd("OBJECT", "ENCODING") == wrong_args("object|encoding")
    assert raw.cmd("OBJECT", "ENCODING", "a", "b") == wrong_args("object|encoding")
    assert raw.cmd("OBJECT", "HELP", "x") == wrong_args("object|help")
    assert raw.cmd("object", "encoding", "missing") is None
