"""The public calls: resolve each target once, make its report, then analyse.

Analyses receive reports (and, for live checks, the live objects), never raw
targets. Every call takes `limits` and `time_limit`; the time limit is enforced
in-process, and a call that runs out of time raises one `KerascopeError`.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kerascope.errors import KerascopeError, TimeLimitExceeded
from kerascope.limits import DEFAULT_LIMITS, Limits, time_limit
from kerascope.model.records import ModelReport
from kerascope.model.results import CheckResult, ModelDiff
from kerascope.model.vocabulary import Format, Severity
from kerascope.targets import (
    CodeTarget,
    FileTarget,
    LiveTarget,
    RemoteTarget,
    ReportTarget,
    SavedTarget,
    Target,
    resolve,
    resolve_saved,
)


@dataclass(frozen=True)
class Reading:
    """How a saved target is read: the architecture a weights file is paired with,
    and a folder keeping the bytes fetched from remote stores."""

    config: Any = None
    cache: str | os.PathLike[str] | None = None


def inspect(
    target: Any,
    *,
    load: bool = False,
    trust: bool = False,
    limits: Limits | None = None,
    time_limit: float | None = None,
    input_shapes: dict[str | None, Any] | None = None,
    batch_size: int | None = None,
    config: Any = None,
    cache: str | os.PathLike[str] | None = None,
) -> ModelReport:
    """One report of `target`: a Keras model or layer, a saved file or folder (a
    KerasHub preset among them), a URL (`https://`, `s3://`, `gs://`, `hf://`), or
    `module:attr`.

    A file is read statically: nothing in it is imported or run; a URL by range
    requests, metadata only, the bytes fetched kept in `cache` when one is given.
    `config` (a `.keras`, `config.json` or `model.to_json()` file) pairs a weights
    file with the architecture it was saved from. `load=True`
    reads it through Keras's own loader instead and walks the live model, for
    users who have the custom classes' code; a file with error-level findings
    (Lambda bytecode, foreign callables) is refused unless `trust=True`.
    `limits` bound what a read takes from a file; `time_limit` (seconds) bounds
    how long the whole call may take. Shapes, weight names, FLOPs and memory are
    derived for one forward pass at `batch_size` (default 1) and `input_shapes`
    (`{"input name": [None, 224, 224, 3]}`; the key None for a single input).
    """
    with _bounded(target, time_limit):
        reading = Reading(config, cache)
        report = _report(
            resolve(target), load, trust, limits or DEFAULT_LIMITS, input_shapes, batch_size, reading
        )
        return report[0]


def diff(
    a: Any,
    b: Any,
    *,
    normalize: bool = True,
    ignore: list[str] | None = None,
    load: bool = False,
    trust: bool = False,
    limits: Limits | None = None,
    time_limit: float | None = None,
    cache: str | os.PathLike[str] | None = None,
) -> ModelDiff:
    """What changed from `a` to `b`: each a file, a URL, a live model or a `module:attr` reference."""
    from kerascope.analysis.diff import diff_reports

    chosen = limits or DEFAULT_LIMITS
    with _bounded(a, time_limit):
        reading = Reading(cache=cache)
        reports = [_report(resolve(target), load, trust, chosen, reading=reading)[0] for target in (a, b)]
        return diff_reports(*reports, normalize=normalize, ignore=ignore)


def check(
    target: Any,
    *,
    load: bool = False,
    trust: bool = False,
    limits: Limits | None = None,
    time_limit: float | None = None,
    config: Any = None,
    cache: str | os.PathLike[str] | None = None,
) -> CheckResult:
    """Findings for `target`. A file is checked statically (nothing runs); a live
    model, a `module:attr` reference or `load=True` adds the live checks, which
    run each layer's own `get_config`/`from_config`."""
    with _bounded(target, time_limit):
        reading = Reading(config, cache)
        report, objects = _report(resolve(target), load, trust, limits or DEFAULT_LIMITS, reading=reading)
        if objects is None:
            return CheckResult(report, list(report.findings))
        from kerascope.analysis.live_checks import live_findings

        return CheckResult(report, report.findings + live_findings(report, objects), live=True)


@contextmanager
def _bounded(target: Any, seconds: float | None) -> Iterator[None]:
    """The time limit, turned into one error naming what was being read.

    Python's cycle collector is paused meanwhile: a report is hundreds of thousands
    of small objects, and each collection walks all that are alive, which makes a
    100 000-layer read a third slower per layer than a 1 000-layer one. What the
    call leaves behind is collected as usual once it returns."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        with time_limit(seconds):
            yield
    except TimeLimitExceeded as error:
        if isinstance(target, (str, os.PathLike)):
            name = os.fspath(target)
        else:
            name = getattr(target, "source", None) or f"<live {type(target).__name__}>"
        raise KerascopeError(f"{name}: {error}") from None
    finally:
        if collecting:
            gc.enable()


def _report(
    target: Target,
    load: bool,
    trust: bool,
    limits: Limits,
    input_shapes: dict[str | None, Any] | None = None,
    batch_size: int | None = None,
    reading: Reading = Reading(),
) -> tuple[ModelReport, dict[str, Any] | None]:
    """The report of a resolved target, and the live layer objects by path when it
    was walked live. Every report comes out the same way, whichever call asked:
    with the static findings of its configs, and with shapes and costs derived."""
    from kerascope.analysis.static_checks import static_findings
    from kerascope.shapes import annotate

    if isinstance(target, ReportTarget):
        return target.report, None
    objects = None
    if isinstance(target, CodeTarget):
        target = target.load()
    if isinstance(target, LiveTarget):
        from kerascope.live.walk import walk_live

        report, objects = walk_live(target.obj, target.source, limits)
        report.findings = static_findings(report)
    else:
        from kerascope.readers import read

        config = _source(resolve_saved(reading.config, "--config"), reading.cache) if reading.config else None
        report = read(_source(target, reading.cache), limits, config)
        report.findings = static_findings(report)
        if load:
            if isinstance(target, RemoteTarget):
                raise KerascopeError(f"{target.url}: --load reads local files only; download it first")
            report, objects = _load(target, report, trust, limits)
    return annotate(report, input_shapes=input_shapes, batch_size=batch_size), objects


def _source(target: SavedTarget, cache: str | os.PathLike[str] | None) -> Any:
    from kerascope.decoders.source import LocalSource, RemoteSource

    if isinstance(target, RemoteTarget):
        return RemoteSource(target.url, Path(cache) if cache is not None else None)
    return LocalSource(target.path)


def _load(
    target: FileTarget, report: ModelReport, trust: bool, limits: Limits
) -> tuple[ModelReport, dict[str, Any]]:
    """The file through Keras's own loader, chosen by the Keras that wrote it; the
    report keeps what the static read found in the file."""
    from kerascope.live.loader import KERAS_2, KERAS_3, load_model
    from kerascope.live.walk import walk_live

    if not trust:
        unsafe = [f for f in report.findings if f.severity == Severity.ERROR]
        if unsafe:
            raise KerascopeError(
                f"{target.path}: not loaded: {unsafe[0].code} ({len(unsafe)} error-level finding"
                f"{'s' if len(unsafe) != 1 else ''}; see kerascope check); pass --trust to load it anyway"
            )
    written_by_keras_3 = (report.keras_version or "").startswith("3") or report.format == Format.KERAS
    package = KERAS_3 if written_by_keras_3 and report.format != Format.SAVEDMODEL else KERAS_2
    model = load_model(target.path, package, architecture_only=report.format == Format.JSON)
    live, objects = walk_live(model, str(target.path), limits)
    live.findings = report.findings  # what the file itself holds, found by reading it
    return live, objects
