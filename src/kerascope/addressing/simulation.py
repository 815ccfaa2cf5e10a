"""Keras's `saving_lib` loading walk, run over a receiving model's objects and a store.

`_load_state` (Keras 3 `saving_lib.py` v3.15.1 L833-934) walks the model's objects
as the save did (`_walk_saveable`: a Functional or Sequential model's `layers`
first, then every attribute in sorted order, public names before private ones
since 3.0.2), asks the store for each one's group by its path, and calls the
object's `load_own_variables` on it. Keras >= 3.0.2 collects what fails instead
of raising at once: an object that fails is not marked visited, so every later
path reaching it (an attribute alias, the second pass over `layers`, 3.15's
`_operations_by_depth` retry) loads it again from there, its last error kept; a
later success clears it; a parent whose children failed in this pass is walked
again when met again. The retry of a nested container the file lacks
(`_operations_by_depth/container`, 3.15) runs with sets of its own and only
warns (3.15.1, `_load_container_state` L1005-1098).

`Layer.load_own_variables` compares the number of variables in its group with
its own, then assigns them in order (the first whose shape differs fails, those
before it already assigned); an optimizer whose number differs only warns
(`BaseOptimizer.load_own_variables`). TF-Keras (2.15+) walks the attributes in
reverse order and raises the first error.

What the walk leaves in each variable (the dataset it was given, or nothing) is
the outcome; the errors and warnings are Keras's.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from kerascope.addressing import messages
from kerascope.addressing.generations import Generation
from kerascope.addressing.stores import VARS, WeightStore, variable_keys
from kerascope.decoders.hdf5 import join

LAYERS = "layers"
LAYER_DEPENDENCIES = "_layer_checkpoint_dependencies"


@dataclass(eq=False)
class Obj:
    """One object Keras's walk loads: a layer (`path`: its report path) or the
    optimizer (`path` None). `expected`: its own variables (name, shape), None where
    kerascope cannot know them; `attributes`: what its walk yields, in the loader's
    order, each an object or a list (of objects and lists)."""

    path: str | None
    name: str
    python_class: str
    expected: list[tuple[str, list[int | None] | None]] | None
    variable_prefix: str = ""
    attributes: list[tuple[str, Child]] = field(default_factory=list)
    optimizer: bool = False
    key: str | None = None  # its name in a list, where a file showed it (a custom layer's)

    def repr(self, address: str = "0x…") -> str:
        if self.optimizer:
            return (
                f"<keras.src.optimizers.{self.python_class.lower()}.{self.python_class} object at {address}>"
            )
        return messages.layer_repr(self.python_class, self.name)


Child = Obj | list  # a list holds objects and lists


@dataclass
class Walked:
    """What the walk did: each variable's value's location (None: not loaded), the
    objects that failed with their last errors (in the order they first failed), the
    warnings, and the objects whose variables kerascope could not judge."""

    received: dict[int, list[str | None]] = field(default_factory=dict)
    failed: dict[int, tuple[Obj, str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    unknown: dict[int, Obj] = field(default_factory=dict)  # by id, in the order they were met
    looked: dict[int, str] = field(default_factory=dict)  # an object -> the last group it read
    # An object -> its first refused shape: (variable, its shape, the saved shape, the group).
    mismatched: dict[int, tuple[str, list[int | None], list[int | None], str]] = field(default_factory=dict)
    optimizer: str | None = None  # "loaded", "untouched", "partial" for a model with one


class _Failure(Exception):
    pass


class Walk:
    """One loading walk of `root` over `store`, as the Keras `loader` does it."""

    def __init__(
        self, store: WeightStore, loader: Generation, where: dict[str, str], skip_mismatch: bool = False
    ) -> None:
        self.store = store
        self.loader = loader
        self.where = where  # a dataset's path -> its location, as the file names it
        self.skip_mismatch = skip_mismatch
        self.fallback = loader.keras3 and store.is_group(LAYER_DEPENDENCIES)
        self.result = Walked()

    # -- the walk -----------------------------------------------------------------
    def run(self, root: Obj) -> Walked:
        visited: set[int] = set()
        if self.loader.collects_errors or self.skip_mismatch:
            self._load(root, "", visited, set(), self.result.failed)
        else:
            with contextlib.suppress(_Failure):  # TF-Keras raises the first error
                self._load(root, "", visited, None, self.result.failed)
        return self.result

    def _load(
        self,
        obj: Obj,
        path: str,
        visited: set[int],
        failed: set[int] | None,
        errors: dict[int, tuple[Obj, str]],
    ) -> None:
        if id(obj) in visited:
            return
        failure = False
        try:
            self._own(obj, path)
        except _Failure as error:
            if failed is None:
                errors[id(obj)] = (obj, str(error))
                raise
            if self.loader.collects_errors:
                failed.add(id(obj))
                errors[id(obj)] = (obj, str(error))
                failure = True
            else:  # TF-Keras with skip_mismatch warns, object by object, and goes on
                self.result.warnings.append(messages.object_skipped(obj.python_class, str(error)))
        before = len(failed) if failed is not None else 0
        for attribute, child in obj.attributes:
            inner = join(path, attribute)
            if isinstance(child, Obj):
                self._load(child, inner, visited, failed, errors)
            else:
                self._container(child, inner, visited, failed, errors)
        newly = (len(failed) - before) if failed is not None else 0
        if not failure:
            if newly <= 0:
                visited.add(id(obj))
            if failed is not None and id(obj) in failed:
                failed.remove(id(obj))
                errors.pop(id(obj))

    def _container(
        self,
        items: list,
        path: str,
        visited: set[int],
        failed: set[int] | None,
        errors: dict[int, tuple[Obj, str]],
    ) -> None:
        used: dict[str, int] = {}
        for item in items:
            if isinstance(item, Obj):
                name = item.key if item.key is not None else _unique(_snake(item), used)
                self._load(item, join(path, name), visited, failed, errors)
                continue
            nested = join(path, _unique("container", used))
            if self.store.is_group(nested):
                self._container(item, nested, visited, failed, errors)
                continue
            # A nested container the file lacks (3.15): tried with sets of its own, warned about.
            tracked: set[int] = set()
            self._container(item, nested, visited, tracked, {})
            if tracked:
                self.result.warnings.append(messages.skipped_container(nested))

    # -- one object's own variables -------------------------------------------------
    def _own(self, obj: Obj, path: str) -> None:
        group = self._group(path)
        keys = variable_keys(self.store, group) if group is not None else []
        if obj.expected is None:
            self.result.unknown.setdefault(id(obj), obj)
            return
        got = self.result.received.setdefault(id(obj), [None] * len(obj.expected))
        if group is not None:
            self.result.looked[id(obj)] = group
        if len(keys) != len(obj.expected):
            if obj.optimizer:
                text = messages.optimizer_skipped(obj.name, len(obj.expected), len(keys))
                self.result.warnings.append(text)
                return
            raise _Failure(self._count_text(obj, len(keys)))
        for index, ((name, shape), key) in enumerate(zip(obj.expected, keys, strict=True)):
            dataset = join(group or "", key)
            stored = self.store.weight(dataset).shape
            if shape is not None and (
                len(shape) != len(stored)
                or any(want is not None and want != have for want, have in zip(shape, stored, strict=True))
            ):
                self.result.mismatched.setdefault(id(obj), (name, shape, list(stored), group or ""))
                raise _Failure(self._shape_text(obj, name, shape, stored))
            got[index] = self.where.get(dataset, dataset)

    def _group(self, path: str) -> str | None:
        """The `vars` group Keras's store returns for `path` (`H5IOStore.get`), or None."""
        group = join(path, VARS)
        if self.store.is_group(group):
            return group
        if self.fallback:
            # Keras 3.0.2+ looks where TF-Keras 2.12-2.14 saved it (saving_lib.py v3.15.1 L1410-1416).
            other = join(path.replace(LAYERS, LAYER_DEPENDENCIES), VARS)
            if self.store.is_group(other):
                return other
        return None

    def _count_text(self, obj: Obj, received: int) -> str:
        names = [name for name, _ in obj.expected or []]
        if not self.loader.keras3:
            names = [f"{obj.variable_prefix}{name}:0" for name in names]
        return messages.variable_count(obj.name, names, received)

    def _shape_text(self, obj: Obj, name: str, shape: list[int | None], stored: list[int | None]) -> str:
        return messages.assign_shape(self.loader, f"{obj.variable_prefix}{name}", shape, stored, "float32")


def _snake(obj: Obj) -> str:
    from kerascope.model.naming import to_snake_case

    return to_snake_case(obj.python_class)


def _unique(name: str, used: dict[str, int]) -> str:
    """`_get_unique_name`: the first `name` bare, then `name_1`, `name_2`."""
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name
