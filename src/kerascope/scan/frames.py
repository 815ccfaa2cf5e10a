"""Messages between the scanner and its worker processes: a length, then JSON.

JSON, not pickle: a worker has just read a hostile file, so what comes back is
decoded as plain data and nothing else.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any

_HEADER = struct.Struct(">I")
MAX_FRAME = 1 << 30


class WorkerGone(Exception):
    """The other end closed its pipe (it ended)."""


class TimedOut(Exception):
    """No whole frame arrived before the deadline."""


def send(fd: int, message: dict[str, Any]) -> None:
    body = json.dumps(message, separators=(",", ":")).encode("utf-8", "surrogatepass")
    data = memoryview(_HEADER.pack(len(body)) + body)
    while data:
        data = data[os.write(fd, data) :]


def receive(fd: int, deadline: float | None = None) -> dict[str, Any]:
    """The next message on `fd`; `WorkerGone` at end of file, `TimedOut` past `deadline` (monotonic),
    `ValueError` for anything but a JSON message of at most `MAX_FRAME` bytes."""
    (length,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size, deadline))
    if length > MAX_FRAME:
        raise ValueError(f"a message of {length:,} bytes")
    return json.loads(_read_exactly(fd, length, deadline).decode("utf-8", "surrogatepass"))


def _read_exactly(fd: int, count: int, deadline: float | None) -> bytes:
    parts, missing = [], count
    while missing:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimedOut()
        chunk = os.read(fd, min(missing, 1 << 20))
        if not chunk:
            raise WorkerGone("end of file")
        parts.append(chunk)
        missing -= len(chunk)
    return b"".join(parts)
