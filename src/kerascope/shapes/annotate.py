"""Filling a report's derived columns: shapes, weight names, FLOPs and memory.

Two passes over the report's graphs:

1. At the file's own inputs (static reports only): every layer's output shape
   by Keras's rules, kept where the file stores none (`Origin.DERIVED`), and a
   `SHAPE_MISMATCH` finding where a stored shape and the rule disagree (the
   stored one is kept). A live report's shapes are Keras's own and stay so.
2. At the assumed inputs: the batch size given (or 1), each input's given shape
   (or its stored one). These concrete shapes price every layer (FLOPs, MACs,
   activation bytes); when the caller asked for them (`input_shapes`,
   `batch_size`), a static report shows them as its shapes.

`report.assumptions` says what pass 2 assumed. Then each layer's variables are
settled (`variables.py`: the stored ones named and marked trainable or not, the
ones a file does not store derived from the config), every total summed, and
each layer's cost priced. A layer whose work raises in any of these steps is
handed to `failures` with the step's `Stage` and keeps that fact unknown; the
other layers go on (without `failures`, the error is raised).
"""

from __future__ import annotations

import gc
from typing import Any

from kerascope.errors import KerascopeError
from kerascope.families import dims
from kerascope.families.dims import OutOfRange, Shape
from kerascope.model.failures import RAISE, Failures
from kerascope.model.findings import finding
from kerascope.model.records import ModelReport
from kerascope.model.vocabulary import Code, Fact, Format, Origin, Stage
from kerascope.shapes.cost import price
from kerascope.shapes.graph import Pass
from kerascope.shapes.variables import settle_variables


def annotate(
    report: ModelReport,
    input_shapes: dict[str | None, Any] | None = None,
    batch_size: int | None = None,
    failures: Failures = RAISE,
) -> ModelReport:
    """Fill `report`'s shapes, weight names, FLOPs, MACs and memory, in place; returns it.

    `input_shapes` maps an input's name to its shape (batch dimension included,
    None for unknown dimensions); the key None stands for the only input of a
    single-input model. `batch_size` fills every unknown batch dimension
    (default 1 for the figures, which are then per example). `failures` collects
    the layers a step failed on (by default, the failure is raised).
    """
    if batch_size is not None and (not dims.is_int(batch_size) or not 1 <= batch_size <= dims.MAX_DIM):
        raise KerascopeError(f"batch size {batch_size!r}: give a whole number from 1 to {dims.MAX_DIM:,}")
    # The passes make many small acyclic tuples; with a large report in memory, the
    # cycle collector's full sweeps they trigger would cost more than the passes.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _annotate(report, input_shapes, batch_size, failures)
    finally:
        if collecting:
            gc.enable()


def _annotate(
    report: ModelReport,
    input_shapes: dict[str | None, Any] | None,
    batch_size: int | None,
    failures: Failures,
) -> ModelReport:
    live = report.format == Format.LIVE
    overrides = _overrides(report, input_shapes or {}, failures)
    stored = None
    if not live:
        stored = Pass(report, failures=failures).run()
        for path in stored.unusable_stored:  # what the file stores is no shape: derive one, or none
            report[path].output_shapes = None
            report[path].origin.pop(Fact.SHAPES, None)
        _fill(report, stored)
        _report_findings(report, stored)
    assumed = stored.at_batch(batch_size or 1) if stored is not None and not overrides else None
    if assumed is None:
        assumed = Pass(
            report, inputs=overrides, batch=batch_size or 1, resume=not overrides, failures=failures
        )
        if stored is not None:
            assumed.parsed = stored.parsed  # the file's shapes, parsed once
        assumed.run()
    if not live and (overrides or batch_size is not None):
        _fill(report, assumed, replace=True)
    if not live:
        settle_variables(report, stored.sites if stored is not None else {}, failures)
    price(report, assumed.sites, batch_size or 1, use_stored=not overrides, failures=failures)
    report.assumptions = _assumptions(assumed, batch_size)
    return report


def input_names(report: ModelReport, failures: Failures = RAISE) -> list[str]:
    """The names the root's inputs answer to, in order (for `--input-shape NAME=...`)."""
    return [name for name, _ in Pass(report, failures=failures).run().root_inputs]


def _overrides(report: ModelReport, given: dict[str | None, Any], failures: Failures) -> dict[str, Shape]:
    if not given:
        return {}
    names = input_names(report, failures)
    found: dict[str, Shape] = {}
    for name, value in given.items():
        if name is None:
            if len(names) != 1:
                raise KerascopeError(
                    f"the model has {len(names)} inputs ({', '.join(names) or 'none found'}): name the one you mean"
                )
            name = names[0]
        if name not in names:
            raise KerascopeError(
                f"no input named {name!r}; the inputs are: {', '.join(names) or 'none found'}"
            )
        try:
            shape = dims.as_shape(list(value))
        except (OutOfRange, TypeError) as error:
            raise KerascopeError(f"input shape for {name!r}: {error}") from None
        if shape is None:
            raise KerascopeError(f"input shape for {name!r}: give whole numbers (None for unknown)")
        found[name] = shape
    return found


def _fill(report: ModelReport, done: Pass, replace: bool = False) -> None:
    """Shapes a pass found, set where the report has none (or, for what-if inputs, everywhere)."""
    for path, sites in done.sites.items():
        if not sites or path not in report:
            continue
        node = report[path]
        try:
            outputs = (
                [_encode(site.outputs) for site in sites] if replace or node.output_shapes is None else []
            )
            inputs = [_encode(site.inputs) for site in sites] if replace or node.input_shapes is None else []
        except Exception as error:  # noqa: BLE001 - the layer keeps the shapes it had (model/failures.py)
            done.failures.add(Stage.SHAPES, path, error)
            continue
        if any(value is not None for value in outputs):
            node.output_shapes = outputs
            node.origin[Fact.SHAPES] = Origin.DERIVED
        if any(value is not None for value in inputs):
            node.input_shapes = inputs


def _encode(shapes: list[Shape] | None) -> Any:
    """Shapes as a report holds them: one tensor's shape as a list, several as a list of lists."""
    if not shapes or all(shape is None for shape in shapes):
        return None
    if len(shapes) == 1:
        return dims.as_list(shapes[0])
    return [dims.as_list(shape) for shape in shapes]


def _report_findings(report: ModelReport, done: Pass) -> None:
    for path, index, stored, derived in done.mismatches:
        try:
            message = (
                f"the file stores output shape {_text(stored)} for call {index} of {report[path].class_name}, "
                f"but Keras's rule for it gives {_text(derived)}; the stored shape is kept"
            )
        except Exception as error:  # noqa: BLE001 - one layer degrades (model/failures.py)
            done.failures.add(Stage.SHAPES, path, error)
            continue
        report.findings.append(finding(Code.SHAPE_MISMATCH, path, message))
    seen = set()
    for path, message in done.out_of_range:
        if path in seen:
            continue
        seen.add(path)
        report.findings.append(
            finding(
                Code.SHAPE_OUT_OF_RANGE, path, f"{message} in the layer's config or shapes: taken as unknown"
            )
        )


def _text(shapes: list[Shape]) -> str:
    parts = [
        "?" if s is None else "(" + ", ".join("None" if d is None else str(d) for d in s) + ")"
        for s in shapes
    ]
    return parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"


def _assumptions(done: Pass, batch_size: int | None) -> dict[str, Any]:
    defaulted = [] if batch_size is not None else done.batch_filled
    return {
        "batch_size": batch_size or 1,
        "batch_size_given": batch_size is not None,
        "input_shapes": {name: dims.as_list(shape) for name, shape in done.root_inputs},
        "default_batch_for": defaulted,
    }
