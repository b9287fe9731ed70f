"""RESP at the byte level: pipelining, inline commands, protocol errors, RESP3 types."""

import os
import threading
import time

import pytest

from respclient import NULL, Error, Map, Status, Verbatim, encode_command


# -- pipelining ----------------------------------------------------------------------

def _send_in_thread(client, data):
    """Send while the caller reads, so neither side's buffers can deadlock."""
    errors = []

    def run():
        try:
            client.send(data)
        except Exception as e:
            errors.append(e)
    t = threading.Thread(target=run)
    t.start()
    return t, errors


def test_pipeline_10000_commands_one_write(raw):
    n = 10_000
    parts = []
    for i in range(n):
        if i % 2 == 0:
            parts.append(encode_command("INCR", "counter"))
        else:
            parts.append(encode_command("SET", f"key:{i}", f"value:{i}"))
    data = b"".join(parts)
    t, errors = _send_in_thread(raw, data)
    replies = raw.read_replies(n)
    t.join()
    assert not errors
    for i, reply in enumerate(replies):
        if i % 2 == 0:
            assert reply == i // 2 + 1, (i, reply)    # in order
        else:
            assert reply == "OK", (i, reply)
    assert raw.cmd("GET", "counter") == str(n // 2).encode()
    assert raw.cmd("GET", "key:9999") == b"value:9999"
    assert raw.cmd("DBSIZE") == n // 2 + 1


def test_pipeline_mixed_replies_and_errors(raw):
    cmds = [("SET", "a", "1"), ("GET", "a"), ("GET",), ("INCR", "a"), ("NOSUCH",), ("GET", "missing"),
            ("MGET", "a", "missing"), ("PING",)]
    raw.send(b"".join(encode_command(*c) for c in cmds))
    assert raw.read_replies(len(cmds)) == [
        "OK", b"1", Error("ERR wrong number of arguments for 'get' command"), 2,
        Error("ERR unknown command 'NOSUCH', with args beginning with: "), None, [b"2", None], "PONG"]


def test_pipeline_redis_py(r):
    with r.pipeline(transaction=False) as p:
        for i in range(1000):
            p.set(f"k{i}", i)
            p.incr("n")
        results = p.execute()
    assert results[0::2] == [True] * 1000
    assert results[1::2] == list(range(1, 1001))


def test_command_split_across_many_writes(server, r):
    """A request arriving one byte at a time is still parsed correctly."""
    with server.raw() as c:
        data = encode_command("SET", "split", "a\r\nb") + encode_command("GET", "split")
        for i in range(len(data)):
            c.send(data[i:i + 1])
        assert c.read_reply() == "OK"
        assert c.read_reply() == b"a\r\nb"


def test_large_value_split_in_chunks(server, r):
    value = os.urandom(1 << 20)
    data = encode_command("SET", "big", value)
    with server.raw() as c:
        for off in range(0, len(data), 7919):
            c.send(data[off:off + 7919])
        assert c.read_reply() == "OK"
    assert r.get("big") == value


def test_large_value_arriving_in_bursts_then_a_small_request(server, r):
    """A large value is received with a low-water mark (fewer wake-ups); the mark must never
    exceed what is still to come, and must be gone before the next request, however small.
    Every pause lets the server take what arrived and wait again."""
    value = os.urandom(3 << 20)
    data = encode_command("SET", "bursts", value)
    # The header and a little of the value; then bursts of 1.5 MiB, 1 MiB, 300 KiB (under
    # the largest mark), 100 KiB (under the smallest), and the last 10 bytes.
    cuts = [4096, 4096 + (3 << 19), 4096 + (5 << 19), 4096 + (5 << 19) + (300 << 10),
            4096 + (5 << 19) + (400 << 10), len(data) - 10, len(data)]
    with server.raw() as c:
        start = 0
        for cut in cuts:
            c.send(data[start:cut])
            start = cut
            time.sleep(0.1)
        assert c.read_reply() == "OK"
        time.sleep(0.1)
        c.send(encode_command("PING"))
        assert c.read_reply() == "PONG"
        # The same on one connection again, with the next request in the value's last send.
        c.send(data[:-10])
        time.sleep(0.1)
        c.send(data[-10:] + encode_command("STRLEN", "bursts"))
        assert c.read_reply() == "OK"
        assert c.read_reply() == 3 << 20
    assert r.get("bursts") == value


def _query_buffer(r, name):
    """(qbuf, qbuf-free) of the connection named `name`, from CLIENT LIST."""
    for line in r.execute_command("CLIENT", "LIST").decode().splitlines():
        fields = dict(f.split("=", 1) for f in line.split(" ") if "=" in f)
        if fields.get("name") == name:
            return int(fields["qbuf"]), int(fields["qbuf-free"])
    raise AssertionError(f"no client named {name}")


@pytest.mark.crescent_only
def test_large_values_do_not_grow_the_input_buffer_a_pipeline_does(server, r):
    """A 64 KiB SET value is received straight into its replica, past the input buffer,
    which stays at its initial 16 KiB (CLIENT LIST's qbuf + qbuf-free). The buffer grows
    when receives keep filling it, which a pipeline of small requests does; were it to
    grow for large values, each receive would take most of the next value into the
    buffer, to be copied again."""
    value = os.urandom(64 << 10)
    with server.raw() as c:
        assert c.cmd("CLIENT", "SETNAME", "large-values") == "OK"
        for i in range(20):
            assert c.cmd("SET", f"v{i}", value) == "OK"
        qbuf, free = _query_buffer(r, "large-values")
        assert qbuf == 0
        assert qbuf + free <= 16 << 10
        # A pipeline of small requests, sent at once, fills every receive: it grows.
        pipeline = b"".join(encode_command("SET", f"p{i}", "x" * 100) for i in range(3000))
        thread, errors = _send_in_thread(c, pipeline)
        for _ in range(3000):
            assert c.read_reply() == "OK"
        thread.join()
        assert not errors
        qbuf, free = _query_buffer(r, "large-values")
        assert qbuf + free > 16 << 10
    assert r.get("v19") == value


def test_many_connections(server, r):
    clients = [server.raw() for _ in range(50)]
    try:
        for i, c in enumerate(clients):
            c.send_command("SET", f"conn:{i}", str(i))
        for c in clients:
            assert c.read_reply() == "OK"
        for i, c in enumerate(clients):
            assert c.cmd("GET", f"conn:{(i + 1) % 50}") == str((i + 1) % 50).encode()
    finally:
        for c in clients:
            c.close()


# -- inline commands -------------------------------------------------------------------

def test_inline_ping(raw):
    raw.send(b"PING\r\n")
    assert raw.read_reply() == Status("PONG")


def test_inline_lf_only(raw):
    raw.send(b"PING\n")
    assert raw.read_reply() == "PONG"


def test_inline_quoted_arguments(raw):
    raw.send(b'SET a "b c"\r\n')
    assert raw.read_reply() == "OK"
    assert raw.cmd("GET", "a") == b"b c"
    raw.send(b"SET q 'it''s'\r\n")          # adjacent quotes are a syntax error in Redis...
    assert raw.read_reply() == Error("ERR Protocol error: unbalanced quotes in request")


def test_inline_escapes(raw):
    raw.send(b'SET e "a\\x41\\n\\t\\"z"\r\n')
    assert raw.read_reply() == "OK"
    assert raw.cmd("GET", "e") == b'aA\n\t"z'
    raw.send(b"SET s 'a\\'b'\r\n")
    assert raw.read_reply() == "OK"
    assert raw.cmd("GET", "s") == b"a'b"


def test_inline_multiple_commands_and_blank_lines(raw):
    raw.send(b"\r\n\r\nSET x 1\r\nINCR x\r\n  GET   x  \r\n")
    assert raw.read_replies(3) == ["OK", 2, b"2"]


def test_inline_wrong_arity(raw):
    raw.send(b"GET\r\n")
    assert raw.read_reply() == Error("ERR wrong number of arguments for 'get' command")
    assert raw.cmd("PING") == "PONG"


def test_inline_and_multibulk_interleaved(raw):
    raw.send(b"SET i 5\r\n" + encode_command("INCR", "i") + b"GET i\r\n")
    assert raw.read_replies(3) == ["OK", 6, b"6"]


# -- protocol errors --------------------------------------------------------------------

PROTOCOL_ERRORS = [
    (b"*1\r\n$-5\r\n", "ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$abc\r\n", "ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$536870913\r\n", "ERR Protocol error: invalid bulk length"),       # > proto-max-bulk-len
    (b"*1\r\n$600000000\r\n", "ERR Protocol error: invalid bulk length"),
    (b"*abc\r\n", "ERR Protocol error: invalid multibulk length"),
    (b"*3000000000\r\n", "ERR Protocol error: invalid multibulk length"),      # > INT_MAX
    (b"*1\r\nx3\r\nGET\r\n", "ERR Protocol error: expected '$', got 'x'"),
    (b"*2\r\n$3\r\nGET\r\n:1\r\n", "ERR Protocol error: expected '$', got ':'"),
    (b'SET a "b c\r\n', "ERR Protocol error: unbalanced quotes in request"),
    (b"SET k 'a'b\r\n", "ERR Protocol error: unbalanced quotes in request"),
    (b"x" * 70000, "ERR Protocol error: too big inline request"),
]


@pytest.mark.parametrize("data,message", PROTOCOL_ERRORS,
                         ids=[m.split(": ", 1)[1] + f"-{i}" for i, (_, m) in enumerate(PROTOCOL_ERRORS)])
def test_protocol_error_closes_connection(server, r, data, message):
    bystander = server.raw()
    try:
        assert bystander.cmd("SET", "bystander", "ok") == "OK"
        with server.raw() as c:
            c.send(data)
            assert c.read_reply() == Error(message)
            assert c.is_closed(timeout=5), "connection stays open after a protocol error"
        # another client keeps working, on an existing and on a new connection
        assert bystander.cmd("GET", "bystander") == b"ok"
        with server.raw() as c2:
            assert c2.cmd("PING") == "PONG"
    finally:
        bystander.close()


def test_protocol_error_after_valid_commands(server, r):
    """Replies to the commands before the bad one are delivered, then the error, then close."""
    with server.raw() as c:
        c.send(encode_command("SET", "a", "1") + encode_command("INCR", "a") + b"*1\r\n$-5\r\n"
               + encode_command("SET", "after", "1"))
        assert c.read_reply() == "OK"
        assert c.read_reply() == 2
        assert c.read_reply() == Error("ERR Protocol error: invalid bulk length")
        assert c.is_closed(timeout=5)
    assert r.get("a") == b"2"
    assert r.get("after") is None


@pytest.mark.parametrize("data", [b"*0\r\n", b"*-1\r\n", b"*-5\r\n"])
def test_empty_or_negative_multibulk_is_ignored(raw, data):
    raw.send(data + encode_command("PING"))
    assert raw.read_reply() == "PONG"
    assert raw.nothing_pending()


def test_proto_max_bulk_len_option(fresh_server):
    s = fresh_server(["--proto-max-bulk-len", "1MB"])
    value = os.urandom(1 << 20)
    with s.raw() as c:
        assert c.cmd("CONFIG", "GET", "proto-max-bulk-len") == [b"proto-max-bulk-len", b"1048576"]
        assert c.cmd("SET", "k", value) == "OK"          # exactly the limit
        assert c.cmd("GET", "k") == value
    with s.raw() as c:
        c.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n")
        assert c.read_reply() == Error("ERR Protocol error: invalid bulk length")
        assert c.is_closed(timeout=5)
    with s.raw() as c:
        # SETRANGE/APPEND past the limit
        assert c.cmd("SETRANGE", "k", "1048576", "x") == Error(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)")
        assert c.cmd("APPEND", "k", "x") == Error(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)")
        assert c.cmd("STRLEN", "k") == 1 << 20


def test_unauthenticated_request_limits(fresh_server):
    """Before AUTH, big requests are refused so that strangers cannot make the server allocate."""
    s = fresh_server(["--requirepass", "secret"], password="secret")
    with s.raw(timeout=3) as c:
        c.send(b"*11\r\n")
        assert c.read_reply() == Error("ERR Protocol error: unauthenticated multibulk length")
        assert c.is_closed(timeout=5)
    with s.raw(timeout=3) as c:
        c.send(b"*1\r\n$16385\r\n")
        assert c.read_reply() == Error("ERR Protocol error: unauthenticated bulk length")
        assert c.is_closed(timeout=5)
    with s.raw(timeout=3) as c:
        assert c.cmd("AUTH", "secret") == "OK"
        assert c.cmd("MSET", *[f"k{i}" for i in range(20)]) == "OK"
        assert c.cmd("SET", "big", "x" * 100000) == "OK"


# -- RESP3 ------------------------------------------------------------------------------

@pytest.fixture
def resp3(raw):
    reply = raw.cmd("HELLO", "3")
    assert isinstance(reply, Map)
    return raw


def test_resp3_hello_raw(raw):
    raw.cmd("HELLO", "3")
    assert raw.last_raw.startswith(b"%7\r\n$6\r\nserver\r\n")


def test_resp3_null_for_missing(resp3):
    assert resp3.cmd("GET", "missing") is NULL
    assert resp3.last_raw == b"_\r\n"
    for args in [("GETDEL", "missing"), ("GETEX", "missing"), ("GETSET", "missing", "v2"),
                 ("CLIENT", "GETNAME"), ("MEMORY", "USAGE", "missing2")]:
        resp3.cmd(*args)
        assert resp3.last_raw == b"_\r\n", args
    resp3.cmd("FLUSHALL")
    assert resp3.cmd("RANDOMKEY") is NULL
    assert resp3.cmd("SET", "k", "v", "GET") is NULL
    assert resp3.cmd("SET", "k", "v", "NX") is NULL


def test_resp3_mget_nulls(resp3):
    resp3.cmd("SET", "a", "1")
    assert resp3.cmd("MGET", "a", "missing") == [b"1", NULL]
    assert resp3.last_raw == b"*2\r\n$1\r\n1\r\n_\r\n"


def test_resp3_simple_types_unchanged(resp3):
    assert resp3.cmd("SET", "a", "1") == "OK"
    assert resp3.last_raw == b"+OK\r\n"
    assert resp3.cmd("EXISTS", "a") == 1
    assert resp3.last_raw == b":1\r\n"
    assert resp3.cmd("GET", "a") == b"1"
    assert resp3.last_raw == b"$1\r\n1\r\n"
    assert resp3.cmd("TYPE", "a") == "string"
    assert resp3.last_raw == b"+string\r\n"
    assert resp3.cmd("GET") == Error("ERR wrong number of arguments for 'get' command")
    assert resp3.last_raw == b"-ERR wrong number of arguments for 'get' command\r\n"
    resp3.cmd("TIME")
    assert resp3.last_raw.startswith(b"*2\r\n$")
    resp3.cmd("SCAN", "0")
    assert resp3.last_raw == b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"


def test_resp3_incrbyfloat_is_bulk(resp3):
    assert resp3.cmd("INCRBYFLOAT", "f", "10.5") == b"10.5"
    assert resp3.last_raw == b"$4\r\n10.5\r\n"


def test_resp3_config_get_is_map(resp3):
    assert resp3.cmd("CONFIG", "GET", "maxmemory") == Map({b"maxmemory": b"268435456"})
    assert resp3.last_raw == b"%1\r\n$9\r\nmaxmemory\r\n$9\r\n268435456\r\n"
    assert resp3.cmd("CONFIG", "GET", "nosuchoption") == Map()
    assert resp3.last_raw == b"%0\r\n"


def test_resp3_command_docs_is_map(resp3):
    reply = resp3.cmd("COMMAND", "DOCS", "get")
    assert isinstance(reply, Map) and list(reply) == [b"get"]
    assert isinstance(reply[b"get"], Map)
    assert reply[b"get"][b"group"] == b"string"
    assert resp3.cmd("COMMAND", "DOCS", "nosuchcommand") == Map()


def test_resp3_command_info_uses_sets(resp3):
    reply = resp3.cmd("COMMAND", "INFO", "get")
    assert resp3.last_raw.startswith(b"*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n")
    assert resp3.cmd("COMMAND", "INFO", "nosuchcommand") == [NULL]


def test_resp3_info_is_verbatim(resp3):
    reply = resp3.cmd("INFO", "server")
    assert isinstance(reply, Verbatim) and reply.format == b"txt"
    assert resp3.last_raw.startswith(b"=")
    assert b"redis_version:" in reply
    reply = resp3.cmd("CLIENT", "LIST")
    assert isinstance(reply, Verbatim) and reply.format == b"txt"
    assert b"id=" in reply


def test_resp3_pipeline(resp3):
    resp3.send(b"".join(encode_command("GET", f"missing{i}") for i in range(100)))
    assert resp3.read_replies(100) == [NULL] * 100
