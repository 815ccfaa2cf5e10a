"""A ModelDiff as text (coloured on a terminal), JSON, Markdown or an HTML page."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text

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
    """A standalone page: each change side by side, A's value beside B's."""
    from kerascope.views.html_view import page

    marks = {status: mark for status, (mark, _) in _MARKS.items()}
    return page(
        "diff.html.j2",
        diff=diff,
        headline=_headline(diff),
        marks=marks,
        shown=_value,
        a_params=count_text(diff.a_params),
        b_params=count_text(diff.b_params),
    )


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
