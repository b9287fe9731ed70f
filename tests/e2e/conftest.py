"""End-to-end fixtures: start a real server process on a loopback port and talk to it.

    /usr/bin/python3 -m pytest tests/e2e                   # against build/crescentd
    /usr/bin/python3 -m pytest tests/e2e --target redis    # against redis-server

--target defaults to $CRESCENT_E2E_TARGET, else "crescent". The crescent binary is
$CRESCENTD, else <repo>/build/crescentd. Running against real redis-server is how the
expected replies in this suite are checked to be Redis's own.

Fixtures:
    server        the session's shared server (a ServerProcess)
    r             redis.Redis(decode_responses=False) on the shared server, FLUSHALL first
    raw           a respclient.RawClient on the shared server (after the same FLUSHALL)
    fresh_server  factory: fresh_server(["--requirepass", "secret"]) -> its own ServerProcess
    cli           run redis-cli against the shared server: cli("set", "a", "b")

Markers:
    crescent_only  behaviour only Crescent has (skipped with --target redis)
    redis_only     behaviour only Redis has (skipped with --target crescent)
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import redis

from respclient import RawClient

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HOST = "127.0.0.1"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


def pytest_addoption(parser):
    parser.addoption(
        "--target",
        action="store",
        default=os.environ.get("CRESCENT_E2E_TARGET", "crescent"),
        choices=("crescent", "redis"),
        help="server to test: crescent (build/crescentd or $CRESCENTD) or redis (redis-server)",
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "crescent_only: only Crescent behaves this way; skipped on redis")
    config.addinivalue_line("markers", "redis_only: only Redis behaves this way; skipped on crescent")


def pytest_collection_modifyitems(config, items):
    target = config.getoption("--target")
    for item in items:
        if target == "redis" and "crescent_only" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="crescent_only: not Redis behaviour"))
        if target == "crescent" and "redis_only" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="redis_only: not Crescent behaviour"))


def pytest_report_header(config):
    target = config.getoption("--target")
    if target == "crescent":
        return f"e2e target: crescent ({crescentd_path()})"
    return f"e2e target: redis ({shutil.which('redis-server')})"


def crescentd_path():
    return os.environ.get("CRESCENTD", os.path.join(REPO, "build", "crescentd"))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class ServerProcess:
    """One server process (crescentd or redis-server) on a loopback port."""

    def __init__(self, target, extra_args=(), password=None):
        self.target = target
        self.extra_args = list(extra_args)
        self.password = password
        self.host = HOST
        self.port = None
        self.proc = None
        self.dir = tempfile.mkdtemp(prefix=f"e2e-{target}-")
        self.stdout_path = os.path.join(self.dir, "stdout.log")
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.returncode = None

    def command(self, port):
        if self.target == "crescent":
            binary = crescentd_path()
            return [
                binary, "--bind", HOST, "--port", str(port), "--dir", self.dir,
                "--persistence", "off", "--io-threads", "2", "--maxmemory", "256MB",
                # the HTTP /metrics listener (default 9121) would collide between the
                # servers that run at the same time; 0 turns it off
                "--metrics-port", "0",
            ] + self.extra_args
        return [
            "redis-server", "--bind", HOST, "--port", str(port), "--save", "",
            "--appendonly", "no", "--dir", self.dir,
            # same pool size as crescent, so CONFIG GET maxmemory agrees
            "--maxmemory", "256MB",
        ] + self.extra_args

    def output(self):
        text = []
        for name, path in (("stdout", self.stdout_path), ("stderr", self.stderr_path)):
            try:
                with open(path, "rb") as f:
                    data = f.read()[-8000:].decode("utf-8", "replace")
            except OSError:
                data = ""
            if data:
                text.append(f"--- {name} ---\n{data}")
        return "\n".join(text)

    def start(self):
        if self.target == "crescent" and not os.access(crescentd_path(), os.X_OK):
            pytest.fail(f"crescentd not found or not executable at {crescentd_path()} "
                        "(build it, set CRESCENTD, or use --target redis)", pytrace=False)
        if self.target == "redis" and not shutil.which("redis-server"):
            pytest.fail("redis-server not found on PATH", pytrace=False)
        last_error = None
        for _attempt in range(3):  # a port picked by bind(0) may be taken meanwhile
            port = free_port()
            with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
                self.proc = subprocess.Popen(self.command(port), stdout=out, stderr=err,
                                             stdin=subprocess.DEVNULL, cwd=self.dir)
            self.port = port
            ok, last_error = self._wait_ready()
            if ok:
                return self
            if self.proc.poll() is None:
                self._kill()
            if "in use" not in self.output().lower():
                break
        pytest.fail(f"{self.target} did not answer PING on port {self.port} within "
                    f"{START_TIMEOUT:.0f}s ({last_error})\ncommand: {' '.join(self.command(self.port))}\n"
                    f"{self.output()}", pytrace=False)

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        error = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False, f"exited with code {self.proc.returncode}"
            try:
                with RawClient(self.host, self.port, timeout=1.0) as c:
                    reply = c.cmd("PING")
                    # with requirepass the server answers -NOAUTH: it is up all the same
                    if reply == "PONG" or getattr(reply, "code", None) == "NOAUTH":
                        return True, None
                    error = f"PING answered {reply!r}"
            except OSError as e:
                error = str(e)
            except Exception as e:  # a half-started server may send garbage
                error = repr(e)
            time.sleep(0.02)
        return False, error or "timeout"

    def _kill(self):
        self.proc.kill()
        self.proc.wait(timeout=STOP_TIMEOUT)

    def stop(self):
        """SIGTERM by PID; return the exit code (None if it had to be killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._kill()
                self.returncode = None
                return None
        self.returncode = self.proc.returncode
        return self.returncode

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def check_stopped_cleanly(self):
        code = self.stop()
        assert code is not None, (f"{self.target} did not exit within {STOP_TIMEOUT}s of SIGTERM "
                                  f"and was killed\n{self.output()}")
        # crescent must exit 0 on SIGTERM; redis-server does the same with --save ''
        assert code == 0, f"{self.target} exited with code {code} on SIGTERM\n{self.output()}"
        self.cleanup()

    # -- clients --------------------------------------------------------
    def client(self, **kw):
        kw.setdefault("decode_responses", False)
        kw.setdefault("socket_timeout", 30)
        if self.password is not None:
            kw.setdefault("password", self.password)
        return redis.Redis(host=self.host, port=self.port, **kw)

    def raw(self, timeout=10.0):
        return RawClient(self.host, self.port, timeout=timeout)


@pytest.fixture(scope="session")
def target(pytestconfig):
    return pytestconfig.getoption("--target")


@pytest.fixture(scope="session")
def server(target):
    s = ServerProcess(target)
    s.start()
    yield s
    s.check_stopped_cleanly()


@pytest.fixture
def r(server):
    if server.proc.poll() is not None:
        pytest.fail(f"shared server exited with code {server.proc.returncode}\n{server.output()}")
    client = server.client()
    client.flushall()
    yield client
    client.close()
    client.connection_pool.disconnect()


@pytest.fixture
def raw(server, r):
    c = server.raw()
    yield c
    c.close()


@pytest.fixture
def fresh_server(target):
    """fresh_server(extra_args=(), password=None) starts a server of its own.

    extra_args are given to crescentd and redis-server alike (e.g. ["--requirepass", "x"]);
    password, when given, is what .client() authenticates with."""
    started = []

    def start(extra_args=(), password=None):
        s = ServerProcess(target, extra_args, password=password)
        started.append(s)
        return s.start()

    yield start
    errors = []
    for s in started:
        try:
            s.check_stopped_cleanly()
        except AssertionError as e:
            errors.append(str(e))
    assert not errors, "\n".join(errors)


def run_redis_cli(port, *args, input=None, extra=(), timeout=60, check=False):
    """Run redis-cli against 127.0.0.1:port; returns the CompletedProcess (bytes)."""
    exe = shutil.which("redis-cli")
    if exe is None:
        pytest.skip("redis-cli is not installed")
    cmd = [exe, "-h", HOST, "-p", str(port)] + list(extra) + [str(a) for a in args]
    if isinstance(input, str):
        input = input.encode()
    return subprocess.run(cmd, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, check=check)


@pytest.fixture
def cli(server, r):
    def run(*args, **kw):
        return run_redis_cli(server.port, *args, **kw)
    return run
