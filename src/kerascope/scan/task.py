"""What a worker does with one model: hash it, check it, and flatten the result into catalog rows.

Runs in a worker process (see `worker.py`), never in the scanning process: a
file may hang native code or exhaust memory, and only a process can be fenced.
The model is read through the public API (`kerascope.check`), statically:
nothing in the file is imported or run. The reply is plain JSON data.
"""

from __future__ import annotations

import time
from typing import Any

from kerascope.api import check
from kerascope.errors import KerascopeError, TimeLimitExceeded, one_line
from kerascope.limits import Limits, time_limit
from kerascope.model.records import ModelReport, short_name
from kerascope.model.results import CheckResult
from kerascope.model.vocabulary import Code
from kerascope.scan.fingerprint import content_hash
from kerascope.scan.sources import filesystem
from kerascope.views import COLUMNS, shape_text

LAYER_COLUMNS = (
    "path",
    "name",
    "class",
    "module",
    "role",
    "depth",
    "params",
    "output_shape",
    "macs",
    "flops",
    "config",
)
_CUSTOM_CODES = (Code.CUSTOM_CLASS, Code.FOREIGN_MODULE)


def read_model(request: dict[str, Any]) -> dict[str, Any]:
    """The catalog facts of the model `request` names, or the one-line reason it has none.

    `request`: `path`, `protocol`, `is_dir`, `known_sha256` (the catalogued hash:
    when the content still has it, the model is not read again), `limits` (a
    `Limits` as a dict) and `time_limit` (seconds, for hashing and reading).
    """
    started = time.monotonic()
    path, protocol = request["path"], request["protocol"]
    reply: dict[str, Any] = {"sha256": None, "bytes_read": None}
    try:
        with time_limit(request["time_limit"]):
            reply["sha256"] = content_hash(filesystem(protocol), path, request["is_dir"])
            if reply["sha256"] == request.get("known_sha256"):
                return {**reply, "unchanged": True, "seconds": time.monotonic() - started}
            before = read_counter()
            try:
                result = check(path, limits=Limits(**request["limits"]), values=request.get("values", False))
                reply.update(describe(result))
            finally:
                after = read_counter()
                if before is not None and after is not None:
                    reply["bytes_read"] = after[0] - before[0] - before[1]
            if result.report.bytes_fetched is not None:  # a URL: what the store sent, not the disk
                reply["bytes_read"] = result.report.bytes_fetched
    except KerascopeError as error:
        reply["error"] = without_path(str(error), path)
    except TimeLimitExceeded as error:
        reply["error"] = one_line(str(error))
    except MemoryError:
        reply["error"] = "ran out of memory reading it (the memory limit; raise it with --max-memory)"
    except OSError as error:
        reply["error"] = one_line(f"cannot be read ({error.strerror or error})")
    reply["seconds"] = time.monotonic() - started
    return reply


def without_path(message: str, path: str) -> str:
    """The reason alone: the catalog row already names the path that errors start with."""
    prefix = f"{path}: "
    return one_line(message[len(prefix) :] if message.startswith(prefix) else message)


def describe(result: CheckResult) -> dict[str, Any]:
    """The model's row, its layers' rows and its findings' rows."""
    report = result.report
    worst = result.worst()
    return {
        "model": {
            "format": report.format.value,
            "keras_version": report.keras_version,
            "backend": report.backend,
            "model_name": report.root.name,
            "root_class": report.root.class_name,
            "layer_count": len(report.layers),
            "param_count": report.total_params,
            "flops": report.root.flops,
            "classes": sorted({node.class_name for node in report.nodes if node.class_name}),
            "custom_classes": custom_classes(result),
            "finding_count": len(result.findings),
            "worst_severity": None if worst is None else worst.value,
        },
        "layers": [[COLUMNS[column](node) for column in LAYER_COLUMNS] for node in report.layers],
        "weights": weight_rows(report),
        "findings": [
            [
                finding.code.value,
                finding.severity.value,
                finding.path,
                finding.message,
                finding.hint,
                finding.subject,
            ]
            for finding in result.findings
        ],
    }


def weight_rows(report: ModelReport) -> list[list[Any]]:
    """A row per weight whose values were read: its layer, name (or `#position`),
    position, shape, dtype and statistics, as the catalog's `weights` table holds them."""
    rows = []
    for node in report.nodes:
        for position, weight in enumerate(node.weights):
            stats = weight.stats
            if stats is None:
                continue
            rows.append(
                [
                    node.path,
                    short_name(weight) or f"#{position}",
                    position,
                    shape_text(weight.shape),
                    weight.dtype,
                    stats["count"],
                    *(
                        None if stats[key] is None else float(stats[key])
                        for key in ("min", "max", "mean", "std")
                    ),
                    stats["nan"],
                    stats["inf"],
                    stats["zeros"],
                ]
            )
    return rows


def custom_classes(result: CheckResult) -> list[str]:
    """Every custom class (or function) a CUSTOM_CLASS or FOREIGN_MODULE finding names,
    sorted: a class from a module outside Keras as `module.Name`, one registered in a
    script as registered (`package>Name`), and a name a Keras 1 or 2 config gives with
    no module (a custom layer `ResNet`, a custom loss), as the file names it."""
    return sorted({f.subject for f in result.findings if f.code in _CUSTOM_CODES and f.subject})


def read_counter() -> tuple[int, int] | None:
    """`(bytes this thread has read through system calls, bytes of this reading of the
    counter)` on Linux, or None where unknown. `after - before - before's own` is then
    exactly what was read in between."""
    try:
        with open("/proc/thread-self/io", "rb", buffering=0) as stream:
            data = stream.read()
    except OSError:
        return None
    for line in data.splitlines():
        if line.startswith(b"rchar:"):
            return int(line.split()[1]), len(data)
    return None
