"""`kerascope diff A B --values`: every pair of tensors the diff matches, compared, equals
numpy on the models' own weights: a model fine-tuned in this run with its feature
extractor frozen (frozen tensors bit-identical, the rest changed, `max_abs_diff` and
`rel_l2` within 1e-6 of numpy's), across Keras generations (a tf_keras `.h5` and a
Keras 3 `.keras` of one model, LSTM and BatchNormalization included, pair tensor by
tensor), through HDF5 files chunked and compressed (read whole, not streamed), in
every view; and README's example is what the command prints."""

from __future__ import annotations

import json
import math
from pathlib import Path

import h5py
import numpy as np
import pytest

import kerascope
from kerascope.cli import main
from kerascope.examples import build_finetuned

FROZEN = ("encoder_1", "encoder_2", "norm")
TENSOR_KEYS = {
    "layer", "a_layer", "weight", "index", "shape", "dtype", "same", "max_abs_diff", "rel_l2", "nonfinite", "unread",
}  # fmt: skip
LAYER_KEYS = {"path", "a", "class_name", "status", "frozen", "tensors", "changed", "max_abs_diff", "rel_l2"}


def numpy_change(a: np.ndarray, b: np.ndarray) -> tuple[bool, float, float | None]:
    """same, max |B - A| and ‖B - A‖₂ / ‖A‖₂ (None where A is zero and B is not), by numpy."""
    wide_a, wide_b = a.astype(np.float64), b.astype(np.float64)
    same = a.dtype == b.dtype and a.tobytes() == b.tobytes()
    largest = float(np.max(np.abs(wide_b - wide_a))) if a.size else 0.0
    norm_a, norm_d = float(np.linalg.norm(wide_a)), float(np.linalg.norm(wide_b - wide_a))
    relative = norm_d / norm_a if norm_a else (0.0 if norm_d == 0 else None)
    return same, largest, relative


def close(value: float | None, expected: float | None) -> bool:
    if expected is None or value is None:
        return value is expected
    return math.isclose(value, expected, rel_tol=1e-6, abs_tol=1e-12)


@pytest.fixture(scope="module")
def finetuned(keras3, tmp_path_factory):
    """A classifier and its copy trained a few steps with its feature extractor frozen,
    each saved as a `.keras`."""
    keras3.utils.set_random_seed(3)
    base, tuned = build_finetuned(keras3, steps=8)
    folder = tmp_path_factory.mktemp("finetuned")
    base.save(folder / "base.keras")
    tuned.save(folder / "tuned.keras")
    return base, tuned, folder


def test_a_fine_tuned_pair_equals_numpy(finetuned):
    base, tuned, folder = finetuned
    found = kerascope.diff(folder / "base.keras", folder / "tuned.keras", values=True)
    assert found.values is not None and not found.same
    tensors = {(tensor.layer, tensor.index): tensor for tensor in found.values.tensors}
    expected_count = 0
    for layer in base.layers:
        for index, (old, new) in enumerate(
            zip(layer.weights, tuned.get_layer(layer.name).weights, strict=True)
        ):
            expected_count += 1
            tensor = tensors[(layer.name, index)]
            same, largest, relative = numpy_change(np.asarray(old.numpy()), np.asarray(new.numpy()))
            assert tensor.unread is None
            assert tensor.same is same, f"{layer.name} {index}"
            assert (layer.name in FROZEN) == same, f"{layer.name} {index}: frozen tensors alone are unchanged"
            assert close(tensor.max_abs_diff, largest), (layer.name, index, tensor.max_abs_diff, largest)
            assert close(tensor.rel_l2, relative), (layer.name, index, tensor.rel_l2, relative)
    assert len(found.values.tensors) == expected_count
    by_path = {layer.path: layer for layer in found.values.layers}
    for name in FROZEN:
        assert by_path[name].status == "unchanged" and by_path[name].frozen
    changed = [layer for layer in found.values.layers if layer.status == "changed"]
    assert {layer.path for layer in changed} == {"head_hidden", "classifier"}
    for layer in changed:
        olds = [np.asarray(w.numpy(), np.float64) for w in base.get_layer(layer.path).weights]
        news = [np.asarray(w.numpy(), np.float64) for w in tuned.get_layer(layer.path).weights]
        moved = math.sqrt(sum(float(np.sum((n - o) ** 2)) for o, n in zip(olds, news, strict=True)))
        assert close(layer.rel_l2, moved / math.sqrt(sum(float(np.sum(o**2)) for o in olds)))
    ranked = [layer.rel_l2 for layer in changed]
    assert ranked == sorted(ranked, reverse=True), "the most changed layer comes first"
    assert found.values.layers[: len(changed)] == changed


def test_chunked_compressed_weights_are_read_whole_and_agree(finetuned, tmp_path):
    """The same weights rewritten by h5py in gzip-compressed chunks (which do not stream
    in order) compare as the files Keras wrote do."""
    base, tuned, _ = finetuned
    base.save_weights(tmp_path / "base.weights.h5")
    tuned.save_weights(tmp_path / "tuned.weights.h5")
    with (
        h5py.File(tmp_path / "tuned.weights.h5", "r") as source,
        h5py.File(tmp_path / "chunked.weights.h5", "w") as target,
    ):

        def copy(name, item):
            if isinstance(item, h5py.Group):
                target.require_group(name).attrs.update(item.attrs)
            elif item.ndim:
                target.create_dataset(
                    name, data=item[()], chunks=tuple(max(1, s // 2) for s in item.shape), compression="gzip"
                )
            else:
                target[name] = item[()]

        source.visititems(copy)
    plain = kerascope.diff(tmp_path / "base.weights.h5", tmp_path / "tuned.weights.h5", values=True)
    chunked = kerascope.diff(tmp_path / "base.weights.h5", tmp_path / "chunked.weights.h5", values=True)
    numbers = [(t.layer, t.index, t.same, t.max_abs_diff, t.rel_l2) for t in plain.values.tensors]
    assert numbers == [(t.layer, t.index, t.same, t.max_abs_diff, t.rel_l2) for t in chunked.values.tensors]
    assert any(not t.same for t in plain.values.tensors) and all(
        t.unread is None for t in plain.values.tensors
    )


def test_a_keras2_h5_and_a_keras3_keras_of_one_model_compare_tensor_by_tensor(keras3, tf_keras, tmp_path):
    """tf_keras keeps an LSTM's cell weights as the LSTM's own; Keras 3 stores them under
    `lstm/cell`: each is paired all the same, and one weight changed is the one found."""

    def build(keras):
        layers = keras.layers
        return keras.Sequential(
            [
                keras.Input((6, 4)),
                layers.Conv1D(5, 3, name="conv"),
                layers.BatchNormalization(name="norm"),
                layers.LSTM(7, name="lstm"),
                layers.Dense(2, name="dense"),
            ]
        )

    old = build(tf_keras)
    old.save(tmp_path / "model_keras2.h5")
    new = build(keras3)
    new.set_weights(old.get_weights())
    new.save(tmp_path / "model.keras")
    found = kerascope.diff(tmp_path / "model_keras2.h5", tmp_path / "model.keras", values=True)
    assert found.values.same, found.to_json()
    assert len(found.values.tensors) == len(old.weights)
    assert all(tensor.same and tensor.unread is None for tensor in found.values.tensors)
    kernel = np.asarray(new.get_layer("lstm").cell.recurrent_kernel.numpy())
    kernel[1, 2] += 0.5
    new.get_layer("lstm").cell.recurrent_kernel.assign(kernel)
    new.save(tmp_path / "changed.keras")
    found = kerascope.diff(tmp_path / "model_keras2.h5", tmp_path / "changed.keras", values=True)
    (changed,) = [tensor for tensor in found.values.tensors if not tensor.same]
    same, largest, relative = numpy_change(np.asarray(old.get_layer("lstm").weights[1].numpy()), kernel)
    assert changed.shape == list(kernel.shape) and close(changed.max_abs_diff, largest)
    assert close(changed.rel_l2, relative) and not same
    first = found.values.layers[0]  # Keras 2's LSTM holds the cell's weights in its `lstm_cell` scope
    assert first.status == "changed" and first.a in ("lstm", "lstm/lstm_cell")


def test_every_view_holds_the_values(finetuned, capsys):
    _, _, folder = finetuned
    a, b = str(folder / "base.keras"), str(folder / "tuned.keras")
    assert main(["diff", a, b, "--values", "-f", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    values = data["values"]
    assert set(values) == {"same", "compared", "changed", "layers", "tensors"}
    assert all(set(tensor) == TENSOR_KEYS for tensor in values["tensors"])
    assert all(set(layer) == LAYER_KEYS for layer in values["layers"])
    assert values["changed"] == sum(not tensor["same"] for tensor in values["tensors"]) > 0
    assert main(["diff", a, b, "--values", "-f", "markdown"]) == 1
    markdown = capsys.readouterr().out
    assert "| `head_hidden` | Dense | changed | 2 of 2 |" in markdown
    assert "| `encoder_1` | Dense | unchanged (frozen) | 0 of 2 |" in markdown
    assert main(["diff", a, b, "--values", "-f", "html"]) == 1
    page = capsys.readouterr().out
    assert "Weight values:" in page and "unchanged (frozen)" in page
    assert main(["diff", a, a, "--values"]) == 0
    assert "all 12 tensors bit-identical" in capsys.readouterr().out


def test_the_command_names_the_layers_h5py_finds_moved(finetuned, capsys):
    """The command's page on a fine-tuned pair: the layers it says moved are the ones
    whose arrays h5py finds different, the frozen ones unchanged (README's example is
    this pair, run by test_readme)."""
    _, _, folder = finetuned
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        assert main(["diff", "base.keras", "tuned.keras", "--values"]) == 1
    printed = capsys.readouterr().out
    arrays = {}
    for name in ("base", "tuned"):
        with zipfile_member(folder / f"{name}.keras") as handle:
            arrays[name] = {key: handle[key][()] for key in _datasets(handle)}
    moved = {
        key.split("/")[1]
        for key in arrays["base"]
        if not np.array_equal(arrays["base"][key], arrays["tuned"][key])
    }
    assert moved == {"dense_2", "dense_3"}  # head_hidden and classifier, as Keras names their groups
    for line in (
        "head_hidden  Dense  rel_l2",
        "classifier   Dense  rel_l2",
        "encoder_1    Dense  unchanged (frozen)",
        "encoder_2    Dense  unchanged (frozen)",
    ):
        assert line in printed


def zipfile_member(path: Path) -> h5py.File:
    import io
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")


def _datasets(handle: h5py.File) -> list[str]:
    found: list[str] = []
    handle.visititems(
        lambda name, item: (
            found.append(name) if isinstance(item, h5py.Dataset) and name.startswith("layers/") else None
        )
    )
    return found
