"""A SavedModel's variables: which object holds each, and its dtype and shape.

Keras's own rule for a SavedModel (tf_keras `saving/legacy/saved_model/load.py`)
is the object graph's: TensorFlow restores each variable into the object that
holds it, found by the path its checkpoint key spells, whatever the names.

`saved_model.pb`'s object graph lists every tracked object with its children by
local name: a Keras layer's own variables are children named as Keras named
them (`kernel`), or sit inside a list or dict the layer holds; its sublayers are
children too (`layer_with_weights-0`, `forward_layer`). SavedModel adds
endpoints to every layer (`variables`, `trainable_variables`, `keras_api`, its
functions) that list all the variables below it: they are not where a variable
lives, so the walk skips them.

The checkpoint (`variables/variables.index`) keys each variable by the first
path that reaches it in a breadth-first walk of that same graph
(`variables/0/.ATTRIBUTES/VARIABLE_VALUE`), local names escaped as TensorFlow
escapes them. A variable's dtype and shape are its checkpoint entry's, checked
against the object graph's own record of them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from kerascope.decoders.saved_model_proto import GraphBudget, SavedNode, SavedVariable
from kerascope.decoders.tensor_bundle import BundleEntry, BundleIndex
from kerascope.decoders.tensor_values import TensorLocation
from kerascope.families import known_class
from kerascope.limits import LimitExceeded
from kerascope.model.findings import finding
from kerascope.model.records import Finding, LayerNode, WeightInfo
from kerascope.model.topology import unnumbered
from kerascope.model.tree import LayerTree
from kerascope.model.vocabulary import Code, Fact, Kind, Origin

# Children SavedModel adds to every Keras layer and model: lists of all the
# variables below, functions, and the `keras_api` object that holds more of them.
SAVEDMODEL_ENDPOINTS = frozenset({
    "variables", "trainable_variables", "non_trainable_variables", "regularization_losses",
    "keras_api", "__call__", "call_and_return_all_conditional_losses",
    "call_and_return_conditional_losses", "_default_save_signature", "signatures",
})  # fmt: skip
# Lists, dicts and tuples a layer holds: a variable inside one is the layer's own.
CONTAINERS = frozenset({"trackable_list_wrapper", "trackable_dict_wrapper", "trackable_tuple_wrapper"})
# Every Keras object's identifier starts so (`_tf_keras_layer`, `_tf_keras_metric`).
KERAS_OBJECT_PREFIX = "_tf_keras_"
VARIABLE_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"
ROOT = 0


class ObjectGraph:
    """The object graph and the walks over it, all drawing on one step budget."""

    def __init__(self, nodes: list[SavedNode], budget: GraphBudget, most_key_bytes: int) -> None:
        self.nodes = nodes
        self.budget = budget
        self.most_key_bytes = most_key_bytes
        self._parent_lists: dict[int, list[int]] | None = None

    def listed(self, node_id: int, name: str) -> list[int] | None:
        """The variables in the list child `name` of a node (the root's `variables`), or None."""
        for local_name, child in self.nodes[node_id].children:
            if local_name == name and self.nodes[child].identifier in CONTAINERS:
                return [i for _, i in self.nodes[child].children if self.nodes[i].kind == "variable"]
        return None

    def own_variables(self, layer: int) -> Iterator[tuple[str, int]]:
        """(local path, id) of each variable `layer` holds itself, directly or in its
        lists and dicts, and not through another object (a sublayer, an optimizer)."""
        queue = deque(
            (name, child) for name, child in self.nodes[layer].children if name not in SAVEDMODEL_ENDPOINTS
        )
        seen = {layer}
        while queue:
            name, node_id = queue.popleft()
            self.budget.spend()
            if node_id in seen:
                continue
            seen.add(node_id)
            node = self.nodes[node_id]
            if node.kind == "variable":
                yield name, node_id
            elif node.identifier in CONTAINERS:
                queue.extend((f"{name}/{inner}", child) for inner, child in node.children)

    def every_variable(self) -> list[int]:
        """The variables reachable from the root, breadth-first, each once."""
        return [node_id for node_id in self._first_parents() if self.nodes[node_id].kind == "variable"]

    def checkpoint_keys(self, wanted: set[int]) -> dict[int, str]:
        """The checkpoint key of each wanted variable: its first path from the root,
        breadth-first, children in order, as TensorFlow's saver names it."""
        parents = self._first_parents()
        keys = {}
        spelled = 0
        for node_id in wanted:
            if node_id not in parents or node_id == ROOT:
                continue
            names = []
            at = node_id
            while at != ROOT:
                at, name = parents[at]
                names.append(_escape(name))
                spelled += len(name) + 1
                if spelled > self.most_key_bytes:
                    raise LimitExceeded(
                        f"the object graph's paths to its variables spell out to more than {self.most_key_bytes:,} bytes",
                        "max_member_bytes",
                    )
            keys[node_id] = "/".join(reversed(names)) + VARIABLE_SUFFIX
        return keys

    def holders_of(self, variable: int, layers: dict[int, LayerNode]) -> tuple[list[int], bool]:
        """The described layers (ids) that hold `variable` through objects that are not
        layers (a `tf.Module` attribute), and whether a layer the file does not
        describe holds it too. SavedModel's endpoints are no holders."""
        parents = self._parents()
        found, blocked = [], False
        seen = {variable}
        queue = deque([variable])
        while queue:
            for parent in parents.get(queue.popleft(), ()):
                self.budget.spend()
                if parent in seen:
                    continue
                seen.add(parent)
                if parent in layers:
                    found.append(parent)
                elif (self.nodes[parent].identifier or "").startswith(KERAS_OBJECT_PREFIX):
                    blocked = True
                else:
                    queue.append(parent)
        return found, blocked

    def _parents(self) -> dict[int, list[int]]:
        """Every node's parents other than through SavedModel's endpoints, found once."""
        if self._parent_lists is None:
            self._parent_lists = {}
            for node_id, node in enumerate(self.nodes):
                self.budget.spend(len(node.children) + 1)
                for name, child in node.children:
                    if name not in SAVEDMODEL_ENDPOINTS:
                        self._parent_lists.setdefault(child, []).append(node_id)
        return self._parent_lists

    def _first_parents(self) -> dict[int, tuple[int, str]]:
        """Each reachable node's parent and local name on its first breadth-first path, in visiting order."""
        parents: dict[int, tuple[int, str]] = {ROOT: (ROOT, "")}
        queue = deque([ROOT])
        while queue:
            node_id = queue.popleft()
            for name, child in self.nodes[node_id].children:
                self.budget.spend()
                if child not in parents:
                    parents[child] = (node_id, name)
                    queue.append(child)
        return parents


def _escape(local_name: str) -> str:
    """TensorFlow escapes `.` as `..` and `/` as `.S` in checkpoint keys, so that `/` only separates edges."""
    return local_name.replace(".", "..").replace("/", ".S")


class VariableReader:
    """Each variable's WeightInfo from its checkpoint entry, or why there is none;
    `locations` (by checkpoint key) say where each one's values are."""

    def __init__(
        self,
        graph: ObjectGraph,
        bundle: BundleIndex,
        wanted: set[int],
        trainable: set[int] | None,
        locations: dict[str, TensorLocation],
    ) -> None:
        self.nodes = graph.nodes
        self.entries = bundle.by_key()
        self.keys = graph.checkpoint_keys(wanted)
        self.trainable = trainable
        self.locations = locations

    def weight(self, node_id: int, local_name: str | None = None) -> WeightInfo | str:
        """Named as the variable was (`dense/kernel`), else by where it is held."""
        saved = self.nodes[node_id].variable
        key = self.keys.get(node_id)
        name = (
            (saved.name if saved is not None else None)
            or local_name
            or (key.removesuffix(VARIABLE_SUFFIX) if key else f"#{node_id}")
        )
        entry = self.entries.get(key) if key is not None else None
        if entry is None:
            return f"variable {name!r} has no entry in the checkpoint ({key or 'no path from the root'})"
        disagreement = _disagreement(saved, entry) if saved is not None else None
        if disagreement:
            return f"variable {name!r}: the object graph says {disagreement[0]}, the checkpoint {disagreement[1]}"
        trainable = None if self.trainable is None else node_id in self.trainable
        return WeightInfo(
            name=name,
            shape=list(entry.shape),
            dtype=entry.dtype,
            trainable=trainable,
            location=self.locations.get(entry.key),
        )


def _disagreement(saved: SavedVariable, entry: BundleEntry) -> tuple[str, str] | None:
    if saved.dtype is not None and saved.dtype != entry.dtype:
        return saved.dtype, str(entry.dtype)
    if saved.shape is not None and (
        len(saved.shape) != len(entry.shape)
        or any(
            mine is not None and mine != theirs for mine, theirs in zip(saved.shape, entry.shape, strict=True)
        )
    ):
        return str(saved.shape), str(entry.shape)
    return None


def attach_layer_variables(
    tree: LayerTree,
    layers: dict[int, LayerNode],
    graph: ObjectGraph,
    bundle: BundleIndex,
    locations: dict[str, TensorLocation],
) -> list[Finding]:
    """Give each layer of `tree` the variables its object holds (`layers`: object id
    -> node), each with where its values are (`locations`, by checkpoint key), then
    sum parameters. A layer whose variables cannot all be read or placed keeps none
    from the file (its config may still say what it holds), and a finding says why."""
    held: dict[int, list[tuple[str, int]]] = {layer: list(graph.own_variables(layer)) for layer in layers}
    holders: dict[int, list[int]] = {}
    for layer, variables in held.items():
        for _, variable in variables:
            holders.setdefault(variable, []).append(layer)
    unknown: set[str] = set()
    findings: list[Finding] = []

    def problem(code: Code, at: list[LayerNode], message: str) -> None:
        unknown.update(node.path for node in at)
        for node in at:  # what the file holds for it is not known: its config may say
            node.origin.pop(Fact.WEIGHTS, None)
        findings.append(finding(code, at[0].path if len(at) == 1 else None, message))

    # The model's variables no layer holds directly: Keras counts a variable in a
    # tf.Module a layer holds as that layer's, so one holder through such objects is its owner.
    listed = graph.listed(ROOT, "variables")
    for variable in sorted(set(listed or ()) - set(holders)):
        found, blocked = graph.holders_of(variable, layers)
        if len(found) == 1 and not blocked:
            held[found[0]].append(("", variable))
            holders[variable] = found
            continue
        problem(
            Code.WEIGHTS_UNPLACED,
            [layers[layer] for layer in found] or [tree.root],
            f"variable {_label(graph, variable)} is the model's, but "
            + (
                f"held by {len(found)} layers"
                if len(found) > 1
                else "not held by one layer the file describes"
            ),
        )
    trainable = graph.listed(ROOT, "trainable_variables")
    reader = VariableReader(
        graph, bundle, set(holders), set(trainable) if trainable is not None else None, locations
    )
    # A variable several layers hold (tied weights) is each one's, as Keras lists it
    # in each one's weights: one record, counted once in any total over them.
    read: dict[int, WeightInfo | str] = {}
    for layer, node in layers.items():
        weights = []
        for name, variable in held[layer]:
            if variable not in read:
                read[variable] = reader.weight(variable, name)
            weight = read[variable]
            if isinstance(weight, str):
                problem(Code.WEIGHTS_MISMATCH, [node], weight)
            else:
                weights.append(weight)
        # Trainable first, as Keras lists a layer's weights.
        node.weights = sorted(weights, key=lambda w: w.trainable is False)
        if node.path not in unknown:
            node.origin[Fact.WEIGHTS] = Origin.WEIGHTS
    placed = {node.path for node in layers.values()}
    described = {(node.name, node.class_name): node for node in layers.values()}
    for node in tree.nodes():
        if node.path in placed or _is_input(node) or node.origin.get(Fact.STRUCTURE) == Origin.DERIVED:
            continue
        twin = described.get((node.name, node.class_name))
        if twin is not None and unnumbered(twin.config) == unnumbered(node.config):
            # A layer two models' configs list (one nested in the other) is one object,
            # described once: the same variables, counted once.
            node.weights = twin.weights
            node.origin[Fact.WEIGHTS] = Origin.WEIGHTS
            continue
        # An input layer has no variables; a tf_keras Sequential does not track its own.
        problem(
            Code.WEIGHTS_UNPLACED,
            [node],
            f"layer {node.path!r} has no Keras metadata of its own and is like no layer that has: "
            "its variables are unknown",
        )
    tree.sum_params(unknown=unknown)
    return findings


def _is_input(node: LayerNode) -> bool:
    own = known_class(node.class_name)
    return own is not None and own.kind is Kind.INPUT


def model_variables(
    graph: ObjectGraph, bundle: BundleIndex, locations: dict[str, TensorLocation]
) -> tuple[list[WeightInfo], list[Finding]]:
    """Every variable of a SavedModel without Keras metadata, as one flat list.

    Where the root lists its variables (a Keras 3 `model.export()` archive keeps
    `variables` and `trainable_variables`, as Keras models do), that list is the
    model's; otherwise (`tf.saved_model.save` of a `tf.Module`) every variable
    the object graph reaches, each once, trainable as the variable itself says,
    as `tf.Module.trainable_variables` has it."""
    listed = graph.listed(ROOT, "variables")
    if listed is not None:
        order = list(dict.fromkeys(listed))
        trainable_list = graph.listed(ROOT, "trainable_variables")
        trainable = set(trainable_list) if trainable_list is not None else None
    else:
        order = graph.every_variable()
        trainable = {i for i in order if (graph.nodes[i].variable or _UNTRAINED).trainable}
    reader = VariableReader(graph, bundle, set(order), trainable, locations)
    weights, findings = [], []
    for variable in order:
        weight = reader.weight(variable)
        if isinstance(weight, str):
            findings.append(finding(Code.WEIGHTS_MISMATCH, None, weight))
        else:
            weights.append(weight)
    return weights, findings


_UNTRAINED = SavedVariable(name=None, dtype=None, shape=None, trainable=False)


def _label(graph: ObjectGraph, variable: int) -> str:
    saved = graph.nodes[variable].variable
    return repr(saved.name) if saved is not None and saved.name else f"#{variable}"
