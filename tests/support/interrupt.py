"""Commands a test interrupts as a terminal's Ctrl-C does."""

from __future__ import annotations

import signal


def as_foreground_job() -> None:
    """Run in a command's process before it starts (`preexec_fn`): SIGINT at its
    default, as a terminal's foreground job has it. A test run started as a background
    job of a non-interactive shell inherits SIGINT ignored, and an ignored SIGINT is
    rightly ignored by kerascope too; the tests of Ctrl-C are about the foreground."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
