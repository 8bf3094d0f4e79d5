"""A status line for long runs: what `check`, `scan` and `report` are doing, on a terminal only.

Nothing is shown for a run that ends within ``DELAY`` seconds, nor when standard error is not a terminal (a
CI log, a pipe): the line is for someone waiting at a prompt. It is redrawn in place by a background thread
(the work itself is one long call: the elapsed time is what moves), and erased when the run ends, so the
messages that follow start on a clean line.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO

DELAY = 2.0  # seconds before the line appears
INTERVAL = 0.5


class Progress:
    def __init__(self, command: str, stream: TextIO | None = None, *, delay: float | None = None,
                 enabled: bool | None = None):
        self.command = command
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            try:
                enabled = bool(self.stream.isatty()) and not os.environ.get("S3AUDIT_NO_PROGRESS")
            except (AttributeError, ValueError, OSError):
                enabled = False
        self.enabled = enabled
        self.delay = DELAY if delay is None else delay
        self.text = "starting"
        self.shown = False
        self._start = time.monotonic()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "Progress":
        if self.enabled:
            self._thread = threading.Thread(target=self._run, name="s3audit-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def stage(self, text: str) -> None:
        """What the run is doing now (shown at the next redraw)."""
        self.text = text

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self._lock:
            if self.shown:
                self._write("\r\x1b[K")
                self.shown = False

    def _run(self) -> None:
        if self._stop.wait(self.delay):
            return
        while True:
            with self._lock:
                if self._stop.is_set():
                    return
                elapsed = time.monotonic() - self._start
                self._write(f"\r\x1b[Ks3audit {self.command}: {self.text}… {elapsed:.0f} s")
                self.shown = True
            if self._stop.wait(INTERVAL):
                return

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self.enabled = False
