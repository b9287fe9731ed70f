"""Configuration end to end: bad YAML files and flags stop start-up at once with a message
that names the file, the line, the key and what is accepted; a good file works and flags
given after it win; CONFIG SET changes behaviour at once; CONFIG REWRITE round-trips
through a restart; `crescentd --help` lists every option with its default; the example
crescent.yaml at the repository's root lists every option and parses. crescent_only."""

import os
import re
import signal
import socket
import subprocess
import time

import pytest

from conftest import HOST, REPO, crescentd_path, free_port
from respclient import Error, RawClient, Status, wait_until

pytestmark = pytest.mark.crescent_only

EXAMPLE = os.path.join(REPO, "crescent.yaml")
QUICK = 5.0   # seconds; QUICK * 3 tells a start-up that hangs from one that refuses


class Daemon:
    """A crescentd started with exactly the arguments given (no defaults added)."""

    def __init__(self, args, port, cwd):
        self.args = [crescentd_path()] + [str(a) for a in args]
        self.port = port
        self.cwd = cwd
        self.proc = None
        self.log = os.path.join(cwd, f"crescentd-{port}-{time.monotonic_ns()}.log")

    def output(self):
        try:
            with open(self.log, "rb") as f:
                return f.read()[-6000:].decode("utf-8", "replace")
        except OSError:
            return ""

    def start(self):
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(self.args, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.cwd)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"crescentd exited with {self.proc.returncode}: {self.args}\n{self.output()}")
            try:
                with RawClient(HOST, self.port, timeout=1) as c:
                    if c.cmd("PING") == "PONG":
                        return self
            except OSError:
                pass
            time.sleep(0.02)
        pytest.fail(f"crescentd did not answer on port {self.port}: {self.args}\n{self.output()}")

    def raw(self):
        return RawClient(HOST, self.port, timeout=10)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            return None


@pytest.fixture
def daemons(tmp_path):
    """daemons(args, port) -> a started Daemon; each is stopped (and must exit 0) at the end."""
    started = []

    def start(args, port):
        d = Daemon(args, port, str(tmp_path))
        started.append(d)
        return d.start()

    yield start
    codes = [(d.args, d.stop(), d.output()) for d in started]
    bad = [c for c in codes if c[1] not in (0,)]
    assert not bad, f"crescentd did not exit 0 on SIGTERM: {bad}"


def fails_to_start(args, cwd):
    """Runs crescentd with a bad configuration: it must exit non-zero by itself (the
    timeout only tells a hang from a refusal). Returns the text it printed."""
    try:
        p = subprocess.run([crescentd_path()] + [str(a) for a in args], cwd=cwd,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=QUICK * 3)
    except subprocess.TimeoutExpired:
        pytest.fail(f"crescentd {args} did not stop: a bad configuration must fail start-up")
    assert p.returncode != 0, f"crescentd {args} started with a bad configuration"
    return (p.stdout + p.stderr).decode("utf-8", "replace")


def base_flags(port, tmp_path):
    return ["--port", port, "--dir", tmp_path / "data", "--metrics-port", "0",
            "--persistence", "off", "--io-threads", "2", "--maxmemory", "64MB"]


# -- bad configurations -----------------------------------------------------------------

# (file contents, line of the mistake, key, what the message must say is accepted)
BAD_YAML = {
    "bad type": ("port: abc\n", 1, "port", ["integer"]),
    "out of range": ("# a comment\nbind: 127.0.0.1\nport: 70000\n", 3, "port",
                     ["between 0 and 65535"]),
    "bad enum": ("port: 7000\npersistence: sometimes\n", 2, "persistence",
                 ["one of the following: off, async, sync"]),
    "bad size": ("maxmemory: lots\n", 1, "maxmemory", ["4GB", "512MiB", "1048576"]),
    "bad duration": ("\n\nlease-ttl: forever\n", 3, "lease-ttl", ["500ms", "10s", "30min"]),
    "bad bool": ("huge-pages: maybe\n", 1, "huge-pages", ["'yes' or 'no'"]),
    "bad double": ("eviction-ratio: most\n", 1, "eviction-ratio", ["number"]),
    "double out of range": ("eviction-high-watermark: 1.5\n", 1, "eviction-high-watermark",
                            ["between 0.05 and 1"]),
    "not a single value": ("port: 7000\nbind: [a, b]\n", 2, "bind", ["a single value"]),
    "file names a file": ("config: other.yaml\n", 1, "config", ["cannot name another"]),
}


@pytest.mark.parametrize("case", sorted(BAD_YAML))
def test_bad_yaml_value_fails_startup_naming_file_line_key(case, tmp_path):
    text, line, key, accepted = BAD_YAML[case]
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    out = fails_to_start(["--config", path, "--metrics-port", "0"], tmp_path)
    assert f"{path}:{line}:" in out, out
    assert f"'{key}'" in out, out
    for words in accepted:
        assert words in out, out


def test_unknown_yaml_key_fails_startup(tmp_path):
    path = tmp_path / "unknown.yaml"
    path.write_text("port: 7000\nmaxmemroy: 1GB\n")
    out = fails_to_start(["--config", path, "--metrics-port", "0"], tmp_path)
    assert f"{path}:2:" in out and "'maxmemroy'" in out and "unknown option" in out, out


def test_unknown_yaml_key_message_points_at_the_accepted_options(tmp_path):
    path = tmp_path / "unknown.yaml"
    path.write_text("maxmemroy: 1GB\n")
    out = fails_to_start(["--config", path, "--metrics-port", "0"], tmp_path)
    assert "--help" in out or "maxmemory" in out, out


@pytest.mark.parametrize("text,line", [
    ("port: 7000\nmaxclients: 5\nbind: [a, b\n", None),   # unterminated flow sequence
    ("port: 7000\n  maxclients: 5\n", 2),                # bad indentation
    ("port: 7000\nmaxclients: 5\n- item\n", 3),           # a sequence inside a map
    ("port: 7000\nbind: \"a\" b\n", 2),                    # text after a quoted scalar
    ("port: 7000\nmaxclients: 5\nfoo: bar: baz\n", 3),    # a map value where none may be
    ("port: 7000\n\tmaxclients: 5\n", 2),                # a tab as indentation
])
def test_yaml_syntax_error_names_file_and_line(text, line, tmp_path):
    path = tmp_path / "syntax.yaml"
    path.write_text(text)
    out = fails_to_start(["--config", path, "--metrics-port", "0"], tmp_path)
    m = re.search(re.escape(str(path)) + r":(\d+): ", out)
    assert m, out
    n = int(m.group(1))
    if line is not None:
        assert n == line, out
    else:
        assert 2 <= n <= text.count("\n") + 1, out


def test_yaml_that_is_not_a_map_fails(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- port\n- 7000\n")
    out = fails_to_start(["--config", path, "--metrics-port", "0"], tmp_path)
    assert f"{path}:1:" in out and "map" in out, out


def test_missing_config_file_fails(tmp_path):
    path = tmp_path / "nowhere" / "crescent.yaml"
    out = fails_to_start(["--config", path, "--metrics-port", "0"], tmp_path)
    assert str(path) in out and "cannot open" in out, out


@pytest.mark.parametrize("args,expected", [
    (["--no-such-flag", "1"], ["--no-such-flag", "crescentd --help lists every option"]),
    (["--port", "xyz"], ["--port", "'xyz'", "integer"]),
    (["--port", "65536"], ["--port", "between 0 and 65535"]),
    (["--persistence", "never"], ["--persistence", "off, async, sync"]),
    (["--maxmemory", "huge"], ["--maxmemory", "4GB"]),
    (["--lease-ttl", "-5s"], ["--lease-ttl", "10s"]),
    (["--maxclients", "0"], ["--maxclients", "between 1 and"]),
    (["--port"], ["port", "missing"]),
])
def test_bad_command_line_fails_startup(args, expected, tmp_path):
    out = fails_to_start(["--metrics-port", "0"] + args, tmp_path)
    for words in expected:
        assert words in out, out


def test_bad_flag_after_good_file_still_fails(tmp_path):
    path = tmp_path / "good.yaml"
    path.write_text("maxclients: 50\n")
    out = fails_to_start(["--config", path, "--maxclients", "none", "--metrics-port", "0"], tmp_path)
    assert "--maxclients" in out and "'none'" in out, out


# -- good configurations ----------------------------------------------------------------

def test_good_yaml_is_used_and_flags_after_it_win(daemons, tmp_path):
    file_port, flag_port = free_port(), free_port()
    path = tmp_path / "good.yaml"
    path.write_text(
        "# a good file\n"
        f"port: {file_port}\n"
        "bind: 127.0.0.1\n"
        "maxclients: 123\n"
        "lease-ttl: 3s\n"
        "eviction-policy: LFU\n"
        "maxmemory: 32MB\n"
        "io-threads: 2\n"
        "persistence: off\n"
        "metrics-port: 0\n"
        f"dir: \"{tmp_path / 'data'}\"\n"
        "proto-max-bulk-len: 2MB\n")
    d = daemons(["--config", path, "--port", flag_port, "--maxclients", "456"], flag_port)
    with d.raw() as c:
        conf = dict(zip(*[iter(c.cmd("CONFIG", "GET", "*"))] * 2))
    assert conf[b"port"] == str(flag_port).encode()           # the flag won
    assert conf[b"maxclients"] == b"456"                      # the flag won
    assert conf[b"lease-ttl"] == b"3s"                        # from the file
    assert conf[b"eviction-policy"] == b"lfu"
    assert conf[b"maxmemory"] == str(32 << 20).encode()
    assert conf[b"proto-max-bulk-len"] == str(2 << 20).encode()
    assert conf[b"config"] == str(path).encode()
    with pytest.raises(OSError):
        socket.create_connection((HOST, file_port), timeout=1).close()
    with d.raw() as c:
        info = c.cmd("INFO", "memory").decode()
        assert f"maxmemory:{32 << 20}\r\n" in info and "maxmemory_policy:lfu" in info


def test_config_set_maxclients_applies_at_once(daemons, tmp_path):
    port = free_port()
    d = daemons(base_flags(port, tmp_path), port)
    first = d.raw()
    second = d.raw()
    assert first.cmd("PING") == "PONG" and second.cmd("PING") == "PONG"
    assert first.cmd("CONFIG", "SET", "maxclients", "2") == Status("OK")
    third = d.raw()
    assert third.read_reply() == Error("ERR max number of clients reached")
    assert third.is_closed(timeout=5)
    assert first.cmd("CONFIG", "SET", "maxclients", "10") == Status("OK")
    with d.raw() as fourth:
        assert fourth.cmd("PING") == "PONG"
    first.close()
    second.close()


def test_config_set_lease_ttl_applies_at_once(daemons, tmp_path):
    port = free_port()
    d = daemons(base_flags(port, tmp_path), port)
    with d.raw() as c:
        assert c.cmd("PUT", "a", "v") == Status("OK")
        assert c.cmd("GET", "a") == b"v"            # a 10 s lease (the default)
        assert c.cmd("REMOVE", "a") == Error("OBJECT_HAS_LEASE the object is leased; use FORCE to remove it")
        assert c.cmd("CONFIG", "SET", "lease-ttl", "200ms") == Status("OK")
        assert c.cmd("PUT", "b", "v") == Status("OK")
        assert c.cmd("GET", "b") == b"v"            # a 200 ms lease
        assert c.cmd("REMOVE", "b") == Error("OBJECT_HAS_LEASE the object is leased; use FORCE to remove it")
        assert wait_until(lambda: c.cmd("REMOVE", "b") == 1, timeout=3)
        assert c.cmd("REMOVE", "a") == Error("OBJECT_HAS_LEASE the object is leased; use FORCE to remove it")
        assert c.cmd("CONFIG", "SET", "lease-ttl", "0") == Status("OK")
        assert c.cmd("PUT", "c", "v") == Status("OK")
        assert c.cmd("GET", "c") == b"v"            # no lease at all
        assert c.cmd("REMOVE", "c") == 1


def test_config_set_proto_max_bulk_len_applies_at_once(daemons, tmp_path):
    port = free_port()
    d = daemons(base_flags(port, tmp_path), port)
    big = b"x" * ((1 << 20) + 1)
    with d.raw() as c:
        assert c.cmd("SET", "k", big) == Status("OK")
        assert c.cmd("CONFIG", "SET", "proto-max-bulk-len", "1mb") == Status("OK")
        assert c.cmd("CONFIG", "GET", "proto-max-bulk-len") == [b"proto-max-bulk-len", b"1048576"]
        assert c.cmd("SET", "k", big[:-1]) == Status("OK")   # exactly the limit
    with d.raw() as c:
        c.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n")
        assert c.read_reply() == Error("ERR Protocol error: invalid bulk length")
        assert c.is_closed(timeout=5)
    with d.raw() as c:
        assert c.cmd("CONFIG", "SET", "proto-max-bulk-len", "512mb") == Status("OK")
        assert c.cmd("SET", "k", big) == Status("OK")


def test_config_rewrite_round_trips_through_a_restart(daemons, tmp_path):
    port = free_port()
    path = tmp_path / "rewrite.yaml"
    path.write_text(
        f"port: {port}\n"
        f"dir: \"{tmp_path / 'data'}\"\n"
        "metrics-port: 0\n"
        "persistence: off\n"
        "io-threads: 2\n"
        "maxmemory: 64MB\n"
        "maxclients: 100\n")
    d = daemons(["--config", path], port)
    with d.raw() as c:
        assert c.cmd("CONFIG", "SET", "maxclients", "321", "lease-ttl", "7s") == Status("OK")
        assert c.cmd("CONFIG", "SET", "eviction-policy", "ttl") == Status("OK")
        assert c.cmd("CONFIG", "REWRITE") == Status("OK")
    text = path.read_text()
    assert "maxclients" in text and "321" in text, text
    assert d.stop() == 0
    d2 = daemons(["--config", path], port)   # the same file, nothing else
    with d2.raw() as c:
        conf = dict(zip(*[iter(c.cmd("CONFIG", "GET", "*"))] * 2))
    assert conf[b"maxclients"] == b"321"
    assert conf[b"lease-ttl"] == b"7s"
    assert conf[b"eviction-policy"] == b"ttl"
    assert conf[b"maxmemory"] == str(64 << 20).encode()      # kept from the original file
    assert conf[b"persistence"] == b"off" and conf[b"port"] == str(port).encode()


# -- --help and the example file ----------------------------------------------------------

def help_defaults():
    """{option: default or None} from `crescentd --help`."""
    p = subprocess.run([crescentd_path(), "--help"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=10)
    assert p.returncode == 0
    entries = {}
    current = None
    for line in p.stdout.decode().splitlines():
        m = re.match(r"^\s+(?:-\w \[ )?--([a-z0-9-]+)(?: \])?(?: arg)?\s*(.*)$", line)
        if m:
            current = m.group(1)
            entries[current] = m.group(2)
        elif current and line.startswith(" "):
            entries[current] += " " + line.strip()
    out = {}
    for name, text in entries.items():
        m = re.search(r"\[default:\s*([^\]]*?)\s*\]", text)
        out[name] = m.group(1) if m else None
    return out


SIZE_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "kib": 1024, "m": 1000 ** 2,
              "mb": 1024 ** 2, "mib": 1024 ** 2, "g": 1000 ** 3, "gb": 1024 ** 3,
              "gib": 1024 ** 3}
DURATION_UNITS = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}


def same_value(a, b):
    """Whether two option values say the same thing: 1GB == 1073741824, 0.90 == 0.9,
    10s == 10000ms, yes == yes."""
    if a.lower() == b.lower():
        return True

    def number(v):
        m = re.fullmatch(r"(-?[0-9.]+)([a-z]*)", v.lower())
        if not m:
            return None
        n, unit = float(m.group(1)), m.group(2)
        if unit in SIZE_UNITS:
            return n * SIZE_UNITS[unit]
        if unit in DURATION_UNITS:
            return n * DURATION_UNITS[unit]
        return None
    na, nb = number(a), number(b)
    return na is not None and na == nb


def test_help_lists_every_option_with_its_default(daemons, tmp_path):
    helped = help_defaults()
    port = free_port()
    overridden = {"port", "dir", "metrics-port"}
    d = daemons(["--port", port, "--dir", tmp_path / "data", "--metrics-port", "0"], port)
    with d.raw() as c:
        conf = {k.decode(): v.decode() for k, v in zip(*[iter(c.cmd("CONFIG", "GET", "*"))] * 2)}
    assert len(conf) >= 30
    missing = sorted(set(conf) - set(helped))
    assert not missing, f"options not in --help: {missing}"
    extra = sorted(set(helped) - set(conf) - {"help", "version"})
    assert not extra, f"--help lists options CONFIG GET does not know: {extra}"
    for name, value in conf.items():
        if name in overridden:
            assert helped[name] is not None, name
            continue
        if value == "":
            assert helped[name] is None, (name, helped[name])
        else:
            assert helped[name] is not None, f"--help shows no default for {name} ({value})"
            assert same_value(helped[name], value), (name, helped[name], value)


def example_entries():
    """[(key, value, comment lines above it)] of the example file, and the keys that appear
    only commented out ("# key: ..." right after a blank line or at a paragraph start)."""
    entries, commented = [], []
    comments = []
    with open(EXAMPLE) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                comments = []
                continue
            if line.startswith("#"):
                m = re.match(r"^# ([a-z][a-z0-9-]*): ", line)
                if m and not comments:
                    commented.append(m.group(1))
                comments.append(line)
                continue
            m = re.match(r"^([a-z][a-z0-9-]*): (.*)$", line)
            assert m, f"unexpected line in crescent.yaml: {line!r}"
            value = m.group(2).strip()
            if value.startswith('"') and value.endswith('"'):
                value = value[1:-1]
            entries.append((m.group(1), value, comments))
            comments = []
    return entries, commented


def test_example_file_lists_every_option_and_parses(daemons, tmp_path):
    entries, commented = example_entries()
    keys = [k for k, _, _ in entries]
    assert len(keys) == len(set(keys)), "a key appears twice in crescent.yaml"
    for key, _, comments in entries:
        assert comments, f"crescent.yaml: {key} has no line of explanation above it"
    port = free_port()
    overridden = {"port": str(port), "dir": str(tmp_path / "data"), "metrics-port": "0"}
    d = daemons(["--config", EXAMPLE, "--port", port, "--dir", tmp_path / "data",
                 "--metrics-port", "0"], port)
    with d.raw() as c:
        conf = {k.decode(): v.decode() for k, v in zip(*[iter(c.cmd("CONFIG", "GET", "*"))] * 2)}
        # "runtime" in an option's explanation means CONFIG SET may change it
        for key, value, comments in entries:
            reply = c.cmd("CONFIG", "SET", key, conf[key])
            documented = any("runtime" in line for line in comments)
            if documented:
                assert reply == Status("OK"), (key, reply)
            else:
                assert isinstance(reply, Error) and "immutable" in reply.message, (key, reply)
    listed = set(keys) | set(commented)
    assert listed == set(conf), (f"missing from crescent.yaml: {sorted(set(conf) - listed)}; "
                                 f"unknown: {sorted(listed - set(conf))}")
    assert commented == ["config"]
    helped = help_defaults()
    for key, value, _ in entries:
        expected = overridden.get(key, value)
        assert same_value(conf[key], expected), (key, conf[key], expected)
        # and the value in the file is the default
        default = helped[key]
        assert (value == "" and default is None) or (default is not None and same_value(value, default)), \
            (key, value, default)


# -- options of features not there yet ------------------------------------------------

@pytest.mark.parametrize("option", ["cluster-config", "node-name"])
def test_cluster_options_are_refused_on_the_command_line(option, tmp_path):
    out = fails_to_start(["--metrics-port", "0", f"--{option}", "cluster.yaml"], tmp_path)
    assert f"--{option}" in out, out
    assert "cluster mode is not available yet" in out, out


@pytest.mark.parametrize("option", ["cluster-config", "node-name"])
def test_cluster_options_are_refused_in_the_file(option, tmp_path):
    path = tmp_path / "cluster.yaml"
    path.write_text(f"port: 7000\n{option}: somewhere\n")
    out = fails_to_start(["--config", path, "--metrics-port", "0"], tmp_path)
    assert f"{path}:2: key '{option}'" in out, out
    assert "cluster mode is not available yet" in out, out


def test_cluster_options_left_empty_are_accepted(daemons, tmp_path):
    port = free_port()
    d = daemons(base_flags(port, tmp_path) + ["--cluster-config", "", "--node-name", ""], port)
    with d.raw() as c:
        assert c.cmd("CONFIG", "GET", "cluster-config") == [b"cluster-config", b""]
