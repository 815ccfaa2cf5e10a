"""Is `diff` linear in the number of layers? Two Sequentials of N Dense layers whose
names all differ (the case that made the structural match quadratic), diffed at
1k, 10k and 100k layers in one run: the time per layer must stay flat (at 100k
within 1.5x of 1k). Beside it, the same reports' JSON round trip, a linear
baseline measured in the same run, and difflib's matcher on the 10k class lists
(what the match cost before).

    python benchmarks/diff_layers.py [--sizes 1000,10000,100000]
"""

from __future__ import annotations

import argparse
import difflib
import time

from kerascope.analysis.diff import diff_reports
from kerascope.limits import Limits
from kerascope.model.records import LayerNode, ModelReport, WeightInfo
from kerascope.model.tree import LayerTree
from kerascope.model.vocabulary import Format, Role

LIMITS = Limits(max_layers=1_000_000)


def sequential(count: int, prefix: str, units: int = 2) -> ModelReport:
    """A report of a Sequential of `count` Dense layers named `prefix_i`."""
    root = LayerNode(path="", name="big", class_name="Sequential", role=Role.MODEL, config={"name": "big"})
    tree = LayerTree(root, LIMITS)
    for index in range(count):
        tree.add(
            root,
            f"{prefix}_{index}",
            class_name="Dense",
            module="keras.layers",
            index=index,
            config={"name": f"{prefix}_{index}", "units": units, "activation": "linear", "use_bias": True},
            weights=[
                WeightInfo("kernel", [units, units], "float32"),
                WeightInfo("bias", [units], "float32"),
            ],
        )
    tree.sum_params()
    return tree.report(f"{prefix}.keras", Format.KERAS)


def best_of(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,100000")
    sizes = [int(size) for size in parser.parse_args().sizes.split(",")]
    per_layer = {}
    print(
        f"{'layers':>8} {'diff s':>8} {'per layer µs':>13} {'JSON round trip s':>18} {'diff / round trip':>18}"
    )
    for count in sizes:
        a, b = sequential(count, "left"), sequential(count, "right")
        runs = 3 if count <= 10_000 else 1
        seconds = best_of(runs, lambda a=a, b=b: diff_reports(a, b))
        baseline = best_of(runs, lambda a=a: ModelReport.from_json(a.to_json()))
        per_layer[count] = seconds / count
        print(
            f"{count:>8,} {seconds:>8.3f} {seconds / count * 1e6:>13.2f} {baseline:>18.3f} {seconds / baseline:>18.2f}"
        )
    first, last = min(sizes), max(sizes)
    print(
        f"per-layer time at {last:,} vs {first:,}: {per_layer[last] / per_layer[first]:.2f}x (flat: within 1.5x)"
    )
    classes = ["Dense"] * 10_000
    quadratic = best_of(
        1, lambda: difflib.SequenceMatcher(a=classes, b=classes, autojunk=False).get_matching_blocks()
    )
    print(f"difflib's matcher alone on 10,000 equal classes (the match before): {quadratic:.2f} s")


if __name__ == "__main__":
    main()
