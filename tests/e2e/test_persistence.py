"""The SSD tier end to end: restarts find persisted objects again, kill -9 loses no
acknowledged sync write, a full disk leaves the server serving from memory."""

import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pytest
import redis

from conftest import ServerProcess
from respclient import Error, RawClient, wait_until

pytestmark = pytest.mark.crescent_only

CRASH_ROUNDS = int(os.environ.get("CRESCENT_CRASH_ROUNDS", "3"))


def start(target, data_dir, *extra):
    s = ServerProcess(target, ["--dir", data_dir, *extra])
    s.start()
    return s


def test_restart_finds_objects_with_ttl_and_pins(target, tmp_path):
    data = str(tmp_path / "data")
    s = start(target, data, "--persistence", "sync")
    r = s.client()
    big = os.urandom(3 << 20)
    r.set("plain", "v")
    r.set("big", big)
    r.set("ttl", "t", ex=1000)
    r.execute_command("PUT", "pinned", "p", "HARDPIN")
    r.set("deleted", "d")
    r.delete("deleted")
    assert s.stop() == 0
    s2 = start(target, data, "--persistence", "sync")
    r2 = s2.client()
    assert r2.get("plain") == b"v"
    assert r2.get("big") == big
    assert 990 < r2.ttl("ttl") <= 1000
    assert r2.get("deleted") is None
    info = r2.execute_command("QUERY", "pinned")
    fields = dict(zip(info[::2], info[1::2]))
    assert fields[b"hard_pin"] == 1
    persistence = r2.info("persistence")
    assert persistence["disk_loaded_objects"] == 4
    s2.check_stopped_cleanly()


def test_async_mode_flushes_on_shutdown(target, tmp_path):
    data = str(tmp_path / "data")
    s = start(target, data, "--persistence", "async")
    r = s.client()
    pipe = r.pipeline(transaction=False)
    for i in range(5000):
        pipe.set(f"k{i}", f"value-{i}")
    pipe.execute()
    assert s.stop() == 0
    s2 = start(target, data, "--persistence", "async")
    r2 = s2.client()
    assert r2.dbsize() == 5000
    assert r2.get("k4999") == b"value-4999"
    s2.check_stopped_cleanly()


_BUSY_LOOP = """
import time
while True:
    until = time.monotonic() + 0.001
    while time.monotonic() < until:
        pass
    time.sleep(0.001)
"""


def test_async_writer_rests_when_it_shares_a_busy_cpu(target, tmp_path):
    # Every thread of the server and a busy process (1 ms of work, 1 ms of sleep, like a
    # request thread under load) on one CPU: the writer is preempted during its batches,
    # rests, and still writes everything; INFO reports the rests.
    data = str(tmp_path / "data")
    s = start(target, data, "--persistence", "async")
    cpu = min(os.sched_getaffinity(0))
    for tid in os.listdir(f"/proc/{s.proc.pid}/task"):
        os.sched_setaffinity(int(tid), {cpu})
    busy = subprocess.Popen([sys.executable, "-c", _BUSY_LOOP])
    try:
        os.sched_setaffinity(busy.pid, {cpu})
        r = s.client()
        value = os.urandom(1 << 20)
        for i in range(16):
            r.set(f"k{i}", value)

        def drained():
            info = r.info("persistence")
            return info if info["disk_queue_depth"] == 0 else None

        p = wait_until(drained, timeout=60, message="the async queue to drain")
    finally:
        busy.kill()
        busy.wait()
    assert p["disk_writes"] == 16
    assert p["disk_async_dropped"] == 0
    assert p["disk_writer_rests"] > 0
    assert "disk_writer_rest_ms" in p
    s.check_stopped_cleanly()
    s2 = start(target, data, "--persistence", "async")
    assert s2.client().get("k15") == value
    s2.check_stopped_cleanly()


def test_eviction_demotes_and_reads_promote(target, tmp_path):
    data = str(tmp_path / "data")
    s = start(target, data, "--persistence", "sync", "--maxmemory", "16MB")
    r = s.client()
    values = {f"obj{i}": os.urandom(1 << 20) for i in range(48)}  # 3x the pool
    for k, v in values.items():
        assert r.set(k, v)
    persistence = r.info("persistence")
    assert persistence["demoted_objects"] > 20
    assert r.dbsize() == 48  # nothing lost
    fields = r.execute_command("QUERY", "obj0")
    replicas = dict(zip(fields[::2], fields[1::2]))[b"replicas"]
    assert [dict(zip(x[::2], x[1::2]))[b"kind"] for x in replicas] == [b"disk"]
    for k, v in values.items():
        assert r.get(k) == v
    assert r.info("persistence")["promoted_objects"] > 0
    s.check_stopped_cleanly()


def test_async_demotions_through_a_small_queue_lose_nothing(target, tmp_path):
    # A 1 MiB queue and four pipelined writers of 64 KiB values, four times the pool: most
    # SETs find the queue full (their own write is dropped, the value stays in memory),
    # and each eviction must then find room for its demotion, writing queued batches
    # itself if the writer does not make room in time. Nothing may be lost. The server
    # shares one CPU with a busy process, so the writer (nice 19) is slow to make room.
    data = str(tmp_path / "data")
    s = start(target, data, "--persistence", "async", "--maxmemory", "16MB",
              "--persistence-queue-size", "1MB")
    cpu = min(os.sched_getaffinity(0))
    for tid in os.listdir(f"/proc/{s.proc.pid}/task"):
        os.sched_setaffinity(int(tid), {cpu})
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    os.sched_setaffinity(busy.pid, {cpu})
    values, errors = {}, []

    def writer(w):
        try:
            c = redis.Redis(host=s.host, port=s.port, socket_timeout=60)
            mine = {f"w{w}:{i}": os.urandom(64 << 10) for i in range(256)}
            for start_at in range(0, 256, 16):
                pipe = c.pipeline(transaction=False)
                for k in list(mine)[start_at:start_at + 16]:
                    pipe.set(k, mine[k])
                if not all(pipe.execute()):
                    errors.append(f"writer {w}: a SET was refused")
            values.update(mine)
        except redis.RedisError as e:
            errors.append(f"writer {w}: {e!r}")

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        busy.kill()
        busy.wait()
    assert errors == []
    r = s.client()
    p = r.info("persistence")
    assert p["demoted_objects"] > 0
    assert p["disk_async_dropped"] > 0  # the queue was full: demotions had to wait
    assert "disk_helped_batches" in p
    assert r.dbsize() == 1024
    missing = [k for k, v in values.items() if r.get(k) != v]
    assert missing == []
    s.check_stopped_cleanly()


def _writer(host, port, acked, stop, seed):
    rng = random.Random(seed)
    c = redis.Redis(host=host, port=port, socket_timeout=5)
    i = 0
    try:
        while not stop.is_set():
            key = f"w{seed}:{i}"
            value = rng.randbytes(rng.choice([10, 1000, 70000]))
            c.set(key, value)
            acked[key] = value  # only after the reply
            i += 1
    except (redis.ConnectionError, redis.TimeoutError, ConnectionResetError):
        pass


def test_kill_9_loses_no_acknowledged_sync_write(target, tmp_path):
    data = str(tmp_path / "data")
    acked = {}
    for round_ in range(CRASH_ROUNDS):
        s = start(target, data, "--persistence", "sync")
        stop = threading.Event()
        threads = [threading.Thread(target=_writer, args=(s.host, s.port, acked, stop, round_ * 10 + t))
                   for t in range(3)]
        for t in threads:
            t.start()
        time.sleep(0.3 + random.random() * 0.4)
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait()
        stop.set()
        for t in threads:
            t.join()
    s = start(target, data, "--persistence", "sync")
    r = s.client()
    missing = [k for k in acked if r.get(k) != acked[k]]
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged writes lost or wrong"
    assert len(acked) > 100
    s.check_stopped_cleanly()


def test_kill_9_in_async_mode_never_returns_a_corrupt_value(target, tmp_path):
    data = str(tmp_path / "data")
    acked = {}
    s = start(target, data, "--persistence", "async")
    stop = threading.Event()
    threads = [threading.Thread(target=_writer, args=(s.host, s.port, acked, stop, 100 + t)) for t in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.6)
    # Kill only once some writes have reached RocksDB, so that the check below is not
    # vacuous: the writer rests while the CPU is contended (storage/disk_writer_rest.h),
    # and on a loaded machine 0.6 s may not be enough for its first batch.
    observer = s.client()
    wait_until(lambda: observer.info("persistence")["disk_writes"] > 0, timeout=30,
               message="the first async writes to reach the disk")
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait()
    stop.set()
    for t in threads:
        t.join()
    s = start(target, data, "--persistence", "async")
    r = s.client()
    present = 0
    for k, v in acked.items():
        got = r.get(k)
        if got is not None:
            assert got == v  # lost is allowed, wrong never
            present += 1
    assert present > 0
    assert r.info("persistence")["disk_corruptions"] == 0
    s.check_stopped_cleanly()


def _mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path],
                       capture_output=True, text=True)
    return p.returncode == 0, p.stderr.strip()


def test_full_disk_keeps_serving_from_memory_and_recovers(target, tmp_path):
    mount = str(tmp_path / "small")
    # RocksDB clears a no-space error only once the free space exceeds its write buffer
    # (64 MiB), so the filesystem must be larger than that.
    ok, why = _mount_tmpfs(mount, "160m")
    if not ok:
        pytest.skip(f"cannot mount a small tmpfs here ({why})")
    try:
        # A filler takes most of the space, so that the disk fills quickly and can be
        # given room again by removing it.
        filler = os.path.join(mount, "filler")
        data = os.path.join(mount, "data")
        s = start(target, data, "--persistence", "sync", "--maxmemory", "256MB")
        r = s.client()
        r.set("before", "safe")
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * (1 << 20))
                    f.flush()
            except OSError:
                pass
        value = b"x" * (256 << 10)
        error = None
        for i in range(400):
            try:
                r.set(f"fill{i}", value)
            except redis.ResponseError as e:
                error = str(e)
                break
        assert error is not None and error.startswith("IOERR"), error
        assert r.get("before") == b"safe"          # reads keep working
        assert r.info("persistence")["disk_healthy"] == 0
        with pytest.raises(redis.ResponseError, match="IOERR"):
            r.set("during", "x")
        os.remove(filler)                          # the disk recovers
        assert wait_until(lambda: _set_ok(r), timeout=30)
        assert r.info("persistence")["disk_healthy"] == 1
        assert r.get("before") == b"safe"
        s.check_stopped_cleanly()
    finally:
        subprocess.run(["umount", "-l", mount], capture_output=True)


def _set_ok(r):
    try:
        return r.set("after", "ok")
    except redis.ResponseError:
        return False
