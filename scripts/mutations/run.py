"""Which tests fail when a reader loses a fact: for each format and each fact it
stores, blank that fact in every report of that format (`blank_facts.py`) and run
the tests that read files. A mutation no test notices is a hole in the suite.
Each run stops at the first test that catches it (the corpus tests, which build
nothing, go first), so the table names one catching test, not how many there are.

    python scripts/mutations/run.py [--formats keras,h5] [--facts configs,weights]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TESTS = [
    "tests/test_corpus.py",
    "tests/test_static_parity.py",
    "tests/test_shapes.py",
    "tests/test_keras3_weights.py",
    "tests/test_presets.py",
    "tests/test_orbax.py",
    "tests/test_savedmodel_variables.py",
    "tests/test_views.py",
]
# What each format stores, and so what a reader of it could lose.
STORED = {
    "keras": ["layers", "classes", "configs", "shapes", "links", "weights"],
    "keras-folder": ["layers", "classes", "configs", "links", "weights"],
    "keras-weights": ["layers", "classes", "configs", "links", "weights"],
    "keras-hub-preset": ["layers", "classes", "configs", "weights"],
    "h5": ["layers", "classes", "configs", "shapes", "links", "weights"],
    "h5-weights": ["layers", "weights"],
    "savedmodel": ["layers", "classes", "configs", "shapes", "links", "weights"],
    "savedmodel-export": ["weights"],
    "json": ["layers", "classes", "configs", "shapes", "links"],
    "tfjs": ["layers", "classes", "configs", "links", "weights"],
    "transformers-config": ["layers", "configs", "weights"],
    "orbax-checkpoint": ["layers", "classes", "configs", "links", "weights"],
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--formats", default=",".join(STORED))
    parser.add_argument("--facts", default="")
    args = parser.parse_args()
    wanted_facts = set(filter(None, args.facts.split(",")))
    print("| format | fact blanked | first test that fails |\n|---|---|---|")
    for fmt in args.formats.split(","):
        for fact in STORED[fmt]:
            if wanted_facts and fact not in wanted_facts:
                continue
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "-q",
                    "-p",
                    "blank_facts",
                    "-p",
                    "no:cacheprovider",
                    "-x",
                    *TESTS,
                ],
                cwd=ROOT,
                env={**os.environ, "KERASCOPE_MUTATION": f"{fmt}:{fact}", "PYTHONPATH": str(HERE)},
                capture_output=True,
                text=True,
            )
            failed = re.findall(r"^(?:FAILED|ERROR) (\S+?)(?: - |$)", done.stdout, re.MULTILINE)
            if failed:
                caught = failed[0][:90]
            elif done.returncode == 0:
                caught = "NONE CAUGHT IT"
            else:  # not a test failing: the run itself broke, which proves nothing
                caught = f"RUN BROKE (pytest exit {done.returncode})"
            print(f"| {fmt} | {fact} | {caught} |", flush=True)


if __name__ == "__main__":
    main()
