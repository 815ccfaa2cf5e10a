"""The static read of today's kerascope against an earlier commit's, on the same files,
in the same run: each in its own child process (so neither imports the other's
modules), each timing `kerascope.inspect(path)` in-process after one warm-up.

The earlier commit is checked out once into benchmarks/.cache/commit-REV with
`git worktree` (its code only; it runs on this environment's packages, h5py
included). The default is the last commit before the readers moved to one tree
and pyfive. Target: today's read at least 30 % faster on NASNetMobile.

    python benchmarks/against_commit.py [--base REV] [--repeat 15]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from shape_engine import model_file  # noqa: E402 - a benchmark beside this one builds the model files

MEASURE = """
import json, statistics, sys, time
from pathlib import Path
import kerascope
path, repeat = Path(sys.argv[1]), int(sys.argv[2])
kerascope.inspect(path)
times = []
for _ in range(repeat):
    start = time.perf_counter()
    kerascope.inspect(path)
    times.append(time.perf_counter() - start)
print(json.dumps([min(times), statistics.median(times)]))
"""


def checkout(base: str) -> Path:
    """The source folder of commit `base`, checked out once."""
    folder = HERE / ".cache" / f"commit-{base}"
    if not folder.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(folder), base], cwd=ROOT, check=True)
    return folder / "src"


def timed(source: Path, path: Path, repeat: int) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(source), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), str(repeat)], env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(done.stderr)
    best, median = json.loads(done.stdout.splitlines()[-1])
    return best, median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="3c60aa4")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--models", nargs="+", default=["NASNetMobile", "ConvNeXtTiny"])
    args = parser.parse_args()
    earlier = checkout(args.base)
    for name in args.models:
        path = model_file(name)
        old_best, old_median = timed(earlier, path, args.repeat)
        new_best, new_median = timed(ROOT / "src", path, args.repeat)
        print(f"{name}: kerascope.inspect, in-process")
        print(f"  commit {args.base}: best {old_best * 1000:7.1f} ms, median {old_median * 1000:7.1f} ms")
        print(f"  today        : best {new_best * 1000:7.1f} ms, median {new_median * 1000:7.1f} ms")
        faster = 1 - new_median / old_median
        print(f"  today is {faster:.1%} faster (median; target >= 30% on NASNetMobile)")


if __name__ == "__main__":
    main()
