"""How every report is made, whichever call asks: read → annotate → values → findings.

1. **Read.** A saved target is read statically (`readers`), through a `Source`
   (local, or remote by range requests); a live model is walked (`live`). The
   reader's own findings (what the file's structure shows) come with it. With
   `load`, the file is read and checked first, Keras's own loader is refused the
   file when those checks found an error (unless `trust`), and the walk of the
   loaded model replaces the report, keeping the file's findings.
2. **Annotate** (`shapes`), on what the read made: shapes through the report's
   graphs, the names Keras gives weights, FLOPs, MACs and memory.
3. **Values**, only when asked for (`values`): each chosen weight's statistics,
   streamed from where the read found it (`analysis.read_values`); a weight whose
   values the file does not hold readably says why in a finding.
4. **Findings** (`analysis`), on the annotated report: the static checks of every
   layer's config and names, and of the training config; with values, the health
   of every weight read (`analysis.value_findings`).

The report's findings are listed by where they come from: the file's (the
reader's), the checks', then what annotating found (a shape the file stores
that Keras's rule contradicts), then the values' (unread, then unhealthy), then
the stages that failed.

A stage that fails on one layer (the graph pass at one call site, weight
naming, pricing, one static check) leaves that layer's fact unknown and the
report goes on; each failure becomes one finding naming the stage and the layer
(`STAGE_FAILED`, or `CHECK_FAILED` for a check, an error: an unchecked layer is
not known to be safe), with the exception's text only under `debug`. A failure
is always a bug in kerascope, never a verdict on the file: the test suite fails
on any.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kerascope.errors import KerascopeError
from kerascope.limits import DEFAULT_LIMITS, Limits
from kerascope.model.failures import Failures, StageFailure
from kerascope.model.findings import finding
from kerascope.model.records import Finding, ModelReport
from kerascope.model.vocabulary import Code, Format, Severity, Stage
from kerascope.targets import (
    CodeTarget,
    FileTarget,
    LiveTarget,
    RemoteTarget,
    ReportTarget,
    SavedTarget,
    Target,
    resolve_saved,
)


@dataclass(frozen=True)
class Request:
    """How a report is made. `config` pairs a weights file with the architecture it
    was saved from; `cache` keeps the bytes fetched from remote stores; `load` walks
    the model Keras's own loader makes of the file (`trust`: even a file the checks
    find unsafe); `input_shapes` and `batch_size` are the forward pass the costs
    assume; `debug` puts a failed stage's exception in its finding; `values` reads
    the weights' values of every layer (True) or of the layers a path, name, index
    or glob names."""

    load: bool = False
    trust: bool = False
    limits: Limits = DEFAULT_LIMITS
    input_shapes: dict[str | None, Any] | None = None
    batch_size: int | None = None
    config: Any = None
    cache: str | os.PathLike[str] | None = None
    debug: bool = False
    values: bool | str = False


@dataclass
class Made:
    """A report, and the live layer objects by path when it was walked live."""

    report: ModelReport
    objects: dict[str, Any] | None = None
    # The findings of the file read statically, when they were made before the walk (`load`).
    file_findings: list[Finding] | None = field(default=None, repr=False)
    # Where the file was read from: what it fetched is forgotten once the report is made.
    source: Any = field(default=None, repr=False)


def make_report(target: Target, request: Request) -> Made:
    """The report of a resolved target, read, annotated and checked. A report given
    as the target is returned as it is."""
    if isinstance(target, ReportTarget):
        return Made(target.report)
    failures = Failures()
    made = _read(target, request, failures)
    report = made.report
    derived = _annotate(report, request, failures)
    valued = _values(report, request)
    if made.source is not None:
        made.source.forget()  # a report holds no fetched bytes; values asked for later fetch theirs
    checked = made.file_findings if made.file_findings is not None else _check(report, failures)
    report.findings = [*checked, *derived, *valued, *failure_findings(failures.take(), request.debug)]
    return made


# -- 1. read -------------------------------------------------------------------------
def _read(target: Target, request: Request, failures: Failures) -> Made:
    if isinstance(target, CodeTarget):
        target = target.load()
    if isinstance(target, LiveTarget):
        from kerascope.live.walk import walk_live

        report, objects = walk_live(target.obj, target.source, request.limits)
        return Made(report, objects)
    from kerascope.readers import read

    config = _source(resolve_saved(request.config, "--config"), request.cache) if request.config else None
    source = _source(target, request.cache)
    report = read(source, request.limits, config)
    if not request.load:
        return Made(report, source=source)
    if isinstance(target, RemoteTarget):
        raise KerascopeError(f"{target.url}: --load reads local files only; download it first")
    # A check that failed is an error-level finding of the file: it refuses the load too.
    file_findings = _check(report, failures) + failure_findings(failures.take(), request.debug)
    live, objects = _load(target, report, file_findings, request.trust, request.limits)
    return Made(live, objects, file_findings)


def saved_source(given: Any, what: str, cache: str | os.PathLike[str] | None = None) -> Any:
    """The `Source` of a saved file or folder named by a path or a URL (`what` names
    the argument in an error)."""
    return _source(resolve_saved(given, what), cache)


def _source(target: SavedTarget, cache: str | os.PathLike[str] | None) -> Any:
    from kerascope.decoders.source import LocalSource, RemoteSource

    if isinstance(target, RemoteTarget):
        return RemoteSource(target.url, Path(cache) if cache is not None else None)
    return LocalSource(target.path)


def _load(
    target: FileTarget, report: ModelReport, file_findings: list[Finding], trust: bool, limits: Limits
) -> tuple[ModelReport, dict[str, Any]]:
    """The file through Keras's own loader, chosen by the Keras that wrote it (as the
    static `report` says), walked."""
    from kerascope.addressing.generations import report_loader
    from kerascope.live.loader import KERAS_2, KERAS_3, load_model
    from kerascope.live.walk import walk_live

    if not trust:
        unsafe = [f for f in file_findings if f.severity == Severity.ERROR]
        if unsafe:
            first = unsafe[0]
            where = f" at {first.path}" if first.path else ""
            more = f" (and {len(unsafe) - 1} more error-level findings)" if len(unsafe) > 1 else ""
            raise KerascopeError(
                f"{target.path}: not handed to Keras's loader: {first.code}{where}: {first.message}{more}; "
                "kerascope check lists them; --trust (trust=True) hands it to Keras anyway"
            )
    keras3 = report_loader(report).keras3 and report.format != Format.SAVEDMODEL
    package = KERAS_3 if keras3 else KERAS_2
    model = load_model(target.path, package, architecture_only=report.format == Format.JSON)
    return walk_live(model, str(target.path), limits)


# -- 2. annotate -----------------------------------------------------------------------
def _annotate(report: ModelReport, request: Request, failures: Failures) -> list[Finding]:
    """Shapes, weight names and costs filled in; the findings annotating made, apart."""
    from kerascope.shapes import annotate

    found, report.findings = report.findings, []
    try:
        annotate(report, request.input_shapes, request.batch_size, failures)
        return report.findings
    finally:
        report.findings = found


# -- 3. values ------------------------------------------------------------------------
def _values(report: ModelReport, request: Request) -> list[Finding]:
    """The chosen weights' statistics read into the report; the findings of the values
    that could not be read, then of those read."""
    if request.values is False:
        return []
    from kerascope.analysis import read_values, value_findings

    return read_values(report, request.values, request.limits) + value_findings(report)


# -- 4. findings ----------------------------------------------------------------------
def _check(report: ModelReport, failures: Failures) -> list[Finding]:
    """The report's findings with the static checks' added."""
    from kerascope.analysis import static_findings

    return static_findings(report, failures)


_UNKNOWN = {
    Stage.SHAPES: "its shapes are",
    Stage.WEIGHT_NAMES: "its weights' names are",
    Stage.COSTS: "its FLOPs, MACs and memory are",
}


def failure_findings(failures: list[StageFailure], debug: bool) -> list[Finding]:
    """One finding per failed stage and layer; the exception's text only under `debug`."""
    found = []
    for failure in failures:
        if failure.stage == Stage.CHECKS:
            code = Code.CHECK_FAILED
            what = f"the check of {failure.part or 'this layer'} failed on this layer, so it is not known to be safe"
        else:
            code = Code.STAGE_FAILED
            what = f"the {failure.stage} stage failed on this layer, so {_UNKNOWN[failure.stage]} unknown"
        found.append(finding(code, failure.path, f"{what}; {_reason(failure.error, debug)}"))
    return found


def _reason(error: Exception, debug: bool) -> str:
    if not debug:
        return "--debug (debug=True) shows the error"
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}{where}: {error}"
