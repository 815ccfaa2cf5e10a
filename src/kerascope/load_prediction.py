"""What Keras does when a weights file meets an architecture: `kerascope.load_check`.

The architecture becomes the model Keras would build of it (its config's tree, the
sublayers Keras's own classes create, each layer's variables from Keras's rules
and the input shapes the shape engine finds; a custom layer's from the
architecture's own weights, where its file holds them). The weights file is read
as the loader for its kind reads it (`readers/weights_files.py`). Then the
loader's walk is run over both (`addressing/prediction.py`): which Keras
generation's rules, layer by layer what loads from where, and what Keras says.

The loader is the latest of the Keras line that wrote the architecture (Keras 3,
or TF-Keras for a Keras 1/2 or TF-Keras file), unless `keras` names another
(`3.10`, `tf_keras`, `2.13`).
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from kerascope.addressing import (
    LATEST_KERAS_3,
    LATEST_TF_KERAS,
    Generation,
    attach,
    expand,
    generation_of,
    messages,
)
from kerascope.addressing.prediction import (
    LegacyGroup,
    Outcome,
    Slot,
    check_legacy,
    check_saving_lib,
    store_view,
)
from kerascope.addressing.saving_lib import ROOT_EXTRAS, Naming
from kerascope.addressing.simulation import Obj
from kerascope.decoders.source import Source
from kerascope.errors import KerascopeError
from kerascope.limits import Limits
from kerascope.model.records import Finding, LayerNode
from kerascope.model.results import LayerLoad, LoadCheck
from kerascope.model.topology import is_sequential_config
from kerascope.model.tree import LayerTree
from kerascope.model.vocabulary import Format, LoadStatus
from kerascope.readers.config import build_tree
from kerascope.readers.keras_layout import grower
from kerascope.readers.weights_files import LEGACY, WeightsFile, open_weights
from kerascope.shapes import expected_variables

Expected = dict[str, list[tuple[str, list[int | None] | None, bool]] | None]


def predict_load(
    weights: Source,
    into: Source | None,
    limits: Limits,
    *,
    by_name: bool = False,
    skip_mismatch: bool = False,
    keras: str | None = None,
) -> LoadCheck:
    """Keras's `load_weights(weights)` on the model `into` describes, or, without
    `into`, its `load_model` on the weights file and its own config."""
    findings: list[Finding] = []
    with ExitStack() as opened:
        held = open_weights(weights, limits, opened, findings)
        receiving = held if into is None else open_weights_or_config(into, limits, opened, findings)
        if receiving.config is None:
            raise KerascopeError(f"{(into or weights).name}: holds no model config to load the weights into")
        loader = _loader(keras, receiving.keras_version, receiving.config)
        if by_name and held.kind != LEGACY:
            raise KerascopeError(
                f"`by_name` only supports loading legacy '.h5' or '.hdf5' files. Received: {weights.label}"
            )
        tree = build_tree(receiving.config, None, limits)
        made = expand(tree, loader.keras3).made
        groups, optimizer = _own_structure(tree, made, receiving)
        expected = expected_variables(tree.report(receiving.label, Format.KERAS, keras_version=str(loader)))
        refused = _unloadable(held, receiving, loader, into is None)
        if refused is not None:
            outcome = refused
            if refused.error != "TypeError":  # the model is built; nothing is loaded into it
                outcome.layers = _untouched(tree, expected)
        elif held.store is not None:
            outcome = check_saving_lib(
                tree.root,
                tree.children,
                made,
                {
                    path: None if own is None else [(n, s) for n, s, _ in own]
                    for path, own in expected.items()
                },
                groups,
                store_view(held.store, held.label, ROOT_EXTRAS),
                loader,
                optimizer,
                skip_mismatch,
            )
        else:
            outcome = _legacy(tree, expected, held, loader, by_name, skip_mismatch)
            if into is None and outcome.error is None and not held.training_config:
                outcome.warnings.append(messages.not_compiled())
                outcome.message = "\n".join(outcome.warnings)
    return LoadCheck(
        weights=weights.name,
        into=(into or weights).name,
        rules=_rules(loader, held, by_name, into is None),
        keras_version=str(loader),
        by_name=by_name,
        layers=outcome.layers,
        unexpected=outcome.unexpected,
        keras_error=outcome.error,
        keras_message=outcome.message,
        warnings=outcome.warnings,
        notes=outcome.notes,
        optimizer=outcome.optimizer,
    )


def open_weights_or_config(
    source: Source, limits: Limits, opened: ExitStack, findings: list[Finding]
) -> WeightsFile:
    """The architecture's file: a file with weights (a `.keras`, a folder, a full
    `.h5`), or a config alone (`config.json`, `model.to_json()`)."""
    from kerascope.readers.keras_layout import paired_config

    try:
        return open_weights(source, limits, opened, findings)
    except KerascopeError:
        config, version = paired_config(source, limits)
        return WeightsFile("a config", source.label, config=config, keras_version=version)


def _unloadable(held: WeightsFile, receiving: WeightsFile, loader: Generation, own: bool) -> Outcome | None:
    """What stops Keras before any weight is compared: a config Keras 3 cannot
    deserialize (`load_model`), or npz weights, which no Keras 3 loads."""
    if own and loader.keras3 and receiving.config is not None:
        refused = messages.undeserializable(receiving.config)
        if refused is not None:
            locations = (
                list(store_view(held.store, held.label, ROOT_EXTRAS).where.values()) if held.store else []
            )
            return Outcome(error="TypeError", message=refused, unexpected=locations)
    if held.npz:
        if own:
            return Outcome(
                error="ValueError", message="Object arrays cannot be loaded when allow_pickle=False"
            )
        return Outcome(
            error="KeyError", message="\"There is no item named 'model.weights.h5' in the archive\""
        )
    return None


def _untouched(tree: LayerTree, expected: Expected) -> list[LayerLoad]:
    """Every layer holding variables, none of them loaded."""
    return [
        LayerLoad(node.path, node.name, node.class_name, LoadStatus.MISSING, received=[None] * len(own))
        for node in tree.nodes()
        if (own := expected.get(node.path))
    ]


def _loader(keras: str | None, version: str | None, config: dict[str, Any]) -> Generation:
    """The Keras that loads: the one named, else the latest of the line that wrote
    the architecture (a config naming its classes' modules is Keras 3's)."""
    if keras is not None:
        if keras.replace("-", "_").lower() in ("tf_keras", "tf.keras"):
            return LATEST_TF_KERAS
        if keras.lower() == "keras":
            return LATEST_KERAS_3
        named = generation_of(keras)
        if named is None:
            raise KerascopeError(f"--keras {keras!r}: give a version (3.15, 2.13) or tf_keras")
        return named
    written = generation_of(version)
    if (written is not None and written.keras3) or (written is None and "module" in config):
        return LATEST_KERAS_3
    return LATEST_TF_KERAS


def _own_structure(
    tree: LayerTree, made: dict[str, Any], receiving: WeightsFile
) -> tuple[dict[str, str], Obj | None]:
    """What the architecture's own weights show of the model Keras builds: the groups
    its custom layers' sublayers were saved under, and its optimizer (a compiled
    model's, with as many variables as the file saved)."""
    if receiving.store is None:
        return {}, None
    saver = generation_of(receiving.keras_version)
    found = attach(tree, receiving.store, saver, tree.root, made, Naming(saver=saver), grower(True))
    return found.groups, _optimizer(receiving)


def _optimizer(receiving: WeightsFile) -> Obj | None:
    compiled = receiving.config.get("compile_config") if receiving.config else None
    store = receiving.store
    if not isinstance(compiled, dict) or store is None or not store.is_group("optimizer/vars"):
        return None
    optimizer = compiled.get("optimizer")
    config = optimizer.get("config") if isinstance(optimizer, dict) else None
    name = config.get("name") if isinstance(config, dict) else None
    class_name = optimizer.get("class_name") if isinstance(optimizer, dict) else None
    keys = [key for key in store.children("optimizer/vars") if store.is_dataset(f"optimizer/vars/{key}")]
    shapes = [list(store.weight(f"optimizer/vars/{key}").shape) for key in sorted(keys, key=_number)]
    return Obj(
        None,
        name if isinstance(name, str) else "optimizer",
        class_name if isinstance(class_name, str) else "Optimizer",
        [("", shape) for shape in shapes],
        optimizer=True,
    )


def _number(key: str) -> int:
    return int(key) if key.isdigit() else 0


def _legacy(
    tree: LayerTree, expected: Expected, held: WeightsFile, loader: Generation, by_name: bool, skip: bool
) -> Outcome:
    """The legacy loader over the model's top-level layers, each with its variables in
    `_legacy_weights` order (all that train first, then the rest, over the layer and
    the sublayers it holds)."""
    assert held.legacy is not None
    file = held.legacy
    layers = sorted((c for c in tree.children(tree.root) if c.index is not None), key=lambda c: c.index or 0)

    def slots(layer: LayerNode) -> list[Slot] | None:
        flat: list[tuple[str, str, list[int | None] | None, bool]] = []
        stack = [layer]
        while stack:
            node = stack.pop()
            own = expected.get(node.path)
            if own is None:
                return None
            flat += [(node.path, name, shape, trains) for name, shape, trains in own]
            below = tree.children(node)
            if is_sequential_config(node.config) or (node.config and "layers" in (node.config or {})):
                below = [child for child in below if child.index is not None]
            stack.extend(reversed(below))
        ordered = [item for item in flat if item[3]] + [item for item in flat if not item[3]]
        return [(path, name, shape) for path, name, shape, _ in ordered]

    groups = [
        LegacyGroup(name, weights, [f"{held.label}:{path}" for path in file.locations.get(name, [])])
        for name, weights in file.groups
    ]
    return check_legacy(layers, slots, groups, file.top_level, loader, by_name, skip)


def _rules(loader: Generation, held: WeightsFile, by_name: bool, own: bool) -> str:
    call = "load_model" if own else "load_weights" + ("(by_name=True)" if by_name else "")
    if held.kind == LEGACY and by_name:
        how = (
            "each group of the file loads into the model's top-level layer of its name, in order; a group no "
            "layer has is skipped and a layer no group has keeps its initial values, without a word"
        )
    elif held.kind == LEGACY:
        how = (
            "the model's top-level layers holding weights are paired in order with the file's groups holding "
            "weights (names are never compared); the numbers of layers and of each layer's weights must agree, "
            "then each weight's shape"
        )
    else:
        how = (
            "each object is found at the path Keras computes (a model's `layers` list counted by class: "
            "`layers/dense_1/vars`; a sublayer at its attribute), never by name; its variables are counted, "
            "then assigned in order"
        )
    return f"{loader} `{call}` of {held.kind}: {how}"
