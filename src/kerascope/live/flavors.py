"""What differs between Keras 3 and Keras 2 (`tf_keras`, or `keras` 2.x) objects.

Every version difference of the live walk lives here, so the walk itself reads
one API. Nothing here imports a framework: the package is taken from the object's
own class, which proves it is already imported.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from kerascope.decoders.jsonsafe import jsonable
from kerascope.errors import KerascopeError
from kerascope.live.values import variable_location
from kerascope.model.records import WeightInfo

_PACKAGES = ("keras", "tf_keras")


@dataclass
class Flavor:
    """One Keras package as seen through the live objects it made."""

    package: ModuleType

    @property
    def version(self) -> str:
        return str(getattr(self.package, "__version__", "unknown"))

    @property
    def is_keras3(self) -> bool:
        return self.version.split(".")[0] == "3"

    @property
    def backend(self) -> str:
        if not self.is_keras3:
            return "tensorflow"
        return str(self.package.backend.backend())

    # -- structure --------------------------------------------------------------
    def is_layer(self, obj: Any) -> bool:
        return isinstance(obj, self.package.layers.Layer)

    def is_model(self, obj: Any) -> bool:
        return isinstance(obj, self.package.Model)

    def is_input_layer(self, obj: Any) -> bool:
        return isinstance(obj, self.package.layers.InputLayer)

    def is_operation(self, obj: Any) -> bool:
        """A Keras 3 op (`keras.ops.add`) called in a functional graph: a config
        entry like a layer, but no layer (no weights, not in `model.layers`)."""
        return not self.is_layer(obj)

    def children(self, layer: Any) -> list[Any]:
        """Direct tracked sublayers, listed or not in any `layers` attribute, and the
        ops a functional model's graph calls."""
        if not self.is_layer(layer):
            return []
        tracked = list(layer._flatten_layers(include_self=False, recursive=False))
        operations = getattr(layer, "_operations", None) if self.is_model(layer) else None
        return tracked + [op for op in operations or [] if not self.is_layer(op)]

    def graph_calls(self, model: Any) -> list[tuple[Any, list[list[tuple[Any, int, int]]]]]:
        """Each layer a Keras 3 functional model's own graph calls, with its calls in
        order, each call its input tensors as (producer, producer's call index among
        this model's calls of it, tensor index): the links a config would list.

        Used for models whose config lists no layers (a KerasHub task's config holds
        only its constructor's arguments). Empty where the graph is not Keras 3's.
        """
        if not self.is_keras3 or not self.is_model(model):
            return []
        graph = getattr(model, "_functional", None) or model
        keys, operations = getattr(graph, "_nodes", None), getattr(graph, "_operations", None)
        if not keys or not operations:
            return []
        kept = {
            id(op): {i: position for position, i in enumerate(self._graph_indices(op, keys))}
            for op in operations
        }
        calls = []
        for op in operations:
            if self.is_input_layer(op):
                continue
            sites = []
            for index in self._graph_indices(op, keys):
                tensors = self.package.tree.flatten(op._inbound_nodes[index].input_tensors)
                links = []
                for tensor in tensors:
                    producer, node_index, tensor_index = tensor._keras_history
                    links.append(
                        (producer, kept.get(id(producer), {}).get(node_index, node_index), tensor_index)
                    )
                sites.append(links)
            calls.append((op, sites))
        return calls

    @staticmethod
    def _graph_indices(op: Any, keys: Any) -> list[int]:
        """Indices of `op`'s calls that belong to the graph whose node keys are `keys`."""
        return [i for i in range(len(op._inbound_nodes)) if f"{id(op)}_ib-{i}" in keys]

    def listed_layers(self, layer: Any) -> list[Any]:
        """What Keras calls `model.layers` (empty for a plain layer)."""
        return list(layer.layers) if self.is_model(layer) else []

    # -- identity ---------------------------------------------------------------
    def class_identity(self, layer: Any) -> tuple[str, str | None, str | None]:
        """(class_name, module, registered_name) as Keras's serializer writes them."""
        cls = type(layer)
        public = self._serialization_lib()
        if public is not None and hasattr(public, "serialize_with_public_class"):
            found = public.serialize_with_public_class(cls)
            if found is not None:
                return found["class_name"], found["module"], found["registered_name"]
        registered = self.package.saving.get_registered_name(cls)
        return cls.__name__, cls.__module__, registered

    def _serialization_lib(self) -> ModuleType | None:
        name = f"{self.package.__name__}.src.saving.serialization_lib"
        if name in sys.modules:
            return sys.modules[name]
        try:
            return importlib.import_module(name)
        except ImportError:
            return None

    # -- weights and shapes -----------------------------------------------------
    def weight_info(self, variable: Any) -> WeightInfo:
        name = getattr(variable, "path", None) or variable.name
        if name.endswith(":0"):
            name = name[:-2]
        dtype = variable.dtype
        shape = shape_list(variable.shape)
        dtype_name = getattr(dtype, "name", None) or str(dtype)
        return WeightInfo(
            name=name,
            shape=shape,
            dtype=dtype_name,
            trainable=bool(variable.trainable),
            location=variable_location(variable, name, shape, dtype_name),
        )

    def call_shapes(self, layer: Any) -> tuple[list[Any], list[Any]]:
        """Input and output shapes of each call site the layer was traced at; a
        model's outputs in the structure it returns them in (a dict, a list)."""
        inputs, outputs = [], []
        structure = self._output_structure(layer)
        for node in getattr(layer, "_inbound_nodes", None) or []:
            inputs.append(structure_shape(node.input_tensors))
            produced = node.outputs
            if structure is not None:
                produced = self._pack(structure, produced)
            outputs.append(structure_shape(produced))
        return inputs, outputs

    def _output_structure(self, layer: Any) -> Any:
        if not self.is_model(layer):
            return None
        for name in ("_outputs_struct", "_nested_outputs"):  # Keras 3, tf_keras
            structure = getattr(layer, name, None)
            if structure is not None:
                return structure
        return None

    def _pack(self, structure: Any, flat: Any) -> Any:
        """`flat` outputs in `structure`'s shape, with the framework's own nest utility."""
        if self.is_keras3:
            tree = self.package.tree
            return tree.pack_sequence_as(structure, tree.flatten(flat))
        nest = sys.modules["tensorflow"].nest  # a tf_keras model proves TensorFlow is imported
        return nest.pack_sequence_as(structure, nest.flatten(flat))

    def build_input_shape(self, layer: Any) -> Any:
        getter = getattr(layer, "get_build_config", None)
        if getter is None:
            return jsonable(getattr(layer, "_build_input_shape", None))
        try:
            build = getter()
        except Exception:  # noqa: BLE001 - a layer's own code may raise anything
            return None
        return jsonable((build or {}).get("input_shape"))


def shape_list(shape: Any) -> list[int | None]:
    if hasattr(shape, "as_list"):
        return shape.as_list()
    return [None if d is None else int(d) for d in shape]


def structure_shape(value: Any) -> Any:
    """The shapes of a tensor or a nest of tensors; one tensor in a list is unwrapped."""
    if isinstance(value, (list, tuple)):
        shapes = [structure_shape(v) for v in value]
        return shapes[0] if len(shapes) == 1 else shapes
    if isinstance(value, dict):
        return {str(k): structure_shape(v) for k, v in value.items()}
    shape = getattr(value, "shape", None)
    if shape is None:
        return None
    try:
        return shape_list(shape)
    except (TypeError, ValueError):  # unknown rank
        return None


def flavor_of(obj: Any) -> Flavor:
    """The Keras package `obj` belongs to, found from its class hierarchy."""
    for cls in type(obj).__mro__:
        root = cls.__module__.split(".")[0]
        if root in _PACKAGES and root in sys.modules:
            flavor = Flavor(sys.modules[root])
            if flavor.is_layer(obj):
                return flavor
    raise KerascopeError(f"{type(obj).__module__}.{type(obj).__qualname__} is not a Keras layer or model")
