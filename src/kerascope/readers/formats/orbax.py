"""Orbax checkpoints: the folders `keras.callbacks.OrbaxCheckpoint` writes, and Keras
3.15's `load_model` reads (`saving_api.py`, `is_orbax_checkpoint` and
`_load_model_from_orbax_checkpoint`).

The folder holds one folder per saved step (`<root>/<step>/`); Keras loads the
highest finalized one, and so does this reader. A step holds
`_CHECKPOINT_METADATA`, `model_config/_strings.json` (`{"config": "<the model's
config.json, as a JSON string>"}`; absent with `save_weights_only`), and the
state tree `pytree/`: its `_METADATA` names every variable by its key path
(`("trainable_variables", "dense", "kernel")`), and its OCDBT database
(`decoders/ocdbt.py`) keeps each variable's shape and dtype in a `zarr.json`
beside its chunks. The chunks are never read.

Keras's `set_state_tree` gives each saved value to the variable whose `path` is
the key path after its group, `/`-joined (`dense/kernel`, `lstm/lstm_cell/kernel`,
`seq/inner/kernel`): those are the scopes the variable was built in, layer names,
and each variable is placed by them on the layer of the config's tree that owns
it (`addressing/named.py`: Keras's Orbax loader matches a value to the variable of the same path). The optimizer's and the metrics' variables belong to
no layer: the report's metadata counts them.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

from kerascope.addressing import expand, place_named
from kerascope.decoders.json_text import load_json, text_or_none
from kerascope.decoders.ocdbt import MANIFEST_FILE, read_values
from kerascope.decoders.source import Source
from kerascope.decoders.tensor_values import UnavailableLocation
from kerascope.errors import KerascopeError
from kerascope.limits import Limits
from kerascope.model.findings import finding
from kerascope.model.records import Finding, ModelReport, WeightInfo
from kerascope.model.tree import LayerTree
from kerascope.model.vocabulary import Code, Fact, Format
from kerascope.readers.config import build_tree, configless_tree
from kerascope.readers.members import as_serialized_object
from kerascope.readers.probe import Kind, Probe
from kerascope.readers.seed_states import METADATA_KEY as SEEDS_KEY
from kerascope.readers.seed_states import SEED_STATE
from kerascope.readers.stored import weight_shape

WHAT = "an Orbax checkpoint"
KIND = Kind.ORBAX
NAMED = ()
PAIRS_WITH_CONFIG = False

STEP_METADATA = "_CHECKPOINT_METADATA"
TREE_METADATA = "_METADATA"
CONFIG_STRINGS = "model_config/_strings.json"
# The state tree's item: `pytree` since Keras 3.14; Keras 3.13 left Orbax's default name.
STATE_ITEMS = ("pytree", "state")
ARRAY_METADATA = "/zarr.json"
LAYER_GROUPS = {"trainable_variables": True, "non_trainable_variables": False}
OTHER_GROUPS = {"optimizer_variables": "optimizer", "metrics_variables": "metrics"}
# Leaves Orbax writes for an empty container (an empty group): no variable.
EMPTY_CONTAINERS = frozenset({"Dict", "List", "Tuple", "None", "NamedTuple"})
MAX_STEPS_SHOWN = 32
NO_CONFIG = "not stored in the checkpoint: saved with save_weights_only, it keeps no model config"
CHUNKS_NOT_READ = "an Orbax checkpoint keeps values as zarr chunks in its OCDBT database, which are not read"


def match(probe: Probe) -> bool:
    """A folder whose numbered folders include a finished step, looked for from the highest."""
    return probe.is_dir and any(_finished(probe.source, step) for step in _numbered(probe))


def _numbered(probe: Probe) -> list[int]:
    """The numbered folders' steps, highest first. Orbax writes a step under a temporary
    name (`3.orbax-checkpoint-tmp-…`) and renames it when it is finished."""
    return sorted((int(name) for name in probe.names if name.isascii() and name.isdigit()), reverse=True)


def _finished(root: Source, step: int) -> bool:
    """A finished step holds its metadata or a state tree."""
    return root.is_file(f"{step}/{STEP_METADATA}") or any(
        root.is_file(f"{step}/{item}/{TREE_METADATA}") for item in STATE_ITEMS
    )


def read(probe: Probe, config: Source | None) -> ModelReport:
    source, limits = probe.source, probe.limits
    findings: list[Finding] = []
    steps = [step for step in _numbered(probe) if _finished(source, step)]
    step = source.within(str(steps[0]))
    if source.is_link(str(steps[0])):
        raise KerascopeError(f"step {steps[0]} is a symbolic link: not followed")
    stored = _model_config(step, limits, findings)
    if stored is not None:
        tree = build_tree(stored, None, limits)
    else:
        tree = configless_tree(source.label, NO_CONFIG, limits)
    item = next((name for name in STATE_ITEMS if step.is_file(f"{name}/{TREE_METADATA}")), None)
    others: dict[str, dict[str, int]] = {}
    if item is not None:
        unknown = _place_variables(tree, step, item, limits, findings, others)
        tree.sum_params(unknown=unknown)
    metadata: dict[str, Any] = {
        "step": steps[0],
        "steps": sorted(steps)[-MAX_STEPS_SHOWN:],
        "step_read": "the highest finished step, the one keras.saving.load_model loads",
        **others,
    }
    return tree.report(
        source.name,
        Format.ORBAX,
        date_saved=_commit_time(step, limits),
        training_config=(stored.get("compile_config") or None) if stored is not None else None,
        findings=findings,
        metadata=metadata,
    )


def _model_config(step: Source, limits: Limits, findings: list[Finding]) -> dict[str, Any] | None:
    """The serialized model `model_config/_strings.json` holds as a JSON string, parsed
    under the same limits as any JSON document."""
    if not step.is_file(CONFIG_STRINGS):
        return None
    if not _inside(step, CONFIG_STRINGS, findings):
        return None
    outer = load_json(step.read(CONFIG_STRINGS, limits.max_member_bytes), CONFIG_STRINGS, limits)
    text = outer.get("config") if isinstance(outer, dict) else None
    if not isinstance(text, str):
        raise KerascopeError(f"{CONFIG_STRINGS} holds no config string")
    return as_serialized_object(
        load_json(text, f"{CONFIG_STRINGS} config", limits), f"{CONFIG_STRINGS} config"
    )


def _place_variables(
    tree: LayerTree,
    step: Source,
    item: str,
    limits: Limits,
    findings: list[Finding],
    others: dict[str, dict[str, int]],
) -> set[str]:
    """Every variable of the state tree, with the shape and dtype its array metadata
    says: a layer's on the layer; the optimizer's, the metrics' and the random seeds'
    counted in `others`.
    Returns the paths whose parameters cannot be counted."""
    state = step.within(item)
    leaves = _leaves(state, item, limits, findings)
    arrays, refused = _arrays(state, item, limits, findings)
    unknown: set[str] = set()
    layer_weights: list[tuple[WeightInfo, bool]] = []
    for keys in leaves:
        group, path = keys[0], "/".join(keys[1:])
        array = arrays.get(".".join(keys))
        if array is None and not refused:
            raise KerascopeError(f"{item}: no array metadata for {'.'.join(keys)}")
        if group in LAYER_GROUPS and keys[-1] != SEED_STATE:
            shape, dtype = array if array is not None else ([], None)
            values = UnavailableLocation(".".join(keys), tuple(shape), dtype or "", CHUNKS_NOT_READ)
            weight = WeightInfo(
                name=path, shape=shape, dtype=dtype, trainable=LAYER_GROUPS[group], location=values
            )
            layer_weights.append((weight, array is not None))
        elif group in OTHER_GROUPS or group in LAYER_GROUPS:
            kind = OTHER_GROUPS.get(group, SEEDS_KEY)
            counted = others.setdefault(kind, {"variables": 0, "parameters": 0})
            counted["variables"] += 1
            counted["parameters"] += math.prod(array[0]) if array is not None else 0
        else:
            findings.append(
                finding(
                    Code.WEIGHTS_MISMATCH,
                    None,
                    f"{item} holds a group {group!r} that Keras's set_state_tree refuses (unknown variable name)",
                )
            )
    made = expand(tree, keras3=True).made
    owners = place_named(tree, tree.root, [weight for weight, _ in layer_weights], made, True)
    for (weight, read), owner in zip(layer_weights, owners, strict=True):
        if not read:  # its layer stands (its path says where); its size is unknown
            owner.weights.remove(weight)
            owner.origin.pop(Fact.WEIGHTS, None)
            unknown.add(owner.path)
    return unknown


def _leaves(state: Source, item: str, limits: Limits, findings: list[Finding]) -> list[list[str]]:
    """The key path of every variable the state tree's `_METADATA` lists."""
    what = f"{item}/{TREE_METADATA}"
    if not _inside(state, TREE_METADATA, findings):
        return []
    document = load_json(state.read(TREE_METADATA, limits.max_member_bytes), what, limits)
    entries = document.get("tree_metadata") if isinstance(document, dict) else None
    if not isinstance(entries, dict):
        raise KerascopeError(f"{what} has no tree_metadata")
    limits.check_layers(len(entries))
    leaves = []
    for entry in entries.values():
        keys = entry.get("key_metadata") if isinstance(entry, dict) else None
        value = entry.get("value_metadata") if isinstance(entry, dict) else None
        if not isinstance(keys, list) or not keys or not isinstance(value, dict):
            raise KerascopeError(f"{what}: an entry without key_metadata and value_metadata")
        if value.get("value_type") in EMPTY_CONTAINERS:
            continue
        path = [key.get("key") if isinstance(key, dict) else None for key in keys]
        if not all(isinstance(part, (str, int)) and not isinstance(part, bool) for part in path):
            raise KerascopeError(f"{what}: a key path of something other than names and indices")
        leaves.append([str(part) for part in path])
    return leaves


def _arrays(
    state: Source, item: str, limits: Limits, findings: list[Finding]
) -> tuple[dict[str, tuple[list[int], str | None]], bool]:
    """(shape, dtype) of each array by its name (the key path `.`-joined), from the
    `zarr.json` beside its chunks in the state tree's OCDBT database (Orbax's default,
    and all Keras writes). Also whether a data file was refused as outside the checkpoint."""
    if not state.is_file(MANIFEST_FILE):
        raise KerascopeError(f"{item} has no {MANIFEST_FILE}: no database holds its arrays")
    if not _inside(state, MANIFEST_FILE, findings):
        return {}, True
    values = read_values(state, lambda key: key.endswith(ARRAY_METADATA.encode()), limits)
    for path in values.refused:
        findings.append(
            finding(
                Code.PATH_OUTSIDE_MODEL,
                None,
                f"{item}'s database names the data file {path!r}, which is not inside the checkpoint "
                "folder (or is reached through a link): not opened, and what it holds is unknown",
            )
        )
    arrays = {}
    for key, data in values.found.items():
        name = key.decode("utf-8", "replace")[: -len(ARRAY_METADATA)]
        arrays[name] = _array(data, f"{item} {name}{ARRAY_METADATA}", limits)
    return arrays, bool(values.refused)


def _array(data: bytes, what: str, limits: Limits) -> tuple[list[int], str | None]:
    """An array's shape and dtype from its zarr metadata (v3 `zarr.json`)."""
    document = load_json(data, what, limits)
    if not isinstance(document, dict):
        raise KerascopeError(f"{what} is not a JSON object")
    return weight_shape(document.get("shape"), what), text_or_none(document.get("data_type"))


def _inside(folder: Source, member: str, findings: list[Finding]) -> bool:
    """Whether `member` is reached through no symbolic link; a finding when it is not."""
    if not folder.is_link(member):
        return True
    findings.append(
        finding(
            Code.PATH_OUTSIDE_MODEL,
            None,
            f"{member} is a symbolic link: not followed, and what it holds is unknown",
        )
    )
    return False


def _commit_time(step: Source, limits: Limits) -> str | None:
    """When the step was committed (`commit_timestamp_nsecs`), as an ISO date."""
    if not step.is_file(STEP_METADATA) or step.is_link(STEP_METADATA):
        return None
    document = load_json(step.read(STEP_METADATA, limits.max_member_bytes), STEP_METADATA, limits)
    stamp = document.get("commit_timestamp_nsecs") if isinstance(document, dict) else None
    if not isinstance(stamp, int) or isinstance(stamp, bool) or not 0 < stamp < 1 << 63:
        return None
    return datetime.fromtimestamp(stamp / 1e9, tz=timezone.utc).isoformat()
