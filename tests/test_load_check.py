"""`kerascope.load_check` against what Keras really does, pair by pair.

The truth is the load-check matrix (`support/load_truth.py`): weight files and
architectures made in this run, each pair run through Keras's, TF-Keras's or
KerasHub's own loader, and what it did observed from the values it left in each
variable. For every pair the prediction must say the same: whether it loads, the
error's class and Keras's words (its variables' values, and object addresses,
elided on both sides), every warning, each layer's outcome (every variable
loaded from its own layer, from another layer's, some of them, or none), the
saved values no variable received, and the optimizer's state.

Where a file does not record what Keras's words name (the class of a layer only
a custom model's weights show: `<Dense name=body>`; its variables' names), the
prediction says `?` there, and `?` stands for any name in the comparison. One
pair is listed apart, with its reason: what it would take is not in the files.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import re
import sys

import pytest

import kerascope
from kerascope.cli import main
from kerascope.model import LoadStatus

from support.big_graphs import dense_chain, dense_chain_weights, dense_functional_chain, hidden_parts
from support.load_pairs import PAIRS
from support.load_truth import without_values

ADDRESS = re.compile(r" at 0x[0-9a-f…]+")

# Pairs whose truth the files cannot give, and why.
UNKNOWABLE = {
    "tk.weights-h5.swapped": (
        "a TF-Keras .weights.h5 names no layer on its groups: two Dense layers swapped in the receiving "
        "model load each other's weights, as Keras pairs groups by class and position, and nothing in the "
        "files tells that apart from the intended pairing"
    ),
}


def _text(text: str | None) -> str | None:
    return ADDRESS.sub(" at 0x…", without_values(text)) if text is not None else None


def _agrees(ours: str | None, keras: str | None) -> bool:
    """Keras's words equal ours, a `?` of ours standing for a name the files do not record."""
    if ours is None or keras is None:
        return ours == keras
    pattern = re.escape(_text(ours)).replace(r"\?", r"[\w.]+")
    return re.fullmatch(pattern, _text(keras), re.S) is not None


def _state(layer) -> str:
    """A layer's outcome in the truth's words."""
    if layer.status is LoadStatus.MISPLACED:
        return "wrong"
    if layer.untouched:
        return "untouched"
    if any(location is None for location in layer.received):
        return "partial"
    return "matched"


@pytest.mark.parametrize("pair_id", [pair.id for pair in PAIRS if pair.id not in UNKNOWABLE])
def test_the_prediction_is_what_keras_does(load_truths, pair_id):
    truth = load_truths[pair_id]
    check = kerascope.load_check(
        truth.weights,
        None if truth.kind == "load_model" else truth.into,
        by_name=truth.by_name,
        skip_mismatch=truth.skip_mismatch,
        keras="tf_keras" if truth.loader == "tf_keras" else "keras",
    )
    assert check.loads == truth.loads
    assert check.keras_error == truth.error_class
    if truth.error is not None:
        assert _agrees(check.keras_message, truth.error), (check.keras_message, truth.error)
    assert len(check.warnings) == len(truth.warnings)
    assert all(_agrees(ours, theirs) for ours, theirs in zip(check.warnings, truth.warnings, strict=True))
    judged = {layer.path: _state(layer) for layer in check.layers if layer.status is not LoadStatus.UNKNOWN}
    assert judged == {path: outcome.status for path, outcome in truth.layers.items()}
    assert set(check.unexpected) == {location for held in truth.unused.values() for location in held}
    assert check.optimizer == truth.optimizer


@pytest.mark.parametrize("pair_id", sorted(UNKNOWABLE))
def test_what_the_files_cannot_tell_is_said(load_truths, pair_id):
    """The swapped pair: Keras loads every layer, silently into the other's place;
    kerascope sees every layer load (what Keras says), and that it cannot check
    whose weights each receives, because the file names no layer."""
    truth = load_truths[pair_id]
    check = kerascope.load_check(truth.weights, truth.into, keras="tf_keras")
    assert truth.loads and set(truth.wrong) == {"a", "b"}
    assert check.loads and check.keras_message is None
    assert any("names no layer" in note for note in check.notes)


def test_the_matrix_holds_sixty_pairs_or_more():
    assert len(PAIRS) - len(UNKNOWABLE) >= 60


# -- the command ----------------------------------------------------------------


def _command(*args) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["load-check", *map(str, args)])
    return code, out.getvalue()


def test_the_command_exits_0_when_the_weights_load_cleanly(load_truths):
    truth = load_truths["k3.identical.functional"]
    code, text = _command(truth.weights, "--into", truth.into)
    assert code == 0
    assert "loads cleanly" in text and "Keras says nothing." in text


def test_the_command_says_why_they_do_not_load_in_every_format(load_truths):
    truth = load_truths["k3.width.dense"]
    code, text = _command(truth.weights, "--into", truth.into)
    assert code == 1
    assert "does not load" in text and "shape mismatch" in text and "Keras raises ValueError" in text
    code, document = _command(truth.weights, "--into", truth.into, "-f", "json")
    found = json.loads(document)
    assert code == 1
    assert found["loads"] is False
    assert set(found) >= {"loads", "missing", "unexpected", "shape_mismatch", "keras_message"}
    assert found["shape_mismatch"] == ["b", "c"]
    assert found["keras_message"].startswith("A total of 2 objects could not be loaded.")
    code, markdown = _command(truth.weights, "--into", truth.into, "-f", "markdown")
    assert code == 1
    assert "| b | shape mismatch | layers/dense_1/vars |" in markdown


def test_the_command_exits_2_on_what_is_no_weights_file(tmp_path):
    stray = tmp_path / "notes.h5"
    stray.write_text("not a model\n")
    assert main(["load-check", str(stray)]) == 2
    assert main(["load-check", str(tmp_path / "absent.weights.h5"), "--into", str(stray)]) == 2


# -- scale ------------------------------------------------------------------------


def _steps(call) -> int:
    """The Python calls and returns `call` makes (`sys.setprofile`'s events): a count of
    its work that no clock, and no busy machine, changes."""
    count = 0

    def counted(frame, event, arg):
        nonlocal count
        count += 1

    sys.setprofile(counted)
    try:
        call()
    finally:
        sys.setprofile(None)
    return count


def _load_check_of_a_chain(folder, count: int, functional: bool = False):
    """load-check of a Dense chain's weights into it (its files written first)."""
    weights = dense_chain_weights(folder / "big.weights.h5", count, functional)
    into = (dense_functional_chain if functional else dense_chain)(folder / "big.keras", count)

    def run() -> None:
        check = kerascope.load_check(weights, into)
        assert check.clean and len(check.matched) == count

    return run


def _read_of_hidden_parts(folder, count: int):
    """A read of a custom layer whose weights show its sublayers, which predicts the
    load of the file's weights into its own config."""
    path = hidden_parts(folder / "hidden.keras", count)

    def run() -> None:
        assert len(kerascope.inspect(path).layers) == count + 1

    return run


# Work that grows with the layers. A load-check once asked, for every layer, whether
# its parent lists layers by listing them all (10 000 layers took three times as long
# per layer as 1 000); into a Functional model, Keras 3.15's `_operations_by_depth`
# was found by relaxing every layer's depth once per layer (3 000 layers: 40 s). A
# read of a custom layer's parts predicts their load too; its steps are counted as
# well, though the quadratic step once there was a list's `in`, one step for Python
# whatever the list's length, which only the benchmark's clock shows
# (`benchmarks/layer_count.py`: 100 000 parts took seven times as long per part).
SCALES = {
    "load-check of a Dense chain": _load_check_of_a_chain,
    "load-check of a Functional chain": functools.partial(_load_check_of_a_chain, functional=True),
    "a custom layer's parts": _read_of_hidden_parts,
}


@pytest.mark.parametrize("scale", sorted(SCALES))
def test_predicting_a_load_grows_with_the_layers_not_their_square(tmp_path, scale):
    """Each further 100, 200 layers cost the same work per layer: the ratio is 2.00
    (2.4 while a load-check listed every layer's siblings, 2.9 while it relaxed a
    Functional model's depths)."""

    def steps(count: int) -> int:
        folder = tmp_path / str(count)
        folder.mkdir()
        return _steps(SCALES[scale](folder, count))

    steps(10)  # what is imported on first use is not counted below
    small, middle, large = steps(100), steps(200), steps(400)
    assert (large - middle) / (middle - small) < 2.1
