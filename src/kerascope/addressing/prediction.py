"""What Keras's loader does when a file's weights meet an architecture, predicted statically.

Two loaders, run step by step over what the file holds and what the receiving
model holds (each layer's variables, from Keras's rules or its own file):

- Keras 3 and TF-Keras `saving_lib` (`.keras`, `.weights.h5`, `.weights.json`,
  KerasHub presets): `simulation.Walk` over `receiving.receiving_objects`. Groups
  are found by path, which counts layers of one class in order, never by name:
  two Dense layers swapped in the model receive each other's weights without a
  word, where their shapes allow it; a shape mismatch in MultiHeadAttention is
  reported as "expected 2 variables, but received 0" (the projection is tried
  again at its private attribute, where no group is).
- The legacy HDF5 loader (`load_weights_from_hdf5_group`, tf_keras
  `hdf5_format.py` v2.21.0 L780-1010, Keras 3 `legacy_h5_format.py` v3.15.1
  L332-573): topologically, the model's layers holding weights are paired in
  order with the file's groups holding weights (names are never compared), the
  numbers of layers and of each layer's weights must agree, then the shapes
  (Keras 3 assigns layer by layer, TF-Keras all at the end); by name, each file
  group loads into the model's top-level layer of its name, a group no layer has
  is skipped, and a layer no group has keeps its initial values, without a word
  either way.

Each layer's outcome is where each of its variables' values comes from (a
dataset of the file, or nothing), and whose they are: a value saved from a layer
of another name that this model also has is in the wrong place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kerascope.addressing import messages
from kerascope.addressing.generations import Generation
from kerascope.addressing.receiving import Expected, receiving_objects
from kerascope.addressing.simulation import Obj, Walk, Walked
from kerascope.addressing.stores import WeightStore, datasets
from kerascope.families import Sublayer
from kerascope.model.records import LayerNode, WeightInfo
from kerascope.model.results import LayerLoad
from kerascope.model.vocabulary import LoadStatus

Children = Callable[[LayerNode], list[LayerNode]]
Slot = tuple[str, str, "list[int | None] | None"]  # owning layer path, variable name, shape


@dataclass
class Outcome:
    """What Keras does, layer by layer, and what it says."""

    layers: list[LayerLoad] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)  # the file's values no variable received
    error: str | None = None  # the exception's class
    message: str | None = None
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    optimizer: str | None = None


# -- saving_lib ---------------------------------------------------------------------------
@dataclass
class Store:
    """A weights store as the loader sees it: its groups, where each dataset lies in the
    files (`file:dataset`), and the layer each group was saved from, where it says."""

    store: WeightStore
    where: dict[str, str]
    saved_from: dict[str, str]  # a `vars` group -> the name of the layer saved into it


def check_saving_lib(
    root: LayerNode,
    children: Children,
    made: dict[str, Sublayer],
    expected: dict[str, Expected | None],
    groups: dict[str, str],
    store: Store,
    loader: Generation,
    optimizer: Obj | None = None,
    skip_mismatch: bool = False,
) -> Outcome:
    """Keras's `load_weights` (or `load_model`) of `store` into the model at `root`."""
    objects = receiving_objects(root, children, made, expected, groups, loader, optimizer)
    walked = Walk(store.store, loader, store.where, skip_mismatch).run(objects)
    outcome = Outcome(warnings=list(walked.warnings))
    names = {node.name for node in _every(root, children)}
    for obj in _objects(objects):
        if obj.optimizer or (not obj.expected and id(obj) not in walked.unknown):
            continue
        outcome.layers.append(_layer(obj, walked, store, names))
    outcome.unexpected = _unused(store, walked)
    if not store.saved_from and any(layer.status is LoadStatus.MATCHED for layer in outcome.layers):
        outcome.notes.append(
            "the weights file names no layer on its groups (TF-Keras and Keras before 3.6 wrote none): Keras "
            "pairs groups with layers by class and position, so whether each layer receives its own weights "
            "cannot be checked"
        )
    if optimizer is not None:
        outcome.optimizer = _state(walked.received.get(id(optimizer)), len(optimizer.expected or []))
    if walked.failed:
        failures = [(obj.repr(), text) for obj, text in walked.failed.values()]
        text = messages.objects_not_loaded(failures) if loader.collects_errors else failures[0][1]
        if skip_mismatch and loader.collects_errors:
            outcome.warnings.append(text)
        else:
            outcome.error, outcome.message = "ValueError", text
    if outcome.message is None and outcome.warnings:
        outcome.message = "\n".join(outcome.warnings)
    return outcome


def _objects(root: Obj) -> list[Obj]:
    """Every object below `root`, each once, depth first."""
    found, seen, stack = [], set(), [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        found.append(obj)
        for _, child in reversed(obj.attributes):
            stack.extend(_flat(child))
    return found


def _flat(child: Obj | list) -> list[Obj]:
    if isinstance(child, Obj):
        return [child]
    return [obj for item in reversed(child) for obj in _flat(item)]


def _every(root: LayerNode, children: Children) -> list[LayerNode]:
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(children(node))
    return found


def _layer(obj: Obj, walked: Walked, store: Store, names: set[str]) -> LayerLoad:
    received = walked.received.get(id(obj), [None] * len(obj.expected or []))
    failed = walked.failed.get(id(obj))
    layer = LayerLoad(
        obj.path or "",
        obj.name,
        obj.python_class,
        LoadStatus.MATCHED,
        expected=None if obj.expected is None else [shape for _, shape in obj.expected],  # type: ignore[misc]
        received=list(received),
    )
    if obj.expected is None:
        layer.status = LoadStatus.UNKNOWN
        layer.reason = "a class whose variables kerascope's rules do not know"
        return layer
    layer.keras = failed[1] if failed is not None else None
    layer.group = walked.looked.get(id(obj))
    sources = {store.saved_from.get(_group_of(location)) for location in received if location is not None}
    others = {name for name in sources if name is not None and name != obj.name and name in names}
    if others:
        layer.status = LoadStatus.MISPLACED
        layer.reason = (
            f"it receives the weights saved from the layer {sorted(others)[0]!r}: Keras finds groups by "
            "class and position, not by name, and says nothing"
        )
    elif failed is not None and "shape" in failed[1]:
        layer.status = LoadStatus.SHAPE_MISMATCH
    elif failed is not None and id(obj) in walked.mismatched:
        # Keras's last attempt is what it reports: MultiHeadAttention's sublayers are
        # tried again at their private attributes, where no group is (`received 0`).
        name, shape, stored, _ = walked.mismatched[id(obj)]
        layer.status = LoadStatus.SHAPE_MISMATCH
        layer.reason = (
            f"Keras's words mislead: its {name} is {_shape(shape)}, the saved one {_shape(stored)}; "
            "Keras then looks for it again under another attribute name, finds no values there, and reports "
            "only that last attempt"
        )
    elif failed is not None:
        layer.status = LoadStatus.COUNT_MISMATCH
    elif all(location is None for location in received):
        layer.status = LoadStatus.MISSING
    elif any(location is None for location in received):
        layer.status = LoadStatus.PARTIAL
    return layer


def _shape(shape: list[int | None]) -> str:
    return (
        "("
        + ", ".join("None" if size is None else str(size) for size in shape)
        + ("," if len(shape) == 1 else "")
        + ")"
    )


def _group_of(location: str) -> str:
    """The `vars` group of a dataset's location (`file:layers/dense/vars/0`)."""
    return location.rpartition(":")[2].rpartition("/")[0]


def _unused(store: Store, walked: Walked) -> list[str]:
    received = {location for got in walked.received.values() for location in got if location}
    return unused_layers(list(store.where.values()), received)


def unused_layers(locations: list[str], received: set[str]) -> list[str]:
    """The locations of the saved layers none of whose values any variable received:
    a layer's values lie beside each other (`.../dense_1/vars/0`, `.../dense_1/vars/1`;
    a legacy group's `dense_1/dense_1/kernel:0`)."""
    by_layer: dict[str, list[str]] = {}
    for location in locations:
        by_layer.setdefault(location.rpartition("/")[0], []).append(location)
    return [
        location
        for held in by_layer.values()
        if not any(location in received for location in held)
        for location in held
    ]


def _state(received: list[str | None] | None, count: int) -> str:
    """An optimizer's variables after the walk: all loaded, none, or some."""
    loaded = sum(location is not None for location in received or [])
    return "loaded" if count and loaded == count else "partial" if loaded else "untouched"


# -- legacy HDF5 --------------------------------------------------------------------------
@dataclass
class LegacyGroup:
    """One layer's group in a legacy HDF5 file: its name, its weights, where each lies."""

    name: str
    weights: list[WeightInfo]
    locations: list[str] = field(default_factory=list)


def check_legacy(
    layers: Sequence[LayerNode],
    slots: Callable[[LayerNode], list[Slot] | None],
    groups: Sequence[LegacyGroup],
    top_level: list[WeightInfo] | None,
    loader: Generation,
    by_name: bool,
    skip_mismatch: bool = False,
) -> Outcome:
    """Keras's legacy `load_weights` (or `load_model`) of a file's groups into a
    model's top-level `layers`, each with `slots`: its variables in
    `_legacy_weights` order, each (owning layer path, name, shape)."""
    run = _Legacy(layers, slots, groups, loader, skip_mismatch)
    if by_name:
        run.by_name(top_level)
    else:
        run.topological(top_level)
    return run.outcome()


class _Legacy:
    """One legacy load. TF-Keras collects every (variable, value) pair and assigns them
    all at the end (`backend.batch_set_value`): an error found while collecting
    assigns nothing, a shape the assignment refuses stops it there; Keras 3 assigns
    each layer's as it goes (`_set_weights`, which checks each shape first from 3.6)."""

    def __init__(
        self,
        layers: Sequence[LayerNode],
        slots: Callable[[LayerNode], list[Slot] | None],
        groups: Sequence[LegacyGroup],
        loader: Generation,
        skip_mismatch: bool,
    ) -> None:
        self.layers, self.slots, self.groups = list(layers), slots, list(groups)
        self.loader, self.skip = loader, skip_mismatch
        self.received: dict[str, dict[str, str | None]] = {}  # owner path -> variable -> location
        self.pending: list[tuple[LayerNode, int, Slot, WeightInfo, str | None]] = []
        self.failed: dict[str, str] = {}
        self.sources: dict[str, str] = {}  # layer path -> the group it was paired with
        self.error: str | None = None
        self.warnings: list[str] = []
        self.notes: list[str] = []
        for layer in self.layers:
            for owner, name, _ in slots(layer) or []:
                self.received.setdefault(owner, {})[name] = None

    def topological(self, top_level: list[WeightInfo] | None) -> None:
        weighted = [layer for layer in self.layers if self.slots(layer) != []]
        if any(self.slots(layer) is None for layer in weighted):
            self.notes.append(
                "which of these layers hold weights kerascope cannot tell, so the pairing Keras makes by "
                "position is unknown"
            )
            return
        saved = [group for group in self.groups if group.weights]
        if len(weighted) != len(saved):
            self.error = messages.layer_count(self.loader, len(weighted), len(saved))
            return
        for index, (layer, group) in enumerate(zip(weighted, saved, strict=True)):
            wanted = self.slots(layer) or []
            self.sources[layer.path] = group.name
            if len(wanted) != len(group.weights):
                self._fail(layer, messages.weight_count(
                    self.loader, index, layer.name, group.name, len(wanted), len(group.weights)
                ))  # fmt: skip
                self.pending.clear()
                return
            if not self._take(index, layer, wanted, group, by_name=False):
                return
        if not self._flush():
            return
        self._top_level(top_level, by_name=False)

    def by_name(self, top_level: list[WeightInfo] | None) -> None:
        named: dict[str, list[LayerNode]] = {}
        for layer in self.layers:
            named.setdefault(layer.name, []).append(layer)
        for index, group in enumerate(self.groups):
            for layer in named.get(group.name, []):
                wanted = self.slots(layer)
                if wanted is None:
                    continue
                self.sources[layer.path] = group.name
                if len(wanted) != len(group.weights):
                    text = messages.weight_count(
                        self.loader, index, layer.name, None, len(wanted), len(group.weights)
                    )
                    if self.skip:
                        self.warnings.append(
                            messages.skipped_count(index, layer.name, len(wanted), len(group.weights))
                        )
                        continue
                    self._fail(layer, text)
                    self.pending.clear()
                    return
                if not self._take(index, layer, wanted, group, by_name=True):
                    return
        if not self._flush():
            return
        if top_level is not None and self.loader.by_name_top_level_bug:
            every = sum(len(self.slots(layer) or []) for layer in self.layers)
            if every:
                self.error = messages.top_level_count(every, len(top_level), by_name=True)
                self.notes.append(
                    "Keras 3.0 to 3.7 compare the file's top-level weights with all of the model's "
                    "weights (fixed in 3.8): the layers' weights were already loaded when it raises"
                )
                return
        self._top_level(top_level, by_name=True)

    def _take(
        self, index: int, layer: LayerNode, wanted: list[Slot], group: LegacyGroup, by_name: bool
    ) -> bool:
        """A layer's weights, checked as the loader checks them while it goes; False
        when loading stops here."""
        checks = by_name or self.loader.checks_legacy_shapes
        for position, (slot, weight) in enumerate(zip(wanted, group.weights, strict=True)):
            location = group.locations[position] if position < len(group.locations) else None
            if checks and not _fits(weight.shape, slot[2]):
                variable = f"{_scope(layer, slot[0])}{slot[1]}" + ("" if self.loader.keras3 else ":0")
                text = messages.legacy_shape(
                    self.loader,
                    index,
                    layer.name,
                    variable,
                    _known(slot[2], weight.shape),
                    weight.shape,
                    by_name,
                )
                if self.skip and (by_name or self.loader.at_least(3, 11)):
                    self.warnings.append(messages.legacy_shape(
                        self.loader, index, layer.name, variable, _known(slot[2], weight.shape), weight.shape,
                        by_name, skipping=True,
                    ))  # fmt: skip
                    continue
                self._fail(layer, text)
                if not self.loader.keras3:
                    self.pending.clear()  # TF-Keras had assigned nothing yet
                return False
            self.pending.append((layer, index, slot, weight, location))
        return self._flush() if self.loader.keras3 else True

    def _flush(self) -> bool:
        """Assign what was collected, in order; a shape the assignment refuses stops it."""
        for layer, _, (owner, name, shape), weight, location in self.pending:
            if not _fits(weight.shape, shape):
                self._fail(layer, messages.assign_shape(
                    self.loader, f"{_scope(layer, owner)}{name}", _known(shape, weight.shape), weight.shape, "float32"
                ))  # fmt: skip
                self.pending.clear()
                return False
            self.received[owner][name] = location
        self.pending.clear()
        return True

    def _fail(self, layer: LayerNode, text: str) -> None:
        self.error = text
        self.failed[layer.path] = text

    def _top_level(self, top_level: list[WeightInfo] | None, by_name: bool) -> None:
        """A model's own variables (none, for the models of Keras's classes)."""
        if top_level:
            self.error = messages.top_level_count(0, len(top_level), by_name)

    def outcome(self) -> Outcome:
        outcome = Outcome(warnings=list(self.warnings), notes=list(self.notes))
        names = {layer.name for layer in self.layers}
        for layer in self.layers:
            wanted = self.slots(layer)
            if wanted is None:
                outcome.layers.append(
                    LayerLoad(layer.path, layer.name, layer.class_name, LoadStatus.UNKNOWN,
                              reason="a class whose variables kerascope's rules do not know")
                )  # fmt: skip
                continue
            for owner in dict.fromkeys(owner for owner, _, _ in wanted):
                outcome.layers.append(self._layer(layer, owner, wanted, names))
        received = {loc for owned in self.received.values() for loc in owned.values() if loc}
        outcome.unexpected = unused_layers(
            [loc for group in self.groups for loc in group.locations], received
        )
        if self.error is not None:
            outcome.error, outcome.message = "ValueError", self.error
        elif outcome.warnings:
            outcome.message = "\n".join(outcome.warnings)
        return outcome

    def _layer(self, layer: LayerNode, owner: str, wanted: list[Slot], names: set[str]) -> LayerLoad:
        own = [(name, shape) for path, name, shape in wanted if path == owner]
        received = [self.received.get(owner, {}).get(name) for name, _ in own]
        judged = LayerLoad(
            owner,
            owner.rpartition("/")[2].partition("#")[0],
            layer.class_name if owner == layer.path else None,
            LoadStatus.MATCHED,
            group=self.sources.get(layer.path),
            expected=[shape for _, shape in own],  # type: ignore[misc]
            received=received,
        )
        source = self.sources.get(layer.path)
        if layer.path in self.failed:
            judged.keras = self.failed[layer.path]
            shape = "hape" in judged.keras or "Cannot assign" in judged.keras
            judged.status = LoadStatus.SHAPE_MISMATCH if shape else LoadStatus.COUNT_MISMATCH
        elif all(location is None for location in received):
            judged.status = LoadStatus.MISSING
            if source is None:
                judged.reason = (
                    "the file has no group of this name: loading by name leaves the layer at its initial "
                    "values without a word"
                )
        elif any(location is None for location in received):
            judged.status = LoadStatus.PARTIAL
        elif source is not None and source != layer.name and source in names:
            judged.status = LoadStatus.MISPLACED
            judged.reason = (
                f"it receives the weights the file saved from layer {source!r}: the legacy loader pairs "
                "layers by position and never compares names"
            )
        return judged


def _scope(layer: LayerNode, owner: str) -> str:
    """The scopes of a variable of `owner`, from the top-level `layer` down."""
    below = owner[len(layer.path) + 1 :] if owner != layer.path else ""
    return "".join(f"{name}/" for name in [layer.name, *below.split("/")] if name)


# -- shapes ------------------------------------------------------------------------------
def _fits(have: Sequence[int | None], expected: Sequence[int | None] | None) -> bool:
    if expected is None:
        return True
    if len(have) != len(expected):
        return False
    return all(want is None or got == want for got, want in zip(have, expected, strict=True))


def _known(expected: Sequence[int | None] | None, stored: Sequence[int | None]) -> list[int | None]:
    """The layer's shape, its unknown dimensions shown as the file's."""
    if expected is None or len(expected) != len(stored):
        return list(expected or [])
    return [want if want is not None else have for want, have in zip(expected, stored, strict=True)]


# -- a file against its own config --------------------------------------------------------
def refusal(outcome: Outcome, loader: Generation) -> str | None:
    """Why Keras refuses a file's weights for its own config, in a sentence, or None."""
    if outcome.error is None:
        return None
    failed = [layer for layer in outcome.layers if layer.keras is not None]
    if not failed:
        return f"{loader} cannot load these weights into this config: {outcome.message}"
    first = failed[0]
    more = f" (and {len(failed) - 1} more layers)" if len(failed) > 1 else ""
    why = f"; {first.reason}" if first.reason else ""
    return f"{loader} cannot load these weights into this config: at {first.path!r}{more}, {first.keras}{why}"


def store_view(store: WeightStore, label: str, skip: frozenset[str] = frozenset()) -> Store:
    """`store` as the loader sees it: each dataset's location (`label:path`), and the
    layer each `vars` group says it was saved from (Keras >= 3.6)."""
    where = {
        path: store.where(path) or (f"{label}:{path}" if label else path) for path in datasets(store, skip)
    }
    saved_from = {}
    for group in dict.fromkeys(path.rpartition("/")[0] for path in where):
        name = store.layer_name(group)
        if name is not None:
            saved_from[group] = name
    return Store(store, where, saved_from)
