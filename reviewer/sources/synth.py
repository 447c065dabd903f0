"""Run the user's synth command (``npx cdk synth``, ``serverless package``, ``sam build``).

The command runs through the shell in a working directory, with a timeout. Its output streams
to standard error as progress, line by line; when it fails or times out, the last lines are
shown again and the run ends with one line that names the command. A run that is stopped (a
signal, Ctrl-C) stops the command too: its process group is ended before the exception goes
on, and :meth:`Running.stop` ends the commands that other threads are waiting for.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from reviewer.errors import InputError

TAIL_LINES = 25
#: Longer output lines (minified code in a stack trace) are cut when shown.
SHOWN_CHARACTERS = 400
#: How long a stopped command may take to end after SIGTERM before it gets SIGKILL: a runner
#: that cancels a job gives a few seconds in all (GitHub's, 2.5 s after its own SIGTERM).
STOP_GRACE = 1.0


class Running:
    """The synth commands of one run, so that a stopped run ends them all at once: those
    running, and any that a thread was about to start."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._processes: set[subprocess.Popen[bytes]] = set()
        self._stopped = False

    @contextlib.contextmanager
    def started(self, command: str, cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
        """``command`` started through the shell in ``cwd`` (in a session of its own), known
        to :meth:`stop` while the block runs, and ended when the block is left by an exception
        while it still runs (the run was stopped: the command goes too)."""
        with self._lock:
            if self._stopped:
                raise InputError(cwd, f"`{command}` not started: the run was stopped")
            # The user's own synth command, run through the shell as they would run it.
            process = subprocess.Popen(
                command,
                shell=True,
                cwd=cwd,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            self._processes.add(process)
        try:
            yield process
        except BaseException:
            if process.poll() is None:
                _stop(process, STOP_GRACE)
            raise
        finally:
            with self._lock:
                self._processes.discard(process)

    def stop(self) -> None:
        """End every command still running, and start no other (the threads that wait for
        them then see them fail)."""
        with self._lock:
            self._stopped = True
            running = list(self._processes)
        for process in running:
            if process.poll() is None:
                _stop(process, STOP_GRACE)


def run_synth(
    command: str,
    cwd: Path,
    timeout: float,
    progress: TextIO,
    side: str | None = None,
    *,
    shown: str | None = None,
    running: Running | None = None,
) -> None:
    """Run ``command`` in ``cwd``; raise InputError when it fails or takes too long.

    ``side`` names the side when two syntheses run at once: it prefixes each output line.
    ``shown`` is how ``cwd`` is named in the progress (a temporary work tree is named by the
    folder inside the repository, not by its own path). ``running`` holds the commands of a
    run that starts several at once (see :class:`Running`).
    """
    if not cwd.is_dir():
        raise InputError(cwd, "working directory does not exist")
    bar = f"  {side} │" if side else "  │"
    where = f" ({side})" if side else ""
    progress.write(f"latest-guard: running `{command}` in {shown or cwd}{where}\n")
    progress.flush()
    started = time.monotonic()
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    with (running or Running()).started(command, cwd) as process, _output(process):
        try:
            for whole in _lines_until(process, started + timeout):
                line = whole if len(whole) <= SHOWN_CHARACTERS else (
                    f"{whole[:SHOWN_CHARACTERS]}… ({len(whole)} characters)"
                )
                tail.append(line)
                progress.write(f"{bar} {line}\n")
                progress.flush()
        except TimeoutError:
            _stop(process)
            _show_tail(tail, progress, bar)
            raise InputError(cwd, f"`{command}` did not finish within {timeout:g} s") from None
        code = process.wait()
    elapsed = time.monotonic() - started
    if code != 0:
        _show_tail(tail, progress, bar)
        raise InputError(cwd, f"`{command}` failed with exit status {code} after {elapsed:.1f} s")
    progress.write(f"latest-guard: `{command}` finished in {elapsed:.1f} s{where}\n")


@contextlib.contextmanager
def _output(process: subprocess.Popen[bytes]) -> Iterator[None]:
    """The block that reads the command's output, which is closed after it."""
    assert process.stdout is not None
    with process.stdout:
        yield


def _lines_until(process: subprocess.Popen[bytes], deadline: float) -> Iterator[str]:
    """Yield output lines as they come; raise TimeoutError once ``deadline`` passes.

    Reads whatever is available (not whole lines), so a command that prints half a line and
    then hangs is still stopped on time.
    """
    import selectors

    assert process.stdout is not None
    descriptor = process.stdout.fileno()
    pending = b""
    with selectors.DefaultSelector() as selector:
        selector.register(descriptor, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if not selector.select(timeout=min(remaining, 1.0)):
                continue
            chunk = os.read(descriptor, 65536)
            if not chunk:
                break
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for line in complete:
                yield line.decode(errors="replace").rstrip("\r")
    if pending:
        yield pending.decode(errors="replace")


def _stop(process: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """End the command's process group: SIGTERM, then SIGKILL after ``grace`` seconds."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def _show_tail(tail: deque[str], progress: TextIO, bar: str) -> None:
    if tail:
        lines = "the last line" if len(tail) == 1 else f"the last {len(tail)} lines"
        progress.write(f"latest-guard: {lines} of its output:\n")
        for line in tail:
            progress.write(f"{bar} {line}\n")
        progress.flush()
