"""String commands: SET and its options, GET, GETDEL, GETEX, GETSET, SETNX, SETEX, PSETEX,
MSET, MSETNX, MGET, STRLEN, APPEND, GETRANGE, SETRANGE, INCR/DECR family, INCRBYFLOAT,
binary safety and large values."""

import hashlib
import os
import time

import pytest

from respclient import NOT_FLOAT, NOT_INTEGER, SYNTAX_ERROR, Error, Status, wrong_args

FAR_FUTURE_S = 99999999999          # year 5138
FAR_FUTURE_MS = FAR_FUTURE_S * 1000 + 123


def invalid_expire(command):
    return Error(f"ERR invalid expire time in '{command}' command")


# -- SET ----------------------------------------------------------------------

def test_set_get(raw):
    assert raw.cmd("SET", "k", "v") == Status("OK")
    assert raw.last_raw == b"+OK\r\n"
    assert raw.cmd("GET", "k") == b"v"
    assert raw.cmd("SET", "k", "v2") == Status("OK")
    assert raw.cmd("GET", "k") == b"v2"
    assert raw.cmd("TTL", "k") == -1


def test_get_missing_is_nil(raw):
    assert raw.cmd("GET", "missing") is None
    assert raw.last_raw == b"$-1\r\n"


def test_set_empty_value(raw):
    assert raw.cmd("SET", "k", "") == "OK"
    assert raw.cmd("GET", "k") == b""
    assert raw.last_raw == b"$0\r\n\r\n"
    assert raw.cmd("EXISTS", "k") == 1


@pytest.mark.parametrize("args", [("SET",), ("SET", "k")])
def test_set_arity(raw, args):
    assert raw.cmd(*args) == wrong_args("set")


@pytest.mark.parametrize("args", [("GET",), ("GET", "a", "b")])
def test_get_arity(raw, args):
    assert raw.cmd(*args) == wrong_args("get")


def test_set_ex_px(raw):
    assert raw.cmd("SET", "k", "v", "EX", "100") == "OK"
    assert raw.cmd("TTL", "k") == 100
    assert 99000 <= raw.cmd("PTTL", "k") <= 100000
    assert raw.cmd("SET", "k", "v", "px", "5000") == "OK"
    assert 4900 <= raw.cmd("PTTL", "k") <= 5000
    assert raw.cmd("TTL", "k") == 5


def test_set_exat_pxat(raw):
    assert raw.cmd("SET", "k", "v", "EXAT", str(FAR_FUTURE_S)) == "OK"
    assert raw.cmd("EXPIRETIME", "k") == FAR_FUTURE_S
    assert raw.cmd("SET", "k", "v", "PXAT", str(FAR_FUTURE_MS)) == "OK"
    assert raw.cmd("PEXPIRETIME", "k") == FAR_FUTURE_MS
    now = int(time.time())
    assert raw.cmd("SET", "k", "v", "EXAT", str(now + 100)) == "OK"
    assert 98 <= raw.cmd("TTL", "k") <= 100


def test_set_pxat_in_the_past_deletes(raw):
    raw.cmd("SET", "k", "old")
    assert raw.cmd("SET", "k", "v", "PXAT", "1") == "OK"
    assert raw.cmd("EXISTS", "k") == 0
    assert raw.cmd("GET", "k") is None
    assert raw.cmd("SET", "k2", "v", "EXAT", "1") == "OK"
    assert raw.cmd("EXISTS", "k2") == 0


def test_set_without_ttl_option_clears_ttl(raw):
    raw.cmd("SET", "k", "v", "EX", "100")
    assert raw.cmd("SET", "k", "v2") == "OK"
    assert raw.cmd("TTL", "k") == -1


def test_set_keepttl(raw):
    raw.cmd("SET", "k", "v", "EX", "100")
    assert raw.cmd("SET", "k", "v2", "KEEPTTL") == "OK"
    assert raw.cmd("GET", "k") == b"v2"
    assert 99 <= raw.cmd("TTL", "k") <= 100
    # KEEPTTL on a key without TTL, and on a new key
    assert raw.cmd("SET", "n", "1", "KEEPTTL") == "OK"
    assert raw.cmd("TTL", "n") == -1


def test_set_nx(raw):
    assert raw.cmd("SET", "k", "1", "NX") == "OK"
    assert raw.cmd("SET", "k", "2", "NX") is None
    assert raw.last_raw == b"$-1\r\n"
    assert raw.cmd("GET", "k") == b"1"


def test_set_xx(raw):
    assert raw.cmd("SET", "k", "1", "XX") is None
    assert raw.cmd("EXISTS", "k") == 0
    raw.cmd("SET", "k", "1")
    assert raw.cmd("SET", "k", "2", "XX") == "OK"
    assert raw.cmd("GET", "k") == b"2"


def test_set_xx_with_ex(raw):
    raw.cmd("SET", "k", "1")
    assert raw.cmd("SET", "k", "2", "XX", "EX", "50") == "OK"
    assert raw.cmd("TTL", "k") == 50


def test_set_get_option(raw):
    assert raw.cmd("SET", "k", "1", "GET") is None
    assert raw.cmd("GET", "k") == b"1"
    assert raw.cmd("SET", "k", "2", "GET") == b"1"
    assert raw.cmd("GET", "k") == b"2"


def test_set_get_with_nx_xx(raw):
    # Redis 7 allows NX together with GET
    raw.cmd("SET", "k", "old")
    assert raw.cmd("SET", "k", "new", "NX", "GET") == b"old"
    assert raw.cmd("GET", "k") == b"old"            # NX: not set
    assert raw.cmd("SET", "k", "new", "XX", "GET") == b"old"
    assert raw.cmd("GET", "k") == b"new"
    assert raw.cmd("SET", "nokey", "v", "XX", "GET") is None
    assert raw.cmd("EXISTS", "nokey") == 0
    assert raw.cmd("SET", "nokey", "v", "NX", "GET") is None
    assert raw.cmd("GET", "nokey") == b"v"


def test_set_get_with_ex(raw):
    raw.cmd("SET", "k", "old")
    assert raw.cmd("SET", "k", "new", "GET", "EX", "30") == b"old"
    assert raw.cmd("TTL", "k") == 30


def test_set_options_case_insensitive(raw):
    assert raw.cmd("set", "k", "v", "ex", "10", "nx") == "OK"
    assert raw.cmd("TTL", "k") == 10
    assert raw.cmd("SET", "k", "w", "Xx", "kEePtTl", "gEt") == b"v"


@pytest.mark.parametrize("opts", [
    ("EX", "10", "PX", "100"),
    ("EX", "10", "EXAT", str(FAR_FUTURE_S)),
    ("PX", "10", "PXAT", str(FAR_FUTURE_MS)),
    ("NX", "XX"),
    ("KEEPTTL", "EX", "10"),
    ("PX", "10", "KEEPTTL"),
    ("EX",),
    ("PX",),
    ("FOO",),
    ("EX", "10", "BAR"),
    ("extra",),
])
def test_set_syntax_errors(raw, opts):
    raw.cmd("SET", "k", "orig")
    assert raw.cmd("SET", "k", "v", *opts) == SYNTAX_ERROR
    assert raw.cmd("GET", "k") == b"orig"


@pytest.mark.parametrize("opt,value", [
    ("EX", "0"), ("EX", "-1"), ("PX", "0"), ("PX", "-100"), ("EXAT", "0"), ("PXAT", "0"),
    ("EXAT", "-5"),
    # would overflow when converted to milliseconds
    ("EX", "9223372036854775"), ("PX", "9223372036854775807"),
])
def test_set_invalid_expire_time(raw, opt, value):
    assert raw.cmd("SET", "k", "v", opt, value) == invalid_expire("set")
    assert raw.cmd("EXISTS", "k") == 0


@pytest.mark.parametrize("value", ["abc", "1.5", "", "10s", "99999999999999999999"])
def test_set_expire_not_integer(raw, value):
    assert raw.cmd("SET", "k", "v", "EX", value) == NOT_INTEGER
    assert raw.cmd("EXISTS", "k") == 0


def test_set_redis_py(r):
    assert r.set("k", "v", ex=10) is True
    assert r.ttl("k") == 10
    assert r.set("k", "v2", nx=True) is None
    assert r.set("k", "v3", xx=True, keepttl=True) is True
    assert r.get("k") == b"v3"
    assert r.set("k", "v4", get=True) == b"v3"


# -- GETDEL / GETEX / GETSET ----------------------------------------------------

def test_getdel(raw):
    raw.cmd("SET", "k", "v", "EX", "100")
    assert raw.cmd("GETDEL", "k") == b"v"
    assert raw.cmd("EXISTS", "k") == 0
    assert raw.cmd("GETDEL", "k") is None
    assert raw.cmd("GETDEL") == wrong_args("getdel")
    assert raw.cmd("GETDEL", "a", "b") == wrong_args("getdel")


def test_getex_without_options_keeps_ttl(raw):
    raw.cmd("SET", "k", "v", "EX", "100")
    assert raw.cmd("GETEX", "k") == b"v"
    assert 99 <= raw.cmd("TTL", "k") <= 100
    assert raw.cmd("GETEX", "missing") is None
    assert raw.cmd("GETEX", "missing", "EX", "10") is None
    assert raw.cmd("EXISTS", "missing") == 0


def test_getex_options(raw):
    raw.cmd("SET", "k", "v")
    assert raw.cmd("GETEX", "k", "EX", "100") == b"v"
    assert raw.cmd("TTL", "k") == 100
    assert raw.cmd("GETEX", "k", "PX", "5000") == b"v"
    assert 4900 <= raw.cmd("PTTL", "k") <= 5000
    assert raw.cmd("GETEX", "k", "EXAT", str(FAR_FUTURE_S)) == b"v"
    assert raw.cmd("EXPIRETIME", "k") == FAR_FUTURE_S
    assert raw.cmd("GETEX", "k", "PXAT", str(FAR_FUTURE_MS)) == b"v"
    assert raw.cmd("PEXPIRETIME", "k") == FAR_FUTURE_MS
    assert raw.cmd("GETEX", "k", "PERSIST") == b"v"
    assert raw.cmd("TTL", "k") == -1


def test_getex_past_time_deletes(raw):
    raw.cmd("SET", "k", "v")
    assert raw.cmd("GETEX", "k", "PXAT", "1") == b"v"
    assert raw.cmd("EXISTS", "k") == 0


@pytest.mark.parametrize("opts,expected", [
    (("EX", "0"), invalid_expire("getex")),
    (("EX", "-5"), invalid_expire("getex")),
    (("PX", "0"), invalid_expire("getex")),
    (("EXAT", "0"), invalid_expire("getex")),
    (("EX", "abc"), NOT_INTEGER),
    (("EX", "10", "PX", "10"), SYNTAX_ERROR),
    (("PERSIST", "EX", "10"), SYNTAX_ERROR),
    (("EX", "10", "PERSIST"), SYNTAX_ERROR),
    (("EX",), SYNTAX_ERROR),
    (("FOO",), SYNTAX_ERROR),
])
def test_getex_errors(raw, opts, expected):
    raw.cmd("SET", "k", "v", "EX", "100")
    assert raw.cmd("GETEX", "k", *opts) == expected
    assert raw.cmd("TTL", "k") in (99, 100)


def test_getex_arity(raw):
    assert raw.cmd("GETEX") == wrong_args("getex")


def test_getset(raw):
    assert raw.cmd("GETSET", "k", "1") is None
    assert raw.cmd("GETSET", "k", "2") == b"1"
    assert raw.cmd("GET", "k") == b"2"
    # GETSET discards the TTL
    raw.cmd("SET", "t", "a", "EX", "100")
    assert raw.cmd("GETSET", "t", "b") == b"a"
    assert raw.cmd("TTL", "t") == -1
    assert raw.cmd("GETSET", "k") == wrong_args("getset")


# -- SETNX / SETEX / PSETEX -------------------------------------------------------

def test_setnx(raw):
    assert raw.cmd("SETNX", "k", "1") == 1
    assert raw.cmd("SETNX", "k", "2") == 0
    assert raw.cmd("GET", "k") == b"1"
    assert raw.cmd("SETNX", "k") == wrong_args("setnx")


def test_setex(raw):
    assert raw.cmd("SETEX", "k", "10", "v") == Status("OK")
    assert raw.cmd("GET", "k") == b"v"
    assert raw.cmd("TTL", "k") == 10


@pytest.mark.parametrize("secs,expected", [
    ("0", invalid_expire("setex")), ("-1", invalid_expire("setex")), ("abc", NOT_INTEGER),
])
def test_setex_errors(raw, secs, expected):
    assert raw.cmd("SETEX", "k", secs, "v") == expected
    assert raw.cmd("EXISTS", "k") == 0


def test_setex_arity(raw):
    assert raw.cmd("SETEX", "k", "10") == wrong_args("setex")
    assert raw.cmd("SETEX") == wrong_args("setex")


def test_psetex(raw):
    assert raw.cmd("PSETEX", "k", "1500", "v") == Status("OK")
    assert raw.cmd("GET", "k") == b"v"
    assert 1400 <= raw.cmd("PTTL", "k") <= 1500
    assert raw.cmd("PSETEX", "k", "0", "v") == invalid_expire("psetex")
    assert raw.cmd("PSETEX", "k", "x", "v") == NOT_INTEGER
    assert raw.cmd("PSETEX", "k", "10") == wrong_args("psetex")


# -- MSET / MSETNX / MGET -----------------------------------------------------------

def test_mset_mget(raw):
    assert raw.cmd("MSET", "a", "1", "b", "2", "c", "3") == Status("OK")
    assert raw.cmd("MGET", "a", "b", "missing", "c") == [b"1", b"2", None, b"3"]
    assert raw.last_raw == b"*4\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n$1\r\n3\r\n"


def test_mset_last_value_wins_and_clears_ttl(raw):
    raw.cmd("SET", "a", "old", "EX", "100")
    assert raw.cmd("MSET", "a", "1", "a", "2") == "OK"
    assert raw.cmd("GET", "a") == b"2"
    assert raw.cmd("TTL", "a") == -1


@pytest.mark.parametrize("args", [("MSET",), ("MSET", "a"), ("MSET", "a", "1", "b")])
def test_mset_arity(raw, args):
    assert raw.cmd(*args) == wrong_args("mset")


def test_mget_arity(raw):
    assert raw.cmd("MGET") == wrong_args("mget")


def test_mget_many_keys(r):
    mapping = {f"key:{i}": f"value:{i}" for i in range(1000)}
    assert r.mset(mapping) is True
    keys = list(mapping) + ["nokey"]
    values = r.mget(keys)
    assert values[:-1] == [v.encode() for v in mapping.values()]
    assert values[-1] is None


def test_msetnx(raw):
    assert raw.cmd("MSETNX", "a", "1", "b", "2") == 1
    assert raw.cmd("MGET", "a", "b") == [b"1", b"2"]
    # all or nothing: one key exists, nothing is set
    assert raw.cmd("MSETNX", "a", "3", "x", "4") == 0
    assert raw.cmd("MGET", "a", "x") == [b"1", None]
    # duplicates within the call: the last one wins
    assert raw.cmd("MSETNX", "x", "4", "y", "5", "x", "6") == 1
    assert raw.cmd("MGET", "x", "y") == [b"6", b"5"]


@pytest.mark.parametrize("args", [("MSETNX",), ("MSETNX", "a"), ("MSETNX", "a", "1", "b")])
def test_msetnx_arity(raw, args):
    assert raw.cmd(*args) == wrong_args("msetnx")


# -- STRLEN / APPEND ------------------------------------------------------------

def test_strlen(raw):
    assert raw.cmd("STRLEN", "missing") == 0
    raw.cmd("SET", "k", "hello")
    assert raw.cmd("STRLEN", "k") == 5
    raw.cmd("SET", "b", b"\x00\x01\xff")
    assert raw.cmd("STRLEN", "b") == 3
    raw.cmd("SET", "n", "12345")           # integer-looking values too
    assert raw.cmd("STRLEN", "n") == 5
    assert raw.cmd("STRLEN") == wrong_args("strlen")
    assert raw.cmd("STRLEN", "a", "b") == wrong_args("strlen")


def test_append(raw):
    assert raw.cmd("APPEND", "k", "hello") == 5
    assert raw.cmd("APPEND", "k", " world") == 11
    assert raw.cmd("GET", "k") == b"hello world"
    assert raw.cmd("APPEND", "k", "") == 11
    raw.cmd("SET", "n", "10")
    assert raw.cmd("APPEND", "n", "5") == 3
    assert raw.cmd("INCR", "n") == 106


def test_append_keeps_ttl(raw):
    raw.cmd("SET", "k", "a", "EX", "100")
    raw.cmd("APPEND", "k", "b")
    assert raw.cmd("TTL", "k") in (99, 100)


def test_append_arity(raw):
    assert raw.cmd("APPEND", "k") == wrong_args("append")
    assert raw.cmd("APPEND") == wrong_args("append")


# -- GETRANGE / SETRANGE ----------------------------------------------------------

@pytest.mark.parametrize("start,end,expected", [
    ("0", "4", b"hello"),
    ("-5", "-1", b"world"),
    ("6", "100", b"world"),
    ("0", "-1", b"hello world"),
    ("100", "200", b""),
    ("5", "2", b""),
    ("-100", "2", b"hel"),
    ("-1", "-5", b""),
    ("-1", "0", b""),
    ("3", "3", b"l"),
])
def test_getrange(raw, start, end, expected):
    raw.cmd("SET", "s", "hello world")
    assert raw.cmd("GETRANGE", "s", start, end) == expected


def test_getrange_missing_and_errors(raw):
    assert raw.cmd("GETRANGE", "missing", "0", "10") == b""
    raw.cmd("SET", "s", "abc")
    assert raw.cmd("GETRANGE", "s", "a", "1") == NOT_INTEGER
    assert raw.cmd("GETRANGE", "s", "0", "1.5") == NOT_INTEGER
    assert raw.cmd("GETRANGE", "s", "0") == wrong_args("getrange")


def test_setrange(raw):
    raw.cmd("SET", "s", "hello world")
    assert raw.cmd("SETRANGE", "s", "6", "redis") == 11
    assert raw.cmd("GET", "s") == b"hello redis"
    assert raw.cmd("SETRANGE", "s", "0", "HE") == 11
    assert raw.cmd("GET", "s") == b"HEllo redis"


def test_setrange_pads_with_zero_bytes(raw):
    raw.cmd("SET", "s", "ab")
    assert raw.cmd("SETRANGE", "s", "5", "x") == 6
    assert raw.cmd("GET", "s") == b"ab\x00\x00\x00x"
    assert raw.cmd("SETRANGE", "new", "3", "ab") == 5
    assert raw.cmd("GET", "new") == b"\x00\x00\x00ab"


def test_setrange_empty_value(raw):
    # an empty value on a missing key creates nothing
    assert raw.cmd("SETRANGE", "missing", "5", "") == 0
    assert raw.cmd("EXISTS", "missing") == 0
    raw.cmd("SET", "s", "abc")
    assert raw.cmd("SETRANGE", "s", "10", "") == 3
    assert raw.cmd("GET", "s") == b"abc"
    # even far beyond the size limit: nothing is written
    assert raw.cmd("SETRANGE", "s", "536870912", "") == 3
    assert raw.cmd("SETRANGE", "missing", "536870912", "") == 0


def test_setrange_keeps_ttl(raw):
    raw.cmd("SET", "s", "abc", "EX", "100")
    raw.cmd("SETRANGE", "s", "1", "X")
    assert raw.cmd("TTL", "s") in (99, 100)


def test_setrange_errors(raw):
    raw.cmd("SET", "s", "abc")
    assert raw.cmd("SETRANGE", "s", "-1", "x") == Error("ERR offset is out of range")
    assert raw.cmd("SETRANGE", "s", "abc", "x") == NOT_INTEGER
    assert raw.cmd("SETRANGE", "s", "99999999999999999999", "x") == NOT_INTEGER
    assert raw.cmd("SETRANGE", "s", "0") == wrong_args("setrange")
    assert raw.cmd("GET", "s") == b"abc"


@pytest.mark.parametrize("offset,value", [
    ("536870912", "x"),          # 512 MiB + 1
    ("536870911", "xx"),         # 512 MiB + 1
    ("4294967296", "x"),
])
def test_setrange_too_big(raw, offset, value):
    too_big = Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    assert raw.cmd("SETRANGE", "missing", offset, value) == too_big
    assert raw.cmd("EXISTS", "missing") == 0
    raw.cmd("SET", "s", "abc")
    assert raw.cmd("SETRANGE", "s", offset, value) == too_big
    assert raw.cmd("GET", "s") == b"abc"


# -- INCR / DECR / INCRBY / DECRBY ---------------------------------------------------

def test_incr_decr(raw):
    assert raw.cmd("INCR", "n") == 1
    assert raw.cmd("INCR", "n") == 2
    assert raw.cmd("DECR", "n") == 1
    assert raw.cmd("INCRBY", "n", "10") == 11
    assert raw.cmd("INCRBY", "n", "-20") == -9
    assert raw.cmd("DECRBY", "n", "5") == -14
    assert raw.cmd("DECRBY", "n", "-14") == 0
    assert raw.cmd("GET", "n") == b"0"
    assert raw.cmd("DECR", "new") == -1


def test_incr_on_existing_string_integer(raw):
    raw.cmd("SET", "n", "41")
    assert raw.cmd("INCR", "n") == 42
    assert raw.cmd("GET", "n") == b"42"
    raw.cmd("SET", "n", "-9223372036854775807")
    assert raw.cmd("DECR", "n") == -9223372036854775808


def test_incr_keeps_ttl(raw):
    raw.cmd("SET", "n", "1", "EX", "100")
    assert raw.cmd("INCR", "n") == 2
    assert raw.cmd("TTL", "n") in (99, 100)


def test_incr_extremes(raw):
    raw.cmd("SET", "n", "9223372036854775806")
    assert raw.cmd("INCR", "n") == 9223372036854775807
    raw.cmd("SET", "n", "0")
    assert raw.cmd("DECRBY", "n", "9223372036854775807") == -9223372036854775807
    assert raw.cmd("INCRBY", "m", "-9223372036854775808") == -9223372036854775808


@pytest.mark.parametrize("start,args", [
    ("9223372036854775807", ("INCR", "n")),
    ("9223372036854775807", ("INCRBY", "n", "1")),
    ("-9223372036854775808", ("DECR", "n")),
    ("-9223372036854775808", ("DECRBY", "n", "1")),
    ("-1", ("INCRBY", "n", "-9223372036854775808")),
    ("1", ("INCRBY", "n", "9223372036854775807")),
])
def test_incr_overflow(raw, start, args):
    raw.cmd("SET", "n", start)
    assert raw.cmd(*args) == Error("ERR increment or decrement would overflow")
    assert raw.cmd("GET", "n") == start.encode()


def test_decrby_min_int64(raw):
    # negating LLONG_MIN overflows before the addition is even tried
    raw.cmd("SET", "n", "0")
    assert raw.cmd("DECRBY", "n", "-9223372036854775808") == Error("ERR decrement would overflow")
    assert raw.cmd("GET", "n") == b"0"


@pytest.mark.parametrize("value", [
    "abc", " 1", "1 ", "1.0", "9223372036854775808", "-9223372036854775809", "00012", "-0",
    "", "+1", "0x10", "1e3",
])
def test_incr_value_not_integer(raw, value):
    raw.cmd("SET", "n", value)
    for args in (("INCR", "n"), ("DECR", "n"), ("INCRBY", "n", "1"), ("DECRBY", "n", "1")):
        assert raw.cmd(*args) == NOT_INTEGER, args
    assert raw.cmd("GET", "n") == value.encode()


@pytest.mark.parametrize("increment", ["abc", "1.5", "", " 5", "+5", "00", "9223372036854775808"])
def test_incrby_increment_not_integer(raw, increment):
    raw.cmd("SET", "n", "1")
    assert raw.cmd("INCRBY", "n", increment) == NOT_INTEGER
    assert raw.cmd("DECRBY", "n", increment) == NOT_INTEGER
    assert raw.cmd("GET", "n") == b"1"


@pytest.mark.parametrize("cmd,args", [
    ("incr", ()), ("incr", ("a", "b")), ("decr", ()), ("incrby", ("n",)), ("incrby", ("n", "1", "2")),
    ("decrby", ("n",)),
])
def test_incr_family_arity(raw, cmd, args):
    assert raw.cmd(cmd.upper(), *args) == wrong_args(cmd)


def test_incr_redis_py(r):
    assert r.incr("c") == 1
    assert r.incrby("c", 5) == 6
    assert r.decr("c") == 5
    assert r.decrby("c", 10) == -5


# -- INCRBYFLOAT ---------------------------------------------------------------

def test_incrbyfloat_doc_examples(raw):
    # the examples of the Redis documentation
    raw.cmd("SET", "mykey", "10.50")
    assert raw.cmd("INCRBYFLOAT", "mykey", "0.1") == b"10.6"
    assert raw.last_raw == b"$4\r\n10.6\r\n"     # a bulk string, not a double
    assert raw.cmd("INCRBYFLOAT", "mykey", "-5") == b"5.6"
    raw.cmd("SET", "mykey", "5.0e3")
    assert raw.cmd("INCRBYFLOAT", "mykey", "2.0e2") == b"5200"
    assert raw.cmd("GET", "mykey") == b"5200"


@pytest.mark.parametrize("start,incr,expected", [
    (None, "10.5", b"10.5"),
    (None, "5.0e3", b"5000"),
    (None, "3", b"3"),
    (None, "-0.0", b"0"),
    (None, "1e-5", b"0.00001"),
    ("10", "1.5", b"11.5"),
    ("3.0", "0", b"3"),
    ("1e3", "1", b"1001"),
    ("3", "1.5e-10", b"3.00000000015"),
    ("-2.5", "2.5", b"0"),
    ("0.1", "0.2", b"0.3"),
])
def test_incrbyfloat_formatting(raw, start, incr, expected):
    if start is not None:
        raw.cmd("SET", "f", start)
    assert raw.cmd("INCRBYFLOAT", "f", incr) == expected
    assert raw.cmd("GET", "f") == expected


@pytest.mark.parametrize("incr", ["abc", "", " 1", "1 ", "nan", "1.5x", "--1"])
def test_incrbyfloat_increment_not_float(raw, incr):
    raw.cmd("SET", "f", "1")
    assert raw.cmd("INCRBYFLOAT", "f", incr) == NOT_FLOAT
    assert raw.cmd("GET", "f") == b"1"


@pytest.mark.parametrize("value", ["abc", "1.5.5", "", " 1"])
def test_incrbyfloat_value_not_float(raw, value):
    raw.cmd("SET", "f", value)
    assert raw.cmd("INCRBYFLOAT", "f", "1") == NOT_FLOAT
    assert raw.cmd("GET", "f") == value.encode()


@pytest.mark.parametrize("incr", ["inf", "-inf", "+inf", "Infinity"])
def test_incrbyfloat_infinity(raw, incr):
    raw.cmd("SET", "f", "1")
    assert raw.cmd("INCRBYFLOAT", "f", incr) == Error("ERR increment would produce NaN or Infinity")
    assert raw.cmd("GET", "f") == b"1"
    assert raw.cmd("INCRBYFLOAT", "missing", incr) == Error("ERR increment would produce NaN or Infinity")
    assert raw.cmd("EXISTS", "missing") == 0


def test_incrbyfloat_keeps_ttl(raw):
    raw.cmd("SET", "f", "1", "EX", "100")
    assert raw.cmd("INCRBYFLOAT", "f", "0.5") == b"1.5"
    assert raw.cmd("TTL", "f") in (99, 100)


def test_incrbyfloat_then_incr(raw):
    raw.cmd("INCRBYFLOAT", "f", "1.5")
    assert raw.cmd("INCR", "f") == NOT_INTEGER
    raw.cmd("INCRBYFLOAT", "g", "2.0")
    assert raw.cmd("INCR", "g") == 3    # "2" is an integer again


def test_incrbyfloat_arity(raw):
    assert raw.cmd("INCRBYFLOAT") == wrong_args("incrbyfloat")
    assert raw.cmd("INCRBYFLOAT", "f") == wrong_args("incrbyfloat")
    assert raw.cmd("INCRBYFLOAT", "f", "1", "2") == wrong_args("incrbyfloat")


def test_incrbyfloat_redis_py(r):
    assert r.incrbyfloat("f", 2.5) == 2.5
    assert r.incrbyfloat("f", -0.5) == 2.0
    assert r.get("f") == b"2"


# -- binary safety and sizes -------------------------------------------------------

BINARY_KEYS = [b"\x00", b"a\x00b", b"\r\n", b"key\r\nwith\r\ncrlf", b"\xff\xfe\x80", b" ", b"*1\r\n$4\r\nPING\r\n"]


@pytest.mark.parametrize("key", BINARY_KEYS)
def test_binary_safe_keys_and_values(raw, key):
    value = b"\x00\r\n" + key + b"\r\n\x00$-1\r\n"
    assert raw.cmd("SET", key, value) == "OK"
    assert raw.cmd("GET", key) == value
    assert raw.cmd("STRLEN", key) == len(value)
    assert raw.cmd("EXISTS", key) == 1
    assert raw.cmd("KEYS", "*") == [key]
    assert raw.cmd("APPEND", key, b"\x00") == len(value) + 1
    assert raw.cmd("GETRANGE", key, "0", "2") == b"\x00\r\n"
    assert raw.cmd("DEL", key) == 1


def test_binary_keys_are_distinct(r):
    keys = [b"a", b"a\x00", b"a\x00\x00", b"A", b"a ", b"\x00a"]
    for i, k in enumerate(keys):
        r.set(k, str(i))
    assert r.mget(keys) == [str(i).encode() for i in range(len(keys))]
    assert r.dbsize() == len(keys)


def test_all_byte_values(r):
    value = bytes(range(256)) * 4
    key = bytes(range(256))
    r.set(key, value)
    assert r.get(key) == value


@pytest.mark.parametrize("size", [1 << 20, 8 << 20], ids=["1MiB", "8MiB"])
def test_large_value_roundtrip(r, size):
    value = os.urandom(size)
    assert r.set("big", value) is True
    got = r.get("big")
    assert len(got) == size
    assert hashlib.sha256(got).digest() == hashlib.sha256(value).digest()
    assert r.strlen("big") == size
    assert r.getrange("big", size - 10, size - 1) == value[-10:]


def test_large_value_append_and_getrange(r):
    chunk = os.urandom(256 * 1024)
    for i in range(8):
        assert r.append("big", chunk) == (i + 1) * len(chunk)
    assert r.get("big") == chunk * 8
    assert r.getrange("big", len(chunk) - 5, len(chunk) + 4) == chunk[-5:] + chunk[:5]


def test_large_value_raw_exact_bytes(raw):
    value = os.urandom(3 << 20)
    assert raw.cmd("SET", "big", value) == "OK"
    assert raw.cmd("GET", "big") == value
    assert raw.last_raw == b"$%d\r\n" % len(value) + value + b"\r\n"


def test_many_large_values_pipelined(r):
    values = {f"blob:{i}": os.urandom(512 * 1024 + i) for i in range(16)}
    with r.pipeline(transaction=False) as p:
        for k, v in values.items():
            p.set(k, v)
        assert p.execute() == [True] * len(values)
    assert r.mget(list(values)) == list(values.values())
