"""KerasHub presets saved by KerasHub in this test run (`save_to_preset`), and the
Transformers checkpoints KerasHub exports, read statically against the live
models that saved them and against what the preset's own files say."""

from __future__ import annotations

import json
import shutil

import pytest

import kerascope
from kerascope.cli import main
from kerascope.model import Format

from support.fresh_process import frameworks_imported_reading
from support.model_zoo import tiny_bert_backbone, tiny_gpt2_backbone

VOCABULARY = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "quick", "brown", "fox", "jumps"]


@pytest.fixture(scope="module")
def preset(keras3, tmp_path_factory):
    """A BERT classifier with its preprocessor and tokenizer, saved as a preset."""
    import keras_hub

    tokenizer = keras_hub.models.BertTokenizer(vocabulary=VOCABULARY)
    preprocessor = keras_hub.models.BertTextClassifierPreprocessor(tokenizer, sequence_length=12)
    backbone = tiny_bert_backbone(vocabulary_size=len(VOCABULARY), sequence_length=12)
    task = keras_hub.models.BertTextClassifier(backbone, num_classes=3, preprocessor=preprocessor)
    folder = tmp_path_factory.mktemp("preset") / "bert"
    task.save_to_preset(folder)
    return task, folder


def weighted_paths(report):
    return {node.path: [w.shape for w in node.weights] for node in report.layers if node.weights}


def test_task_preset_is_the_task_with_its_backbone_inside(preset):
    task, folder = preset
    report = kerascope.inspect(folder)
    assert report.format == Format.KERAS_HUB
    assert report.root.class_name == type(task).__name__
    assert report.total_params == task.count_params()
    backbone = report[task.backbone.name]
    assert backbone.class_name == type(task.backbone).__name__
    assert backbone.total_params == task.backbone.count_params()
    walked = kerascope.inspect(task)
    # A preset stores the task's config as `get_config()` gives it, less the build and
    # compile state Keras's serializer adds to the nested backbone on a built model.
    expected = dict(walked.root.config)
    expected["backbone"] = {
        key: value
        for key, value in expected["backbone"].items()
        if key not in ("build_config", "compile_config")
    }
    assert report.root.config == expected
    assert backbone.config == walked[task.backbone.name].config
    static, live = weighted_paths(report), weighted_paths(walked)
    assert static == live, "every layer Keras holds variables in, with the same shapes, and no other"
    assert not report.findings


def test_preset_metadata_is_what_the_preset_files_say(preset):
    task, folder = preset
    import keras_hub

    metadata = kerascope.inspect(folder).metadata
    assert metadata["keras_hub_version"] == keras_hub.__version__
    assert metadata["parameter_count"] == task.backbone.count_params()
    assert metadata["backbone"] == "BertBackbone" and metadata["task"] == "BertTextClassifier"
    assert metadata["preprocessor"]["class"] == type(task.preprocessor).__name__
    assert metadata["preprocessor"]["sequence_length"] == task.preprocessor.sequence_length == 12
    assert metadata["tokenizer"]["class"] == type(task.preprocessor.tokenizer).__name__
    assert metadata["tokenizer"]["vocabulary_size"] == task.preprocessor.tokenizer.vocabulary_size()
    assert set(json.loads((folder / "metadata.json").read_text())["tasks"]) == set(metadata["tasks"])


def test_backbone_preset_alone(preset, tmp_path):
    task, _ = preset
    task.backbone.save_to_preset(tmp_path / "backbone")
    report = kerascope.inspect(tmp_path / "backbone")
    assert report.root.class_name == "BertBackbone"
    assert report.total_params == task.backbone.count_params()
    assert weighted_paths(report) == {
        path.removeprefix(f"{task.backbone.name}/"): shapes
        for path, shapes in weighted_paths(kerascope.inspect(task)).items()
        if path.startswith(f"{task.backbone.name}/")
    }


def test_sharded_preset(preset, tmp_path):
    task, _ = preset
    largest = max(int(variable.numpy().nbytes) for variable in task.backbone.weights)
    task.backbone.save_to_preset(tmp_path / "sharded", max_shard_size=largest / 1024**3)
    assert (tmp_path / "sharded" / "model.weights.json").is_file()
    report = kerascope.inspect(tmp_path / "sharded")
    assert report.total_params == task.backbone.count_params()
    assert not report.findings


def test_stored_parameter_count_that_disagrees_is_a_finding(preset, tmp_path):
    task, folder = preset
    copy = tmp_path / "edited"
    shutil.copytree(folder, copy)
    metadata = json.loads((copy / "metadata.json").read_text())
    metadata["parameter_count"] += 1
    (copy / "metadata.json").write_text(json.dumps(metadata))
    report = kerascope.inspect(copy)
    (finding,) = report.findings
    assert finding.code == "PARAMETER_COUNT_MISMATCH"
    assert f"{task.backbone.count_params():,}" in finding.message
    assert report.total_params == task.count_params(), "the weights are what a load gets"


def test_a_preset_missing_its_task_weights_has_unknown_totals(preset, tmp_path):
    task, folder = preset
    copy = tmp_path / "partial"
    shutil.copytree(folder, copy)
    (copy / "task.weights.h5").unlink()
    report = kerascope.inspect(copy)
    assert report.total_params is None
    assert report[task.backbone.name].total_params == task.backbone.count_params()


def test_a_preset_missing_its_weights_says_so(preset, tmp_path, capsys):
    """A preset whose backbone weights file is gone: KerasHub's `from_preset` cannot
    load its weights; the report says so in a finding, and the parameters it cannot
    know are unknown, never zero."""
    import keras_hub

    task, folder = preset
    copy = tmp_path / "weightless"
    shutil.copytree(folder, copy)
    (copy / "model.weights.h5").unlink()
    with pytest.raises(Exception, match=r"model\.weights"):
        keras_hub.models.Backbone.from_preset(str(copy))
    report = kerascope.inspect(copy)
    (finding,) = [f for f in report.findings if f.code == "WEIGHTS_MISSING"]
    assert finding.severity == "warning" and finding.path == task.backbone.name
    assert "model.weights.h5" in finding.message and "unknown" in finding.message
    assert report[task.backbone.name].total_params is None and report.total_params is None
    assert main(["inspect", str(copy)]) == 0
    assert "Findings: 1 warning" in capsys.readouterr().out


def test_reading_a_preset_imports_nothing(preset):
    _, folder = preset
    assert frameworks_imported_reading([folder]) == []


def test_preset_through_the_cli_shows_its_metadata(preset, capsys):
    task, folder = preset
    assert main(["inspect", str(folder), "--depth", "1"]) == 0
    out = capsys.readouterr().out
    assert "BertTextClassifier" in out and f"Total params: {task.count_params():,}" in out
    assert "Tokenizer: class BertTokenizer" in out and f"vocabulary size {len(VOCABULARY)}" in out


def test_transformers_checkpoint_is_reported_as_what_it_is(keras3, tmp_path):
    """KerasHub exports to Transformers (`config.json` + `model.safetensors`): the
    report is that checkpoint, its tensors from the safetensors header only."""
    backbone = tiny_gpt2_backbone()
    backbone.export_to_transformers(tmp_path / "gpt2")
    report = kerascope.inspect(tmp_path / "gpt2")
    assert report.format == Format.TRANSFORMERS
    assert report.metadata["model_type"] == "gpt2"
    stored = json.loads((tmp_path / "gpt2" / "config.json").read_text())
    assert report.root.config == stored
    # The class is the one `architectures` names, and unknown where it names none.
    assert report.root.class_name == (stored.get("architectures") or [None])[0]
    assert report.total_params == backbone.count_params()
    assert report["transformer/h/0/attn/c_attn"].weights, "a tensor sits in the module its dotted name spells"
    assert all(node.class_name is None for node in report.layers)
    assert frameworks_imported_reading([tmp_path / "gpt2"]) == []
