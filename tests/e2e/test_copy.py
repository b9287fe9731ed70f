"""COPY source destination [DB destination-db] [REPLACE], with Redis 7's replies and errors.
Crescent has only DB 0: another index is Redis's "DB index is out of range"."""

import pytest

from respclient import NOT_INTEGER, SYNTAX_ERROR, Error, wrong_args

SAME_OBJECT = Error("ERR source and destination objects are the same")
DB_OUT_OF_RANGE = Error("ERR DB index is out of range")


def test_copy_value(raw):
    raw.cmd("SET", "src", b"\x00binary\xff")
    assert raw.cmd("COPY", "src", "dst") == 1
    assert raw.cmd("GET", "dst") == b"\x00binary\xff"
    assert raw.cmd("GET", "src") == b"\x00binary\xff"
    assert raw.cmd("TTL", "dst") == -1
    raw.cmd("APPEND", "src", "more")                  # the copy is independent
    assert raw.cmd("GET", "dst") == b"\x00binary\xff"


def test_copy_large_value(raw):
    value = bytes(range(256)) * 4096                   # 1 MiB
    raw.cmd("SET", "src", value)
    assert raw.cmd("COPY", "src", "dst") == 1
    assert raw.cmd("GET", "dst") == value


def test_copy_missing_source(raw):
    assert raw.cmd("COPY", "missing", "dst") == 0
    assert raw.cmd("EXISTS", "dst") == 0


def test_copy_existing_destination_needs_replace(raw):
    raw.cmd("SET", "src", "new")
    raw.cmd("SET", "dst", "old", "EX", 500)
    assert raw.cmd("COPY", "src", "dst") == 0
    assert raw.cmd("GET", "dst") == b"old"
    assert raw.cmd("COPY", "src", "dst", "REPLACE") == 1
    assert raw.cmd("GET", "dst") == b"new"
    assert raw.cmd("TTL", "dst") == -1                 # the source's (none), not the old one
    assert raw.cmd("COPY", "src", "dst", "replace", "REPLACE") == 1


def test_copy_keeps_the_ttl(raw):
    raw.cmd("SET", "src", "v", "PX", 100000)
    assert raw.cmd("COPY", "src", "dst") == 1
    assert 99000 <= raw.cmd("PTTL", "dst") <= 100000
    assert raw.cmd("PEXPIRETIME", "dst") == raw.cmd("PEXPIRETIME", "src")


def test_copy_db_zero(raw):
    raw.cmd("SET", "src", "v")
    assert raw.cmd("COPY", "src", "dst", "DB", 0) == 1
    assert raw.cmd("GET", "dst") == b"v"
    assert raw.cmd("COPY", "src", "dst", "REPLACE", "db", "0") == 1


def test_copy_errors(raw):
    raw.cmd("SET", "src", "v")
    assert raw.cmd("COPY", "src") == wrong_args("copy")
    assert raw.cmd("COPY", "src", "src") == SAME_OBJECT
    assert raw.cmd("COPY", "missing", "missing") == SAME_OBJECT
    assert raw.cmd("COPY", "src", "dst", "DB") == SYNTAX_ERROR
    assert raw.cmd("COPY", "src", "dst", "BOGUS") == SYNTAX_ERROR
    assert raw.cmd("COPY", "src", "dst", "DB", "abc") == NOT_INTEGER
    assert raw.cmd("COPY", "src", "dst", "DB", "99999999999") == \
        Error("ERR value is out of range, value must between -2147483648 and 2147483647")
    assert raw.cmd("COPY", "src", "dst", "DB", 16) == DB_OUT_OF_RANGE
    assert raw.cmd("COPY", "src", "dst", "DB", -1) == DB_OUT_OF_RANGE
    assert raw.cmd("COPY", "src", "dst", "DB", 16, "BOGUS") == DB_OUT_OF_RANGE  # in order
    assert raw.cmd("COPY", "src", "dst", "BOGUS", "DB", 16) == SYNTAX_ERROR
    assert raw.cmd("EXISTS", "dst") == 0


@pytest.mark.crescent_only
def test_copy_to_another_db_is_out_of_range(raw):
    raw.cmd("SET", "src", "v")
    assert raw.cmd("COPY", "src", "dst", "DB", 1) == DB_OUT_OF_RANGE
    assert raw.cmd("EXISTS", "dst") == 0


def test_copy_command_info(raw):
    entry = raw.cmd("COMMAND", "INFO", "copy")[0]
    assert entry[0] == b"copy"
    assert entry[1] == -3
    assert set(entry[2]) >= {"write", "denyoom"}
    assert entry[3:6] == [1, 2, 1]
