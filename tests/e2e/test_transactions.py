"""Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH with Redis's semantics, through
raw RESP, redis-py's default pipeline and WATCH retry loop. Every test here also runs
against redis-server (--target redis)."""

import multiprocessing
import random
import threading
import time

import pytest
import redis

from respclient import NULL, Error, Status


def test_multi_exec_returns_queued_replies_in_order(raw):
    assert raw.cmd("MULTI") == "OK"
    assert raw.cmd("SET", "a", "1") == Status("QUEUED")
    assert raw.cmd("INCR", "a") == "QUEUED"
    assert raw.cmd("GET", "a") == "QUEUED"
    assert raw.cmd("EXEC") == ["OK", 2, b"2"]
    assert raw.cmd("GET", "a") == b"2"


def test_nothing_runs_before_exec_and_discard_drops_it(raw, r):
    assert raw.cmd("MULTI") == "OK"
    assert raw.cmd("SET", "k", "v") == "QUEUED"
    assert r.get("k") is None  # queued, not run
    assert raw.cmd("DISCARD") == "OK"
    assert r.get("k") is None
    assert raw.cmd("EXEC") == Error("ERR EXEC without MULTI")
    assert raw.cmd("DISCARD") == Error("ERR DISCARD without MULTI")


def test_errors_while_queuing_abort_exec(raw, r):
    assert raw.cmd("MULTI") == "OK"
    assert raw.cmd("SET", "x", "1") == "QUEUED"
    reply = raw.cmd("NOSUCHCOMMAND", "a")
    assert isinstance(reply, Error) and reply.code == "ERR"
    assert raw.cmd("EXEC") == Error("EXECABORT Transaction discarded because of previous errors.")
    assert r.get("x") is None
    # a wrong arity dooms it the same way
    assert raw.cmd("MULTI") == "OK"
    assert raw.cmd("GET") == Error("ERR wrong number of arguments for 'get' command")
    assert raw.cmd("EXEC").code == "EXECABORT"
    # and the client is out of MULTI afterwards
    assert raw.cmd("SET", "x", "2") == "OK"


def test_runtime_errors_are_replies_and_the_rest_runs(raw):
    assert raw.cmd("SET", "s", "notanumber") == "OK"
    assert raw.cmd("MULTI") == "OK"
    assert raw.cmd("INCR", "s") == "QUEUED"
    assert raw.cmd("SET", "t", "1") == "QUEUED"
    out = raw.cmd("EXEC")
    assert out[0] == Error("ERR value is not an integer or out of range")
    assert out[1] == "OK"
    assert raw.cmd("GET", "t") == b"1"


def test_nesting_and_watch_inside_multi_are_refused_without_aborting(raw):
    assert raw.cmd("MULTI") == "OK"
    assert raw.cmd("MULTI") == Error("ERR MULTI calls can not be nested")
    assert raw.cmd("WATCH", "a") == Error("ERR WATCH inside MULTI is not allowed")
    assert raw.cmd("SET", "a", "1") == "QUEUED"
    assert raw.cmd("EXEC") == ["OK"]


def test_commands_not_allowed_in_multi_abort_it(raw):
    assert raw.cmd("MULTI") == "OK"
    assert raw.cmd("SHUTDOWN") == Error("ERR Command not allowed inside a transaction")
    assert raw.cmd("EXEC").code == "EXECABORT"


def test_empty_transaction(raw):
    assert raw.cmd("MULTI") == "OK"
    assert raw.cmd("EXEC") == []


def test_watch_aborts_when_another_client_writes(raw, r):
    r.set("w", "1")
    assert raw.cmd("WATCH", "w") == "OK"
    r.append("w", "2")
    assert raw.cmd("MULTI") == "OK"
    assert raw.cmd("SET", "w", "mine") == "QUEUED"
    assert raw.cmd("EXEC") is None  # RESP2 null array
    assert r.get("w") == b"12"
    # EXEC unwatched everything: the next transaction runs
    assert raw.cmd("MULTI") == "OK"
    assert raw.cmd("SET", "w", "mine") == "QUEUED"
    assert raw.cmd("EXEC") == ["OK"]


@pytest.mark.parametrize("touch", [
    lambda r: r.delete("w"),
    lambda r: r.expire("w", 100),
    lambda r: r.set("w", "1"),  # the same bytes again: still a write
    lambda r: r.incr("w"),
    lambda r: r.flushall(),
    lambda r: r.rename("w", "w2"),
], ids=["del", "expire", "same-value", "incr", "flushall", "rename"])
def test_watch_sees_every_kind_of_write(raw, r, touch):
    r.set("w", "1")
    assert raw.cmd("WATCH", "w") == "OK"
    touch(r)
    assert raw.cmd("MULTI") == "OK"
    assert raw.cmd("PING") == "QUEUED"
    assert raw.cmd("EXEC") is None  # RESP2 null array


def test_watch_of_a_missing_key_sees_its_creation(raw, r):
    assert raw.cmd("WATCH", "nokey") == "OK"
    r.set("nokey", "x")
    assert raw.cmd("MULTI") == "OK"
    assert raw.cmd("PING") == "QUEUED"
    assert raw.cmd("EXEC") is None  # RESP2 null array


def test_watch_sees_expiry(raw, r):
    r.set("e", "1", px=100)
    assert raw.cmd("WATCH", "e") == "OK"
    time.sleep(0.3)
    assert raw.cmd("MULTI") == "OK"
    assert raw.cmd("PING") == "QUEUED"
    assert raw.cmd("EXEC") is None  # RESP2 null array


def test_own_writes_after_watch_abort_too(raw):
    assert raw.cmd("SET", "o", "1") == "OK"
    assert raw.cmd("WATCH", "o") == "OK"
    assert raw.cmd("SET", "o", "2") == "OK"
    assert raw.cmd("MULTI") == "OK"
    assert raw.cmd("GET", "o") == "QUEUED"
    assert raw.cmd("EXEC") is None  # RESP2 null array


def test_unwatch_and_discard_forget_watched_keys(raw, r):
    r.set("u", "1")
    assert raw.cmd("WATCH", "u") == "OK"
    assert raw.cmd("UNWATCH") == "OK"
    r.set("u", "2")
    assert raw.cmd("MULTI") == "OK"
    assert raw.cmd("GET", "u") == "QUEUED"
    assert raw.cmd("EXEC") == [b"2"]
    assert raw.cmd("WATCH", "u") == "OK"
    assert raw.cmd("MULTI") == "OK"
    assert raw.cmd("DISCARD") == "OK"
    r.set("u", "3")
    assert raw.cmd("MULTI") == "OK"
    assert raw.cmd("GET", "u") == "QUEUED"
    assert raw.cmd("EXEC") == [b"3"]


def test_unrelated_writes_do_not_abort(raw, r):
    r.set("mine", "1")
    assert raw.cmd("WATCH", "mine") == "OK"
    r.set("other", "1")
    assert raw.cmd("MULTI") == "OK"
    assert raw.cmd("INCR", "mine") == "QUEUED"
    assert raw.cmd("EXEC") == [2]


def test_redis_py_default_pipeline_is_a_transaction(r):
    pipe = r.pipeline()  # transaction=True
    pipe.set("p1", "a").set("p2", "b").mget("p1", "p2").incr("cnt")
    assert pipe.execute() == [True, True, [b"a", b"b"], 1]


def test_redis_py_pipeline_surfaces_errors_in_place(r):
    r.set("str", "x")
    pipe = r.pipeline()
    pipe.set("ok", "1").incr("str").get("ok")
    with pytest.raises(redis.ResponseError):
        pipe.execute()
    assert r.get("ok") == b"1"  # the others ran


def test_watch_retry_loop_counts_every_increment(server, r):
    """Concurrent WATCH / GET / MULTI / SET / EXEC loops (redis-py's transaction helper)
    on one key: the final count equals the increments made, so no lost update got
    through, whichever I/O thread each client is on."""
    r.set("counter", 0)
    clients, per_client = 6, 100
    errors = []

    def worker():
        c = server.client()
        try:
            for _ in range(per_client):
                def incr(pipe):
                    value = int(pipe.get("counter"))
                    pipe.multi()
                    pipe.set("counter", value + 1)
                c.transaction(incr, "counter")
        except Exception as e:  # noqa: BLE001: reported below
            errors.append(e)
        finally:
            c.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert int(r.get("counter")) == clients * per_client


def _read_sums(port, keys, total, stop, bad, reads):
    c = redis.Redis(host="127.0.0.1", port=port)
    while not stop.is_set():
        s = sum(int(v) for v in c.mget(keys))
        with reads.get_lock():
            reads.value += 1
        if s != total:
            with bad.get_lock():
                bad.value += 1
    c.close()


def test_exec_is_atomic_across_keys_for_other_readers(server, r):
    """One client moves units between 8 keys in transactions (DECRBY a ... INCRBY b ...
    EXEC); reader processes (no GIL between them and the writer) run MGET of all keys.
    The keys are on different shards of the table, the clients on both I/O threads: a
    reader must never see a sum other than the total. (Without the I/O barrier, the
    readers see a wrong sum hundreds of times.)"""
    keys = [f"acct:{i}" for i in range(8)]
    total = 8 * 100000
    r.mset({k: 100000 for k in keys})
    ctx = multiprocessing.get_context("fork")
    stop, bad, reads = ctx.Event(), ctx.Value("i", 0), ctx.Value("i", 0)
    readers = [ctx.Process(target=_read_sums, args=(server.port, keys, total, stop, bad, reads))
               for _ in range(3)]
    for p in readers:
        p.start()
    writer = server.client()
    rng = random.Random(7)
    try:
        deadline = time.monotonic() + 10
        while reads.value < 50 and time.monotonic() < deadline:
            time.sleep(0.01)  # the readers are reading
        for _ in range(60):
            a, b = rng.sample(keys, 2)
            # Many commands per transaction, so that without atomicity a reader would
            # land between the debits and the credits nearly every time.
            pipe = writer.pipeline()
            for _ in range(500):
                pipe.decrby(a, 1)
            for _ in range(500):
                pipe.incrby(b, 1)
            pipe.execute()
    finally:
        stop.set()
        for p in readers:
            p.join(timeout=30)
        writer.close()
    assert reads.value > 100
    assert bad.value == 0
    assert sum(int(v) for v in r.mget(keys)) == total


def test_resp3_exec_and_aborted_watch(server, r):
    with server.raw() as c:
        assert isinstance(c.cmd("HELLO", "3"), dict)
        r.set("r3", "1")
        assert c.cmd("WATCH", "r3") == "OK"
        r.set("r3", "2")
        assert c.cmd("MULTI") == "OK"
        assert c.cmd("GET", "r3") == "QUEUED"
        assert c.cmd("EXEC") is NULL


@pytest.mark.crescent_only
@pytest.mark.parametrize("command", [["EVAL", "return 1", "0"], ["evalsha", "abc", "0"],
                                     ["SCRIPT", "LOAD", "return 1"], ["FUNCTION", "LIST"],
                                     ["FCALL", "f", "0"]])
def test_scripting_says_it_is_out_of_scope(raw, command):
    reply = raw.cmd(*command)
    assert reply == Error("ERR scripting (EVAL, EVALSHA, SCRIPT, FUNCTION, FCALL) is not "
                          "supported by Crescent")


@pytest.mark.crescent_only
def test_a_queue_past_client_query_buffer_limit_is_refused_and_dooms_exec(fresh_server):
    s = fresh_server(["--client-query-buffer-limit", "1MB"])
    with s.raw() as c:
        assert c.cmd("MULTI") == "OK"
        chunk = b"x" * (256 * 1024)
        for i in range(3):
            assert c.cmd("SET", f"big{i}", chunk) == "QUEUED"
        assert c.cmd("SET", "big3", chunk + b"y") == Error(
            "ERR transaction exceeds client-query-buffer-limit")
        assert c.cmd("EXEC").code == "EXECABORT"
        assert c.cmd("EXISTS", "big0") == 0
        assert c.cmd("PING") == "PONG"
