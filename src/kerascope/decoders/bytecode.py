"""Python bytecode in a config, in every Keras generation's encoding, as data.

Keras 3 writes a Lambda's function as `{"class_name": "__lambda__", "config":
{"code": <base64 marshal>}}`; Keras 2 as `[code, defaults, closure]` or a bare
code string, base64 marshal, beside `function_type: "lambda"` (and the same for
`output_shape`); Keras 1 as raw marshal bytes in a latin-1 string. Nothing here
unmarshals anything: the bytes are recognised by their first byte, measured and
hashed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any, NamedTuple

_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]+$")
# The first byte of a marshalled code object: TYPE_CODE ('c'), with or without FLAG_REF.
_CODE_TYPES = (0x63, 0xE3)
RAW = "raw marshal bytes, as Keras 1 and early Keras 2 wrote"
BASE64 = "base64 marshal, as Keras 2 wrote"
KERAS3 = "Keras 3 __lambda__, base64 marshal"


class Bytecode(NamedTuple):
    encoding: str
    size: int
    sha256: str

    def __str__(self) -> str:
        return f"<bytecode {_size(self.size)} sha256:{self.sha256[:12]}…>"


def in_lambda_entry(value: Any, kind: Any) -> Bytecode | None:
    """The bytecode a Lambda's `function` or `output_shape` holds, given its
    `function_type`/`output_shape_type` (`kind`), or None when it holds none."""
    if isinstance(value, dict):
        return keras3_lambda(value)
    if kind in ("function", "raw"):
        return None  # a name to look up, or a plain value
    code = value[0] if isinstance(value, list) and value else value
    if not isinstance(code, str) or (kind is None and not isinstance(value, list)):
        return None
    return of_string(code)


def keras3_lambda(obj: dict[str, Any]) -> Bytecode | None:
    """The bytecode of a Keras 3 `__lambda__` object."""
    if obj.get("class_name") != "__lambda__":
        return None
    config = obj.get("config")
    code = config.get("code") if isinstance(config, dict) else None
    found = of_string(code) if isinstance(code, str) else None
    return (
        Bytecode(KERAS3, found.size, found.sha256)
        if found
        else Bytecode(KERAS3, 0, hashlib.sha256().hexdigest())
    )


def of_string(code: str) -> Bytecode:
    """A stored code string as bytecode: raw marshal (Keras 1) or base64 marshal."""
    if code[:1] == "\u00e3" or not _BASE64.match(code):
        raw = code.encode("latin-1", errors="replace")
        return Bytecode(RAW, len(raw), hashlib.sha256(raw).hexdigest())
    try:
        decoded = base64.b64decode(code, validate=False)
    except (binascii.Error, ValueError):
        decoded = code.encode()
    return Bytecode(BASE64, len(decoded), hashlib.sha256(decoded).hexdigest())


def looks_like_bytecode(text: str) -> bool:
    """Whether a long string is marshalled code, raw or base64 (for showing a digest)."""
    if text[:1] == "\u00e3":
        return True
    if not _BASE64.match(text[:64]):
        return False
    try:
        head = base64.b64decode(text[:8] + "=" * (-len(text[:8]) % 4))
    except (binascii.Error, ValueError):
        return False
    return bool(head) and head[0] in _CODE_TYPES


def _size(count: int) -> str:
    return f"{count} B" if count < 1024 else f"{count / 1024:.1f} KiB"
