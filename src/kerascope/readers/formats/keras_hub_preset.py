"""KerasHub presets: a folder written by `save_to_preset`, local or on a hub.

A preset holds the backbone (`config.json` + `model.weights.h5`, or a sharded
`model.weights.json`), optionally a task (`task.json` + `task.weights.h5`, the
task's own layers without the backbone's), the preprocessor and tokenizer
(`preprocessor.json`, `tokenizer.json`, vocabularies in `assets/`), image or audio
converters, and `metadata.json` (`keras_version`, `keras_hub_version`,
`parameter_count`, `tasks`).

The report is the task at the root when there is one, with the backbone inside
it, each completed from its own weights file: every internal layer the weights
hold appears. The other files are read as JSON data for the report's metadata;
nothing they name is imported. `from_preset` hands each of them to
`deserialize_keras_object` (keras_hub/src/utils/preset_utils.py, `load_preprocessor`,
`load_tokenizer`, `load_*_converter`), and that compiles a task or backbone from a
`compile_config` beside its config: the report keeps each as a companion config,
which `check` walks as it walks the layers. The `parameter_count` KerasHub stored is
checked against the backbone's weights.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from kerascope.decoders.json_text import load_json, text_or_none
from kerascope.decoders.source import Source
from kerascope.errors import KerascopeError
from kerascope.limits import Limits
from kerascope.model.findings import finding
from kerascope.model.records import Finding, LayerNode, ModelReport
from kerascope.model.tree import LayerTree
from kerascope.model.vocabulary import Code, Format, Role
from kerascope.readers.config import build_tree, node_facts
from kerascope.readers.keras_layout import WEIGHTS_STEM, attach_saved_weights
from kerascope.readers.members import (
    CONFIG_FILE,
    METADATA_FILE,
    FolderMembers,
    as_serialized_object,
    serialized_object,
)
from kerascope.readers.probe import Kind, Probe

TASK_FILE = "task.json"
TASK_WEIGHTS_STEM = "task.weights"
# The JSON files beside the model, each one serialized KerasHub object, by metadata key.
COMPONENT_FILES = {
    "preprocessor": "preprocessor.json",
    "tokenizer": "tokenizer.json",
    "image_converter": "image_converter.json",
    "audio_converter": "audio_converter.json",
    "video_converter": "video_converter.json",
}
# Facts of a component's config worth a line of metadata.
COMPONENT_FACTS = ("sequence_length", "image_size", "sampling_rate", "max_audio_length", "lowercase")
# Where a tokenizer keeps its vocabulary: one token per line, or a JSON object of tokens.
VOCABULARY_LINES = "assets/tokenizer/vocabulary.txt"
VOCABULARY_JSON = "assets/tokenizer/vocabulary.json"


WHAT = "a KerasHub preset"
KIND = Kind.CONFIG_FOLDER
NAMED = ()
PAIRS_WITH_CONFIG = False


def match(probe: Probe) -> bool:
    """What KerasHub writes: a folder with a `config.json` and a task file, its version
    in the metadata, or a backbone registered under its package."""
    if not probe.is_dir or probe.config is None:
        return False
    registered = probe.config.get("registered_name") if isinstance(probe.config, dict) else None
    return (
        probe.has_file(TASK_FILE)
        or "keras_hub_version" in probe.metadata
        or (isinstance(registered, str) and registered.startswith(("keras_hub>", "keras_nlp>")))
    )


def read(probe: Probe, config: Source | None) -> ModelReport:
    source, members, limits = probe.source, probe.members, probe.limits
    findings: list[Finding] = []
    metadata = probe.metadata
    backbone_config = as_serialized_object(probe.config, CONFIG_FILE)
    compiled = {CONFIG_FILE: backbone_config}
    if TASK_FILE in members.names:
        task_config = serialized_object(members.read(TASK_FILE), TASK_FILE, limits)
        compiled[TASK_FILE] = task_config
        tree = build_tree(task_config, None, limits)
        facts = node_facts(backbone_config, listed=False)
        facts["role"] = Role.MODEL
        name = _name(backbone_config) or "backbone"
        backbone = tree.add(tree.root, name, **facts)
    else:
        tree = build_tree(backbone_config, None, limits)
        backbone = tree.root
    if not any(name.startswith(f"{WEIGHTS_STEM}.") for name in members.names):
        findings.append(
            finding(
                Code.WEIGHTS_MISSING,
                backbone.path or None,
                f"the preset holds no {WEIGHTS_STEM}.h5 (nor a sharded {WEIGHTS_STEM}.json): the backbone's "
                "weights are missing, so its parameters are unknown (kerascope does not derive them from "
                "the config)",
            )
        )
    with ExitStack() as opened:
        version = text_or_none(metadata.get("keras_version"))
        unknown = attach_saved_weights(
            tree, members, WEIGHTS_STEM, backbone, opened, limits, findings, version
        )
        if backbone is not tree.root:
            unknown |= _attach_task_weights(tree, backbone, members, opened, limits, findings, version)
    tree.sum_params(unknown=unknown)
    _check_parameter_count(metadata, backbone, findings)
    components = {
        name: _component_document(members.read(name), name, limits)
        for name in COMPONENT_FILES.values()
        if name in members.names
    }
    companions = {
        f"{name} compile_config": document["compile_config"]
        for name, document in compiled.items()
        if document.get("compile_config") is not None
    }
    return tree.report(
        source.name,
        Format.KERAS_HUB,
        keras_version=text_or_none(metadata.get("keras_version")),
        date_saved=text_or_none(metadata.get("date_saved")),
        findings=findings,
        metadata=_preset_metadata(source, components, metadata, backbone, tree.root, limits),
        companion_configs={**components, **companions} or None,
    )


def _attach_task_weights(
    tree: LayerTree,
    backbone: LayerNode,
    members: FolderMembers,
    opened: ExitStack,
    limits: Limits,
    findings: list[Finding],
    keras_version: str | None,
) -> set[str]:
    """The task's own layers from `task.weights.*`; whatever they leave unknown, the
    backbone keeps the total its own weights give it."""
    if not any(name.startswith(f"{TASK_WEIGHTS_STEM}.") for name in members.names):
        return {tree.root.path}
    unknown = attach_saved_weights(
        tree, members, TASK_WEIGHTS_STEM, tree.root, opened, limits, findings, keras_version
    )
    return {path for path in unknown if path != backbone.path and not path.startswith(backbone.path + "/")}


def _name(serialized: dict[str, Any]) -> str | None:
    config = serialized.get("config")
    name = config.get("name") if isinstance(config, dict) else None
    return name if isinstance(name, str) and name else None


def _check_parameter_count(metadata: dict[str, Any], backbone: LayerNode, findings: list[Finding]) -> None:
    stored = metadata.get("parameter_count")
    if not isinstance(stored, int) or isinstance(stored, bool) or backbone.total_params is None:
        return
    if stored != backbone.total_params:
        findings.append(
            finding(
                Code.PARAMETER_COUNT_MISMATCH,
                backbone.path or None,
                f"{METADATA_FILE} says the backbone has {stored:,} parameters; its weights hold "
                f"{backbone.total_params:,}",
            )
        )


def _preset_metadata(
    source: Source,
    components: dict[str, dict[str, Any]],
    metadata: dict[str, Any],
    backbone: LayerNode,
    root: LayerNode,
    limits: Limits,
) -> dict[str, Any]:
    found: dict[str, Any] = {
        key: metadata[key]
        for key in ("keras_hub_version", "parameter_count", "tasks")
        if _plain(metadata.get(key))
    }
    found["backbone"] = backbone.class_name
    if root is not backbone:
        found["task"] = root.class_name
    for key, name in COMPONENT_FILES.items():
        if name in components:
            found[key] = _component(components[name])
    vocabulary = _vocabulary_size(source, limits)
    if vocabulary is not None:
        found.setdefault("tokenizer", {})["vocabulary_size"] = vocabulary
    return found


def _component_document(data: bytes, what: str, limits: Limits) -> dict[str, Any]:
    """A preprocessor's, tokenizer's or converter's file: one serialized KerasHub object."""
    serialized = load_json(data, what, limits)
    if not isinstance(serialized, dict):
        raise KerascopeError(f"{what} does not hold a serialized KerasHub object")
    return serialized


def _component(serialized: dict[str, Any]) -> dict[str, Any]:
    """A preprocessor, tokenizer or converter: its class and the facts users ask for."""
    config = serialized.get("config") if isinstance(serialized.get("config"), dict) else {}
    found: dict[str, Any] = {"class": text_or_none(serialized.get("class_name"))}
    found.update({key: config[key] for key in COMPONENT_FACTS if _plain(config.get(key))})
    inner = config.get("tokenizer")
    if isinstance(inner, dict):
        found["tokenizer"] = text_or_none(inner.get("class_name"))
    return found


def _vocabulary_size(source: Source, limits: Limits) -> int | None:
    """Tokens in the tokenizer's vocabulary asset, counted as data."""
    if source.is_file(VOCABULARY_LINES):
        data = source.read(VOCABULARY_LINES, limits.max_member_bytes)
        return data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)
    if source.is_file(VOCABULARY_JSON):
        value = load_json(source.read(VOCABULARY_JSON, limits.max_member_bytes), VOCABULARY_JSON, limits)
        return len(value) if isinstance(value, (dict, list)) else None
    return None


def _plain(value: Any) -> bool:
    """A short JSON value fit for a metadata line: text, a number, or a list of them."""
    if isinstance(value, list):
        return len(value) <= 64 and all(isinstance(item, (str, int, float)) for item in value)
    return isinstance(value, (str, int, float, bool))
