"""What keeps the grader's child in bounds while a learner's notebook runs in it.

Used by :mod:`.runner` (``qkv-course grade``) before and around the learner's code:
:class:`CappedWriter` stands in for ``sys.stdout``/``sys.stderr`` and drops what is printed
past a cap; :class:`Alarm` raises :class:`OutOfTime` inside the running code when its time is
up; :func:`limit` sets the process limits that hold even if the grader itself dies.
"""

from __future__ import annotations

import ctypes
import io
import os
import resource
import signal
from contextlib import contextmanager

from .limits import FILE_LIMIT, OUTPUT_KEEP

__all__ = ["Alarm", "CappedWriter", "OutOfTime", "limit"]

#: Taken at import, before any learner code can replace them in the ``signal`` module.
_setitimer, _signal = signal.setitimer, signal.signal


class OutOfTime(BaseException):
    """Raised by SIGALRM in the running code; a BaseException, so ``except Exception`` misses it."""


class CappedWriter(io.TextIOBase):
    """A text stream that passes on the first ``cap`` characters and silently drops the rest."""

    def __init__(self, stream: io.TextIOBase, cap: int = OUTPUT_KEEP) -> None:
        self._stream, self._cap, self.written = stream, cap, 0

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        room = self._cap - self.written
        if room > 0:
            self._stream.write(text[:room])
        self.written += len(text)
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def writable(self) -> bool:
        return True


class Alarm:
    """SIGALRM raising :class:`OutOfTime` while armed, again every half second until disarmed."""

    def __init__(self) -> None:
        self.armed = self.fired = False

    def _ring(self, signum, frame) -> None:
        if self.armed:
            self.fired = True
            raise OutOfTime

    @contextmanager
    def running(self, seconds: float):
        _signal(signal.SIGALRM, self._ring)  # the learner's code may have replaced it
        self.fired, self.armed = False, True
        _setitimer(signal.ITIMER_REAL, max(seconds, 0.001), 0.5)
        try:
            yield self
        finally:
            self.armed = False  # first: a late signal must not raise in here
            _setitimer(signal.ITIMER_REAL, 0)


def limit(cpu_seconds: int) -> None:
    """Limits that hold even if the grader dies: file sizes, CPU time, the parent's death.

    No file may grow past FILE_LIMIT (a write past it fails; no core dumps either); past
    ``cpu_seconds`` of CPU the kernel stops the process; on Linux, it is killed when the
    grader is (``PR_SET_PDEATHSIG``), so an orphaned notebook cannot loop on.
    """
    for kind, cap in ((resource.RLIMIT_FSIZE, FILE_LIMIT), (resource.RLIMIT_CPU, cpu_seconds)):
        _soft, hard = resource.getrlimit(kind)
        cap = cap if hard == resource.RLIM_INFINITY else min(cap, hard)
        resource.setrlimit(kind, (cap, cap))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    parent = os.getppid()
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (AttributeError, OSError):  # not Linux: the CPU limit still ends an orphan
        pass
    if os.getppid() != parent:  # the grader died before prctl took effect
        os._exit(1)
