"""What a `saved_model.pb` says, decoded without TensorFlow: serving signatures,
the object graph, and the ops its graph and functions use.

`SavedModel -> MetaGraphDef` holds a `signature_def` map (inputs and outputs as
`TensorInfo`: tensor name, dtype, shape), a `SavedObjectGraph` (every tracked
object: its children by local name, and for a variable its dtype, shape and
name), and a `GraphDef` whose nodes and library functions name their ops. The
checkpoint saver is part of that graph: its save and restore nodes (named by
`saver_def`) and the functions they call run `SaveV2`/`RestoreV2` in every
SavedModel, so each op site says whether it belongs to the saver alone.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kerascope.decoders.dtypes import from_tensorflow
from kerascope.decoders.protobuf import OBJECT_KINDS, parse, shape_list
from kerascope.errors import KerascopeError
from kerascope.limits import LimitExceeded, Limits, check_time

SAVED_MODEL_FILE = "saved_model.pb"
SERVING_TAG = "serve"
# TensorFlow's internal signature keys (`__saved_model_init_op`, `__saved_model_train_op`): not served.
INTERNAL_SIGNATURE_PREFIX = "__saved_model_"


@dataclass(frozen=True)
class SignatureTensor:
    name: str | None  # the graph tensor (`serving_default_x:0`)
    dtype: str | None
    shape: list[int | None] | None  # None: rank unknown; a None dimension: any size

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "shape": self.shape}


@dataclass(frozen=True)
class Signature:
    method_name: str | None
    inputs: dict[str, SignatureTensor]
    outputs: dict[str, SignatureTensor]

    def to_json(self) -> dict[str, Any]:
        return {
            "method_name": self.method_name,
            "inputs": {key: tensor.to_json() for key, tensor in self.inputs.items()},
            "outputs": {key: tensor.to_json() for key, tensor in self.outputs.items()},
        }


@dataclass(frozen=True)
class SavedVariable:
    name: str | None
    dtype: str | None
    shape: list[int | None] | None
    trainable: bool


@dataclass(frozen=True)
class SavedNode:
    """One object of the object graph."""

    kind: str | None  # user_object, variable, function, asset, ... (None: not said)
    identifier: str | None  # a user object's (`_tf_keras_layer`, `trackable_list_wrapper`)
    children: list[tuple[str, int]]  # (local name, node id)
    variable: SavedVariable | None
    metadata: str | None = None  # a user object's JSON (Keras wrote it here before TensorFlow 2.5)


@dataclass(frozen=True)
class OpSite:
    """One node running a watched op."""

    op: str
    function: str | None  # the library function holding it; None for the graph itself
    in_saver: bool  # part of the checkpoint saver and of nothing else
    attrs: dict[str, bytes]  # its string attributes


@dataclass
class SavedModelInfo:
    tags: list[str]
    tensorflow_version: str | None
    signatures: dict[str, Signature]
    nodes: list[SavedNode]  # the object graph, node 0 the root; empty when not saved (TensorFlow 1)
    ops: set[str] = field(default_factory=set)  # every op type in every graph and function
    watched: list[OpSite] = field(default_factory=list)

    def signatures_json(self) -> dict[str, Any]:
        return {name: signature.to_json() for name, signature in self.signatures.items()}


def saved_model_info(data: bytes, limits: Limits, watch: Collection[str] = ()) -> SavedModelInfo:
    """The signatures and object graph of the serving meta graph, and the ops of
    every meta graph, with the sites of the ops in `watch`."""
    message = parse("SavedModel", data, SAVED_MODEL_FILE)
    graphs = list(message.meta_graphs)
    if not graphs:
        raise KerascopeError(f"{SAVED_MODEL_FILE} holds no meta graph")
    chosen = next((graph for graph in graphs if SERVING_TAG in graph.meta_info_def.tags), graphs[0])
    budget = GraphBudget(limits)
    info = SavedModelInfo(
        tags=list(chosen.meta_info_def.tags),
        tensorflow_version=chosen.meta_info_def.tensorflow_version or None,
        signatures=_signatures(chosen),
        nodes=_object_nodes(chosen.object_graph_def, budget),
    )
    for graph in graphs:
        _scan_ops(graph, frozenset(watch), info, budget)
    return info


class GraphBudget:
    """The steps walks over a SavedModel's graphs may take, together: each walk is
    linear in the graph, and the graph is bounded by the graph node limit."""

    def __init__(self, limits: Limits) -> None:
        self.limit = limits.max_graph_nodes
        self.left = self.limit

    def spend(self, steps: int = 1) -> None:
        self.left -= steps
        if self.left < 0:
            raise LimitExceeded(
                f"the SavedModel's graphs take more than {self.limit:,} steps to walk (the graph node limit)",
                "max_graph_nodes",
            )
        if (self.left & 0xFFF) == 0 or steps > 1:
            check_time()


def _signatures(graph: Any) -> dict[str, Signature]:
    found = {}
    for entry in graph.signature_def:
        if entry.key.startswith(INTERNAL_SIGNATURE_PREFIX):
            continue
        found[entry.key] = Signature(
            method_name=entry.value.method_name or None,
            inputs=_tensors(entry.value.inputs, f"signature {entry.key!r}"),
            outputs=_tensors(entry.value.outputs, f"signature {entry.key!r}"),
        )
    return found


def _tensors(entries: Iterable[Any], where: str) -> dict[str, SignatureTensor]:
    return {
        entry.key: SignatureTensor(
            name=entry.value.name or None,
            dtype=from_tensorflow(entry.value.dtype),
            shape=shape_list(entry.value.tensor_shape, f"{where} tensor {entry.key!r}"),
        )
        for entry in entries
    }


def _object_nodes(graph: Any, budget: GraphBudget) -> list[SavedNode]:
    count = len(graph.nodes)
    budget.spend(count)
    nodes = []
    for position, node in enumerate(graph.nodes):
        budget.spend(len(node.children))
        children = [(child.local_name, child.node_id) for child in node.children]
        if any(not 0 <= node_id < count for _, node_id in children):
            raise KerascopeError(
                f"{SAVED_MODEL_FILE}'s object graph node {position} names a child that is not there"
            )
        kind = node.WhichOneof("kind")
        variable = None
        if kind == "variable":
            variable = SavedVariable(
                name=node.variable.name or None,
                dtype=from_tensorflow(node.variable.dtype),
                shape=shape_list(node.variable.shape, f"object graph variable {node.variable.name!r}"),
                trainable=node.variable.trainable,
            )
        identifier = metadata = None
        if kind == "user_object":
            identifier, metadata = node.user_object.identifier, node.user_object.metadata or None
        nodes.append(
            SavedNode(kind if kind in OBJECT_KINDS else None, identifier, children, variable, metadata)
        )
    return nodes


def _scan_ops(graph: Any, watch: frozenset[str], info: SavedModelInfo, budget: GraphBudget) -> None:
    """Add the graph's op types to `info.ops`, and the sites of watched ops with
    whether each belongs to the checkpoint saver alone."""
    nodes = list(graph.graph_def.node)
    functions = {function.signature.name: function for function in graph.graph_def.library.function}
    budget.spend(len(nodes) + sum(len(function.node_def) for function in functions.values()))
    saver_nodes = _saver_nodes(graph.saver_def, nodes, budget)
    saver_functions = _reachable(
        (name for node in nodes if node.name in saver_nodes for name in _calls(node, functions)),
        functions,
        budget,
    )
    callable_after_load = [
        *(entry.key for entry in graph.object_graph_def.concrete_functions),
        *(name for name in functions if name not in saver_functions),
        *(name for node in nodes if node.name not in saver_nodes for name in _calls(node, functions)),
    ]
    elsewhere = _reachable(callable_after_load, functions, budget)
    consumed = {_node_name(name) for node in nodes for name in node.input}
    for node in nodes:
        _note(node, None, node.name in saver_nodes or _saver_orphan(node, saver_nodes, consumed), watch, info)
    for name, function in functions.items():
        for node in function.node_def:
            _note(node, name, name in saver_functions and name not in elsewhere, watch, info)


def _note(
    node: Any, function: str | None, in_saver: bool, watch: frozenset[str], info: SavedModelInfo
) -> None:
    info.ops.add(node.op)
    if node.op in watch:
        attrs = {entry.key: entry.value.s for entry in node.attr if entry.value.s}
        info.watched.append(OpSite(node.op, function, in_saver, attrs))


def _saver_orphan(node: Any, saver_nodes: set[str], consumed: set[str]) -> bool:
    """A save op no node depends on, writing to the path the saver itself builds (its
    first input is in the saver): TensorFlow.NET's saver runs its `SaveV2` by name,
    outside the save tensor's dependencies. Nothing else in the graph can run it."""
    return (
        node.name not in consumed
        and bool(node.input)
        and not node.input[0].startswith("^")
        and _node_name(node.input[0]) in saver_nodes
    )


def _saver_nodes(saver: Any, nodes: list[Any], budget: GraphBudget) -> set[str]:
    """The graph nodes the saver's save and restore ops depend on (their inputs, transitively)."""
    by_name = {node.name: node for node in nodes}
    roots = [_node_name(name) for name in (saver.save_tensor_name, saver.restore_op_name) if name]
    found: set[str] = set()
    queue = deque(name for name in roots if name in by_name)
    while queue:
        name = queue.popleft()
        if name in found:
            continue
        found.add(name)
        budget.spend()
        queue.extend(source for source in map(_node_name, by_name[name].input) if source in by_name)
    return found


def _node_name(tensor: str) -> str:
    """`name` from `name:0` or `^name` (a control input)."""
    return tensor.lstrip("^").partition(":")[0]


def _calls(node: Any, functions: dict[str, Any]) -> Iterator[str]:
    """The library functions a node runs: its op itself, or a function-valued attribute
    (`f` of a call, `body` of a loop, `branches` of a case)."""
    if node.op in functions:
        yield node.op
    for entry in node.attr:
        value = entry.value
        if value.func.name in functions:
            yield value.func.name
        for item in value.list.func:
            if item.name in functions:
                yield item.name


def _reachable(roots: Iterable[str], functions: dict[str, Any], budget: GraphBudget) -> set[str]:
    found: set[str] = set()
    queue = deque(roots)
    while queue:
        name = queue.popleft()
        if name in found or name not in functions:
            continue
        found.add(name)
        for node in functions[name].node_def:
            budget.spend()
            queue.extend(_calls(node, functions))
    return found
