"""Each command runs in a child process that this one can always stop.

Native code can hang without returning to Python (the HDF5 library loops
forever on some corrupt files, holding the interpreter lock), so neither an
alarm nor a thread can stop it; a parent process can. The child enforces the
time limit itself (`kerascope.limits.time_limit`); the parent is the second
fence, a grace period later. Ctrl-C ends the child and the command with one
line and exit 130; a child killed by a signal is named in one line, exit 2.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import time
import traceback
from collections.abc import Callable

from kerascope.cli import exits
from kerascope.limits import time_message

GRACE = 2.0


def supervise(run: Callable[[], int], seconds: float | None) -> int:
    """The exit code of `run()`, run in a forked child ended after `seconds` (+ grace)."""
    if not seconds or not hasattr(os, "fork"):
        return run()
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's coverage is the command's
        _run_child(run)
    try:
        status = _status_within(child, seconds + GRACE)
    except KeyboardInterrupt:
        _end(child)
        _say("interrupted")
        return exits.INTERRUPTED
    if status is None:
        _end(child)
        _say(time_message(seconds))
        return exits.ERROR
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number == signal.SIGINT:
            _say("interrupted")
            return exits.INTERRUPTED
        why = " (out of memory?)" if number == signal.SIGKILL else ""
        _say(f"the command was ended by {signal.Signals(number).name}{why}")
        return exits.ERROR
    return os.waitstatus_to_exitcode(status)


def _run_child(run: Callable[[], int]) -> None:
    code = exits.ERROR
    try:
        code = run()
    except KeyboardInterrupt:
        code = exits.INTERRUPTED
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else exits.ERROR
    except BaseException:  # noqa: BLE001 - only with --debug does a command let one through
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (BrokenPipeError, ValueError):
            pass
        os._exit(code)


def _status_within(child: int, seconds: float) -> int | None:
    """The child's wait status if it ends within `seconds`, else None."""
    if hasattr(os, "pidfd_open"):  # Linux: sleep until the child ends, no polling
        handle = os.pidfd_open(child)
        try:
            ended = select.select([handle], [], [], seconds)[0]
        finally:
            os.close(handle)
        return os.waitpid(child, 0)[1] if ended else None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        finished, status = os.waitpid(child, os.WNOHANG)
        if finished:
            return status
        time.sleep(0.005)
    return None


def _end(child: int) -> None:
    try:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _say(message: str) -> None:
    print(f"kerascope: {message}", file=sys.stderr)
