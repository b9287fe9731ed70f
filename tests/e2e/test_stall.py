"""No request stalls the others (issue 17, item 8).

The worst keyspace walk the default bounds allow (keys as long as max-key-size, the
longest regular expression regex-max-program-size compiles, patterns that push RE2 onto
its slow path, globs that backtrack) runs on one connection while other connections, on
both I/O threads of the shared server, send PINGs and SET/GETs: every PING is answered
within a second (a bound on a stall, not a speed target), and each worst command either
completes or is refused with the match-budget error. crescent_only: Redis has no such
bound (its KEYS runs to the end, however long)."""

import random
import threading
import time

import pytest

from respclient import Error, Map, RawClient

KEY_BYTES = 1 << 20  # max-key-size's default (1MB)
STALL_BOUND_S = 1.0
BUDGET_ERROR = Error("ERR pattern matching over the keyspace exceeds match-budget (key bytes x "
                     "pattern cost); use a narrower or simpler pattern, or raise match-budget")
CONNECTIONS = 6  # the shared server has 2 I/O threads, given connections in turn


class Pinger(threading.Thread):
    """PINGs and SET/GETs in a loop on its own connection; keeps the slowest PING."""

    def __init__(self, server, index):
        super().__init__(daemon=True)
        self.client = RawClient(server.host, server.port, timeout=60)
        self.index = index
        self.stop = threading.Event()
        self.slowest = 0.0
        self.pings = 0
        self.failure = None

    def run(self):
        try:
            n = 0
            while not self.stop.is_set():
                start = time.monotonic()
                assert self.client.cmd("PING") == "PONG"
                self.slowest = max(self.slowest, time.monotonic() - start)
                self.pings += 1
                n += 1
                key = f"pinger:{self.index}"
                assert self.client.cmd("SET", key, str(n)) == "OK"
                assert self.client.cmd("GET", key) == str(n).encode()
                time.sleep(0.005)
        except Exception as e:  # reported by the test thread
            self.failure = e

    def finish(self):
        self.stop.set()
        self.join(timeout=60)
        self.client.close()


def longest_compiling_pattern(c, make):
    """The largest n for which make(n) compiles under regex-max-program-size (found by
    bisection; each probe is refused quickly, by the compiler or by the budget)."""
    lo, hi = 1, 1 << 16
    while lo < hi:
        mid = (lo + hi + 1) // 2
        reply = c.cmd("QUERYREGEX", make(mid))
        if isinstance(reply, Error) and "pattern too large" in reply.message:
            hi = mid - 1
        else:
            lo = mid
    return make(lo)


@pytest.mark.crescent_only
def test_worst_keyspace_walks_do_not_stall_other_clients(server, r):
    rng = random.Random(17)
    big_keys = ["".join(rng.choice("ab") for _ in range(KEY_BYTES)) for _ in range(3)]
    walker = RawClient(server.host, server.port, timeout=60)
    for key in big_keys:
        assert walker.cmd("SET", key, "v") == "OK"
    for i in range(200):
        assert walker.cmd("SET", f"small:{i}", "v") == "OK"

    # The fuzzer's 70,000-character pattern no longer compiles.
    reply = walker.cmd("REMOVEREGEX", "(a|b)" * 14000)
    assert isinstance(reply, Error) and reply.message.startswith(
        "INVALID_PARAMS invalid regular expression: pattern too large")

    longest_alternation = longest_compiling_pattern(
        walker, lambda n: "|".join(f"k{i}x" for i in range(n)))
    longest_dfa_blowup = longest_compiling_pattern(
        walker, lambda n: "[ab]*a" + "[ab]" * n + "c")
    assert len(longest_alternation) > 1000  # room for real key patterns

    worst = [
        ("QUERYREGEX", longest_alternation),
        ("REMOVEREGEX", longest_alternation),
        ("QUERYREGEX", longest_dfa_blowup),
        ("REMOVEREGEX", longest_dfa_blowup, "FORCE"),
        ("KEYS", "*" + "?" * 1000 + "b"),
        ("KEYS", "*a*a*a*a*a*a*a*a*a*a*" + "?" * 100 + "c"),
        ("KEYS", "*?c"),
        ("SCAN", "0", "MATCH", "*" + "?" * 1000 + "b", "COUNT", "1000000"),
    ]
    # RE2 programs whose DFA blows up (2^k states): RE2 falls back to its NFA, at key
    # bytes x program size, the charge the budget assumes. Against one 1 MiB key (the
    # others deleted first) the smaller ones fit the budget and run on the NFA to the
    # end: the slowest commands the bound lets through. The larger ones are refused.
    worst.append(("DEL", big_keys[1], big_keys[2]))
    for k in (2, 4, 6, 7, 8, 9, 10, 12, 16, 24, 30):
        worst.append(("QUERYREGEX", "[ab]*a" + "[ab]" * k + "c"))
        worst.append(("REMOVEREGEX", "[ab]*a" + "[ab]" * k + "c"))

    pingers = [Pinger(server, i) for i in range(CONNECTIONS)]
    for p in pingers:
        p.start()
    outcomes = []
    try:
        time.sleep(0.2)
        for command in worst:
            start = time.monotonic()
            reply = walker.cmd(*command)
            elapsed = time.monotonic() - start
            shown = (command[0], command[1][:40], len(command[1]))
            if reply == BUDGET_ERROR:
                outcomes.append((shown, "refused", elapsed))
                continue
            assert not isinstance(reply, Error), (shown, reply.message)
            outcomes.append((shown, "completed", elapsed))
            if command[0] == "DEL":
                assert reply == 2
            elif command[0] == "REMOVEREGEX":
                assert reply == 0  # no key holds a 'c' (or a kNx)
            elif command[0] == "QUERYREGEX":
                assert reply == Map() or reply == []
        time.sleep(0.2)
    finally:
        for p in pingers:
            p.finish()
    for p in pingers:
        assert p.failure is None, p.failure
        assert p.pings > 0
    slowest = max(p.slowest for p in pingers)
    assert slowest < STALL_BOUND_S, (slowest, outcomes)
    # Both outcomes occur: the bound refuses what would stall and lets the rest run.
    kinds = {kind for _, kind, _ in outcomes}
    assert kinds == {"refused", "completed"}, outcomes
    assert walker.cmd("EXISTS", big_keys[0]) == 1
    walker.close()


@pytest.mark.crescent_only
def test_match_budget_is_a_runtime_option_and_removes_nothing_when_exceeded(server, r):
    c = RawClient(server.host, server.port)
    try:
        for i in range(100):
            assert c.cmd("SET", f"user:{i:03d}", "v") == "OK"
        # user:000 .. user:099 are 8 bytes: KEYS user:0* spends a few steps per key.
        assert sorted(c.cmd("KEYS", "user:0*")) == [f"user:{i:03d}".encode() for i in range(100)]
        assert c.cmd("CONFIG", "GET", "match-budget") == [b"match-budget", b"16777216"]
        assert c.cmd("CONFIG", "SET", "match-budget", "1000") == "OK"
        # A regex is charged (key bytes + 1) x program size before it runs: 100 keys of
        # 8 bytes with a program of a few instructions is over 1000.
        assert c.cmd("REMOVEREGEX", "^user:") == BUDGET_ERROR
        assert c.cmd("DBSIZE") == 100  # matching comes first: nothing was removed
        assert c.cmd("QUERYREGEX", "^user:") == BUDGET_ERROR
        assert c.cmd("KEYS", "*" + "?" * 20 + "x") == BUDGET_ERROR
        reply = c.cmd("CONFIG", "SET", "match-budget", "999")
        assert isinstance(reply, Error)
        assert c.cmd("CONFIG", "SET", "match-budget", "16777216") == "OK"
        assert c.cmd("REMOVEREGEX", "^user:0[0-4]") == 50
        assert c.cmd("DBSIZE") == 50
    finally:
        c.cmd("CONFIG", "SET", "match-budget", "16777216")
        c.close()
