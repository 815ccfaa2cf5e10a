"""Real architectures the walk was not written against: Keras Applications and
KerasHub backbones, checked layer by layer against Keras's own answers."""

from __future__ import annotations

import pytest

import kerascope

from support import model_zoo
from support.keras_truth import assert_report_matches_keras, config_or_error

APPLICATIONS = ["NASNetMobile", "ConvNeXtTiny", "EfficientNetB0", "MobileNetV3Small", "DenseNet121"]


@pytest.mark.slow
@pytest.mark.parametrize("name", APPLICATIONS)
def test_keras_applications(keras3, name):
    model = getattr(keras3.applications, name)(weights=None)
    assert_report_matches_keras(kerascope.inspect(model), model)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["NASNetMobile", "MobileNetV2"])
def test_tf_keras_applications(tf_keras, name):
    model = getattr(tf_keras.applications, name)(weights=None)
    assert_report_matches_keras(kerascope.inspect(model), model)


@pytest.fixture(scope="module")
def bert_classifier(keras3):
    return model_zoo.bert_classifier()


@pytest.mark.slow
def test_kerashub_bert_classifier_every_internal_layer(bert_classifier):
    report = kerascope.inspect(bert_classifier)
    assert_report_matches_keras(report, bert_classifier)
    backbone = bert_classifier.backbone
    for index in range(2):
        transformer = backbone.get_layer(f"transformer_layer_{index}")
        attention = transformer._self_attention_layer
        for projection in ("query", "key", "value"):
            node = report[f"{backbone.name}/transformer_layer_{index}/self_attention_layer/{projection}"]
            keras_layer = getattr(attention, f"_{projection}_dense")
            assert node.config == config_or_error(keras_layer)[0]
            assert node.role == "sublayer"
    assert report[backbone.name].role == "model"
