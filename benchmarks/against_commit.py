"""The static read of today's kerascope against an earlier commit's, on the same files,
in the same run: each in its own child process (so neither imports the other's
modules), each timing `kerascope.inspect(path)` in-process after one warm-up.

The earlier commit is checked out once into benchmarks/.cache/commit-REV with
`git worktree` (its code only; it runs on this environment's packages, h5py
included). The default is the last commit before the renovation into formats,
families and one pipeline (1d810e7). The two alternate, round after round, so a
machine that gets busier or quieter part-way favours neither; each one's times of
every round are pooled. Target: no slowdown beyond 5 % (today's read also places
weights by Keras's own rules and predicts whether Keras would load them, which the
earlier commit did not).

    python benchmarks/against_commit.py [--base REV] [--repeat 15] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
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
print(json.dumps(times))
"""


def checkout(base: str) -> Path:
    """The source folder of commit `base`, checked out once."""
    folder = HERE / ".cache" / f"commit-{base}"
    if not folder.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(folder), base], cwd=ROOT, check=True)
    return folder / "src"


def timed(source: Path, path: Path, repeat: int) -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(source), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), str(repeat)], env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="1d810e7")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--models", nargs="+", default=["NASNetMobile", "ConvNeXtTiny"])
    args = parser.parse_args()
    earlier = checkout(args.base)
    for name in args.models:
        path = model_file(name)
        old: list[float] = []
        new: list[float] = []
        for _ in range(args.rounds):
            old += timed(earlier, path, args.repeat)
            new += timed(ROOT / "src", path, args.repeat)
        print(f"{name}: kerascope.inspect, in-process, {args.rounds} alternating rounds of {args.repeat}")
        for label, times in ((f"commit {args.base}", old), ("today", new)):
            print(
                f"  {label:14s}: best {min(times) * 1000:7.1f} ms, median {statistics.median(times) * 1000:7.1f} ms"
            )
        ratio = statistics.median(new) / statistics.median(old)
        print(f"  today / commit: {ratio:.2f}x (median; target <= 1.05x)")


if __name__ == "__main__":
    main()
