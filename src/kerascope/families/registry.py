"""The one table of built-in layer knowledge, and the safe way to apply a rule.

Each family module registers its records here when `kerascope.families` is
imported (its `__init__` lists the families once). Everything that needs a fact
about one of Keras's own classes asks here: the shape engine, cost, weight
naming, the readers' role decisions, the analyses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from kerascope.families.call import MALFORMED, Call, Outputs
from kerascope.families.dims import OutOfRange, elements
from kerascope.families.knowledge import LayerKnowledge, Price

_KNOWN: dict[str, LayerKnowledge] = {}
_OLDER: dict[str, str] = {}  # an older class name -> the key of today's class
_BY_NAME: dict[str, LayerKnowledge] = {}  # every key and older name -> its record
# A count beyond any real model's (a config number from a hostile file) is unknown.
MAX_COUNT = 2**63 - 1


def register(*entries: LayerKnowledge) -> None:
    """Add a family's records; a key, or an older name, known twice is a mistake."""
    for entry in entries:
        if entry.key in _KNOWN:
            raise ValueError(f"{entry.key} is registered twice")
        _KNOWN[entry.key] = _BY_NAME[entry.key] = entry
        for older in entry.older_names:
            if older in _OLDER or older in _KNOWN:
                raise ValueError(f"{older} is registered twice")
            _OLDER[older] = entry.key
            _BY_NAME[older] = entry


def known(key: str | None) -> LayerKnowledge | None:
    """What kerascope knows about the class with this registry key, or None."""
    return None if key is None else _KNOWN.get(key)


def current_name(class_name: str) -> str:
    """A class name in today's spelling: an older name (`Convolution2D`) as the
    class it became (`Conv2D`); any other name as it is."""
    return _OLDER.get(class_name, class_name)


def known_class(class_name: object) -> LayerKnowledge | None:
    """What kerascope knows about Keras's own class of this name (older spellings
    included), whatever module the file names: for decisions a Keras 1/2 config,
    which names classes alone, must support too."""
    return _BY_NAME.get(class_name) if isinstance(class_name, str) else None


def class_names(which: Callable[[LayerKnowledge], bool]) -> frozenset[str]:
    """Every class name (older spellings included) whose record `which` picks: for
    a hot path that asks one question of every layer, a set to test names against."""
    return frozenset(name for name, entry in _BY_NAME.items() if which(entry))


def every() -> Iterator[LayerKnowledge]:
    """Every record, in registration order."""
    return iter(_KNOWN.values())


def older_names() -> dict[str, str]:
    """Every older class name and the key of the class it became."""
    return dict(_OLDER)


def outputs_of(call: Call) -> Outputs | None:
    """The output shapes of a call, by its class's rule; None when unknown.
    Raises OutOfRange for a number beyond any real model's."""
    found = _KNOWN.get(call.class_name)
    rule = None if found is None else found.shape
    if rule is None or any(shape is None for shape in call.inputs[:1]):
        return None
    try:
        result = rule(call)
    except OutOfRange:
        raise
    except MALFORMED:  # a config of the wrong types: Keras could not build it either
        return None
    if result is None:
        return None
    if isinstance(result, tuple):
        return [result]
    return list(result)


def price_call(call: Call, outputs: Outputs) -> Price | None:
    """What a call costs, by its class's rule; None when unknown or beyond reason."""
    found = _KNOWN.get(call.class_name)
    rule = None if found is None else found.cost
    if rule is None:
        return None
    if any(elements(shape) is None for shape in call.inputs[:1]) or any(elements(s) is None for s in outputs):
        return None
    try:
        price = rule(call, outputs)
    except MALFORMED:
        return None
    if price is None or not 0 <= price.macs <= MAX_COUNT or not 0 <= price.flops <= MAX_COUNT:
        return None
    return price
