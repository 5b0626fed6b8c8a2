"""Progress bars for long commands (import, demo, recount, verify).

Click's ``progressbar`` on stderr, so stdout stays what scripts read; nothing at all when
stderr is not a terminal (a pipe, a log file, the systemd journal, the tests).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import click


class Progress:
    """Call with ``(done, total)`` as work goes on; the bar appears at the first call."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.shown = self.stream.isatty()
        self._bar: Any = None
        self._done = 0

    def __call__(self, done: int, total: int) -> None:
        if not self.shown or total <= 0:
            return
        if self._bar is None:
            self._bar = click.progressbar(length=total, label=self.label, file=self.stream)
            self._bar.__enter__()
        self._bar.update(max(0, done - self._done))
        self._done = max(done, self._done)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


@contextmanager
def progress(label: str, stream: TextIO | None = None) -> Iterator[Progress]:
    """A :class:`Progress` that is finished (or cleared) when the block ends."""
    bar = Progress(label, stream)
    try:
        yield bar
    finally:
        bar.close()
