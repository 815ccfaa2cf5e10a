"""The layer tree a stored model config describes, in any Keras generation's shape.

Every static format stores the same kind of config (a serialized object whose
`config` may hold a `layers` list), so one builder serves them all. It records
only what the config says: classes and configs as stored, connections and
tensor shapes where the config carries them. What the config does not say stays
`None` for the weights reader (or nobody) to fill in.
"""

from __future__ import annotations

import itertools
from typing import Any

from kerascope import paths, topology
from kerascope.report import InboundLink, LayerNode
from kerascope.sources.json_text import text_or_none
from kerascope.sources.limits import DEFAULT_LIMITS, Limits

CONFIG = "config"

INPUT_CLASSES = {"InputLayer"}
MODEL_CLASSES = {"Functional", "Sequential", "Model"}


def build_tree(
    root: dict[str, Any], root_name: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> list[LayerNode]:
    """Nodes for a serialized model (`{"class_name", "config", ...}`), depth-first."""
    builder = _TreeBuilder(limits)
    builder.visit(root, path="", index=None, listed=True, fallback_name=root_name or "model")
    return builder.nodes


def object_name(obj: dict[str, Any]) -> str | None:
    config = obj.get("config")
    name = config.get("name") if isinstance(config, dict) else None
    if name is None:
        name = obj.get("name")
    return name if isinstance(name, str) else None


def stored_input_shape(config: Any) -> Any:
    """An input layer's shape as Keras 3 (`batch_shape`) or 1/2 (`batch_input_shape`) wrote it."""
    if not isinstance(config, dict):
        return None
    for key in ("batch_shape", "batch_input_shape"):
        if isinstance(config.get(key), list):
            return config[key]
    return None


class _TreeBuilder:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.nodes: list[LayerNode] = []
        self.at: dict[str, LayerNode] = {}

    def visit(
        self, obj: dict[str, Any], path: str, index: int | None, listed: bool, fallback_name: str
    ) -> LayerNode:
        config = obj.get("config")
        class_name = obj.get("class_name") if isinstance(obj.get("class_name"), str) else None
        entries = topology.layer_entries(config)
        node = LayerNode(
            path=path,
            name=object_name(obj) or fallback_name,
            class_name=class_name,
            module=text_or_none(obj.get("module")),
            registered_name=text_or_none(obj.get("registered_name")),
            role=_role(class_name, bool(entries), listed, is_root=not path),
            index=index,
            config=config,
            build_input_shape=(obj.get("build_config") or {}).get("input_shape")
            if isinstance(obj.get("build_config"), dict)
            else None,
            origin={"class": CONFIG, "config": CONFIG},
        )
        if class_name in INPUT_CLASSES:
            shape = stored_input_shape(config)
            node.output_shapes = [shape] if shape is not None else None
        self.nodes.append(node)
        self.at[path] = node
        self.limits.check_layers(len(self.nodes))
        if entries:
            self._visit_layers(node, config, entries)
        return node

    def _visit_layers(self, model: LayerNode, config: Any, entries: list[dict[str, Any]]) -> None:
        sequential = topology.is_sequential_config(config)
        names = paths.SiblingNames()
        path_of: dict[str, str] = {}
        listed_index = 0
        for position, entry in enumerate(entries):
            name = topology.entry_name(entry) or f"layer_{position}"
            # Keras 3 leaves a Sequential's InputLayer out of `model.layers`.
            listed = not (sequential and entry.get("class_name") in INPUT_CLASSES)
            child_path = paths.join(model.path, names.segment(name))
            model.children.append(child_path)
            path_of.setdefault(name, child_path)
            self.visit(entry, child_path, listed_index if listed else None, listed=listed, fallback_name=name)
            listed_index += listed
        self._link(config, path_of, model.path)
        self._shapes(config, path_of)
        if sequential:
            self._chain_shapes(model)

    def _link(self, config: Any, path_of: dict[str, str], model_path: str) -> None:
        for name, sites in topology.call_sites(config).items():
            node = self.at.get(path_of.get(name, ""))
            if node is None or not node.path:
                continue
            node.inbound = [
                [
                    InboundLink(
                        path_of.get(link.name) or paths.join(model_path, paths.escape(link.name)),
                        link.node_index,
                        link.tensor_index,
                    )
                    for link in site
                ]
                for site in sites
            ]
            node.origin["inbound"] = CONFIG

    def _shapes(self, config: Any, path_of: dict[str, str]) -> None:
        """Output shapes where a consumer's stored tensor says them (Keras 3 only)."""
        produced: dict[str, dict[int, dict[int, Any]]] = {}
        for link, shape in topology.tensor_shapes(config):
            produced.setdefault(link.name, {}).setdefault(link.node_index, {})[link.tensor_index] = shape
        for name, calls in produced.items():
            node = self.at.get(path_of.get(name, ""))
            if node is None or not node.path or node.output_shapes is not None:
                continue
            node.output_shapes = [_tensor_list(calls.get(i, {})) for i in range(max(calls) + 1)]
            node.origin["shapes"] = CONFIG

    def _chain_shapes(self, model: LayerNode) -> None:
        """In a Sequential each layer was built on its predecessor's output, so the
        next layer's stored build shape is this layer's output shape."""
        chain = [self.at[path] for path in model.children]
        for layer, successor in itertools.pairwise(chain):
            if layer.output_shapes is None and successor.build_input_shape is not None:
                layer.output_shapes = [successor.build_input_shape]
                layer.origin["shapes"] = CONFIG


def _tensor_list(tensors: dict[int, Any]) -> Any:
    if not tensors:
        return None
    if len(tensors) == 1 and 0 in tensors:
        return tensors[0]
    return [tensors.get(i) for i in range(max(tensors) + 1)]


def _role(class_name: str | None, has_layers: bool, listed: bool, is_root: bool) -> str:
    if class_name in INPUT_CLASSES:
        return "input"
    if has_layers or class_name in MODEL_CLASSES or is_root:
        return "model"
    return "layer" if listed else "sublayer"
