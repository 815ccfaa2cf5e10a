"""One self-contained HTML page: a collapsible layer tree, search, each layer's
config and weights, and an SVG graph per model level. No network request of any
kind: the page's own content-security policy forbids them, and everything it
needs (styles, script, data, drawings) is inside it."""

from __future__ import annotations

import html
import json
from importlib.resources import files
from typing import Any

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from kerascope.model.records import Finding, LayerNode, ModelReport
from kerascope.model.topology import MODEL_KEYS
from kerascope.views.graph import graph_nodes, is_cluster, layered_layout, level_edges
from kerascope.views.options import ViewOptions
from kerascope.views.text import UNPRINTABLE, class_text, count_text, plural, printable, source_lines

BOX_WIDTH, BOX_HEIGHT, GAP_X, GAP_Y, MARGIN = 180, 38, 24, 34, 16


def render(report: ModelReport, options: ViewOptions | None = None) -> str:
    return page("report.html.j2", **report_context(report))


def page(template: str, **context: Any) -> str:
    """A template rendered with every value it writes printable, then HTML-escaped:
    whatever a template shows, nothing from a file reaches the page raw. Only what
    a view marks safe (markup it built itself, attribute values it escaped) passes."""
    environment = Environment(
        autoescape=select_autoescape(default=True), keep_trailing_newline=True, finalize=_shown
    )
    folder = files("kerascope").joinpath("templates")
    source = folder.joinpath(template).read_text("utf-8")
    css = Markup(folder.joinpath("report.css").read_text("utf-8"))  # kerascope's own, whole
    js = Markup(folder.joinpath("report.js").read_text("utf-8"))
    return environment.from_string(source).render(css=css, js=js, **context)


def _shown(value: Any) -> Any:
    return printable(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def report_context(report: ModelReport) -> dict[str, Any]:
    facts = [
        report.format.value,
        plural(len(report.layers), "layer"),
        f"{count_text(report.total_params)} params",
    ]
    if report.keras_version:
        facts.insert(1, f"Keras {report.keras_version}")
    return {
        "title": f"{printable(report.root.name)} ({class_text(report.root)})",
        "facts": printable(f"{report.source} · " + " · ".join(facts)),
        "findings": [_printable_finding(finding) for finding in report.findings],
        "details": source_lines(report),
        "levels": _levels(report),
        "data": embedded_json({"nodes": [_page_node(node) for node in report.nodes]}),
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


def _levels(report: ModelReport) -> list[dict[str, Any]]:
    levels = []
    for node in report.nodes:
        if node.path and not is_cluster(report, node):
            continue
        crumbs = []
        parent = report.parent(node)
        while parent is not None:
            crumbs.insert(0, {"path": attribute(parent.path), "name": parent.name})
            parent = report.parent(parent)
        svg = _svg(report, node, marker=f"arrow-{len(levels)}")
        levels.append({"path": attribute(node.path), "name": node.name, "crumbs": crumbs, "svg": svg})
    return levels


def _svg(report: ModelReport, model: LayerNode, marker: str) -> str:
    members = graph_nodes(report, model)
    if not members:
        return '<p class="note">No layers with connections at this level.</p>'
    edges = level_edges(report, model)
    places = layered_layout([node.path for node in members], edges)
    columns = max(column for column, _ in places.values()) + 1
    rows = max(row for _, row in places.values()) + 1
    width = MARGIN * 2 + columns * (BOX_WIDTH + GAP_X)
    height = MARGIN * 2 + rows * (BOX_HEIGHT + GAP_Y)

    def corner(path: str) -> tuple[int, int]:
        column, row = places[path]
        return MARGIN + column * (BOX_WIDTH + GAP_X), MARGIN + row * (BOX_HEIGHT + GAP_Y)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f'<defs><marker id="{marker}" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" fill="#98a2b3"/></marker></defs>',
    ]
    for source, target in edges:
        (x1, y1), (x2, y2) = corner(source), corner(target)
        start = (x1 + BOX_WIDTH / 2, y1 + BOX_HEIGHT)
        end = (x2 + BOX_WIDTH / 2, y2)
        bend = (end[1] - start[1]) / 2
        parts.append(
            f'<path class="edge" marker-end="url(#{marker})" d="M{start[0]},{start[1]} C{start[0]},{start[1] + bend} '
            f'{end[0]},{end[1] - bend} {end[0]},{end[1]}"/>'
        )
    for node in members:
        x, y = corner(node.path)
        kind = "node model" if is_cluster(report, node) else "node"
        marker = " ▸" if is_cluster(report, node) else ""
        parts.append(
            f'<g class="{kind}" data-path="{attribute(node.path)}" transform="translate({x},{y})">'
            f'<rect width="{BOX_WIDTH}" height="{BOX_HEIGHT}"/>'
            f'<text x="8" y="15">{html.escape(_clip(printable(node.name)))}{marker}</text>'
            f'<text class="cls" x="8" y="30">{html.escape(_clip(class_text(node)))}</text>'
            f"<title>{html.escape(printable(node.path))}</title></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def attribute(text: str) -> Markup:
    """An attribute value that holds the text exactly (the page's script finds layers
    by it) with no raw character a reader acts on in the page: those become character
    references, from the one set `printable` escapes."""
    return Markup(UNPRINTABLE.sub(lambda match: f"&#x{ord(match.group()):x};", html.escape(text)))


def _clip(text: str, limit: int = 26) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
