"""A one-line progress bar for the terminal (stderr), usable as ``run_demo``'s progress callback.

On a terminal it redraws in place at most ten times a second; when stderr is a file or a pipe it
prints one line per tenth of the work instead, so logs stay readable.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    def __init__(self, stream: TextIO | None = None, unit: str = "traces", width: int = 30) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.unit = unit
        self.width = width
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self._started = time.monotonic()
        self._last_draw = 0.0
        self._last_tenth = -1
        self._finished = False

    def __call__(self, done: int, total: int) -> None:
        if self._finished:
            return
        fraction = min(1.0, done / total) if total > 0 else 1.0
        now = time.monotonic()
        if self.interactive:
            if fraction < 1.0 and now - self._last_draw < 0.1:
                return
            self._last_draw = now
            self.stream.write("\r" + self.render(done, total, now - self._started))
            if fraction >= 1.0:
                self.stream.write("\n")
                self._finished = True
        else:
            tenth = int(fraction * 10)
            if tenth == self._last_tenth:
                return
            self._last_tenth = tenth
            self.stream.write(self.render(done, total, now - self._started) + "\n")
            self._finished = fraction >= 1.0
        self.stream.flush()

    def render(self, done: int, total: int, elapsed: float) -> str:
        fraction = min(1.0, done / total) if total > 0 else 1.0
        filled = int(round(fraction * self.width))
        bar = "#" * filled + "-" * (self.width - filled)
        return f"[{bar}] {fraction:4.0%} {done:,}/{total:,} {self.unit} {elapsed:5.1f}s"
