"""The HTTP operations endpoint: GET /metrics (Prometheus text format 0.0.4) and GET /health
on metrics-port, checked with urllib, with promtool, and by a real Prometheus scraping it.

Crescent's own endpoint, so the whole module is crescent_only. promtool and prometheus
come from Debian's `prometheus` package (tools/scripts/install-deps.sh installs it); the
tests that need them are skipped, saying so, when they are absent."""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import HOST, crescentd_path, free_port
from respclient import Error, RawClient, Status, process_uptime_seconds, wait_until

pytestmark = pytest.mark.crescent_only

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)')


def http_get(port, path, method="GET", timeout=5):
    """(status, headers, body as str); error statuses are returned, not raised."""
    req = urllib.request.Request(f"http://{HOST}:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def parse_metrics(text):
    """Exposition text -> {(name, ((label, value), ...)): float}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"malformed sample line: {line!r}"
        labels = tuple(sorted(
            (k, v.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\"))
            for k, v in LABEL.findall(m.group(2) or "")))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def value(metrics, name, **labels):
    return metrics.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def metrics_server(fresh_server):
    port = free_port()
    s = fresh_server(["--metrics-port", str(port)])
    s.metrics_port = port
    return s


def scrape(server):
    status, headers, body = http_get(server.metrics_port, "/metrics")
    assert status == 200, body
    return headers, body


def test_metrics_counts_commands_and_errors(metrics_server):
    _, before_text = scrape(metrics_server)
    before = parse_metrics(before_text)
    with metrics_server.raw() as c:
        assert c.cmd("SET", "k", "v") == Status("OK")
        for _ in range(7):
            assert c.cmd("GET", "k") == b"v"
        assert c.cmd("GET", "missing") is None                     # the 8th GET
        assert c.cmd("INCR", "k").code == "ERR"                   # the handler fails
        assert c.cmd("GET").code == "ERR"                         # rejected: arity
        assert c.cmd("NOSUCHCOMMAND").code == "ERR"               # unknown
        assert isinstance(c.cmd("CLIENT", "NOSUCH"), Error)       # unknown subcommand
        headers, text = scrape(metrics_server)
        dbsize = c.cmd("DBSIZE")
    after = parse_metrics(text)

    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    delta = lambda name, **l: value(after, name, **l) - value(before, name, **l)
    assert delta("crescent_commands_total", cmd="get") == 8
    assert delta("crescent_commands_total", cmd="set") == 1
    assert delta("crescent_command_errors_total", cmd="incr") == 1
    assert delta("crescent_command_rejected_total", cmd="get") == 1
    assert delta("crescent_command_rejected_total", cmd="client") == 1
    assert delta("crescent_errors_total", code="ERR") == 4
    # one duration per call that ran its handler
    assert value(after, "crescent_command_duration_seconds_count", cmd="get") == \
        value(after, "crescent_commands_total", cmd="get")
    assert value(after, "crescent_command_duration_seconds_bucket", cmd="get", le="+Inf") == \
        value(after, "crescent_command_duration_seconds_count", cmd="get")
    assert value(after, "crescent_command_duration_seconds_sum", cmd="get") > 0
    assert value(after, "crescent_keys") == dbsize == 1
    assert value(after, "crescent_connected_clients") >= 1
    assert delta("crescent_keyspace_hits_total") >= 7
    assert delta("crescent_keyspace_misses_total") >= 1
    assert value(after, "crescent_segment_capacity_bytes", segment="local") == 256 * 1024 * 1024
    assert value(after, "crescent_segment_used_bytes", segment="local") > 0
    assert value(after, "crescent_segment_objects", segment="local") == 1
    assert abs(value(after, "crescent_uptime_seconds") - process_uptime_seconds(metrics_server.proc.pid)) < 2
    # 256 MiB with huge pages: a 16 MiB prefault window (its thread runs at nice 19, so
    # it may not have filled it yet), from half of it up above the one small allocation
    wait_until(lambda: 8 << 20 <= value(parse_metrics(scrape(metrics_server)[1]),
                                        "crescent_pool_prefaulted_ahead_bytes") < 18 << 20,
               timeout=30, message="the prefault window in /metrics")
    assert value(after, "process_resident_memory_bytes") > 0
    # every family is announced, and no disk tier is invented
    for line in text.splitlines():
        if not line.startswith("#"):
            name = SAMPLE.match(line).group(1)
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            assert f"# TYPE {name} " in text or f"# TYPE {base} histogram" in text, line
    assert "disk" not in text  # --persistence off: no SSD tier, so no disk families


def test_promtool_accepts_the_exposition(metrics_server):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (Debian package 'prometheus'; tools/scripts/install-deps.sh)")
    with metrics_server.raw() as c:
        c.cmd("SET", "a", "1")
        c.cmd("GET", "a")
        c.cmd("INCR", "nope", "extra")
    _, body = scrape(metrics_server)
    p = subprocess.run([promtool, "check", "metrics"], input=body.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    assert p.returncode == 0, p.stdout.decode()
    assert p.stdout.decode().strip() == "", p.stdout.decode()  # not even lint warnings


def test_disk_tier_families_when_persistence_is_on(fresh_server):
    port = free_port()
    s = fresh_server(["--metrics-port", str(port), "--persistence", "sync"])
    s.metrics_port = port
    before = parse_metrics(scrape(s)[1])
    with s.raw() as c:
        for i in range(3):
            assert c.cmd("SET", f"d{i}", "v" * 100) == Status("OK")
    _, text = scrape(s)
    after = parse_metrics(text)
    assert value(after, "crescent_disk_healthy") == 1
    assert value(after, "crescent_disk_writes_total") - value(before, "crescent_disk_writes_total") >= 3
    assert value(after, "crescent_disk_written_bytes_total") >= 300
    assert ("crescent_demoted_objects_total", ()) in after
    promtool = shutil.which("promtool")
    if promtool:
        p = subprocess.run([promtool, "check", "metrics"], input=text.encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        assert p.returncode == 0 and p.stdout.decode().strip() == "", p.stdout.decode()


def test_health_and_other_paths(metrics_server):
    with metrics_server.raw() as c:
        for i in range(5):
            c.cmd("SET", f"h{i}", "x")
    status, headers, body = http_get(metrics_server.metrics_port, "/health")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    doc = json.loads(body)
    assert doc["status"] == "ok"
    assert doc["keys"] == 5
    assert isinstance(doc["uptime_seconds"], int)
    assert abs(doc["uptime_seconds"] - process_uptime_seconds(metrics_server.proc.pid)) < 2
    assert http_get(metrics_server.metrics_port, "/")[0] == 404
    assert http_get(metrics_server.metrics_port, "/metricsx")[0] == 404
    status, headers, _ = http_get(metrics_server.metrics_port, "/metrics", method="POST")
    assert status == 405 and headers["Allow"] == "GET"
    assert http_get(metrics_server.metrics_port, "/health", method="DELETE")[0] == 405
    assert http_get(metrics_server.metrics_port, "/metrics?x=1")[0] == 200


def test_keep_alive_and_limits(metrics_server):
    conn = http.client.HTTPConnection(HOST, metrics_server.metrics_port, timeout=5)
    conn.request("GET", "/health")
    first = conn.getresponse()
    assert first.status == 200
    first.read()
    sock = conn.sock
    conn.request("GET", "/metrics")
    second = conn.getresponse()
    assert second.status == 200 and b"crescent_keys" in second.read()
    assert conn.sock is sock  # the same connection served both
    # Headers beyond 8 KiB are refused, and the connection closed.
    conn.request("GET", "/metrics", headers={"X-Filler": "a" * 10000})
    big = conn.getresponse()
    assert big.status == 431
    big.read()
    conn.close()


def test_slow_client_is_cut_off(metrics_server):
    """A client that never finishes its request does not hold the connection forever."""
    with socket.create_connection((HOST, metrics_server.metrics_port), timeout=20) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # no blank line: never complete
        started = time.monotonic()
        assert s.recv(100) == b""  # closed by the server (recv would time out otherwise)
        assert time.monotonic() - started > 5  # after its read timeout, not at once
    assert http_get(metrics_server.metrics_port, "/health")[0] == 200


def test_health_is_503_while_shutting_down(metrics_server):
    """While the RESP connections drain, /health says so instead of going silent."""
    with metrics_server.raw() as c:
        assert c.cmd("SET", "big", b"x" * (16 << 20)) == Status("OK")
    # A client that asks for a large value and never reads keeps the drain waiting.
    stuck = socket.socket()
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.connect((HOST, metrics_server.port))
    stuck.sendall(b"GET big\r\n" * 4)
    time.sleep(0.2)
    metrics_server.proc.send_signal(signal.SIGTERM)
    try:
        def unavailable():
            status, _, body = http_get(metrics_server.metrics_port, "/health")
            return status == 503 and json.loads(body)["status"] == "shutting_down"
        wait_until(unavailable, timeout=4, interval=0.05, message="/health to answer 503")
    finally:
        stuck.close()
    # Wait here rather than let the fixture send a second SIGTERM: once Run() has
    # returned the server no longer handles signals, and the second one would kill it.
    assert metrics_server.proc.wait(timeout=10) == 0, metrics_server.output()


def test_metrics_port_in_use_fails_start_up(tmp_path):
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        p = subprocess.run(
            [crescentd_path(), "--bind", HOST, "--port", str(free_port()), "--dir", str(tmp_path),
             "--persistence", "off", "--maxmemory", "16MB", "--metrics-port", str(port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
    assert p.returncode == 1
    assert (f"cannot listen on {HOST}:{port} for metrics: Address already in use "
            "(set metrics-port 0 to turn it off)") in p.stdout.decode()


def api(port, path):
    with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=5) as resp:
        return json.loads(resp.read())


def test_real_prometheus_scrapes_it(metrics_server, tmp_path):
    exe = shutil.which("prometheus")
    if exe is None:
        pytest.skip("prometheus not installed (Debian package 'prometheus'; tools/scripts/install-deps.sh)")
    with metrics_server.raw() as c:
        for i in range(12):
            c.cmd("SET", f"p{i}", "v")
        dbsize = c.cmd("DBSIZE")
    assert dbsize == 12
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: crescent\n    scrape_interval: 1s\n    scrape_timeout: 1s\n"
        f"    static_configs:\n      - targets: ['{HOST}:{metrics_server.metrics_port}']\n")
    web_port = free_port()
    log = open(tmp_path / "prometheus.log", "wb")
    # Loopback only: the UI/API listens on 127.0.0.1 and the one target is local.
    # Prometheus 2.42 has no update check or telemetry to turn off.
    proc = subprocess.Popen(
        [exe, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address={HOST}:{web_port}", "--log.level=warn"],
        stdout=log, stderr=log, stdin=subprocess.DEVNULL, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 30
        result = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "prometheus.log").read_text()
            try:
                result = api(web_port, "/api/v1/query?query=crescent_keys")["data"]["result"]
                if result and float(result[0]["value"][1]) == dbsize:
                    break
            except (OSError, ValueError, KeyError):
                pass  # not up yet
            time.sleep(0.25)
        else:
            pytest.fail(f"Prometheus never reported crescent_keys == {dbsize}: {result}\n"
                        + (tmp_path / "prometheus.log").read_text())
        print(f"prometheus query crescent_keys -> {result}")
        targets = api(web_port, "/api/v1/targets")["data"]["activeTargets"]
        assert len(targets) == 1
        assert targets[0]["health"] == "up", targets[0]
        assert targets[0]["scrapeUrl"] == f"http://{HOST}:{metrics_server.metrics_port}/metrics"
        assert targets[0]["lastError"] == ""
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
