"""The row, graph and query views, checked against the models Keras built."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

import kerascope
from kerascope.cli import main
from kerascope.views.graph import layer_edges

from support.model_zoo import BUILDERS


@pytest.fixture(scope="module")
def nested_file(keras3, tmp_path_factory):
    path = tmp_path_factory.mktemp("views") / "nested.keras"
    BUILDERS["nested"](keras3).save(path)
    return path


def run(capsys, *argv):
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_csv_one_row_per_layer_with_chosen_columns(capsys, nested_file):
    report = kerascope.inspect(nested_file)
    out = run(capsys, "inspect", str(nested_file), "-f", "csv", "--columns", "path,class,params,weights")
    table = list(csv.DictReader(io.StringIO(out)))
    assert [row["path"] for row in table] == [node.path for node in report.layers]
    assert table[0].keys() == {"path", "class", "params", "weights"}
    dense = next(row for row in table if row["path"] == "middle/innermost/inner_dense")
    assert (dense["class"], dense["params"], dense["weights"]) == ("Dense", "72", "2")


def test_unknown_column_is_a_clean_error(capsys, nested_file):
    with pytest.raises(SystemExit) as exited:
        main(["inspect", str(nested_file), "-f", "csv", "--columns", "path,colour"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown column 'colour'" in err and "Error" not in err


def test_markdown_table(capsys, nested_file):
    out = run(capsys, "inspect", str(nested_file), "-f", "markdown")
    lines = out.splitlines()
    assert lines[2] == "| path | class | role | output_shape | params |"
    assert "| `middle/mid_dense` | Dense | layer |" in out


def test_class_and_key_query_match_keras(capsys, keras3):
    model = keras3.applications.MobileNetV3Small(weights=None)
    report = kerascope.inspect(model)
    from kerascope.model.query import select
    from kerascope.views import ViewOptions, render

    dense_like = select(report, classes=["Conv2D"])
    rows = json.loads(render(dense_like, "json", ViewOptions(keys=["activation", "kernel_size"])))
    expected = {
        layer.name: layer.get_config()
        for layer in model._flatten_layers()
        if type(layer).__name__ == "Conv2D"
    }
    assert {row["path"] for row in rows} == set(expected)
    for row in rows:
        assert row["activation"] == expected[row["path"]]["activation"]
        assert json.loads(row["kernel_size"]) == list(expected[row["path"]]["kernel_size"])


def test_select_glob_keeps_the_tree_shape(capsys, nested_file):
    out = run(capsys, "inspect", str(nested_file), "--select", "*dense*", "-f", "yaml")
    paths = [node["path"] for node in yaml.safe_load(out)["nodes"]]
    assert paths == ["", "middle/innermost/inner_dense", "middle/mid_dense"]
    tree = run(capsys, "inspect", str(nested_file), "--select", "*dense*", "-f", "tree", "--key", "units")
    assert "inner_dense Dense" in tree and "units=8" in tree and "units=4" in tree


def test_dataframe_matches_rows(nested_file):
    report = kerascope.inspect(nested_file)
    frame = report.to_dataframe(columns=["path", "class", "params"], keys=["units"])
    assert list(frame.columns) == ["path", "class", "params", "units"]
    assert frame.set_index("path").loc["middle/mid_dense", "units"] == 4
    assert len(frame) == len(report.layers)


def test_dot_has_clusters_and_one_edge_per_tensor(keras3, tmp_path):
    shared = BUILDERS["shared"](keras3)
    report = kerascope.inspect(shared)
    from kerascope.views import render

    dot = render(report, "dot")
    lines = [line.strip() for line in dot.splitlines()]
    assert sum(line.startswith('"tower" [label=') for line in lines) == 1, "a shared layer is drawn once"
    assert sum(line.startswith('"tower" -> "merge"') for line in lines) == 2, "one edge per call"
    nested = render(kerascope.inspect(BUILDERS["nested"](keras3)), "dot")
    assert 'subgraph "cluster_middle"' in nested and 'subgraph "cluster_middle/innermost"' in nested
    for source in (dot, nested):
        _graphviz_accepts(source, tmp_path)


def _graphviz_accepts(source, tmp_path):
    binary = shutil.which("dot")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("graphviz is missing in CI: .ci/run installs it")
        pytest.skip("no Graphviz on this machine (apt-get install graphviz)")
    path = tmp_path / "graph.dot"
    path.write_text(source)
    done = subprocess.run([binary, "-Tsvg", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "<svg" in done.stdout


def test_mermaid_subgraphs_and_edges(keras3):
    from kerascope.views import render

    report = kerascope.inspect(BUILDERS["nested"](keras3))
    text = render(report, "mermaid")
    lines = text.splitlines()
    assert lines[0] == "flowchart TB"
    assert (
        sum(line.strip().startswith("subgraph") for line in lines)
        == sum(line.strip() == "end" for line in lines)
        == 2
    )
    assert sum("-->" in line for line in lines) == len(layer_edges(report)[0])


def test_every_view_renders_every_example(capsys):
    from kerascope.cli.commands.demo import demo_reports
    from kerascope.views import REPORT_VIEWS as ReportView
    from kerascope.views import render

    for _, report in demo_reports():
        for view in ReportView:
            assert render(report, view)


def test_each_kind_of_record_has_one_table_whose_rows_are_functions_and_whose_names_are_the_choices():
    """A view is one module and one row: the row's function draws it, and the
    command's `--format` offers exactly the table's names, its first the default."""
    from kerascope.cli.parser import build_parser
    from kerascope.views.tables import TABLES

    commands = build_parser()._subparsers._group_actions[0].choices
    formats = {
        name: next(action for action in command._actions if action.dest == "format")
        for name, command in commands.items()
        if name in ("inspect", "show", "diff", "check", "demo")
    }
    by_kind = {table.record.__name__: table for table in TABLES}
    expected = {
        "inspect": by_kind["ModelReport"],
        "demo": by_kind["ModelReport"],
        "show": by_kind["LayerNode"],
        "diff": by_kind["ModelDiff"],
        "check": by_kind["CheckResult"],
    }
    for command, table in expected.items():
        assert formats[command].choices == list(table), command
        assert formats[command].default == table.default == next(iter(table)), command
    for table in TABLES:
        for name in table:
            assert callable(table[name].draw()), (table.record.__name__, name)


def test_a_layer_shows_in_its_own_views(nested_file, capsys):
    report = kerascope.inspect(nested_file)
    from kerascope.views import render

    record = report["middle/mid_dense"].to_dict()
    assert json.loads(render(report["middle/mid_dense"], "json")) == record
    assert yaml.safe_load(render(report["middle/mid_dense"], "yaml"))["path"] == "middle/mid_dense"
    with pytest.raises(ValueError, match="no 'dot' view of a LayerNode"):
        render(report["middle/mid_dense"], "dot")


def test_import_and_help_load_no_view_module():
    probe = (
        "import sys, kerascope, kerascope.cli\n"
        "try:\n    kerascope.cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('VIEWS', sorted(m for m in sys.modules if m.startswith('kerascope.views.') and m.endswith('_view')))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert "VIEWS []" in done.stdout, done.stdout + done.stderr


def test_totals_say_what_they_cover_when_a_layer_is_unpriced(keras3, tmp_path, capsys):
    """A layer no rule prices (a custom class of its own code) leaves the model's FLOPs
    unknown; the footer still gives the sum over the priced layers, as a lower bound,
    and names the layer left out; JSON says the same in `totals.coverage`."""

    class Scale(keras3.layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    inputs = keras3.Input(shape=(4,), name="features")
    hidden = keras3.layers.Dense(8, name="hidden")(inputs)
    outputs = keras3.layers.Dense(2, name="out")(Scale(name="scale")(hidden))
    model = keras3.Model(inputs, outputs, name="partly_priced")
    model.save(tmp_path / "partly_priced.keras")
    dense = [model.get_layer("hidden"), model.get_layer("out")]
    # TensorFlow's profiler: a MatMul is 2 FLOPs per multiply-accumulate, a BiasAdd 1 per output.
    macs = sum(int(layer.kernel.shape[0] * layer.kernel.shape[1]) for layer in dense)
    flops = 2 * macs + sum(int(layer.kernel.shape[1]) for layer in dense)
    for target in (model, tmp_path / "partly_priced.keras"):
        report = kerascope.inspect(target)
        assert report.root.flops is None
        assert f"FLOPs, one forward pass at batch 1: at least {flops}, {macs} multiply-adds; " in str(report)
        assert "1 layer unpriced: scale (Scale)" in str(report)
        coverage = report.to_dict()["totals"]["coverage"]
        assert coverage["flops"] == {"at_least": flops, "priced_layers": 3, "unpriced": ["scale"]}
        assert coverage["macs"]["at_least"] == macs
    assert main(["inspect", str(tmp_path / "partly_priced.keras"), "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["coverage"]["flops"]["unpriced"] == ["scale"]
