"""Bitmap commands (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO) and LCS,
with Redis 7.0's replies and error texts; then a seeded random sequence of bit commands
whose replies are checked against a small pure-Python model of their semantics."""

import random
import threading
import time

import pytest

from respclient import NOT_INTEGER, NULL, SYNTAX_ERROR, Error, Map, wrong_args

BIT_OFFSET_ERROR = Error("ERR bit offset is not an integer or out of range")
BIT_VALUE_ERROR = Error("ERR bit is not an integer or out of range")
BITPOS_BIT_ERROR = Error("ERR The bit argument must be 1 or 0.")
BITOP_NOT_ERROR = Error("ERR BITOP NOT must be called with a single source key.")
BITFIELD_TYPE_ERROR = Error("ERR Invalid bitfield type. Use something like i16 u8. "
                            "Note that u64 is not supported but i64 is.")
OVERFLOW_TYPE_ERROR = Error("ERR Invalid OVERFLOW type specified")
BITFIELD_RO_ERROR = Error("ERR BITFIELD_RO only supports the GET subcommand")
DEFAULT_MAX_BULK = 512 * 1024 * 1024


@pytest.fixture
def small_bulk_limit(raw):
    """proto-max-bulk-len at its minimum (1 MiB) for the test, restored afterwards."""
    assert raw.cmd("CONFIG", "SET", "proto-max-bulk-len", str(1024 * 1024)) == "OK"
    yield 1024 * 1024
    assert raw.cmd("CONFIG", "SET", "proto-max-bulk-len", str(DEFAULT_MAX_BULK)) == "OK"


# -- SETBIT / GETBIT ------------------------------------------------------------------

def test_setbit_getbit(raw):
    assert raw.cmd("SETBIT", "k", 7, 1) == 0
    assert raw.cmd("GET", "k") == b"\x01"
    assert raw.cmd("SETBIT", "k", 7, 1) == 1
    assert raw.cmd("SETBIT", "k", 0, 1) == 0
    assert raw.cmd("GET", "k") == b"\x81"
    assert raw.cmd("GETBIT", "k", 0) == 1
    assert raw.cmd("GETBIT", "k", 1) == 0
    assert raw.cmd("SETBIT", "k", 7, 0) == 1
    assert raw.cmd("GET", "k") == b"\x80"
    assert raw.cmd("GETBIT", "missing", 0) == 0
    assert raw.cmd("GETBIT", "k", 100) == 0       # past the end reads as zero
    assert raw.cmd("STRLEN", "k") == 1            # and grows nothing


def test_setbit_grows_with_zeros_and_creates(raw):
    assert raw.cmd("SETBIT", "k", 100, 1) == 0
    assert raw.cmd("GET", "k") == b"\x00" * 12 + b"\x08"
    assert raw.cmd("SETBIT", "z", 9, 0) == 0      # clearing a bit still creates the key
    assert raw.cmd("GET", "z") == b"\x00\x00"
    raw.cmd("SET", "s", "a")                      # 0x61 = 0110 0001
    assert [raw.cmd("GETBIT", "s", i) for i in range(8)] == [0, 1, 1, 0, 0, 0, 0, 1]
    assert raw.cmd("SETBIT", "s", 15, 1) == 0
    assert raw.cmd("GET", "s") == b"a\x01"


def test_setbit_keeps_ttl(raw):
    raw.cmd("SET", "k", "v", "EX", 100)
    assert raw.cmd("SETBIT", "k", 0, 1) == 0
    assert raw.cmd("TTL", "k") == 100


@pytest.mark.parametrize("offset", ["-1", "abc", "1.5", "4294967296", "99999999999999999999"])
def test_setbit_getbit_bad_offset(raw, offset):
    assert raw.cmd("SETBIT", "k", offset, 1) == BIT_OFFSET_ERROR
    assert raw.cmd("GETBIT", "k", offset) == BIT_OFFSET_ERROR
    assert raw.cmd("EXISTS", "k") == 0


@pytest.mark.parametrize("value", ["2", "-1", "x", "", "1.0"])
def test_setbit_bad_value(raw, value):
    assert raw.cmd("SETBIT", "k", 0, value) == BIT_VALUE_ERROR
    assert raw.cmd("EXISTS", "k") == 0


@pytest.mark.parametrize("args", [("SETBIT",), ("SETBIT", "k"), ("SETBIT", "k", 0),
                                  ("SETBIT", "k", 0, 1, 1), ("GETBIT", "k"),
                                  ("GETBIT", "k", 0, 0)])
def test_setbit_getbit_arity(raw, args):
    assert raw.cmd(*args) == wrong_args(args[0].lower())


def test_bit_offsets_bounded_by_proto_max_bulk_len(raw, small_bulk_limit):
    last_bit = small_bulk_limit * 8 - 1
    assert raw.cmd("SETBIT", "k", last_bit + 1, 1) == BIT_OFFSET_ERROR
    assert raw.cmd("GETBIT", "k", last_bit + 1) == BIT_OFFSET_ERROR
    assert raw.cmd("BITFIELD", "k", "SET", "u8", last_bit + 1, 1) == BIT_OFFSET_ERROR
    assert raw.cmd("BITFIELD", "k", "SET", "u8", f"#{small_bulk_limit}", 1) == BIT_OFFSET_ERROR
    assert raw.cmd("EXISTS", "k") == 0
    assert raw.cmd("SETBIT", "k", last_bit, 1) == 0
    assert raw.cmd("STRLEN", "k") == small_bulk_limit
    assert raw.cmd("GETBIT", "k", last_bit) == 1
    assert raw.cmd("BITCOUNT", "k") == 1
    assert raw.cmd("BITPOS", "k", 1) == last_bit


# -- BITCOUNT -------------------------------------------------------------------------

def test_bitcount_documentation_examples(raw):
    raw.cmd("SET", "k", "foobar")
    assert raw.cmd("BITCOUNT", "k") == 26
    assert raw.cmd("BITCOUNT", "k", 0, 0) == 4
    assert raw.cmd("BITCOUNT", "k", 1, 1) == 6
    assert raw.cmd("BITCOUNT", "k", 1, 1, "BYTE") == 6
    assert raw.cmd("BITCOUNT", "k", 5, 30, "BIT") == 17
    assert raw.cmd("BITCOUNT", "k", 5, 30, "bit") == 17


def test_bitcount_ranges(raw):
    raw.cmd("SET", "k", "foobar")
    assert raw.cmd("BITCOUNT", "k", 0, -1) == 26
    assert raw.cmd("BITCOUNT", "k", -2, -1) == 7      # "ar"
    assert raw.cmd("BITCOUNT", "k", -100, 100) == 26
    assert raw.cmd("BITCOUNT", "k", 4, 2) == 0
    assert raw.cmd("BITCOUNT", "k", 10, 20) == 0      # past the end
    assert raw.cmd("BITCOUNT", "k", -1, -5) == 0      # both negative, start > end
    assert raw.cmd("BITCOUNT", "k", -1, -5, "bogus") == 0  # answered before the unit is read
    assert raw.cmd("BITCOUNT", "k", 0, -1, "BIT") == 26
    assert raw.cmd("BITCOUNT", "k", -8, -1, "BIT") == 4     # 'r' = 0111 0010
    assert raw.cmd("BITCOUNT", "k", 1, 6, "BIT") == 4       # within 'f' = 0110 0110
    assert raw.cmd("BITCOUNT", "k", 47, 47, "BIT") == 0
    assert raw.cmd("BITCOUNT", "k", 46, 1000, "BIT") == 1
    assert raw.cmd("BITCOUNT", "missing") == 0


def test_bitcount_errors(raw):
    raw.cmd("SET", "k", "foobar")
    assert raw.cmd("BITCOUNT") == wrong_args("bitcount")
    assert raw.cmd("BITCOUNT", "k", 0) == SYNTAX_ERROR
    assert raw.cmd("BITCOUNT", "k", 0, 1, "BIT", "x") == SYNTAX_ERROR
    assert raw.cmd("BITCOUNT", "k", 0, 1, "WORD") == SYNTAX_ERROR
    assert raw.cmd("BITCOUNT", "k", "a", 1) == NOT_INTEGER
    assert raw.cmd("BITCOUNT", "k", 0, "b") == NOT_INTEGER
    # Redis 7.0 looks the key up first: a missing key is 0 whatever follows.
    assert raw.cmd("BITCOUNT", "missing", 0) == 0
    assert raw.cmd("BITCOUNT", "missing", "a", "b", "c") == 0


# -- BITPOS ---------------------------------------------------------------------------

def test_bitpos_documentation_examples(raw):
    raw.cmd("SET", "k", b"\xff\xf0\x00")
    assert raw.cmd("BITPOS", "k", 0) == 12
    raw.cmd("SET", "k", b"\x00\xff\xf0")
    assert raw.cmd("BITPOS", "k", 1, 0) == 8
    assert raw.cmd("BITPOS", "k", 1, 2) == 16
    assert raw.cmd("BITPOS", "k", 1, 2, -1, "BYTE") == 16
    assert raw.cmd("BITPOS", "k", 1, 7, 15, "BIT") == 8
    raw.cmd("SET", "k", b"\x00\x00\x00")
    assert raw.cmd("BITPOS", "k", 1) == -1
    assert raw.cmd("BITPOS", "k", 1, 7, -3, "BIT") == -1


def test_bitpos_clear_bit_past_the_end(raw):
    raw.cmd("SET", "k", b"\xff\xff")
    assert raw.cmd("BITPOS", "k", 0) == 16          # zero-padded on the right
    assert raw.cmd("BITPOS", "k", 0, 1) == 16
    assert raw.cmd("BITPOS", "k", 0, 0, -1) == -1   # an explicit end: nothing in range
    assert raw.cmd("BITPOS", "k", 0, 0, 11, "BIT") == -1
    assert raw.cmd("BITPOS", "k", 1, 5) == -1       # start past the end
    assert raw.cmd("BITPOS", "k", 0, 5) == -1
    assert raw.cmd("BITPOS", "missing", 0) == 0
    assert raw.cmd("BITPOS", "missing", 1) == -1
    assert raw.cmd("BITPOS", "missing", 0, "junk") == 0  # the key is looked up first
    raw.cmd("SET", "empty", "")
    assert raw.cmd("BITPOS", "empty", 0) == -1
    assert raw.cmd("BITPOS", "empty", 1) == -1


def test_bitpos_bit_ranges(raw):
    raw.cmd("SET", "k", b"\x0f\xf0")
    assert raw.cmd("BITPOS", "k", 1, 2, 5, "BIT") == 4
    assert raw.cmd("BITPOS", "k", 0, 4, 11, "BIT") == -1
    assert raw.cmd("BITPOS", "k", 0, 4, 12, "BIT") == 12
    assert raw.cmd("BITPOS", "k", 1, -4, -1, "BIT") == -1
    assert raw.cmd("BITPOS", "k", 0, -4, -1, "BIT") == 12
    assert raw.cmd("BITPOS", "k", 1, 9, 9, "bit") == 9
    assert raw.cmd("BITPOS", "k", 0, -10, -20) == 0    # clamps to byte 0


def test_bitpos_errors(raw):
    raw.cmd("SET", "k", "foobar")
    assert raw.cmd("BITPOS", "k") == wrong_args("bitpos")
    assert raw.cmd("BITPOS", "k", 2) == BITPOS_BIT_ERROR
    assert raw.cmd("BITPOS", "missing", -1) == BITPOS_BIT_ERROR
    assert raw.cmd("BITPOS", "k", "x") == NOT_INTEGER
    assert raw.cmd("BITPOS", "k", 1, "x") == NOT_INTEGER
    assert raw.cmd("BITPOS", "k", 1, 0, "x") == NOT_INTEGER
    assert raw.cmd("BITPOS", "k", 1, 0, -1, "bogus") == SYNTAX_ERROR
    assert raw.cmd("BITPOS", "k", 1, 0, "x", "bogus") == SYNTAX_ERROR  # the unit first
    assert raw.cmd("BITPOS", "k", 1, 0, -1, "BIT", "x") == SYNTAX_ERROR


# -- BITOP ----------------------------------------------------------------------------

def test_bitop_and_or_xor(raw):
    raw.cmd("SET", "a", b"\xff\x0f\xaa")
    raw.cmd("SET", "b", b"\x0f\xff")
    assert raw.cmd("BITOP", "AND", "d", "a", "b") == 3
    assert raw.cmd("GET", "d") == b"\x0f\x0f\x00"   # the shorter source is zero-padded
    assert raw.cmd("BITOP", "or", "d", "a", "b") == 3
    assert raw.cmd("GET", "d") == b"\xff\xff\xaa"
    assert raw.cmd("BITOP", "Xor", "d", "a", "b") == 3
    assert raw.cmd("GET", "d") == b"\xf0\xf0\xaa"
    assert raw.cmd("BITOP", "XOR", "d", "a", "b", "a") == 3
    assert raw.cmd("GET", "d") == b"\x0f\xff\x00"
    assert raw.cmd("BITOP", "AND", "d", "a") == 3
    assert raw.cmd("GET", "d") == b"\xff\x0f\xaa"


def test_bitop_not(raw):
    raw.cmd("SET", "a", b"\xff\x0f\x00")
    assert raw.cmd("BITOP", "NOT", "d", "a") == 3
    assert raw.cmd("GET", "d") == b"\x00\xf0\xff"
    assert raw.cmd("BITOP", "NOT", "a", "a") == 3   # in place
    assert raw.cmd("GET", "a") == b"\x00\xf0\xff"


def test_bitop_missing_sources_are_zeros(raw):
    raw.cmd("SET", "a", b"\xff\xff")
    assert raw.cmd("BITOP", "AND", "d", "a", "missing") == 2
    assert raw.cmd("GET", "d") == b"\x00\x00"
    assert raw.cmd("BITOP", "OR", "d", "missing", "a") == 2
    assert raw.cmd("GET", "d") == b"\xff\xff"
    # An empty result deletes the destination.
    assert raw.cmd("BITOP", "OR", "d", "missing", "missing2") == 0
    assert raw.cmd("EXISTS", "d") == 0
    raw.cmd("SET", "d", "x")
    assert raw.cmd("BITOP", "NOT", "d", "missing") == 0
    assert raw.cmd("EXISTS", "d") == 0


def test_bitop_destination_loses_its_ttl(raw):
    raw.cmd("SET", "a", "abc")
    raw.cmd("SET", "d", "old", "EX", 100)
    assert raw.cmd("BITOP", "OR", "d", "a") == 3
    assert raw.cmd("GET", "d") == b"abc"
    assert raw.cmd("TTL", "d") == -1


def test_bitop_errors(raw):
    raw.cmd("SET", "a", "x")
    assert raw.cmd("BITOP", "NAND", "d", "a") == SYNTAX_ERROR
    assert raw.cmd("BITOP", "NOT", "d", "a", "b") == BITOP_NOT_ERROR
    assert raw.cmd("BITOP", "AND", "d") == wrong_args("bitop")
    assert raw.cmd("BITOP", "NOT", "d") == wrong_args("bitop")
    assert raw.cmd("BITOP") == wrong_args("bitop")
    assert raw.cmd("EXISTS", "d") == 0


# -- BITFIELD -------------------------------------------------------------------------

def test_bitfield_documentation_examples(raw):
    assert raw.cmd("BITFIELD", "k", "INCRBY", "i5", 100, 1, "GET", "u4", 0) == [1, 0]
    raw.cmd("DEL", "k")
    expected = [[1, 1], [2, 2], [3, 3], [0, 3]]
    for want in expected:
        assert raw.cmd("BITFIELD", "k", "incrby", "u2", 100, 1,
                       "OVERFLOW", "SAT", "incrby", "u2", 102, 1) == want
    assert raw.cmd("BITFIELD", "k", "OVERFLOW", "FAIL", "incrby", "u2", 102, 1) == [None]


def test_bitfield_set_get_and_hash_offsets(raw):
    assert raw.cmd("BITFIELD", "k", "SET", "i8", "#0", 100, "SET", "i8", "#1", 200) == [0, 0]
    assert raw.cmd("GET", "k") == b"\x64\xc8"       # 200 wrapped to -56 = 0xc8
    assert raw.cmd("BITFIELD", "k", "GET", "u8", "#1", "GET", "i8", 8, "GET", "u4", 4) == \
        [200, -56, 4]
    assert raw.cmd("BITFIELD", "k", "GET", "u16", 12) == [0x8000]   # zero-padded read
    assert raw.cmd("BITFIELD", "k", "SET", "u4", "#3", 15) == [8]
    assert raw.cmd("GET", "k") == b"\x64\xcf"
    assert raw.cmd("BITFIELD", "k", "GET", "i64", 0, "GET", "u63", 1) == \
        [0x64cf << 48, (0x64cf << 48) & ((1 << 63) - 1)]
    assert raw.cmd("BITFIELD", "missing", "GET", "i64", 1000) == [0]
    assert raw.cmd("EXISTS", "missing") == 0       # GETs alone create nothing
    assert raw.cmd("BITFIELD", "k") == []


def test_bitfield_overflow_modes(raw):
    cmd = ("BITFIELD", "k")
    # WRAP is the default; each OVERFLOW applies to the operations after it.
    assert raw.cmd(*cmd, "SET", "i8", 0, 127, "INCRBY", "i8", 0, 1) == [0, -128]
    assert raw.cmd(*cmd, "OVERFLOW", "SAT", "INCRBY", "i8", 0, -1, "INCRBY", "i8", 0, -100) == \
        [-128, -128]
    assert raw.cmd(*cmd, "OVERFLOW", "SAT", "SET", "i8", 0, 1000, "GET", "i8", 0) == [-128, 127]
    assert raw.cmd(*cmd, "OVERFLOW", "FAIL", "INCRBY", "i8", 0, 1, "GET", "i8", 0,
                   "OVERFLOW", "WRAP", "INCRBY", "i8", 0, 1) == [None, 127, -128]
    # Unsigned: SAT turns a negative SET into the maximum, FAIL refuses it.
    assert raw.cmd(*cmd, "OVERFLOW", "SAT", "SET", "u8", 8, -1, "GET", "u8", 8) == [0, 255]
    assert raw.cmd(*cmd, "OVERFLOW", "FAIL", "SET", "u8", 8, -1, "SET", "u8", 8, 256) == \
        [None, None]
    assert raw.cmd(*cmd, "OVERFLOW", "WRAP", "SET", "u8", 8, -1, "INCRBY", "u8", 8, 2) == [255, 1]
    assert raw.cmd(*cmd, "OVERFLOW", "SAT", "INCRBY", "u8", 8, -5) == [0]
    assert raw.cmd(*cmd, "overflow", "sat", "INCRBY", "u63", 16, 9223372036854775807,
                   "INCRBY", "u63", 16, 1) == [(1 << 63) - 1, (1 << 63) - 1]
    assert raw.cmd("BITFIELD", "w", "SET", "i64", 0, 9223372036854775807,
                   "INCRBY", "i64", 0, 1, "OVERFLOW", "SAT", "INCRBY", "i64", 0, -1) == \
        [0, -(1 << 63), -(1 << 63)]


def test_bitfield_fail_still_creates_and_grows(raw):
    assert raw.cmd("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", 16, 300) == [None]
    assert raw.cmd("GET", "k") == b"\x00\x00\x00"
    raw.cmd("SET", "s", "v", "EX", 100)
    assert raw.cmd("BITFIELD", "s", "OVERFLOW", "FAIL", "INCRBY", "u2", 30, -1) == [None]
    assert raw.cmd("GET", "s") == b"v\x00\x00\x00"
    assert raw.cmd("TTL", "s") == 100              # BITFIELD keeps the TTL


@pytest.mark.parametrize("type_name", ["u64", "i65", "i0", "u0", "I8", "U8", "x8", "i", "8",
                                       "i-1", "i+8", "i08", ""])
def test_bitfield_bad_type(raw, type_name):
    assert raw.cmd("BITFIELD", "k", "GET", type_name, 0) == BITFIELD_TYPE_ERROR
    assert raw.cmd("BITFIELD", "k", "SET", type_name, 0, 1) == BITFIELD_TYPE_ERROR
    assert raw.cmd("EXISTS", "k") == 0


@pytest.mark.parametrize("offset", ["-1", "#-1", "x", "#x", "##1", "4294967296", "1.5"])
def test_bitfield_bad_offset(raw, offset):
    assert raw.cmd("BITFIELD", "k", "GET", "u8", offset) == BIT_OFFSET_ERROR
    assert raw.cmd("BITFIELD", "k", "INCRBY", "u8", offset, 1) == BIT_OFFSET_ERROR
    assert raw.cmd("EXISTS", "k") == 0


def test_bitfield_errors(raw):
    assert raw.cmd("BITFIELD") == wrong_args("bitfield")
    assert raw.cmd("BITFIELD", "k", "GET", "u8") == SYNTAX_ERROR
    assert raw.cmd("BITFIELD", "k", "SET", "u8", 0) == SYNTAX_ERROR
    assert raw.cmd("BITFIELD", "k", "INCRBY", "u8", 0) == SYNTAX_ERROR
    assert raw.cmd("BITFIELD", "k", "OVERFLOW") == SYNTAX_ERROR
    assert raw.cmd("BITFIELD", "k", "DEL", "u8", 0) == SYNTAX_ERROR
    assert raw.cmd("BITFIELD", "k", "OVERFLOW", "CLAMP", "GET", "u8", 0) == OVERFLOW_TYPE_ERROR
    assert raw.cmd("BITFIELD", "k", "SET", "u8", 0, "x") == NOT_INTEGER
    assert raw.cmd("BITFIELD", "k", "INCRBY", "u8", 0, "1.5") == NOT_INTEGER
    # Parsed whole before anything is done: a bad last operation writes nothing.
    assert raw.cmd("BITFIELD", "k", "SET", "u8", 0, 1, "GET", "u99", 0) == BITFIELD_TYPE_ERROR
    assert raw.cmd("EXISTS", "k") == 0


def test_bitfield_ro(raw):
    raw.cmd("SET", "k", b"\x64\xc8")
    assert raw.cmd("BITFIELD_RO", "k", "GET", "u8", 0, "GET", "i8", "#1") == [100, -56]
    assert raw.cmd("BITFIELD_RO", "k") == []
    assert raw.cmd("BITFIELD_RO", "k", "SET", "u8", 0, 1) == BITFIELD_RO_ERROR
    assert raw.cmd("BITFIELD_RO", "k", "GET", "u8", 0, "INCRBY", "u8", 0, 1) == BITFIELD_RO_ERROR
    assert raw.cmd("BITFIELD_RO", "k", "SET", "u8", 0, "x") == NOT_INTEGER  # parsed first
    assert raw.cmd("BITFIELD_RO", "k", "OVERFLOW", "SAT") == []
    assert raw.cmd("BITFIELD_RO") == wrong_args("bitfield_ro")
    assert raw.cmd("GET", "k") == b"\x64\xc8"


@pytest.mark.parametrize("name,arity,flags,first,last,step,group", [
    ("setbit", 4, {"write", "denyoom"}, 1, 1, 1, "bitmap"),
    ("getbit", 3, {"readonly", "fast"}, 1, 1, 1, "bitmap"),
    ("bitcount", -2, {"readonly"}, 1, 1, 1, "bitmap"),
    ("bitpos", -3, {"readonly"}, 1, 1, 1, "bitmap"),
    ("bitop", -4, {"write", "denyoom"}, 2, -1, 1, "bitmap"),
    ("bitfield", -2, {"write", "denyoom"}, 1, 1, 1, "bitmap"),
    ("bitfield_ro", -2, {"readonly", "fast"}, 1, 1, 1, "bitmap"),
    ("lcs", -3, {"readonly"}, 1, 2, 1, "string"),
])
def test_command_info(raw, name, arity, flags, first, last, step, group):
    entry = raw.cmd("COMMAND", "INFO", name)[0]
    assert entry[0] == name.encode()
    assert entry[1] == arity
    assert set(entry[2]) >= flags
    assert entry[3:6] == [first, last, step]
    assert f"@{group}" in set(entry[6])
    docs = raw.cmd("COMMAND", "DOCS", name)
    assert docs[0] == name.encode()
    doc = dict(zip(docs[1][::2], docs[1][1::2]))
    assert doc[b"group"] == group.encode()


def test_concurrent_bit_writes_are_atomic(server, raw):
    """SETBIT and BITFIELD INCRBY from several connections at once lose no update: each is
    one read-modify-write of the whole value."""
    threads_n, rounds = 4, 150
    errors = []

    def worker(index):
        try:
            c = server.raw()
            for i in range(rounds):
                reply = c.cmd("BITFIELD", "k", "INCRBY", "u32", 0, 1)
                assert isinstance(reply, list) and 1 <= reply[0] <= threads_n * rounds, reply
                assert c.cmd("SETBIT", "k", 64 + index * rounds + i, 1) == 0
            c.close()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert raw.cmd("BITFIELD", "k", "GET", "u32", 0) == [threads_n * rounds]
    assert raw.cmd("BITCOUNT", "k", 8, -1) == threads_n * rounds


# -- LCS ------------------------------------------------------------------------------

def test_lcs_documentation_examples(raw):
    raw.cmd("MSET", "key1", "ohmytext", "key2", "mynewtext")
    assert raw.cmd("LCS", "key1", "key2") == b"mytext"
    assert raw.cmd("LCS", "key1", "key2", "LEN") == 6
    assert raw.cmd("LCS", "key1", "key2", "IDX") == \
        [b"matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], b"len", 6]
    assert raw.cmd("LCS", "key1", "key2", "IDX", "MINMATCHLEN", 4) == \
        [b"matches", [[[4, 7], [5, 8]]], b"len", 6]
    assert raw.cmd("LCS", "key1", "key2", "IDX", "MINMATCHLEN", 4, "WITHMATCHLEN") == \
        [b"matches", [[[4, 7], [5, 8], 4]], b"len", 6]
    assert raw.cmd("LCS", "key1", "key2", "idx", "withmatchlen", "minmatchlen", -3) == \
        [b"matches", [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]], b"len", 6]
    assert raw.cmd("LCS", "key1", "key2", "LEN", "WITHMATCHLEN") == 6


def test_lcs_idx_is_a_map_in_resp3(raw):
    raw.cmd("MSET", "key1", "ohmytext", "key2", "mynewtext")
    raw.cmd("HELLO", 3)
    reply = raw.cmd("LCS", "key1", "key2", "IDX")
    assert isinstance(reply, Map)
    assert reply == {b"matches": [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], b"len": 6}


def test_lcs_missing_and_equal_keys(raw):
    raw.cmd("SET", "a", "hello")
    assert raw.cmd("LCS", "a", "missing") == b""
    assert raw.cmd("LCS", "missing", "missing2", "LEN") == 0
    assert raw.cmd("LCS", "a", "missing", "IDX") == [b"matches", [], b"len", 0]
    assert raw.cmd("LCS", "a", "a") == b"hello"
    assert raw.cmd("LCS", "a", "a", "IDX", "WITHMATCHLEN") == \
        [b"matches", [[[0, 4], [0, 4], 5]], b"len", 5]


def test_lcs_errors(raw):
    raw.cmd("MSET", "a", "abc", "b", "abd")
    assert raw.cmd("LCS", "a") == wrong_args("lcs")
    assert raw.cmd("LCS", "a", "b", "IDX", "LEN") == \
        Error("ERR If you want both the length and indexes, please just use IDX.")
    assert raw.cmd("LCS", "a", "b", "MINMATCHLEN") == SYNTAX_ERROR
    assert raw.cmd("LCS", "a", "b", "MINMATCHLEN", "x") == NOT_INTEGER
    assert raw.cmd("LCS", "a", "b", "FOO") == SYNTAX_ERROR


def test_lcs_table_bounded_by_proto_max_bulk_len(raw, small_bulk_limit):
    # (600 + 1)^2 cells of 4 bytes are more than 1 MiB; (500 + 1)^2 are not.
    raw.cmd("MSET", "a", "a" * 600, "b", "ab" * 300, "c", "a" * 500, "d", "ab" * 250)
    assert raw.cmd("LCS", "a", "b", "LEN") == Error(
        "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
    assert raw.cmd("LCS", "c", "d", "LEN") == 250


# -- random sequences against a model -----------------------------------------------

def _bit(buf, pos):
    return (buf[pos >> 3] >> (7 - (pos & 7))) & 1


def _clamp(total, start, end):
    start = start + total if start < 0 else start
    end = end + total if end < 0 else end
    return max(start, 0), min(max(end, 0), total - 1)


class BitModel:
    """The documented semantics of the bit commands over a dict of bytearrays."""

    def __init__(self):
        self.keys = {}

    def setbit(self, key, offset, value):
        buf = self.keys.setdefault(key, bytearray())
        if len(buf) <= offset >> 3:
            buf.extend(bytes((offset >> 3) + 1 - len(buf)))
        old = _bit(buf, offset)
        mask = 0x80 >> (offset & 7)
        buf[offset >> 3] = (buf[offset >> 3] | mask) if value else (buf[offset >> 3] & ~mask)
        return old

    def getbit(self, key, offset):
        buf = self.keys.get(key, b"")
        return _bit(buf, offset) if offset >> 3 < len(buf) else 0

    def bitcount(self, key, args):
        if key not in self.keys:
            return 0
        buf = self.keys[key]
        if not args:
            return sum(bin(b).count("1") for b in buf)
        start, end = args[0], args[1]
        if start < 0 and end < 0 and start > end:
            return 0
        in_bits = len(args) == 3 and args[2] == "BIT"
        first, last = _clamp(len(buf) * (8 if in_bits else 1), start, end)
        if first > last:
            return 0
        if not in_bits:
            first, last = first * 8, last * 8 + 7
        return sum(_bit(buf, p) for p in range(first, last + 1))

    def bitpos(self, key, bit, args):
        if key not in self.keys:
            return -1 if bit else 0
        buf = self.keys[key]
        end_given = len(args) >= 2
        in_bits = len(args) == 3 and args[2] == "BIT"
        total = len(buf) * (8 if in_bits else 1)
        if args:
            first, last = _clamp(total, args[0], args[1] if end_given else total - 1)
        else:
            first, last = 0, len(buf) - 1
        if first > last:
            return -1
        if not in_bits:
            first, last = first * 8, last * 8 + 7
        for p in range(first, last + 1):
            if _bit(buf, p) == bit:
                return p
        return len(buf) * 8 if bit == 0 and not end_given else -1

    def bitop(self, op, dest, sources):
        bufs = [self.keys.get(k, b"") for k in sources]
        size = max(len(b) for b in bufs)
        padded = [bytes(b) + bytes(size - len(b)) for b in bufs]
        out = bytearray(padded[0])
        for other in padded[1:]:
            for i in range(size):
                out[i] = {"AND": out[i] & other[i], "OR": out[i] | other[i],
                          "XOR": out[i] ^ other[i]}[op]
        if op == "NOT":
            out = bytearray(~b & 0xff for b in out)
        if size == 0:
            self.keys.pop(dest, None)
        else:
            self.keys[dest] = out
        return size

    @staticmethod
    def _get_field(buf, offset, signed, bits):
        v = 0
        for p in range(offset, offset + bits):
            v = (v << 1) | (_bit(buf, p) if p >> 3 < len(buf) else 0)
        return v - (1 << bits) if signed and v >> (bits - 1) else v

    @staticmethod
    def _set_field(buf, offset, bits, value):
        value &= (1 << bits) - 1
        for i in range(bits):
            p = offset + i
            mask = 0x80 >> (p & 7)
            if (value >> (bits - 1 - i)) & 1:
                buf[p >> 3] |= mask
            else:
                buf[p >> 3] &= ~mask

    @staticmethod
    def _stored(signed, bits, overflow, old, operand, incr):
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        v = old + operand if incr else (operand if signed or operand >= 0 else operand + (1 << 64))
        if lo <= v <= hi:
            return v
        if overflow == "FAIL":
            return None
        if overflow == "SAT":
            return hi if v > hi else lo
        w = v % (1 << bits)
        return w - (1 << bits) if signed and w > hi else w

    def bitfield(self, key, ops):
        """ops: (kind, signed, bits, offset, operand, overflow) tuples."""
        writes = [op for op in ops if op[0] != "GET"]
        if writes:
            buf = self.keys.setdefault(key, bytearray())
            needed = max(op[3] + op[2] - 1 for op in writes) // 8 + 1
            buf.extend(bytes(max(0, needed - len(buf))))
        else:
            buf = self.keys.get(key, b"")
        replies = []
        for kind, signed, bits, offset, operand, overflow in ops:
            old = self._get_field(buf, offset, signed, bits)
            if kind == "GET":
                replies.append(old)
                continue
            new = self._stored(signed, bits, overflow, old, operand, kind == "INCRBY")
            if new is None:
                replies.append(None)
                continue
            self._set_field(buf, offset, bits, new)
            replies.append(new if kind == "INCRBY" else old)
        return replies


def _random_bitfield(rng):
    args, ops = [], []
    overflow = "WRAP"
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.3:
            overflow = rng.choice(["WRAP", "SAT", "FAIL"])
            args += ["OVERFLOW", overflow]
        kind = rng.choice(["GET", "SET", "INCRBY"])
        signed = rng.random() < 0.5
        bits = rng.randint(1, 64 if signed else 63)
        type_name = ("i" if signed else "u") + str(bits)
        if rng.random() < 0.2:
            index = rng.randint(0, 3)
            offset_arg, offset = f"#{index}", index * bits
        else:
            offset = rng.randint(0, 200)
            offset_arg = str(offset)
        limit = 1 << (bits if not signed else bits - 1)
        operand = rng.choice([rng.randint(-limit, limit), rng.randint(-3, 3),
                              rng.randint(-(1 << 63), (1 << 63) - 1)])
        args += [kind, type_name, offset_arg] + ([] if kind == "GET" else [str(operand)])
        ops.append((kind, signed, bits, offset, operand, overflow))
    return args, ops


def _random_range(rng, with_end):
    start = rng.randint(-40, 40)
    args = [start]
    if with_end:
        args.append(rng.randint(-40, 40))
        if rng.random() < 0.6:
            args.append(rng.choice(["BIT", "BYTE"]))
    return args


def test_random_bit_commands_match_the_model(raw):
    rng = random.Random(20261206)
    model = BitModel()
    keys = ["a", "b", "c"]
    deadline = time.monotonic() + 4
    count = 0
    while count < 3000 and time.monotonic() < deadline:
        count += 1
        key = rng.choice(keys)
        choice = rng.random()
        if choice < 0.25:
            offset, value = rng.randint(0, 300), rng.randint(0, 1)
            args, want = ("SETBIT", key, offset, value), model.setbit(key, offset, value)
        elif choice < 0.45:
            field_args, ops = _random_bitfield(rng)
            args, want = ("BITFIELD", key, *field_args), model.bitfield(key, ops)
        elif choice < 0.55:
            op = rng.choice(["AND", "OR", "XOR", "NOT"])
            sources = [rng.choice(keys + ["missing"])
                       for _ in range(1 if op == "NOT" else rng.randint(1, 3))]
            args, want = ("BITOP", op, key, *sources), model.bitop(op, key, sources)
        elif choice < 0.7:
            extra = _random_range(rng, True) if rng.random() < 0.8 else []
            args, want = ("BITCOUNT", key, *extra), model.bitcount(key, extra)
        elif choice < 0.9:
            bit = rng.randint(0, 1)
            n = rng.randint(0, 2)
            extra = [] if n == 0 else _random_range(rng, n == 2)
            args, want = ("BITPOS", key, bit, *extra), model.bitpos(key, bit, extra)
        else:
            offset = rng.randint(0, 320)
            args, want = ("GETBIT", key, offset), model.getbit(key, offset)
        got = raw.cmd(*[str(a) for a in args])
        assert got == want, f"command {count}: {args}"
        if count % 50 == 0:
            for k in keys:
                stored = raw.cmd("GET", k)
                expected = bytes(model.keys[k]) if k in model.keys else None
                assert stored == expected, f"after command {count}: key {k}"
    assert count >= 500
