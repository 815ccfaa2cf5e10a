"""The command's exit codes, as `diff(1)` and `grep(1)` use them."""

from __future__ import annotations

OK = 0
DIFFERENT = 1  # diff: the models differ; check and scan: a finding at or above --fail-on
ERROR = 2  # bad input, bad arguments, a limit or the time limit
INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT
