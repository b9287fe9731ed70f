"""TLS: a second listener on tls-port (Asio's ssl::stream over the same connection code),
server certificate and key from tls-cert-file / tls-key-file, and client certificates
required when tls-ca-cert-file is set. The certificates are made with the openssl
command line for each test session."""

import os
import shutil
import socket
import ssl
import subprocess
import time

import pytest
import redis

from conftest import HOST, crescentd_path, free_port, run_redis_cli

pytestmark = pytest.mark.crescent_only

HANDSHAKE_TIMEOUT = 10  # Connection::kHandshakeTimeout


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    """A CA, a server certificate for 127.0.0.1 and a client certificate, all PEM."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    d = tmp_path_factory.mktemp("tls")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.pem", "-days", "2", "-subj", "/CN=Crescent test CA", cwd=d)
    (d / "server.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    for name, cn in (("server", "127.0.0.1"), ("client", "crescent test client")):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
                f"{name}.csr", "-subj", f"/CN={cn}", cwd=d)
        extra = ["-extfile", "server.ext"] if name == "server" else []
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", *extra, cwd=d)
    return {name: str(d / name) for name in
            ("ca.pem", "server.pem", "server.key", "client.pem", "client.key")}


def tls_args(certs, port, ca=False):
    args = ["--tls-port", str(port), "--tls-cert-file", certs["server.pem"],
            "--tls-key-file", certs["server.key"]]
    if ca:
        args += ["--tls-ca-cert-file", certs["ca.pem"]]
    return args


@pytest.fixture
def tls_server(fresh_server, certs):
    port = free_port()
    s = fresh_server(tls_args(certs, port))
    s.tls_port = port
    return s


def tls_client(server, certs, **kw):
    kw.setdefault("socket_timeout", 30)
    return redis.Redis(host=HOST, port=server.tls_port, ssl=True, ssl_ca_certs=certs["ca.pem"],
                       **kw)


def redis_cli_has_tls():
    exe = shutil.which("redis-cli")
    if exe is None:
        return False
    p = subprocess.run([exe, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return b"--tls" in p.stdout


def test_redis_cli_over_tls(tls_server, certs):
    if not redis_cli_has_tls():
        pytest.skip("redis-cli is missing or built without TLS")
    tls = ["--tls", "--cacert", certs["ca.pem"]]
    p = run_redis_cli(tls_server.tls_port, "ping", extra=tls)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == b"PONG"
    p = run_redis_cli(tls_server.tls_port, "set", "k", "v", extra=tls)
    assert p.stdout.strip() == b"OK"
    # the plain-text port serves the same store
    assert run_redis_cli(tls_server.port, "get", "k").stdout.strip() == b"v"


def test_large_values_and_pipelines_over_tls(tls_server, certs):
    c = tls_client(tls_server, certs)
    big = os.urandom(1 << 20)  # read straight into the store (MaybeReceiveDirect)
    assert c.set("big", big) is True
    assert c.get("big") == big
    huge = os.urandom(8 << 20)
    assert c.set("huge", huge) is True
    assert c.get("huge") == huge
    p = c.pipeline(transaction=False)
    for i in range(2000):
        p.set(f"k{i}", i)
        p.get(f"k{i}")
    replies = p.execute()
    assert replies[0::2] == [True] * 2000
    assert replies[1::2] == [str(i).encode() for i in range(2000)]
    assert tls_server.client().get("big") == big  # the same data through the plain port
    c.close()


def test_hiredis_over_tls():
    if not os.path.exists("/usr/include/hiredis/hiredis_ssl.h"):
        pytest.skip("Debian 12's libhiredis-dev (0.14) is built without hiredis_ssl: "
                    "a hiredis TLS client cannot be built here")
    pytest.skip("hiredis TLS client not written yet")


def test_client_certificate_required(fresh_server, certs):
    port = free_port()
    s = fresh_server(tls_args(certs, port, ca=True))
    s.tls_port = port
    # without a certificate: refused (TLS 1.3 reports it on the first read)
    with pytest.raises((redis.exceptions.ConnectionError, ssl.SSLError, OSError)):
        c = tls_client(s, certs, socket_timeout=10)
        c.ping()
    # with one that chains to the CA: served
    c = tls_client(s, certs, ssl_certfile=certs["client.pem"], ssl_keyfile=certs["client.key"])
    assert c.ping() is True
    c.close()
    if redis_cli_has_tls():
        tls = ["--tls", "--cacert", certs["ca.pem"]]
        p = run_redis_cli(port, "ping", extra=tls, timeout=20)
        assert p.stdout.strip() != b"PONG"
        p = run_redis_cli(port, "ping", timeout=20, extra=tls + [
            "--cert", certs["client.pem"], "--key", certs["client.key"]])
        assert p.stdout.strip() == b"PONG", p.stderr
    # the plain-text port does not ask for a certificate
    assert s.client().ping() is True


def test_plain_text_client_on_tls_port_is_dropped(tls_server, certs):
    with socket.create_connection((HOST, tls_server.tls_port), timeout=10) as sock:
        sock.sendall(b"*1\r\n$4\r\nPING\r\n")
        try:
            data = sock.recv(4096)
        except ConnectionResetError:
            data = b""
        # no RESP reply: at most a TLS alert, then the connection is closed
        assert not data.startswith(b"+PONG")
        deadline = time.monotonic() + 10
        while data and time.monotonic() < deadline:
            try:
                data = sock.recv(4096)
            except ConnectionResetError:
                break
        assert not data
    assert tls_server.client().ping() is True
    assert tls_client(tls_server, certs).ping() is True


def test_silent_client_is_dropped_after_handshake_timeout(tls_server):
    with socket.create_connection((HOST, tls_server.tls_port), timeout=HANDSHAKE_TIMEOUT + 10) as sock:
        start = time.monotonic()
        assert sock.recv(4096) == b""  # dropped by the server (recv would time out otherwise)
        elapsed = time.monotonic() - start
    assert elapsed >= HANDSHAKE_TIMEOUT - 1  # not before the handshake timeout


def test_tls_clients_are_listed_and_killed(tls_server, certs):
    c = tls_client(tls_server, certs)
    c.client_setname("tls-one")
    admin = tls_server.client()
    line = [x for x in admin.client_list() if x["name"] == "tls-one"]
    assert len(line) == 1
    assert line[0]["laddr"] == f"{HOST}:{tls_server.tls_port}"
    assert admin.client_kill_filter(_id=line[0]["id"]) == 1
    ids = [x["id"] for x in admin.client_list()]
    assert line[0]["id"] not in ids
    # redis-py notices the closed connection and opens a new one
    assert str(c.client_id()) != line[0]["id"]


def test_maxclients_applies_to_tls(fresh_server, certs):
    port = free_port()
    s = fresh_server(tls_args(certs, port) + ["--maxclients", "1"])
    s.tls_port = port
    c = tls_client(s, certs)
    assert c.ping() is True
    with pytest.raises((redis.exceptions.ConnectionError, ssl.SSLError, OSError)):
        tls_client(s, certs, socket_timeout=10).ping()
    c.close()


def test_shutdown_with_tls_clients_connected(fresh_server, certs):
    port = free_port()
    s = fresh_server(tls_args(certs, port))
    s.tls_port = port
    c = tls_client(s, certs)
    assert c.set("a", "1") is True
    idle = socket.create_connection((HOST, port))  # still in the handshake
    assert s.stop() == 0, s.output()
    idle.close()


def start_failure(args):
    p = subprocess.run([crescentd_path(), "--port", "0", "--persistence", "off",
                        "--metrics-port", "0", "--maxmemory", "64MB"] + args,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
    assert p.returncode != 0
    return p.stdout


def test_bad_files_stop_start_up(certs, tmp_path):
    port = str(free_port())
    missing = str(tmp_path / "missing.pem")
    out = start_failure(["--tls-port", port, "--tls-cert-file", missing,
                         "--tls-key-file", certs["server.key"]])
    assert f"tls-cert-file: '{missing}'" in out and "No such file" in out, out
    out = start_failure(["--tls-port", port, "--tls-cert-file", certs["server.key"],
                         "--tls-key-file", certs["server.key"]])
    assert f"tls-cert-file: '{certs['server.key']}': not a PEM certificate" in out, out
    out = start_failure(["--tls-port", port, "--tls-cert-file", certs["server.pem"],
                         "--tls-key-file", certs["client.key"]])
    assert f"tls-key-file: '{certs['client.key']}': does not match" in out, out
    out = start_failure(["--tls-port", port, "--tls-cert-file", certs["server.pem"],
                         "--tls-key-file", certs["server.key"], "--tls-ca-cert-file", missing])
    assert f"tls-ca-cert-file: '{missing}'" in out, out
    out = start_failure(["--tls-port", port])
    assert "tls-port is set but tls-cert-file is empty" in out, out
