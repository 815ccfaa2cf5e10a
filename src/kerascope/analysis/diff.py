"""What changed between two models, layer by layer, read from two ModelReports.

Layers are matched by path first; the rest by structure, aligning each matched
parent's remaining children by class, so that Keras's auto-generated names
(`dense_3` vs `dense_7`, `input_1` vs `input_layer`) do not make two identical
architectures look different. Whatever is left is matched across parents by an
identical configuration (a move), and only then called added or removed.
Each change is reported once, at the layer it belongs to.
"""

from __future__ import annotations

import bisect
import collections
import difflib
import json
import re
from typing import Any

from kerascope.analysis.normalize import (
    DEFAULTS,
    INPUT_SHAPE_KEYS,
    normalize_class,
    normalize_config,
    normalize_module,
    normalize_registered_name,
)
from kerascope.families.naming import is_generated_name
from kerascope.model.records import LayerNode, ModelReport
from kerascope.model.results import Change, LayerDiff, ModelDiff
from kerascope.model.topology import MODEL_KEYS
from kerascope.model.vocabulary import DiffStatus, Fact, Origin, Role

ABSENT = "<absent>"


def diff_reports(
    a: ModelReport, b: ModelReport, normalize: bool = True, ignore: list[str] | None = None
) -> ModelDiff:
    """The differences from `a` to `b`; `ignore` names config keys to leave out
    (a last segment like `seed`, or a dotted path like `kernel_initializer.config`)."""
    ignored = sorted(set(ignore or []))
    pairs = _match(a, b, normalize)
    comparer = _Comparer(a, b, pairs, normalize, ignored)
    layers: list[LayerDiff] = []
    matched_b = set(pairs.values())
    b_nodes = {node.path: node for node in b.nodes}
    for node in a.nodes:
        if node.path in pairs:
            found = comparer.compare(node, b_nodes[pairs[node.path]])
            if found is not None:
                layers.append(found)
        elif _visible(node, b):
            layers.append(LayerDiff(DiffStatus.REMOVED, node.path, None, node.class_name))
    for node in b.layers:
        if node.path not in matched_b and _visible(node, a):
            layers.append(LayerDiff(DiffStatus.ADDED, None, node.path, node.class_name))
    inputs = _input_change(a, b) if normalize else None
    if inputs is not None:
        root = next((layer for layer in layers if layer.a == a.root.path), None)
        if root is None:
            root = LayerDiff(DiffStatus.CHANGED, a.root.path, b.root.path, b.root.class_name)
            layers.insert(0, root)
        root.changes.insert(0, inputs)
    return ModelDiff(
        a.source,
        b.source,
        normalize,
        ignored,
        layers,
        a.total_params,
        b.total_params,
        notes=comparer.notes,
        reports=(a, b),
        pairs=pairs,
    )


def _input_change(a: ModelReport, b: ModelReport) -> Change | None:
    """The model's input shapes, when one side stores them only on its first layer
    (Keras 1 and 2 `batch_input_shape`) and so no InputLayer compares them."""
    old, new = _model_inputs(a), _model_inputs(b)
    if old == new or all(_has_input_layers(report) for report in (a, b)):
        return None
    return Change("inputs", old, new)


def _has_input_layers(report: ModelReport) -> bool:
    return any(node.role == Role.INPUT for node in report.children(report.root))


def _model_inputs(report: ModelReport) -> list[Any]:
    """The shape of each input of the root model, wherever its config keeps it."""
    children = report.children(report.root)
    inputs = [node for node in children if node.role == Role.INPUT]
    sources = inputs or children[:1]
    shapes = []
    for node in sources:
        config = node.config if isinstance(node.config, dict) else {}
        shape = config.get("batch_shape", config.get("batch_input_shape"))
        shapes.append(shape)
    return shapes


def _visible(node: LayerNode, other: ModelReport) -> bool:
    """Whether `other`'s source could have shown `node` at all (else its absence there says nothing)."""
    return node.role != Role.SUBLAYER or other.format.shows_every_sublayer


# -- matching ----------------------------------------------------------------------
def _match(a: ModelReport, b: ModelReport, normalize: bool) -> dict[str, str]:
    """a path -> b path for every layer found in both."""
    pairs = {a.root.path: b.root.path}
    queue = [(a.root, b.root)]
    while queue:
        left, right = queue.pop()
        for x, y in _pair_children(a.children(left), b.children(right), normalize):
            pairs[x.path] = y.path
            queue.append((x, y))
    taken = set(pairs.values())
    loose_b: dict[str, list[LayerNode]] = {}
    for node in b.layers:
        if node.path not in taken:
            loose_b.setdefault(_signature(node, normalize), []).append(node)
    for node in a.layers:  # moved: same layer under another parent
        if node.path not in pairs and loose_b.get(_signature(node, normalize)):
            twin = loose_b[_signature(node, normalize)].pop(0)
            pairs[node.path] = twin.path
            for x, y in zip(a.children(node), b.children(twin), strict=False):
                pairs.setdefault(x.path, y.path)
    return pairs


def _pair_children(
    left: list[LayerNode], right: list[LayerNode], normalize: bool
) -> list[tuple[LayerNode, LayerNode]]:
    by_name = {node.name: node for node in right}
    pairs = [(x, by_name[x.name]) for x in left if x.name in by_name]
    used_left = {id(x) for x, _ in pairs}
    used_right = {id(y) for _, y in pairs}
    rest_left = [x for x in left if id(x) not in used_left]
    rest_right = [y for y in right if id(y) not in used_right]
    classes_left = [_class(x, normalize) for x in rest_left]
    classes_right = [_class(y, normalize) for y in rest_right]
    pairs += [(rest_left[i], rest_right[j]) for i, j in align(classes_left, classes_right)]
    return pairs


# Cells of difflib's quadratic matcher: beyond this many, an alignment is made in linear time.
_EXACT_CELLS = 250_000


def align(left: list[str], right: list[str]) -> list[tuple[int, int]]:
    """Order-preserving pairs (i, j) with `left[i] == right[j]`.

    Two ordinary models get difflib's alignment (longest common runs first).
    difflib is quadratic when one key repeats (20 000 renamed Dense layers), so
    past `_EXACT_CELLS` the common head and tail are paired, then the middle is
    split at keys found once on each side (in increasing order, as patience diff
    does) and each piece aligned the same way; a piece with no such key pairs
    each left key with the next equal key on the right. Every step is linear,
    or n log n for the anchors' order."""
    if len(left) * len(right) <= _EXACT_CELLS:
        return _exact(left, right, 0, 0)
    pairs: list[tuple[int, int]] = []
    pieces = [(0, len(left), 0, len(right))]
    while pieces:
        a0, a1, b0, b1 = pieces.pop()
        while a0 < a1 and b0 < b1 and left[a0] == right[b0]:
            pairs.append((a0, b0))
            a0, b0 = a0 + 1, b0 + 1
        while a0 < a1 and b0 < b1 and left[a1 - 1] == right[b1 - 1]:
            a1, b1 = a1 - 1, b1 - 1
            pairs.append((a1, b1))
        if a0 == a1 or b0 == b1:
            continue
        if (a1 - a0) * (b1 - b0) <= _EXACT_CELLS:
            pairs += _exact(left[a0:a1], right[b0:b1], a0, b0)
            continue
        anchors = _anchors(left, right, a0, a1, b0, b1)
        if not anchors:
            pairs += _greedy(left, right, a0, a1, b0, b1)
            continue
        last_a, last_b = a0, b0
        for i, j in anchors:
            pairs.append((i, j))
            pieces.append((last_a, i, last_b, j))
            last_a, last_b = i + 1, j + 1
        pieces.append((last_a, a1, last_b, b1))
    return sorted(pairs)


def _exact(left: list[str], right: list[str], a0: int, b0: int) -> list[tuple[int, int]]:
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    return [
        (a0 + block.a + offset, b0 + block.b + offset)
        for block in matcher.get_matching_blocks()
        for offset in range(block.size)
    ]


def _anchors(left: list[str], right: list[str], a0: int, a1: int, b0: int, b1: int) -> list[tuple[int, int]]:
    """Keys found exactly once on each side, the longest run of them in the same order."""
    once_left = _single_positions(left, a0, a1)
    once_right = _single_positions(right, b0, b1)
    common = sorted((i, once_right[key]) for key, i in once_left.items() if key in once_right)
    # Longest increasing run of right positions (patience sorting, n log n).
    tails: list[int] = []
    tail_at: list[int] = []
    before = [-1] * len(common)
    for index, (_, j) in enumerate(common):
        place = bisect.bisect_left(tails, j)
        if place == len(tails):
            tails.append(j)
            tail_at.append(index)
        else:
            tails[place], tail_at[place] = j, index
        before[index] = tail_at[place - 1] if place else -1
    chain, index = [], tail_at[-1] if tail_at else -1
    while index >= 0:
        chain.append(common[index])
        index = before[index]
    return chain[::-1]


def _single_positions(keys: list[str], start: int, end: int) -> dict[str, int]:
    seen: dict[str, int] = {}
    repeated: set[str] = set()
    for position in range(start, end):
        key = keys[position]
        if key in seen:
            repeated.add(key)
        else:
            seen[key] = position
    return {key: position for key, position in seen.items() if key not in repeated}


def _greedy(left: list[str], right: list[str], a0: int, a1: int, b0: int, b1: int) -> list[tuple[int, int]]:
    """Each left key paired with the next equal key on the right after the last pair."""
    waiting: dict[str, collections.deque[int]] = {}
    for position in range(b0, b1):
        waiting.setdefault(right[position], collections.deque()).append(position)
    pairs, last = [], b0 - 1
    for i in range(a0, a1):
        queue = waiting.get(left[i])
        while queue and queue[0] <= last:
            queue.popleft()
        if queue:
            last = queue.popleft()
            pairs.append((i, last))
    return pairs


def _class(node: LayerNode, normalize: bool) -> str:
    name = normalize_class(node.class_name) if normalize else node.class_name
    return name or "?"


def _signature(node: LayerNode, normalize: bool) -> str:
    config = node.config if isinstance(node.config, dict) else {}
    config = {key: value for key, value in config.items() if key != "name" and key not in MODEL_KEYS}
    if normalize:
        config = normalize_config(config)
    return json.dumps([_class(node, normalize), config], sort_keys=True, default=repr)


# -- comparing -----------------------------------------------------------------------
class _Comparer:
    def __init__(
        self, a: ModelReport, b: ModelReport, pairs: dict[str, str], normalize: bool, ignored: list[str]
    ):
        self.a, self.b, self.pairs = a, b, pairs
        self.normalize = normalize
        self.ignored = ignored
        self.same_sight = a.format.shows_every_sublayer and b.format.shows_every_sublayer
        self.a_calls, self.b_calls = _call_ranks(a), _call_ranks(b)
        self.notes: list[str] = []

    def compare(self, x: LayerNode, y: LayerNode) -> LayerDiff | None:
        changes: list[Change] = []
        if x.class_name and y.class_name and _class(x, self.normalize) != _class(y, self.normalize):
            changes.append(Change("class", x.class_name, y.class_name))
        changes += self._identity_changes(x, y)
        changes += self._config_changes(x, y)
        changes += self._weight_changes(x, y)
        changes += self._inbound_changes(x, y)
        renamed = x.name != y.name and "name" not in self.ignored and not self._names_from_elsewhere(x, y)
        if x.name != y.name and not renamed and "name" not in self.ignored:
            self.notes.append(f"{x.path or '(model)'}: {x.name} → {y.name} (names Keras or a file name gave)")
        moved = x.path != "" and self.pairs.get(x.parent_path or "") != (y.parent_path or "")
        if not changes and not renamed and not moved:
            return None
        return LayerDiff(
            DiffStatus.CHANGED,
            x.path,
            y.path,
            y.class_name or x.class_name,
            renamed,
            moved,
            x.name if renamed else None,
            changes,
        )

    def _names_from_elsewhere(self, x: LayerNode, y: LayerNode) -> bool:
        """Both names generated by Keras (`dense_3`, `input_1`), or a name one
        reader took from a file's name: neither is a rename anyone made."""
        generated = all(
            is_generated_name(node.name, node.class_name, _class(node, True))
            or node.origin.get(Fact.NAME) == Origin.FILE_NAME
            for node in (x, y)
        )
        return generated

    def _identity_changes(self, x: LayerNode, y: LayerNode) -> list[Change]:
        """The layer's own module and registered name: where a loader would import it from."""
        changes = []
        for key, old, new in (
            ("module", x.module, y.module),
            ("registered_name", x.registered_name, y.registered_name),
        ):
            if self.normalize:
                if x.class_name is None or y.class_name is None or old is None or new is None:
                    continue  # one side does not store it (Keras 2 files name no modules): unknown, not changed
                old = (
                    normalize_module(old) if key == "module" else normalize_registered_name(old, x.class_name)
                )
                new = (
                    normalize_module(new) if key == "module" else normalize_registered_name(new, y.class_name)
                )
            if old != new and not self._is_ignored(key):
                changes.append(Change(key, old, new))
        return changes

    def _stated(self, flat: dict[str, Any], key: str) -> Any:
        """A config value as the file has it: a default normalizing dropped (`trainable:
        true`) is shown as that default, not as absent."""
        if key in flat:
            return flat[key]
        default = DEFAULTS.get(key) if self.normalize else None
        return ABSENT if default is None else default

    def _config_changes(self, x: LayerNode, y: LayerNode) -> list[Change]:
        if not isinstance(x.config, dict) or not isinstance(y.config, dict):
            return []
        old, new = self._comparable(x, x.config), self._comparable(y, y.config)
        flat_old, flat_new = dict(_flatten(old)), dict(_flatten(new))
        return [
            Change(key, self._stated(flat_old, key), self._stated(flat_new, key))
            for key in sorted(set(flat_old) | set(flat_new), key=lambda k: (k.count("."), k))
            if flat_old.get(key, ABSENT) != flat_new.get(key, ABSENT)
            and not self._is_ignored(key)
            and not (self.normalize and _stored_by_one_side(key, flat_old, flat_new))
        ]

    def _comparable(self, node: LayerNode, config: dict[str, Any]) -> dict[str, Any]:
        kept = {key: value for key, value in config.items() if key != "name" and key not in MODEL_KEYS}
        if not self.normalize:
            return kept
        if node.role != Role.INPUT:  # the model's input shape: compared once, as the model's `inputs`
            kept = {key: value for key, value in kept.items() if key not in INPUT_SHAPE_KEYS}
        return normalize_config(kept)

    def _is_ignored(self, key: str) -> bool:
        last = re.sub(r"\[\d+\]$", "", key.rsplit(".", 1)[-1])
        return any(
            key == ignored or key.startswith(f"{ignored}.") or last == ignored for ignored in self.ignored
        )

    def _weight_changes(self, x: LayerNode, y: LayerNode) -> list[Change]:
        if x.total_params is None or y.total_params is None:
            return []
        if not self.same_sight and self._children_differ(x, y):
            # One side cannot see inside this layer: compare everything it holds, as a whole.
            old, new = _held_weights(self.a, x), _held_weights(self.b, y)
            return [] if old == new else [Change("weights", old, new)]
        changes = []
        if len(x.weights) != len(y.weights):
            changes.append(Change("weights", len(x.weights), len(y.weights)))
        for position, (old, new) in enumerate(zip(x.weights, y.weights, strict=False)):
            if (old.shape, old.dtype) != (new.shape, new.dtype):
                changes.append(Change(f"weights[{position}]", _weight_text(old), _weight_text(new)))
        return changes

    def _children_differ(self, x: LayerNode, y: LayerNode) -> bool:
        return sorted(self.pairs.get(path, "") for path in x.children) != sorted(y.children)

    def _inbound_changes(self, x: LayerNode, y: LayerNode) -> list[Change]:
        if x.inbound is None or y.inbound is None:
            return []
        old = [
            [
                (
                    self.pairs.get(link.layer, link.layer),
                    self.a_calls[(link.layer, link.node_index)],
                    link.tensor_index,
                )
                for link in call
            ]
            for call in x.inbound
        ]
        new = [
            [(link.layer, self.b_calls[(link.layer, link.node_index)], link.tensor_index) for link in call]
            for call in y.inbound
        ]
        if old == new:
            return []
        return [Change("inbound", _links_text(x.inbound), _links_text(y.inbound))]


# Keys one Keras generation stores and another never does: absent on one side is unknown there.
_ONE_SIDED_KEYS = {"module", "registered_name"}


def _stored_by_one_side(key: str, old: dict[str, Any], new: dict[str, Any]) -> bool:
    return key.rsplit(".", 1)[-1] in _ONE_SIDED_KEYS and (key not in old or key not in new)


def _call_ranks(report: ModelReport) -> dict[tuple[str, int], int]:
    """Each layer's call indices as ranks (0, 1, ...): Keras 2 numbers a nested
    model's first call 1, Keras 3 numbers it 0; the order is what matters."""
    seen: dict[str, set[int]] = {}
    for node in report.nodes:
        for call in node.inbound or []:
            for link in call:
                seen.setdefault(link.layer, set()).add(link.node_index)
    return {
        (layer, index): rank for layer, indices in seen.items() for rank, index in enumerate(sorted(indices))
    }


def _held_weights(report: ModelReport, node: LayerNode) -> list[str]:
    """Every variable in a layer and its sublayers, as sorted `dtype shape` texts."""
    held, stack = [], [node]
    while stack:
        current = stack.pop()
        held += [_weight_text(weight) for weight in current.weights]
        stack.extend(report.children(current))
    return sorted(held)


def _weight_text(weight: Any) -> str:
    return f"{weight.dtype} {tuple(weight.shape)}"


def _links_text(calls: list[list[Any]]) -> list[list[str]]:
    return [[f"{link.layer}[{link.node_index}][{link.tensor_index}]" for link in call] for call in calls]


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Dotted keys for nested dicts; lists of dicts are indexed, lists of plain values kept whole."""
    if isinstance(value, dict):
        if not value and prefix:
            return [(prefix, {})]
        items: list[tuple[str, Any]] = []
        for key, item in value.items():
            items += _flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return items
    if isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        items = []
        for position, item in enumerate(value):
            items += _flatten(item, f"{prefix}[{position}]")
        return items or [(prefix, [])]
    return [(prefix, value)]
