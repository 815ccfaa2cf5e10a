"""The one error type users see: a message that already says what is wrong."""


class KerascopeError(Exception):
    """A problem with the user's input, reported as one line without a traceback."""
