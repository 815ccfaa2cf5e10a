"""The HTML report and diff in real headless Chromium: the page opens on the model's
overview and its graph, every drawn edge carries its shape, folds open and close
in place, search highlights, a click shows a layer and its panel leads back to
it, overlays colour by the numbers, a diff draws both models with their changes,
the graph exports as SVG and PNG, what a file holds is shown as text only, and
the work a page does to open or unfold is bounded by what it shows, not by the
model's size. No page asks for anything over the network."""

from __future__ import annotations

import base64
import json
import zipfile

import pytest

import kerascope
from kerascope.views.grouping import MOST_SHOWN

from support.big_graphs import concatenate_web, dense_chain
from support.browser import assert_graph_drawn, open_page
from support.model_zoo import BUILDERS, bert_classifier

MODEL_KEYS = ("layers", "input_layers", "output_layers")


def shown_config(page):
    return json.loads(page.locator("#detail pre.config").inner_text())


def expected_config(node):
    return {key: value for key, value in node.config.items() if key not in MODEL_KEYS}


def drawn_paths(page, host="#center"):
    return page.locator(f"{host} svg.kgraph g.node").evaluate_all(
        "nodes => nodes.map(n => n.dataset.path || null)"
    )


def written(report, path):
    path.write_text(report.to_html())
    return path


@pytest.fixture(scope="module")
def nested_page(keras3, tmp_path_factory):
    folder = tmp_path_factory.mktemp("html")
    model = BUILDERS["nested"](keras3)
    report = kerascope.inspect(model)
    truth = {  # from Keras
        "total": model.count_params(),
        "trainable": sum(int(weight.numpy().size) for weight in model.trainable_weights),
    }
    return report, written(report, folder / "nested.html"), truth


def test_page_opens_on_the_overview_and_the_graph(nested_page):
    report, path, truth = nested_page
    with open_page(path) as (page, requests):
        assert page.locator("#overview").is_visible()
        assert not page.locator("#detail").is_visible()
        totals = dict(
            zip(
                page.locator("#overview table.totals th").all_inner_texts(),
                page.locator("#overview table.totals td").all_inner_texts(),
                strict=True,
            )
        )
        assert totals["Parameters"] == f"{truth['total']:,}"
        assert totals["Trainable"] == f"{truth['trainable']:,}"
        drawn = assert_graph_drawn(page)
        top = [node.path for node in report.children(report.root)]
        assert sorted(drawn_paths(page)) == sorted(top), "the graph opens folded at the model's own layers"
        assert drawn["edges"] == 2
        labels = page.locator("#center text.edge-label").all_text_contents()
        assert sorted(labels) == ["(None, 4)", "(None, 8)"]
    assert requests == [path.resolve().as_uri()]


def test_tree_shows_every_layer_at_every_depth(nested_page):
    report, path, _ = nested_page
    with open_page(path) as (page, _):
        rows = page.locator("#tree .row")
        assert rows.count() == len(report.layers)
        assert sorted(rows.evaluate_all("rows => rows.map(row => row.dataset.path)")) == sorted(
            node.path for node in report.layers
        )


def test_nodes_are_coloured_by_kind_and_show_their_attributes(nested_page):
    _, path, _ = nested_page
    with open_page(path) as (page, _):
        fills = page.evaluate(
            """() => Object.fromEntries([...document.querySelectorAll('#center g.node')].map(
                n => [n.dataset.path, n.querySelector('path.head').getAttribute('fill')]))"""
        )
        assert fills["outer_in"] != fills["head"] != fills["middle"] != fills["outer_in"]
        head = page.locator('#center g.node[data-path="head"]')
        assert head.locator("text.cls").text_content() == "Dense"
        assert "units 2" in head.locator("text.attr").all_text_contents()
        assert "(None, 2)" in head.locator("text.shape").text_content()
        legend = page.locator("#center .legend").inner_text()
        assert "dense" in legend and "input" in legend and "model" in legend


def test_a_fold_opens_in_place_and_closes(nested_page):
    report, path, _ = nested_page
    with open_page(path) as (page, _):
        page.click('#center g.node[data-path="middle"]')
        assert_graph_drawn(page)
        shown = set(drawn_paths(page))
        # The Sequential's input is named by Keras's counter, which earlier tests advance.
        (inner_input,) = [node.path for node in report.children(report["middle"]) if node.role == "input"]
        assert {"middle/mid_dense", inner_input, "middle/innermost"} <= shown
        assert "middle" not in shown and "head" in shown
        assert page.locator("#center g.group").count() == 1
        page.click('#center g.node[data-path="middle/innermost"]')
        assert "middle/innermost/inner_dense" in drawn_paths(page)
        page.click("#center g.group text.title >> nth=0")  # the outer fold's title closes it
        assert sorted(drawn_paths(page)) == sorted(node.path for node in report.children(report.root))


def test_search_filters_the_tree_and_highlights_the_graph(nested_page):
    report, path, _ = nested_page
    with open_page(path) as (page, _):
        page.fill("#search", "inner_dense")
        visible = page.locator("#tree .row:not(.hidden)").evaluate_all(
            "rows => rows.map(r => r.dataset.path)"
        )
        assert visible == ["middle", "middle/innermost", "middle/innermost/inner_dense"]
        assert page.locator("#center g.node.match").evaluate_all("n => n.map(x => x.dataset.path)") == [
            "middle"
        ]
        page.fill("#search", "glorotuniform")  # a value inside the Dense configs
        shown = set(
            page.locator("#tree .row:not(.hidden)").evaluate_all("rows => rows.map(r => r.dataset.path)")
        )
        assert {node.path for node in report.find(class_name="Dense")} <= shown
        assert page.locator("#center g.node.match").count() == 2  # head, and the fold holding the rest
        page.fill("#search", "")
        assert page.locator("#tree .row.hidden").count() == 0
        assert page.locator("#center g.node.match").count() == 0


def test_clicking_a_node_shows_its_panel_which_leads_back(nested_page):
    report, path, _ = nested_page
    with open_page(path) as (page, _):
        page.click('#center g.node[data-path="head"]')
        assert page.locator("#detail h2").inner_text() == "head"
        assert shown_config(page) == report["head"].config
        assert page.locator('#center g.node.selected[data-path="head"]').count() == 1
        page.click('#tree .row[data-path="middle/innermost/inner_dense"]')  # deep: the graph opens to it
        assert page.locator("#detail h2").inner_text() == "middle/innermost/inner_dense"
        assert "float32 (8, 8)" in page.locator("#detail").inner_text()
        assert page.locator('#center g.node.selected[data-path="middle/innermost/inner_dense"]').count() == 1
        page.click("#center button[data-action=fold-all]")
        assert "middle/innermost/inner_dense" not in drawn_paths(page)
        page.click("#detail a.show-in-graph")
        assert page.locator('#center g.node.selected[data-path="middle/innermost/inner_dense"]').count() == 1
        box = page.locator('#center g.node[data-path="middle/innermost/inner_dense"]').bounding_box()
        view = page.locator("#center .graph-view").bounding_box()
        assert view["x"] <= box["x"] + box["width"] / 2 <= view["x"] + view["width"], "centred in view"


def test_overlays_colour_by_the_numbers_with_a_legend(keras3, tmp_path):
    inputs = keras3.Input((16,), name="x")
    small = keras3.layers.Dense(2, name="small")(inputs)
    large = keras3.layers.Dense(64, name="large")(small)
    report = kerascope.inspect(keras3.Model(inputs, large, name="two"))
    with open_page(written(report, tmp_path / "two.html")) as (page, _):
        page.select_option("#center select.overlay", "params")
        fills = page.evaluate(
            """() => Object.fromEntries([...document.querySelectorAll('#center g.node')].map(
                n => [n.dataset.path, n.querySelector('rect.body').getAttribute('fill')]))"""
        )
        assert fills["x"] == "white", "no parameters: no colour"
        assert fills["small"] != fills["large"] and "white" not in (fills["small"], fills["large"])
        legend = page.locator("#center .legend").inner_text()
        assert "parameters" in legend
        assert f"{report['small'].total_params:,}" in legend and f"{report['large'].total_params:,}" in legend
        page.select_option("#center select.overlay", "flops")
        assert "FLOPs" in page.locator("#center .legend").inner_text()
        page.select_option("#center select.overlay", "kind")
        assert "dense" in page.locator("#center .legend").inner_text()


def test_findings_overlay_marks_the_layer(keras3, tmp_path):
    inputs = keras3.Input((3,), name="x")
    outputs = keras3.layers.Lambda(lambda t: t * 2.0, name="double")(inputs)
    keras3.Model(inputs, outputs, name="with_lambda").save(tmp_path / "lambda.keras")
    report = kerascope.inspect(tmp_path / "lambda.keras")
    flagged = {finding.path for finding in report.findings if finding.path}
    assert "double" in flagged
    with open_page(written(report, tmp_path / "lambda.html")) as (page, _):
        assert page.locator("#overview ul.findings li").count() == len(report.findings)
        page.select_option("#center select.overlay", "findings")
        fill = page.locator('#center g.node[data-path="double"] rect.body').get_attribute("fill")
        assert fill not in (None, "white")
        assert page.locator('#center g.node[data-path="x"] rect.body').get_attribute("fill") == "white"
        page.locator("#overview a.finding-link").first.click()
        assert page.locator("#detail h2").inner_text() == "double"


def test_export_svg_and_png(nested_page):
    _, path, _ = nested_page
    with open_page(path) as (page, requests):
        svg = page.evaluate("window.kerascope.graph.exportSVG()")
        assert svg.startswith("<svg") and "kgraph" in svg and "<style>" in svg
        assert svg.count('class="node ') == 3 and "(None, 8)" in svg
        png = page.evaluate("window.kerascope.graph.exportPNG()")
        assert png.startswith("data:image/png;base64,")
        raw = base64.b64decode(png.split(",", 1)[1])
        assert raw[:8] == b"\x89PNG\r\n\x1a\n" and len(raw) > 2000
        with page.expect_download() as download:
            page.click("#center button[data-action=export-svg]")
        assert download.value.suggested_filename.endswith(".svg")
    assert len(requests) == 1


def test_kerashub_query_sublayer_in_a_few_clicks(keras3, tmp_path):
    """A KerasHub model: search "query", click the first hit, read its config; the
    graph opens the backbone and the transformer layer down to the sublayer."""
    classifier = bert_classifier()
    report = kerascope.inspect(classifier)
    path = written(report, tmp_path / "bert.html")
    with open_page(path) as (page, requests):
        assert_graph_drawn(page)
        page.fill("#search", "query")
        hit = page.locator("#tree .row.sublayer:not(.hidden)").filter(has_text="EinsumDense").first
        hit.click()
        title = page.locator("#detail h2").inner_text()
        assert title.endswith("/self_attention_layer/query")
        assert shown_config(page) == report[title].config
        assert page.locator(f'#center g.node.selected[data-path="{title}"]').count() == 1
        assert_graph_drawn(page)
    assert requests == [path.resolve().as_uri()]


def test_large_model_opens_folded_into_blocks(keras3, tmp_path):
    model = keras3.applications.NASNetMobile(weights=None)
    report = kerascope.inspect(model)
    with open_page(written(report, tmp_path / "nasnet.html")) as (page, requests):
        assert page.locator("#tree .row").count() == 771
        drawn = assert_graph_drawn(page)
        assert drawn["nodes"] <= MOST_SHOWN
        repeats = page.locator("#center g.node.fold text.times").all_text_contents()
        assert "×3" in repeats, "NASNet's identical normal cells are one box with a count"
        laid = page.evaluate("window.kerascope.graph.layouts.size")
        assert laid == 1, "opening lays out the top level only"
        page.locator("#center g.node.fold").first.click()
        assert page.evaluate("window.kerascope.graph.layouts.size") == 2
        assert_graph_drawn(page)
        page.fill("#search", "separable_conv_1_normal_left1_12")
        page.locator("#tree .row:not(.hidden)").first.click()
        assert page.locator("#detail h2").inner_text() == "separable_conv_1_normal_left1_12"
        assert shown_config(page) == expected_config(report["separable_conv_1_normal_left1_12"])
        assert (
            page.locator('#center g.node.selected[data-path="separable_conv_1_normal_left1_12"]').count() == 1
        )
    assert len(requests) == 1


def test_work_to_open_and_unfold_is_bounded_by_what_is_shown(tmp_path):
    """20 000 layers in a row: the page lays out a few dozen boxes to open, and a
    few dozen more per fold opened, however long the model."""
    from kerascope.limits import Limits

    limits = Limits(max_layers=1_000_000)
    report = kerascope.inspect(dense_chain(tmp_path / "big.keras", 20_000), limits=limits)
    with open_page(written(report, tmp_path / "big.html")) as (page, _):
        drawn = assert_graph_drawn(page)
        assert drawn["nodes"] <= MOST_SHOWN
        for _ in range(3):  # down to single layers
            before = page.evaluate("window.kerascope.graph.drawn.size")
            page.locator("#center g.node.fold").first.click()
            after = assert_graph_drawn(page)
            assert after["nodes"] - before <= MOST_SHOWN + 1
        assert page.locator('#center g.node[data-path="dense_0"]').count() == 1
        assert page.evaluate("window.kerascope.graph.layouts.size") <= 4


def test_a_model_of_200_000_edges_is_drawn_folded(tmp_path):
    """Each of 632 layers reads every layer before it (a Concatenate of all):
    199 396 edges, drawn folded within the bounds of any other model."""
    from kerascope.limits import Limits

    path = concatenate_web(tmp_path / "web.keras", 632)
    limits = Limits(max_layers=1_000_000, max_json_bytes=1 << 30)
    report = kerascope.inspect(path, limits=limits)
    edges = sum(len(call) for node in report.layers for call in node.inbound or [])
    assert edges >= 199_000
    with open_page(written(report, tmp_path / "web.html")) as (page, _):
        drawn = assert_graph_drawn(page)
        assert drawn["nodes"] <= MOST_SHOWN
        assert drawn["edges"] <= MOST_SHOWN * MOST_SHOWN
        page.locator("#center g.node.fold").first.click()
        assert_graph_drawn(page)


# Markup, quotes, every control a reader acts on, and a 100 kB string.
MARKS = '<img src=x onerror="window.__ran=1">\'"&amp;<script>window.__ran=2</script>\x1b[31m\x07\x00\u202e'
LONG = "<b>" + "x" * 100_000 + "</b>"


def test_what_a_file_holds_is_shown_as_text(keras3, tmp_path):
    inputs = keras3.Input(shape=(3,), name="x")
    hidden = keras3.layers.Dense(2, name="first", activation="relu")(inputs)
    keras3.Model(inputs, keras3.layers.Dense(1, name="second")(hidden), name="outer").save(
        tmp_path / "genuine.keras"
    )
    marked = tmp_path / "marked.keras"
    with zipfile.ZipFile(tmp_path / "genuine.keras") as old, zipfile.ZipFile(marked, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "config.json":
                text = data.decode()
                text = text.replace(json.dumps("first"), json.dumps("first" + MARKS))
                text = text.replace(json.dumps("outer"), json.dumps("outer" + MARKS))
                config = json.loads(text)
                second = config["config"]["layers"][-1]
                second.update(class_name="Custom" + MARKS, module="evil" + MARKS, registered_name=None)
                second["config"]["activation"] = MARKS
                second["config"]["note"] = LONG
                second["config"]["units"] = 1
                second["config"]["name"] = LONG
                data = json.dumps(config).replace(json.dumps("second"), json.dumps(LONG)).encode()
            new.writestr(info, data)
    report = kerascope.inspect(marked)
    with open_page(written(report, tmp_path / "marked.html")) as (page, requests):
        assert_graph_drawn(page)
        assert page.evaluate("window.__ran") is None
        assert page.locator("img, iframe, object, embed").count() == 0
        assert page.locator("script").count() == 2, "the data and kerascope's own script, nothing more"
        classes = page.locator("#center g.node text.cls").all_text_contents()
        assert any(text.startswith("Custom<img src=x") for text in classes)
        assert all(len(text) <= 40 for text in page.locator("#center svg text").all_text_contents())
        page.locator("#center g.node.custom").click()
        title = page.locator("#detail h2").inner_text()
        assert title.startswith("<b>xxx") and len(title) > 100_000
        page.fill("#search", "<img")
        assert page.locator("#center g.node.match").count() >= 1
        svg = page.evaluate("window.kerascope.graph.exportSVG()")
        assert "<img" not in svg and "&lt;img src=x" in svg
    assert len(requests) == 1


def _diff_page(keras3, tmp_path):
    def model(width, extra):
        inputs = keras3.Input((8,), name="x")
        hidden = keras3.layers.Dense(width, name="hidden")(inputs)
        hidden = keras3.layers.Dense(4, name="mid")(hidden)
        if extra:
            hidden = keras3.layers.Dense(4, name="extra")(hidden)
        return keras3.Model(inputs, keras3.layers.Dense(1, name="out")(hidden), name="net")

    first, second = model(16, False), model(32, True)
    diff = kerascope.diff(first, second)
    return diff, written(diff, tmp_path / "diff.html")


def test_diff_draws_both_models_with_their_changes(keras3, tmp_path):
    diff, path = _diff_page(keras3, tmp_path)
    with open_page(path) as (page, requests):
        for host in ("#graph-a", "#graph-b"):
            assert_graph_drawn(page, host)
        assert page.locator('#graph-a g.node.config[data-path="hidden"]').count() == 1
        assert page.locator('#graph-b g.node.config[data-path="hidden"]').count() == 1
        assert page.locator('#graph-a g.node.weights[data-path="mid"]').count() == 1  # its kernel's shape
        assert page.locator('#graph-b g.node.added[data-path="extra"]').count() == 1
        assert page.locator('#graph-a g.node.same[data-path="x"]').count() == 1
        assert page.locator("table.diff tbody tr").count() >= len(diff.layers), "the table stays"
        assert "layers differ" in page.locator("h1").inner_text()
    assert len(requests) == 1


def test_diff_navigation_is_synced(keras3, tmp_path):
    _, path = _diff_page(keras3, tmp_path)
    with open_page(path, height=1000) as (page, _):
        page.locator('#graph-a g.node[data-path="out"]').dispatch_event("click")
        assert page.locator('#graph-b g.node.selected[data-path="out"]').count() == 1
        a = page.locator('#graph-a g.node[data-path="out"]').bounding_box()
        b = page.locator('#graph-b g.node[data-path="out"]').bounding_box()
        offset = page.locator("#graph-b").bounding_box()["x"] - page.locator("#graph-a").bounding_box()["x"]
        assert abs(a["y"] - b["y"]) < 2 and abs(a["x"] + offset - b["x"]) < 2, "matched layers aligned"
        assert "hidden" not in page.locator("#diff-info").inner_text()
        page.locator("#graph-a button[data-action=zoom-in]").click()
        a = page.locator('#graph-a g.node[data-path="out"]').bounding_box()
        b = page.locator('#graph-b g.node[data-path="out"]').bounding_box()
        assert abs(a["width"] - b["width"]) < 1, "zoom follows"


def test_notebook_frames(keras3):
    first = BUILDERS["multi_io"](keras3)
    second = BUILDERS["shared"](keras3)
    diff = kerascope.diff(first, second)
    assert diff._repr_html_().startswith("<iframe srcdoc=")
    assert kerascope.inspect(first)._repr_html_().startswith("<iframe srcdoc=")
