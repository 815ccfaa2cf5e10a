"""Screenshots of kerascope's HTML pages for the docs, beside Netron's and Model
Explorer's renderings of the same files, all taken in headless Chromium.

    python scripts/make_screenshots.py      (needs the test extras and Debian's chromium)

Models: NASNetMobile (`.keras`), a KerasHub BERT classifier saved as a preset (and,
for Netron, which reads no preset folder, as a `.keras`), a siamese network
(`.keras`, and a SavedModel export for Model Explorer). For each: the page as it
opens, a fold opened, an overlay; and a diff of two siamese versions. The preset
is read with `load=True` (`--load`): its files hold the backbone's constructor
arguments only, so its layers' classes and connections come from KerasHub.

Netron and Model Explorer are not kerascope's dependencies: install each in a venv
of its own and the script serves it on 127.0.0.1 and screenshots it; without them
it says so and skips that part.

    python3 -m venv /tmp/netron_venv && /tmp/netron_venv/bin/pip install netron
    python3 -m venv /tmp/me_venv && /tmp/me_venv/bin/pip install ai-edge-model-explorer tensorflow-cpu

(`NETRON_PYTHON` and `MODEL_EXPLORER` name other places.)
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import keras  # noqa: E402

import kerascope  # noqa: E402

from support.browser import CHROMIUM_FLAGS, chromium_path, open_page  # noqa: E402
from support.model_zoo import bert_classifier, siamese_network  # noqa: E402

DOCS = ROOT / "docs"
NETRON = Path(os.environ.get("NETRON_PYTHON", "/tmp/netron_venv/bin/python"))
MODEL_EXPLORER = Path(os.environ.get("MODEL_EXPLORER", "/tmp/me_venv/bin/model-explorer"))
WIDTH, HEIGHT = 1500, 860


def shoot(html: Path, name: str, *steps: Any, width: int = WIDTH, height: int = HEIGHT) -> None:
    """Open a page, take each step (a function of the page), then a screenshot."""
    with open_page(html, width=width, height=height) as (page, requests):
        for step in steps:
            step(page)
        page.wait_for_timeout(150)
        page.screenshot(path=DOCS / name)
    assert len(requests) == 1, requests
    print(f"wrote docs/{name}")


def open_fold(selector: str):
    """Click the first node the selector finds, if there is one."""

    def step(page: Any) -> None:
        found = page.locator(selector)
        if found.count():
            found.first.dispatch_event("click")

    return step


def zoom_to(selector: str, scale: float = 1.0):
    """Put the first drawn unit the selector finds in the middle, at `scale`."""
    script = """([selector, scale]) => {
        const found = document.querySelector(selector);
        if (!found) return;
        const graph = window.kerascope.graph;
        graph.view.k = scale;
        graph.centre(Number(found.dataset.unit), null);
    }"""
    return lambda page: page.evaluate(script, [selector, scale])


def overlay(name: str, host: str = "#center"):
    return lambda page: page.select_option(f"{host} select.overlay", name)


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        files = save_models(folder)
        pages = {key: folder / f"{key}.html" for key in files}
        for key, target in files.items():
            # A preset's files hold the backbone's constructor arguments, not its layers'
            # classes and connections: Keras (with KerasHub) loads it to show them.
            report = kerascope.inspect(target["kerascope"], load=key == "bert")
            pages[key].write_text(report.to_html())

        shoot(pages["nasnet"], "page-nasnet-open.png")
        shoot(pages["nasnet"], "page-nasnet-unfolded.png", open_fold("#center g.node.fold text.times"),
              open_fold("#center g.group g.node.fold"), zoom_to("#center g.group g.group", 0.9))  # fmt: skip
        shoot(pages["nasnet"], "page-nasnet-overlay-flops.png", overlay("flops"))
        shoot(pages["bert"], "page-bert-open.png")
        shoot(pages["bert"], "page-bert-unfolded.png", open_fold('#center g.node[data-path$="bert_backbone"]'),
              open_fold('#center g.node.fold text.times'), open_fold('#center g.node[data-path$="transformer_layer_0"]'),
              zoom_to('#center g.group g.group'))  # fmt: skip
        shoot(pages["bert"], "page-bert-query.png", lambda page: page.fill("#search", "query"),
              lambda page: page.locator("#tree .row.sublayer:not(.hidden)").filter(has_text="EinsumDense").first.click())  # fmt: skip
        shoot(pages["siamese"], "page-siamese-open.png")
        shoot(pages["siamese"], "page-siamese-unfolded.png", open_fold('#center g.node[data-path="tower"]'),
              lambda page: page.evaluate("window.kerascope.graph.fit()"))  # fmt: skip
        shoot(pages["siamese"], "page-siamese-overlay-params.png", open_fold('#center g.node[data-path="tower"]'),
              overlay("params"), lambda page: page.evaluate("window.kerascope.graph.fit()"))  # fmt: skip
        shoot(pages["siamese_export"], "page-siamese-savedmodel.png")

        diff = folder / "diff.html"
        diff.write_text(
            kerascope.diff(files["siamese"]["kerascope"], files["siamese_v2"]["kerascope"]).to_html()
        )
        shoot(diff, "page-siamese-diff.png", open_fold('#graph-a g.node[data-path="tower"]'),
              lambda page: page.locator('#graph-a g.node[data-path="tower/pool"]').dispatch_event("click"),
              lambda page: page.evaluate("""() => {
                  const side = window.kerascope.sides.a.view;
                  side.centre(Number(document.querySelector('#graph-a g.node[data-path="tower/pool"]').dataset.unit));
                  side.moved();
              }"""), height=1000)  # fmt: skip

        netron_shots(files)
        model_explorer_shot(files["siamese_export"]["netron"])  # its TF adapter reads saved_model.pb


def save_models(folder: Path) -> dict[str, dict[str, Path]]:
    """Each model saved once; what kerascope reads and what Netron opens."""
    nasnet = folder / "nasnet_mobile.keras"
    keras.applications.NASNetMobile(weights=None).save(nasnet)
    classifier = bert_classifier()
    preset = folder / "bert_preset"
    classifier.save_to_preset(str(preset))
    bert_file = folder / "bert_classifier.keras"
    classifier.save(bert_file)
    siamese = folder / "siamese.keras"
    model = siamese_network(keras)
    model.save(siamese)
    second = folder / "siamese_v2.keras"
    siamese_network(keras, width=48, extra=True).save(second)
    export = folder / "siamese_savedmodel"
    model.export(str(export), verbose=False)
    return {
        "nasnet": {"kerascope": nasnet, "netron": nasnet},
        "bert": {"kerascope": preset, "netron": bert_file},
        "siamese": {"kerascope": siamese, "netron": siamese},
        "siamese_v2": {"kerascope": second, "netron": second},
        "siamese_export": {"kerascope": export, "netron": export / "saved_model.pb"},
    }


# -- Netron and Model Explorer, each in its own venv, served on 127.0.0.1 ---------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(command: list[str], port: int, log: Path) -> Iterator[None]:
    with log.open("w") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    time.sleep(0.5)
            else:
                raise RuntimeError(f"{command[0]} did not start: {log.read_text()[-2000:]}")
            yield
        finally:
            server.terminate()
            server.wait(timeout=30)


@contextmanager
def browser_page(width: int = WIDTH, height: int = HEIGHT) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            # Only this machine: the tools' pages may reach for fonts or updates elsewhere.
            page.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
            yield page
        finally:
            browser.close()


def netron_shots(files: dict[str, dict[str, Path]]) -> None:
    if not NETRON.exists():
        print(
            f"skipped Netron: no {NETRON} (python3 -m venv /tmp/netron_venv && /tmp/netron_venv/bin/pip install netron)"
        )
        return
    for key in ("nasnet", "bert", "siamese", "siamese_export"):
        target = files[key]["netron"]
        port = free_port()
        code = f"import netron; netron.start({str(target)!r}, ('127.0.0.1', {port}), browse=False); netron.wait()"
        log = target.parent / f"netron-{key}.log"
        with serving([str(NETRON), "-c", code], port, log), browser_page() as page:
            page.goto(f"http://127.0.0.1:{port}/")
            consent = page.get_by_text("Accept")  # Netron asks before it opens a model
            consent.wait_for(timeout=30_000)
            consent.click()
            page.wait_for_selector("body.default", timeout=60_000)
            page.wait_for_timeout(1500)
            page.screenshot(path=DOCS / f"netron-{key}.png")
        print(f"wrote docs/netron-{key}.png")


def model_explorer_shot(saved_model: Path) -> None:
    if not MODEL_EXPLORER.exists():
        print(
            f"skipped Model Explorer: no {MODEL_EXPLORER} (python3 -m venv /tmp/me_venv && "
            "/tmp/me_venv/bin/pip install ai-edge-model-explorer tensorflow-cpu)"
        )
        return
    port = free_port()
    log = saved_model.parent / "model-explorer.log"
    command = [
        str(MODEL_EXPLORER),
        str(saved_model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no_open_in_browser",
    ]
    with serving(command, port, log), browser_page() as page:
        deadline = time.monotonic() + 60
        url = None
        while url is None and time.monotonic() < deadline:
            found = re.search(r"http://127\.0\.0\.1:\d+/\?data=\S+", log.read_text())
            url = found.group(0) if found else None
            time.sleep(0.5)
        page.goto(url or f"http://127.0.0.1:{port}/")
        page.wait_for_timeout(8000)
        page.screenshot(path=DOCS / "model-explorer-siamese_export.png")
    print("wrote docs/model-explorer-siamese_export.png")


if __name__ == "__main__":
    main()
