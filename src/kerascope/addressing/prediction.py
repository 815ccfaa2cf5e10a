"""What Keras's loader does when a file's weights meet an architecture, predicted statically.

The weights have been found where the loader looks for them (`saving_lib.attach`
with the loader's naming, or a legacy HDF5 file's groups); each layer's own
variables are known from Keras's rules (`expected`, from the families and the
shape engine). Loading then goes as the loader's code goes:

- Keras 3 and TF-Keras `saving_lib` (`_load_state`): every object on the walk
  compares the number of variables its group holds with its own
  (`_check_load_own_variables`: "Layer 'x' expected 2 variables, but received 0
  variables during loading"), then assigns each one (a shape that differs fails
  there). Keras >= 3.0.2 goes on and raises one error naming every object that
  failed, with the last error each met (`_raise_loading_failure`); an object
  reached again by another attribute (MultiHeadAttention's `_key_dense` behind
  `key_dense`) is tried again there, where no group is, so a shape mismatch is
  reported as "received 0"; 3.15 retries a Functional model's failed layers at
  `_operations_by_depth/...` (3.15.0 reports "received 0"; 3.15.1 keeps the
  first error and warns). TF-Keras and Keras 3.0.0-3.0.1 raise the first error.
  Groups nothing reaches are ignored; an optimizer whose variables differ in
  number is only warned about. Groups are matched by path, which counts layers
  of one class in order: two Dense layers swapped in the model receive each
  other's weights, without a word, when their shapes allow it.
- The legacy HDF5 loader (`load_weights_from_hdf5_group`): topologically, the
  model's layers holding weights are paired in order with the file's groups
  holding weights (names are never compared), the numbers of layers and of each
  layer's weights must agree, then the shapes; by name
  (`load_weights_from_hdf5_group_by_name`), each file group loads into the
  model's top-level layer of its name, a group no layer has is skipped, and a
  layer no group has keeps its initial values, without a word either way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from kerascope.addressing import messages
from kerascope.addressing.generations import Generation
from kerascope.addressing.saving_lib import Addressed
from kerascope.addressing.structure import python_class
from kerascope.families import Sublayer
from kerascope.model.records import LayerNode, WeightInfo
from kerascope.model.results import LayerLoad
from kerascope.model.topology import is_sequential_config, layer_entries
from kerascope.model.vocabulary import LoadStatus


class Expected(NamedTuple):
    """One variable a layer holds: its name, its shape (None dimensions where not
    known), and whether it trains."""

    name: str
    shape: list[int | None] | None
    trainable: bool = True


ExpectedOf = Callable[[LayerNode], "list[Expected] | None"]
Children = Callable[[LayerNode], list[LayerNode]]


@dataclass
class Outcome:
    """What Keras does, layer by layer, and what it says."""

    layers: list[LayerLoad] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    error: str | None = None  # the exception's class
    message: str | None = None
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# -- saving_lib ---------------------------------------------------------------------------
def predict_saving_lib(
    root: LayerNode,
    children: Children,
    found: Addressed,
    expected: ExpectedOf,
    loader: Generation,
    made: dict[str, Sublayer],
) -> Outcome:
    """Keras's `load_weights`/`load_model` on a `.keras` or `.weights.h5` store whose
    groups were found by the loader's paths (`found`); `made` says which layers are
    the sublayers Keras's own layers create, and in which attributes."""
    outcome = Outcome(unexpected=list(found.unexpected))
    failures: dict[str, tuple[str, str]] = {}
    depths = _depths(root, children) if loader.retries_by_depth else {}
    for node, functional_layer in _walk(root, children, made, loader):
        if not node.path:
            continue
        layer, error = _judge(node, found, expected(node), loader)
        outcome.layers.append(layer)
        if error is None:
            continue
        if loader.collects_errors:
            names = [variable.name for variable in expected(node) or []]
            if any(not present for _, present in found.retries.get(node.path, [])):
                # Reached again by another attribute where no group is: Keras keeps the last error.
                error = messages.variable_count(node.name, names, 0)
            if functional_layer and depths:
                if loader.keeps_first_error_on_retry:
                    warning = messages.skipped_container(depths.get(node.path, 0))
                    if warning not in outcome.warnings:
                        outcome.warnings.append(warning)
                else:
                    error = messages.variable_count(node.name, names, 0)
            if error != layer.keras:
                layer.reason = (
                    "Keras tries the layer again at another path, finds no group there and reports that; "
                    f"the real reason: {layer.reason or layer.keras}"
                )
                layer.keras = error
        failures[node.path] = (messages.layer_repr(python_class(node) or "Layer", node.name), error)
        if not loader.collects_errors:
            break
    if failures:
        outcome.error = "ValueError"
        listed = list(failures.values())
        outcome.message = messages.objects_not_loaded(listed) if loader.collects_errors else listed[0][1]
    elif outcome.warnings:
        outcome.message = "\n".join(outcome.warnings)
    _misplaced(outcome, found)
    return outcome


def _judge(
    node: LayerNode, found: Addressed, wanted: list[Expected] | None, loader: Generation
) -> tuple[LayerLoad, str | None]:
    """One object's load: the number of variables, then each one's shape."""
    group = found.groups.get(node.path)
    got = node.weights if group is not None else []
    layer = LayerLoad(
        node.path,
        node.name,
        node.class_name,
        LoadStatus.MATCHED,
        group,
        None if wanted is None else [v.shape for v in wanted],  # type: ignore[misc]
        [list(w.shape) for w in got],
    )
    if wanted is None:
        layer.status = LoadStatus.UNKNOWN
        layer.reason = "a class whose variables kerascope's rules do not know"
        return layer, None
    if len(got) != len(wanted):
        layer.status = LoadStatus.MISSING if not got else LoadStatus.COUNT_MISMATCH
        layer.keras = messages.variable_count(node.name, [v.name for v in wanted], len(got))
        if group is None:
            layer.reason = "the file has no group at the path Keras computes for this layer"
        return layer, layer.keras
    for weight, variable in zip(got, wanted, strict=True):
        if not _fits(weight, variable.shape):
            layer.status = LoadStatus.SHAPE_MISMATCH
            layer.keras = messages.assign_shape(
                loader,
                f"{node.name}/{variable.name}",
                _known(variable.shape, weight),
                weight.shape,
                "float32",
            )
            layer.reason = (
                f"{variable.name}: the layer holds {messages.shape_text(variable.shape)}, the file "
                f"{messages.shape_text(weight.shape)}"
            )
            return layer, layer.keras
    return layer, None


def _misplaced(outcome: Outcome, found: Addressed) -> None:
    """Groups Keras >= 3.6 stored another layer's name on: matched by path (class and
    position), they load into this layer without a word."""
    for layer in outcome.layers:
        stored = found.stored_names.get(layer.path)
        if stored is None or layer.status is not LoadStatus.MATCHED:
            continue
        layer.status = LoadStatus.MISPLACED
        layer.reason = (
            f"its group {layer.group} holds the weights of the layer {stored!r}: Keras matches groups by "
            "class and position, not by name, and loads them into this layer without a word"
        )


def _walk(
    root: LayerNode, children: Children, made: dict[str, Sublayer], loader: Generation
) -> list[tuple[LayerNode, bool]]:
    """Every layer in the order Keras's walk meets it (a model's `layers` first; a
    layer's sublayers by the attribute holding them, in the loader's sorted order),
    and whether it is a layer of a Functional model (which 3.15 retries by depth)."""
    order: list[tuple[LayerNode, bool]] = []
    stack = [(root, False)]
    while stack:
        node, functional = stack.pop()
        order.append((node, functional))
        below = children(node)
        if layer_entries(node.config):
            listed = sorted((c for c in below if c.index is not None), key=lambda c: c.index or 0)
            others = [c for c in below if c.index is None]
            in_functional = not is_sequential_config(node.config)
            stack.extend(reversed([(c, in_functional) for c in listed] + [(c, False) for c in others]))
        else:
            ranked = sorted(below, key=lambda c: _attribute_rank(made.get(c.path), loader))
            stack.extend(reversed([(c, False) for c in ranked]))
    return order


def _attribute_rank(sub: Sublayer | None, loader: Generation) -> tuple[int, str]:
    """Where a walk over `dir()` meets an attribute: Keras >= 3.0.2 puts public names
    before private ones (`_name_key`), TF-Keras >= 2.15 walks them in reverse order."""
    if sub is None:
        return (0, "")
    name = sub.attribute_in(loader.keras3)
    if not loader.keras3:
        return (0, "".join(chr(0x10FFFF - ord(c)) for c in name))
    private = name.startswith("_") and loader.at_least(3, 0, 2)
    return (int(private), name)


def _depths(root: LayerNode, children: Children) -> dict[str, int]:
    """Each Functional layer's depth in its graph, as `map_graph` counts it: 0 at the
    outputs, one more than the deepest layer it feeds."""
    depths: dict[str, int] = {}
    stack = [root]
    while stack:
        model = stack.pop()
        below = children(model)
        stack.extend(below)
        if not layer_entries(model.config) or is_sequential_config(model.config):
            continue
        consumers: dict[str, list[str]] = {}
        for child in below:
            for call in child.inbound or []:
                for link in call:
                    consumers.setdefault(link.layer, []).append(child.path)
        pending = [child.path for child in below]
        for _ in range(len(pending) + 1):  # relax: a graph of n layers settles in n rounds
            changed = False
            for path in pending:
                depth = max((depths.get(c, 0) + 1 for c in consumers.get(path, [])), default=0)
                if depths.get(path) != depth:
                    depths[path], changed = depth, True
            if not changed:
                break
    return depths


# -- legacy HDF5 --------------------------------------------------------------------------
@dataclass
class LegacyGroup:
    """One layer's group in a legacy HDF5 weights file: its name and its weights."""

    name: str
    weights: list[WeightInfo]


def predict_legacy(
    layers: Sequence[LayerNode],
    slots: Callable[[LayerNode], list[Expected] | None],
    groups: Sequence[LegacyGroup],
    top_level: list[WeightInfo] | None,
    loader: Generation,
    by_name: bool,
) -> Outcome:
    """Keras's legacy `load_weights` of a file's groups into a model's top-level
    `layers` (each with `slots`: its variables in `_legacy_weights` order)."""
    if by_name:
        return _by_name(layers, slots, groups, top_level, loader)
    outcome = Outcome()
    weighted = [layer for layer in layers if slots(layer) != []]
    saved = [group for group in groups if group.weights]
    if any(slots(layer) is None for layer in weighted):
        unknown = [layer for layer in weighted if slots(layer) is None]
        outcome.layers = [_unknown(layer) for layer in unknown]
        outcome.notes.append(
            "which of these layers hold weights kerascope cannot tell, so the pairing Keras makes by "
            "position is unknown"
        )
        return outcome
    if len(weighted) != len(saved):
        outcome.error = "ValueError"
        outcome.message = messages.layer_count(loader, len(weighted), len(saved))
        outcome.layers = [_legacy(layer, slots(layer) or [], None, LoadStatus.MISSING) for layer in weighted]
        return outcome
    for index, (layer, group) in enumerate(zip(weighted, saved, strict=True)):
        wanted = slots(layer) or []
        judged = _legacy(layer, wanted, group, LoadStatus.MATCHED)
        outcome.layers.append(judged)
        error = _legacy_error(loader, index, layer, wanted, group, judged, by_name=False)
        if error is not None:
            outcome.error, outcome.message = "ValueError", error
            return outcome
        if group.name != layer.name:
            judged.status = LoadStatus.MISPLACED
            judged.reason = (
                f"it receives the weights the file saved from layer {group.name!r}: the legacy loader pairs "
                "layers by position and never compares names"
            )
    _top_level(outcome, top_level, by_name=False)
    return outcome


def _by_name(
    layers: Sequence[LayerNode],
    slots: Callable[[LayerNode], list[Expected] | None],
    groups: Sequence[LegacyGroup],
    top_level: list[WeightInfo] | None,
    loader: Generation,
) -> Outcome:
    outcome = Outcome()
    named = {layer.name: layer for layer in layers}
    loaded: set[str] = set()
    for index, group in enumerate(groups):
        layer = named.get(group.name)
        if layer is None:
            if group.weights:
                outcome.unexpected.append(group.name)
            continue
        loaded.add(layer.name)
        wanted = slots(layer)
        if wanted is None:
            outcome.layers.append(_unknown(layer))
            continue
        judged = _legacy(layer, wanted, group, LoadStatus.MATCHED)
        outcome.layers.append(judged)
        error = _legacy_error(loader, index, layer, wanted, group, judged, by_name=True)
        if error is not None:
            outcome.error, outcome.message = "ValueError", error
            return outcome
    for layer in layers:
        if layer.name in loaded or not (slots(layer) or []):
            continue
        judged = _legacy(layer, slots(layer) or [], None, LoadStatus.UNINITIALIZED)
        judged.reason = (
            "the file has no group of this name: loading by name leaves the layer at its initial values "
            "without a word"
        )
        outcome.layers.append(judged)
    if top_level is not None and loader.by_name_top_level_bug:
        every = sum(len(slots(layer) or []) for layer in layers)
        if every:
            outcome.error = "ValueError"
            outcome.message = messages.top_level_count(every, len(top_level), by_name=True)
            outcome.notes.append(
                "Keras 3.0 to 3.7 compare the file's top-level weights with all of the model's weights "
                "(fixed in 3.8): the layers' weights were already loaded when it raises"
            )
            return outcome
    _top_level(outcome, top_level, by_name=True)
    return outcome


def _legacy(
    layer: LayerNode, wanted: list[Expected], group: LegacyGroup | None, status: LoadStatus
) -> LayerLoad:
    return LayerLoad(
        layer.path,
        layer.name,
        layer.class_name,
        status,
        group.name if group is not None else None,
        [v.shape for v in wanted],  # type: ignore[misc]
        [list(w.shape) for w in group.weights] if group is not None else [],
    )


def _unknown(layer: LayerNode) -> LayerLoad:
    judged = LayerLoad(layer.path, layer.name, layer.class_name, LoadStatus.UNKNOWN)
    judged.reason = "a class whose variables kerascope's rules do not know"
    return judged


def _legacy_error(
    loader: Generation,
    index: int,
    layer: LayerNode,
    wanted: list[Expected],
    group: LegacyGroup,
    judged: LayerLoad,
    by_name: bool,
) -> str | None:
    if len(wanted) != len(group.weights):
        judged.status = LoadStatus.COUNT_MISMATCH
        judged.keras = messages.weight_count(
            loader, index, layer.name, None if by_name else group.name, len(wanted), len(group.weights)
        )
        return judged.keras
    for weight, variable in zip(group.weights, wanted, strict=True):
        if not _fits(weight, variable.shape):
            judged.status = LoadStatus.SHAPE_MISMATCH
            judged.keras = messages.legacy_shape(
                loader,
                index,
                layer.name,
                weight.name or f"{layer.name}/{variable.name}",
                _known(variable.shape, weight),
                weight.shape,
                by_name,
            )
            judged.reason = (
                f"{variable.name}: the layer holds {messages.shape_text(variable.shape)}, the file "
                f"{messages.shape_text(weight.shape)}"
            )
            return judged.keras
    return None


def _top_level(outcome: Outcome, top_level: list[WeightInfo] | None, by_name: bool) -> None:
    """A model's own variables (none, for the models of Keras's classes)."""
    if top_level:
        outcome.error = "ValueError"
        outcome.message = messages.top_level_count(0, len(top_level), by_name)


# -- shapes ------------------------------------------------------------------------------
def _fits(weight: WeightInfo, expected: list[int | None] | None) -> bool:
    if expected is None:
        return True
    if len(weight.shape) != len(expected):
        return False
    return all(want is None or have == want for have, want in zip(weight.shape, expected, strict=True))


def _known(expected: list[int | None] | None, weight: WeightInfo) -> list[int | None]:
    """The layer's shape, its unknown dimensions shown as the file's."""
    if expected is None or len(expected) != len(weight.shape):
        return list(expected or [])
    return [want if want is not None else have for want, have in zip(expected, weight.shape, strict=True)]


# -- a file against its own config --------------------------------------------------------
def refusal(outcome: Outcome, loader: Generation) -> str | None:
    """Why Keras refuses a file's weights for its own config, in a sentence, or None."""
    if outcome.error is None:
        return None
    failed = [layer for layer in outcome.layers if layer.keras is not None]
    first = failed[0] if failed else None
    if first is None:
        return f"{loader} cannot load these weights into this config: {outcome.message}"
    more = f" (and {len(failed) - 1} more layers)" if len(failed) > 1 else ""
    why = f"; {first.reason}" if first.reason else ""
    return f"{loader} cannot load these weights into this config: at {first.path!r}{more}, {first.keras}{why}"
