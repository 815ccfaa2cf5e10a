"""The folds of a graph: which layers a view shows as one box until it is opened.

A report's tree gives the first folds: a nested model, and a layer with layers
inside it (KerasHub's `TransformerEncoder`), is a box holding its children. Inside
any box, long lists get three more, in this order:

1. **Blocks by name.** Keras Applications and KerasHub name the layers of a block
   alike: a shared head (`block3a_expand_conv`, `conv2_block1_1_conv`) or tail
   (NASNet's `separable_conv_1_normal_left1_12`, `..._reduce_4`). The scheme that
   puts more layers into blocks that stay together in the model's order wins; a
   layer with a name Keras generated (`activation_12`) joins the block all its
   outputs go to. Inside a block, the rest of the names are grouped again.
2. **Repeats.** Consecutive boxes or layers of the same structure and config (all
   but their names) are one box with a count (`transformer_layer_0 … _11, ×12`).
3. **Slices.** A box holding more than `MOST_SHOWN` things holds slices of them
   instead, so that no level of any model, even 20 000 layers in a row, lays out
   more than `MOST_SHOWN` boxes at once.

Every view that draws a graph (HTML, DOT, Mermaid) draws these folds.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from dataclasses import dataclass, field

from kerascope.families.naming import is_generated_name
from kerascope.model.records import LayerNode, ModelReport
from kerascope.model.topology import MODEL_KEYS
from kerascope.model.vocabulary import Role

# A level with more things than this is grouped by name; a block needs this many layers.
GROUP_FROM = 12
SMALLEST_BLOCK = 3
MOST_SHOWN = 48
# Runs of identical things this long become one box (a layer alone needs a longer run).
REPEATED_BOXES, REPEATED_LAYERS = 2, 3


@dataclass
class Fold:
    """A box that opens: `kind` is `model` or `layer` (a node with children, `node`
    set), `block` (named alike), `repeat` (`count` identical things) or `slice`."""

    kind: str
    label: str
    members: list[Member] = field(default_factory=list)
    node: LayerNode | None = None
    count: int = 1

    def leaves(self) -> list[LayerNode]:
        found: list[LayerNode] = [] if self.node is None else [self.node]
        for member in self.members:
            found += member.leaves() if isinstance(member, Fold) else [member]
        return found


Member = LayerNode | Fold


def folds(report: ModelReport) -> Fold:
    """The root model as a box, with every fold below it."""
    return _box(report, report.root, "model", _Wiring(report))


class _Wiring:
    """Which layers feed which, by path (from the stored connections)."""

    def __init__(self, report: ModelReport) -> None:
        self.sources: dict[str, set[str]] = {}
        self.consumers: dict[str, set[str]] = {}
        for node in report.layers:
            for call in node.inbound or []:
                for link in call:
                    self.sources.setdefault(node.path, set()).add(link.layer)
                    self.consumers.setdefault(link.layer, set()).add(node.path)


def _box(report: ModelReport, node: LayerNode, kind: str, wiring: _Wiring) -> Fold:
    members: list[Member] = []
    for child in report.children(node):
        if child.children:
            members.append(_box(report, child, "model" if child.role == Role.MODEL else "layer", wiring))
        else:
            members.append(child)
    fold = Fold(kind, node.name or "(model)", node=node)
    fold.members = _arranged(members, [_name(member) for member in members], wiring, depth=0)
    return fold


def _name(member: Member) -> str:
    return member.name if isinstance(member, LayerNode) else member.node.name if member.node else member.label


def _node(member: Member) -> LayerNode | None:
    return member if isinstance(member, LayerNode) else member.node


def _arranged(members: list[Member], names: list[str], wiring: _Wiring, depth: int) -> list[Member]:
    if len(members) > GROUP_FROM and depth < 4:
        members = _blocks(members, names, wiring, depth)
    return _sliced(_repeats(members))


# -- blocks by name ------------------------------------------------------------
def _head(name: str) -> str | None:
    """`conv2_block1_1_conv` -> `conv2`: the name up to its first numbered word."""
    words = name.split("_")
    for index, word in enumerate(words[:-1]):
        if any(char.isdigit() for char in word):
            return "_".join(words[: index + 1])
    return None


def _tails(name: str) -> tuple[str | None, str | None]:
    """`normal_add_1_12` -> `12`; `..._reduce_4` -> (`4`, `reduce_4`)."""
    words = name.split("_")
    if len(words) < 3 or not words[-1].isdigit():
        return None, None
    longer = "_".join(words[-2:]) if words[-2].isalpha() else None
    return words[-1], longer


def _keys(names: list[str], generated: list[bool], scheme: str) -> list[str | None]:
    if scheme == "head":
        return [None if skip else _head(name) for name, skip in zip(names, generated, strict=True)]
    tails = [(None, None) if skip else _tails(name) for name, skip in zip(names, generated, strict=True)]
    longer_counts = Counter(longer for _, longer in tails if longer)
    return [
        longer if longer and longer_counts[longer] >= SMALLEST_BLOCK else short for short, longer in tails
    ]


def _kept(keys: list[str | None]) -> dict[str, int]:
    """Keys naming a block worth drawing: enough layers, which stay together (at
    most three runs among the named layers: a cell's first layers may come before
    the last of the cell before), with the number of layers each holds."""
    named = [key for key in keys if key is not None]
    runs: Counter[str] = Counter(
        key for index, key in enumerate(named) if index == 0 or named[index - 1] != key
    )
    sizes = Counter(named)
    return {
        key: size
        for key, size in sizes.items()
        if size >= SMALLEST_BLOCK and runs[key] <= 3 and size < len(keys)
    }


def _blocks(members: list[Member], names: list[str], wiring: _Wiring, depth: int) -> list[Member]:
    generated = [
        isinstance(member, LayerNode) and is_generated_name(member.name, member.class_name)
        for member in members
    ]
    choices = []
    for scheme in ("head", "tail"):
        keys = _keys(names, generated, scheme)
        kept = _kept(keys)
        choices.append((sum(kept.values()), scheme, [key if key in kept else None for key in keys]))
    score, scheme, keys = max(choices, key=lambda choice: choice[0])
    if not score:
        return members
    keys = _joined(members, keys, generated, wiring)
    blocks: dict[str, Fold] = {}
    inner_names: dict[str, list[str]] = {}
    arranged: list[Member] = []
    for member, name, key in zip(members, names, keys, strict=True):
        if key is None:
            arranged.append(member)
            continue
        if key not in blocks:
            blocks[key] = Fold("block", key if scheme == "head" else f"*_{key}")
            inner_names[key] = []
            arranged.append(blocks[key])
        blocks[key].members.append(member)
        inner_names[key].append(_rest(name, key, scheme))
    for key, block in blocks.items():
        block.members = _arranged(block.members, inner_names[key], wiring, depth + 1)
    return arranged


def _rest(name: str, key: str, scheme: str) -> str:
    if scheme == "head":
        return name[len(key) + 1 :] if name.startswith(key + "_") else name
    return name[: -len(key) - 1] if name.endswith("_" + key) else name


def _joined(
    members: list[Member], keys: list[str | None], generated: list[bool], wiring: _Wiring
) -> list[str | None]:
    """Layers with generated names join the block all their outputs feed, walking
    back from the end (so a chain of them joins too); the rest stay between blocks
    (a model's head, a tensor two blocks read, a layer named on its own)."""
    keys = list(keys)
    key_of = {node.path: key for member, key in zip(members, keys, strict=True) if (node := _node(member))}
    for index in range(len(members) - 1, -1, -1):
        node = _node(members[index])
        if keys[index] is not None or node is None or not generated[index]:
            continue
        found = {key_of.get(path) for path in wiring.consumers.get(node.path, ())}
        if len(found) == 1 and None not in found:
            keys[index] = key_of[node.path] = found.pop()
    return keys


# -- repeats -------------------------------------------------------------------
def _repeats(members: list[Member]) -> list[Member]:
    signatures = [_signature(member) for member in members]
    arranged: list[Member] = []
    start = 0
    while start < len(members):
        end = start + 1
        while end < len(members) and signatures[end] == signatures[start]:
            end += 1
        run = members[start:end]
        if len(run) >= (REPEATED_LAYERS if isinstance(run[0], LayerNode) else REPEATED_BOXES):
            label = f"{_name(run[0])} … {_name(run[-1])}"
            arranged.append(Fold("repeat", label, _sliced(run), count=len(run)))
        else:
            arranged += run
        start = end
    return arranged


def _signature(member: Member) -> str:
    """What two things must share to be repeats: class and config but for names, and
    inside a box, the same of every member in order."""
    if isinstance(member, LayerNode) and member.role == Role.INPUT:
        return member.path  # each input is drawn on its own
    if isinstance(member, LayerNode):
        config = member.config if isinstance(member.config, dict) else {}
        kept = {key: value for key, value in config.items() if key != "name" and key not in MODEL_KEYS}
        text = json.dumps([member.class_name, member.role.value, kept], sort_keys=True, default=str)
        return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
    inner = [member.kind, member.node.class_name if member.node else None, member.count]
    inner += [_signature(item) for item in member.members]
    return hashlib.blake2b(json.dumps(inner).encode(), digest_size=12).hexdigest()


# -- slices --------------------------------------------------------------------
def _sliced(members: list[Member]) -> list[Member]:
    if len(members) <= MOST_SHOWN:
        return members
    levels = math.ceil(math.log(len(members), MOST_SHOWN))
    count = math.ceil(len(members) / MOST_SHOWN ** (levels - 1))
    size = math.ceil(len(members) / count)
    slices: list[Member] = []
    for start in range(0, len(members), size):
        part = members[start : start + size]
        label = f"{_name(part[0])} … {_name(part[-1])}" if len(part) > 1 else _name(part[0])
        slices.append(Fold("slice", label, _sliced(part)))
    return slices
