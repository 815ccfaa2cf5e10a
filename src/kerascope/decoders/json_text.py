"""JSON from a file, parsed within limits: size, values, nesting depth, and one level
of double encoding (a JSON string holding JSON, as some Keras 1 tools wrote), which is
held to the same limits as the document around it. Keras 2's serialized tuples and
shapes are decoded to lists on the way in."""

from __future__ import annotations

import json
import math
from typing import Any

from kerascope.decoders.jsonsafe import marked
from kerascope.errors import KerascopeError
from kerascope.limits import LimitExceeded, Limits


def load_json(data: bytes | str, what: str, limits: Limits, unwrap_string: bool = False) -> Any:
    """Parsed JSON; `what` names the part of the file in error messages. With
    `unwrap_string`, a document that is one string holding JSON is that JSON,
    checked like any document before it is parsed."""
    try:
        if isinstance(data, bytes):
            _check_size(data, what, limits)
            data = data.decode("utf-8-sig")
        value = _parse(data, what, limits)
        if unwrap_string and isinstance(value, str):
            value = _parse(value, f"{what} (JSON inside a JSON string)", limits)
    except RecursionError:
        raise _too_deep(what, limits) from None
    except UnicodeDecodeError as error:
        raise KerascopeError(f"{what} is not UTF-8 text ({error.reason} at byte {error.start})") from None
    except ValueError as error:
        raise KerascopeError(f"{what} is not valid JSON ({error})") from None
    return value


def _parse(text: str, what: str, limits: Limits) -> Any:
    _check_size(text, what, limits)
    check_structure(text, what, limits)
    return json.loads(text, object_hook=_decode_sequence, parse_constant=_constant, parse_float=_float)


def _check_size(data: bytes | str, what: str, limits: Limits) -> None:
    if len(data) > limits.max_json_bytes:
        raise LimitExceeded(
            f"{what} is {len(data):,} bytes, over the {limits.max_json_bytes:,}-byte JSON limit",
            "max_json_bytes",
        )


# Outside strings, what Python's parser accepts holds only these besides brackets:
# whitespace, the characters of numbers, of true/false/null/NaN/Infinity, and
# separators. Deleting them leaves the brackets (and whatever makes the text invalid).
_NOT_BRACKETS = str.maketrans("", "", " \t\r\n0123456789+-.eE,:truefalsnNIiy")
_OPENING, _CLOSING = "[{", "]}"
_WINDOW = 1 << 20  # characters split at a time: the pieces of one window are all that is held


def check_structure(text: str, what: str, limits: Limits) -> None:
    """Refuse JSON with more values or deeper nesting than the limits, from its text,
    before parsing makes an object of every value.

    Linear by construction, without a regular expression: escape pairs (`\\\\`,
    `\\"`) are deleted first (a backslash escapes exactly the next character, so
    after that every `"` opens or closes a string); then, a window at a time, the
    text is split at its quotes and the pieces outside strings (every other one, by
    the count of quotes so far) have their commas and brackets counted. Only the
    brackets are visited one by one, and they are bounded by the item limit. Text
    that is not JSON stops the count where the parser will stop too, so what the
    parser builds has been counted."""
    bare = text.replace("\\\\", "").replace('\\"', "")
    items = depth = 0
    inside = False  # within a string at the start of the window
    for start in range(0, len(bare), _WINDOW):
        pieces = bare[start : start + _WINDOW].split('"')
        outside = "".join(pieces[1 if inside else 0 :: 2])
        inside = inside != (len(pieces) % 2 == 0)
        items += outside.count(",") + outside.count("[") + outside.count("{")
        if items > limits.max_json_items:
            raise LimitExceeded(
                f"{what} holds more than {limits.max_json_items:,} JSON values (the JSON item limit)",
                "max_json_items",
            )
        for bracket in outside.translate(_NOT_BRACKETS):
            if bracket in _OPENING:
                depth += 1
                if depth > limits.max_json_depth:
                    raise _too_deep(what, limits)
            elif bracket in _CLOSING and depth > 0:
                depth -= 1
            else:
                return  # not JSON from here: the parser stops here too


def _too_deep(what: str, limits: Limits) -> LimitExceeded:
    return LimitExceeded(
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
