"""How a run ends when it is stopped: a cancelled CI job gets SIGTERM (then SIGKILL after a
grace period; GitHub's runner sends SIGINT first), a closed terminal SIGHUP, Ctrl-C SIGINT.

Python's default for SIGTERM and SIGHUP ends the process on the spot, without running any
``finally``: the temporary work tree of a git baseline would stay on disk and registered in
the repository (``git worktree list``), and a synth command would run on in it. Inside
:func:`stoppable`, each of these signals raises in the main thread instead (SIGINT as the usual
``KeyboardInterrupt``, SIGTERM and SIGHUP as :class:`Stopped`), so that every clean-up runs;
the entry point then exits with 128 + the signal's number, as a shell reports a process that
a signal ended. Once one has arrived, the others are ignored until the block ends, so that a
second signal does not cut the clean-up short. A signal the process was started with ignored
(``nohup``, a background job's SIGINT) stays ignored.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

#: The signals a runner or a terminal sends to stop a run.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

_Handler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None


class Stopped(BaseException):
    """The run was stopped by ``signum`` (a ``BaseException``: no ``except Exception`` of a
    stage takes it for an error of its own)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        """128 + the signal's number: 143 for SIGTERM, 129 for SIGHUP."""
        return 128 + self.signum


@contextmanager
def stoppable() -> Iterator[None]:
    """Turn the stop signals into exceptions in the block (see the module doc). Outside the
    main thread, where Python cannot handle signals, the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, _Handler] = {}

    def stop(signum: int, frame: FrameType | None) -> None:
        for other in STOP_SIGNALS:
            signal.signal(other, signal.SIG_IGN)
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Stopped(signum)

    for taken in STOP_SIGNALS:
        if signal.getsignal(taken) is not signal.SIG_IGN:
            previous[taken] = signal.signal(taken, stop)
    try:
        yield
    finally:
        for given, handler in previous.items():
            signal.signal(given, handler if handler is not None else signal.SIG_DFL)
