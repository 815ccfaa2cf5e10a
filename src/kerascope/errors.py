"""The errors users see: a message that already says what is wrong."""

from __future__ import annotations


class KerascopeError(Exception):
    """A problem with the user's input, reported as one line without a traceback."""


class ValuesUnavailable(KerascopeError):
    """A weight whose values cannot be read: the file does not hold them in a form
    kerascope reads (a pickle, which is never unpickled; strings; a filter or type it
    does not decode), or the report does not say where they are (it was not read from
    a file that stores them). The message says why."""


class TimeLimitExceeded(BaseException):
    """The time limit ran out.

    A `BaseException`, like `KeyboardInterrupt`, so that no `except Exception`
    around a layer's own code (the live walk calls `get_config()` that may raise
    anything) can record it as that layer's error and carry on.
    """


def one_line(text: str, limit: int = 300) -> str:
    """A message folded onto one line, cut to a readable length: every error
    kerascope prints is one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
