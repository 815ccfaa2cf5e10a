"""Screenshots of real models' HTML reports for the README, taken in headless Chromium.

python scripts/make_screenshots.py      (needs the test extras and Debian's chromium)
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import keras  # noqa: E402

import kerascope  # noqa: E402

from support.browser import open_page  # noqa: E402
from support.model_zoo import bert_classifier  # noqa: E402

DOCS = ROOT / "docs"


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        bert = Path(folder) / "bert.html"
        bert.write_text(kerascope.inspect(bert_classifier()).to_html())
        with open_page(bert, width=1400, height=760) as (page, _):
            page.fill("#search", "query")
            page.locator("#tree .row.sublayer:not(.hidden)").filter(has_text="EinsumDense").first.click()
            page.screenshot(path=DOCS / "report-kerashub-query.png")

        nasnet = Path(folder) / "nasnet.html"
        nasnet.write_text(kerascope.inspect(keras.applications.NASNetMobile(weights=None)).to_html())
        with open_page(nasnet, width=1400, height=760) as (page, _):
            page.click('nav.tabs button[data-tab="graph"]')
            page.screenshot(path=DOCS / "report-nasnet-graph.png")
    for name in ("report-kerashub-query.png", "report-nasnet-graph.png"):
        print(f"wrote docs/{name}")


if __name__ == "__main__":
    main()
