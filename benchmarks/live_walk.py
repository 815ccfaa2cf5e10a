"""How much the live walk costs over Keras's own per-layer `get_config()`.

Baseline, measured in the same process on the same model:
    [layer.get_config() for layer in model._flatten_layers()]
kerascope's walk also records shapes, weights, parameter counts and links, and
makes every config JSON-safe. Target: at most 2x the baseline.

    python benchmarks/live_walk.py [--model NASNetMobile] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def best_of(repeat: int, work) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="NASNetMobile", help="a keras.applications model name")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import keras

    from kerascope.live.walk import inspect_live

    model = getattr(keras.applications, args.model)(weights=None)
    layer_count = len(model._flatten_layers(include_self=False))

    baseline_best, baseline_median = best_of(
        args.repeat, lambda: [layer.get_config() for layer in model._flatten_layers()]
    )
    walk_best, walk_median = best_of(args.repeat, lambda: inspect_live(model))

    print(f"model: {args.model} ({layer_count} layers), Keras {keras.__version__}")
    print(
        f"baseline get_config walk: best {baseline_best * 1000:.1f} ms, median {baseline_median * 1000:.1f} ms"
    )
    print(f"kerascope live walk:      best {walk_best * 1000:.1f} ms, median {walk_median * 1000:.1f} ms")
    print(f"ratio (best): {walk_best / baseline_best:.2f}x  (target <= 2.00x)")


if __name__ == "__main__":
    main()
