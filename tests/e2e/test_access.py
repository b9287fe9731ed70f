"""Access control: named users with SHA-256 passwords, categories and key patterns,
ACL WHOAMI / LIST, failed attempts, and protected mode (tested from a non-loopback
address inside a private network namespace)."""

import hashlib
import os
import shutil
import subprocess
import textwrap

import pytest

from conftest import crescentd_path
from respclient import Error, Status

pytestmark = pytest.mark.crescent_only


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def acl_server(fresh_server, tmp_path):
    cfg = tmp_path / "users.yaml"
    cfg.write_text(textwrap.dedent(f"""\
        requirepass: rootpw
        users:
          - name: reader
            password-sha256: {sha("r-secret")}
            categories: [read]
          - name: app
            password-sha256: {sha("a-secret")}
            categories: [read, write]
            keys: ["app:*", "shared"]
          - name: ops
            password-sha256: {sha("o-secret")}
            categories: [all]
        """))
    return fresh_server(["--config", str(cfg)])


def test_users_authenticate_with_their_passwords(acl_server):
    with acl_server.raw() as c:
        assert c.cmd("GET", "x") == Error("NOAUTH Authentication required.")
        assert c.cmd("AUTH", "reader", "wrong") == Error(
            "WRONGPASS invalid username-password pair or user is disabled.")
        assert c.cmd("AUTH", "nobody", "r-secret") == Error(
            "WRONGPASS invalid username-password pair or user is disabled.")
        assert c.cmd("AUTH", "reader", "r-secret") == Status("OK")
        assert c.cmd("ACL", "WHOAMI") == b"reader"
    with acl_server.raw() as c:
        assert c.cmd("AUTH", "rootpw") == Status("OK")
        assert c.cmd("ACL", "WHOAMI") == b"default"
    with acl_server.raw() as c:
        reply = c.cmd("HELLO", "3", "AUTH", "app", "a-secret")
        assert reply[b"proto"] == 3
        assert c.cmd("ACL", "WHOAMI") == b"app"


def test_categories_and_key_patterns_are_enforced(acl_server):
    with acl_server.raw() as root:
        root.cmd("AUTH", "rootpw")
        root.cmd("SET", "app:1", "v")
        root.cmd("SET", "other", "o")
    with acl_server.raw() as c:
        c.cmd("AUTH", "reader", "r-secret")
        assert c.cmd("GET", "other") == b"o"
        assert c.cmd("SET", "other", "x") == Error(
            "NOPERM this user has no permissions to run the 'set' command")
        assert c.cmd("CONFIG", "GET", "port") == Error(
            "NOPERM this user has no permissions to run the 'config|get' command")
        assert c.cmd("PING") == "PONG"
    with acl_server.raw() as c:
        c.cmd("AUTH", "app", "a-secret")
        assert c.cmd("SET", "app:2", "v") == Status("OK")
        assert c.cmd("MSET", "app:3", "a", "shared", "b") == Status("OK")
        assert c.cmd("GET", "other") == Error(
            "NOPERM this user has no permissions to access one of the keys used as arguments")
        assert c.cmd("MSET", "app:4", "a", "other", "b") == Error(
            "NOPERM this user has no permissions to access one of the keys used as arguments")
        assert c.cmd("KEYS", "*") == Error(
            "NOPERM this user has no permissions to run the 'keys' command")
        assert c.cmd("FLUSHALL") == Error(
            "NOPERM this user has no permissions to run the 'flushall' command")
    with acl_server.raw() as c:
        c.cmd("AUTH", "ops", "o-secret")
        assert c.cmd("CONFIG", "SET", "maxclients", "500") == Status("OK")
        assert c.cmd("DBSIZE") == 5


def test_acl_list_shows_no_secrets_and_failures_are_counted(acl_server):
    with acl_server.raw() as c:
        c.cmd("AUTH", "app", "wrong")
        c.cmd("AUTH", "ops", "o-secret")
        lines = [x.decode() for x in c.cmd("ACL", "LIST")]
        assert lines[0] == "user default on (password set) ~* +@all"
        assert "user app on (password set) ~app:* ~shared +@read +@write" in lines
        assert "user ops on (password set) ~* +@all" in lines
        text = " ".join(lines)
        for secret in ("r-secret", "a-secret", "o-secret", "rootpw", sha("a-secret")):
            assert secret not in text
        assert sorted(x.decode() for x in c.cmd("ACL", "USERS")) == ["app", "default", "ops", "reader"]
        assert "errorstat_WRONGPASS:count=1" in c.cmd("INFO", "errorstats").decode()
    log = open(acl_server.stderr_path).read()
    assert "authentication failed" in log and "user=app" in log
    assert "wrong" not in log.split("authentication failed")[1].split("\n")[0]


def test_bad_users_section_stops_start_up(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("users:\n  - name: x\n    password-sha256: nothex\n")
    p = subprocess.run([crescentd_path(), "--config", str(cfg), "--port", "0"],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode != 0
    assert f"{cfg}:3: key 'users': password-sha256 must be 64 hex digits" in p.stderr


PROTECTED = textwrap.dedent("""\
    set -e
    ip link set lo up
    # An address outside 127.0.0.0/8 in this private namespace: a client using it is not
    # a loopback client, though its packets never leave the namespace.
    ip addr add 10.77.0.1/32 dev lo
    {binary} --bind 0.0.0.0 --port 6399 --persistence off --metrics-port 0 {extra} \
        >/dev/null 2>&1 &
    pid=$!
    for i in $(seq 1 100); do redis-cli -h 127.0.0.1 -p 6399 ping >/dev/null 2>&1 && break; sleep 0.05; done
    echo "loopback: $(redis-cli -h 127.0.0.1 -p 6399 ping 2>&1)"
    echo "outside: $(redis-cli -h 10.77.0.1 -p 6399 ping 2>&1 | head -c 60)"
    kill $pid
    wait $pid || true
    """)


def run_in_netns(extra):
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        pytest.skip("needs root, unshare and ip for a private network namespace")
    script = PROTECTED.format(binary=crescentd_path(), extra=extra)
    p = subprocess.run(["unshare", "-n", "sh", "-c", script], capture_output=True, text=True, timeout=60)
    if p.returncode != 0 and "Operation not permitted" in p.stderr:
        pytest.skip(f"network namespaces are not permitted here: {p.stderr.strip()}")
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_protected_mode_refuses_non_loopback_clients_without_a_password():
    out = run_in_netns("")
    assert "loopback: PONG" in out
    assert "outside: DENIED Crescent is running in protected mode" in out


def test_protected_mode_lets_clients_in_once_a_password_is_set_or_it_is_off():
    out = run_in_netns("--requirepass pw")
    assert "outside: NOAUTH Authentication required." in out
    out = run_in_netns("--protected-mode no")
    assert "outside: PONG" in out
