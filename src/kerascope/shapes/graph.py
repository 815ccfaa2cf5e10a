"""Shapes carried through a report's graphs: Sequential chains, Functional call
graphs, nested models, shared layers, several inputs and outputs.

One pass walks each model's call sites in dependency order (Kahn's algorithm:
every call site is visited once, after the calls that feed it), so the work is
linear in layers plus links, and a hostile file with a cycle or a dangling link
leaves the affected layers unknown instead of looping. At each call site the
layer's rule gives its outputs from its inputs; a stored shape (from the file, or
Keras's own for a live model) is kept where it exists, and lets propagation
resume past a layer no rule knows. Where a rule and a stored shape disagree the
pass notes it; the caller decides what to report.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kerascope.families import dims
from kerascope.families.call import Call, Outputs
from kerascope.families.dims import OutOfRange, Shape
from kerascope.families.registry import class_names, outputs_of
from kerascope.families.spelling import OP_PREFIX, canonical_config, rule_key
from kerascope.model import topology
from kerascope.model.failures import RAISE, Failures
from kerascope.model.records import LayerNode, ModelReport
from kerascope.model.vocabulary import Format, Kind, Role, Stage

# What the families say of a class, asked at every call site: Keras's input layer; its
# outputs need not keep the batch axis first; its output shapes depend on a call's
# keyword arguments (`return_attention_scores`).
INPUT_CLASSES = class_names(lambda known: known.kind is Kind.INPUT)
_MOVES_BATCH_AXIS = class_names(lambda known: known.moves_batch_axis)
_CALL_ARGUMENTS = class_names(lambda known: known.call_arguments)


@dataclass
class Site:
    """One call of one layer: what went in, what came out, and its call arguments."""

    inputs: list[Shape]
    outputs: Outputs | None
    kwargs: dict[str, Any]
    derived: Outputs | None = None


@dataclass
class Pass:
    """One propagation over a report.

    `inputs`: shapes given for the root's inputs, by input name (what-if), which
    replace the stored ones; `batch`: the batch size set on every unknown leading
    dimension of an input; `resume`: whether a stored shape may stand in where
    no rule knows a layer (not when the inputs were changed, since the stored
    shapes describe other inputs); `failures`: where a call site that raises is
    noted (its outputs then unknown), instead of ending the pass.
    """

    report: ModelReport
    inputs: dict[str, Shape] = field(default_factory=dict)
    batch: int | None = None
    resume: bool = True
    sites: dict[str, list[Site]] = field(default_factory=dict)
    mismatches: list[tuple[str, int, Outputs, Outputs]] = field(default_factory=list)
    out_of_range: list[tuple[str, str]] = field(default_factory=list)
    unusable_stored: set[str] = field(default_factory=set)  # layers whose stored output shape is not a shape
    root_inputs: list[tuple[str, Shape]] = field(default_factory=list)
    batch_filled: list[str] = field(default_factory=list)
    keras3: bool = True
    parsed: dict[str, list[Outputs | None]] = field(default_factory=dict)
    batch_leading: bool = True
    failures: Failures = RAISE

    def at_batch(self, batch: int) -> Pass | None:
        """This pass's shapes with `batch` as every unknown leading dimension, when
        that is what a pass at that batch would give (no layer moved the batch
        axis: no Keras 3 operation, no time-major recurrent layer); else None."""
        if not self.batch_leading or self.batch is not None:
            return None
        moved = Pass(
            self.report,
            batch=batch,
            resume=self.resume,
            keras3=self.keras3,
            parsed=self.parsed,
            failures=self.failures,
        )
        for path, sites in self.sites.items():
            if all(site.outputs is None and not any(site.inputs) for site in sites):
                moved.sites[path] = sites
                continue
            try:
                moved.sites[path] = [
                    Site(
                        [dims.with_batch(shape, batch) for shape in site.inputs],
                        None
                        if site.outputs is None
                        else [dims.with_batch(shape, batch) for shape in site.outputs],
                        site.kwargs,
                    )
                    for site in sites
                ]
            except Exception as error:  # noqa: BLE001 - one layer degrades (model/failures.py)
                self.failures.add(Stage.SHAPES, path, error)
                moved.sites[path] = [Site(site.inputs, None, site.kwargs) for site in sites]
        for name, shape in self.root_inputs:
            moved.root_inputs.append((name, dims.with_batch(shape, batch)))
            if shape and shape[0] is None:
                moved.batch_filled.append(name)
        return moved

    def run(self) -> Pass:
        version = self.report.keras_version or ""
        self.keras3 = version.startswith("3") or (not version and self.report.format == Format.KERAS)
        root = self.report.root
        if topology.layer_entries(root.config):
            try:
                self._model(root, None, top=True)
            except Exception as error:  # noqa: BLE001 - the root's own graph, outside any call site
                self.failures.add(Stage.SHAPES, root.path, error)
        return self

    # -- one model --------------------------------------------------------------
    def _model(self, model: LayerNode, given: list[Shape] | None, top: bool = False) -> Outputs | None:
        children = self.report.children(model)
        if topology.is_sequential_config(model.config):
            return self._sequential(model, children, given, top)
        return self._functional(model, children, given, top)

    def _sequential(
        self, model: LayerNode, children: list[LayerNode], given: list[Shape] | None, top: bool
    ) -> Outputs | None:
        listed = [child for child in children if child.role != Role.SUBLAYER]
        if not listed:
            return None
        first = listed[0]
        if first.class_name in INPUT_CLASSES:
            name, stored = first.name, self._parse(first.path, _stored_input(first))
        else:
            name = f"{first.name}_input"
            stored = self._parse(first.path, _stored_input(first) or model.build_input_shape)
        x = self._entry(name, stored, given[0] if given else None, top)
        for child in listed:
            if child.class_name in INPUT_CLASSES:
                self._record(child, 0, [], [x], {})
                continue
            outputs = self._site(child, 0, [x], {})
            x = outputs[0] if outputs else None
        return [x]

    def _functional(
        self, model: LayerNode, children: list[LayerNode], given: list[Shape] | None, top: bool
    ) -> Outputs | None:
        by_path = {child.path: child for child in children}
        by_name = {child.name: child for child in children}
        entries = {topology.entry_name(e): e for e in topology.layer_entries(model.config)}
        produced: dict[tuple[str, int], Outputs | None] = {}
        config = model.config if isinstance(model.config, dict) else {}
        input_links = list(_links_in(config.get("input_layers")))
        inputs = [by_name.get(link.name) for link in input_links] or [
            child for child in children if child.class_name in INPUT_CLASSES
        ]
        for position, node in enumerate(inputs):
            if node is None:
                continue
            outer = given[position] if given and position < len(given) else None
            shape = self._entry(node.name, self._parse(node.path, _stored_input(node)), outer, top)
            produced[(node.path, 0)] = [shape]
            self._record(node, 0, [], [shape], {})

        # Kahn's algorithm over call sites: (layer path, call index).
        waiting: dict[tuple[str, int], int] = {}
        consumers: dict[tuple[str, int], list[tuple[str, int]]] = {}
        ready: deque[tuple[str, int]] = deque()
        for child in children:
            for index, links in enumerate(child.inbound or ()):
                site = (child.path, index)
                if site in produced:
                    continue
                needs = {(link.layer, link.node_index) for link in links}
                unmet = [need for need in needs if need not in produced]
                waiting[site] = len(unmet)
                for need in unmet:
                    consumers.setdefault(need, []).append(site)
                if not unmet:
                    ready.append(site)
        while ready:
            path, index = ready.popleft()
            node = by_path.get(path)
            if node is None:
                continue
            links = (node.inbound or [])[index]
            shapes = [
                _tensor(produced.get((link.layer, link.node_index)), link.tensor_index) for link in links
            ]
            kwargs = _call_kwargs(entries.get(node.name), index) if _takes_kwargs(node) else {}
            produced[(path, index)] = self._site(node, index, shapes, kwargs)
            for site in consumers.pop((path, index), ()):
                waiting[site] -= 1
                if waiting[site] == 0:
                    ready.append(site)
        output_links = list(_links_in(config.get("output_layers")))
        if not output_links:
            return None
        outputs = []
        for link in output_links:
            node = by_name.get(link.name)
            outputs.append(
                None
                if node is None
                else _tensor(produced.get((node.path, link.node_index)), link.tensor_index)
            )
        return outputs

    # -- one call ---------------------------------------------------------------
    def _site(
        self, node: LayerNode, index: int, inputs: list[Shape], kwargs: dict[str, Any]
    ) -> Outputs | None:
        """One call's outputs: the layer's rule, or a stored shape where the file keeps one.
        A call whose work raises is noted and left unknown, and the pass goes on."""
        try:
            derived = self._derived(node, inputs, kwargs)
            outputs = self._kept(node, index, derived)
        except Exception as error:  # noqa: BLE001 - one layer degrades (model/failures.py)
            self.failures.add(Stage.SHAPES, node.path, error)
            self._record(node, index, inputs, None, kwargs)
            return None
        self._record(node, index, inputs, outputs, kwargs, derived)
        return outputs

    def _derived(self, node: LayerNode, inputs: list[Shape], kwargs: dict[str, Any]) -> Outputs | None:
        derived: Outputs | None = None
        if node.role == Role.MODEL and topology.layer_entries(node.config):
            derived = self._model(node, inputs)
        else:
            key = rule_key(node)
            if node.class_name in _MOVES_BATCH_AXIS or (key or "").startswith(OP_PREFIX):
                self.batch_leading = False
            if isinstance(node.config, dict) and node.config.get("time_major"):
                self.batch_leading = False
            if (
                key is not None
                and inputs
                and inputs[0] is not None
                and not (key.startswith(OP_PREFIX) and kwargs.pop("__array_constant__", False))
            ):
                try:
                    derived = outputs_of(
                        Call(key, canonical_config(key, node.config), inputs, kwargs, self.keras3)
                    )
                except OutOfRange as error:
                    self.out_of_range.append((node.path, str(error)))
                    derived = None
        if derived is not None and all(shape is None for shape in derived):
            derived = None
        return derived

    def _kept(self, node: LayerNode, index: int, derived: Outputs | None) -> Outputs | None:
        """The outputs a call keeps: the stored shape where the file has one (noting a
        disagreement with the rule), merged with the derived one where they agree."""
        stored = self._stored(node, index)
        if stored is None:
            return derived
        if derived is None:
            return stored
        merged, agree = _merge_all(stored, derived)
        if not agree:
            self.mismatches.append((node.path, index, stored, derived))
            return stored
        return merged

    def _stored(self, node: LayerNode, index: int) -> Outputs | None:
        if not self.resume or not node.output_shapes or index >= len(node.output_shapes):
            return None
        calls = self.parsed.get(node.path)
        if calls is None:
            calls = self.parsed[node.path] = [self._tensors(node.path, value) for value in node.output_shapes]
        found = calls[index]
        if found is None or self.batch is None:
            return found
        return [dims.with_batch(shape, self.batch) for shape in found]

    def _tensors(self, path: str, value: Any) -> Outputs | None:
        tensors = value if is_shape_list(value) else [value]
        found = [self._parse(path, shape) for shape in tensors]
        # None is an unknown shape and a dict a structure of them; anything else must parse.
        broken = [
            raw
            for raw, shape in zip(tensors, found, strict=True)
            if shape is None and _a_shape_or_nothing(raw)
        ]
        if broken:
            self.unusable_stored.add(path)
            if not self.out_of_range or self.out_of_range[-1][0] != path:
                self.out_of_range.append((path, "a stored output shape that is not a list of whole numbers"))
        return None if all(shape is None for shape in found) else found

    def _record(
        self,
        node: LayerNode,
        index: int,
        inputs: list[Shape],
        outputs: Outputs | None,
        kwargs: dict[str, Any],
        derived: Outputs | None = None,
    ) -> None:
        sites = self.sites.setdefault(node.path, [])
        if index == len(sites):
            sites.append(Site(inputs, outputs, kwargs, derived))
        elif index < len(sites):
            sites[index] = Site(inputs, outputs, kwargs, derived)

    def _entry(self, name: str, stored: Shape, outer: Shape, top: bool) -> Shape:
        """An input's shape: the outer call's, else the what-if one, else the stored one;
        the assumed batch set on an unknown leading dimension."""
        if not top:
            shape, _ = dims.merge(outer, stored)
            return dims.with_batch(shape, self.batch)
        shape = self.inputs.get(name, stored)
        if shape and shape[0] is None and self.batch is not None:
            self.batch_filled.append(name)
        shape = dims.with_batch(shape, self.batch)
        self.root_inputs.append((name, shape))
        return shape

    def _parse(self, path: str, value: Any) -> Shape:
        try:
            return dims.as_shape(value)
        except OutOfRange as error:
            self.out_of_range.append((path, str(error)))
            return None


def _a_shape_or_nothing(raw: Any) -> bool:
    """Whether a stored value that did not parse was meant as one shape (not unknown, not a dict)."""
    return raw is not None and not isinstance(raw, dict)


def _takes_kwargs(node: LayerNode) -> bool:
    """Whether a call's keyword arguments matter: to classes whose output shapes depend
    on one, and to Keras 3 operations, whose other arguments may be arrays."""
    return node.class_name in _CALL_ARGUMENTS or (node.module or "").startswith("keras.src.ops")


def _stored_input(node: LayerNode) -> Any:
    config = node.config if isinstance(node.config, dict) else {}
    for key in ("batch_shape", "batch_input_shape"):
        if isinstance(config.get(key), list):
            return config[key]
    if node.output_shapes and not is_shape_list(node.output_shapes[0]):
        return node.output_shapes[0]
    return None


def is_shape_list(value: Any) -> bool:
    """A list of shapes (several tensors), as opposed to one shape (a list of dims)."""
    return isinstance(value, list) and any(isinstance(item, (list, dict)) for item in value)


def _tensor(outputs: Outputs | None, index: int) -> Shape:
    if outputs is None or not 0 <= index < len(outputs):
        return None
    return outputs[index]


def _merge_all(stored: Outputs, derived: Outputs) -> tuple[Outputs, bool]:
    if len(stored) != len(derived):
        return stored, False
    merged = []
    for first, second in zip(stored, derived, strict=True):
        shape, agree = dims.merge(first, second)
        if not agree:
            return stored, False
        merged.append(shape)
    return merged, True


def _links_in(value: Any) -> Iterator[topology.Link]:
    """The links of a model's `input_layers`/`output_layers`, in order, at any nesting."""
    stack = [value]
    while stack:
        item = stack.pop()
        link = topology.as_link(item)
        if link is not None:
            yield link
        elif isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))


def _call_kwargs(entry: dict[str, Any] | None, index: int) -> dict[str, Any]:
    """The plain (non-tensor) keyword arguments of call `index`, as the file stores them;
    `__array_constant__` marks a call given an array that is not a tensor."""
    nodes = entry.get("inbound_nodes") if isinstance(entry, dict) else None
    if not isinstance(nodes, list) or index >= len(nodes):
        return {}
    node = nodes[index]
    found: dict[str, Any] = {}
    if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
        kwargs = node.get("kwargs")
        if isinstance(kwargs, dict):
            found.update((k, v) for k, v in kwargs.items() if isinstance(v, (bool, int, float, str)))
        args = node.get("args") if isinstance(node.get("args"), list) else []
        if any(_is_array_constant(arg) for arg in args[1:]):
            found["__array_constant__"] = True
    elif isinstance(node, list):  # Keras 1/2: [[name, node, tensor, kwargs], ...]
        for link in node:
            if isinstance(link, list) and len(link) == 4 and isinstance(link[3], dict):
                found.update((k, v) for k, v in link[3].items() if isinstance(v, (bool, int, float, str)))
    return found


def _is_array_constant(value: Any) -> bool:
    if isinstance(value, dict):
        return value.get("class_name") in ("__numpy__", "__tensor__")
    return isinstance(value, list)
