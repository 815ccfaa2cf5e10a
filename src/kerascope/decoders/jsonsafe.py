"""Turn whatever a `get_config()` returns into plain JSON, losing nothing silently.

Configs hold tuples, numpy scalars and dtypes, TensorShapes, serialized objects
and sometimes live objects a careless layer put there. Known kinds become their
JSON equivalent; anything else is kept as a marked repr so a reader can see that
something was there and what it was.
"""

from __future__ import annotations

import math
from typing import Any

REPR_MARK = "__kerascope_repr__"

_PLAIN = (str, int, bool, type(None))


def jsonable(value: Any, _depth: int = 0) -> Any:
    """A JSON-safe copy of `value`: tuples become lists, numpy values Python ones."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else marked(value)
    if _depth > 200:
        return marked(value)
    if isinstance(value, dict):
        return {_key(k): jsonable(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, _depth + 1) for v in value]
    return _special(value, _depth)


def _key(key: Any) -> str:
    return key if isinstance(key, str) else str(key)


def _special(value: Any, depth: int) -> Any:
    """Values of library types, recognised by duck typing so nothing is imported."""
    type_name = type(value).__name__
    if type_name == "TensorShape" and hasattr(value, "as_list"):
        try:
            return value.as_list()
        except ValueError:  # unknown rank
            return None
    if type_name == "DType" and hasattr(value, "name"):  # tf.DType
        return value.name
    module = type(value).__module__
    if module == "numpy.dtypes" or (module == "numpy" and type_name.startswith("dtype")):
        return value.name
    if module == "numpy" and hasattr(value, "tolist") and getattr(value, "size", 0) <= 1024:
        return jsonable(value.tolist(), depth + 1)
    if isinstance(value, (set, frozenset)):
        return [jsonable(v, depth + 1) for v in sorted(value, key=repr)]
    return marked(value)


def marked(value: Any) -> dict[str, str]:
    """The marker kept in place of a value JSON cannot hold."""
    kind = type(value)
    return {REPR_MARK: repr(value)[:2000], "type": f"{kind.__module__}.{kind.__qualname__}"}
