"""What a client can ask of its connection and of everyone's: CLIENT PAUSE / UNPAUSE,
CLIENT REPLY, CLIENT NO-EVICT, RESET, MONITOR, LATENCY. Run against redis-server too."""

import re
import select
import time

import pytest

from respclient import Error, RawClient


def pending(c, wait=0.0):
    """Whether a reply has arrived on c (without reading it)."""
    if c._buf if hasattr(c, "_buf") else False:
        return True
    return bool(select.select([c.sock], [], [], wait)[0])


def test_client_pause_write_holds_writes_until_unpause(server, raw):
    with server.raw() as writer, server.raw() as reader:
        assert raw.cmd("CLIENT", "PAUSE", "20000", "WRITE") == "OK"
        try:
            writer.send_command("SET", "paused", "1")
            assert not pending(writer, 0.3)  # held back
            assert reader.cmd("GET", "paused") is None  # reads go on
            assert not pending(writer)
        finally:
            assert raw.cmd("CLIENT", "UNPAUSE") == "OK"  # not a write: it runs
        assert writer.read_reply() == "OK"
        assert reader.cmd("GET", "paused") == b"1"


def test_client_pause_all_holds_reads_and_ends_by_itself(server, raw):
    with server.raw() as other:
        assert raw.cmd("CLIENT", "PAUSE", "400", "ALL") == "OK"
        started = time.monotonic()
        assert other.cmd("PING") == "PONG"
        assert time.monotonic() - started >= 0.3  # it waited for the pause to end


def test_client_pause_arguments(raw):
    assert raw.cmd("CLIENT", "PAUSE", "x") == Error("ERR timeout is not an integer or out of range")
    assert raw.cmd("CLIENT", "PAUSE", "10", "SOME") == Error("ERR CLIENT PAUSE mode must be WRITE or ALL")
    assert raw.cmd("CLIENT", "NO-EVICT", "maybe") == Error("ERR syntax error")
    assert raw.cmd("CLIENT", "NO-EVICT", "on") == "OK"
    assert raw.cmd("CLIENT", "REPLY", "sometimes") == Error("ERR syntax error")


def test_client_reply_off_skip_on(raw):
    raw.send_command("CLIENT", "REPLY", "OFF")
    raw.send_command("SET", "quiet", "1")
    raw.send_command("GET", "quiet")
    assert raw.cmd("CLIENT", "REPLY", "ON") == "OK"  # the first reply since OFF
    raw.send_command("CLIENT", "REPLY", "SKIP")
    raw.send_command("SET", "skipped", "2")
    assert raw.cmd("GET", "skipped") == b"2"  # SKIP and the SET were not answered
    assert raw.cmd("GET", "quiet") == b"1"


def test_reset_leaves_multi_and_resp3(server):
    with server.raw() as c:
        assert isinstance(c.cmd("HELLO", "3"), dict)
        assert c.cmd("MULTI") == "OK"
        assert c.cmd("SET", "r", "1") == "QUEUED"
        assert c.cmd("RESET") == "RESET"
        assert c.cmd("EXEC") == Error("ERR EXEC without MULTI")
        c.send(b"GET nosuchkey\r\n")
        assert c.sock.recv(100) == b"$-1\r\n"  # RESP2 again


def test_monitor_shows_other_clients_commands(server, r):
    with server.raw() as mon:
        assert mon.cmd("MONITOR") == "OK"
        r.set("a b", 'x"y\n')
        r.execute_command("INCR", "cnt")
        lines = [mon.read_reply(), mon.read_reply()]
    pattern = r'^\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] '
    assert re.match(pattern + r'"SET" "a b" "x\\"y\\n"$', lines[0]), lines
    assert re.match(pattern + r'"INCR" "cnt"$', lines[1]), lines


def test_monitor_hides_passwords_and_shows_transactions(fresh_server):
    s = fresh_server(["--requirepass", "sekret"], password="sekret")
    with s.raw() as mon, s.raw() as c:
        assert mon.cmd("AUTH", "sekret") == "OK"
        assert mon.cmd("MONITOR") == "OK"
        assert c.cmd("AUTH", "sekret") == "OK"
        assert c.cmd("MULTI") == "OK"
        assert c.cmd("SET", "t", "1") == "QUEUED"
        assert c.cmd("EXEC") == ["OK"]
        assert c.cmd("PING") == "PONG"
        seen = []
        while not seen or '"PING"' not in seen[-1]:
            seen.append(mon.read_reply())
    text = "\n".join(seen)
    assert "sekret" not in text
    assert '"SET" "t" "1"' in text
    assert text.index('"SET" "t" "1"') < text.index('"EXEC"')


def test_latency_monitor_records_slow_commands(fresh_server):
    s = fresh_server()
    c = s.client()
    assert c.execute_command("LATENCY", "LATEST") == []
    c.config_set("latency-monitor-threshold", 1)
    pipe = c.pipeline(transaction=False)
    for i in range(100000):
        pipe.set(f"lat:{i}", i)
    pipe.execute()
    for _ in range(5):
        c.keys("*nomatch*")  # over 100,000 keys: well above 1 ms
    latest = c.execute_command("LATENCY", "LATEST")
    assert len(latest) == 1 and latest[0][0] == b"command"
    assert latest[0][2] >= 1 and latest[0][3] >= latest[0][2]
    history = c.execute_command("LATENCY", "HISTORY", "command")
    assert len(history) >= 1 and all(ms >= 1 for _, ms in history)
    assert c.execute_command("LATENCY", "RESET") == 1
    assert c.execute_command("LATENCY", "LATEST") == []
    c.close()
