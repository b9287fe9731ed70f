"""Connection commands: PING, ECHO, HELLO, AUTH, QUIT, SELECT, CLIENT, unknown commands."""

import re
import select

import pytest

from respclient import NULL, SYNTAX_ERROR, NOT_INTEGER, Error, Map, Status, wrong_args

NOAUTH = Error("NOAUTH Authentication required.")
WRONGPASS = Error("WRONGPASS invalid username-password pair or user is disabled.")
HELLO_FIELDS = [b"server", b"version", b"proto", b"id", b"mode", b"role", b"modules"]


# -- PING / ECHO ------------------------------------------------------------

def test_ping(raw):
    assert raw.cmd("PING") == Status("PONG")
    assert raw.last_raw == b"+PONG\r\n"


def test_ping_with_message_is_bulk(raw):
    assert raw.cmd("PING", "hello world") == b"hello world"
    assert raw.last_raw == b"$11\r\nhello world\r\n"


def test_ping_arity(raw):
    assert raw.cmd("PING", "a", "b") == wrong_args("ping")


def test_ping_redis_py(r):
    assert r.ping() is True


def test_echo(raw):
    assert raw.cmd("ECHO", "hi") == b"hi"
    assert raw.cmd("ECHO", "") == b""
    assert raw.last_raw == b"$0\r\n\r\n"
    assert raw.cmd("ECHO", b"a\x00b\r\nc") == b"a\x00b\r\nc"


@pytest.mark.parametrize("args", [("ECHO",), ("ECHO", "a", "b")])
def test_echo_arity(raw, args):
    assert raw.cmd(*args) == wrong_args("echo")


def test_commands_are_case_insensitive(raw):
    assert raw.cmd("pInG") == "PONG"
    assert raw.cmd("echo", "x") == b"x"
    assert raw.cmd("Set", "k", "v") == "OK"
    assert raw.cmd("gEt", "k") == b"v"


# -- HELLO ------------------------------------------------------------------

def _hello_fields_ok(fields, proto, client_id):
    assert list(fields.keys()) == HELLO_FIELDS
    assert isinstance(fields[b"server"], bytes) and fields[b"server"]
    assert re.fullmatch(rb"\d+\.\d+\.\d+", fields[b"version"]), fields[b"version"]
    assert fields[b"proto"] == proto
    assert fields[b"id"] == client_id
    assert fields[b"mode"] == b"standalone"
    assert fields[b"role"] == b"master"
    assert fields[b"modules"] == []


def test_hello_2_is_flat_array(raw):
    client_id = raw.cmd("CLIENT", "ID")
    reply = raw.cmd("HELLO", "2")
    assert raw.last_raw.startswith(b"*14\r\n")
    assert isinstance(reply, list) and len(reply) == 14
    _hello_fields_ok(dict(zip(reply[::2], reply[1::2])), 2, client_id)


def test_hello_without_version_reports_current_protocol(raw):
    reply = raw.cmd("HELLO")
    assert isinstance(reply, list)
    assert dict(zip(reply[::2], reply[1::2]))[b"proto"] == 2


def test_hello_3_is_map_and_switches_protocol(raw):
    client_id = raw.cmd("CLIENT", "ID")
    reply = raw.cmd("HELLO", "3")
    assert raw.last_raw.startswith(b"%7\r\n")
    assert isinstance(reply, Map)
    _hello_fields_ok(reply, 3, client_id)
    # now speaking RESP3: a miss is the RESP3 null
    assert raw.cmd("GET", "missing") is NULL
    assert raw.last_raw == b"_\r\n"
    # and back to RESP2
    reply = raw.cmd("HELLO", "2")
    assert isinstance(reply, list)
    assert raw.cmd("GET", "missing") is None
    assert raw.last_raw == b"$-1\r\n"


@pytest.mark.parametrize("version", ["4", "1", "0", "-1"])
def test_hello_unsupported_version(raw, version):
    assert raw.cmd("HELLO", version) == Error("NOPROTO unsupported protocol version")
    # the connection stays usable and stays on RESP2
    assert raw.cmd("GET", "missing") is None


def test_hello_version_not_integer(raw):
    assert raw.cmd("HELLO", "abc") == Error("ERR Protocol version is not an integer or out of range")


def test_hello_setname(raw):
    reply = raw.cmd("HELLO", "3", "SETNAME", "myconn")
    assert isinstance(reply, Map)
    assert raw.cmd("CLIENT", "GETNAME") == b"myconn"


def test_hello_syntax_errors(raw):
    assert raw.cmd("HELLO", "3", "FOO") == Error("ERR Syntax error in HELLO option 'FOO'")
    # AUTH needs both a user name and a password
    assert raw.cmd("HELLO", "3", "AUTH", "default") == Error("ERR Syntax error in HELLO option 'AUTH'")
    # a failed HELLO does not switch the protocol
    assert raw.cmd("GET", "missing") is None


# -- QUIT ---------------------------------------------------------------------

def test_quit_replies_ok_then_closes(server, r):
    with server.raw() as c:
        assert c.cmd("QUIT") == Status("OK")
        assert c.is_closed(timeout=5)


def test_quit_after_pipelined_commands(server, r):
    with server.raw() as c:
        c.send(b"*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$1\r\n1\r\n*1\r\n$4\r\nQUIT\r\n*2\r\n$3\r\nGET\r\n$1\r\nq\r\n")
        assert c.read_reply() == "OK"
        assert c.read_reply() == "OK"
        # the GET after QUIT is not executed
        assert c.is_closed(timeout=5)
    assert r.get("q") == b"1"


# -- SELECT -------------------------------------------------------------------

def test_select_0(raw):
    assert raw.cmd("SELECT", "0") == Status("OK")


@pytest.mark.parametrize("index", ["16", "-1", "1000000"])
def test_select_out_of_range(raw, index):
    # Redis has 16 databases by default, Crescent one: both reject these
    assert raw.cmd("SELECT", index) == Error("ERR DB index is out of range")


@pytest.mark.crescent_only
def test_select_1_out_of_range_on_crescent(raw):
    # Crescent has a single database (Redis accepts SELECT 1)
    assert raw.cmd("SELECT", "1") == Error("ERR DB index is out of range")


def test_select_errors(raw):
    assert raw.cmd("SELECT", "abc") == NOT_INTEGER
    assert raw.cmd("SELECT") == wrong_args("select")
    assert raw.cmd("SELECT", "0", "1") == wrong_args("select")


# -- AUTH ---------------------------------------------------------------------

def test_auth_without_password_configured(raw):
    assert raw.cmd("AUTH", "whatever") == Error(
        "ERR AUTH <password> called without any password configured for the default user. "
        "Are you sure your configuration is correct?")


def test_auth_arity(raw):
    assert raw.cmd("AUTH") == wrong_args("auth")
    assert raw.cmd("AUTH", "a", "b", "c") == SYNTAX_ERROR


@pytest.fixture
def auth_server(fresh_server):
    return fresh_server(["--requirepass", "secret"], password="secret")


def test_requirepass_noauth(auth_server):
    with auth_server.raw() as c:
        for args in [("PING",), ("GET", "a"), ("SET", "a", "b"), ("CLIENT", "ID"), ("ECHO", "x"),
                     ("SELECT", "0"), ("COMMAND", "COUNT"), ("DBSIZE",)]:
            assert c.cmd(*args) == NOAUTH, args
        # Redis looks the command up and checks its arity before authentication
        assert c.cmd("NOSUCHCOMMAND") == Error(
            "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: ")
        assert c.cmd("GET") == wrong_args("get")
        assert c.cmd("AUTH") == wrong_args("auth")
        assert c.cmd("AUTH", "a", "b", "c") == SYNTAX_ERROR
        # QUIT works unauthenticated
        assert c.cmd("QUIT") == "OK"
        assert c.is_closed()


def test_requirepass_hello_needs_auth(auth_server):
    with auth_server.raw() as c:
        for v in ("2", "3"):
            assert c.cmd("HELLO", v) == Error(
                "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                "HELLO AUTH <user> <pass> option can be used to authenticate the client and select "
                "the RESP protocol version at the same time")


def test_requirepass_wrongpass(auth_server):
    with auth_server.raw() as c:
        assert c.cmd("AUTH", "wrong") == WRONGPASS
        assert c.cmd("AUTH", "default", "wrong") == WRONGPASS
        assert c.cmd("AUTH", "nosuchuser", "secret") == WRONGPASS
        assert c.cmd("HELLO", "3", "AUTH", "default", "wrong") == WRONGPASS
        assert c.cmd("GET", "a") == NOAUTH


def test_requirepass_auth_ok(auth_server):
    with auth_server.raw() as c:
        assert c.cmd("AUTH", "secret") == Status("OK")
        assert c.cmd("SET", "a", "1") == "OK"
        assert c.cmd("GET", "a") == b"1"
        # a later failed AUTH does not log the connection out
        assert c.cmd("AUTH", "wrong") == WRONGPASS
        assert c.cmd("GET", "a") == b"1"
    with auth_server.raw() as c:
        assert c.cmd("AUTH", "default", "secret") == Status("OK")
        assert c.cmd("GET", "a") == b"1"
    # redis-py authenticates with AUTH <password>
    client = auth_server.client()
    assert client.get("a") == b"1"
    client.close()


def test_requirepass_hello_auth(auth_server):
    with auth_server.raw() as c:
        reply = c.cmd("HELLO", "3", "AUTH", "default", "secret", "SETNAME", "authed")
        assert isinstance(reply, Map) and reply[b"proto"] == 3
        assert c.cmd("GET", "nokey") is NULL
        assert c.cmd("CLIENT", "GETNAME") == b"authed"
    with auth_server.raw() as c:
        reply = c.cmd("HELLO", "2", "AUTH", "default", "secret")
        assert isinstance(reply, list)
        assert c.cmd("PING") == "PONG"


# -- CLIENT -------------------------------------------------------------------

def _client_list_entries(text):
    entries = []
    for line in text.decode().split("\n"):
        if not line:
            continue
        fields = {}
        for part in line.split(" "):
            k, sep, v = part.partition("=")
            assert sep, f"CLIENT LIST field without '=': {part!r} in {line!r}"
            fields[k] = v
        entries.append(fields)
    return entries


def test_client_id(server, raw):
    a = raw.cmd("CLIENT", "ID")
    assert isinstance(a, int) and a > 0
    assert raw.cmd("CLIENT", "ID") == a  # stable for the connection
    with server.raw() as other:
        b = other.cmd("CLIENT", "ID")
    assert isinstance(b, int) and b != a
    assert raw.cmd("CLIENT", "ID", "x") == wrong_args("client|id")


def test_client_ids_increase(server, r):
    ids = []
    for _ in range(3):
        with server.raw() as c:
            ids.append(c.cmd("CLIENT", "ID"))
    assert ids == sorted(ids) and len(set(ids)) == 3


def test_client_setname_getname(raw):
    assert raw.cmd("CLIENT", "GETNAME") is None
    assert raw.last_raw == b"$-1\r\n"
    assert raw.cmd("CLIENT", "SETNAME", "worker-1") == Status("OK")
    assert raw.cmd("CLIENT", "GETNAME") == b"worker-1"
    # an empty name removes the name
    assert raw.cmd("CLIENT", "SETNAME", "") == Status("OK")
    assert raw.cmd("CLIENT", "GETNAME") is None


@pytest.mark.parametrize("name", ["a b", "a\nb", "tab\there"])
def test_client_setname_invalid(raw, name):
    assert raw.cmd("CLIENT", "SETNAME", name) == Error(
        "ERR Client names cannot contain spaces, newlines or special characters.")


def test_client_setname_getname_arity(raw):
    assert raw.cmd("CLIENT", "SETNAME") == wrong_args("client|setname")
    assert raw.cmd("CLIENT", "SETNAME", "a", "b") == wrong_args("client|setname")
    assert raw.cmd("CLIENT", "GETNAME", "x") == wrong_args("client|getname")


def test_client_list_fields(server, raw):
    my_id = raw.cmd("CLIENT", "ID")
    raw.cmd("CLIENT", "SETNAME", "lister")
    with server.raw() as other:
        other_id = other.cmd("CLIENT", "ID")
        text = raw.cmd("CLIENT", "LIST")
        assert isinstance(text, bytes) and text.endswith(b"\n")
        entries = {int(e["id"]): e for e in _client_list_entries(text)}
        assert my_id in entries and other_id in entries
        mine = entries[my_id]
        host, port = raw.sock.getsockname()
        assert mine["addr"] == f"{host}:{port}"
        assert mine["name"] == "lister"
        assert entries[other_id]["name"] == ""
        ohost, oport = other.sock.getsockname()
        assert entries[other_id]["addr"] == f"{ohost}:{oport}"


def test_client_list_redis_py(server, r):
    r.client_setname("pyclient")
    clients = r.client_list()
    assert any(c["name"] == "pyclient" for c in clients)
    assert all("id" in c and "addr" in c for c in clients)


def test_client_kill_by_id(server, raw):
    victim = server.raw()
    victim_id = victim.cmd("CLIENT", "ID")
    assert raw.cmd("CLIENT", "KILL", "ID", str(victim_id)) == 1
    assert victim.is_closed(timeout=5)
    victim.close()
    # already gone
    assert raw.cmd("CLIENT", "KILL", "ID", str(victim_id)) == 0
    # the killer is unaffected
    assert raw.cmd("PING") == "PONG"


def test_client_kill_has_disconnected_the_victim_when_it_replies(server, raw):
    # As with Redis: by the time the killer reads its reply the victim's connection has
    # ended, so a client that sends on it next finds it closed (redis-py then reconnects)
    # instead of losing that request to a close that comes later. Repeated, because the
    # old asynchronous close was late only now and then.
    for _ in range(200):
        victim = server.raw()
        victim_id = victim.cmd("CLIENT", "ID")
        assert raw.cmd("CLIENT", "KILL", "ID", str(victim_id)) == 1
        readable, _, _ = select.select([victim.sock], [], [], 0)
        assert readable == [victim.sock]
        assert victim.is_closed(timeout=5)
        victim.close()


def test_client_kill_by_addr(server, raw):
    victim = server.raw()
    assert victim.cmd("PING") == "PONG"   # the server has surely accepted the connection
    host, port = victim.sock.getsockname()
    assert raw.cmd("CLIENT", "KILL", "ADDR", f"{host}:{port}") == 1
    assert victim.is_closed(timeout=5)
    victim.close()
    assert raw.cmd("CLIENT", "KILL", "ADDR", f"{host}:{port}") == 0


def test_client_kill_old_form(server, raw):
    victim = server.raw()
    assert victim.cmd("PING") == "PONG"   # the server has surely accepted the connection
    host, port = victim.sock.getsockname()
    assert raw.cmd("CLIENT", "KILL", f"{host}:{port}") == Status("OK")
    assert victim.is_closed(timeout=5)
    victim.close()
    assert raw.cmd("CLIENT", "KILL", f"{host}:{port}") == Error("ERR No such client")


def test_client_kill_skips_self_by_default(raw):
    my_id = raw.cmd("CLIENT", "ID")
    assert raw.cmd("CLIENT", "KILL", "ID", str(my_id)) == 0
    assert raw.cmd("PING") == "PONG"


def test_client_kill_errors(raw):
    assert raw.cmd("CLIENT", "KILL") == wrong_args("client|kill")
    assert raw.cmd("CLIENT", "KILL", "ID", "abc") == Error("ERR client-id should be greater than 0")
    assert raw.cmd("CLIENT", "KILL", "FOO", "bar") == SYNTAX_ERROR
    assert raw.cmd("CLIENT", "KILL", "1.2.3.4:5") == Error("ERR No such client")


def test_client_arity_and_unknown_subcommand(raw):
    assert raw.cmd("CLIENT") == wrong_args("client")
    assert raw.cmd("CLIENT", "foo") == Error("ERR unknown subcommand 'foo'. Try CLIENT HELP.")
    assert raw.cmd("CLIENT", "NOSUCH", "x") == Error("ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.")


# CLIENT SETINFO arrived in Redis 7.2; the reference redis-server here is 7.0.15, which
# answers "ERR unknown subcommand 'SETINFO'". Crescent implements it with 7.2's texts.
@pytest.mark.crescent_only
def test_client_setinfo(raw):
    my_id = raw.cmd("CLIENT", "ID")
    assert raw.cmd("CLIENT", "SETINFO", "LIB-NAME", "e2e-lib") == Status("OK")
    assert raw.cmd("CLIENT", "SETINFO", "lib-ver", "1.2.3") == Status("OK")
    entries = {int(e["id"]): e for e in _client_list_entries(raw.cmd("CLIENT", "LIST"))}
    assert entries[my_id]["lib-name"] == "e2e-lib"
    assert entries[my_id]["lib-ver"] == "1.2.3"


@pytest.mark.crescent_only
def test_client_setinfo_errors(raw):
    assert raw.cmd("CLIENT", "SETINFO", "LIB-NAME") == wrong_args("client|setinfo")
    assert raw.cmd("CLIENT", "SETINFO", "FOO", "x") == Error("ERR Unrecognized option 'FOO'")
    assert raw.cmd("CLIENT", "SETINFO", "lib-name", "a b") == Error(
        "ERR lib-name cannot contain spaces, newlines or special characters.")


# -- unknown commands -----------------------------------------------------------

def test_unknown_command(raw):
    assert raw.cmd("foo", "a", "b") == Error("ERR unknown command 'foo', with args beginning with: 'a' 'b' ")
    assert raw.cmd("FOO") == Error("ERR unknown command 'FOO', with args beginning with: ")
    assert raw.cmd("foo", "") == Error("ERR unknown command 'foo', with args beginning with: '' ")
    # the connection stays usable
    assert raw.cmd("PING") == "PONG"


def test_unknown_command_long_arguments_truncated(raw):
    # each argument is cut so that the quoted list stays near 128 characters; the name at 128
    assert raw.cmd("FOO", "a" * 200, "b") == Error(
        "ERR unknown command 'FOO', with args beginning with: '" + "a" * 128 + "' ")
    args = [f"arg{i}" for i in range(40)]
    assert raw.cmd("FOO", *args) == Error(
        "ERR unknown command 'FOO', with args beginning with: "
        + "".join(f"'{a}' " for a in args[:17]) + "'ar' ")
    assert raw.cmd("X" * 200) == Error(
        "ERR unknown command '" + "X" * 128 + "', with args beginning with: ")


def test_unknown_command_newlines_sanitized(raw):
    # an error reply cannot contain CR or LF; Redis turns them into spaces
    assert raw.cmd("FOO", "a\r\nb") == Error("ERR unknown command 'FOO', with args beginning with: 'a  b' ")
    assert raw.cmd("PING") == "PONG"


def test_unknown_command_redis_py(r):
    import redis
    with pytest.raises(redis.ResponseError, match=r"^unknown command 'nosuch', with args beginning with: 'x' $"):
        r.execute_command("nosuch", "x")
