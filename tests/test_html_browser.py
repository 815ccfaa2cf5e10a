"""The HTML report in real headless Chromium: every layer in the tree, a click shows
its config, search filters, the graph draws, and the page asks for nothing."""

from __future__ import annotations

import json

import pytest

import kerascope
from kerascope.views.graph import graph_nodes

from support.browser import open_page
from support.model_zoo import BUILDERS, bert_classifier

MODEL_KEYS = ("layers", "input_layers", "output_layers")


def shown_config(page):
    return json.loads(page.locator("#detail pre.config").inner_text())


def expected_config(node):
    return {key: value for key, value in node.config.items() if key not in MODEL_KEYS}


@pytest.fixture(scope="module")
def nested_page(keras3, tmp_path_factory):
    folder = tmp_path_factory.mktemp("html")
    model = BUILDERS["nested"](keras3)
    model.save(folder / "nested.keras")
    report = kerascope.inspect(folder / "nested.keras")
    path = folder / "nested.html"
    path.write_text(report.to_html())
    return report, path


def test_tree_shows_every_layer_at_every_depth(nested_page):
    report, path = nested_page
    with open_page(path) as (page, requests):
        rows = page.locator("#tree .row")
        assert rows.count() == len(report.layers)
        assert sorted(rows.evaluate_all("rows => rows.map(row => row.dataset.path)")) == sorted(
            node.path for node in report.layers
        )
        assert page.locator('#tree .row[data-path="middle/innermost/inner_dense"]').is_visible()
    assert requests == [path.resolve().as_uri()]


def test_clicking_a_layer_shows_its_config_and_weights(nested_page):
    report, path = nested_page
    with open_page(path) as (page, _):
        page.click('#tree .row[data-path="middle/innermost/inner_dense"]')
        assert page.locator("#detail h2").inner_text() == "middle/innermost/inner_dense"
        assert shown_config(page) == report["middle/innermost/inner_dense"].config
        assert "float32 (8, 8)" in page.locator("#detail").inner_text()


def test_collapsing_hides_the_insides(nested_page):
    _, path = nested_page
    with open_page(path) as (page, _):
        page.click('#tree .row[data-path="middle"] .toggle')
        assert not page.locator('#tree .row[data-path="middle/mid_dense"]').is_visible()
        page.click('#tree .row[data-path="middle"] .toggle')
        assert page.locator('#tree .row[data-path="middle/mid_dense"]').is_visible()


def test_search_filters_by_name_class_and_config_value(nested_page):
    report, path = nested_page
    with open_page(path) as (page, _):
        page.fill("#search", "inner_dense")
        visible = page.locator("#tree .row:not(.hidden)").evaluate_all(
            "rows => rows.map(r => r.dataset.path)"
        )
        assert visible == ["middle", "middle/innermost", "middle/innermost/inner_dense"]
        page.fill("#search", "sequential")
        assert page.locator("#tree .row:not(.hidden)").evaluate_all(
            "rows => rows.map(r => r.dataset.path)"
        ) == ["middle"]
        page.fill("#search", "glorotuniform")  # a value inside the Dense configs
        shown = set(
            page.locator("#tree .row:not(.hidden)").evaluate_all("rows => rows.map(r => r.dataset.path)")
        )
        assert {node.path for node in report.find(class_name="Dense")} <= shown
        page.fill("#search", "")
        assert page.locator("#tree .row.hidden").count() == 0


def test_graph_draws_each_level_and_opens_nested_models(nested_page):
    report, path = nested_page
    with open_page(path) as (page, _):
        page.click('nav.tabs button[data-tab="graph"]')
        top = page.locator("#graph .level:not([hidden]) g.node")
        assert sorted(top.evaluate_all("nodes => nodes.map(n => n.dataset.path)")) == sorted(
            node.path for node in graph_nodes(report, report.root)
        )
        assert page.locator("#graph .level:not([hidden]) path.edge").count() == 2
        page.click('#graph .level:not([hidden]) g.node[data-path="middle"]')
        inner = page.locator("#graph .level:not([hidden]) g.node")
        assert sorted(inner.evaluate_all("nodes => nodes.map(n => n.dataset.path)")) == sorted(
            node.path for node in graph_nodes(report, report["middle"])
        )
        assert "middle/innermost" in {node.path for node in graph_nodes(report, report["middle"])}
        page.click('#graph .level:not([hidden]) g.node[data-path="middle/mid_dense"]')
        assert page.locator("#detail h2").inner_text() == "middle/mid_dense"


def test_kerashub_query_sublayer_in_a_few_clicks(keras3, tmp_path):
    """A KerasHub model: search "query", click the first hit, read its config."""
    classifier = bert_classifier()
    report = kerascope.inspect(classifier)
    path = tmp_path / "bert.html"
    path.write_text(report.to_html())
    with open_page(path) as (page, requests):
        page.fill("#search", "query")
        hit = page.locator("#tree .row.sublayer:not(.hidden)").filter(has_text="EinsumDense").first
        hit.click()
        title = page.locator("#detail h2").inner_text()
        assert title.endswith("/self_attention_layer/query")
        assert shown_config(page) == report[title].config
        assert shown_config(page)["equation"]
    assert requests == [path.resolve().as_uri()]


def test_large_model_page_works(keras3, tmp_path):
    model = keras3.applications.NASNetMobile(weights=None)
    report = kerascope.inspect(model)
    path = tmp_path / "nasnet.html"
    path.write_text(report.to_html())
    with open_page(path) as (page, requests):
        assert page.locator("#tree .row").count() == 771
        page.fill("#search", "separable_conv_1_normal_left1_12")
        page.locator("#tree .row:not(.hidden)").first.click()
        assert page.locator("#detail h2").inner_text() == "separable_conv_1_normal_left1_12"
        assert shown_config(page) == expected_config(report["separable_conv_1_normal_left1_12"])
    assert len(requests) == 1


def test_diff_page_and_notebook_frames(keras3, tmp_path):
    first = BUILDERS["multi_io"](keras3)
    second = BUILDERS["shared"](keras3)
    diff = kerascope.diff(first, second)
    path = tmp_path / "diff.html"
    path.write_text(diff.to_html())
    with open_page(path) as (page, requests):
        assert page.locator("table.diff tbody tr").count() >= len(diff.layers)
        assert "layers differ" in page.locator("h1").inner_text()
    assert len(requests) == 1
    assert diff._repr_html_().startswith("<iframe srcdoc=")
    assert kerascope.inspect(first)._repr_html_().startswith("<iframe srcdoc=")
