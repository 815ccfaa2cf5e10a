"""One self-contained HTML page: the model's overview, its graph (coloured by
kind of layer, folded into blocks, laid out level by level by the vendored
dagre), a layer tree with search, and each layer's config and weights. No
network request of any kind: the page's own content-security policy forbids
them, and everything it needs (styles, scripts, the layout library, data) is
inside it. Everything from a file is escaped: the template prints values
through `printable` and autoescaping, and the data the scripts read is JSON that
cannot close its <script> element, shown by the scripts as text only."""

from __future__ import annotations

import html
import json
from importlib.resources import files
from typing import Any

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from kerascope.model.records import Finding, LayerNode, ModelReport
from kerascope.model.topology import MODEL_KEYS
from kerascope.views.graph import tensor_edges
from kerascope.views.grouping import Fold, folds
from kerascope.views.kinds import PALETTE, clip, key_attributes, kind_of
from kerascope.views.options import ViewOptions
from kerascope.views.text import (
    byte_text,
    class_text,
    cost_text,
    count_text,
    plural,
    printable,
    shape_text,
    si,
    source_lines,
)

# Edges past this many are left out of the page's graph, with a note (a page of a
# million tensors would not open).
PAGE_MAX_EDGES = 1_000_000
_LABEL_LIMIT = 60
# The page's scripts, in order: the vendored layout library, the graph, then the page's own.
_VENDORED = "vendor/dagre/dagre.min.js"


def render(report: ModelReport, options: ViewOptions | None = None) -> str:
    return page("report.html.j2", ("graph.js", "report.js"), **report_context(report))


def page(template: str, scripts: tuple[str, ...] = (), **context: Any) -> str:
    """A template rendered with every value it writes printable, then HTML-escaped:
    whatever a template shows, nothing from a file reaches the page raw. Only what
    a view marks safe (markup it built itself, attribute values it escaped) passes.
    `scripts` (kerascope's own, from `templates/`) follow the vendored layout library."""
    environment = Environment(
        autoescape=select_autoescape(default=True), keep_trailing_newline=True, finalize=_shown
    )
    package = files("kerascope")
    folder = package.joinpath("templates")
    source = folder.joinpath(template).read_text("utf-8")
    css = Markup(folder.joinpath("report.css").read_text("utf-8"))  # kerascope's own, whole
    code = [package.joinpath(_VENDORED).read_text("utf-8")] if scripts else []
    code += [folder.joinpath(name).read_text("utf-8") for name in scripts]
    js = Markup("\n".join(code))
    return environment.from_string(source).render(css=css, js=js, **context)


def _shown(value: Any) -> Any:
    return printable(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def report_context(report: ModelReport) -> dict[str, Any]:
    facts = [
        report.format.value,
        report.layer_count_text(),
        f"{count_text(report.total_params)} params",
    ]
    if report.keras_version:
        facts.insert(1, f"Keras {report.keras_version}")
    findings = [_printable_finding(finding) for finding in report.findings]
    return {
        "title": f"{printable(report.root.name)} ({class_text(report.root)})",
        "facts": printable(f"{report.source} · " + " · ".join(facts)),
        "findings": findings,
        "totals": overview_totals(report),
        "kinds": _kind_counts(report),
        "details": source_lines(report),
        "data": embedded_json(
            {
                "nodes": [_page_node(node) for node in report.nodes],
                "findings": [
                    {"path": finding.path, "severity": finding.severity.value} for finding in report.findings
                ],
                "graph": graph_data(report),
            }
        ),
    }


def overview_totals(report: ModelReport) -> list[tuple[str, str]]:
    """The model at a glance: (what, how much), each printable."""
    root = report.root
    roles: dict[str, int] = {}
    for node in report.layers:
        roles[node.role.value] = roles.get(node.role.value, 0) + 1
    rows = [
        ("Parameters", count_text(report.total_params)),
        ("Trainable", count_text(report.trainable_params)),
        ("Non-trainable", count_text(report.non_trainable_params)),
        ("FLOPs, one forward pass", cost_text(report, "flops", si)),
        ("Multiply-adds", cost_text(report, "macs", si)),
        ("Weights memory", byte_text(root.weight_bytes)),
        ("Activation memory", cost_text(report, "activation_bytes", byte_text)),
        ("Layers", report.layer_count_text()),
        ("At every depth", ", ".join(plural(count, role) for role, count in sorted(roles.items())) or "none"),
        ("Format", report.format.value),
    ]
    for label, value in (
        ("Keras", report.keras_version),
        ("Backend", report.backend),
        ("Saved", report.date_saved),
    ):
        if value:
            rows.append((label, printable(str(value))))
    return rows


def _kind_counts(report: ModelReport) -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    for node in report.layers:
        kind = kind_of(node)
        counts[kind] = counts.get(kind, 0) + 1
    return [
        {"kind": kind, "count": count, "colour": PALETTE[kind]}
        for kind, count in sorted(counts.items(), key=lambda item: -item[1])
    ]


def graph_data(report: ModelReport, limit: int = PAGE_MAX_EDGES) -> dict[str, Any]:
    """What the page's graph draws, by index into the report's nodes: the folds
    (`units`: parent, node or -1, kind of fold or "leaf", label, count), each
    node's card (kind, class, name, output shape, key attributes), every tensor
    between two layers (`edges`: source, target, index into `shapes`), the palette."""
    index = {node.path: position for position, node in enumerate(report.nodes)}
    units: list[list[Any]] = []

    def add(member: Fold | LayerNode, parent: int) -> None:
        if isinstance(member, LayerNode):
            units.append([parent, index[member.path], "leaf", "", 1])
            return
        unit = len(units)
        node = index[member.node.path] if member.node is not None else -1
        units.append([parent, node, member.kind, clip(member.label, _LABEL_LIMIT), member.count])
        for inner in member.members:
            add(inner, unit)

    add(folds(report), -1)
    edges, cut = tensor_edges(report, limit)
    shapes: dict[str, int] = {}
    flat: list[int] = []
    for edge in edges:
        text = clip(shape_text(edge.shape) or "?", _LABEL_LIMIT)
        flat += [index[edge.source], index[edge.target], shapes.setdefault(text, len(shapes))]
    cards = [
        [
            kind_of(node),
            clip(class_text(node)),
            clip(node.name),
            clip(shape_text(node.output_shape)),
            key_attributes(node),
        ]
        for node in report.nodes
    ]
    return {
        "units": units,
        "cards": cards,
        "edges": flat,
        "shapes": list(shapes),
        "palette": PALETTE,
        "cut": cut.note if cut else None,
    }


def _printable_finding(finding: Finding) -> dict[str, str | None]:
    """A finding's text for the page: printable (autoescaping does the rest)."""
    return {
        "severity": finding.severity.value,
        "code": finding.code.value,
        "path": printable(finding.path) if finding.path else None,
        "message": printable(finding.message),
        "hint": printable(finding.hint) if finding.hint else None,
    }


def notebook_frame(document: str, height: int = 640) -> str:
    """A page inside an iframe, so a notebook shows it with its own styles and script."""
    return (
        f'<iframe srcdoc="{html.escape(document, quote=True)}" '
        f'style="width: 100%; height: {height}px; border: 1px solid #d0d5dd; border-radius: 6px"></iframe>'
    )


def embedded_json(value: Any) -> str:
    """JSON that cannot close the <script> element holding it."""
    text = json.dumps(value, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _page_node(node: LayerNode) -> dict[str, Any]:
    data = node.to_dict()
    if isinstance(node.config, dict) and any(key in node.config for key in MODEL_KEYS):
        # A model's config repeats every layer's; the page shows each at its layer.
        data["config"] = {key: value for key, value in node.config.items() if key not in MODEL_KEYS}
    return data
