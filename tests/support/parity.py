"""A static read of a saved file against the live report of the model that wrote it.

Each format declares what it stores (`STORES`): which facts, for the layers a
model config lists and for the sublayers no config lists, and which live layers
it cannot show at all. Parity then demands every stored fact, equal to the live
value — `None` where the format stores the fact fails — and the same layer set,
less exactly the layers the format is declared blind to. A fact the format does
not store may be `None`, and must be equal where a reader fills it anyway.

The live report itself is held to Keras's own answers in `keras_truth`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kerascope.families import known, rule_key
from kerascope.model import Fact, Format, LayerNode, ModelReport, Role, topology

from support.stages import assert_every_stage_ran


@dataclass(frozen=True)
class Stores:
    """What one format stores, and which live layers it cannot show."""

    listed: frozenset[Fact]
    hidden: frozenset[Fact]
    blind_to: Callable[[LayerNode, ModelReport], bool]
    blindness: str
    legacy_configs: bool = False  # nested objects serialized the Keras 2 way (no module/registered_name)
    # Whether a layer's weights keep Keras's order (an Orbax state tree sorts them by name).
    ordered_weights: bool = True


def sees_all(node: LayerNode, live: ModelReport) -> bool:
    return False


def graph_only_of_hidden_model(node: LayerNode, live: ModelReport) -> bool:
    """A `.keras` weights file has groups for tracked layers only: not for the
    InputLayers and the ops (`keras.ops.add`) of a model whose config the file
    does not hold (a subclassed model's Sequential attribute, a KerasHub task's
    backbone): only that model's own config would list them."""
    parent = live.parent(node)
    graph_only = node.role == Role.INPUT or (node.module or "").startswith("keras.src.ops.")
    return graph_only and parent is not None and parent.role == Role.MODEL and not _listed(parent, live)


def unscoped_sublayer(node: LayerNode, live: ModelReport) -> bool:
    """Legacy HDF5 and TensorFlow.js show a sublayer only where Keras's own layer
    created it (its class says which: a cell, a wrapper's layer) or through the name
    scopes of its weights (`block/attention/query/kernel`): a sublayer of a custom
    layer whose name is in no scope of the weights below it (a weightless one) is
    not in the file."""
    if _listed(node, live) or _created_by_keras(node, live):
        return False
    scopes = {scope for weight in _weights_below(node, live) for scope in (weight.name or "").split("/")[:-1]}
    return node.name not in scopes


def _created_by_keras(node: LayerNode, live: ModelReport) -> bool:
    """Whether a layer of Keras's own classes created `node`, all the way up to a
    layer the file's config lists."""
    parent = live.parent(node)
    while parent is not None and not _listed(parent, live):
        if known(rule_key(parent)) is None:
            return False
        parent = live.parent(parent)
    return parent is not None and known(rule_key(parent)) is not None


def hidden_sublayer(node: LayerNode, live: ModelReport) -> bool:
    """A `to_json()` architecture holds configs only: a sublayer a config hides is
    known only where Keras's own layer creates it from its config (an LSTM's cell,
    a Bidirectional's forward and backward layers)."""
    return not _listed(node, live) and not _created_by_keras(node, live)


ALL = frozenset({Fact.CLASS, Fact.CONFIG, Fact.INBOUND, Fact.WEIGHTS})
STORES: dict[Format, Stores] = {
    Format.KERAS: Stores(
        listed=ALL,
        hidden=frozenset({Fact.WEIGHTS}),
        blind_to=graph_only_of_hidden_model,
        blindness="the inputs and ops of a model only the weights show",
    ),
    Format.H5: Stores(
        listed=ALL,
        hidden=frozenset({Fact.WEIGHTS}),
        blind_to=unscoped_sublayer,
        blindness="sublayers in no weight's name scope",
        legacy_configs=True,
    ),
    Format.SAVEDMODEL: Stores(
        listed=ALL,
        hidden=frozenset({Fact.CLASS, Fact.CONFIG, Fact.WEIGHTS}),
        blind_to=sees_all,
        blindness="nothing",
        legacy_configs=True,
    ),
    Format.JSON: Stores(
        listed=frozenset({Fact.CLASS, Fact.CONFIG, Fact.INBOUND}),
        hidden=frozenset(),
        blind_to=hidden_sublayer,
        blindness="sublayers no built-in layer creates",
    ),
    Format.TFJS: Stores(
        listed=ALL,
        hidden=frozenset({Fact.WEIGHTS}),
        blind_to=unscoped_sublayer,
        blindness="sublayers in no weight's name scope",
    ),
    Format.ORBAX: Stores(
        listed=ALL,
        hidden=frozenset({Fact.WEIGHTS}),
        blind_to=unscoped_sublayer,
        blindness="sublayers in no variable's path",
        ordered_weights=False,
    ),
}

# The same files elsewhere: a `.keras` extracted into a folder, and a Keras 3 weights
# file (alone, sharded, or npz) read with the config it was saved from (`--config`).
STORES[Format.KERAS_FOLDER] = STORES[Format.KERAS_WEIGHTS] = STORES[Format.KERAS]

_SERIALIZER_KEYS = ("shared_object_id",)
_KERAS3_ONLY_KEYS = ("shared_object_id", "module", "registered_name", "build_config", "compile_config")


def assert_static_matches_live(static: ModelReport, live: ModelReport, stores: Stores | None = None) -> None:
    """Every fact `static`'s format stores equals the live one; the layer set is the
    live one less exactly the layers the format cannot show; every stage ran on
    every layer of both."""
    assert_every_stage_ran(static)
    assert_every_stage_ran(live)
    stores = stores or STORES[static.format]
    expected = {node.path for node in live.nodes if not stores.blind_to(node, live)}
    found = {node.path for node in static.nodes}
    assert found == expected, (
        f"static read of a {static.format} file (blind to {stores.blindness}): "
        f"missing {sorted(expected - found)}, invented {sorted(found - expected)}"
    )
    assert len(found) == len(static.nodes), "paths are unique"
    drop = _KERAS3_ONLY_KEYS if stores.legacy_configs else _SERIALIZER_KEYS
    for node in static.layers:
        twin = live[node.path]
        required = stores.listed if _listed(twin, live) else stores.hidden
        assert node.name == twin.name, node.path
        _fact(Fact.CLASS, required, node.path, node.class_name, twin.class_name)
        if node.class_name is not None:
            assert node.role == twin.role, (node.path, node.role, twin.role)
        _fact(Fact.CONFIG, required, node.path, _plain(node.config, drop), _plain(twin.config, drop))
        _fact(Fact.INBOUND, required, node.path, node.inbound, twin.inbound)
        if node.output_shapes is not None:
            assert node.output_shape == twin.output_shape, node.path
        if Fact.WEIGHTS in required:
            if any(stores.blind_to(below, live) for below in _below(twin, live)):
                # The file shows the weights of sublayers it cannot see in their nearest visible layer.
                assert held_weights(node, static) == held_weights(twin, live), node.path
            elif stores.ordered_weights:
                assert _owned(node) == _owned(twin), node.path
            else:
                assert sorted(map(str, _owned(node))) == sorted(map(str, _owned(twin))), node.path
            assert node.total_params == twin.total_params, node.path
    if Fact.WEIGHTS in stores.listed:
        assert static.total_params == live.total_params


def _fact(fact: Fact, required: frozenset[Fact], path: str, static: Any, live: Any) -> None:
    if fact in required:
        assert static is not None, f"{path}: the file stores its {fact.value}, the read lost it"
    if static is not None:
        assert static == live, f"{path}: {fact.value} differs from the live model's"


def _listed(node: LayerNode, live: ModelReport) -> bool:
    """Whether a file's config lists the layer: the root, and every layer listed in
    the config of a model that is itself listed (not one only the weights show)."""
    parent = live.parent(node)
    if parent is None:
        return True
    names = {topology.entry_name(entry) for entry in topology.layer_entries(parent.config)}
    return node.name in names and _listed(parent, live)


def _below(node: LayerNode, report: ModelReport) -> list[LayerNode]:
    """Every layer under `node`, not `node` itself."""
    found, stack = [], list(report.children(node))
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(report.children(current))
    return found


def _weights_below(node: LayerNode, live: ModelReport) -> list[Any]:
    return [weight for layer in [node, *_below(node, live)] for weight in layer.weights]


def _owned(node: LayerNode) -> list[tuple[Any, Any]]:
    return [(w.shape, w.dtype) for w in node.weights]


def held_weights(node: LayerNode, report: ModelReport) -> list[tuple[Any, Any]]:
    return sorted((str(w.shape), str(w.dtype)) for w in _weights_below(node, report))


def _plain(value: Any, drop: tuple[str, ...]) -> Any:
    """A config without the keys Keras's serializer adds when it writes a file
    (`shared_object_id`; for Keras 2 files, the Keras 3 extras that `get_config()`
    now adds to nested objects)."""
    if isinstance(value, dict):
        return {k: _plain(v, drop) for k, v in value.items() if k not in drop}
    if isinstance(value, list):
        return [_plain(v, drop) for v in value]
    return value
