"""The load-check truth harness (support/load_truth.py) observes what Keras does.

The matrix the load-check predictions are held to is only worth something if
its observations are: each test here checks the harness against an outcome
Keras documents or its source fixes (an identical file loads every layer; a
changed width fails naming that layer; Keras 3 matches by class counters, so
swapped layers of one class load silently into each other's places; legacy
`by_name` skips a renamed layer without a word), so a harness that observed
nothing, or compared nothing, fails here.
"""

from __future__ import annotations

from pathlib import Path

from support.load_pairs import BY_ID, PAIRS
from support.load_truth import derive, without_values

# What the issue asks the matrix to cover, as the pairs' categories.
COVERED = {
    "identical", "renamed", "reordered", "swapped", "added", "removed", "width", "recurrent", "wrappers",
    "nested", "subclassed", "shared", "optimizer", "attention", "sharded", "archive", "npz", "load_model",
    "legacy_h5", "tf_keras", "tf_keras_to_keras3", "keras3_to_tf_keras", "keras_hub",
}  # fmt: skip


def test_the_matrix_covers_what_the_issue_lists(load_truths):
    assert len(load_truths) == len(PAIRS) >= 60
    assert {truth.category for truth in load_truths.values()} >= COVERED
    libraries = {(t.writer, t.loader) for t in load_truths.values()}
    assert libraries == {
        ("keras", "keras"),
        ("tf_keras", "keras"),
        ("tf_keras", "tf_keras"),
        ("keras", "tf_keras"),
    }
    assert {(t.loader, t.by_name) for t in load_truths.values() if t.kind == "load_weights"} == {
        ("keras", False),
        ("keras", True),
        ("tf_keras", False),
        ("tf_keras", True),
    }
    assert {t.kind for t in load_truths.values()} == {"load_weights", "load_model", "from_preset"}


def test_every_pair_gives_kerascope_its_files_and_keras_a_model(load_truths):
    for truth in load_truths.values():
        assert truth.weights.exists() and truth.into.exists(), truth.pair
        # A model Keras never built (it raised on the config) is the only one not watched.
        assert truth.layers or (truth.kind == "load_model" and truth.error_class), truth.pair
        assert truth.loads == (truth.error is None and not truth.missing and not truth.partial), truth.pair


def test_identical_pairs_load_with_every_layer_matched(load_truths):
    identical = [
        "k3.identical.functional",
        "k3.identical.conv",
        "k3.load-model.identical",
        "k3.h5.topological",
        "tk.weights-h5.identical",
        "tk.h5.topological",
        "tk-k3.weights-h5.bidirectional",
        "k3-tk.weights-h5.lstm",
        "hub.preset.identical",
    ]
    for pair_id in identical:
        truth = load_truths[pair_id]
        assert truth.loads and truth.error is None and truth.warnings == (), pair_id
        assert truth.layers and {o.status for o in truth.layers.values()} == {"matched"}, pair_id
        assert not truth.unused and not truth.shape_mismatch and not truth.failed, pair_id


def test_a_changed_width_fails_naming_that_layer(load_truths):
    keras3 = load_truths["k3.width.dense"]
    assert keras3.error_class == "ValueError" and not keras3.loads
    assert "Example error message for object <Dense name=b, built=True>" in keras3.error
    assert {"path": "b", "weight": "kernel", "expected": [6, 7], "found": [6, 5], "seen": "assign"} in (
        keras3.shape_mismatch
    )
    assert set(keras3.missing) == {"b", "c"} and keras3.layers["a"].status == "matched"

    legacy = load_truths["k3.h5.topological-width"]
    assert legacy.error.startswith("Shape mismatch in layer #2 (named b)for weight b/kernel.")
    assert [(m["path"], m["seen"]) for m in legacy.shape_mismatch] == [("b", "message")]

    tf_keras = load_truths["tk.weights-h5.width"]
    assert tf_keras.error.startswith("Cannot assign value to variable ' b/kernel:0': Shape mismatch.")
    assert [(m["path"], m["expected"], m["found"]) for m in tf_keras.shape_mismatch] == [
        ("b", [6, 7], [6, 5])
    ]


def test_swapped_layers_of_one_class_load_silently_into_each_others_places(load_truths):
    for pair_id in ("k3.swapped.functional", "k3.swapped.sequential", "tk.weights-h5.swapped"):
        truth = load_truths[pair_id]
        assert truth.loads and truth.error is None and truth.warnings == (), pair_id
        assert set(truth.wrong) == {"a", "b"}, pair_id
        assert truth.layers["b"].received == ("a#0", "a#1") and truth.layers["a"].received == ("b#0", "b#1")
    by_name = load_truths["k3.h5.by-name-swapped"]
    assert {o.status for o in by_name.layers.values()} == {"matched"}


def test_multi_head_attention_width_is_reported_as_missing_variables(load_truths):
    truth = load_truths["k3.attention.mha-key-dim"]
    assert "Layer 'key' expected 2 variables, but received 0 variables during loading" in truth.error
    refused = {m["path"] for m in truth.shape_mismatch if m["seen"] == "assign"}
    assert refused == {"mha/query", "mha/key", "mha/value", "mha/attention_output"}


def test_renamed_layers_loaded_by_name_are_left_untouched_without_a_word(load_truths):
    for pair_id in ("k3.h5.by-name-renamed", "tk-k3.h5.by-name-renamed", "tk.h5.by-name-renamed"):
        truth = load_truths[pair_id]
        assert truth.error is None and truth.warnings == () and not truth.loads, pair_id
        assert truth.layers and set(truth.missing) == set(truth.layers), pair_id
        assert set(truth.unused) == {"a", "bn", "b", "c"}, pair_id


def test_skip_mismatch_warns_and_leaves_the_layers_it_skipped(load_truths):
    truth = load_truths["k3.h5.by-name-width-skip-mismatch"]
    assert truth.error is None and not truth.loads
    assert any(w.startswith("Skipping loading weights for layer #3 (named b)") for w in truth.warnings)
    assert truth.missing == ("b",) and truth.partial == ("c",)
    assert truth.layers["c"].received == (None, "c#1")  # the kernel skipped, the bias (same shape) loaded


def test_keras_cannot_load_npz_weights(load_truths):
    truth = load_truths["k3.npz.load-model"]
    assert truth.error_class == "ValueError" and "allow_pickle=False" in truth.error
    assert set(truth.missing) == set(truth.layers) == {"a", "bn", "b", "c"}


def test_statuses_follow_the_values_left_in_each_variable(tmp_path: Path):
    """derive() on a hand-written record: a harness that compared nothing could
    not tell these five layers apart."""

    def saved(*digests: str) -> list[dict]:
        return [{"name": f"w{i}", "digest": d, "stored_at": [f"file:{d}"]} for i, d in enumerate(digests)]

    def seen(*values: tuple[str, str]) -> dict:
        variables = [{"name": f"w{i}", "path": f"w{i}", "shape": [1], "before": b, "after": a} for i, (b, a) in
                     enumerate(values)]  # fmt: skip
        return {"class": "Dense", "name": "x", "variables": variables}

    source = {
        "library": "keras",
        "version": "3",
        "optimizer": [],
        "layers": {"a": saved("A0", "A1"), "b": saved("B0", "B1"), "c": saved("C0")},
    }
    load = {
        "library": "keras",
        "version": "3",
        "call": "model.load_weights(path)",
        "error": None,
        "messages": [{"kind": "warning:DeprecationWarning", "text": "noise"}],
        "failed": [],
        "failed_assigns": [],
        "objects": {},
        "optimizer": None,
        "names": {"a": "a", "q": "q", "c": "c", "w": "w", "p": "p", "z": "z"},
        "layers": {
            "a": seen(("x", "A0"), ("y", "A1")),
            "q": seen(("x", "B0"), ("y", "B1")),  # k3.renamed.one: q stands for b
            "c": seen(("x", "x")),
            "w": seen(("x", "A0"), ("y", "A1")),
            "p": seen(("x", "B0"), ("y", "y")),
            "z": seen(("x", "elsewhere")),
        },
    }
    truth = derive(BY_ID["k3.renamed.one"], source, load, tmp_path)
    assert {path: o.status for path, o in truth.layers.items()} == {
        "a": "matched",
        "q": "matched",
        "c": "untouched",
        "w": "wrong",
        "p": "partial",
        "z": "changed",
    }
    assert truth.missing == ("c",) and truth.partial == ("p",) and truth.wrong == ("w",)
    assert truth.unused == {"c": ("file:C0",)} and truth.warnings == () and not truth.loads


def test_values_printed_in_keras_messages_are_elided_for_comparing():
    text = "Target variable: <Variable path=b/kernel, shape=(2, 1), dtype=float32, value=[[0.5]\n [-1.]]>\n\nList"
    assert (
        without_values(text)
        == "Target variable: <Variable path=b/kernel, shape=(2, 1), dtype=float32, value=…>\n\nList"
    )
