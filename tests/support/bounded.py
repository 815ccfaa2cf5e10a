"""The command run as a user runs it, in a child process under a memory cap, with
its wall time and peak memory measured by the operating system."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
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
    seconds: float
    peak_mib: float


def run_cli(argv: list[str], memory_mib: int = 1500, seconds: float = 120) -> Run:
    """`kerascope ARGV` with its address space capped at `memory_mib` (plus what the
    interpreter and its libraries map), its time and peak resident memory measured."""
    return run_python(["-m", "kerascope", *argv], memory_mib, seconds)


def run_python(argv: list[str], memory_mib: int = 1500, seconds: float = 120) -> Run:
    """`python ARGV`, capped and measured as `run_cli` runs the command."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, str(memory_mib + 1000), *argv],
        capture_output=True,
        text=True,
        timeout=seconds,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    return Run(result["code"], result["out"], result["err"], elapsed, result["peak"])


def one_line_error(run: Run, message: str) -> None:
    """Exit 2, nothing on stdout, one line on stderr holding `message`."""
    assert run.returncode == 2, run.stderr
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr, run.stderr
    assert message in run.stderr, run.stderr


def assert_bounded(run: Run, seconds: float = 5.0, memory_mib: float = 300.0) -> None:
    """The command finished within `seconds` and `memory_mib` of peak resident memory."""
    assert run.seconds < seconds, f"took {run.seconds:.1f} s"
    assert run.peak_mib < memory_mib, f"peaked at {run.peak_mib:.0f} MiB"
