"""The layers Keras creates inside its own layers, which no config lists.

A config lists a model's layers; Keras's own layer classes create more in their
code: a recurrent layer its cell (`lstm.py`: `LSTMCell(name="lstm_cell")`),
MultiHeadAttention its projections, a Bidirectional two copies of the layer its
config gives. What each class creates, and where it keeps it, is the families'
knowledge (`LayerKnowledge.created`); this module grows a tree with them, as
the Keras that would load the file creates them (today's Keras 3 for a file
Keras 3 wrote, TF-Keras for the others: they differ in a few places), so that a
static report shows the layers a loaded model has, with their classes, and the
weights found in a file go where that Keras looks for them.

A sublayer Keras names from its class (MultiHeadAttention's Softmax) gets the
name a fresh process gives it (`keras/src/utils/naming.py`, `auto_name`: the
class in snake case, `_1`, `_2` for the next ones), unless the file already
shows the layer under the name it was saved with.
"""

from __future__ import annotations

from typing import Any

from kerascope.families import Sublayer, canonical_config, known, rule_key
from kerascope.families.registry import current_name
from kerascope.model.naming import to_snake_case
from kerascope.model.records import LayerNode
from kerascope.model.topology import is_sequential_config, layer_entries
from kerascope.model.tree import LayerTree
from kerascope.model.vocabulary import Fact, Kind, Origin, Role

CREATED_IN_CODE = "not stored in the file: Keras's own code creates it inside its parent"
# Serialized names whose Python class is another (what Keras's saving walk counts by).
_PYTHON_CLASS = {"Model": "Functional", "GroupQueryAttention": "GroupedQueryAttention"}


def sublayers_of(node: LayerNode, keras3: bool) -> tuple[Sublayer, ...]:
    """The sublayers that Keras creates in `node`, of a built-in class (none for others)."""
    own = known(rule_key(node))
    if own is None or not isinstance(node.config, dict):
        return ()
    return own.created(canonical_config(own.key, node.config), keras3)


def python_class(node: LayerNode) -> str | None:
    """The class of the object Keras makes of a stored layer, by whose snake case
    the saving walk names its group (`saving_lib._save_container_state`)."""
    if node.class_name is None:
        return None
    name = current_name(node.class_name) if node.module is None else node.class_name
    return _PYTHON_CLASS.get(name, name)


class Expansion:
    """The sublayers added to a tree, each with what Keras's code says of it."""

    def __init__(self) -> None:
        self.made: dict[str, Sublayer] = {}
        self._generated: dict[str, int] = {}

    def generated_name(self, class_name: str) -> str:
        """The name a fresh process gives the next unnamed layer of this class."""
        base = to_snake_case(_PYTHON_CLASS.get(class_name, class_name))
        count = self._generated.get(base, 0)
        self._generated[base] = count + 1
        return base if count == 0 else f"{base}_{count}"


def expand(tree: LayerTree, keras3: bool, below: LayerNode | None = None) -> Expansion:
    """Add to every layer of a built-in class in `tree` (below `below`) the
    sublayers that Keras creates in it, at every depth; a sublayer the tree
    already holds (a SavedModel's metadata shows them) is taken as it is."""
    expansion = Expansion()
    stack = [below or tree.root]
    while stack:
        node = stack.pop()
        if not keras3:
            _auto_input(tree, node)
        for sub in sublayers_of(node, keras3):
            expansion.made[_take_or_add(tree, node, sub, expansion).path] = sub
        stack.extend(reversed(tree.children(node)))
    return expansion


def _auto_input(tree: LayerTree, model: LayerNode) -> None:
    """A Keras 1/2 Sequential config lists no InputLayer: its first layer's
    `batch_input_shape` (or, for a model, its inputs' shape) makes TF-Keras add one
    named after it (`Sequential.add`: `Input(batch_shape=..., name=layer.name +
    "_input")`)."""
    if not is_sequential_config(model.config):
        return
    listed = sorted((c for c in tree.children(model) if c.index is not None), key=lambda c: c.index or 0)
    if not listed or any(is_input(child) for child in tree.children(model)):
        return
    first = listed[0]
    config = first.config if isinstance(first.config, dict) else {}
    shaped = "batch_input_shape" in config or "batch_shape" in config or layer_entries(config)
    if not shaped:  # a first layer that is a model has its inputs' shape too
        return
    tree.add(
        model,
        f"{first.name}_input",
        class_name="InputLayer",
        role=Role.INPUT,
        config_error=CREATED_IN_CODE,
        origin={Fact.STRUCTURE: Origin.DERIVED, Fact.CLASS: Origin.DERIVED},
    )


def is_input(node: LayerNode) -> bool:
    own = known(rule_key(node)) if node.class_name else None
    return own is not None and own.kind is Kind.INPUT


def _take_or_add(tree: LayerTree, parent: LayerNode, sub: Sublayer, expansion: Expansion) -> LayerNode:
    """The child the file already shows for `sub` (by the name Keras gives it, else
    the first of its class: older Keras numbered cells `lstm_cell_1`), or a new one."""
    free = [child for child in tree.children(parent) if child.path not in expansion.made]
    named = [child for child in free if sub.name is not None and child.name == sub.name]
    alike = [child for child in free if child.class_name == sub.class_name]
    for child in named or alike:
        if child.class_name is None:
            child.class_name = sub.class_name
            child.origin[Fact.CLASS] = Origin.DERIVED
        return child
    name = sub.name if sub.name is not None else expansion.generated_name(sub.class_name)
    return tree.add(parent, name, **_facts(sub))


def _facts(sub: Sublayer) -> dict[str, Any]:
    origin = {Fact.STRUCTURE: Origin.DERIVED, Fact.CLASS: Origin.DERIVED}
    stored = sub.serialized
    if stored is None:
        return {
            "class_name": sub.class_name,
            "role": Role.SUBLAYER,
            "config_error": CREATED_IN_CODE,
            "origin": origin,
        }
    origin[Fact.CLASS] = origin[Fact.CONFIG] = Origin.CONFIG
    module = stored.get("module")
    registered = stored.get("registered_name")
    return {
        "class_name": sub.class_name,
        "module": module if isinstance(module, str) else None,
        "registered_name": registered if isinstance(registered, str) else None,
        "role": Role.SUBLAYER,
        "config": stored.get("config"),
        "origin": origin,
    }


def created_children(node: LayerNode, children: list[LayerNode], keras3: bool) -> dict[str, Sublayer]:
    """Which of `node`'s children are the sublayers Keras creates in it, each with
    what Keras's code says of it: by the name Keras gives it, else (a name Keras
    generates) by its class, in order."""
    found: dict[str, Sublayer] = {}
    for sub in sublayers_of(node, keras3):
        child = next(
            (
                child
                for child in children
                if child.path not in found
                and (child.name == sub.name if sub.name is not None else child.class_name == sub.class_name)
            ),
            None,
        )
        if child is not None:
            found[child.path] = sub
    return found
