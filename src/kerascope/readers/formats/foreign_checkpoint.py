"""Transformers and timm checkpoints: configs KerasHub converts, reported as what they are.

KerasHub loads presets whose `config.json` was written by Hugging Face
Transformers (`model_type`, `architectures`) or timm (`architecture`,
`pretrained_cfg`), converting the weights as it goes. kerascope does not guess
the Keras model a conversion would build; it reports the model the config names
(its class, the config as stored) and the tensors in its safetensors files, each
under the module path its dotted name spells (`encoder.layer.0.attention.query`),
every module's class unknown. A safetensors file is an 8-byte header length, a
JSON header naming each tensor's dtype, shape and byte range, then the data: only
the header is read.
"""

from __future__ import annotations

import math
import struct
from typing import Any

from kerascope.decoders.json_text import load_json, text_or_none
from kerascope.decoders.safetensors_values import safetensors_tensors
from kerascope.decoders.source import Source
from kerascope.decoders.tensor_values import IndexedLocation, TensorIndex
from kerascope.errors import KerascopeError
from kerascope.limits import LimitExceeded, Limits
from kerascope.model.findings import finding
from kerascope.model.records import Finding, LayerNode, ModelReport, WeightInfo
from kerascope.model.tree import LayerTree
from kerascope.model.vocabulary import Code, Fact, Format, Origin, Role
from kerascope.readers.formats import keras_folder, keras_hub_preset
from kerascope.readers.members import FolderMembers
from kerascope.readers.probe import Kind, Probe
from kerascope.readers.stored import weight_shape
from kerascope.readers.weight_stores import safe_shard_name

WHAT = "a Transformers or timm checkpoint (a folder with a config.json)"
KIND = Kind.CONFIG_FOLDER
NAMED = ()
PAIRS_WITH_CONFIG = False
SAFETENSORS = "model.safetensors"
SAFETENSORS_INDEX = "model.safetensors.index.json"
NO_CONFIG = (
    "not stored in the file: a Transformers or timm checkpoint keeps a model config, no Keras layer configs"
)
# Bytes per element of each safetensors dtype, and its numpy-style name.
_DTYPES = {
    "F64": ("float64", 8), "F32": ("float32", 4), "F16": ("float16", 2), "BF16": ("bfloat16", 2),
    "F8_E4M3": ("float8_e4m3fn", 1), "F8_E5M2": ("float8_e5m2", 1),
    "I64": ("int64", 8), "I32": ("int32", 4), "I16": ("int16", 2), "I8": ("int8", 1),
    "U64": ("uint64", 8), "U32": ("uint32", 4), "U16": ("uint16", 2), "U8": ("uint8", 1), "BOOL": ("bool", 1),
}  # fmt: skip
_METADATA_KEYS = {
    Format.TRANSFORMERS: ("model_type", "architectures", "transformers_version", "torch_dtype"),
    Format.TIMM: ("architecture", "num_classes", "num_features"),
}


def foreign_kind(config: Any) -> Format | None:
    """Which library wrote this `config.json`, if it is one KerasHub converts."""
    if not isinstance(config, dict):
        return None
    if isinstance(config.get("architecture"), str) and (
        "pretrained_cfg" in config or "num_classes" in config
    ):
        return Format.TIMM
    if isinstance(config.get("model_type"), str) or isinstance(config.get("architectures"), list):
        return Format.TRANSFORMERS
    return None


def match(probe: Probe) -> bool:
    """A folder whose `config.json` one of those libraries wrote, and not Keras or KerasHub."""
    return (
        probe.is_dir
        and foreign_kind(probe.config) is not None
        and not keras_hub_preset.match(probe)
        and not keras_folder.match(probe)
    )


def read(probe: Probe, config: Source | None) -> ModelReport:
    source, members, limits, stored = probe.source, probe.members, probe.limits, probe.config
    kind = foreign_kind(stored)
    if kind is None:
        raise KerascopeError("config.json names no Transformers or timm model")
    return _read(source, members, kind, stored, limits)


def _read(
    source: Source, members: FolderMembers, kind: Format, config: dict[str, Any], limits: Limits
) -> ModelReport:
    findings: list[Finding] = []
    root = LayerNode(
        path="",
        name=source.label,
        class_name=_class_name(kind, config),
        role=Role.MODEL,
        config=config,
        origin={Fact.NAME: Origin.FILE_NAME, Fact.CLASS: Origin.CONFIG, Fact.CONFIG: Origin.CONFIG},
    )
    tree = LayerTree(root, limits)
    tensors = _tensors(members, limits, findings)
    if tensors is not None:
        for name, weight in tensors:
            _module(tree, name.rpartition(".")[0]).weights.append(weight)
        for node in tree.nodes():
            node.origin[Fact.WEIGHTS] = Origin.WEIGHTS
        tree.sum_params()
    metadata = {key: config[key] for key in _METADATA_KEYS[kind] if key in config}
    return tree.report(source.name, kind, findings=findings, metadata=metadata or None)


def _class_name(kind: Format, config: dict[str, Any]) -> str | None:
    if kind == Format.TIMM:
        return text_or_none(config.get("architecture"))
    architectures = config.get("architectures")
    return (
        text_or_none(architectures[0])
        if isinstance(architectures, list) and len(architectures) == 1
        else None
    )


def _module(tree: LayerTree, path: str) -> LayerNode:
    """The node of a dotted module path, made (with its parents) on first use; each
    step a lookup of a child by name, so no prefix of the path is kept twice."""
    node = tree.root
    for part in path.split("."):
        if not part:
            continue
        child = tree.child(node, part)
        if child is None:
            child = tree.add_hidden(node, part)
            child.config_error = NO_CONFIG
        node = child
    return node


def _tensors(
    members: FolderMembers, limits: Limits, findings: list[Finding]
) -> list[tuple[str, WeightInfo]] | None:
    """Every tensor of the checkpoint (name, weight), from one file or the shards
    an index names; None when there is no safetensors file."""
    if SAFETENSORS in members.names:
        files = [SAFETENSORS]
    elif SAFETENSORS_INDEX in members.names:
        document = load_json(members.read(SAFETENSORS_INDEX), SAFETENSORS_INDEX, limits)
        weight_map = document.get("weight_map") if isinstance(document, dict) else None
        if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
            raise KerascopeError(f"{SAFETENSORS_INDEX} has no weight_map of tensor names to files")
        files = list(dict.fromkeys(weight_map.values()))
        missing = [name for name in files if not (safe_shard_name(name) and name in members.names)]
        if missing:
            findings.append(
                finding(
                    Code.WEIGHTS_SHARD_MISSING,
                    None,
                    f"{SAFETENSORS_INDEX} names {len(missing)} shard files that are not beside it "
                    f"({', '.join(missing[:4])}): their tensors are not in the report",
                )
            )
            return None
    else:
        return None
    tensors: list[tuple[str, WeightInfo]] = []
    for name in files:
        tensors.extend(_header(members, name, limits, findings))
        limits.check_layers(len(tensors))
    return tensors


def _header(
    members: FolderMembers, name: str, limits: Limits, findings: list[Finding]
) -> list[tuple[str, WeightInfo]]:
    with members.open(name) as stream:
        head = stream.read(8)
        if len(head) != 8:
            raise KerascopeError(f"{name} is too short to be safetensors")
        (length,) = struct.unpack("<Q", head)
        if length > limits.max_json_bytes:
            raise LimitExceeded(
                f"{name} declares a {length:,}-byte header, over the {limits.max_json_bytes:,}-byte limit",
                "max_json_bytes",
            )
        header = load_json(stream.read(length), f"{name} header", limits)
    if not isinstance(header, dict):
        raise KerascopeError(f"{name} header is not a JSON object")
    # Where each tensor's values are: the header is read again, with the file's size, when asked for.
    stored = members.stored(name)
    tensors = TensorIndex(lambda limits: safetensors_tensors(stored, limits))
    found = []
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        if not isinstance(entry, dict) or entry.get("dtype") not in _DTYPES:
            raise KerascopeError(f"{name}: tensor {key!r} has no known dtype")
        dtype, itemsize = _DTYPES[entry["dtype"]]
        shape = weight_shape(entry.get("shape"), f"{name}: tensor {key!r}")
        offsets = entry.get("data_offsets")
        if (
            isinstance(offsets, list)
            and len(offsets) == 2
            and all(isinstance(o, int) for o in offsets)
            and offsets[1] - offsets[0] != math.prod(shape) * itemsize
        ):
            findings.append(
                finding(
                    Code.TENSOR_SIZE_MISMATCH,
                    None,
                    f"{name}: tensor {key!r} declares shape {shape} of {dtype} but spans "
                    f"{offsets[1] - offsets[0]:,} bytes",
                )
            )
        location = IndexedLocation(key, tuple(shape), dtype, tensors)
        found.append(
            (key, WeightInfo(name=key.rpartition(".")[2], shape=shape, dtype=dtype, location=location))
        )
    return found
