"""How responsive the HTML report is on a large model (NASNetMobile, 771 layers):
page size, load time, and the time for a search and a click, in headless Chromium.
Baseline in the same run: the same page for a 4-layer model.

    python benchmarks/html_page.py        (needs the test extras and Debian's chromium)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import keras

import kerascope
from kerascope.examples import build_examples

from support.browser import open_page


def measure(report, folder: Path, name: str) -> dict[str, float]:
    path = folder / f"{name}.html"
    start = time.perf_counter()
    path.write_text(report.to_html())
    written = time.perf_counter() - start
    with open_page(path) as (page, _):
        load = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
        start = time.perf_counter()
        page.fill("#search", "dense")
        page.locator("#tree .row:not(.hidden)").first.wait_for()
        search = time.perf_counter() - start
        start = time.perf_counter()
        page.locator("#tree .row:not(.hidden)").first.click()
        page.locator("#detail pre.config").wait_for()
        click = time.perf_counter() - start
    return {
        "bytes": path.stat().st_size,
        "render": written,
        "load": load / 1000,
        "search": search,
        "click": click,
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        small = measure(kerascope.inspect(build_examples(keras)["three_dense"]), Path(folder), "small")
        large = measure(
            kerascope.inspect(keras.applications.NASNetMobile(weights=None)), Path(folder), "large"
        )
    for label, key, unit in (("page size", "bytes", "B"), ("write HTML", "render", "s"), ("page load", "load", "s"),
                             ("search", "search", "s"), ("click a layer", "click", "s")):  # fmt: skip
        ratio = large[key] / small[key] if small[key] else float("nan")
        print(
            f"{label:14}: 4 layers {small[key]:>10.3f} {unit}   771 layers {large[key]:>10.3f} {unit}   ratio {ratio:6.1f}x"
        )


if __name__ == "__main__":
    main()
