"""Run the user's synth command (``npx cdk synth``, ``serverless package``, ``sam build``).

The command runs through the shell in a working directory, with a timeout. Its output streams
to standard error as progress, line by line; when it fails or times out, the last lines are
shown again and the run ends with one line that names the command. A run that is stopped (a
signal, Ctrl-C) stops the command too: its process group is ended before the exception goes
on, and :func:`stop_running` ends the commands that other threads are waiting for.
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

_RUNNING: set[subprocess.Popen[bytes]] = set()
_RUNNING_LOCK = threading.Lock()


def run_synth(
    command: str,
    cwd: Path,
    timeout: float,
    progress: TextIO,
    side: str | None = None,
    *,
    shown: str | None = None,
) -> None:
    """Run ``command`` in ``cwd``; raise InputError when it fails or takes too long.

    ``side`` names the side when two syntheses run at once: it prefixes each output line.
    ``shown`` is how ``cwd`` is named in the progress (a temporary work tree is named by the
    folder inside the repository, not by its own path).
    """
    if not cwd.is_dir():
        raise InputError(cwd, "working directory does not exist")
    bar = f"  {side} │" if side else "  │"
    where = f" ({side})" if side else ""
    progress.write(f"latest-guard: running `{command}` in {shown or cwd}{where}\n")
    progress.flush()
    started = time.monotonic()
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
    assert process.stdout is not None
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    with _running(process), process.stdout:
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
def _running(process: subprocess.Popen[bytes]) -> Iterator[None]:
    """``process`` known to :func:`stop_running` in the block, and ended when the block is
    left by an exception while it still runs (the run was stopped: the command goes too)."""
    with _RUNNING_LOCK:
        _RUNNING.add(process)
    try:
        yield
    except BaseException:
        if process.poll() is None:
            _stop(process, STOP_GRACE)
        raise
    finally:
        with _RUNNING_LOCK:
            _RUNNING.discard(process)


def stop_running() -> None:
    """End every synth command still running (the threads that wait for them then see them
    fail): called when the run is stopped while other threads follow the commands."""
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for process in running:
        if process.poll() is None:
            _stop(process, STOP_GRACE)


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
