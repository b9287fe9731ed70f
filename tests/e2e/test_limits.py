"""Limits that protect the server from one client, and graceful shutdown.

Each test runs its own server, so a limit set here cannot leak into other tests."""

import fcntl
import os
import signal
import socket
import struct
import termios
import time

import pytest

from respclient import Error, RawClient, Status, encode_command, wait_until


def connected_clients(client):
    return int(client.info("clients")["connected_clients"])


def test_client_that_stops_reading_is_disconnected(fresh_server, target):
    # 10 KiB values are copied into replies; 4,000 unread GETs make ~40 MiB of output.
    limit_args = (["--client-output-buffer-limit", "1mb"] if target == "crescent"
                  else ["--client-output-buffer-limit", "normal 1mb 0 0"])
    s = fresh_server(limit_args)
    r = s.client()
    r.set("v", b"x" * 10240)
    slow = socket.create_connection((s.host, s.port))
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.sendall(encode_command("GET", "v") * 4000)
    # The server drops the slow client instead of holding its replies...
    assert wait_until(lambda: connected_clients(r) == 1, timeout=10)
    # ...and keeps serving everyone else.
    assert r.ping()
    assert r.get("v") == b"x" * 10240
    slow.close()


@pytest.mark.crescent_only
def test_query_buffer_limit_disconnects_but_allows_one_large_bulk(fresh_server):
    s = fresh_server(["--client-query-buffer-limit", "1mb"])
    r = s.client()
    big = b"y" * (3 << 20)
    assert r.set("big", big)           # one 3 MiB argument is fine
    assert r.get("big") == big
    flood = RawClient(s.host, s.port)
    # 2 MiB of commands that never complete: an unterminated inline... no: a multibulk
    # announcing many small bulks, sent without the end, piles up unparsed input.
    try:
        flood.send(b"*2000000\r\n" + b"$1\r\na\r\n" * (300 * 1024))
    except (BrokenPipeError, ConnectionResetError):
        pass  # disconnected while still sending: what the limit is for
    assert flood.is_closed(timeout=10)
    assert r.ping()


def test_idle_clients_are_closed_after_timeout(fresh_server):
    s = fresh_server(["--timeout", "1"])
    idle = RawClient(s.host, s.port)
    assert idle.cmd("PING") == "PONG"
    assert idle.is_closed(timeout=10)
    active = s.client()
    for _ in range(3):
        assert active.ping()
        time.sleep(0.5)


def test_maxclients_rejects_with_redis_text(fresh_server):
    s = fresh_server(["--maxclients", "2"])
    a = RawClient(s.host, s.port)
    b = RawClient(s.host, s.port)
    assert a.cmd("PING") == "PONG" and b.cmd("PING") == "PONG"
    c = RawClient(s.host, s.port)
    assert c.read_reply() == Error("ERR max number of clients reached")
    assert c.is_closed(timeout=5)
    a.close()
    assert wait_until(lambda: _can_ping(s), timeout=5)


def _can_ping(s):
    try:
        with RawClient(s.host, s.port, timeout=2) as c:
            return c.cmd("PING") == "PONG"
    except Exception:
        return False


def _unsent_bytes(sock):
    """Bytes in the socket's send queue not yet acknowledged by the peer (SIOCOUTQ)."""
    return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]


def test_sigterm_stops_accepting_and_exits_cleanly(fresh_server):
    s = fresh_server()
    r = s.client()
    r.set("k", "v")
    idle = RawClient(s.host, s.port)
    assert idle.cmd("PING") == "PONG"
    busy = RawClient(s.host, s.port)
    busy.send(encode_command("GET", "k") * 5000)
    # "Already received": wait until the server's kernel has acknowledged every byte (the
    # client's send queue is empty). Without this the tail of the pipeline may still be
    # in flight when SIGTERM lands, and on a starved machine arrive after the server has
    # found its input quiet and closed.
    wait_until(lambda: _unsent_bytes(busy.sock) == 0, timeout=10,
               message="the pipeline to reach the server")
    s.proc.send_signal(signal.SIGTERM)
    # The pipeline already received is answered completely before the connection closes.
    replies = busy.read_replies(5000)
    assert replies == [b"v"] * 5000
    assert busy.is_closed(timeout=10)
    assert idle.is_closed(timeout=10)
    assert s.proc.wait(timeout=10) == 0
    with pytest.raises(OSError):
        socket.create_connection((s.host, s.port), timeout=1)


def test_one_pipelining_client_does_not_starve_another(server, r):
    flood = RawClient(server.host, server.port)
    flood.send(encode_command("INCR", "counter") * 200_000)
    other = RawClient(server.host, server.port)
    # Answered while the flood is still being worked through.
    for _ in range(20):
        assert other.cmd("PING") == "PONG"
    replies = flood.read_replies(200_000)
    assert replies[-1] == 200_000
    assert r.get("counter") == b"200000"


@pytest.mark.crescent_only
def test_key_size_and_regex_program_limits(fresh_server):
    s = fresh_server(["--max-key-size", "16", "--regex-max-program-size", "4096"])
    with s.raw() as c:
        assert c.cmd("SET", "k" * 16, "v") == Status("OK")
        too_long = "k" * 17
        for cmd in (("SET", too_long, "v"), ("GET", too_long), ("MSET", "a", "1", too_long, "2"),
                    ("PUT", too_long, "v")):
            assert c.cmd(*cmd) == Error("ERR key is longer than max-key-size")
        assert c.cmd("EXISTS", too_long[:16]) == 1
        reply = c.cmd("QUERYREGEX", "(" + "|".join(f"k{i}x" for i in range(3000)) + "){2,50}")
        assert isinstance(reply, Error) and reply.message.startswith(
            "INVALID_PARAMS invalid regular expression: pattern too large")
        assert c.cmd("CONFIG", "SET", "max-key-size", "1mb") == Status("OK")
        assert c.cmd("SET", too_long, "v") == Status("OK")


@pytest.mark.crescent_only
def test_partial_request_held_open_is_closed(fresh_server):
    s = fresh_server(["--request-timeout", "1s"])
    slow = RawClient(s.host, s.port)
    slow.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabc")  # never finished
    trickle = RawClient(s.host, s.port)
    assert slow.is_closed(timeout=10)
    # A client that sends whole requests, however slowly, is not affected.
    for _ in range(3):
        assert trickle.cmd("PING") == "PONG"
        time.sleep(0.6)
    assert s.client().get("k") is None


@pytest.mark.crescent_only
def test_max_command_args(fresh_server):
    s = fresh_server(["--max-command-args", "100"])
    with s.raw() as c:
        assert c.cmd("DEL", *[f"k{i}" for i in range(99)]) == 0
        c.send(b"*101\r\n")
        assert c.read_reply() == Error("ERR Protocol error: invalid multibulk length")
        assert c.is_closed(timeout=5)
    assert s.client().ping()


@pytest.mark.crescent_only
def test_slow_commands_are_logged_without_their_arguments(fresh_server):
    s = fresh_server(["--slowlog-log-slower-than", "0"])
    with s.raw() as c:
        assert c.cmd("SET", "secret-key", "secret-value") == Status("OK")
        assert c.cmd("SLOWLOG", "LEN") >= 1
    assert wait_until(lambda: "slow command 'set'" in open(s.stderr_path).read(), timeout=5)
    assert "secret-value" not in open(s.stderr_path).read()
