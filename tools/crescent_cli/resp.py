"""Pipelines for bulk work (dump): a batch of commands sent on one of redis-py's
connections (so host, password, user, TLS and timeouts are redis-py's), with the replies
parsed here. redis-py 4.3's pure-Python parser spends about 100 us on one QUERY reply (a
map of eight fields and a nested replica list); this reader spends a tenth of that, which
is the difference between a dump that waits on its own parser and one that does not.

RESP2 only (redis-py 4.3 never switches the connection to RESP3). Errors come back as
ReplyError objects in the reply list, as redis-py's pipeline(raise_on_error=False) does."""

import socket

import redis


class ReplyError:
    def __init__(self, message):
        self.message = message

    def __str__(self):
        return self.message

    def __repr__(self):
        return f"ReplyError({self.message!r})"


class _Incomplete(Exception):
    pass


def _parse(buf, pos, end):
    """One reply from buf[pos:end] (a bytearray): (reply, position after it). Raises
    _Incomplete if the reply is not all there yet. A loop with a stack, not recursion:
    a QUERY reply has about 25 elements and this is the dump's inner loop."""
    find = buf.find
    stack = []  # [items so far, items still to come] per open array
    while True:
        i = find(b"\r\n", pos, end)
        if i < 0:
            raise _Incomplete
        kind = buf[pos]
        if kind == 36:  # $bulk
            n = int(buf[pos + 1:i])
            if n < 0:
                value = None
                pos = i + 2
            else:
                first = i + 2
                if first + n + 2 > end:
                    raise _Incomplete
                value = bytes(buf[first:first + n])
                pos = first + n + 2
        elif kind == 42:  # *array
            n = int(buf[pos + 1:i])
            pos = i + 2
            if n > 0:
                stack.append([[], n])
                continue
            value = None if n < 0 else []
        elif kind == 58:  # :integer
            value = int(buf[pos + 1:i])
            pos = i + 2
        elif kind == 43:  # +status
            value = bytes(buf[pos + 1:i])
            pos = i + 2
        elif kind == 45:  # -error
            value = ReplyError(bytes(buf[pos + 1:i]).decode("utf-8", "replace"))
            pos = i + 2
        else:
            raise redis.ConnectionError(f"protocol error: unexpected reply byte {kind:#x}")
        while stack:
            top = stack[-1]
            top[0].append(value)
            top[1] -= 1
            if top[1]:
                break
            stack.pop()
            value = top[0]
        else:
            return value, pos


def _read_replies(sock, count):
    buf = bytearray()
    pos = 0
    replies = []
    while len(replies) < count:
        try:
            value, pos = _parse(buf, pos, len(buf))
            replies.append(value)
            continue
        except _Incomplete:
            pass
        if pos:
            del buf[:pos]
            pos = 0
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise redis.ConnectionError("the server closed the connection")
        buf += chunk
    if pos != len(buf):
        raise redis.ConnectionError("protocol error: more replies than commands")
    return replies


def execute(client, commands):
    """Sends `commands` (a list of argument tuples) in one write and returns their replies
    in order. A connection failure raises redis.ConnectionError / redis.TimeoutError and
    the connection is dropped (its state is unknown)."""
    pool = client.connection_pool
    conn = pool.get_connection("PIPELINE")
    try:
        conn.send_packed_command(conn.pack_commands(commands))
        return _read_replies(conn._sock, len(commands))
    except socket.timeout:
        conn.disconnect()
        raise redis.TimeoutError("timed out reading replies")
    except OSError as e:
        conn.disconnect()
        raise redis.ConnectionError(f"error reading replies: {e}")
    except BaseException:
        conn.disconnect()
        raise
    finally:
        pool.release(conn)
