"""DUMP and RESTORE: Redis 7.0's payload format (RDB string, version, CRC-64), its
options (REPLACE, ABSTTL, IDLETIME, FREQ) and errors, and values moved between a real
redis-server and crescentd byte for byte in both directions."""

import os
import random
import struct

import pytest

from conftest import ServerProcess
from respclient import NOT_INTEGER, SYNTAX_ERROR, Error, Status, wrong_args

PAYLOAD_WRONG = Error("ERR DUMP payload version or checksum are wrong")
BAD_FORMAT = Error("ERR Bad data format")
BUSYKEY = Error("BUSYKEY Target key name already exists.")
INVALID_TTL = Error("ERR Invalid TTL value, must be >= 0")

# CRC-64/Jones, reflected, as Redis's crc64.c (to build payloads by hand).
_POLY = 0x95AC9329AC4BC9B5
_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ _POLY if _c & 1 else _c >> 1
    _TABLE.append(_c)


def crc64(data):
    crc = 0
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


def payload(body, version=10):
    """A payload with a correct footer around `body` (type byte and object)."""
    data = body + struct.pack("<H", version)
    return data + struct.pack("<Q", crc64(data))


# Values and the payloads redis-server 7.0 DUMPs for them (captured with redis-py).
REDIS_PAYLOADS = [
    (b"", "00000a005d9b5c400f7fa2da"),
    (b"12", "00c00c0a003c2af8515c04bcd5"),
    (b"-70000", "00c290eefeff0a002875de7b13eb2800"),
    (b"9223372036854775807", "0013393232333337323033363835343737353830370a003a657e9481e85f22"),
    (b"0123", "0004303132330a000ae40c929e3b6422"),
    (b"hello", "000568656c6c6f0a006372df766534200a"),
    (bytes([0, 1, 2, 255, 254, 0x80, 0xC3, 10, 13]), "0009000102fffe80c30a0d0a006c38924a45883074"),
    (b"a" * 100, "00c3094064016161e057000161610a00e8a3b507b06df271"),
]


def compressible(n, seed=7):
    rnd = random.Random(seed)
    words = [bytes(rnd.choice(b"abcdefghij") for _ in range(rnd.randint(3, 9))) for _ in range(50)]
    return b" ".join(rnd.choice(words) for _ in range(n // 3))[:n]


def test_crc64_check_value():
    assert crc64(b"123456789") == 0xE9C6D914C4B8D9CA


def test_dump_missing_key_is_nil(r):
    assert r.dump("missing") is None


def test_dump_writes_redis_payloads(r):
    for value, hex_payload in REDIS_PAYLOADS:
        r.set("k", value)
        assert r.dump("k") == bytes.fromhex(hex_payload), value


def test_restore_reads_redis_payloads(r):
    for i, (value, hex_payload) in enumerate(REDIS_PAYLOADS):
        assert r.restore(f"k{i}", 0, bytes.fromhex(hex_payload)) == b"OK"
        assert r.get(f"k{i}") == value
        assert r.ttl(f"k{i}") == -1


def test_restore_every_encoding_form(r):
    forms = {
        b"\x00\xc0\xff": b"-1",                              # INT8
        b"\x00\xc1\x00\x80": b"-32768",                      # INT16
        b"\x00\xc2\x00\x00\x00\x80": b"-2147483648",         # INT32
        b"\x00\x40\x03abc": b"abc",                          # 14-bit length
        b"\x00\x80\x00\x00\x00\x03abc": b"abc",              # 32-bit length
        b"\x00\x81" + b"\x00" * 7 + b"\x03abc": b"abc",      # 64-bit length
        b"\x00\xc3\x06\x15\x01xx\xe0\x0a\x00": b"x" * 21,    # LZF
    }
    for i, (body, value) in enumerate(forms.items()):
        assert r.restore(f"k{i}", 0, payload(body)) == b"OK", body
        assert r.get(f"k{i}") == value
    # RDB versions before 10 are read too.
    assert r.restore("old", 0, payload(b"\x00\x03abc", version=6)) == b"OK"
    assert r.get("old") == b"abc"


def test_dump_restore_round_trip(r):
    rnd = random.Random(1)
    values = [
        b"", b"0", b"-1", b"127", b"128", b"-32769", b"2147483648", b"-9223372036854775808",
        b"007", b"1.5", b" 1", b"x" * 20, b"x" * 21, b"x" * 44, b"x" * 45,
        bytes(range(256)), compressible(10 * 1024), os.urandom(1 << 20),
        bytes(rnd.randrange(256) for _ in range(5000)),
    ]
    for i, value in enumerate(values):
        r.set(f"src{i}", value)
        dumped = r.dump(f"src{i}")
        assert r.restore(f"dst{i}", 0, dumped) == b"OK"
        assert r.get(f"dst{i}") == value, i
        assert r.dump(f"dst{i}") == dumped
    # The compressible value travels compressed.
    assert len(r.dump(f"src{values.index(compressible(10 * 1024))}")) < 5 * 1024


def test_restore_busykey_and_replace(raw):
    raw.cmd("SET", "k", "old")
    good = payload(b"\x00\x03new")
    assert raw.cmd("RESTORE", "k", "0", good) == BUSYKEY
    # The existing key is checked before the TTL and the payload.
    assert raw.cmd("RESTORE", "k", "x", b"garbage") == BUSYKEY
    assert raw.cmd("GET", "k") == b"old"
    assert raw.cmd("RESTORE", "k", "0", good, "REPLACE") == Status("OK")
    assert raw.cmd("GET", "k") == b"new"
    # REPLACE drops the old key's TTL when the new one has none.
    raw.cmd("SET", "t", "v", "EX", "100")
    assert raw.cmd("RESTORE", "t", "0", good, "replace") == Status("OK")
    assert raw.cmd("TTL", "t") == -1


def test_restore_ttl(raw):
    good = payload(b"\x00\x03abc")
    assert raw.cmd("RESTORE", "rel", "5000", good) == Status("OK")
    assert 4000 < raw.cmd("PTTL", "rel") <= 5000
    far = 99999999999999
    assert raw.cmd("RESTORE", "abs", str(far), good, "ABSTTL") == Status("OK")
    assert raw.cmd("PEXPIRETIME", "abs") == far
    # A deadline already past creates nothing and answers OK...
    assert raw.cmd("RESTORE", "past", "1", good, "ABSTTL") == Status("OK")
    assert raw.cmd("EXISTS", "past") == 0
    # ...and with REPLACE still removes the key it names.
    raw.cmd("SET", "gone", "v")
    assert raw.cmd("RESTORE", "gone", "1", good, "ABSTTL", "REPLACE") == Status("OK")
    assert raw.cmd("EXISTS", "gone") == 0


def test_ttl_kept_across_dump_and_restore(r):
    r.set("k", "v", px=100_000)
    ttl = r.pttl("k")
    assert r.restore("copy", ttl, r.dump("k")) == b"OK"
    assert ttl - 1000 < r.pttl("copy") <= ttl
    deadline = r.pexpiretime("k")
    assert r.restore("copy2", deadline, r.dump("k"), absttl=True) == b"OK"
    assert r.pexpiretime("copy2") == deadline


def test_restore_argument_errors(raw):
    good = payload(b"\x00\x03abc")
    assert raw.cmd("RESTORE", "k", "-1", good) == INVALID_TTL
    assert raw.cmd("RESTORE", "k", "soon", good) == NOT_INTEGER
    assert raw.cmd("RESTORE", "k", "0", good, "NOPE") == SYNTAX_ERROR
    assert raw.cmd("RESTORE", "k", "0", good, "IDLETIME", "-1") == Error("ERR Invalid IDLETIME value, must be >= 0")
    assert raw.cmd("RESTORE", "k", "0", good, "IDLETIME", "x") == NOT_INTEGER
    assert raw.cmd("RESTORE", "k", "0", good, "FREQ", "256") == Error("ERR Invalid FREQ value, must be >= 0 and <= 255")
    assert raw.cmd("RESTORE", "k", "0", good, "FREQ", "-1") == Error("ERR Invalid FREQ value, must be >= 0 and <= 255")
    # IDLETIME and FREQ exclude each other; an option without its value is a syntax error.
    assert raw.cmd("RESTORE", "k", "0", good, "FREQ", "5", "IDLETIME", "3") == SYNTAX_ERROR
    assert raw.cmd("RESTORE", "k", "0", good, "IDLETIME") == SYNTAX_ERROR
    assert raw.cmd("RESTORE", "k", "0") == wrong_args("restore")
    assert raw.cmd("DUMP") == wrong_args("dump")
    assert raw.cmd("DUMP", "a", "b") == wrong_args("dump")
    assert raw.cmd("EXISTS", "k") == 0


def test_corrupted_payload_refused(raw):
    raw.cmd("SET", "k", "a value long enough to be compressed, compressed, compressed")
    good = raw.cmd("DUMP", "k")
    for i in range(len(good)):
        bad = bytearray(good)
        bad[i] ^= 0x01
        assert raw.cmd("RESTORE", f"c{i}", "0", bytes(bad)) == PAYLOAD_WRONG, i
    for cut in (0, 1, 9, len(good) - 1):
        assert raw.cmd("RESTORE", "c", "0", good[:cut]) == PAYLOAD_WRONG
    assert raw.cmd("RESTORE", "c", "0", good + b"x") == PAYLOAD_WRONG
    assert raw.cmd("DBSIZE") == 1


def test_restore_refuses_newer_versions_and_other_types(raw):
    # Redis 7.2 writes RDB version 11, which 7.0 refuses with the checksum error.
    assert raw.cmd("RESTORE", "k", "0", payload(b"\x00\x03abc", version=11)) == PAYLOAD_WRONG
    # No such type, no such length form, no such string encoding, LZF that expands to
    # fewer bytes than it claims, a length longer than the payload.
    assert raw.cmd("RESTORE", "k", "0", payload(b"\xc8\x00")) == BAD_FORMAT
    assert raw.cmd("RESTORE", "k", "0", payload(b"\x00\x82abc")) == BAD_FORMAT
    assert raw.cmd("RESTORE", "k", "0", payload(b"\x00\xc4abc")) == BAD_FORMAT
    assert raw.cmd("RESTORE", "k", "0", payload(b"\x00\xc3\x02\x05\x00a")) == BAD_FORMAT  # LZF short
    assert raw.cmd("RESTORE", "k", "0", payload(b"\x00\x81\x00\x00\x10\x00\x00\x00\x00\x03abc")) == BAD_FORMAT
    assert raw.cmd("EXISTS", "k") == 0


@pytest.mark.crescent_only
def test_restore_refuses_non_string_types(raw):
    # Crescent stores only strings; Redis takes these.
    quicklist = bytes.fromhex("1201020a0a0000000100816102ff0a0009b9edf594ded995")  # LPUSH lst a
    assert raw.cmd("RESTORE", "k", "0", quicklist) == BAD_FORMAT
    assert raw.cmd("RESTORE", "k", "0", payload(b"\x01\x01\x01a")) == BAD_FORMAT  # a plain list
    # Stricter than Redis: the value must end where the footer begins.
    assert raw.cmd("RESTORE", "k", "0", payload(b"\x00\x03abcZZ")) == BAD_FORMAT
    assert raw.cmd("RESTORE", "k", "0", payload(b"\x00\x05abc")) == BAD_FORMAT
    assert raw.cmd("EXISTS", "k") == 0


def test_restore_idletime(r):
    assert r.restore("k", 0, payload(b"\x00\x03abc"), idletime=1000) == b"OK"
    assert 1000 <= r.object("idletime", "k") <= 1002
    assert r.get("k") == b"abc"  # a read resets it
    assert r.object("idletime", "k") <= 1


def lfu_args(target):
    return ["--maxmemory-policy", "allkeys-lfu"] if target == "redis" else ["--eviction-policy", "lfu"]


def test_restore_freq_under_lfu(fresh_server, target):
    s = fresh_server(lfu_args(target))
    c = s.client()
    assert c.restore("k", 0, payload(b"\x00\x03abc"), frequency=100) == b"OK"
    assert c.object("freq", "k") == 100
    # IDLETIME is accepted and ignored under LFU, as Redis does.
    assert c.restore("k2", 0, payload(b"\x00\x03abc"), idletime=1000) == b"OK"
    assert c.object("freq", "k2") == 5
    c.close()


@pytest.mark.crescent_only
def test_restore_value_longer_than_proto_max_bulk_len(fresh_server):
    # A value one byte over 1 MiB, DUMPed where that is allowed: small when compressed.
    donor = fresh_server()
    d = donor.client()
    d.set("big", b"z" * ((1 << 20) + 1))
    compressed = d.dump("big")
    d.close()
    assert len(compressed) < 64 * 1024
    s = fresh_server(["--proto-max-bulk-len", "1mb"])
    c = s.raw()
    assert c.cmd("RESTORE", "big", "0", compressed) == Error(
        "ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    assert c.cmd("EXISTS", "big") == 0
    c.close()


@pytest.mark.crescent_only
def test_values_move_between_redis_and_crescent(server):
    """redis-server -> crescentd -> redis-server, byte for byte, both ways."""
    redis_server = ServerProcess("redis")
    redis_server.start()
    try:
        rs = redis_server.client()
        cs = server.client()
        cs.flushall()
        values = {
            "compressible_10k": compressible(10 * 1024),
            "int_small": b"42",
            "int_negative": b"-70000",
            "int_large": b"9223372036854775807",
            "binary": bytes(range(256)) * 3,
            "random_1mib": os.urandom(1 << 20),
            "empty": b"",
            "text": b"hello world, hello world, hello world!",
        }
        for key, value in values.items():
            rs.set(key, value)
            from_redis = rs.dump(key)
            assert cs.restore(key, 0, from_redis) == b"OK", key
            assert cs.get(key) == value, key
            from_crescent = cs.dump(key)
            # Crescent writes the very payload Redis writes (same encodings, same LZF).
            assert from_crescent == from_redis, key
            assert rs.restore(key + ":back", 0, from_crescent) == b"OK", key
            assert rs.get(key + ":back") == value, key
        # With a TTL, both ways.
        rs.set("ttl", "v", px=50_000)
        assert cs.restore("ttl", rs.pttl("ttl"), rs.dump("ttl")) == b"OK"
        assert 40_000 < cs.pttl("ttl") <= 50_000
        rs.close()
        cs.close()
    finally:
        redis_server.check_stopped_cleanly()


@pytest.mark.parametrize("name,arity,flags,first,last,step", [
    ("dump", 2, {"readonly"}, 1, 1, 1),
    ("restore", -4, {"write", "denyoom"}, 1, 1, 1),
])
def test_command_info(raw, name, arity, flags, first, last, step):
    (entry,) = raw.cmd("COMMAND", "INFO", name)
    assert entry[0] == name.encode()
    assert entry[1] == arity
    assert set(entry[2]) >= flags
    assert entry[3:6] == [first, last, step]


@pytest.mark.crescent_only
def test_dump_and_restore_keys_obey_max_key_size(fresh_server):
    s = fresh_server(["--max-key-size", "16"])
    c = s.raw()
    too_long = "k" * 17
    error = Error("ERR key is longer than max-key-size")
    assert c.cmd("DUMP", too_long) == error
    assert c.cmd("RESTORE", too_long, "0", payload(b"\x00\x03abc")) == error
    assert c.cmd("OBJECT", "ENCODING", too_long) == error
    assert c.cmd("RESTORE", "k" * 16, "0", payload(b"\x00\x03abc")) == Status("OK")
    c.close()
