"""How fast the HTML report opens and unfolds in headless Chromium, and how big it is.

Targets (issue 23): NASNetLarge's page interactive within 1.5 s; a 20 000-layer
model's within 5 s and any fold opened within 1 s; a 200 000-edge model's within
5 s; each page within 3x the size today's page had at commit 670ba72, measured
there for the same models (the figures below).

"Interactive" is the time from navigation start until the page's script has drawn
the graph and wired every control (the time `window.kerascope.readyAt` records),
read after the load event. A fold's time is from the click until the next frame.

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
sys.path.insert(0, str(Path(__file__).resolve().parent))

import keras

import kerascope
from kerascope.limits import Limits
from layer_count import write_keras_sequential

from support.big_graphs import concatenate_web
from support.browser import open_page

LIMITS = Limits(max_layers=1_000_000, max_h5_objects=10_000_000, max_json_bytes=1 << 30)
# Bytes of the page at commit 670ba72 (before this page), for the same models.
BEFORE = {"NASNetMobile": 1_479_868, "NASNetLarge": 2_013_181, "20 000 Dense": 24_296_755}
TARGETS = {"NASNetLarge": 1.5, "20 000 Dense": 5.0, "200 000 edges": 5.0}

FOLD_TIME = """async (id) => {
    const graph = window.kerascope.graph;
    const started = performance.now();
    graph.toggle(id, true);
    await new Promise((done) => requestAnimationFrame(() => setTimeout(done)));
    return performance.now() - started;
}"""
FOLDS = """() => [...document.querySelectorAll('#center g.node.fold')].map(n => Number(n.dataset.unit))"""


def measure(report, folder: Path, name: str) -> dict[str, float]:
    path = folder / f"{name.replace(' ', '_')}.html"
    start = time.perf_counter()
    path.write_text(report.to_html())
    written = time.perf_counter() - start
    with open_page(path) as (page, _):
        interactive = page.evaluate("window.kerascope.readyAt") / 1000
        folds = []
        for _ in range(3):  # the first fold of each level, down three levels
            found = page.evaluate(FOLDS)
            if not found:
                break
            folds.append(page.evaluate(FOLD_TIME, found[0]) / 1000)
        page.click("#center button[data-action=fold-all]")
        for unit in page.evaluate(FOLDS)[-3:]:  # and the last folds of the top level
            folds.append(page.evaluate(FOLD_TIME, unit) / 1000)
    return {
        "bytes": path.stat().st_size,
        "write": written,
        "interactive": interactive,
        "fold": max(folds, default=0.0),
    }


def main() -> None:
    models = {
        "NASNetMobile": lambda folder: kerascope.inspect(keras.applications.NASNetMobile(weights=None)),
        "NASNetLarge": lambda folder: kerascope.inspect(keras.applications.NASNetLarge(weights=None)),
        "20 000 Dense": lambda folder: kerascope.inspect(_dense_chain(folder), limits=LIMITS),
        "200 000 edges": lambda folder: kerascope.inspect(
            concatenate_web(folder / "web.keras"), limits=LIMITS
        ),
    }
    print(
        f"{'model':14} {'page size':>12} {'before':>12} {'ratio':>6} {'write HTML':>10} {'interactive':>11} {'target':>7} {'slowest fold':>12}"
    )
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for label, make in models.items():
            result = measure(make(folder), folder, label)
            before = BEFORE.get(label)
            ratio = f"{result['bytes'] / before:.2f}x" if before else "—"
            target = f"{TARGETS[label]:.1f} s" if label in TARGETS else "—"
            print(
                f"{label:14} {result['bytes']:>12,} {before or 0:>12,} {ratio:>6} {result['write']:>8.2f} s"
                f" {result['interactive']:>9.2f} s {target:>7} {result['fold']:>10.3f} s"
            )


def _dense_chain(folder: Path) -> Path:
    """The file the size before was measured on: 20 000 Dense layers with their weights."""
    path = folder / "big.keras"
    write_keras_sequential(path, 20_000)
    return path


if __name__ == "__main__":
    main()
