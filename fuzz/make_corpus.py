#!/usr/bin/env python3
"""Writes the seed corpus of both fuzzers (fuzz/corpus/) from the pipelines below.

    /usr/bin/python3 fuzz/make_corpus.py

corpus/dispatcher/NAME      the pipeline itself (what a client sends)
corpus/request_parser/NAME  an 8-byte header, then the pipeline; the header picks the
                            piece sizes and limits (see request_parser_fuzzer.cpp), and
                            each seed gets a different one so that every mode is seeded

Files that a fuzzing run found (crashes turned into regressions) are kept by hand in
the same folders under names starting with "regress-"; this script does not touch them.
"""

import os

HERE = os.path.dirname(os.path.abspath(__file__))


def resp(*args):
    """One request as a RESP multibulk."""
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def pipeline(*commands):
    return b"".join(resp(*c) for c in commands)


BIG = b"v" * 20000  # above Store::kPinThreshold (16 KiB): replied by reference

SEEDS = {
    # Strings.
    "strings": pipeline(
        ("SET", "k", "v"), ("GET", "k"), ("APPEND", "k", "123"), ("STRLEN", "k"),
        ("GETRANGE", "k", "0", "-2"), ("SUBSTR", "k", "-3", "100"), ("SETRANGE", "k", "5", "xyz"),
        ("GETSET", "k", "new"), ("GETDEL", "k"), ("GET", "k"), ("SETNX", "k", "1"),
        ("SETNX", "k", "2"), ("MSET", "a", "1", "b", "2"), ("MGET", "a", "b", "nokey"),
        ("MSETNX", "a", "1", "c", "3"), ("STRLEN", "nokey")),
    "counters": pipeline(
        ("INCR", "n"), ("INCRBY", "n", "41"), ("DECR", "n"), ("DECRBY", "n", "-5"),
        ("INCRBYFLOAT", "f", "1.5"), ("INCRBYFLOAT", "f", "-3e2"), ("INCR", "f"),
        ("SET", "max", "9223372036854775807"), ("INCR", "max"), ("DECRBY", "n", "-9223372036854775808"),
        ("INCRBYFLOAT", "f", "inf"), ("INCRBY", "n", "1x"), ("SET", "s", "abc"), ("INCR", "s")),
    "set_options": pipeline(
        ("SET", "k", "v", "EX", "10"), ("SET", "k", "v2", "XX", "GET"), ("SET", "k", "v3", "NX"),
        ("SET", "k", "v4", "PX", "1", "KEEPTTL"), ("SET", "k", "v5", "KEEPTTL"),
        ("SET", "k", "v6", "EXAT", "1700000100"), ("SET", "k", "v7", "PXAT", "1700000000500"),
        ("SET", "k", "v", "EX", "0"), ("SET", "k", "v", "EX", "-1"), ("SET", "k", "v", "NX", "XX"),
        ("SETEX", "e", "100", "v"), ("PSETEX", "e", "50", "v"), ("GET", "e"), ("TTL", "k")),
    "getex": pipeline(
        ("SET", "k", "v"), ("GETEX", "k", "EX", "100"), ("PTTL", "k"), ("GETEX", "k", "PERSIST"),
        ("GETEX", "k", "PXAT", "1700000009999"), ("GETEX", "k", "EXAT", "1"), ("GETEX", "k", "PX"),
        ("GETEX", "nokey")),
    # Keyspace.
    "keyspace": pipeline(
        ("MSET", "a", "1", "b", "2", "c", "3"), ("EXISTS", "a", "b", "x", "a"), ("TYPE", "a"),
        ("TYPE", "x"), ("RENAME", "a", "z"), ("RENAMENX", "b", "z"), ("RENAME", "x", "y"),
        ("KEYS", "*"), ("KEYS", "[a-c]?\\*"), ("SCAN", "0", "MATCH", "*", "COUNT", "2"),
        ("SCAN", "0", "TYPE", "string"), ("RANDOMKEY",), ("TOUCH", "z", "c"), ("DEL", "z", "c"),
        ("UNLINK", "b"), ("DBSIZE",)),
    "expire": pipeline(
        ("SET", "k", "v"), ("EXPIRE", "k", "100"), ("EXPIRE", "k", "50", "GT"),
        ("EXPIRE", "k", "500", "LT"), ("EXPIRE", "k", "5", "NX"), ("PEXPIRE", "k", "1000", "XX"),
        ("EXPIREAT", "k", "1700000100"), ("PEXPIREAT", "k", "1700000000250"),
        ("EXPIRETIME", "k"), ("PEXPIRETIME", "k"), ("TTL", "k"), ("PTTL", "k"), ("PERSIST", "k"),
        ("TTL", "k"), ("EXPIRE", "k", "9223372036854775807"), ("EXPIRE", "k", "1", "NX", "XX"),
        ("PEXPIRE", "k", "1"), ("GET", "k"), ("GET", "k"), ("GET", "k")),
    "scan_loop": pipeline(*[("SET", "key:%d" % i, "x") for i in range(40)],
                          ("SCAN", "0", "COUNT", "5"), ("SCAN", "7", "COUNT", "5"),
                          ("SCAN", "18446744073709551615"), ("SCAN", "abc")),
    # Object commands (Mooncake Store's API).
    "objects": pipeline(
        ("PUT", "o1", "value"), ("PUT", "o1", "again"), ("UPSERT", "o1", "replaced"),
        ("PUT", "o2", "v", "REPLICAS", "2", "SOFTPIN", "1000", "TTL", "5000"),
        ("PUT", "o3", "v", "HARDPIN", "PREFER", "local,other", "SAMENODE"),
        ("QUERY", "o1"), ("EXIST", "o1"), ("EXIST", "nope"), ("GETSIZE", "o2"),
        ("QUERYREGEX", "^o[0-9]$"), ("REMOVE", "o1"), ("REMOVE", "o1", "FORCE"),
        ("REMOVEREGEX", "o.*"), ("REMOVEREGEX", "o.*", "FORCE"), ("REMOVEALL",),
        ("REMOVEALL", "FORCE"), ("QUERY", "o1")),
    "objects_batch": pipeline(
        ("BATCHPUT", "a", "1", "b", "2", "REPLICAS", "1"), ("BATCHPUT", "a", "1"),
        ("BATCHGET", "a", "b", "c"), ("BATCHQUERY", "a", "c"), ("BATCHEXIST", "a", "b", "c"),
        ("BATCHREMOVE", "a", "c"), ("BATCHREMOVE", "b", "FORCE")),
    "objects_errors": pipeline(
        ("PUT", "k", "v", "REPLICAS", "0"), ("PUT", "k", "v", "REPLICAS", "17"),
        ("PUT", "k", "v", "TTL", "-5"), ("PUT", "k", "v", "SOFTPIN", "0"), ("PUT", "k", "v", "BOGUS"),
        ("QUERYREGEX", "("), ("REMOVEREGEX", "a{99999}"), ("QUERYREGEX", "(a*)*b"),
        ("UPSERT", "k", "v", "TTL", "9223372036854775807")),
    "segments": pipeline(
        ("SEGMENT", "LIST"), ("SEGMENT", "MOUNT", "s2", "4MB"), ("SEGMENT", "MOUNT", "s2", "4MB"),
        ("SEGMENT", "MOUNT", "tiny", "1000"), ("SEGMENT", "MOUNT", "bad", "lots"),
        ("PUT", "k", "v", "REPLICAS", "2"), ("QUERY", "k"), ("SEGMENT", "QUERY", "s2"),
        ("SEGMENT", "QUERY", "nope"), ("SEGMENT", "UNMOUNT", "s2"), ("QUERY", "k"),
        ("SEGMENT", "UNMOUNT", "local"), ("SET", "x", "y"), ("SEGMENT", "HELP"),
        ("SEGMENT", "BOGUS")),
    "eviction": pipeline(
        ("CONFIG", "SET", "eviction-policy", "lfu"),
        # 12 MB values from a few bytes of input: the 32 MiB pool must evict.
        ("SETRANGE", "a", "12000000", "x"), ("GET", "a"), ("PUT", "p", b"p" * 30000, "HARDPIN"),
        ("SETRANGE", "b", "12000000", "y"), ("SETRANGE", "c", "12000000", "z"),
        ("EXISTS", "a", "b", "c", "p"), ("INFO", "eviction"), ("DBSIZE",)),
    "big_values_pinned": pipeline(
        ("SET", "big", BIG), ("GET", "big"), ("DEL", "big"), ("SET", "big", b"w" * 20000),
        ("GET", "big"), ("APPEND", "big", "x"), ("GET", "big"), ("BATCHGET", "big", "big"),
        ("FLUSHALL",), ("SET", "other", b"o" * 20000), ("GETRANGE", "big", "0", "-1")),
    # Server commands.
    "server": pipeline(
        ("INFO",), ("INFO", "all"), ("INFO", "keyspace", "errorstats", "nosuch"), ("DBSIZE",),
        ("TIME",), ("FLUSHALL", "ASYNC"), ("FLUSHDB", "SYNC"), ("FLUSHALL", "BAD"),
        ("MEMORY", "USAGE", "nokey"), ("MEMORY", "HELP")),
    "config": pipeline(
        ("CONFIG", "GET", "*"), ("CONFIG", "GET", "max*", "slowlog-*"),
        ("CONFIG", "SET", "slowlog-log-slower-than", "0", "slowlog-max-len", "3"),
        ("CONFIG", "SET", "lease-ttl", "1s"), ("CONFIG", "SET", "maxmemory", "1mb"),
        ("CONFIG", "SET", "timeout", "-1"), ("CONFIG", "SET", "a", "1", "a", "2"),
        ("CONFIG", "SET", "proto-max-bulk-len", "10"), ("SET", "k", "01234567890"),
        ("CONFIG", "SET", "loglevel", "debug"), ("CONFIG", "RESETSTAT"), ("CONFIG", "REWRITE"),
        ("CONFIG", "HELP"), ("CONFIG",), ("CONFIG", "NOPE")),
    "slowlog_memory": pipeline(
        ("CONFIG", "SET", "slowlog-log-slower-than", "0"), ("SET", "k", "v"),
        ("SLOWLOG", "GET"), ("SLOWLOG", "GET", "1"), ("SLOWLOG", "GET", "-1"), ("SLOWLOG", "LEN"),
        ("SLOWLOG", "RESET"), ("SLOWLOG", "HELP"), ("MEMORY", "USAGE", "k"),
        ("MEMORY", "USAGE", "k", "SAMPLES", "5"), ("MEMORY", "USAGE", "k", "SAMPLES")),
    # Connection commands.
    "connection": pipeline(
        ("PING",), ("PING", "hi"), ("ECHO", "x"), ("SELECT", "0"), ("SELECT", "1"),
        ("CLIENT", "SETNAME", "fuzz"), ("CLIENT", "GETNAME"), ("CLIENT", "ID"), ("CLIENT", "INFO"),
        ("CLIENT", "LIST"), ("CLIENT", "LIST", "TYPE", "normal"), ("CLIENT", "LIST", "ID", "1", "2"),
        ("CLIENT", "SETINFO", "lib-name", "redis-py"), ("CLIENT", "SETINFO", "lib-ver", "1.0"),
        ("CLIENT", "KILL", "127.0.0.1:1"), ("CLIENT", "KILL", "ID", "1", "SKIPME", "no"),
        ("CLIENT", "KILL", "ADDR", "1.2.3.4:5", "LADDR", "x", "USER", "default"),
        ("CLIENT", "SETNAME", "has space"), ("CLIENT", "HELP"), ("QUIT",), ("PING",)),
    "hello_resp3": pipeline(
        ("HELLO", "3"), ("GET", "nokey"), ("SET", "f", "1.5"), ("INCRBYFLOAT", "f", "2"),
        ("CONFIG", "GET", "maxmemory"), ("PUT", "o", "v"), ("QUERY", "o"), ("SEGMENT", "LIST"),
        ("COMMAND", "INFO", "get"), ("INFO", "server"), ("CLIENT", "INFO"), ("MGET", "f", "x"),
        ("HELLO", "2"), ("GET", "nokey"), ("HELLO", "4"), ("HELLO", "x")),
    "hello_auth": pipeline(
        ("HELLO", "3", "AUTH", "default", "pw", "SETNAME", "c1"), ("HELLO", "2", "SETNAME"),
        ("HELLO", "3", "AUTH", "default"), ("HELLO",)),
    "auth": pipeline(
        ("AUTH", "x"), ("CONFIG", "SET", "requirepass", "secret"), ("PING",), ("AUTH", "wrong"),
        ("AUTH", "other", "secret"), ("AUTH", "default", "secret"), ("PING",)),
    "auth_unauthenticated_limits": b"".join([
        resp("CONFIG", "SET", "requirepass", "pw"), resp("AUTH", "no"),
        b"*11\r\n" + b"$1\r\nx\r\n" * 11, b"*2\r\n$4\r\nAUTH\r\n$20000\r\n"]),
    # Access control. Inputs whose first request is AUTH <user> <password> run against
    # the server with named users (alice: read+write on user:* and {a}*; bob: read;
    # root: everything; all with the password "secret").
    "acl_alice": pipeline(
        ("AUTH", "alice", "secret"), ("SET", "user:1", "v"), ("GET", "user:1"), ("SET", "other", "v"),
        ("MSET", "user:2", "a", "x", "b"), ("MGET", "user:1", "{a}b"), ("DEL", "user:1", "nope"),
        ("RENAME", "user:2", "other"), ("KEYS", "*"), ("SCAN", "0"), ("FLUSHALL",),
        ("PUT", "{a}o", "v"), ("BATCHPUT", "user:3", "1", "z", "2"), ("REMOVEREGEX", "."),
        ("CONFIG", "GET", "*"), ("ACL", "WHOAMI"), ("ACL", "LIST"), ("ACL", "USERS"),
        ("AUTH", "bob", "secret"), ("SET", "user:1", "v"), ("GET", "anything"),
        ("AUTH", "root", "wrong"), ("AUTH", "root", "secret"), ("CONFIG", "SET", "requirepass", "x"),
        ("HELLO", "3", "AUTH", "alice", "secret"), ("CLIENT", "LIST")),
    "acl_noauth": pipeline(
        ("AUTH", "bob", "nope"), ("GET", "k"), ("HELLO", "3"), ("AUTH", "default", "secret"),
        ("ACL", "WHOAMI"), ("PING",), ("QUIT",)),
    "acl_default": pipeline(("ACL", "WHOAMI"), ("ACL", "LIST"), ("ACL", "USERS"), ("ACL", "HELP"),
                            ("ACL", "NOPE"), ("ACL",)),
    # Introspection.
    "command": pipeline(
        ("COMMAND", "COUNT"), ("COMMAND", "INFO", "get", "client|kill", "nope"),
        ("COMMAND", "DOCS", "set", "segment"), ("COMMAND", "LIST"),
        ("COMMAND", "LIST", "FILTERBY", "PATTERN", "s*"), ("COMMAND", "LIST", "FILTERBY", "ACLCAT", "read"),
        ("COMMAND", "HELP"), ("COMMAND", "GETKEYS", "get", "k")),
    # Errors the dispatcher answers.
    "command_errors": pipeline(
        ("NOSUCHCOMMAND", "a", "b"), ("GET",), ("GET", "a", "b"), ("CLIENT",), ("CLIENT", "NOPE"),
        ("SET", "k"), ("SET", "k", "v", "EX"), ("SET", "k", "v", "EX", "abc"),
        ("SET", "k", "v", "WHAT"), ("GETRANGE", "k", "a", "b"), ("SETRANGE", "k", "-1", "x"),
        ("SETRANGE", "k", "536870911", "xx"), ("MSET", "a"), ("SCAN", "0", "COUNT", "0"),
        ("get", "k"), ("gEt", "k")),
    # Inline commands.
    "inline": b"PING\r\nSET k \"hello world\"\r\nGET k\nECHO 'it''s'\r\n"
              b"SET k2 \"\\x41\\x42\\n\\t\\\\\"\r\nGET k2\r\n   \r\n\r\n"
              b"MSET a 1 b 2\nMGET a b\n",
    "inline_errors": b"SET k \"unbalanced\r\n",
    "inline_nul": b"ECHO a\x00b c\r\nPING\r\n",
    # Protocol edge cases.
    "empty_multibulk": b"*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n",
    "negative_bulk": b"*1\r\n$-1\r\n",
    "bad_multibulk": b"*abc\r\n",
    "expected_dollar": b"*1\r\n+PING\r\n",
    "big_multibulk": b"*1048577\r\n$4\r\nPING\r\n",
    "huge_multibulk": b"*2147483648\r\n",
    "big_bulk_len": b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870913\r\n",
    "max_bulk_len": b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\nabc",
    "truncated": b"*2\r\n$3\r\nGET\r\n$5\r\nab",
    "leading_zero_len": b"*01\r\n$04\r\nPING\r\n",
    "plus_len": b"*+1\r\n$+4\r\nPING\r\n",
    "lf_only": b"*1\n$4\nPING\n",
    "bulk_bad_terminator": b"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n",
    "long_inline": b"SET k " + b"a" * 65528 + b"\r\n",
    "long_count_line": b"*" + b"1" * 30 + b"\r\n",
    "pipeline_mixed": pipeline(("SET", "a", "1"), ("INCR", "a")) + b"GET a\r\n" +
                      pipeline(("DEL", "a")) + b"*1\r\n$4\r\nPI",
    "binary_keys": pipeline(("SET", b"\x00\xff\r\n", b"\x00"), ("GET", b"\x00\xff\r\n"),
                            ("KEYS", b"*\x00*"), ("QUERYREGEX", b"\\x00")),
}

# Headers of the request_parser seeds: piece-size class and limit modes (see the fuzzer).
HEADERS = [
    bytes([0, 0, 0, 1, 2, 3, 4, 5]),          # pieces of 1-4 bytes, Redis's limits
    bytes([1, 0, 0, 9, 8, 7, 6, 5]),          # up to 32 bytes
    bytes([2, 0, 0, 0, 0, 0, 0, 1]),          # up to 1 KiB
    bytes([3, 0, 0, 0, 0, 0, 0, 0]),          # up to the whole stream
    bytes([4, 0x35, 0x22, 1, 1, 1, 1, 1]),    # small limits
    bytes([8 | 1, 0, 0, 2, 2, 2, 2, 2]),      # unauthenticated
    bytes([16 | 4, 0x20, 0x09, 3, 3, 3, 3, 3]),  # alternating limits
]


def main():
    for sub in ("dispatcher", "request_parser"):
        os.makedirs(os.path.join(HERE, "corpus", sub), exist_ok=True)
    for i, (name, data) in enumerate(sorted(SEEDS.items())):
        with open(os.path.join(HERE, "corpus", "dispatcher", name), "wb") as f:
            f.write(data)
        header = HEADERS[i % len(HEADERS)]
        with open(os.path.join(HERE, "corpus", "request_parser", name), "wb") as f:
            f.write(header + data)
    print(f"{len(SEEDS)} seeds written to {os.path.join(HERE, 'corpus')}")


if __name__ == "__main__":
    main()
