"""The load-check matrix: weight files meeting architectures, each pair run by real Keras.

A `Pair` says which library saves the weights and how, which model receives
them, and which of Keras's own loaders is called; `support.load_truth` runs it
and records what Keras did. Nothing here says what the outcome should be:
`what` describes the situation, never the result.

Every callable here runs in the worker process of its library
(`support.load_truth_worker`), with that library passed in as `keras`.
"""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.load_models import (
    Builder,
    attention,
    bert_backbone,
    chain,
    dense,
    encoder_decoder,
    flat_nested,
    nested,
    spec,
    tower,
    two_towers,
)
from support.model_zoo import shared as siamese
from support.model_zoo import shared_across_models

KERAS, TF_KERAS = "keras", "tf_keras"


@dataclass(frozen=True)
class Save:
    """How the source model is written: the path handed to the loader (relative to
    the pair's weights folder) and the call that writes it."""

    name: str
    write: Callable[[Any, Any, Path], None]
    what: str


@dataclass(frozen=True)
class Call:
    """The loader Keras runs: `load_weights` on a model the worker built,
    `load_model` on the file, or KerasHub's `Backbone.from_preset`."""

    kind: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def by_name(self) -> bool:
        return bool(self.kwargs.get("by_name"))

    @property
    def skip_mismatch(self) -> bool:
        return bool(self.kwargs.get("skip_mismatch"))

    def __str__(self) -> str:
        arguments = "".join(f", {k}={v!r}" for k, v in self.kwargs.items())
        receiver = {"load_weights": "model.", "from_preset": "Backbone."}.get(self.kind, "")
        return f"{receiver}{self.kind}(path{arguments})"


@dataclass(frozen=True)
class Pair:
    """One weights file meeting one architecture.

    `target` builds the receiving model for `load_weights`; for `load_model` it
    is None (Keras builds the model from the file's own config) and for
    `from_preset` it builds the backbone from the changed config only to save
    the `into` side. `into` is the architecture file the worker saves from the
    receiving model before the load (`.keras`, `.json`, `.h5`, or a preset
    folder), or the weights file itself when the file's own config receives
    them. `renames` maps a receiving layer's name to the source layer's it
    stands for (default: the same name). States: "plain", "compiled" (compiled,
    optimizer unbuilt), "fitted" (compiled and trained one step).
    """

    id: str
    category: str
    writer: str
    source: Builder
    save: Save
    loader: str
    target: Builder | None
    call: Call
    into: str
    source_state: str = "plain"
    target_state: str = "plain"
    renames: Mapping[str, str] = field(default_factory=dict)
    what: str = ""


# -- how the source is saved ---------------------------------------------------------------
def _save_weights(keras: Any, model: Any, path: Path) -> None:
    model.save_weights(path)


def _save_sharded(keras: Any, model: Any, path: Path) -> None:
    model.save_weights(path, max_shard_size=300 / 1024**3)  # 300 bytes a shard: several shards


def _save_model(keras: Any, model: Any, path: Path) -> None:
    model.save(path)


def _save_npz_archive(keras: Any, model: Any, path: Path) -> None:
    from keras.src.saving import saving_lib

    saving_lib.save_model(model, path, weights_format="npz")


def _save_preset(keras: Any, model: Any, path: Path) -> None:
    model.save_to_preset(path)


def _archive_with_config_of(other: Builder, keras: Any, model: Any, path: Path) -> None:
    """`model` saved as `.keras`, its config.json then replaced by the one Keras
    writes for the model `other` builds: a file whose weights don't fit its config."""
    model.save(path)
    with tempfile.TemporaryDirectory() as scratch:
        donor = Path(scratch) / "donor.keras"
        other(keras).save(donor)
        with zipfile.ZipFile(donor) as archive:
            config = archive.read("config.json")
        original = Path(scratch) / "original.keras"
        shutil.move(path, original)
        with zipfile.ZipFile(original) as old, zipfile.ZipFile(path, "w") as new:
            for info in old.infolist():
                new.writestr(info, config if info.filename == "config.json" else old.read(info))


def _h5_with_config_of(other: Builder, keras: Any, model: Any, path: Path) -> None:
    """`model` saved as a legacy `.h5`, its `model_config` attribute then replaced
    by the one Keras writes for the model `other` builds."""
    import h5py

    model.save(path)
    with tempfile.TemporaryDirectory() as scratch:
        donor = Path(scratch) / "donor.h5"
        other(keras).save(donor)
        with h5py.File(donor, "r") as f:
            config = f.attrs["model_config"]
    with h5py.File(path, "r+") as f:
        f.attrs["model_config"] = config
        json.loads(f.attrs["model_config"])  # still JSON


WEIGHTS_H5 = Save("model.weights.h5", _save_weights, "save_weights(.weights.h5)")
SHARDED = Save("model.weights.json", _save_sharded, "save_weights(.weights.json, max_shard_size=300 bytes)")
ARCHIVE = Save("model.keras", _save_model, "save(.keras)")
NPZ_ARCHIVE = Save("model.keras", _save_npz_archive, "saving_lib.save_model(.keras, weights_format='npz')")
LEGACY_H5 = Save("model.h5", _save_model, "save(.h5), the legacy full-model HDF5")
LEGACY_WEIGHTS_H5 = Save("weights.h5", _save_weights, "save_weights(.h5), the legacy weights-only HDF5")
PRESET = Save("preset", _save_preset, "save_to_preset(folder)")


def archive_with_config_of(other: Builder) -> Save:
    return Save(
        "model.keras", functools.partial(_archive_with_config_of, other), "save(.keras), config replaced"
    )


def h5_with_config_of(other: Builder) -> Save:
    return Save("model.h5", functools.partial(_h5_with_config_of, other), "save(.h5), model_config replaced")


LOAD = Call("load_weights")
LOAD_SKIP = Call("load_weights", {"skip_mismatch": True})
BY_NAME = Call("load_weights", {"by_name": True})
BY_NAME_SKIP = Call("load_weights", {"by_name": True, "skip_mismatch": True})
LOAD_MODEL = Call("load_model")


def pair(
    id: str,
    category: str,
    source: Builder,
    target: Builder | None = None,
    *,
    writer: str = KERAS,
    loader: str | None = None,
    save: Save = WEIGHTS_H5,
    call: Call = LOAD,
    into: str = "into.keras",
    **options: Any,
) -> Pair:
    """A pair; by default Keras 3 saves `.weights.h5` and Keras 3 `load_weights`
    it into `target` (the source architecture again when omitted)."""
    if call.kind == "load_model":
        target, into = None, save.name
    elif target is None:
        target = source
    return Pair(id, category, writer, source, save, loader or writer, target, call, into, **options)


# -- architectures ---------------------------------------------------------------------------
def mlp(**changes: Any) -> Builder:
    """Dense a → BatchNormalization bn → Dense b → Dropout dr → Dense c, on 4 features;
    `changes` replaces a layer (by name) with another spec, or drops it (None)."""
    layers = {
        "a": dense("a", 6),
        "bn": spec("BatchNormalization", "bn"),
        "b": dense("b", 5),
        "dr": spec("Dropout", "dr", rate=0.1),
        "c": dense("c", 3),
    }
    kind = changes.pop("kind", "functional")
    extra = changes.pop("extra", ())
    layers.update(changes)
    return chain((4,), [s for s in layers.values() if s is not None] + list(extra), kind=kind)


MLP = mlp()
MLP_SEQUENTIAL = mlp(kind="sequential")
RENAMES = {"p": "a", "nb": "bn", "q": "b", "r": "c"}
MLP_RENAMED = mlp(
    a=dense("p", 6),
    bn=spec("BatchNormalization", "nb"),
    b=dense("q", 5),
    dr=spec("Dropout", "rd", rate=0.1),
    c=dense("r", 3),
)
MLP_ONE_RENAMED = mlp(b=dense("q", 5))
MLP_WIDE = mlp(b=dense("b", 7))
MLP_PLUS = mlp(extra=[dense("d", 2)])
MLP_SHORT = mlp(c=None)
MLP_EXTRA_DROPOUT = chain(
    (4,),
    [
        dense("a", 6),
        spec("Dropout", "dr0", rate=0.2),
        spec("BatchNormalization", "bn"),
        dense("b", 5),
        spec("Dropout", "dr", rate=0.1),
        dense("c", 3),
    ],
)
STACK = chain((4,), [dense("a", 6), dense("b", 6), dense("c", 3)])
STACK_INSERTED = chain((4,), [dense("a", 6), dense("extra", 6), dense("b", 6), dense("c", 3)])
STACK_REMOVED = chain((4,), [dense("a", 6), dense("c", 3)])
REORDER_SOURCE = chain((4,), [dense("a", 4), spec("BatchNormalization", "bn"), dense("b", 4)])
REORDER_TARGET = chain((4,), [dense("a", 4), dense("b", 4), spec("BatchNormalization", "bn")])
SWAP_SOURCE = chain((4,), [dense("a", 4), dense("b", 4)])
SWAP_TARGET = chain((4,), [dense("b", 4), dense("a", 4)])
SWAP_SOURCE_SEQUENTIAL = chain((4,), [dense("a", 4), dense("b", 4)], kind="sequential")
SWAP_TARGET_SEQUENTIAL = chain((4,), [dense("b", 4), dense("a", 4)], kind="sequential")


def conv(filters: int = 3) -> Builder:
    return chain(
        (6, 6, 2),
        [
            spec("Conv2D", "conv", filters=filters, kernel_size=3),
            spec("DepthwiseConv2D", "depthwise", kernel_size=2),
            spec("SeparableConv2D", "separable", filters=4, kernel_size=2),
            spec("Flatten", "flat"),
            dense("out", 2),
        ],
    )


def embedding(input_dim: int = 20) -> Builder:
    return chain(
        (6,),
        [
            spec("Embedding", "emb", input_dim=input_dim, output_dim=4),
            spec("GlobalAveragePooling1D", "pool"),
            dense("out", 2),
        ],
        dtype="int32",
    )


def recurrent(layer: str = "LSTM", units: int = 4, name: str = "rnn") -> Builder:
    """A recurrent layer over (5, 3) sequences, then Dense out."""
    return chain((5, 3), [spec(layer, name, units=units), dense("out", 2)])


def bidirectional(layer: str = "LSTM", units: int = 4) -> Builder:
    inner = spec(layer, "rnn", units=units)
    return chain((5, 3), [spec("Bidirectional", "bi", layer=inner), dense("out", 2)])


TIME_DISTRIBUTED = chain(
    (5, 3),
    [spec("TimeDistributed", "td", layer=dense("step", 2)), spec("Flatten", "flat"), dense("out", 2)],
)
TIME_DISTRIBUTED_PLAIN = chain((5, 3), [dense("step", 2), spec("Flatten", "flat"), dense("out", 2)])

NESTED = nested()


def hub(**changes: Any) -> Builder:
    return functools.partial(bert_backbone, **changes)


# -- the matrix ----------------------------------------------------------------------------------
def _keras3_weights() -> list[Pair]:
    """Keras 3 saves `.weights.h5`, Keras 3 `model.load_weights`."""
    return [
        pair("k3.identical.functional", "identical", MLP),
        pair("k3.identical.sequential", "identical", MLP_SEQUENTIAL),
        pair("k3.identical.sequential-into-functional", "identical", MLP_SEQUENTIAL, MLP),
        pair("k3.identical.conv", "identical", conv()),
        pair("k3.identical.embedding", "identical", embedding()),
        pair("k3.renamed.all", "renamed", MLP, MLP_RENAMED, renames=RENAMES),
        pair("k3.renamed.one", "renamed", MLP, MLP_ONE_RENAMED, renames={"q": "b"}),
        pair("k3.reordered.classes", "reordered", REORDER_SOURCE, REORDER_TARGET),
        pair("k3.swapped.functional", "swapped", SWAP_SOURCE, SWAP_TARGET),
        pair("k3.swapped.sequential", "swapped", SWAP_SOURCE_SEQUENTIAL, SWAP_TARGET_SEQUENTIAL),
        pair("k3.added.end", "added", MLP, MLP_PLUS),
        pair("k3.added.middle", "added", STACK, STACK_INSERTED),
        pair("k3.added.weightless", "added", MLP, MLP_EXTRA_DROPOUT),
        pair("k3.removed.end", "removed", MLP, MLP_SHORT),
        pair("k3.removed.middle", "removed", STACK, STACK_REMOVED),
        pair("k3.width.dense", "width", MLP, MLP_WIDE),
        pair("k3.width.dense-skip-mismatch", "width", MLP, MLP_WIDE, call=LOAD_SKIP),
        pair("k3.width.conv-filters", "width", conv(), conv(filters=5)),
        pair("k3.width.embedding-vocabulary", "width", embedding(), embedding(input_dim=30)),
        pair("k3.rnn.lstm", "recurrent", recurrent()),
        pair("k3.rnn.lstm-into-gru", "recurrent", recurrent(), recurrent("GRU")),
        pair("k3.rnn.gru-into-lstm", "recurrent", recurrent("GRU"), recurrent()),
        pair("k3.rnn.lstm-units", "recurrent", recurrent(), recurrent(units=6)),
        pair("k3.wrapper.bidirectional", "wrappers", bidirectional()),
        pair("k3.wrapper.bidirectional-into-lstm", "wrappers", bidirectional(), recurrent()),
        pair("k3.wrapper.lstm-into-bidirectional", "wrappers", recurrent(), bidirectional()),
        pair("k3.wrapper.bidirectional-gru-into-lstm", "wrappers", bidirectional("GRU"), bidirectional()),
        pair("k3.wrapper.time-distributed", "wrappers", TIME_DISTRIBUTED),
        pair("k3.wrapper.time-distributed-into-dense", "wrappers", TIME_DISTRIBUTED, TIME_DISTRIBUTED_PLAIN),
        pair("k3.nested.functional", "nested", NESTED),
        pair("k3.nested.sequential", "nested", nested(inner_kind="sequential")),
        pair("k3.nested.functional-into-sequential", "nested", NESTED, nested(inner_kind="sequential")),
        pair(
            "k3.nested.inner-renamed", "nested", NESTED, nested(inner_name="core"), renames={"core": "inner"}
        ),
        pair("k3.nested.inner-width", "nested", NESTED, nested(inner_width=7)),
        pair("k3.nested.flattened", "nested", NESTED, flat_nested),
        pair("k3.subclassed.identical", "subclassed", tower()),
        pair("k3.subclassed.attribute-renamed", "subclassed", tower(), tower(body_attr="trunk")),
        pair("k3.subclassed.width", "subclassed", tower(), tower(width=7)),
        pair("k3.subclassed.submodel-arguments", "subclassed", encoder_decoder()),
        pair("k3.subclassed.submodel-arguments-width", "subclassed", encoder_decoder(), encoder_decoder(5)),
        pair("k3.shared.siamese", "shared", siamese),
        pair("k3.shared.across-models", "shared", shared_across_models),
        pair("k3.shared.into-two-towers", "shared", siamese, two_towers),
        pair("k3.attention.mha", "attention", attention()),
        pair("k3.attention.mha-key-dim", "attention", attention(), attention(key_dim=6)),
        pair("k3.attention.mha-heads", "attention", attention(), attention(heads=3)),
    ]


def _keras3_optimizer() -> list[Pair]:
    return [
        pair("k3.optimizer.fitted-into-plain", "optimizer", MLP, source_state="fitted"),
        pair(
            "k3.optimizer.fitted-into-compiled",
            "optimizer",
            MLP,
            source_state="fitted",
            target_state="compiled",
        ),
        pair(
            "k3.optimizer.fitted-into-fitted", "optimizer", MLP, source_state="fitted", target_state="fitted"
        ),
        pair("k3.optimizer.plain-into-fitted", "optimizer", MLP, target_state="fitted"),
        pair(
            "k3.optimizer.fitted-width",
            "optimizer",
            MLP,
            MLP_WIDE,
            source_state="fitted",
            target_state="fitted",
        ),
        pair(
            "k3.optimizer.archive-load-model",
            "optimizer",
            MLP,
            save=ARCHIVE,
            call=LOAD_MODEL,
            source_state="fitted",
        ),
    ]


def _keras3_files() -> list[Pair]:
    """Other Keras 3 files: shards, `.keras` archives, npz, a config that doesn't fit."""
    return [
        pair("k3.sharded.identical", "sharded", MLP, save=SHARDED),
        pair("k3.sharded.width", "sharded", MLP, MLP_WIDE, save=SHARDED),
        pair("k3.sharded.lstm-into-gru", "sharded", recurrent(), recurrent("GRU"), save=SHARDED),
        pair("k3.archive.load-weights", "archive", MLP, save=ARCHIVE),
        pair("k3.archive.load-weights-width", "archive", MLP, MLP_WIDE, save=ARCHIVE),
        pair("k3.npz.load-model", "npz", MLP, save=NPZ_ARCHIVE, call=LOAD_MODEL),
        pair("k3.npz.load-weights", "npz", MLP, save=NPZ_ARCHIVE),
        pair("k3.load-model.identical", "load_model", MLP, save=ARCHIVE, call=LOAD_MODEL),
        pair(
            "k3.load-model.config-width",
            "load_model",
            MLP,
            save=archive_with_config_of(MLP_WIDE),
            call=LOAD_MODEL,
        ),
        pair(
            "k3.load-model.config-layer-added",
            "load_model",
            MLP,
            save=archive_with_config_of(MLP_PLUS),
            call=LOAD_MODEL,
        ),
        pair(
            "k3.load-model.config-layer-removed",
            "load_model",
            MLP,
            save=archive_with_config_of(MLP_SHORT),
            call=LOAD_MODEL,
        ),
        pair(
            "k3.load-model.config-renamed",
            "load_model",
            MLP,
            save=archive_with_config_of(MLP_RENAMED),
            call=LOAD_MODEL,
            renames=RENAMES,
        ),
        pair(
            "k3.load-model.config-mha-key-dim",
            "load_model",
            attention(),
            save=archive_with_config_of(attention(key_dim=6)),
            call=LOAD_MODEL,
        ),
    ]


def _keras3_legacy_h5() -> list[Pair]:
    """Keras 3 writes a legacy `.h5` (`model.save`); Keras 3 loads it by topology or by name."""
    h5 = {"save": LEGACY_H5, "into": "into.h5"}
    return [
        pair("k3.h5.topological", "legacy_h5", MLP, **h5),
        pair("k3.h5.topological-renamed", "legacy_h5", MLP, MLP_RENAMED, renames=RENAMES, **h5),
        pair("k3.h5.topological-reordered", "legacy_h5", REORDER_SOURCE, REORDER_TARGET, **h5),
        pair("k3.h5.topological-swapped", "legacy_h5", SWAP_SOURCE, SWAP_TARGET, **h5),
        pair("k3.h5.topological-added", "legacy_h5", MLP, MLP_PLUS, **h5),
        pair("k3.h5.topological-width", "legacy_h5", MLP, MLP_WIDE, **h5),
        pair("k3.h5.topological-width-skip-mismatch", "legacy_h5", MLP, MLP_WIDE, call=LOAD_SKIP, **h5),
        pair("k3.h5.topological-nested", "legacy_h5", NESTED, **h5),
        pair("k3.h5.by-name", "legacy_h5", MLP, call=BY_NAME, **h5),
        pair("k3.h5.by-name-renamed", "legacy_h5", MLP, MLP_RENAMED, call=BY_NAME, renames=RENAMES, **h5),
        pair("k3.h5.by-name-swapped", "legacy_h5", SWAP_SOURCE, SWAP_TARGET, call=BY_NAME, **h5),
        pair("k3.h5.by-name-width", "legacy_h5", MLP, MLP_WIDE, call=BY_NAME, **h5),
        pair("k3.h5.by-name-width-skip-mismatch", "legacy_h5", MLP, MLP_WIDE, call=BY_NAME_SKIP, **h5),
        pair(
            "k3.h5.load-model-config-width",
            "legacy_h5",
            MLP,
            save=h5_with_config_of(MLP_WIDE),
            call=LOAD_MODEL,
        ),
    ]


def _tf_keras_into_keras3() -> list[Pair]:
    """tf_keras writes, Keras 3 loads."""
    tk = {"writer": TF_KERAS, "loader": KERAS}
    h5 = {**tk, "save": LEGACY_WEIGHTS_H5, "into": "into.h5"}
    return [
        pair("tk-k3.weights-h5.identical", "tf_keras_to_keras3", MLP, **tk),
        pair("tk-k3.weights-h5.lstm", "tf_keras_to_keras3", recurrent(), **tk),
        pair("tk-k3.weights-h5.bidirectional", "tf_keras_to_keras3", bidirectional(), **tk),
        pair("tk-k3.weights-h5.nested", "tf_keras_to_keras3", NESTED, **tk),
        pair("tk-k3.weights-h5.mha", "tf_keras_to_keras3", attention(), **tk),
        pair(
            "tk-k3.weights-h5.fitted-into-fitted",
            "tf_keras_to_keras3",
            MLP,
            source_state="fitted",
            target_state="fitted",
            **tk,
        ),
        pair("tk-k3.archive.load-weights", "tf_keras_to_keras3", MLP, save=ARCHIVE, **tk),
        pair("tk-k3.archive.load-model", "tf_keras_to_keras3", MLP, save=ARCHIVE, call=LOAD_MODEL, **tk),
        pair("tk-k3.h5.topological", "tf_keras_to_keras3", MLP, **h5),
        pair("tk-k3.h5.topological-full-model", "tf_keras_to_keras3", MLP, **{**h5, "save": LEGACY_H5}),
        pair("tk-k3.h5.topological-lstm", "tf_keras_to_keras3", recurrent(), **h5),
        pair("tk-k3.h5.topological-bidirectional", "tf_keras_to_keras3", bidirectional(), **h5),
        pair("tk-k3.h5.topological-nested", "tf_keras_to_keras3", NESTED, **h5),
        pair("tk-k3.h5.topological-width", "tf_keras_to_keras3", MLP, MLP_WIDE, **h5),
        pair("tk-k3.h5.by-name", "tf_keras_to_keras3", MLP, call=BY_NAME, **h5),
        pair(
            "tk-k3.h5.by-name-renamed",
            "tf_keras_to_keras3",
            MLP,
            MLP_RENAMED,
            call=BY_NAME,
            renames=RENAMES,
            **h5,
        ),
        pair(
            "tk-k3.h5.by-name-width-skip-mismatch",
            "tf_keras_to_keras3",
            MLP,
            MLP_WIDE,
            call=BY_NAME_SKIP,
            **h5,
        ),
        pair(
            "tk-k3.h5.load-model", "tf_keras_to_keras3", MLP, **{**h5, "save": LEGACY_H5, "call": LOAD_MODEL}
        ),
    ]


def _tf_keras() -> list[Pair]:
    """tf_keras writes and loads; its legacy weights-only `.h5` meets the receiving
    architecture as `to_json()` writes it (the weights + JSON pairs of the corpus)."""
    tk = {"writer": TF_KERAS}
    h5 = {**tk, "save": LEGACY_WEIGHTS_H5, "into": "into.json"}
    return [
        pair("tk.weights-h5.identical", "tf_keras", MLP, **tk),
        pair("tk.weights-h5.renamed", "tf_keras", MLP, MLP_RENAMED, renames=RENAMES, **tk),
        pair("tk.weights-h5.swapped", "tf_keras", SWAP_SOURCE, SWAP_TARGET, **tk),
        pair("tk.weights-h5.added-end", "tf_keras", MLP, MLP_PLUS, **tk),
        pair("tk.weights-h5.width", "tf_keras", MLP, MLP_WIDE, **tk),
        pair("tk.weights-h5.width-skip-mismatch", "tf_keras", MLP, MLP_WIDE, call=LOAD_SKIP, **tk),
        pair("tk.weights-h5.lstm-into-gru", "tf_keras", recurrent(), recurrent("GRU"), **tk),
        pair("tk.weights-h5.bidirectional", "tf_keras", bidirectional(), **tk),
        pair("tk.weights-h5.fitted-into-plain", "tf_keras", MLP, source_state="fitted", **tk),
        pair(
            "tk.archive.load-model-config-width",
            "tf_keras",
            MLP,
            save=archive_with_config_of(MLP_WIDE),
            call=LOAD_MODEL,
            **tk,
        ),
        pair("tk.h5.topological", "tf_keras", MLP, **h5),
        pair("tk.h5.topological-renamed", "tf_keras", MLP, MLP_RENAMED, renames=RENAMES, **h5),
        pair("tk.h5.topological-added", "tf_keras", MLP, MLP_PLUS, **h5),
        pair("tk.h5.topological-width", "tf_keras", MLP, MLP_WIDE, **h5),
        pair("tk.h5.by-name-renamed", "tf_keras", MLP, MLP_RENAMED, call=BY_NAME, renames=RENAMES, **h5),
        pair("tk.h5.by-name-width", "tf_keras", MLP, MLP_WIDE, call=BY_NAME, **h5),
        pair("tk.h5.by-name-width-skip-mismatch", "tf_keras", MLP, MLP_WIDE, call=BY_NAME_SKIP, **h5),
    ]


def _keras3_into_tf_keras() -> list[Pair]:
    """Keras 3 writes, tf_keras loads."""
    k3 = {"writer": KERAS, "loader": TF_KERAS}
    return [
        pair("k3-tk.weights-h5.identical", "keras3_to_tf_keras", MLP, **k3),
        pair("k3-tk.weights-h5.lstm", "keras3_to_tf_keras", recurrent(), **k3),
        pair("k3-tk.weights-h5.bidirectional", "keras3_to_tf_keras", bidirectional(), **k3),
        pair("k3-tk.h5.topological", "keras3_to_tf_keras", MLP, save=LEGACY_H5, into="into.h5", **k3),
        pair(
            "k3-tk.h5.by-name", "keras3_to_tf_keras", MLP, save=LEGACY_H5, into="into.h5", call=BY_NAME, **k3
        ),
    ]


def _keras_hub() -> list[Pair]:
    """A KerasHub preset's weights into a backbone built from a changed config
    (`Backbone.from_preset(path, **changes)`, and the same backbone saved as the
    `into` preset)."""
    changed = {
        "identical": {},
        "intermediate-dim": {"intermediate_dim": 24},
        "more-layers": {"num_layers": 3},
        "fewer-layers": {"num_layers": 1},
    }
    return [
        pair(
            f"hub.preset.{name}",
            "keras_hub",
            hub(),
            hub(**changes),
            call=Call("from_preset", changes),
            save=PRESET,
            into="into_preset",
        )
        for name, changes in changed.items()
    ]


PAIRS: list[Pair] = [
    *_keras3_weights(),
    *_keras3_optimizer(),
    *_keras3_files(),
    *_keras3_legacy_h5(),
    *_tf_keras_into_keras3(),
    *_tf_keras(),
    *_keras3_into_tf_keras(),
    *_keras_hub(),
]
BY_ID: dict[str, Pair] = {p.id: p for p in PAIRS}
assert len(BY_ID) == len(PAIRS), "pair ids are unique"
