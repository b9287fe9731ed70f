"""The node's lifecycle: SHUTDOWN (from redis-cli too), SAVE / BGSAVE / LASTSAVE, ROLE,
WAIT, and several instances on one host started with only a different --port."""

import os
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import HOST, crescentd_path, free_port, run_redis_cli
from respclient import Error, RawClient


def wait_exit(proc, timeout=15):
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def test_shutdown_from_redis_cli_stops_the_server(fresh_server):
    s = fresh_server()
    p = run_redis_cli(s.port, "shutdown")
    # redis-cli counts a closed connection after SHUTDOWN as success and prints nothing
    assert p.returncode == 0, p.stderr
    assert p.stdout == b""
    assert wait_exit(s.proc) == 0


def test_shutdown_arguments(fresh_server):
    s = fresh_server()
    with s.raw() as c:
        assert c.cmd("SHUTDOWN", "ABORT") == Error("ERR No shutdown in progress.")
        assert c.cmd("SHUTDOWN", "NOSAVE", "SAVE") == Error("ERR syntax error")
        assert c.cmd("SHUTDOWN", "ABORT", "NOW") == Error("ERR syntax error")
        assert c.cmd("SHUTDOWN", "SOMETIMES") == Error("ERR syntax error")
        assert c.cmd("PING") == "PONG"  # still up
        c.send_command("SHUTDOWN", "NOSAVE", "NOW", "FORCE")
        with pytest.raises(Exception):
            c.read_reply()  # closed, no reply
    assert wait_exit(s.proc) == 0


@pytest.mark.crescent_only
def test_shutdown_writes_the_ssd_tier_queue_and_a_restart_finds_everything(tmp_path):
    port = free_port()
    args = [crescentd_path(), "--port", str(port), "--dir", str(tmp_path / "d"),
            "--persistence", "async", "--metrics-port", "0", "--maxmemory", "64MB"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_ready(port)
        with RawClient(HOST, port) as c:
            for i in range(2000):
                c.send_command("SET", f"k{i}", f"v{i}" * 50)
            for i in range(2000):
                assert c.read_reply() == "OK"
        assert run_redis_cli(port, "shutdown").returncode == 0
        assert wait_exit(proc) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_ready(port)
        with RawClient(HOST, port) as c:
            assert c.cmd("DBSIZE") == 2000
            assert c.cmd("GET", "k1999") == b"v1999" * 50
    finally:
        proc.terminate()
        assert wait_exit(proc) == 0


def wait_ready(port, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with RawClient(HOST, port, timeout=1) as c:
                if c.cmd("PING") == "PONG":
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"no PONG on port {port}")


@pytest.mark.crescent_only
def test_save_bgsave_lastsave_with_the_ssd_tier(fresh_server):
    s = fresh_server(["--persistence", "async"])
    with s.raw() as c:
        before = c.cmd("LASTSAVE")
        assert abs(before - time.time()) < 60
        for i in range(500):
            c.send_command("SET", f"s{i}", "x" * 1000)
        for i in range(500):
            assert c.read_reply() == "OK"
        time.sleep(1.1)
        assert c.cmd("SAVE") == "OK"
        assert c.cmd("LASTSAVE") > before
        assert c.cmd("BGSAVE") == "Background saving started"
        reply = c.cmd("BGSAVE", "SCHEDULE")
        assert reply in ("Background saving scheduled", "Background saving started")
        assert c.cmd("BGSAVE", "NOW") == Error("ERR syntax error")
        assert c.cmd("MULTI") == "OK"
        assert c.cmd("SAVE") == Error("ERR Command not allowed inside a transaction")
        assert c.cmd("EXEC").code == "EXECABORT"


@pytest.mark.crescent_only
def test_save_without_an_ssd_tier_is_an_error(r):
    with pytest.raises(Exception, match="persistence is off"):
        r.execute_command("SAVE")
    with pytest.raises(Exception, match="persistence is off"):
        r.execute_command("BGSAVE")
    assert isinstance(r.lastsave(), object)


def test_role_and_wait(raw):
    assert raw.cmd("ROLE") == [b"master", 0, []]
    assert raw.cmd("WAIT", "0", "0") == 0
    assert raw.cmd("WAIT", "0", "-1") == Error("ERR timeout is negative")
    assert raw.cmd("WAIT", "x", "0") == Error("ERR value is not an integer or out of range")
    assert raw.cmd("WAIT", "0", "x") == Error("ERR timeout is not an integer or out of range")


@pytest.mark.crescent_only
def test_two_instances_with_only_a_different_port_both_serve(tmp_path):
    """Everything a default instance opens besides its RESP port (the metrics listener,
    the SSD tier's folder) follows the port, so a second instance started with only
    --port serves too."""
    procs = []
    ports = []
    try:
        for _ in range(2):
            for _attempt in range(5):
                port = free_port()
                metrics = port + 2742
                if metrics > 65535:
                    continue
                with socket.socket() as probe:
                    try:
                        probe.bind((HOST, metrics))
                    except OSError:
                        continue
                break
            proc = subprocess.Popen([crescentd_path(), "--port", str(port)], cwd=tmp_path,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            procs.append(proc)
            ports.append(port)
            wait_ready(port)
        for port in ports:
            with RawClient(HOST, port) as c:
                assert c.cmd("SET", "who", str(port)) == "OK"
                assert c.cmd("GET", "who") == str(port).encode()
            body = urllib.request.urlopen(f"http://{HOST}:{port + 2742}/metrics", timeout=5).read()
            assert b"crescent_" in body
            assert (tmp_path / f"data-{port}").is_dir()
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            assert wait_exit(proc) == 0, proc.stderr.read().decode()


@pytest.mark.crescent_only
def test_default_io_threads_are_half_the_cores_and_busy_poll(tmp_path):
    port = free_port()
    proc = subprocess.Popen([crescentd_path(), "--port", str(port), "--metrics-port", "0",
                             "--persistence", "off"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port)
        with RawClient(HOST, port) as c:
            info = c.cmd("INFO", "server").decode()
        fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
        cores = len(os.sched_getaffinity(0))
        assert int(fields["io_threads_active"]) == max(1, cores // 2)
        assert int(fields["io_busy_poll_us"]) == 50
    finally:
        proc.terminate()
        assert wait_exit(proc) == 0
