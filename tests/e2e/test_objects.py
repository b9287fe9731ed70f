"""Mooncake Store's object commands over RESP: puts, replicas on segments, leases, pins,
eviction. Crescent's own commands, so the whole module is crescent_only."""

import os
import random
import time

import pytest

from respclient import NULL, Error, RawClient, Status, wait_until

pytestmark = pytest.mark.crescent_only


def info_section(r, section):
    return r.info(section)


def as_dict(reply):
    """A QUERY reply (RESP2 flat array or RESP3 map) as a dict with str keys."""
    if isinstance(reply, dict):
        items = list(reply.items())
    else:
        items = list(zip(reply[::2], reply[1::2]))
    return {(k.decode() if isinstance(k, bytes) else k): v for k, v in items}


def test_put_never_overwrites_and_upsert_replaces(raw):
    assert raw.cmd("PUT", "obj", "v1") == Status("OK")
    assert raw.cmd("PUT", "obj", "v2") == Error("OBJECT_ALREADY_EXISTS the object already exists")
    assert raw.cmd("GET", "obj") == b"v1"
    assert raw.cmd("UPSERT", "obj", "v3") == Status("OK")
    assert raw.cmd("GET", "obj") == b"v3"
    assert raw.cmd("GETSIZE", "obj") == 2
    assert raw.cmd("GETSIZE", "missing") is None
    # SET is an upsert with the default replicate config.
    assert raw.cmd("SET", "obj", "v4") == Status("OK")
    assert raw.cmd("PUT", "obj", "v5") == Error("OBJECT_ALREADY_EXISTS the object already exists")


def test_put_options_are_checked(raw):
    assert raw.cmd("PUT", "k", "v", "REPLICAS", "0") == Error("INVALID_PARAMS REPLICAS must be between 1 and 16")
    assert raw.cmd("PUT", "k", "v", "REPLICAS", "x") == Error("INVALID_PARAMS REPLICAS must be between 1 and 16")
    assert raw.cmd("PUT", "k", "v", "TTL", "-5") == Error("INVALID_PARAMS TTL must be a positive number of milliseconds")
    assert raw.cmd("PUT", "k", "v", "BOGUS") == Error("ERR syntax error")
    assert raw.cmd("PUT", "k") == Error("ERR wrong number of arguments for 'put' command")
    assert raw.cmd("EXISTS", "k") == 0  # nothing was written by the failed puts


def test_query_reports_metadata_in_resp2_and_resp3(server, r):
    r.execute_command("PUT", "q", "hello", "SOFTPIN", "60000", "HARDPIN", "TTL", "50000")
    with server.raw() as c:
        info = as_dict(c.cmd("QUERY", "q"))
        assert info["size"] == 5
        assert info["hard_pin"] == 1
        assert 59000 < info["soft_pin"] <= 60000
        assert 49000 < info["ttl"] <= 50000
        assert 9000 < info["lease"] <= 10000  # QUERY itself leases the object
        assert len(info["checksum"]) == 16
        (replica,) = info["replicas"]
        assert as_dict(replica) == {"segment": b"local", "kind": b"memory", "state": b"COMPLETE"}
        assert c.cmd("QUERY", "missing") is None
        c.cmd("HELLO", "3")
        info3 = c.cmd("QUERY", "q")
        assert isinstance(info3, dict) and info3[b"size"] == 5
        assert c.cmd("QUERY", "missing") is NULL and c.last_raw == b"_\r\n"


def test_replicas_on_distinct_segments_and_unmount(fresh_server):
    s = fresh_server()
    r = s.client()
    assert r.execute_command("SEGMENT", "MOUNT", "s2", "16MB") == b"OK"
    assert r.execute_command("SEGMENT", "MOUNT", "s3", "16MB") == b"OK"
    assert "SEGMENT_ALREADY_EXISTS" in str(_error(r, "SEGMENT", "MOUNT", "s2", "16MB"))
    assert "INVALID_PARAMS" in str(_error(r, "SEGMENT", "MOUNT", "s4", "tiny"))
    r.execute_command("PUT", "three", "x" * 1000, "REPLICAS", "3")
    with s.raw() as c:
        segs = sorted(as_dict(x)["segment"] for x in as_dict(c.cmd("QUERY", "three"))["replicas"])
        assert segs == [b"local", b"s2", b"s3"]
        r.execute_command("PUT", "only-s3", "y", "PREFER", "s3")
        (rep,) = as_dict(c.cmd("QUERY", "only-s3"))["replicas"]
        assert as_dict(rep)["segment"] == b"s3"
        listed = [as_dict(x)["name"] for x in c.cmd("SEGMENT", "LIST")]
        assert listed == [b"local", b"s2", b"s3"]
        assert as_dict(c.cmd("SEGMENT", "QUERY", "s3"))["objects"] == 2
        # Unmounting drops that segment's replicas and the objects left with none.
        assert c.cmd("SEGMENT", "UNMOUNT", "s3") == 1
        assert c.cmd("EXISTS", "only-s3") == 0
        assert len(as_dict(c.cmd("QUERY", "three"))["replicas"]) == 2
        assert c.cmd("GET", "three") == b"x" * 1000
        assert c.cmd("SEGMENT", "UNMOUNT", "s3") == Error("SEGMENT_NOT_FOUND no segment named 's3'")
        assert "segment_count:2" in c.cmd("INFO", "segments").decode()
        # The node's own segment holds the small objects (node, key and value together).
        err = c.cmd("SEGMENT", "UNMOUNT", "local")
        assert isinstance(err, Error) and err.code == "INVALID_PARAMS" and "cannot be unmounted" in err.message
        assert c.cmd("GET", "three") == b"x" * 1000
        assert "segment_count:2" in c.cmd("INFO", "segments").decode()


def _error(r, *args):
    try:
        return r.execute_command(*args)
    except Exception as e:  # redis-py raises ResponseError
        return e


def test_leases_block_remove_until_they_expire(fresh_server):
    s = fresh_server(["--lease-ttl", "300ms"])
    with s.raw() as c:
        assert c.cmd("PUT", "k", "v") == Status("OK")
        assert c.cmd("REMOVE", "missing") == 0
        assert c.cmd("EXIST", "k") == 1  # leases k
        assert c.cmd("REMOVE", "k") == Error("OBJECT_HAS_LEASE the object is leased; use FORCE to remove it")
        assert wait_until(lambda: c.cmd("REMOVE", "k") == 1, timeout=5)
        c.cmd("PUT", "k2", "v")
        assert c.cmd("GET", "k2") == b"v"  # GET leases too
        assert c.cmd("REMOVE", "k2", "FORCE") == 1
        assert c.cmd("REMOVE", "k2", "NOW") == Error("ERR syntax error")
        # DEL is Redis's: it removes whatever leases say.
        c.cmd("PUT", "k3", "v")
        c.cmd("EXIST", "k3")
        assert c.cmd("DEL", "k3") == 1
        assert c.cmd("CONFIG", "SET", "lease-ttl", "10s") == Status("OK")
        c.cmd("PUT", "k4", "v")
        c.cmd("EXIST", "k4")
        time.sleep(0.5)
        assert c.cmd("REMOVE", "k4") == Error("OBJECT_HAS_LEASE the object is leased; use FORCE to remove it")


def test_batch_commands(raw):
    assert raw.cmd("BATCHPUT", "2", "a", "1", "b", "2") == [Status("OK"), Status("OK")]
    reply = raw.cmd("BATCHPUT", "2", "b", "x", "c", "3", "REPLICAS", "1")
    assert reply == [Error("OBJECT_ALREADY_EXISTS the object already exists"), Status("OK")]
    assert raw.cmd("BATCHPUT", "3", "a", "1") == Error(
        "INVALID_PARAMS numkeys is larger than the number of key value pairs")
    assert raw.cmd("BATCHGET", "a", "b", "c", "d") == [b"1", b"2", b"3", None]
    assert raw.cmd("BATCHEXIST", "a", "d") == [1, 0]
    q = raw.cmd("BATCHQUERY", "a", "d")
    assert as_dict(q[0])["size"] == 1 and q[1] is None
    assert raw.cmd("BATCHREMOVE", "a", "d") == [Error("OBJECT_HAS_LEASE the object is leased; use FORCE to remove it"), 0]
    assert raw.cmd("BATCHREMOVE", "FORCE", "a", "b", "d") == [1, 1, 0]


def test_regex_commands(raw):
    for k in ("user:1", "user:2", "item:1"):
        raw.cmd("PUT", k, "v")
    found = as_dict(raw.cmd("QUERYREGEX", "^user:"))
    assert sorted(found) == ["user:1", "user:2"]
    assert raw.cmd("QUERYREGEX", "(") == Error("INVALID_PARAMS invalid regular expression: missing ): (")
    assert raw.cmd("REMOVEREGEX", "^user:") == 2
    # A pattern that would take exponential time in a backtracking engine (2^5000 steps
    # here: it would never answer, and the client's timeout would end the test) is
    # linear in RE2. How fast it is belongs to a benchmark, not here.
    raw.cmd("PUT", "a" * 5000, "v")
    assert raw.cmd("REMOVEREGEX", "(a+)+$") == 1
    raw.cmd("PUT", "leased", "v")
    raw.cmd("EXIST", "leased")
    assert raw.cmd("REMOVEALL") == 1          # item:1; the leased one stays
    assert raw.cmd("REMOVEALL", "FORCE") == 1
    assert raw.cmd("DBSIZE") == 0


def _rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def test_filling_three_times_the_pool_evicts_and_bounds_memory(fresh_server):
    pool = 64 << 20
    s = fresh_server(["--maxmemory", str(pool)])
    r = s.client()
    rng = random.Random(7)
    sizes = [100, 1000, 16 << 10, 100 << 10, 1 << 20, 3 << 20]
    payload = os.urandom(4 << 20)
    written = 0
    n = 0
    pipe = r.pipeline(transaction=False)
    while written < 3 * pool:
        size = rng.choice(sizes)
        pipe.execute_command("PUT", f"obj:{n}", payload[:size])
        written += size
        n += 1
        if n % 50 == 0:
            assert all(x == b"OK" for x in pipe.execute())
    assert all(x == b"OK" for x in pipe.execute())
    stats = r.info("eviction")
    assert stats["evicted_objects"] > 0
    assert r.info("stats")["evicted_keys"] == stats["evicted_objects"]
    memory = r.info("memory")
    assert memory["pool_used"] <= pool
    # RSS: the pool plus a bounded overhead (binary, metadata, buffers). Not under a
    # sanitizer: ASan keeps freed memory in quarantine and maps shadow memory by design.
    if not os.environ.get("CRESCENT_SANITIZED"):
        assert _rss(s.proc.pid) < pool + (64 << 20)
    # The newest object is still there and whole.
    assert r.get(f"obj:{n - 1}") == payload[:len(r.get(f"obj:{n - 1}"))]


def test_info_says_how_much_is_faulted_in_ahead_of_the_pool(fresh_server):
    # 256 MiB with huge pages (the default): the prefault window is 16 MiB, and between
    # half of it and all of it (plus the rest of a huge page) is kept faulted in above the
    # highest allocation. RSS less what INFO reports there follows what is stored,
    # whatever the window's level when RSS is read.
    window = 16 << 20
    s = fresh_server(["--maxmemory", str(256 << 20)])
    r = s.client()
    ahead = lambda: r.info("memory")["pool_prefaulted_ahead"]
    wait_until(lambda: ahead() == window, timeout=30, message="the first window")
    rss_before = _rss(s.proc.pid) - ahead()
    value = os.urandom(64 << 10)
    pipe = r.pipeline(transaction=False)
    for i in range(1000):
        pipe.set(f"v:{i}", value)
    assert all(pipe.execute())
    # The window's end is rounded up to a 2 MiB huge page past the highest allocation.
    wait_until(lambda: window // 2 <= ahead() < window + (2 << 20), timeout=30,
               message="a window half full or more")
    if not os.environ.get("CRESCENT_SANITIZED"):
        grown = _rss(s.proc.pid) - ahead() - rss_before
        assert 1000 * len(value) <= grown <= 1000 * len(value) + (8 << 20)
    # Without huge pages there is no window.
    plain = fresh_server(["--maxmemory", str(256 << 20), "--huge-pages", "no"]).client()
    plain.set("k", value)
    assert plain.info("memory")["pool_prefaulted_ahead"] == 0


def test_steady_reads_of_everything_do_not_block_puts(fresh_server):
    pool = 32 << 20
    s = fresh_server(["--maxmemory", str(pool)])
    r = s.client()
    value = b"v" * (256 << 10)
    for i in range(400):  # 100 MiB through a 32 MiB pool
        assert r.execute_command("PUT", f"k{i}", value) == b"OK"
        # Every object present is leased again and again.
        pipe = r.pipeline(transaction=False)
        for j in range(max(0, i - 150), i + 1):
            pipe.execute_command("EXIST", f"k{j}")
        pipe.execute()
    assert r.info("eviction")["evicted_leased"] > 0


def test_oom_when_nothing_can_be_evicted(fresh_server):
    s = fresh_server(["--maxmemory", "8MB"])
    with s.raw() as c:
        big = b"h" * (1 << 20)
        stored = 0
        for i in range(16):
            reply = c.cmd("PUT", f"pinned{i}", big, "HARDPIN")
            if reply != Status("OK"):
                assert reply == Error("NO_AVAILABLE_HANDLE no segment can hold the value")
                break
            stored += 1
        assert 4 <= stored < 16
        assert c.cmd("SET", "more", big) == Error("OOM command not allowed when used memory > 'maxmemory'.")
        for i in range(stored):
            assert c.cmd("GETSIZE", f"pinned{i}") == 1 << 20
        assert c.cmd("SET", "small", "fits") == Status("OK")
