"""What a pickle would import, read from its opcodes, never by loading it.

Unpickling calls whatever `GLOBAL`/`STACK_GLOBAL`/`INST` names: listing those
names (as picklescan does, with `pickletools.genops`) says what loading the
pickle would import and call, without running anything. The walk is bounded by
the bytes given; a malformed pickle gives what was read up to the damage.
"""

from __future__ import annotations

import io
import pickletools
from typing import NamedTuple

PICKLE_PROTOCOL_MARK = 0x80  # the PROTO opcode that opens every pickle of protocol 2 and above


class PickleImports(NamedTuple):
    """The callables a pickle names, and whether its opcodes were read to the end."""

    names: list[str]
    complete: bool


def pickle_imports(data: bytes, limit: int = 10_000) -> PickleImports:
    """`module.name` of every global the pickle loads, in order, at most `limit`."""
    names: list[str] = []
    pushed: list[str | None] = []  # the last two values pushed, for STACK_GLOBAL (module, name)
    memo: dict[int, str | None] = {}
    try:
        for opcode, argument, _ in pickletools.genops(io.BytesIO(data)):
            kind = opcode.name
            if kind in ("GLOBAL", "INST") and isinstance(argument, str):
                names.append(argument.replace(" ", "."))
            elif kind == "STACK_GLOBAL":
                module, name = ([None, None, *pushed])[-2:]
                names.append(f"{module or '?'}.{name or '?'}")
            if kind == "MEMOIZE":
                memo[len(memo)] = pushed[-1] if pushed else None
            elif kind in ("PUT", "BINPUT", "LONG_BINPUT") and isinstance(argument, int):
                memo[argument] = pushed[-1] if pushed else None
            elif kind in ("GET", "BINGET", "LONG_BINGET") and isinstance(argument, int):
                pushed = [*pushed[-1:], memo.get(argument)]
            elif "UNICODE" in kind or "STRING" in kind:
                pushed = [*pushed[-1:], argument if isinstance(argument, str) else None]
            elif opcode.stack_after:
                pushed = [*pushed[-1:], None]
            if len(names) >= limit:
                return PickleImports(names, False)
    except (ValueError, EOFError, UnicodeDecodeError, KeyError, IndexError):
        return PickleImports(names, False)
    return PickleImports(names, True)


def looks_like_pickle(data: bytes) -> bool:
    """Whether bytes open like a pickle (protocol 2 and above start with PROTO)."""
    return len(data) >= 2 and data[0] == PICKLE_PROTOCOL_MARK and data[1] <= 5
