"""The records: JSON round trip, the packaged schema, JSON-safe configs."""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest

import kerascope
from kerascope.decoders.jsonsafe import REPR_MARK, jsonable
from kerascope.model.records import ModelReport, json_schema

from support.model_zoo import BUILDERS


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_round_trip_and_schema(keras3, name):
    report = kerascope.inspect(BUILDERS[name](keras3))
    data = json.loads(report.to_json())
    jsonschema.validate(data, json_schema())
    again = ModelReport.from_json(report.to_json())
    assert again.to_dict() == report.to_dict()
    assert again.nodes == report.nodes


def test_jsonable_keeps_what_json_can_hold_and_marks_the_rest():
    class Opaque:
        def __repr__(self):
            return "<opaque thing>"

    config = {
        "tuple": (1, (2, 3)),
        "numpy_int": np.int64(7),
        "numpy_float": np.float32(0.5),
        "dtype": np.dtype("float16"),
        "array": np.arange(4).reshape(2, 2),
        "nan": float("nan"),
        "opaque": Opaque(),
        3: "integer key",
    }
    safe = jsonable(config)
    assert safe["tuple"] == [1, [2, 3]]
    assert safe["numpy_int"] == 7 and type(safe["numpy_int"]) is int
    assert safe["numpy_float"] == 0.5
    assert safe["dtype"] == "float16"
    assert safe["array"] == [[0, 1], [2, 3]]
    assert safe["nan"][REPR_MARK] == "nan"
    assert safe["opaque"] == {REPR_MARK: "<opaque thing>", "type": f"{__name__}.{Opaque.__qualname__}"}
    assert safe["3"] == "integer key"
    json.dumps(safe, allow_nan=False)


def test_unserializable_config_value_is_marked_not_dropped(keras3):
    class Holder(keras3.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.thing = object()

        def get_config(self):
            return {**super().get_config(), "thing": self.thing}

    report = kerascope.inspect(Holder(name="holder"))
    assert report.root.config["thing"]["type"] == "builtins.object"
    json.dumps(report.to_dict(), allow_nan=False)


def test_folded_report_keeps_totals(keras3):
    report = kerascope.inspect(BUILDERS["nested"](keras3))
    folded = report.folded(1)
    assert max(node.depth for node in folded.nodes) == 1
    assert folded.total_params == report.total_params
    assert folded["middle"].children == []


def test_a_layer_shows_itself_in_one_line_and_lookups_suggest_near_names():
    """A layer's repr is one short line, not its whole record; a name that is almost
    right gets the report's own near names; an index beyond `model.layers` says what
    an index counts."""
    from importlib.resources import as_file, files

    with as_file(files("kerascope").joinpath("example_files", "encoder.keras")) as path:
        report = kerascope.inspect(path)
    block = report["encoder_block"]
    assert repr(block) == f"<LayerNode 'encoder_block' EncoderBlock layer, {block.total_params:,} params>"
    assert len(repr(report["encoder_block/self_attention/query"])) < 100
    with pytest.raises(KeyError, match=r"did you mean 'encoder_block'"):
        report["encoder_blok"]
    with pytest.raises(KeyError) as raised:
        report["zzzzzz"]
    assert "did you mean" not in str(raised.value)
    top = len([node for node in report.children(report.root) if node.index is not None])
    with pytest.raises(
        KeyError, match=rf"holds {top}; the report's {len(report.layers)} layers count every depth"
    ):
        report[99]


def test_a_layer_shows_its_whole_record_as_text_and_in_a_notebook(keras3):
    """`str(layer)` is its record as `kerascope show` prints it, and a notebook shows
    the same text, escaped (a name from a file never becomes markup)."""
    import html

    import yaml

    inputs = keras3.Input(shape=(3,), name="x")
    model = keras3.Model(inputs, keras3.layers.Dense(2, name="<b>dense<b>")(inputs), name="m")
    node = kerascope.inspect(model)["<b>dense<b>"]
    assert yaml.safe_load(str(node)) == yaml.safe_load(kerascope.views.render(node, "yaml"))
    assert yaml.safe_load(str(node))["config"]["units"] == model.layers[1].units
    shown = node._repr_html_()
    assert shown == f"<pre>{html.escape(str(node))}</pre>"
    assert "<b>" not in shown and "&lt;b&gt;dense&lt;b&gt;" in shown
