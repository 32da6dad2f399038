"""Progress for logs: a tqdm-like object that prints one status line now and then.

tqdm redraws one line with carriage returns, which a log file or a CI console
shows as one growing line; off a terminal ``pprl`` prints instead a line such
as ``pprl attack: graph attack: 5/20 steps, 42 s`` every ``every`` seconds
(from a daemon thread, so a line comes even while one step takes minutes),
and one when the work ends.  (Written by hand: tqdm has no line-per-update
mode.)
"""

from __future__ import annotations

import sys
import threading
import time

__all__ = ["StatusLines"]


class StatusLines:
    """Has tqdm's ``reset(total=)``, ``update(n)`` and ``close()``; prints to stderr.

    Examples
    --------
    >>> import io, sys
    >>> s = StatusLines("attack", "graph attack", every=0.0, stream=sys.stdout)
    >>> s.reset(total=2); s.update(1)
    pprl attack: graph attack: 1/2 steps, 0 s
    """

    def __init__(self, command: str, what: str, every: float = 15.0, stream=None,
                 clock=time.monotonic) -> None:
        self.command, self.what, self.every = command, what, float(every)
        self.stream = stream
        self.clock = clock
        self.total: int | None = None
        self.n = 0
        self.t0 = self.last = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def reset(self, total: int | None = None) -> None:
        """Start counting ``total`` steps (and the periodic lines)."""
        self.total, self.n = total, 0
        self.t0 = self.last = self.clock()
        if self._thread is None and self.every > 0:
            self._thread = threading.Thread(target=self._beat, daemon=True)
            self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            if self.clock() - self.last >= self.every:
                self.last = self.clock()
                self._line()

    def _line(self) -> None:
        of = f"/{self.total}" if self.total else ""
        print(f"pprl {self.command}: {self.what}: {self.n}{of} steps, "
              f"{self.clock() - self.t0:.0f} s", file=self.stream or sys.stderr, flush=True)

    def update(self, n: int = 1) -> None:
        """Count ``n`` steps; print a line if ``every`` seconds passed since the last."""
        self.n += n
        if self.clock() - self.last >= self.every:
            self.last = self.clock()
            self._line()

    def close(self) -> None:
        """Stop the periodic lines and print the final one."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._line()
