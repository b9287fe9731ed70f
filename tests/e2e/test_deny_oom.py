"""Deny-oom: when the pool is full of objects that cannot be evicted (hard-pinned), a
write that needs room fails with Redis's OOM text (object commands: Mooncake's
NO_AVAILABLE_HANDLE), changes nothing, and is counted in INFO errorstats; reads and
deletes go on working, and a delete makes room again. Crescent-only: redis-server has no
PUT ... HARDPIN to make its memory unevictable.
"""

import pytest

from respclient import Error, Status, parse_info

OOM = Error("OOM command not allowed when used memory > 'maxmemory'.")
NO_ROOM = Error("NO_AVAILABLE_HANDLE no segment can hold the value")
MIB = 1 << 20


def errorstats(c):
    return parse_info(c.cmd("INFO", "errorstats"))["errorstats"]


def error_count(c, code):
    entry = errorstats(c).get(f"errorstat_{code}")
    return 0 if entry is None else int(entry.split("=")[1])


def fill_with_hard_pinned(c, count=16):
    """PUTs 1 MiB hard-pinned objects until the pool refuses one; returns their keys."""
    big = b"h" * MIB
    keys = []
    for i in range(count):
        reply = c.cmd("PUT", f"pinned{i}", big, "HARDPIN")
        if reply != Status("OK"):
            assert reply == NO_ROOM
            return keys
        keys.append(f"pinned{i}")
    pytest.fail(f"{count} MiB of hard-pinned objects fit in the pool")


@pytest.mark.crescent_only
def test_writes_get_oom_when_nothing_can_be_evicted(fresh_server):
    s = fresh_server(["--maxmemory", "8MB"])
    with s.raw() as c:
        assert c.cmd("SET", "plain", "before") == Status("OK")
        assert c.cmd("SET", "grow", "x" * 1000) == Status("OK")
        pinned = fill_with_hard_pinned(c)
        assert len(pinned) >= 4
        # An unpinned key could have been evicted to make room: the filling may have
        # taken it. What is left now is hard-pinned and cannot go.
        c.cmd("DEL", "plain", "grow")
        c.cmd("CONFIG", "RESETSTAT")
        big = b"b" * MIB
        assert c.cmd("SET", "more", big) == OOM
        assert c.cmd("SETEX", "more", "100", big) == OOM
        assert c.cmd("GETSET", "more", big) == OOM
        assert c.cmd("MSET", "more", big, "more2", big) == OOM
        assert c.cmd("APPEND", pinned[0], big) == OOM
        assert error_count(c, "OOM") == 5
        assert c.cmd("EXISTS", "more", "more2") == 0  # nothing was written
        assert c.cmd("STRLEN", pinned[0]) == MIB     # APPEND changed nothing

        # Object commands say it with Mooncake's name, also counted.
        assert c.cmd("PUT", "obj", big) == NO_ROOM
        assert c.cmd("UPSERT", pinned[1], b"u" * (2 * MIB)) == NO_ROOM
        assert c.cmd("BATCHPUT", "1", "obj2", big) == [NO_ROOM]
        assert error_count(c, "NO_AVAILABLE_HANDLE") == 3
        assert c.cmd("GETSIZE", pinned[1]) == MIB
        assert c.cmd("EXIST", "obj") == 0

        # Reads and deletes still work, and a delete makes room again.
        assert c.cmd("GET", pinned[0]) == b"h" * MIB
        assert c.cmd("GETSIZE", pinned[-1]) == MIB
        assert c.cmd("DEL", pinned[0]) == 1
        assert c.cmd("REMOVE", pinned[1]) == 1
        assert c.cmd("SET", "more", big) == Status("OK")
        assert c.cmd("STRLEN", "more") == MIB
        assert error_count(c, "OOM") == 5
