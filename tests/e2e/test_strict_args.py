"""Strict arguments: every command that takes options refuses an unknown option, an extra
argument and a conflicting (or, for the put options, repeated) pair with Redis's error
text, and changes nothing when it does. The Redis commands' cases run against
redis-server too (--target redis), which is where their expected texts come from; the
object commands' cases are Crescent's own (crescent_only).
"""

import pytest

from respclient import NOT_INTEGER, SYNTAX_ERROR, Error, Status, wrong_args


def unsupported(option):
    return Error(f"ERR Unsupported option {option}")


NX_CONFLICT = Error("ERR NX and XX, GT or LT options at the same time are not compatible")
GT_LT_CONFLICT = Error("ERR GT and LT options at the same time are not compatible")


# -- strings ------------------------------------------------------------------------

@pytest.mark.parametrize("options", [
    ["BOGUS"],                      # unknown option
    ["EX", "10", "junk"],           # extra argument after a complete option
    ["EX"],                         # option without its value
    ["NX", "XX"],                   # conflicting pair
    ["EX", "10", "PX", "100"],      # two expiries
    ["KEEPTTL", "EX", "10"],        # KEEPTTL with an expiry
    ["EX", "10", "KEEPTTL"],
    ["PXAT", "100", "EXAT", "1"],
    ["EX", "abc", "junk"],          # the syntax is checked before the value
])
def test_set_refuses_bad_options_and_writes_nothing(raw, options):
    raw.cmd("SET", "k", "old")
    assert raw.cmd("SET", "k", "new", *options) == SYNTAX_ERROR
    assert raw.cmd("GET", "k") == b"old"
    assert raw.cmd("TTL", "k") == -1


def test_set_takes_one_expiry_option_repeated_the_last_counting(raw):
    assert raw.cmd("SET", "k", "v", "EX", "10", "EX", "2000") == Status("OK")
    assert 1990 <= raw.cmd("TTL", "k") <= 2000
    assert raw.cmd("SET", "k", "v", "EX", "abc", "EX", "3000") == Status("OK")
    assert 2990 <= raw.cmd("TTL", "k") <= 3000
    assert raw.cmd("SET", "k", "v", "EX", "10", "EX", "abc") == NOT_INTEGER
    assert raw.cmd("SET", "k", "x", "NX", "NX", "GET", "GET") == b"v"  # exists: not set
    assert raw.cmd("SET", "k", "w", "KEEPTTL", "KEEPTTL", "GET") == b"v"
    assert 2990 <= raw.cmd("TTL", "k") <= 3000


def test_getex_takes_one_expiry_option_repeated_the_last_counting(raw):
    raw.cmd("SET", "k", "v")
    assert raw.cmd("GETEX", "k", "PX", "10000", "PX", "2000000") == b"v"
    assert 1990 <= raw.cmd("TTL", "k") <= 2000
    assert raw.cmd("GETEX", "k", "PERSIST", "PERSIST") == b"v"
    assert raw.cmd("TTL", "k") == -1


def test_set_expiry_value_errors_after_the_syntax_is_checked(raw):
    assert raw.cmd("SET", "k", "v", "EX", "abc") == NOT_INTEGER
    assert raw.cmd("SET", "k", "v", "EX", "0") == Error("ERR invalid expire time in 'set' command")
    assert raw.cmd("EXISTS", "k") == 0


@pytest.mark.parametrize("options", [
    ["BOGUS"],
    ["EX", "10", "junk"],
    ["EX"],
    ["EX", "10", "PX", "100"],
    ["PERSIST", "EX", "10"],
    ["EX", "10", "PERSIST"],
    ["PERSIST", "junk"],
    ["EX", "abc", "junk"],
])
def test_getex_refuses_bad_options_and_keeps_the_ttl(raw, options):
    raw.cmd("SET", "k", "v", "EX", "1000")
    assert raw.cmd("GETEX", "k", *options) == SYNTAX_ERROR
    assert 990 <= raw.cmd("TTL", "k") <= 1000


@pytest.mark.parametrize("args", [
    ["SETEX", "k", "10", "v", "junk"],
    ["PSETEX", "k", "10", "v", "junk"],
    ["SETNX", "k", "v", "junk"],
    ["GETSET", "k", "v", "junk"],
    ["APPEND", "k", "v", "junk"],
    ["SETRANGE", "k", "0", "v", "junk"],
    ["INCR", "k", "junk"],
    ["INCRBY", "k", "1", "junk"],
    ["DECRBY", "k", "1", "junk"],
    ["INCRBYFLOAT", "k", "1", "junk"],
    ["GETDEL", "k", "junk"],
    ["GET", "k", "junk"],
    ["STRLEN", "k", "junk"],
    ["GETRANGE", "k", "0", "1", "junk"],
])
def test_string_commands_refuse_an_extra_argument(raw, args):
    raw.cmd("SET", "k", "5")
    assert raw.cmd(*args) == wrong_args(args[0].lower())
    assert raw.cmd("GET", "k") == b"5"


@pytest.mark.parametrize("command", ["MSET", "MSETNX"])
def test_mset_refuses_a_key_without_a_value(raw, command):
    assert raw.cmd(command, "a", "1", "b") == wrong_args(command.lower())
    assert raw.cmd("EXISTS", "a", "b") == 0


# -- keyspace -----------------------------------------------------------------------

@pytest.mark.parametrize("command", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
@pytest.mark.parametrize("options,error", [
    (["BOGUS"], unsupported("BOGUS")),
    (["NX", "BOGUS"], unsupported("BOGUS")),
    (["NX", "XX"], NX_CONFLICT),
    (["NX", "GT"], NX_CONFLICT),
    (["LT", "NX"], NX_CONFLICT),
    (["GT", "LT"], GT_LT_CONFLICT),
])
def test_expire_family_refuses_bad_options_and_keeps_the_ttl(raw, command, options, error):
    raw.cmd("SET", "k", "v")
    when = "99999999999"  # far off in every unit
    assert raw.cmd(command, "k", when, *options) == error
    assert raw.cmd("TTL", "k") == -1


@pytest.mark.parametrize("command", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
def test_expire_family_checks_options_before_the_time(raw, command):
    raw.cmd("SET", "k", "v")
    assert raw.cmd(command, "k", "abc", "BOGUS") == unsupported("BOGUS")
    assert raw.cmd(command, "k", "abc", "NX", "XX") == NX_CONFLICT
    assert raw.cmd(command, "k", "abc") == NOT_INTEGER
    assert raw.cmd("TTL", "k") == -1


@pytest.mark.parametrize("options", [
    ["BOGUS", "x"],
    ["COUNT"],
    ["COUNT", "0"],
    ["MATCH", "*", "junk"],
    ["TYPE"],
])
def test_scan_refuses_bad_options(raw, options):
    assert raw.cmd("SCAN", "0", *options) == SYNTAX_ERROR


@pytest.mark.parametrize("args", [
    ["TTL", "k", "junk"],
    ["PTTL", "k", "junk"],
    ["EXPIRETIME", "k", "junk"],
    ["PERSIST", "k", "junk"],
    ["TYPE", "k", "junk"],
    ["KEYS", "*", "junk"],
    ["RANDOMKEY", "junk"],
    ["RENAME", "k", "k2", "junk"],
    ["RENAMENX", "k", "k2", "junk"],
])
def test_keyspace_commands_refuse_an_extra_argument(raw, args):
    raw.cmd("SET", "k", "v")
    assert raw.cmd(*args) == wrong_args(args[0].lower())
    assert raw.cmd("GET", "k") == b"v"


# -- server and connection ----------------------------------------------------------

@pytest.mark.parametrize("command", ["FLUSHALL", "FLUSHDB"])
@pytest.mark.parametrize("options", [["BOGUS"], ["ASYNC", "SYNC"], ["SYNC", "junk"]])
def test_flush_refuses_bad_options_and_keeps_the_data(raw, command, options):
    raw.cmd("SET", "k", "v")
    assert raw.cmd(command, *options) == SYNTAX_ERROR
    assert raw.cmd("GET", "k") == b"v"


@pytest.mark.parametrize("args", [
    ["MEMORY", "USAGE", "k", "BOGUS"],
    ["MEMORY", "USAGE", "k", "SAMPLES"],
    ["MEMORY", "USAGE", "k", "SAMPLES", "5", "junk"],
    ["MEMORY", "USAGE", "k", "BOGUS", "5"],
    ["MEMORY", "USAGE", "k", "SAMPLES", "-1"],
    ["MEMORY", "USAGE", "k", "SAMPLES", "5", "SAMPLES"],
])
def test_memory_usage_refuses_bad_options(raw, args):
    raw.cmd("SET", "k", "v")
    assert raw.cmd(*args) == SYNTAX_ERROR


def test_memory_usage_samples_may_repeat(raw):
    raw.cmd("SET", "k", "v")
    assert isinstance(raw.cmd("MEMORY", "USAGE", "k", "SAMPLES", "0", "SAMPLES", "5"), int)
    assert raw.cmd("MEMORY", "USAGE", "k", "SAMPLES", "x", "SAMPLES", "5") == NOT_INTEGER


def test_config_set_refuses_a_parameter_without_a_value_and_changes_nothing(raw):
    before = raw.cmd("CONFIG", "GET", "maxclients")
    assert raw.cmd("CONFIG", "SET", "maxclients", "100", "timeout") == SYNTAX_ERROR
    assert raw.cmd("CONFIG", "GET", "maxclients") == before


def test_config_set_refuses_a_repeated_parameter_and_changes_nothing(raw):
    before = raw.cmd("CONFIG", "GET", "maxclients")
    assert raw.cmd("CONFIG", "SET", "maxclients", "100", "maxclients", "200") == Error(
        "ERR CONFIG SET failed (possibly related to argument 'maxclients') - duplicate parameter")
    assert raw.cmd("CONFIG", "GET", "maxclients") == before


@pytest.mark.parametrize("args,name", [
    (["CONFIG", "GET"], "config|get"),
    (["CONFIG", "SET", "maxclients"], "config|set"),
    (["CONFIG", "RESETSTAT", "junk"], "config|resetstat"),
    (["CONFIG", "REWRITE", "junk"], "config|rewrite"),
    (["SLOWLOG", "LEN", "junk"], "slowlog|len"),
    (["SLOWLOG", "RESET", "junk"], "slowlog|reset"),
    (["COMMAND", "COUNT", "junk"], "command|count"),
    (["CLIENT", "ID", "junk"], "client|id"),
    (["CLIENT", "GETNAME", "junk"], "client|getname"),
    (["CLIENT", "SETNAME", "a", "junk"], "client|setname"),
    (["CLIENT", "INFO", "junk"], "client|info"),
    (["ACL", "WHOAMI", "junk"], "acl|whoami"),
    (["ECHO", "a", "junk"], "echo"),
    (["PING", "a", "junk"], "ping"),
    (["SELECT", "0", "junk"], "select"),
    (["DBSIZE", "junk"], "dbsize"),
    (["TIME", "junk"], "time"),
])
def test_server_and_connection_commands_refuse_an_extra_argument(raw, args, name):
    assert raw.cmd(*args) == wrong_args(name)


def test_slowlog_get_refuses_an_extra_argument(raw):
    assert raw.cmd("SLOWLOG", "get", "1", "2") == Error(
        "ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.")


def test_slowlog_get_refuses_a_bad_count(raw):
    assert raw.cmd("SLOWLOG", "GET", "-2") == Error("ERR count should be greater than or equal to -1")
    assert raw.cmd("SLOWLOG", "GET", "x") == Error("ERR count should be greater than or equal to -1")


@pytest.mark.parametrize("options", [
    ["BOGUS"],
    ["FILTERBY"],
    ["FILTERBY", "PATTERN"],
    ["FILTERBY", "BOGUS", "x"],
    ["FILTERBY", "PATTERN", "*", "junk"],
])
def test_command_list_refuses_an_unknown_filter(raw, options):
    assert raw.cmd("COMMAND", "LIST", *options) == SYNTAX_ERROR


def test_command_list_filters(raw):
    def listed(*filter_args):
        return sorted(n.decode() for n in raw.cmd("COMMAND", "LIST", "FILTERBY", *filter_args))
    assert listed("PATTERN", "CONFIG*") == ["config", "config|get", "config|help",
                                            "config|resetstat", "config|rewrite", "config|set"]
    assert listed("MODULE", "nosuchmodule") == []
    assert listed("ACLCAT", "nosuchcategory") == []
    strings = listed("ACLCAT", "String")
    assert {"get", "set", "incr"} <= set(strings) and "del" not in strings
    everything = sorted(n.decode() for n in raw.cmd("COMMAND", "LIST"))
    assert {"config", "config|get", "client|list"} <= set(everything)


@pytest.mark.parametrize("options,error", [
    (["BOGUS"], Error("ERR Syntax error in HELLO option 'BOGUS'")),
    (["AUTH", "default"], Error("ERR Syntax error in HELLO option 'AUTH'")),
    (["SETNAME"], Error("ERR Syntax error in HELLO option 'SETNAME'")),
    (["SETNAME", "n", "junk"], Error("ERR Syntax error in HELLO option 'junk'")),
])
def test_hello_refuses_bad_options(raw, target, options, error):
    assert raw.cmd("HELLO", "2", *options) == error
    if target == "crescent":
        # Crescent parses every option before it acts; Redis 7.0 has already applied a
        # SETNAME that came before the bad option.
        assert raw.cmd("CLIENT", "GETNAME") is None


def test_auth_refuses_an_extra_argument(raw):
    assert raw.cmd("AUTH", "user", "pass", "junk") == SYNTAX_ERROR


@pytest.mark.parametrize("options,error", [
    (["BOGUS"], SYNTAX_ERROR),
    (["TYPE"], SYNTAX_ERROR),
    (["TYPE", "bogus"], Error("ERR Unknown client type 'bogus'")),
    (["TYPE", "normal", "junk"], SYNTAX_ERROR),
    (["ID", "abc"], Error("ERR Invalid client ID")),
    (["ID", "1", "abc"], Error("ERR Invalid client ID")),
    (["ID", "99999999999999999999"], Error("ERR Invalid client ID")),
    (["TYPE", "normal", "ID", "1"], SYNTAX_ERROR),   # one filter at a time
    (["TYPE", "master", "ID", "1"], SYNTAX_ERROR),
    (["ID"], SYNTAX_ERROR),
])
def test_client_list_refuses_bad_options(raw, options, error):
    assert raw.cmd("CLIENT", "LIST", *options) == error


@pytest.mark.parametrize("ids", [["0"], ["-1"], ["0", "-5"]])
def test_client_list_ids_of_no_client_are_no_error(raw, ids):
    assert raw.cmd("CLIENT", "LIST", "ID", *ids) == b""


@pytest.mark.parametrize("options,error", [
    (["ID", "1", "BOGUS", "x"], SYNTAX_ERROR),
    (["ID", "1", "ADDR"], SYNTAX_ERROR),
    (["SKIPME", "maybe"], SYNTAX_ERROR),
    (["ID", "abc"], Error("ERR client-id should be greater than 0")),
    (["TYPE", "bogus"], Error("ERR Unknown client type 'bogus'")),
    (["USER", "nosuchuser"], Error("ERR No such user 'nosuchuser'")),
])
def test_client_kill_refuses_bad_filters_and_kills_nobody(raw, options, error):
    assert raw.cmd("CLIENT", "KILL", *options) == error
    assert raw.cmd("PING") == Status("PONG")


@pytest.mark.parametrize("client_type", ["master", "replica", "pubsub"])
def test_client_kill_type_is_a_filter(server, raw, client_type):
    with server.raw() as other:
        other.cmd("CLIENT", "SETNAME", "victim")
        assert raw.cmd("CLIENT", "KILL", "TYPE", client_type, "SKIPME", "yes") == 0
        assert other.cmd("CLIENT", "GETNAME") == b"victim"   # still connected
        assert raw.cmd("CLIENT", "LIST", "TYPE", client_type) == b""


# -- object commands (Crescent's own) -----------------------------------------------

PUT_BAD_OPTIONS = [
    ["BOGUS"],                                # unknown option
    ["REPLICAS"],                             # option without its value
    ["TTL", "5000", "junk"],                  # extra argument
    ["REPLICAS", "1", "REPLICAS", "2"],       # repeated options
    ["TTL", "5000", "TTL", "6000"],
    ["HARDPIN", "HARDPIN"],
    ["SOFTPIN", "SOFTPIN"],
    ["SOFTPIN", "100", "SOFTPIN", "200"],
    ["SAMENODE", "SAMENODE"],
    ["PREFER", "local", "PREFER", "local"],
]


@pytest.mark.crescent_only
@pytest.mark.parametrize("options", PUT_BAD_OPTIONS)
def test_put_refuses_bad_options_and_writes_nothing(raw, options):
    assert raw.cmd("PUT", "obj", "v", *options) == SYNTAX_ERROR
    assert raw.cmd("EXISTS", "obj") == 0


@pytest.mark.crescent_only
@pytest.mark.parametrize("options", PUT_BAD_OPTIONS)
def test_upsert_refuses_bad_options_and_keeps_the_value(raw, options):
    assert raw.cmd("PUT", "obj", "old") == Status("OK")
    assert raw.cmd("UPSERT", "obj", "new", *options) == SYNTAX_ERROR
    assert raw.cmd("GET", "obj") == b"old"


@pytest.mark.crescent_only
@pytest.mark.parametrize("options", PUT_BAD_OPTIONS)
def test_batchput_refuses_bad_options_and_writes_nothing(raw, options):
    assert raw.cmd("BATCHPUT", "2", "a", "1", "b", "2", *options) == SYNTAX_ERROR
    assert raw.cmd("EXISTS", "a", "b") == 0


@pytest.mark.crescent_only
def test_put_options_may_combine_when_each_appears_once(raw):
    assert raw.cmd("PUT", "obj", "v", "REPLICAS", "1", "SOFTPIN", "1000", "HARDPIN", "PREFER",
                   "local", "SAMENODE", "TTL", "60000") == Status("OK")
    assert raw.cmd("GET", "obj") == b"v"


@pytest.mark.crescent_only
@pytest.mark.parametrize("args", [
    ["REMOVE", "obj", "FORCE", "junk"],
    ["REMOVE", "obj", "junk"],
    ["REMOVE", "obj", "FORCE", "FORCE"],
    ["REMOVEREGEX", "^obj", "FORCE", "junk"],
    ["REMOVEREGEX", "^obj", "junk"],
    ["REMOVEALL", "FORCE", "junk"],
    ["REMOVEALL", "junk"],
])
def test_remove_family_refuses_extra_arguments_and_removes_nothing(raw, args):
    assert raw.cmd("PUT", "obj", "v") == Status("OK")
    assert raw.cmd(*args) == SYNTAX_ERROR
    assert raw.cmd("GET", "obj") == b"v"


@pytest.mark.crescent_only
def test_remove_family_still_takes_force(raw):
    for i in range(3):
        assert raw.cmd("PUT", f"obj{i}", "v") == Status("OK")
    assert raw.cmd("REMOVE", "obj0", "force") == 1
    assert raw.cmd("REMOVEREGEX", "^obj1$", "FORCE") == 1
    assert raw.cmd("REMOVEALL", "FORCE") == 1
    assert raw.cmd("DBSIZE") == 0


@pytest.mark.crescent_only
@pytest.mark.parametrize("args,name", [
    (["EXIST", "obj", "junk"], "exist"),
    (["GETSIZE", "obj", "junk"], "getsize"),
    (["QUERY", "obj", "junk"], "query"),
    (["QUERYREGEX", "obj", "junk"], "queryregex"),
    (["SEGMENT", "MOUNT", "s1", "16MB", "junk"], "segment|mount"),
    (["SEGMENT", "UNMOUNT", "s1", "junk"], "segment|unmount"),
    (["SEGMENT", "LIST", "junk"], "segment|list"),
    (["SEGMENT", "QUERY", "local", "junk"], "segment|query"),
    (["CLIENT", "SETINFO", "lib-name", "x", "junk"], "client|setinfo"),
])
def test_object_commands_refuse_an_extra_argument(raw, args, name):
    assert raw.cmd(*args) == wrong_args(name)
    assert len(raw.cmd("SEGMENT", "LIST")) == 1


@pytest.mark.crescent_only
def test_client_setinfo_refuses_an_unknown_attribute(raw):
    assert raw.cmd("CLIENT", "SETINFO", "lib-colour", "x") == Error("ERR Unrecognized option 'lib-colour'")


@pytest.mark.crescent_only
def test_segment_mount_refuses_an_empty_name(raw):
    assert raw.cmd("SEGMENT", "MOUNT", "", "16MB") == Error("INVALID_PARAMS a segment needs a name")
    assert len(raw.cmd("SEGMENT", "LIST")) == 1
