"""Real clients, unchanged: redis-cli (one-shot, RESP3, stdin, --pipe), redis-benchmark,
and a small hiredis C program (hiredis_client.c)."""

import os
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def out(proc):
    return proc.stdout.decode()


# -- redis-cli ----------------------------------------------------------------------

def test_cli_one_shot(cli, r):
    p = cli("set", "a", "b")
    assert p.returncode == 0, p.stderr
    assert out(p) == "OK\n"
    p = cli("get", "a")
    assert out(p) == "b\n"
    assert r.get("a") == b"b"


def test_cli_one_shot_types(cli, r):
    r.set("n", 5)
    assert out(cli("incr", "n")) == "6\n"
    assert out(cli("get", "missing")) == "\n"                  # nil prints as an empty line
    assert out(cli("--no-raw", "get", "missing")) == "(nil)\n"
    assert out(cli("--no-raw", "incr", "n")) == "(integer) 7\n"
    assert out(cli("--no-raw", "get", "n")) == '"7"\n'
    r.mset({"x": 1, "y": 2})
    assert out(cli("mget", "x", "missing", "y")) == "1\n\n2\n"


def test_cli_error_reply(cli):
    # in raw mode (stdout not a tty) redis-cli prints an error followed by an empty line
    p = cli("get")
    assert out(p) == "ERR wrong number of arguments for 'get' command\n\n"
    p = cli("nosuchcommand", "a")
    assert out(p) == "ERR unknown command 'nosuchcommand', with args beginning with: 'a' \n\n"
    p = cli("--no-raw", "get")
    assert out(p) == "(error) ERR wrong number of arguments for 'get' command\n"


def test_cli_resp3_hello_and_get(cli, r):
    r.set("k", "v")
    p = cli("-3", "--no-raw", "hello", "3")
    assert p.returncode == 0, p.stderr
    lines = out(p).splitlines()
    keys = [line.split(" => ")[0].split("# ", 1)[1] for line in lines]
    assert keys == ['"server"', '"version"', '"proto"', '"id"', '"mode"', '"role"', '"modules"']
    assert '3# "proto" => (integer) 3' in lines
    assert out(cli("-3", "get", "k")) == "v\n"
    assert out(cli("-3", "--no-raw", "get", "missing")) == "(nil)\n"
    p = cli("-3", "--no-raw", "config", "get", "maxmemory")
    assert out(p) == '1# "maxmemory" => "268435456"\n'


def test_cli_stdin_commands(cli, r):
    p = cli(input="set x 1\nget x\nincr x\nget missing\n")
    assert p.returncode == 0, p.stderr
    assert out(p) == "OK\n1\n2\n\n"
    assert r.get("x") == b"2"


def test_cli_stdin_quoted(cli, r):
    p = cli(input='set "key with space" "value with \\"quotes\\""\nget "key with space"\n')
    assert out(p) == 'OK\nvalue with "quotes"\n'
    assert r.get("key with space") == b'value with "quotes"'


def test_cli_pipe_100000(cli, r):
    n = 100_000
    data = b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$%d\r\nval:%d\r\n"
                    % (len(b"key:%d" % i), i, len(b"val:%d" % i), i) for i in range(n))
    p = cli("--pipe", input=data, timeout=60)
    text = out(p) + p.stderr.decode()
    assert p.returncode == 0, text
    assert "errors: 0, replies: 100000" in text, text
    assert r.dbsize() == n
    assert r.get("key:0") == b"val:0"
    assert r.get("key:99999") == b"val:99999"


def test_cli_pipe_reports_errors(cli, r):
    data = (b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
            b"*1\r\n$3\r\nGET\r\n"                       # wrong arity
            b"*2\r\n$4\r\nINCR\r\n$1\r\na\r\n")
    p = cli("--pipe", input=data)
    text = out(p) + p.stderr.decode()
    assert "errors: 1, replies: 3" in text, text
    assert r.get("a") == b"2"


# -- redis-benchmark ------------------------------------------------------------------

def _benchmark(server, *args):
    exe = shutil.which("redis-benchmark")
    if exe is None:
        pytest.skip("redis-benchmark is not installed")
    return subprocess.run([exe, "-h", server.host, "-p", str(server.port)] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)


def _benchmark_lines(proc):
    # -q prints progress lines ending in \r and one final line per test
    text = proc.stdout.decode().replace("\r", "\n")
    return [ln.strip() for ln in text.split("\n") if "requests per second" in ln]


def test_redis_benchmark(server, r):
    # redis-benchmark 7.0 has no "mget" test: -t ignores the name (MGET is run below)
    p = _benchmark(server, "-t", "ping,set,get,incr,mset,mget", "-n", "2000", "-q")
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()
    assert b"rror" not in p.stdout + p.stderr, p.stdout.decode() + p.stderr.decode()
    names = [ln.split(":")[0] for ln in _benchmark_lines(p)]
    assert names == ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET (10 keys)"], names
    # redis-benchmark's INCR hits key "counter:__rand_int__" without -r: one key, 2000 times
    assert r.get("counter:__rand_int__") == b"2000"


def test_redis_benchmark_mget_and_pipelined(server, r):
    r.mset({"b1": "x", "b2": "y"})
    p = _benchmark(server, "-n", "2000", "-q", "mget", "b1", "b2", "b3")
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()
    assert [ln.split(":")[0] for ln in _benchmark_lines(p)] == ["mget b1 b2 b3"]
    p = _benchmark(server, "-t", "set,get", "-n", "20000", "-P", "16", "-c", "8", "-r", "1000", "-q")
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()
    assert [ln.split(":")[0] for ln in _benchmark_lines(p)] == ["SET", "GET"]
    assert 0 < r.dbsize() <= 1003


def test_redis_benchmark_large_values(server, r):
    p = _benchmark(server, "-t", "set,get", "-n", "200", "-d", "100000", "-q")
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()
    assert r.strlen("key:__rand_int__") == 100000


# -- hiredis ----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def hiredis_client(tmp_path_factory):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler (cc) to build the hiredis client")
    if not os.path.exists("/usr/include/hiredis/hiredis.h"):
        pytest.skip("hiredis headers not installed (libhiredis-dev)")
    exe = tmp_path_factory.mktemp("hiredis") / "hiredis_client"
    p = subprocess.run([cc, "-O1", "-Wall", "-o", str(exe), os.path.join(HERE, "hiredis_client.c"),
                        "-lhiredis"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    assert p.returncode == 0, "compiling hiredis_client.c failed:\n" + p.stdout.decode()
    return str(exe)


def test_hiredis_client(server, r, hiredis_client):
    p = subprocess.run([hiredis_client, server.host, str(server.port)], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    lines = out(p).splitlines()
    assert p.returncode == 0, out(p) + p.stderr.decode()
    assert lines == [
        "ping status:PONG",
        "set status:OK",
        "get string:hello",
        "get-missing nil",
        "set-binary status:OK",
        "get-binary len:5 match:1",
        "incr1 integer:1",
        "incr2 integer:2",
        "incrby integer:42",
        "incr-error error:ERR value is not an integer or out of range",
        "mset status:OK",
        "mget array:3 one nil two",
        "pipelined-appends ok:1",
        "strlen integer:2000",
        "set-large status:OK",
        "get-large len:4194304 match:1",
        "error error:ERR wrong number of arguments for 'get' command",
        "del integer:2",
        "done",
    ]
    # what hiredis wrote is what the server holds
    assert r.get(b"bin\x00key") == b"v\x00\r\nx"
    assert r.strlen("hbig") == 4 << 20
