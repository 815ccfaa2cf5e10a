"""The pipeline every report goes through: read → annotate → findings, each stage on
what the one before made; a stage that fails on one layer leaves that layer's fact
unknown, says so in a finding naming the stage and the layer, and the report goes on.

A stage fails here because the test makes one of kerascope's own per-layer steps
raise on one layer (no real file does: `conftest.py` fails any test where one
does); the models and files are Keras's own.
"""

from __future__ import annotations

import importlib
import json

import pytest

import kerascope
from kerascope.analysis import static_checks
from kerascope.cli import main
from kerascope.errors import KerascopeError, TimeLimitExceeded
from kerascope.model import Code, Severity
from kerascope.shapes import cost
from kerascope.shapes.graph import Pass

from support.shape_zoo import keras_output_shapes

FAILED = (Code.STAGE_FAILED, Code.CHECK_FAILED)
# The module (the package exports its function of the same name).
annotate_module = importlib.import_module("kerascope.shapes.annotate")
variables_module = importlib.import_module("kerascope.shapes.variables")


@pytest.fixture(scope="module")
def chain(keras3, tmp_path_factory):
    """A Keras 3 Sequential of three Dense layers, saved, with a custom layer in the middle
    whose class comes from this test module (so `check` flags it as a foreign module)."""

    @keras3.saving.register_keras_serializable(package="pipeline_test")
    class Scale(keras3.layers.Layer):
        def call(self, x):
            return x * 2.0

    L = keras3.layers
    model = keras3.Sequential(
        [
            keras3.Input((8,)),
            L.Dense(4, name="first"),
            L.Dense(3, name="second"),
            Scale(name="scale"),
            L.Dense(2, name="third"),
        ],
        name="chain",
    )
    path = tmp_path_factory.mktemp("pipeline") / "chain.keras"
    model.save(path)
    return model, path


def _raise_on(name: str, error: BaseException):
    """A wrapper of one of kerascope's per-layer steps that raises `error` on the layer `name`."""

    def wrap(step):
        def failing(*args, **kwargs):
            node = next(arg for arg in args if hasattr(arg, "path") and hasattr(arg, "class_name"))
            if node.name == name:
                raise error
            return step(*args, **kwargs)

        return failing

    return wrap


def _failures(report):
    return [finding for finding in report.findings if finding.code in FAILED]


@pytest.mark.stage_failure
def test_a_shape_step_that_fails_on_a_layer_leaves_its_shapes_unknown(chain, monkeypatch):
    model, path = chain
    whole = kerascope.inspect(path)
    assert whole["third"].origin["shapes"] == "derived", "the file stores no shape for the last layer"
    monkeypatch.setattr(Pass, "_derived", _raise_on("third", RuntimeError("boom"))(Pass._derived))
    report = kerascope.inspect(path)

    (failed,) = _failures(report)
    assert (failed.code, failed.severity, failed.path) == (Code.STAGE_FAILED, Severity.WARNING, "third")
    assert "shapes stage" in failed.message and "boom" not in failed.message and failed.hint
    assert report["third"].output_shapes is None and "shapes" not in report["third"].origin
    truth = keras_output_shapes(model)
    assert all(report[name].output_shapes == truth[name] for name in ("first", "second", "scale"))
    assert [node.path for node in report.nodes] == [node.path for node in whole.nodes]
    assert report.total_params == whole.total_params == model.count_params()
    assert report["first"].flops == whole["first"].flops is not None
    assert report["third"].flops is None and whole["third"].flops is not None
    assert report.root.flops is None, "a total over an unknown part is unknown"
    assert [f for f in report.findings if f != failed] == whole.findings


@pytest.mark.stage_failure
def test_debug_puts_the_error_in_the_finding(chain, monkeypatch, capsys):
    _, path = chain
    monkeypatch.setattr(Pass, "_derived", _raise_on("third", RuntimeError("boom"))(Pass._derived))
    (failed,) = _failures(kerascope.inspect(path, debug=True))
    assert "RuntimeError at test_pipeline.py:" in failed.message and failed.message.endswith(": boom")

    assert main(["inspect", str(path), "-f", "json"]) == 0
    (quiet,) = [f for f in json.loads(capsys.readouterr().out)["findings"] if f["code"] == "STAGE_FAILED"]
    assert main(["--debug", "inspect", str(path), "-f", "json"]) == 0
    (loud,) = [f for f in json.loads(capsys.readouterr().out)["findings"] if f["code"] == "STAGE_FAILED"]
    assert "boom" not in quiet["message"] and "--debug" in quiet["message"]
    assert loud["message"].endswith(": boom")


@pytest.mark.stage_failure
def test_a_cost_that_fails_on_a_layer_leaves_it_unpriced(chain, monkeypatch):
    model, path = chain
    whole = kerascope.inspect(path)
    monkeypatch.setattr(cost, "_work", _raise_on("first", ZeroDivisionError("no"))(cost._work))
    report = kerascope.inspect(path)

    (failed,) = _failures(report)
    assert (failed.code, failed.path) == (Code.STAGE_FAILED, "first") and "costs stage" in failed.message
    first = report["first"]
    assert (first.macs, first.flops, first.weight_bytes, first.activation_bytes) == (None, None, None, None)
    assert report["second"].flops == whole["second"].flops is not None
    assert report["third"].weight_bytes == whole["third"].weight_bytes is not None
    assert report.root.flops is None and report.root.weight_bytes is None
    truth = keras_output_shapes(model)
    assert all(report[path_].output_shapes == shapes for path_, shapes in truth.items())


@pytest.mark.stage_failure
def test_weight_naming_that_fails_on_a_layer_leaves_its_names_unknown(chain, monkeypatch):
    model, path = chain
    monkeypatch.setattr(
        variables_module, "_settle", _raise_on("second", KeyError("slot"))(variables_module._settle)
    )
    report = kerascope.inspect(path)

    (failed,) = _failures(report)
    assert (failed.code, failed.path) == (Code.STAGE_FAILED, "second") and "weight names" in failed.message
    assert [w.name for w in report["second"].weights] == [None, None]
    assert report["second"].total_params is None and report.total_params is None
    keras_names = [w.path.split("/")[-1] for w in model.get_layer("first").weights]
    assert [w.name for w in report["first"].weights] == keras_names == ["kernel", "bias"]


@pytest.mark.stage_failure
def test_a_check_that_fails_on_a_layer_is_an_error_and_the_other_checks_still_run(chain, monkeypatch):
    _, path = chain
    clean = kerascope.check(path)
    monkeypatch.setattr(
        static_checks,
        "_suspicious_names",
        _raise_on("scale", ValueError("bad"))(static_checks._suspicious_names),
    )
    result = kerascope.check(path)

    (failed,) = _failures(result.report)
    assert (failed.code, failed.severity, failed.path) == (Code.CHECK_FAILED, Severity.ERROR, "scale")
    assert "layer names" in failed.message
    assert Code.FOREIGN_MODULE in {f.code for f in clean.findings if f.path == "scale"}
    assert [f for f in result.findings if f.code not in FAILED] == clean.findings
    assert result.fails(Severity.ERROR) and not clean.fails(Severity.ERROR)
    assert main(["check", str(path)]) == 1


@pytest.mark.stage_failure
def test_a_file_whose_check_failed_is_not_loaded_without_trust(chain, monkeypatch):
    _, path = chain
    monkeypatch.setattr(
        static_checks,
        "_suspicious_names",
        _raise_on("second", ValueError("bad"))(static_checks._suspicious_names),
    )
    with pytest.raises(KerascopeError) as raised:
        kerascope.inspect(path, load=True)
    # The refusal names what was found, where, and the option that overrides it.
    (failed,) = [f for f in kerascope.check(path).findings if f.code == Code.CHECK_FAILED]
    message = str(raised.value)
    assert f"not handed to Keras's loader: CHECK_FAILED at second: {failed.message}" in message
    assert "--trust" in message


@pytest.mark.parametrize(
    ("raised", "seen"),
    [
        (KeyboardInterrupt(), KeyboardInterrupt),
        (TimeLimitExceeded("gave up"), KerascopeError),  # the API names the file that ran out of time
        (KerascopeError("over a limit"), KerascopeError),
        (MemoryError(), MemoryError),
    ],
)
def test_interrupts_time_limits_input_errors_and_memory_are_never_caught(chain, monkeypatch, raised, seen):
    _, path = chain
    monkeypatch.setattr(Pass, "_derived", _raise_on("second", raised)(Pass._derived))
    with pytest.raises(seen):
        kerascope.inspect(path)


def test_a_stage_called_on_its_own_raises(chain, monkeypatch):
    """Only the pipeline degrades: `annotate` called directly shows the bug itself."""
    _, path = chain
    report = kerascope.inspect(path)
    monkeypatch.setattr(Pass, "_derived", _raise_on("second", RuntimeError("boom"))(Pass._derived))
    with pytest.raises(RuntimeError, match="boom"):
        annotate_module.annotate(report)


def test_checks_run_on_the_annotated_report(chain, monkeypatch):
    """The findings stage comes after annotating: a check sees the derived shapes."""
    model, path = chain
    seen = {}

    def noting(node):
        seen[node.path] = node.output_shapes
        return []

    monkeypatch.setattr(static_checks, "_suspicious_names", noting)
    kerascope.inspect(path)
    truth = keras_output_shapes(model)
    assert seen["second"] == truth["second"] and seen["third"] == truth["third"]
