"""The dump file of `crescent-cli dump` / `load`: every object of a server, binary-safe,
written and read as a stream (nothing but one object at a time is held in memory).

Layout, version 1. Integers are little-endian; a varint is an unsigned LEB128 number
(7 bits per byte, low bits first, high bit set on every byte but the last).

    header   magic      8 bytes   89 43 52 44 55 4d 50 0a   ("\\x89CRDUMP\\n")
             version    1 byte    1
             reference  8 bytes   u64: the dump's reference time, Unix milliseconds
                                  (the clock of the machine that ran the dump)
    object   tag        1 byte    0x01
             flags      1 byte    bit 0: has a TTL, bit 1: soft-pinned, bit 2: hard-pinned
                                  (other bits: 0)
             key        varint length, then that many bytes
             value      varint length, then that many bytes
             ttl        varint    only if bit 0: the object expires this many ms after
                                  the reference time
             soft pin   varint    only if bit 1: the soft pin ends this many ms after the
                                  reference time
    ... any number of objects ...
    end      tag        1 byte    0x00
             count      8 bytes   u64: the number of objects in the file
             checksum   32 bytes  SHA-256 of every byte before it (magic .. count)

The magic's first byte has the high bit set and its last is a newline, so a transfer
that strips the eighth bit or rewrites line ends is caught at once (as PNG does).
TTLs and pins are stored relative to the reference time, so that they are exact for every
object however long the dump took; `load` subtracts the time elapsed since the reference
(the remaining lifetime is restored) unless asked to count from the load instead.
"""

import hashlib
import struct

MAGIC = b"\x89CRDUMP\n"
VERSION = 1
TAG_END = 0x00
TAG_OBJECT = 0x01
FLAG_TTL = 0x01
FLAG_SOFT_PIN = 0x02
FLAG_HARD_PIN = 0x04
CHECKSUM_BYTES = 32
HEADER_BYTES = len(MAGIC) + 1 + 8
TRAILER_BYTES = 1 + 8 + CHECKSUM_BYTES
_FLUSH_AT = 1 << 20


class DumpFormatError(Exception):
    """The file is not a dump, is of an unknown version, is truncated or corrupt."""


def _varint(n):
    if n < 0:
        raise ValueError("varint of a negative number")
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


class Record:
    __slots__ = ("key", "value", "ttl_ms", "soft_pin_ms", "hard_pin")

    def __init__(self, key, value, ttl_ms=None, soft_pin_ms=None, hard_pin=False):
        self.key = key
        self.value = value
        self.ttl_ms = ttl_ms            # ms after the reference time, or None
        self.soft_pin_ms = soft_pin_ms  # ms after the reference time, or None
        self.hard_pin = hard_pin


class DumpWriter:
    """Writes a dump to a binary file object, hashing as it goes. Call finish() last."""

    def __init__(self, f, reference_ms):
        self._f = f
        self._hash = hashlib.sha256()
        self._buf = bytearray()
        self.count = 0
        self.bytes_written = 0
        self._buf += MAGIC + bytes([VERSION]) + struct.pack("<Q", reference_ms)

    def _flush(self):
        if self._buf:
            self._hash.update(self._buf)
            self._f.write(self._buf)
            self.bytes_written += len(self._buf)
            self._buf = bytearray()

    def _raw(self, data):
        # Large values skip the buffer (no copy); small ones are gathered.
        if len(data) >= _FLUSH_AT:
            self._flush()
            self._hash.update(data)
            self._f.write(data)
            self.bytes_written += len(data)
        else:
            self._buf += data
            if len(self._buf) >= _FLUSH_AT:
                self._flush()

    def add(self, key, value, ttl_ms=None, soft_pin_ms=None, hard_pin=False):
        flags = ((FLAG_TTL if ttl_ms is not None else 0) |
                 (FLAG_SOFT_PIN if soft_pin_ms is not None else 0) |
                 (FLAG_HARD_PIN if hard_pin else 0))
        self._buf += bytes([TAG_OBJECT, flags]) + _varint(len(key))
        self._raw(key)
        self._buf += _varint(len(value))
        self._raw(value)
        if ttl_ms is not None:
            self._buf += _varint(ttl_ms)
        if soft_pin_ms is not None:
            self._buf += _varint(soft_pin_ms)
        self.count += 1

    def finish(self):
        self._buf += bytes([TAG_END]) + struct.pack("<Q", self.count)
        self._flush()
        digest = self._hash.digest()
        self._f.write(digest)
        self.bytes_written += len(digest)
        self._f.flush()


def verify_file(path, progress=None):
    """Checks the trailing SHA-256 of a dump file against its contents.
    Raises DumpFormatError if it does not match. `progress(bytes_done)` if given."""
    with open(path, "rb") as f:
        f.seek(0, 2)
        size = f.tell()
        if size < HEADER_BYTES + TRAILER_BYTES:
            raise DumpFormatError(f"{path}: too short to be a dump ({size} bytes)")
        f.seek(0)
        if f.read(len(MAGIC)) != MAGIC:
            raise DumpFormatError(f"{path}: not a crescent-cli dump (bad magic)")
        f.seek(0)
        h = hashlib.sha256()
        left = size - CHECKSUM_BYTES
        done = 0
        while left > 0:
            chunk = f.read(min(left, 4 << 20))
            if not chunk:
                raise DumpFormatError(f"{path}: file shrank while being read")
            h.update(chunk)
            left -= len(chunk)
            done += len(chunk)
            if progress:
                progress(done)
        if f.read(CHECKSUM_BYTES) != h.digest():
            raise DumpFormatError(f"{path}: checksum mismatch: the file is corrupt or truncated")
    return size


class DumpReader:
    """Reads a dump from a binary file object, one Record at a time, checking the structure,
    the object count and (at the end) the checksum. Iterate it; `reference_ms` is known
    after construction and `bytes_read` grows as records are read."""

    _CHUNK = 1 << 20

    def __init__(self, f):
        self._f = f
        self._hash = hashlib.sha256()
        self._buf = b""
        self._pos = 0      # bytes of _buf consumed
        self._hashed = 0   # bytes of _buf already given to the hash
        self.bytes_read = 0
        self.count = 0
        header = self._take(HEADER_BYTES, "the header")
        if header[:len(MAGIC)] != MAGIC:
            raise DumpFormatError("not a crescent-cli dump (bad magic)")
        version = header[len(MAGIC)]
        if version != VERSION:
            raise DumpFormatError(f"dump version {version} is not supported (this tool reads {VERSION})")
        (self.reference_ms,) = struct.unpack("<Q", header[len(MAGIC) + 1:])

    def _sync_hash(self):
        if self._pos > self._hashed:
            self._hash.update(memoryview(self._buf)[self._hashed:self._pos])
        self._hashed = self._pos

    def _take(self, n, what):
        end = self._pos + n
        if end <= len(self._buf):
            data = self._buf[self._pos:end]
            self._pos = end
            self.bytes_read += n
            return data
        self._sync_hash()
        rest = self._buf[self._pos:]
        more = self._f.read(max(n - len(rest), self._CHUNK))
        self._buf = rest + more
        self._pos = self._hashed = 0
        if len(self._buf) < n:
            raise DumpFormatError(f"truncated file: it ends inside {what}")
        return self._take(n, what)

    def _varint(self, what):
        shift = 0
        n = 0
        while True:
            b = self._take(1, what)[0]
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                return n
            shift += 7
            if shift > 63:
                raise DumpFormatError(f"corrupt file: {what} is not a valid varint")

    def __iter__(self):
        while True:
            tag = self._take(1, "a record tag")[0]
            if tag == TAG_END:
                (count,) = struct.unpack("<Q", self._take(8, "the trailer"))
                self._sync_hash()
                expected = self._hash.digest()
                digest = self._take(CHECKSUM_BYTES, "the checksum")
                if digest != expected:
                    raise DumpFormatError("checksum mismatch: the file is corrupt")
                if count != self.count:
                    raise DumpFormatError(f"the trailer counts {count} objects but the file holds {self.count}")
                if self._pos != len(self._buf) or self._f.read(1):
                    raise DumpFormatError("unexpected bytes after the checksum")
                return
            if tag != TAG_OBJECT:
                raise DumpFormatError(f"corrupt file: unknown record tag 0x{tag:02x} at byte {self.bytes_read - 1}")
            flags = self._take(1, "a record")[0]
            if flags & ~(FLAG_TTL | FLAG_SOFT_PIN | FLAG_HARD_PIN):
                raise DumpFormatError(f"corrupt file: unknown flags 0x{flags:02x} at byte {self.bytes_read - 1}")
            key = self._take(self._varint("a key length"), "a key")
            value = self._take(self._varint("a value length"), "a value")
            ttl = self._varint("a TTL") if flags & FLAG_TTL else None
            pin = self._varint("a soft pin") if flags & FLAG_SOFT_PIN else None
            self.count += 1
            yield Record(key, value, ttl, pin, bool(flags & FLAG_HARD_PIN))
