"""Headless Chromium (Debian's package) driven by Playwright, for the HTML views."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

# Flags that keep Chromium from reaching for the network on its own.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run installs Debian's chromium package")
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    return found


@contextmanager
def open_page(path: Path, width: int = 1400, height: int = 900) -> Iterator[tuple[Any, list[str]]]:
    """The page at `path`, and every URL it requested or tried to."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("request", lambda request: requests.append(request.url))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(path.resolve().as_uri())
            yield page, requests
            assert errors == [], errors
        finally:
            browser.close()


def assert_graph_drawn(page: Any, host: str = "#center") -> dict[str, int]:
    """The graph in `host` draws nodes, and every edge it draws carries a shape
    label: the counts (nodes, edges) it drew. Fails on an empty drawing or an
    edge without a label."""
    drawn = page.evaluate(
        """host => {
            const root = document.querySelector(host + " svg.kgraph");
            const nodes = root.querySelectorAll("g.node");
            const edges = [...root.querySelectorAll("path.edge")];
            const labels = new Map([...root.querySelectorAll("text.edge-label")].map(t => [t.dataset.edge, t.textContent.trim()]));
            const unlabeled = edges.filter(e => !labels.get(e.dataset.edge)).map(e => e.dataset.edge);
            const empty = [...nodes].filter(n => !n.querySelector("text.cls") || !n.querySelector("text.cls").textContent.trim()).length;
            return {nodes: nodes.length, edges: edges.length, unlabeled, empty};
        }""",
        host,
    )
    assert drawn["nodes"] > 0, f"the graph in {host} draws no node"
    assert drawn["unlabeled"] == [], f"edges drawn without a label: {drawn['unlabeled'][:5]}"
    assert drawn["empty"] == 0, "a node is drawn without its class"
    return {"nodes": drawn["nodes"], "edges": drawn["edges"]}
