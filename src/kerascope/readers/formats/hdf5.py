"""HDF5 files: legacy full models and weights from Keras 1, 2 and 3, and Keras 3 weights.

A legacy full model keeps its config as JSON in the root attribute
`model_config`, and its weights under `model_weights`, one group per top-level
layer listed in `layer_names`, each naming its variables in `weight_names`. A
legacy weights-only file (`save_weights`) has the same layer groups at the root
and no config: its report has the structure and the weights, every class unknown.

A Keras 3 `.weights.h5` has neither: it is the attribute tree Keras 3 saves
(`layers/dense/vars/0`), read by `keras_layout.read_weights`; which of the three a
file is, its root group says, as each loader that opens it finds out.

Keras's `load_model` sends a `.h5` or `.hdf5` name to its legacy HDF5 loader
before anything else looks at the bytes (`saving_api.py`), and `load_weights` a
`.weights.h5` to Keras 3's: an HDF5 file that is also a zip is read as HDF5 under
those names.
"""

from __future__ import annotations

from kerascope.addressing import expand, loading_generation, place_group
from kerascope.decoders.hdf5 import H5Index, attr_list, attr_text, join, open_file
from kerascope.decoders.json_text import load_json
from kerascope.decoders.source import Source
from kerascope.errors import KerascopeError
from kerascope.limits import LimitExceeded, Limits
from kerascope.model.records import Finding, LayerNode, ModelReport, WeightInfo
from kerascope.model.vocabulary import Fact, Format, Origin, Role
from kerascope.readers.config import build_tree, configless_tree
from kerascope.readers.keras_layout import read_weights
from kerascope.readers.probe import Kind, Probe
from kerascope.readers.weight_stores import H5Store

NO_CONFIG = "not stored in the file: a weights-only file has no configs"
TOP_LEVEL_WEIGHTS = "top_level_model_weights"


WHAT = "an HDF5 file"
KIND = Kind.HDF5
NAMED = (".h5", ".hdf5")
PAIRS_WITH_CONFIG = True


def match(probe: Probe) -> bool:
    return not probe.is_dir and probe.hdf5


def read(probe: Probe, config: Source | None) -> ModelReport:
    source, limits = probe.source, probe.limits
    findings: list[Finding] = []
    with source.open() as stream:
        try:
            top = open_file(stream, limits)
        except KerascopeError as error:
            raise KerascopeError(f"HDF5 signature but unreadable as HDF5 ({error})") from None
        index = H5Index(top, limits, findings)
        if _is_keras3_weights(index):
            return read_weights(source, H5Store(index), limits, findings, config)
        if config is not None:
            raise KerascopeError(
                "a config pairs only with a Keras 3 weights file; this is a legacy HDF5 file"
            )
        return _read_legacy(source, index, limits, findings)


def _is_keras3_weights(index: H5Index) -> bool:
    """Keras 3 weights: no legacy markers, and a `vars` group at the root or in a
    group at the root (a subclassed model's attributes need not be in `layers`)."""
    stored = index.attrs("")
    if "model_config" in stored or "layer_names" in stored or "model_weights" in index.kind:
        return False
    return index.is_group("vars") or any(index.is_group(join(key, "vars")) for key in index.children(""))


def _read_legacy(source: Source, index: H5Index, limits: Limits, findings: list[Finding]) -> ModelReport:
    stored = index.attrs("")
    if "model_config" in stored and (size := stored.nbytes("model_config")) > limits.max_json_bytes:
        raise LimitExceeded(
            f"model_config is {size:,} bytes, over the {limits.max_json_bytes:,}-byte JSON limit",
            "max_json_bytes",
        )
    config_text = attr_text(stored, "model_config")
    if config_text is None and "model_config" in stored:
        raise KerascopeError("the model_config attribute is not text")
    weights_root = "model_weights" if "model_weights" in index.kind else ""
    if not index.is_group(weights_root):
        raise KerascopeError("model_weights is not a group")
    layer_names = attr_list(index.attrs(weights_root), "layer_names")
    if config_text is None and layer_names is None:
        raise KerascopeError(
            "HDF5 file with neither model_config nor layer_names: not a Keras model or weights file"
        )

    if config_text is not None:
        config = load_json(config_text, "model_config", limits)
        if not isinstance(config, dict) or "config" not in config:
            raise KerascopeError("model_config does not hold a serialized Keras model")
        tree = build_tree(config, None, limits)
    else:
        tree = configless_tree(source.stem, NO_CONFIG, limits)
        # Its own variables, if any, are in `top_level_model_weights`; its layers' in their groups.
        tree.root.origin[Fact.WEIGHTS] = Origin.WEIGHTS

    version = attr_text(stored, "keras_version") or attr_text(index.attrs(weights_root), "keras_version")
    keras3 = loading_generation(version, False).keras3
    made = expand(tree, keras3).made
    for position, name in enumerate(layer_names or []):
        group = join(weights_root, name)
        top = tree.child(tree.root, name)
        if top is None:
            top = tree.add_hidden(tree.root, name, role=Role.LAYER)
            if config_text is None:
                top.config_error, top.index = NO_CONFIG, position
        if index.is_group(group):
            place_group(tree, top, _group_weights(index, top, group), made, keras3)
    top_level = join(weights_root, TOP_LEVEL_WEIGHTS)
    if index.is_group(top_level):  # the model's own variables, none of its layers'
        tree.root.weights.extend(_group_weights(index, tree.root, top_level))
        tree.root.origin[Fact.WEIGHTS] = Origin.WEIGHTS
    if layer_names is not None:
        tree.sum_params()

    backend = attr_text(stored, "backend") or attr_text(index.attrs(weights_root), "backend")
    training_text = attr_text(stored, "training_config")
    return tree.report(
        source.name,
        Format.H5 if config_text is not None else Format.H5_WEIGHTS,
        keras_version=version,
        backend=backend,
        findings=findings,
        training_config=load_json(training_text, "training_config", limits) if training_text else None,
    )


def _group_weights(index: H5Index, top: LayerNode, group: str) -> list[WeightInfo]:
    """The weights a layer's group lists in `weight_names`, in that order (the order
    Keras pairs them with the layer's variables)."""
    found = []
    for weight_name in attr_list(index.attrs(group), "weight_names") or []:
        dataset = join(group, weight_name)
        if not index.is_dataset(dataset):
            raise KerascopeError(f"weight {weight_name!r} of layer {top.name!r} is listed but not stored")
        found.append(index.weight(dataset, weight_name.removesuffix(":0")))
    return found
