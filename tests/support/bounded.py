"""The command run as a user runs it, in a child process under a memory cap, its peak
memory measured by the operating system and its time bounded by the budget kerascope
enforces and reports (`--time-limit`): no test here reads a clock."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass

_WRAPPER = textwrap.dedent(
    """
    import json, resource, subprocess, sys
    cap = int(sys.argv[1]) << 20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    done = subprocess.run([sys.executable, *sys.argv[2:]], capture_output=True, text=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"code": done.returncode, "out": done.stdout, "err": done.stderr, "peak": peak}))
    """
)


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    peak_mib: float


# The time a command may take, enforced and reported by kerascope (`--time-limit`): far
# above what the hostile inputs take to read or refuse (a second or two), far below what
# the loops and allocations they ask for would take.
BUDGET = 60


def run_cli(argv: list[str], memory_mib: int = 1500, seconds: float = 120) -> Run:
    """`kerascope ARGV` with its address space capped at `memory_mib` (plus what the
    interpreter and its libraries map), its peak resident memory measured, within the
    time budget the command enforces (`--time-limit BUDGET`, unless ARGV sets one);
    `seconds` only ends a child that hangs where the budget cannot reach (native code)."""
    budget = [] if "--time-limit" in argv else ["--time-limit", str(BUDGET)]
    return run_python(["-m", "kerascope", *argv, *budget], memory_mib, max(seconds, 2 * BUDGET))


def run_python(argv: list[str], memory_mib: int = 1500, seconds: float = 120) -> Run:
    """`python ARGV`, capped and measured as `run_cli` runs the command."""
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, str(memory_mib + 1000), *argv],
        capture_output=True,
        text=True,
        timeout=seconds,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    return Run(result["code"], result["out"], result["err"], result["peak"])


def one_line_error(run: Run, message: str) -> None:
    """Exit 2, nothing on stdout, one line on stderr holding `message`."""
    assert run.returncode == 2, run.stderr
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr, run.stderr
    assert message in run.stderr, run.stderr


def assert_bounded(run: Run, memory_mib: float = 300.0) -> None:
    """The command ended within its time budget (kerascope's own limit, which says when
    it gives up: a test reads no clock) and peaked within `memory_mib` of resident memory."""
    assert "(the time limit" not in run.stderr, run.stderr
    assert run.peak_mib < memory_mib, f"peaked at {run.peak_mib:.0f} MiB"


def fastest(work: Callable[[], object], repeat: int = 2) -> float:
    """The shortest of `repeat` runs of `work`, in seconds: one side of a ratio against a
    baseline measured in the same run, never a figure judged alone."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)
