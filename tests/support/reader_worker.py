"""A separate interpreter that reads files for the fuzz tests, one per request: the
report, then every weight's values.

It never imports a framework, so a native hang or crash in it cannot take the
test process down: the test kills and restarts it and reports what happened.
"""

from __future__ import annotations

import subprocess
import sys
import threading

_WORKER = r"""
import sys, traceback
from pathlib import Path
from kerascope.errors import KerascopeError
from kerascope.readers import read_path
def read_values(report):  # every weight's values, as --values reads them: a value or one error each
    for node in report.nodes:
        for weight in node.weights:
            try:
                weight.read_stats()
            except KerascopeError:
                pass

for line in sys.stdin:
    try:
        report = read_path(Path(line.strip()))
        report.to_json()
        read_values(report)
        answer = "ok"
    except KerascopeError:
        answer = "error"
    except BaseException as error:
        answer = "crash " + repr(error).replace("\n", " ")[:500]
    print(answer, flush=True)
"""


class ReaderWorker:
    def __init__(self, timeout: float = 120.0) -> None:
        """`timeout`: when a read is taken for a hang. Reads take a fraction of a second;
        the margin is for a machine busy with other work, never a measure of speed."""
        self.timeout = timeout
        self.process: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
            )
        return self.process

    def read(self, path: str) -> str:
        """ "ok", "error" (a one-line KerascopeError), "crash ...", or "timeout"."""
        process = self._start()
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(path + "\n")
        process.stdin.flush()
        answer: list[str] = []
        reader = threading.Thread(target=lambda: answer.append(process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.timeout)
        if not answer:
            self.close()
            return "timeout"
        if not answer[0]:
            self.close()
            return "crash worker died"
        return answer[0].strip()

    def close(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None
