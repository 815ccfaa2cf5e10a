"""A ModelDiff as text (coloured on a terminal), JSON, Markdown or an HTML page."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text

from kerascope.model.records import ModelReport
from kerascope.model.results import LayerDiff, ModelDiff
from kerascope.model.vocabulary import DiffStatus
from kerascope.views.markdown_view import markdown_code, markdown_text
from kerascope.views.text import compact, count_text, plural, printable

_MARKS = {
    DiffStatus.ADDED: ("+", "green"),
    DiffStatus.REMOVED: ("-", "red"),
    DiffStatus.CHANGED: ("~", "yellow"),
}


def render_text(diff: ModelDiff) -> Text:
    out = Text()
    out.append(_headline(diff) + "\n", style="bold")
    for layer in diff.layers:
        mark, colour = _MARKS[layer.status]
        out.append(f"{mark} {_layer_title(layer)}\n", style=colour)
        for change in layer.changes:
            out.append(f"    {printable(change.key)}: ")
            out.append(_value(change.old), style="red")
            out.append(" → ")
            out.append(_value(change.new), style="green")
            out.append("\n")
    if diff.a_params != diff.b_params:
        out.append(f"Params: {count_text(diff.a_params)} → {count_text(diff.b_params)}\n")
    for note in diff.notes:
        out.append(f"note: {printable(note)}\n", style="dim")
    out.rstrip()
    return out


def render_json(diff: ModelDiff) -> str:
    return diff.to_json() + "\n"


def render_html(diff: ModelDiff) -> str:
    """A standalone page: both models' graphs side by side, matched layers aligned
    and every change coloured (added, removed, config changed, weights changed),
    navigation synced; then each change in a table, A's value beside B's."""
    from kerascope.views.html_view import embedded_json, page

    marks = {status: mark for status, (mark, _) in _MARKS.items()}
    pictures = None
    if diff.reports is not None:
        a, b = diff.reports
        pictures = embedded_json(
            {
                "a": _side(a, diff, "a"),
                "b": _side(b, diff, "b"),
                "pairs": _index_pairs(a, b, diff.pairs),
            }
        )
    return page(
        "diff.html.j2",
        ("graph.js", "diff.js") if pictures else (),
        diff=diff,
        headline=_headline(diff),
        marks=marks,
        shown=_value,
        a_params=count_text(diff.a_params),
        b_params=count_text(diff.b_params),
        pictures=pictures,
    )


def change_kind(layer: LayerDiff) -> str:
    """How a layer differs, in the words the picture colours it by: `added`,
    `removed`, `weights` (only its weights changed) or `config` (anything else)."""
    if layer.status != DiffStatus.CHANGED:
        return layer.status.value
    keys = [change.key for change in layer.changes]
    return "weights" if keys and all(key.startswith("weights") for key in keys) else "config"


def _side(report: ModelReport, diff: ModelDiff, side: str) -> dict[str, Any]:
    from kerascope.views.html_view import graph_data

    index = {node.path: position for position, node in enumerate(report.nodes)}
    status: dict[int, str] = {}
    changes: dict[int, list[str]] = {}
    for layer in diff.layers:
        path = layer.a if side == "a" else layer.b
        if path is None or path not in index:
            continue
        status[index[path]] = change_kind(layer)
        changes[index[path]] = [
            printable(f"{change.key}: {_value(change.old)} → {_value(change.new)}")
            for change in layer.changes[:20]
        ]
    return {
        "title": printable(report.source),
        "nodes": [
            {"path": node.path, "name": node.name, "class_name": node.class_name, "total_params": node.total_params,
             "flops": node.flops, "activation_bytes": node.activation_bytes, "weights": [], "children": node.children}
            for node in report.nodes
        ],
        "graph": graph_data(report),
        "status": [status.get(position, "same") for position in range(len(report.nodes))],
        "changes": {str(position): lines for position, lines in changes.items()},
    }  # fmt: skip


def _index_pairs(a: ModelReport, b: ModelReport, pairs: dict[str, str]) -> list[list[int]]:
    a_index = {node.path: position for position, node in enumerate(a.nodes)}
    b_index = {node.path: position for position, node in enumerate(b.nodes)}
    return [[a_index[x], b_index[y]] for x, y in pairs.items() if x in a_index and y in b_index]


def _headline(diff: ModelDiff) -> str:
    mode = "normalized across Keras versions" if diff.normalized else "as stored"
    count = len(diff.layers)
    verdict = (
        "no differences" if diff.same else f"{plural(count, 'layer')} {'differs' if count == 1 else 'differ'}"
    )
    return f"{printable(diff.a_source)} → {printable(diff.b_source)}: {verdict} ({mode})"


def _layer_title(layer: LayerDiff) -> str:
    title = f"{printable(layer.path) or '(model)'}  {printable(layer.class_name or '?')}"
    notes = []
    if layer.renamed:
        notes.append(f"renamed from {printable(layer.old_name or '')}")
    elif layer.moved:
        notes.append(f"moved from {printable(layer.a or '')}")
    return title + (f"  ({'; '.join(notes)})" if notes else "")


def _value(value: Any) -> str:
    """A changed value as printable text: strings as they are, the rest as JSON;
    bytecode and other long strings as a digest (JSON output keeps every byte)."""
    shown = compact(value)
    return printable(shown if isinstance(shown, str) else json.dumps(shown, default=repr))


def render_markdown(diff: ModelDiff) -> str:
    lines = [f"**{markdown_text(_headline(diff))}**", ""]
    if diff.layers:
        lines += ["| | layer | class | change | old | new |", "|---|---|---|---|---|---|"]
    for layer in diff.layers:
        mark = _MARKS[layer.status][0]
        note = "renamed" if layer.renamed else "moved" if layer.moved else layer.status.value
        rows = [(change.key, _value(change.old), _value(change.new)) for change in layer.changes] or [
            (note, "", "")
        ]
        for key, old, new in rows:
            cells = [
                mark,
                markdown_code(layer.path),
                markdown_text(layer.class_name or "?"),
                markdown_code(key),
            ]
            lines.append("| " + " | ".join([*cells, markdown_code(old), markdown_code(new)]) + " |")
    if diff.a_params != diff.b_params:
        lines += ["", f"Params: {count_text(diff.a_params)} → {count_text(diff.b_params)}"]
    if diff.notes:
        lines += ["", *(f"- note: {markdown_text(note)}" for note in diff.notes)]
    return "\n".join(lines) + "\n"
