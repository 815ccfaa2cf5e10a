"""Pickles made by hand, and Python's own unpickler as the truth of what one imports.

`system_pickle` writes, opcode by opcode, the pickle of `os.system(command)` at
each protocol, as an attacker would; `pickletools.dis` (which reads, never runs)
checks that each is a well-formed pickle of the protocol it claims. `imports_by_pickle`
runs Python's own unpickler over a pickle with every import answered by a harmless
stand-in class: the names it asks for, in order, up to where it fails, are what
`pickle.load` would import; nothing the pickle names is ever imported.
"""

from __future__ import annotations

import contextlib
import io
import pickle
import pickletools
import struct


def system_pickle(protocol: int, command: str) -> bytes:
    """The pickle of `posix.system(command)`, written by hand at `protocol` (0-5)."""
    text = command.encode()
    if protocol == 0:
        return b"cposix\nsystem\n(V" + text + b"\ntR."
    if protocol == 1:
        return b"cposix\nsystem\n(X" + struct.pack("<I", len(text)) + text + b"tR."
    if protocol in (2, 3):  # protocol 3 added bytes: os.system takes them too
        argument = b"X" if protocol == 2 else b"B"
        body = (
            b"cposix\nsystem\nq\x00"
            + argument
            + struct.pack("<I", len(text))
            + text
            + b"q\x01\x85q\x02Rq\x03."
        )
        return bytes([0x80, protocol]) + body
    spare = b"\x96" + struct.pack("<Q", 0) + b"0" if protocol == 5 else b""  # a bytearray, dropped
    frame = (
        spare
        + b"\x8c\x05posix\x94\x8c\x06system\x94\x93\x94"
        + b"\x8c"
        + bytes([len(text)])
        + text
        + b"\x94\x85\x94R\x94."
    )
    return bytes([0x80, protocol]) + b"\x95" + struct.pack("<Q", len(frame)) + frame


def protocol_of(data: bytes) -> int:
    """The highest protocol among a pickle's opcodes, as `pickletools.dis` reads it
    (it raises on a malformed pickle)."""
    listing = io.StringIO()
    pickletools.dis(data, out=listing)
    return int(listing.getvalue().rsplit("highest protocol among opcodes = ", 1)[1].split()[0])


class _StandIn:
    """What every import resolves to: a class that accepts any call, state and items."""

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        pass

    def append(self, item):
        pass

    def extend(self, items):
        pass

    def __setitem__(self, key, value):
        pass


class _Recorder(pickle.Unpickler):
    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data))
        self.names: list[str] = []

    def find_class(self, module: str, name: str) -> type:
        self.names.append(f"{module}.{name}")
        return _StandIn


def imports_by_pickle(data: bytes) -> list[str]:
    """What Python's unpickler imports from `data`, in order, each once, up to where
    it stops (its end, or the damage it raises on)."""
    recorder = _Recorder(data)
    with contextlib.suppress(Exception):  # wherever the pickle breaks, what was imported stands
        recorder.load()
    return list(dict.fromkeys(recorder.names))
