"""What the shape engine adds to a static read: `kerascope.shapes.annotate` (shapes,
weight names, FLOPs, memory) against the rest of the pipeline (the reader before it,
the static checks after it, as `kerascope.inspect` runs them), in one process, on
the same file, in the same run. Target: the engine adds at most 10 % to the read of
NASNetMobile (about 770 layers, 1,100 weights).

    python benchmarks/shape_engine.py [--repeat 15] [--model NASNetMobile]

The model file is built with Keras on first use (in a child process, so this
process imports no framework) and kept in benchmarks/.cache/.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
BUILD = """
import sys, keras
model = getattr(keras.applications, sys.argv[1])(weights=None)
model.save(sys.argv[2])
"""


def model_file(name: str) -> Path:
    path = CACHE / f"{name}.keras"
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
        subprocess.run([sys.executable, "-c", BUILD, name, str(path)], check=True, env=env)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--model", default="NASNetMobile")
    args = parser.parse_args()
    path = model_file(args.model)

    from kerascope.analysis import static_findings
    from kerascope.readers import read_path
    from kerascope.shapes import annotate

    # What `kerascope.inspect` does for a file, stage by stage: the read, the engine on
    # that fresh report, then the static checks.
    reads, engines = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        report = read_path(path)
        read = time.perf_counter()
        annotate(report)
        annotated = time.perf_counter()
        report.findings = static_findings(report)
        done = time.perf_counter()
        reads.append(read - start + done - annotated)
        engines.append(annotated - read)
    read_time, engine_time = statistics.median(reads), statistics.median(engines)
    ratio = engine_time / read_time
    print(f"{args.model}: {len(report.layers)} layers, {report.root.flops:,} FLOPs at batch 1")
    print(f"static read  {read_time * 1000:8.1f} ms (median of {args.repeat})")
    print(f"shape engine {engine_time * 1000:8.1f} ms (median of {args.repeat})")
    print(f"engine / read = {ratio:.3f} (target <= 0.10): {'ok' if ratio <= 0.10 else 'OVER'}")
    return 0 if ratio <= 0.10 else 1


if __name__ == "__main__":
    sys.exit(main())
