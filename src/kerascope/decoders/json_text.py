"""JSON from a file, parsed within limits: size, nesting depth, and one level of
double encoding (a JSON string holding JSON, as some Keras 1 tools wrote).
Keras 2's serialized tuples and shapes are decoded to lists on the way in."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from kerascope.decoders.jsonsafe import marked
from kerascope.errors import KerascopeError
from kerascope.limits import LimitExceeded, Limits


def load_json(data: bytes | str, what: str, limits: Limits, unwrap_string: bool = False) -> Any:
    """Parsed JSON; `what` names the part of the file in error messages."""
    if len(data) > limits.max_json_bytes:
        raise LimitExceeded(
            f"{what} is {len(data):,} bytes, over the {limits.max_json_bytes:,}-byte JSON limit",
            "max_json_bytes",
        )
    try:
        if isinstance(data, bytes):
            data = data.decode("utf-8-sig")
        check_structure(data, what, limits)
        value = json.loads(data, object_hook=_decode_sequence, parse_constant=_constant, parse_float=_float)
        if unwrap_string and isinstance(value, str):
            value = json.loads(
                value, object_hook=_decode_sequence, parse_constant=_constant, parse_float=_float
            )
    except RecursionError:
        raise LimitExceeded(
            f"{what} is nested deeper than the JSON depth limit ({limits.max_json_depth})", "max_json_depth"
        ) from None
    except UnicodeDecodeError as error:
        raise KerascopeError(f"{what} is not UTF-8 text ({error.reason} at byte {error.start})") from None
    except ValueError as error:
        raise KerascopeError(f"{what} is not valid JSON ({error})") from None
    return value


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # unrolled: linear, and fast
_BRACKET = re.compile(r"[\[\]{}]")


def check_structure(text: str, what: str, limits: Limits) -> None:
    """Refuse JSON with more values or deeper nesting than the limits, from its text,
    before parsing makes an object of every value: the strings are blanked (a
    linear regular expression), then the brackets and commas counted."""
    skeleton = _STRING.sub('""', text)
    items = skeleton.count(",") + skeleton.count("[") + skeleton.count("{")
    if items > limits.max_json_items:
        raise LimitExceeded(
            f"{what} holds more than {limits.max_json_items:,} JSON values (the JSON item limit)",
            "max_json_items",
        )
    depth = deepest = 0
    for bracket in _BRACKET.findall(skeleton):
        if bracket in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    if deepest > limits.max_json_depth:
        raise LimitExceeded(
            f"{what} is nested deeper than the JSON depth limit ({limits.max_json_depth})", "max_json_depth"
        )


_SEQUENCE_CLASSES = ("__tuple__", "TensorShape")


def _decode_sequence(obj: dict[str, Any]) -> Any:
    """Keras 2's `{"class_name": "__tuple__" | "TensorShape", "items": [...]}` as the
    list a live `get_config()` tuple or shape becomes in a report."""
    if len(obj) == 2 and obj.get("class_name") in _SEQUENCE_CLASSES and isinstance(obj.get("items"), list):
        return obj["items"]
    return obj


def _float(text: str) -> Any:
    """A number too large for a float (`1e999`) is kept marked, like Infinity."""
    value = float(text)
    return value if math.isfinite(value) else marked(value)


def _constant(name: str) -> Any:
    """NaN and Infinity, which Python's json writes but JSON cannot hold: kept marked."""
    return marked(float(name))


def text_or_none(value: Any) -> str | None:
    """A stored value that should be a string: itself, or None when it is anything else."""
    return value if isinstance(value, str) else None
