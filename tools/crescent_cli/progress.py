"""Progress on stderr for long operations: a text bar when the total is known, a spinner
with the elapsed time when it is not. Drawn only when enabled (stderr is a terminal and
--no-progress was not given); otherwise every call does nothing. No dependencies."""

import sys
import threading
import time

_WIDTH = 30


def human_bytes(n):
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


class Bar:
    """Bar(label, total, unit): update(done) redraws at most ten times a second."""

    def __init__(self, label, total, unit="objects", enabled=False, stream=None):
        self.label = label
        self.total = max(int(total), 0)
        self.unit = unit
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.start = time.monotonic()
        self._last = 0.0
        self._done = 0
        self._shown = False

    def _format_amount(self, n):
        return human_bytes(n) if self.unit == "bytes" else f"{n:,}"

    def update(self, done, force=False):
        self._done = done
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        elapsed = max(now - self.start, 1e-6)
        rate = done / elapsed
        if self.total > 0:
            frac = min(done / self.total, 1.0)
            filled = int(frac * _WIDTH)
            bar = "#" * filled + "." * (_WIDTH - filled)
            text = (f"{self.label} [{bar}] {frac * 100:5.1f}% "
                    f"{self._format_amount(done)}/{self._format_amount(self.total)}")
        else:
            text = f"{self.label} {self._format_amount(done)}"
        if self.unit == "bytes":
            text += f"  {human_bytes(rate)}/s"
        else:
            text += f" {self.unit}  {rate:,.0f}/s"
        self.stream.write("\r" + text + "\x1b[K")
        self.stream.flush()
        self._shown = True

    def close(self):
        if self.enabled:
            self.update(self._done, force=True)
            self.stream.write("\n")
            self.stream.flush()


class Spinner:
    """A context manager that shows `label` and the elapsed seconds while a single long
    command runs on the server (whose progress cannot be measured from here)."""

    def __init__(self, label, enabled=False, stream=None):
        self.label = label
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self._stop = threading.Event()
        self._thread = None

    def _run(self):
        start = time.monotonic()
        frames = "|/-\\"
        i = 0
        while not self._stop.wait(0.1):
            self.stream.write(f"\r{self.label} {frames[i % 4]} {time.monotonic() - start:.1f}s\x1b[K")
            self.stream.flush()
            i += 1

    def __enter__(self):
        if self.enabled:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self.stream.write("\r\x1b[K")
            self.stream.flush()
        return False
