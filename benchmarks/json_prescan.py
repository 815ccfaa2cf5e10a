"""How long the JSON pre-scan (`decoders/json_text.check_structure`) takes on 1 MB of
the worst case for a backtracking scanner, an unterminated run of `\\"`, beside 1 MB
of an ordinary Keras config; and, in the same run, the regular expression it
replaced on the worst case, at sizes doubling until one takes a second.

Target: the worst case no slower than twice the ordinary config (the pre-scan is
linear whatever the text), where the old expression grows with the square of the
length (46 KiB took it 10 s).

    python benchmarks/json_prescan.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable

from kerascope.decoders.json_text import check_structure
from kerascope.limits import Limits

MB = 1 << 20
# The expression the pre-scan used before: "unrolled", yet quadratic on `"\"\"\"...`,
# because each failed match restarts at the next quote.
OLD_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


def worst_case(size: int) -> str:
    """A string opened and never closed, holding only escaped quotes."""
    return '{"name": "' + '\\"' * (size // 2)


def ordinary(size: int) -> str:
    """A functional model's config.json, Dense layers chained, cut to `size` characters."""
    layer = {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {
            "name": "dense",
            "units": 32,
            "activation": "relu",
            "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        },
        "inbound_nodes": [
            {
                "args": [
                    {
                        "class_name": "__keras_tensor__",
                        "config": {"shape": [None, 32], "dtype": "float32", "keras_history": ["d", 0, 0]},
                    }
                ],
                "kwargs": {},
            }
        ],
    }
    one = json.dumps(layer)
    body = ", ".join([one] * (size // len(one) + 1))
    return ('{"class_name": "Functional", "config": {"layers": [' + body + "]}}")[:size]


def best_of(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    limits = Limits(max_json_items=1 << 40)
    worst, plain = worst_case(MB), ordinary(MB)
    worst_time = best_of(args.repeat, lambda: check_structure(worst, "worst", limits))
    plain_time = best_of(args.repeat, lambda: check_structure(plain, "ordinary", limits))
    print(f"pre-scan, 1 MB worst case for a backtracking scanner: {worst_time * 1000:8.2f} ms")
    print(f"pre-scan, 1 MB ordinary config.json:                  {plain_time * 1000:8.2f} ms")
    print(f"ratio worst / ordinary: {worst_time / plain_time:.2f} (target <= 2)")
    old_plain = best_of(args.repeat, lambda: OLD_STRING.sub('""', plain))
    print(f"old regular expression alone, 1 MB ordinary config:  {old_plain * 1000:8.2f} ms")
    print("old regular expression on the worst case:")
    size, previous = 2048, None
    while True:
        text = worst_case(size)
        taken = best_of(1, lambda text=text: OLD_STRING.sub('""', text))
        growth = f"  x{taken / previous:.1f} for twice the text" if previous else ""
        print(f"  {size / 1024:6.0f} KiB: {taken * 1000:10.1f} ms{growth}")
        if taken > 1.0:
            break
        size, previous = size * 2, taken
    projected = taken * (MB / size) ** 2  # quadratic: twice the text, four times the time
    print(f"  1 MB projected from the last size: {projected / 3600:.1f} hours")


if __name__ == "__main__":
    main()
