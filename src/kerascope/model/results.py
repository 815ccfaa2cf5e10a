"""The records analyses produce: a diff of two models, the findings of a check, and
what Keras does when weights meet an architecture (a load check)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from kerascope.model.display import Displayed
from kerascope.model.records import Finding, ModelReport
from kerascope.model.vocabulary import DiffStatus, LoadStatus, Severity


@dataclass
class Change:
    """One fact that differs: a config key (dotted, `kernel_initializer.class_name`),
    `class`, `weights[0]`, `weights` (their number) or `inbound`."""

    key: str
    old: Any
    new: Any


@dataclass
class LayerDiff:
    status: DiffStatus
    a: str | None
    b: str | None
    class_name: str | None
    renamed: bool = False
    moved: bool = False
    old_name: str | None = None
    changes: list[Change] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.b if self.b is not None else self.a or ""


@dataclass
class TensorChange:
    """One weight compared between two models (`diff --values`): the layer holding it
    in B (`layer`) and in A (`a_layer`), its name there (or `#position`) and its
    position among the layer's weights (among those of the layer and its sublayers,
    depth-first, where one side shows sublayers the other holds as its own).

    `same`: bit-identical (same stored type, every value's bits equal, NaN included);
    `max_abs_diff`: the largest |B − A|; `rel_l2`: ‖B − A‖₂ / ‖A‖₂ (0 when both are
    zero, None when only A is); both over the positions finite on both sides, whose
    others `nonfinite` counts. `unread` says why a pair was not compared (None when
    it was), and then the numbers are None."""

    layer: str
    a_layer: str
    weight: str
    index: int
    shape: list[int | None]
    dtype: str | None
    same: bool | None = None
    max_abs_diff: float | None = None
    rel_l2: float | None = None
    nonfinite: int = 0
    unread: str | None = None
    # ‖B − A‖₂² and ‖A‖₂², which a layer's own rel_l2 sums; not in the JSON.
    diff_squares: float = field(default=0.0, repr=False)
    a_squares: float = field(default=0.0, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _TENSOR_KEYS}


_TENSOR_KEYS = (
    "layer", "a_layer", "weight", "index", "shape", "dtype", "same", "max_abs_diff", "rel_l2", "nonfinite", "unread",
)  # fmt: skip


@dataclass
class LayerChange:
    """How far one layer's weights moved (`diff --values`), summed over its tensors:
    `status` `changed` (a tensor is not bit-identical), `unchanged` (every tensor is),
    or `unread` (none could be compared); `frozen` when the layer was not trainable
    (its config's `trainable` is false, or the file marks its weights so); `rel_l2`
    = sqrt(Σ‖B − A‖₂²) / sqrt(Σ‖A‖₂²) over its compared tensors, `max_abs_diff` the
    largest of theirs."""

    path: str
    a: str
    class_name: str | None
    status: str
    frozen: bool
    tensors: int
    changed: int
    max_abs_diff: float | None
    rel_l2: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ValueDiff:
    """Two models' weight values, tensor by tensor, and each layer's change, the most
    changed first (`rel_l2`, then `max_abs_diff`), then the unchanged, then the unread."""

    layers: list[LayerChange]
    tensors: list[TensorChange]

    @property
    def same(self) -> bool:
        """Every tensor compared is bit-identical, and none was left uncompared."""
        return all(tensor.same for tensor in self.tensors)

    def to_dict(self) -> dict[str, Any]:
        return {
            "same": self.same,
            "compared": sum(tensor.unread is None for tensor in self.tensors),
            "changed": sum(tensor.same is False and tensor.unread is None for tensor in self.tensors),
            "layers": [layer.to_dict() for layer in self.layers],
            "tensors": [tensor.to_dict() for tensor in self.tensors],
        }


@dataclass(repr=False)
class ModelDiff(Displayed):
    a_source: str
    b_source: str
    normalized: bool
    ignored: list[str]
    layers: list[LayerDiff]
    a_params: int | None
    b_params: int | None
    notes: list[str] = field(default_factory=list)
    # The two reports compared and every matched pair of paths (a -> b), for views
    # that draw both models (the HTML diff); not part of the diff's JSON.
    reports: tuple[ModelReport, ModelReport] | None = field(default=None, compare=False)
    pairs: dict[str, str] = field(default_factory=dict, compare=False)
    # The weights' values compared (`diff(..., values=True)`); None when not asked for.
    values: ValueDiff | None = None

    @property
    def same(self) -> bool:
        return not self.layers and (self.values is None or self.values.same)

    def __repr__(self) -> str:
        verdict = (
            "same" if self.same else f"{len(self.layers)} layers differ" if self.layers else "values differ"
        )
        return f"<ModelDiff {self.a_source} -> {self.b_source}: {verdict}>"

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a_source,
            "b": self.b_source,
            "normalized": self.normalized,
            "ignored": self.ignored,
            "same": self.same,
            "params": {"a": self.a_params, "b": self.b_params},
            "notes": list(self.notes),
            "layers": [
                {**asdict(layer), "status": layer.status.value, "path": layer.path} for layer in self.layers
            ],
            "values": None if self.values is None else self.values.to_dict(),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=repr)


@dataclass(repr=False)
class CheckResult(Displayed):
    """The findings for one target, with the report they were found in."""

    report: ModelReport
    findings: list[Finding] = field(default_factory=list)
    live: bool = False

    def __repr__(self) -> str:
        worst = self.worst()
        return f"<CheckResult {self.report.source}: {len(self.findings)} findings, worst {worst or 'none'}>"

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)

    def fails(self, threshold: Severity | str) -> bool:
        """Whether any finding is at least as severe as `threshold` (warning or error)."""
        worst = self.worst()
        return worst is not None and worst.rank >= Severity(threshold).rank

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.report.source,
            "format": self.report.format.value,
            "live": self.live,
            "findings": [finding.to_dict() for finding in self.findings],
        }


@dataclass
class LayerLoad:
    """One layer's outcome: where Keras looks for its weights (`group`), the shapes of
    the variables it holds (`expected`), where each one's value comes from after
    loading (`received`: a `file:dataset` location, or None where nothing was
    loaded), what Keras says of it, and the real reason where Keras's words mislead
    or Keras says nothing."""

    path: str
    name: str
    class_name: str | None
    status: LoadStatus
    group: str | None = None
    expected: list[list[int | None] | None] | None = None
    received: list[str | None] = field(default_factory=list)
    keras: str | None = None
    reason: str | None = None

    @property
    def untouched(self) -> bool:
        """Nothing was loaded into it."""
        return self.status is not LoadStatus.UNKNOWN and all(location is None for location in self.received)


@dataclass(repr=False)
class LoadCheck(Displayed):
    """What Keras does when the weights in `weights` meet the architecture in `into`,
    predicted statically: by which Keras's rules (`rules`), layer by layer, and the
    error or warnings Keras gives, in its words (`keras_message`)."""

    weights: str
    into: str
    rules: str
    keras_version: str
    by_name: bool = False
    layers: list[LayerLoad] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    keras_error: str | None = None  # the exception's class, where Keras raises
    keras_message: str | None = None  # the error's text, or the warnings' when it does not raise
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The receiving model's optimizer afterwards: "loaded", "untouched", "partial"; None without one.
    optimizer: str | None = None

    def _with(self, *statuses: LoadStatus) -> list[str]:
        return [layer.path for layer in self.layers if layer.status in statuses]

    @property
    def matched(self) -> list[str]:
        return self._with(LoadStatus.MATCHED)

    @property
    def missing(self) -> list[str]:
        """The layers holding weights into which nothing is loaded."""
        return [layer.path for layer in self.layers if layer.untouched and layer.received]

    @property
    def partial(self) -> list[str]:
        return self._with(LoadStatus.PARTIAL)

    @property
    def misplaced(self) -> list[str]:
        return self._with(LoadStatus.MISPLACED)

    @property
    def shape_mismatch(self) -> list[str]:
        return self._with(LoadStatus.SHAPE_MISMATCH)

    @property
    def count_mismatch(self) -> list[str]:
        return self._with(LoadStatus.COUNT_MISMATCH)

    @property
    def unknown(self) -> list[str]:
        return self._with(LoadStatus.UNKNOWN)

    @property
    def loads(self) -> bool:
        """Keras raises nothing, and every layer holding weights receives all of them."""
        return self.keras_error is None and not self.missing and not self.partial and not self.unknown

    @property
    def clean(self) -> bool:
        """It loads, every layer receives its own weights, and every weight is read."""
        return self.loads and not self.misplaced and not self.unexpected

    def __repr__(self) -> str:
        verdict = "loads" if self.clean else "loads with caveats" if self.loads else "does not load"
        return f"<LoadCheck {self.weights} into {self.into}: {verdict}>"

    def to_dict(self) -> dict[str, Any]:
        return {
            "weights": self.weights,
            "into": self.into,
            "rules": self.rules,
            "keras_version": self.keras_version,
            "by_name": self.by_name,
            "loads": self.loads,
            "clean": self.clean,
            "keras_error": self.keras_error,
            "keras_message": self.keras_message,
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "optimizer": self.optimizer,
            "matched": self.matched,
            "missing": self.missing,
            "partial": self.partial,
            "misplaced": self.misplaced,
            "unexpected": list(self.unexpected),
            "shape_mismatch": self.shape_mismatch,
            "count_mismatch": self.count_mismatch,
            "unknown": self.unknown,
            "layers": [{**asdict(layer), "status": layer.status.value} for layer in self.layers],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)
