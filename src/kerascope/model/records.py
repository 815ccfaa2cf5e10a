"""The neutral records every reader produces and every view reads.

A `ModelReport` is data first: readers fill it once, views and analyses only
read it. It must survive a JSON round trip unchanged, so every field is plain
JSON (lists, not tuples; `None` where a fact is unknown) and `from_dict`
rebuilds exactly what `to_dict` wrote. Vocabulary fields hold `str` enums,
written to JSON as their plain values.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Protocol

from kerascope.errors import ValuesUnavailable
from kerascope.limits import DEFAULT_LIMITS, Limits
from kerascope.model.display import Displayed, Shown, presenter
from kerascope.model.vocabulary import Code, Fact, Format, Origin, Role, Severity

SCHEMA_VERSION = "1.3"
COST_FIELDS = ("macs", "flops", "weight_bytes", "activation_bytes")


class ValueLocation(Protocol):
    """Where a weight's values are in the file it was read from: what the value engine
    (`kerascope.decoders.tensor_values.TensorLocation`) gives each weight a reader finds
    there. It names a file, never holds one open: each read opens the file again."""

    def array(self, limits: Limits) -> Any: ...

    def stats(self, limits: Limits) -> dict[str, Any]: ...


# The statistics of a weight's values, as `stats` holds them (`inspect(..., values=True)`):
# `count`, `min`, `max`, `mean`, `std` over its finite values (population std, float64
# accumulation; None without a finite value), and how many values are NaN, infinite or zero.
STATS_KEYS = ("count", "min", "max", "mean", "std", "nan", "inf", "zeros")


@dataclass
class WeightInfo:
    """One variable owned directly by a layer (not by one of its sublayers).

    `stats` (keys `STATS_KEYS`) is filled only when values are asked for. `location`
    says where the values are in the file the report was read from, for `array()`;
    it is not part of the report's JSON, and a report rebuilt from JSON, or made of
    a live model, has none."""

    name: str | None
    shape: list[int | None]
    dtype: str | None
    trainable: bool | None = None
    stats: dict[str, Any] | None = None
    location: ValueLocation | None = field(default=None, repr=False, compare=False)

    @property
    def size(self) -> int:
        return math.prod(d or 0 for d in self.shape)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "shape": list(self.shape),
            "dtype": self.dtype,
            "trainable": self.trainable,
            "stats": None if self.stats is None else dict(self.stats),
        }

    def array(self, limits: Limits | None = None) -> Any:
        """The weight's values as a numpy array, read now from its file (within
        `limits.max_tensor_bytes`, 1 GiB by default); `ValuesUnavailable` says why not."""
        if self.location is None:
            raise ValuesUnavailable(
                f"{self.name or 'this weight'}: the report does not say where its values are "
                "(it was not read from a file that stores them)"
            )
        return self.location.array(limits or DEFAULT_LIMITS)

    def read_stats(self, limits: Limits | None = None) -> dict[str, Any]:
        """The weight's statistics (`stats`), streamed from its file now, and kept."""
        if self.location is None:
            self.array()  # says why not
        assert self.location is not None
        self.stats = self.location.stats(limits or DEFAULT_LIMITS)
        return self.stats


@dataclass
class Finding:
    """Something a reader or a check found: a stable code, how bad, where, and what to
    do; `subject` names what it is about where that is a name (the custom class or
    function a loader would need, `module.Class` or `package>Name`)."""

    code: Code
    severity: Severity
    path: str | None
    message: str
    hint: str | None = None
    subject: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "code": self.code.value, "severity": self.severity.value}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(**{**data, "code": Code(data["code"]), "severity": Severity(data["severity"])})


@dataclass
class InboundLink:
    """One tensor feeding a call site: output `tensor_index` of call `node_index`
    of the layer at `layer` (a report path)."""

    layer: str
    node_index: int
    tensor_index: int


@dataclass
class LayerNode(Shown):
    """Everything known about one layer, at one path.

    `repr()` is one line; `str()` is the whole record (YAML, as `kerascope show`
    prints it), which is also what a notebook shows.

    The parameter counts include the layer's sublayers, as Keras's own
    `count_params()` does; the trainable split is `None` where a file does not
    record it; `weights` lists only the variables the layer owns itself, so that
    no variable is listed twice in a report.
    """

    path: str
    name: str
    class_name: str | None
    module: str | None = None
    registered_name: str | None = None
    role: Role = Role.LAYER
    index: int | None = None
    config: Any = None
    config_error: str | None = None
    build_input_shape: Any = None
    input_shapes: list[Any] | None = None
    output_shapes: list[Any] | None = None
    total_params: int | None = None
    trainable_params: int | None = None
    non_trainable_params: int | None = None
    weights: list[WeightInfo] = field(default_factory=list)
    inbound: list[list[InboundLink]] | None = None
    children: list[str] = field(default_factory=list)
    origin: dict[Fact, Origin] = field(default_factory=dict)
    macs: int | None = None
    flops: int | None = None
    weight_bytes: int | None = None
    activation_bytes: int | None = None
    estimated: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        """One line: the whole record is `to_dict()` (or `kerascope show`)."""
        params = "? params" if self.total_params is None else f"{self.total_params:,} params"
        return f"<LayerNode {self.path or self.name!r} {self.class_name or '?'} {self.role.value}, {params}>"

    @property
    def depth(self) -> int:
        """0 for the root, 1 for the root's own layers, and so on."""
        return self.path.count("/") + 1 if self.path else 0

    @property
    def parent_path(self) -> str | None:
        if not self.path:
            return None
        return self.path.rpartition("/")[0]

    @property
    def output_shape(self) -> Any:
        """The output shape when every call site agrees, else "multiple"."""
        return _single_shape(self.output_shapes)

    @property
    def input_shape(self) -> Any:
        return _single_shape(self.input_shapes)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict; configs are shared, not copied (they are already JSON-safe)."""
        data = {name: getattr(self, name) for name in _NODE_FIELDS}
        data["role"] = self.role.value
        data["weights"] = [weight.to_dict() for weight in self.weights]
        if self.inbound is not None:
            data["inbound"] = [[asdict(link) for link in call] for call in self.inbound]
        data["children"] = list(self.children)
        data["estimated"] = list(self.estimated)
        data["origin"] = {fact.value: origin.value for fact, origin in self.origin.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LayerNode:
        data = dict(data)
        data["role"] = Role(data.get("role", Role.LAYER))
        data["weights"] = [WeightInfo(**w) for w in data.get("weights") or []]
        if data.get("inbound") is not None:
            data["inbound"] = [[InboundLink(**link) for link in call] for call in data["inbound"]]
        data["origin"] = {Fact(fact): Origin(origin) for fact, origin in (data.get("origin") or {}).items()}
        return cls(**data)


_NODE_FIELDS = [f.name for f in fields(LayerNode)]


def short_name(weight: WeightInfo) -> str | None:
    """A weight's own name without the scopes and suffix a file adds
    (`dense_1/kernel:0` is `kernel`); None where the file names none."""
    if not weight.name:
        return None
    return weight.name.rpartition("/")[2].removesuffix(":0") or None


# The per-layer figures whose totals say what they cover (`totals.coverage` in JSON).
_COVERED = ("flops", "macs", "activation_bytes")


@dataclass(frozen=True)
class Coverage:
    """How much of a model a cost figure covers (`ModelReport.coverage`). `at_least`:
    the figure summed over the outermost layers that have one (the root's own figure
    where it is known); `priced`: how many layers, at every depth, have the figure;
    `unpriced`: the paths of the outermost layers that have none and hold nothing that
    has one; `estimated`: whether a summed figure is an estimate."""

    at_least: int
    priced: int
    unpriced: list[str]
    estimated: bool

    @property
    def complete(self) -> bool:
        return not self.unpriced

    def as_dict(self) -> dict[str, Any]:
        return {"at_least": self.at_least, "priced_layers": self.priced, "unpriced": self.unpriced}


def _counted(count: int, word: str) -> str:
    return f"{count:,} {word if count == 1 else word + 's'}"


def _single_shape(shapes: list[Any] | None) -> Any:
    if not shapes:
        return None
    first = shapes[0]
    return first if all(s == first for s in shapes[1:]) else "multiple"


class LayerLookupError(KeyError):
    """Raised when a path, name or index names no layer, or names several."""

    def __str__(self) -> str:  # KeyError's str() adds quotes around the message
        return str(self.args[0])


@dataclass(repr=False)
class ModelReport(Displayed):
    """A whole model: its layer tree (depth-first, root first) and file facts.

    `str(report)` is the table as plain text, `report.summary()` prints it, and
    in a notebook the report shows itself as the HTML page.
    """

    nodes: list[LayerNode]
    source: str
    format: Format
    keras_version: str | None = None
    backend: str | None = None
    date_saved: str | None = None
    findings: list[Finding] = field(default_factory=list)
    assumptions: dict[str, Any] | None = None
    # A SavedModel's serving signatures: name -> {"method_name", "inputs", "outputs"},
    # each tensor {"name", "dtype", "shape"}; None when the source has none.
    signatures: dict[str, Any] | None = None
    # What compile() was given (optimizer, loss, metrics), as a legacy HDF5 file or
    # a SavedModel stores it beside the model config; None where nothing is stored.
    training_config: Any = None
    # What a model's own files say of it beside the layers: a KerasHub preset's
    # versions, tasks, stored parameter count, preprocessor and tokenizer (class,
    # sequence length, vocabulary size); a Transformers or timm config's model type.
    metadata: dict[str, Any] | None = None
    # What a loader deserializes beside the layers' own configs, by where it is stored:
    # a KerasHub preset's preprocessor.json, tokenizer.json and converters (each whole),
    # and the compile_config of its config.json and task.json. Checked as the layers are.
    companion_configs: dict[str, Any] | None = None
    # Bytes fetched from a remote store to make the report; None for a local file.
    bytes_fetched: int | None = None
    schema_version: str = SCHEMA_VERSION

    def __post_init__(self) -> None:
        self._by_path = {node.path: node for node in self.nodes}

    def __repr__(self) -> str:
        params = "unknown" if self.total_params is None else f"{self.total_params:,}"
        return (
            f"<ModelReport {self.root.name!r} ({self.root.class_name or '?'}): "
            f"{self.layer_count_text()}, {params} params, {self.format.value}>"
        )

    def coverage(self, figure: str) -> Coverage:
        """How much of the model `figure` (`flops`, `macs`, `activation_bytes`) covers:
        a total where some layers have no figure is what it is, a lower bound."""
        known_inside: dict[str, bool] = {}
        for node in reversed(self.nodes):
            known_inside[node.path] = getattr(node, figure) is not None or any(
                known_inside[child] for child in node.children
            )
        total, unpriced, estimated = 0, [], False
        stack = [self.root]
        while stack:
            node = stack.pop()
            value = getattr(node, figure)
            if value is not None:
                total += value
                estimated = estimated or figure in node.estimated
            elif node.children and known_inside[node.path]:
                stack.extend(self.children(node)[::-1])
            else:
                unpriced.append(node.path)
        priced = sum(getattr(node, figure) is not None for node in self.layers)
        return Coverage(total, priced, unpriced, estimated)

    def layer_count_text(self) -> str:
        """`3 layers, 1 op (14 in all)`: the model's own `layers` (as
        `len(model.layers)` counts them), the operations its graph calls, and every
        layer the report holds at every depth where that is more. Where the source
        does not say what `model.layers` holds, every layer the report holds; a root
        that is a layer, not a model, counts its sublayers."""
        listed = self.model_layers
        if listed is None:
            every = len(self.layers)
            return _counted(every, "layer") if self.root.role == Role.MODEL else _counted(every, "sublayer")
        ops = len(self.operations)
        text = _counted(len(listed), "layer") + (f", {_counted(ops, 'op')}" if ops else "")
        return text if len(listed) + ops == len(self.layers) else f"{text} ({len(self.layers):,} in all)"

    # -- navigation -------------------------------------------------------------
    @property
    def root(self) -> LayerNode:
        return self.nodes[0]

    @property
    def layers(self) -> list[LayerNode]:
        """Every layer below the root, depth-first, each exactly once."""
        return self.nodes[1:]

    def __iter__(self) -> Iterator[LayerNode]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __contains__(self, path: object) -> bool:
        return path in self._by_path

    def __getitem__(self, key: str | int) -> LayerNode:
        """A layer by path (`"a/b/c"`), by unique name, or by top-level index.

        An integer is the index in the root model's own `layers` list, so
        `report[0]` is the layer Keras calls `model.layers[0]`.
        """
        if isinstance(key, int):
            return self._by_index(key)
        if key in self._by_path:
            return self._by_path[key]
        named = [node for node in self.layers if node.name == key]
        if len(named) == 1:
            return named[0]
        if named:
            paths = ", ".join(node.path for node in named)
            raise LayerLookupError(f"{key!r} names {len(named)} layers: {paths}; use a path")
        if key.lstrip("-").isdigit():
            return self._by_index(int(key))
        raise LayerLookupError(f"no layer with path or name {key!r}{self._near(key)}")

    def _near(self, key: str) -> str:
        """`; did you mean ...?` from the report's own paths and names, or nothing."""
        candidates = dict.fromkeys([*self._by_path, *(node.name for node in self.layers)])
        candidates.pop("", None)
        close = difflib.get_close_matches(key, list(candidates), n=3, cutoff=0.6)
        return f"; did you mean {' or '.join(repr(name) for name in close)}?" if close else ""

    @property
    def model_layers(self) -> list[LayerNode] | None:
        """The root model's own `layers` list, in Keras's order: what `model.layers`
        holds (no Keras 3 operation, no Sequential's InputLayer in Keras 3); None
        where the source does not say which layers the model lists (weights alone,
        a KerasHub task, an export)."""
        top = self.children(self.root)
        if not any(node.index is not None for node in top):
            return None
        return sorted((node for node in top if node.index is not None), key=lambda node: node.index)

    @property
    def operations(self) -> list[LayerNode]:
        """The Keras 3 operations the root model's graph calls (`x + y`, `x[..., 0]`)."""
        return [node for node in self.children(self.root) if node.role == Role.OP]

    def _by_index(self, index: int) -> LayerNode:
        top = self.model_layers or []
        try:
            return top[index]
        except IndexError:
            everywhere = (
                f"; the report's {len(self.layers)} layers count every depth"
                if len(self.layers) != len(top)
                else ""
            )
            raise LayerLookupError(
                f"index {index} is out of range: an index counts the model's own layers list "
                f"(model.layers), which holds {len(top)}{everywhere}"
            ) from None

    def weight(self, layer: str | int, weight: str | int = 0) -> WeightInfo:
        """One of a layer's own weights: `layer` as `report[layer]` takes it, `weight` by
        position or by name (`"kernel"`, or the whole name the file gives it)."""
        node = self._by_path[""] if layer == "" else self[layer]
        if isinstance(weight, int):
            if not -len(node.weights) <= weight < len(node.weights):
                raise LayerLookupError(
                    f"{node.path or '(model)'} has {len(node.weights)} weights of its own, no weight {weight}"
                )
            return node.weights[weight]
        named = [w for w in node.weights if weight in (w.name, short_name(w))]
        if len(named) != 1:
            listed = ", ".join(str(short_name(w) or f"#{i}") for i, w in enumerate(node.weights)) or "none"
            many = f"{len(named)} weights named {weight!r}" if named else f"no weight {weight!r}"
            raise LayerLookupError(f"{node.path or '(model)'} has {many} (its own: {listed})")
        return named[0]

    def array(self, layer: str | int, weight: str | int = 0, limits: Limits | None = None) -> Any:
        """A weight's values as a numpy array (`weight()` finds it), read now from the file
        the report was read from; a report holds no open file, so each call opens it."""
        return self.weight(layer, weight).array(limits)

    def children(self, node: LayerNode) -> list[LayerNode]:
        return [self._by_path[path] for path in node.children]

    def parent(self, node: LayerNode) -> LayerNode | None:
        parent_path = node.parent_path
        return None if parent_path is None else self._by_path[parent_path]

    def find(self, pattern: str | None = None, class_name: str | None = None) -> list[LayerNode]:
        """Layers whose path or name matches a glob, and/or whose class is named.

        A pattern without glob characters matches a whole name or path.
        """
        found = []
        for node in self.layers:
            if pattern is not None and not (
                fnmatch.fnmatchcase(node.path, pattern) or fnmatch.fnmatchcase(node.name, pattern)
            ):
                continue
            if class_name is not None and node.class_name != class_name:
                continue
            found.append(node)
        return found

    # -- totals -----------------------------------------------------------------
    @property
    def trainable_params(self) -> int | None:
        return self.root.trainable_params

    @property
    def non_trainable_params(self) -> int | None:
        return self.root.non_trainable_params

    @property
    def total_params(self) -> int | None:
        return self.root.total_params

    # -- serialization ----------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {**self._facts(), "nodes": [node.to_dict() for node in self.nodes]}

    def _facts(self) -> dict[str, Any]:
        """Everything `to_dict` holds but the nodes."""
        return {
            "schema_version": self.schema_version,
            "source": self.source,
            "format": self.format.value,
            "keras_version": self.keras_version,
            "backend": self.backend,
            "date_saved": self.date_saved,
            "assumptions": self.assumptions,
            "signatures": self.signatures,
            "training_config": self.training_config,
            "metadata": self.metadata,
            "companion_configs": self.companion_configs,
            "bytes_fetched": self.bytes_fetched,
            "totals": {
                "trainable_params": self.trainable_params,
                "non_trainable_params": self.non_trainable_params,
                "total_params": self.total_params,
                "layers": len(self.layers),
                "model_layers": None if self.model_layers is None else len(self.model_layers),
                "ops": len(self.operations),
                **{name: getattr(self.root, name) for name in COST_FIELDS},
                "coverage": {name: self.coverage(name).as_dict() for name in _COVERED},
            },
            "findings": [finding.to_dict() for finding in self.findings],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """JSON text; with `indent`, the document is indented but each node stays on
        one line, which keeps it readable, greppable, and fast to write (each node's
        dict made and dropped in turn, so only the text is held)."""
        if indent is None:
            return json.dumps(self.to_dict(), allow_nan=False)
        head = json.dumps(self._facts(), indent=indent, allow_nan=False)
        pad = " " * indent
        lines = ",\n".join(pad * 2 + json.dumps(node.to_dict(), allow_nan=False) for node in self.nodes)
        return f'{head[:-2]},\n{pad}"nodes": [\n{lines}\n{pad}]\n}}'

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelReport:
        return cls(
            nodes=[LayerNode.from_dict(node) for node in data["nodes"]],
            source=data["source"],
            format=Format(data["format"]),
            keras_version=data.get("keras_version"),
            backend=data.get("backend"),
            date_saved=data.get("date_saved"),
            findings=[Finding.from_dict(finding) for finding in data.get("findings") or []],
            assumptions=data.get("assumptions"),
            signatures=data.get("signatures"),
            training_config=data.get("training_config"),
            metadata=data.get("metadata"),
            companion_configs=data.get("companion_configs"),
            bytes_fetched=data.get("bytes_fetched"),
            schema_version=data.get("schema_version", SCHEMA_VERSION),
        )

    @classmethod
    def from_json(cls, text: str) -> ModelReport:
        return cls.from_dict(json.loads(text))

    def to_dataframe(self, columns: list[str] | None = None, keys: list[str] | None = None) -> Any:
        """One row per layer as a pandas DataFrame (pandas must be installed)."""
        return presenter().dataframe(self, columns, keys)

    def folded(self, depth: int) -> ModelReport:
        """The same report without the layers deeper than `depth` (root is 0)."""
        kept = [
            replace(node, children=[]) if node.depth == depth else node
            for node in self.nodes
            if node.depth <= depth
        ]
        return replace(self, nodes=kept)


def json_schema() -> dict[str, Any]:
    """The JSON Schema every `ModelReport.to_dict()` follows."""
    from importlib.resources import files

    return json.loads(files("kerascope").joinpath("schema/report.schema.json").read_text("utf-8"))
