"""The public calls: resolve each target once, make its report (`pipeline`), then analyse.

Analyses receive reports (and, for live checks, the live objects), never raw
targets. Every call takes `limits` and `time_limit`; the time limit is enforced
in-process, and a call that runs out of time raises one `KerascopeError`.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kerascope.errors import KerascopeError, TimeLimitExceeded
from kerascope.limits import DEFAULT_LIMITS, Limits, time_limit
from kerascope.model.records import ModelReport
from kerascope.model.results import CheckResult, LoadCheck, ModelDiff
from kerascope.pipeline import Request, make_report
from kerascope.targets import resolve


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
    debug: bool = False,
    values: bool | str = False,
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
    A step that fails on one layer leaves that layer's fact unknown and adds a
    finding (`STAGE_FAILED`, `CHECK_FAILED`); `debug=True` puts the error in it.

    `values=True` reads every weight's values, one tensor at a time and streamed,
    into its `stats` (count, min, max, mean, std, nan, inf, zeros), and adds the
    health findings (`NAN_WEIGHTS`, `ZERO_WEIGHTS`, ...); a layer's path, name,
    index or a glob reads only those layers' (a URL then fetches only their bytes).
    Without it no value is read; `report.array(layer, weight)` (or
    `weight.array()`) reads one weight's values whenever asked, from its file.
    """
    request = Request(
        load, trust, limits or DEFAULT_LIMITS, input_shapes, batch_size, config, cache, debug, values
    )
    with _bounded(target, time_limit):
        return make_report(resolve(target), request).report


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
    debug: bool = False,
    values: bool = False,
) -> ModelDiff:
    """What changed from `a` to `b`: each a file, a URL, a live model or a `module:attr` reference.

    `values=True` also compares the weights' values, tensor by tensor, paired through
    the layers the diff matches: each tensor `same` (bit-identical), `max_abs_diff`
    and `rel_l2` (‖B−A‖₂ / ‖A‖₂), and each layer's change, largest first."""
    from kerascope.analysis import compare_values, diff_reports

    limits = limits or DEFAULT_LIMITS
    request = Request(load, trust, limits, cache=cache, debug=debug)
    with _bounded(a, time_limit):
        reports = [make_report(resolve(target), request).report for target in (a, b)]
        found = diff_reports(*reports, normalize=normalize, ignore=ignore)
        if values:
            found.values = compare_values(*reports, found.pairs, limits)
        return found


def check(
    target: Any,
    *,
    load: bool = False,
    trust: bool = False,
    limits: Limits | None = None,
    time_limit: float | None = None,
    config: Any = None,
    cache: str | os.PathLike[str] | None = None,
    debug: bool = False,
    values: bool | str = False,
) -> CheckResult:
    """Findings for `target`. A file is checked statically (nothing runs); a live
    model, a `module:attr` reference or `load=True` adds the live checks, which
    run each layer's own `get_config`/`from_config`. `values=True` reads every
    weight's values and adds their health findings (NaN, infinities, zeros,
    constants, scale outliers), as `inspect` does."""
    request = Request(
        load, trust, limits or DEFAULT_LIMITS, config=config, cache=cache, debug=debug, values=values
    )
    with _bounded(target, time_limit):
        made = make_report(resolve(target), request)
        if made.objects is None:
            return CheckResult(made.report, list(made.report.findings))
        from kerascope.analysis import live_findings

        return CheckResult(
            made.report, made.report.findings + live_findings(made.report, made.objects), live=True
        )


def load_check(
    weights: Any,
    into: Any = None,
    *,
    by_name: bool = False,
    skip_mismatch: bool = False,
    keras: str | None = None,
    limits: Limits | None = None,
    time_limit: float | None = None,
    cache: str | os.PathLike[str] | None = None,
) -> LoadCheck:
    """What Keras does when the weights in `weights` meet the model `into` describes,
    predicted statically: `load_weights` (legacy `.h5` files topologically, or
    `by_name`; `skip_mismatch` as Keras takes it), or `load_model` of `weights` on
    its own config when `into` is None. `keras` names the Keras that loads (`3.10`,
    `tf_keras`; default: the latest of the line that wrote the architecture).
    Nothing is loaded or run."""
    from kerascope.load_prediction import predict_load
    from kerascope.pipeline import saved_source

    chosen = limits or DEFAULT_LIMITS
    with _bounded(weights, time_limit):
        return predict_load(
            saved_source(weights, "the weights", cache),
            saved_source(into, "--into", cache) if into is not None else None,
            chosen,
            by_name=by_name,
            skip_mismatch=skip_mismatch,
            keras=keras,
        )


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
