"""A small raw-socket RESP2/RESP3 client for protocol-level end-to-end tests.

redis-py 4.3.4 only speaks RESP2 and rewrites error texts (it strips the "ERR "
prefix and maps some errors to exception classes), so the tests that check exact
bytes, exact error texts or RESP3 types use this client instead.

Reply mapping:
    +simple      -> Status (a str subclass)
    -error       -> Error (not raised; compare with Error("ERR ...") or .message)
    :integer     -> int
    $bulk        -> bytes, or None for $-1
    *array       -> list, or None for *-1
    _ (RESP3)    -> NULL (a sentinel, distinct from None)
    ,double      -> Double (a float subclass)
    #boolean     -> bool
    (big number  -> BigNumber (an int subclass)
    !blob error  -> Error
    =verbatim    -> Verbatim (a bytes subclass with .format)
    %map         -> Map (a dict subclass; keys in reply order)
    ~set         -> Set (a list subclass, reply order kept)
    >push        -> Push (a list subclass)
    |attribute   -> read and kept in .last_attribute, then the reply it annotates

The exact bytes of the last reply read are kept in .last_raw.
"""

import os
import socket
import time


class Status(str):
    def __repr__(self):
        return f"Status({str.__repr__(self)})"


class Error:
    def __init__(self, message):
        self.message = message if isinstance(message, str) else message.decode("utf-8", "replace")

    def __eq__(self, other):
        return isinstance(other, Error) and other.message == self.message

    def __hash__(self):
        return hash(self.message)

    def __repr__(self):
        return f"Error({self.message!r})"

    @property
    def code(self):
        return self.message.split(" ", 1)[0]


class _Null:
    def __repr__(self):
        return "NULL"

    def __bool__(self):
        return False


NULL = _Null()


class Double(float):
    def __repr__(self):
        return f"Double({float.__repr__(self)})"


class BigNumber(int):
    pass


class Verbatim(bytes):
    format = b"txt"


class Map(dict):
    def __repr__(self):
        return f"Map({dict.__repr__(self)})"


class Set(list):
    def __repr__(self):
        return f"Set({list.__repr__(self)})"


class Push(list):
    def __repr__(self):
        return f"Push({list.__repr__(self)})"


class ProtocolViolation(Exception):
    """The server sent bytes that are not valid RESP."""


class ConnectionClosed(Exception):
    """The server closed the connection before a whole reply arrived."""


def encode_command(*args):
    """Encode arguments as a RESP multibulk request."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        elif isinstance(a, float):
            a = repr(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RawClient:
    def __init__(self, host, port, timeout=10.0):
        self.host = host
        self.port = port
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.pos = 0
        self.last_raw = b""
        self.last_attribute = None

    # -- sending --------------------------------------------------------
    def send(self, data):
        self.sock.sendall(data)

    def send_command(self, *args):
        self.send(encode_command(*args))

    def cmd(self, *args):
        """Send one command and read its reply."""
        self.send_command(*args)
        return self.read_reply()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- receiving ------------------------------------------------------
    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionClosed("connection closed by server")
        if self.pos > (1 << 20):
            del self.buf[: self.pos]
            self.pos = 0
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                line = bytes(self.buf[self.pos : i])
                self.pos = i + 2
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) - self.pos < n + 2:
            self._fill()
        data = bytes(self.buf[self.pos : self.pos + n])
        if self.buf[self.pos + n : self.pos + n + 2] != b"\r\n":
            raise ProtocolViolation("bulk payload not terminated by CRLF")
        self.pos += n + 2
        return data

    def read_reply(self):
        # the buffer may be compacted by _fill; remember the absolute content instead
        self._raw_parts = []
        value = self._read()
        self.last_raw = b"".join(self._raw_parts)
        return value

    def _read(self):
        line = self._line()
        self._raw_parts.append(line + b"\r\n")
        if not line:
            raise ProtocolViolation("empty reply line")
        t, rest = line[:1], line[1:]
        if t == b"+":
            return Status(rest.decode("utf-8", "replace"))
        if t == b"-":
            return Error(rest)
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n == -1:
                return None
            data = self._exact(n)
            self._raw_parts.append(data + b"\r\n")
            return data
        if t == b"*":
            n = int(rest)
            if n == -1:
                return None
            return [self._read() for _ in range(n)]
        if t == b"_":
            if rest:
                raise ProtocolViolation(f"bad null {line!r}")
            return NULL
        if t == b",":
            return Double(float(rest.decode()))
        if t == b"#":
            if rest not in (b"t", b"f"):
                raise ProtocolViolation(f"bad boolean {line!r}")
            return rest == b"t"
        if t == b"(":
            return BigNumber(int(rest))
        if t == b"!":
            data = self._exact(int(rest))
            self._raw_parts.append(data + b"\r\n")
            return Error(data)
        if t == b"=":
            data = self._exact(int(rest))
            self._raw_parts.append(data + b"\r\n")
            v = Verbatim(data[4:])
            v.format = data[:3]
            return v
        if t == b"%":
            n = int(rest)
            m = Map()
            for _ in range(n):
                k = self._read()
                m[_hashable(k)] = self._read()
            return m
        if t == b"~":
            return Set(self._read() for _ in range(int(rest)))
        if t == b">":
            return Push(self._read() for _ in range(int(rest)))
        if t == b"|":
            n = int(rest)
            attr = Map()
            for _ in range(n):
                k = self._read()
                attr[_hashable(k)] = self._read()
            self.last_attribute = attr
            return self._read()
        raise ProtocolViolation(f"unknown reply type {line!r}")

    def read_replies(self, n):
        return [self.read_reply() for _ in range(n)]

    def is_closed(self, timeout=5.0):
        """True when the server closes the connection within timeout.

        Any pending bytes are read and discarded first."""
        deadline = time.monotonic() + timeout
        old = self.sock.gettimeout()
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.sock.settimeout(left)
                try:
                    chunk = self.sock.recv(65536)
                except socket.timeout:
                    return False
                except (ConnectionResetError, BrokenPipeError):
                    return True
                if not chunk:
                    return True
        finally:
            try:
                self.sock.settimeout(old)
            except OSError:
                pass

    def nothing_pending(self, wait=0.1):
        """True when no bytes arrive within `wait` seconds (connection still open)."""
        if len(self.buf) > self.pos:
            return False
        old = self.sock.gettimeout()
        self.sock.settimeout(wait)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return True
        finally:
            self.sock.settimeout(old)
        if chunk:
            self.buf += chunk
        return False


def _hashable(k):
    if isinstance(k, list):
        return tuple(_hashable(x) for x in k)
    return k


def wrong_args(command):
    """Redis's arity error for a command ('get') or subcommand ('client|kill')."""
    return Error(f"ERR wrong number of arguments for '{command}' command")


SYNTAX_ERROR = Error("ERR syntax error")
NOT_INTEGER = Error("ERR value is not an integer or out of range")
NOT_FLOAT = Error("ERR value is not a valid float")


def wait_until(predicate, timeout=5.0, interval=0.01, message="condition"):
    """Poll predicate() until it returns a truthy value; return it, or fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def parse_info(text):
    """INFO text -> {section_lower: {field: value}} (values kept as str)."""
    if isinstance(text, (bytes, bytearray)):
        text = text.decode("utf-8", "replace")
    sections = {}
    current = None
    for line in text.split("\r\n"):
        if not line:
            continue
        if line.startswith("# "):
            current = sections.setdefault(line[2:].strip().lower(), {})
            continue
        if current is None:
            raise AssertionError(f"INFO line before any section header: {line!r}")
        k, sep, v = line.partition(":")
        assert sep, f"INFO line without ':' {line!r}"
        current[k] = v
    return sections


def process_uptime_seconds(pid):
    """How long process `pid` has been running, from /proc (Linux): what a server's own
    uptime figure must agree with."""
    with open(f"/proc/{pid}/stat") as f:
        # the fields after the command name, which is in parentheses and may hold spaces
        fields = f.read().rsplit(")", 1)[1].split()
    start_ticks = int(fields[19])  # field 22 of stat(5): starttime, in clock ticks
    with open("/proc/uptime") as f:
        system_uptime = float(f.read().split()[0])
    return system_uptime - start_ticks / os.sysconf("SC_CLK_TCK")
