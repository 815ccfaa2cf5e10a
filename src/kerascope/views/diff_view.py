"""A ModelDiff as text (coloured on a terminal), JSON, Markdown or an HTML page."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text

from kerascope.model.records import ModelReport
from kerascope.model.results import LayerChange, LayerDiff, ModelDiff, TensorChange, ValueDiff
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
    if diff.values is not None:
        _values_text(diff.values, out)
    for note in diff.notes:
        out.append(f"note: {printable(note)}\n", style="dim")
    out.rstrip()
    return out


def _values_text(values: ValueDiff, out: Text) -> None:
    """Each layer's change, largest first, with its changed tensors below it."""
    out.append(f"Weight values: {values_summary(values)}\n", style="bold")
    by_layer: dict[tuple[str, str], list[TensorChange]] = {}
    for tensor in values.tensors:
        by_layer.setdefault((tensor.a_layer, tensor.layer), []).append(tensor)
    width = max((len(printable(layer.path or "(model)")) for layer in values.layers), default=0)
    for layer in values.layers:
        name = printable(layer.path or "(model)").ljust(width)
        out.append(f"  {name}  {printable(layer.class_name or '?')}  ")
        out.append(_layer_words(layer), style=_LAYER_STYLES[layer.status])
        out.append("\n")
        for tensor in by_layer.get((layer.a, layer.path), []):
            if tensor.unread is not None:
                out.append(
                    f"      {printable(tensor.weight)}: not compared: {printable(tensor.unread)}\n",
                    style="dim",
                )
            elif not tensor.same:
                out.append(
                    f"      {printable(tensor.weight)}: {_numbers(tensor.rel_l2, tensor.max_abs_diff)}\n"
                )


_LAYER_STYLES = {"changed": "yellow", "unchanged": "dim", "unread": "red"}


def _layer_words(layer: LayerChange) -> str:
    frozen = " (frozen)" if layer.frozen else ""
    if layer.status == "unchanged":
        return f"unchanged{frozen}"
    if layer.status == "unread":
        return "not compared"
    return f"{_numbers(layer.rel_l2, layer.max_abs_diff)}  ({layer.changed} of {layer.tensors} tensors changed){frozen}"


def _numbers(rel_l2: float | None, max_abs_diff: float | None) -> str:
    return f"rel_l2 {relative_text(rel_l2)}  max_abs_diff {number_text(max_abs_diff)}"


def number_text(value: float | None) -> str:
    """A change in as few digits as tell it (`3.1e-05`); `?` where there is none."""
    return "?" if value is None else f"{value:.3g}"


def relative_text(value: float | None) -> str:
    """`rel_l2`: None (null in JSON) only where A was all zeros and B is not, which is ∞."""
    return "∞" if value is None else number_text(value)


def values_summary(values: ValueDiff) -> str:
    """`3 of 8 tensors changed, in 2 of 4 layers` and what was not compared."""
    compared = [tensor for tensor in values.tensors if tensor.unread is None]
    changed = sum(not tensor.same for tensor in compared)
    layers = [layer for layer in values.layers if layer.status != "unread"]
    moved = sum(layer.status == "changed" for layer in layers)
    text = (
        f"{changed:,} of {plural(len(compared), 'tensor')} changed, in {moved:,} of {plural(len(layers), 'layer')}"
        if changed
        else f"all {plural(len(compared), 'tensor')} bit-identical"
    )
    unread = len(values.tensors) - len(compared)
    return text + (f"; {plural(unread, 'tensor')} not compared" if unread else "")


def render_json(diff: ModelDiff) -> str:
    """The diff's JSON; with values, `values` holds `same`, `compared`, `changed`, each
    layer's change (`layers`: path, a, class_name, status, frozen, tensors, changed,
    max_abs_diff, rel_l2; largest change first) and each tensor's (`tensors`: layer,
    a_layer, weight, index, shape, dtype, same, max_abs_diff, rel_l2, nonfinite, unread)."""
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
        values_summary=values_summary(diff.values) if diff.values is not None else "",
        number=number_text,
        relative=relative_text,
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
    verdicts = [f"{plural(count, 'layer')} {'differs' if count == 1 else 'differ'}"] if count else []
    if diff.values is not None:
        moved = sum(layer.status == "changed" for layer in diff.values.layers)
        unread = sum(tensor.unread is not None for tensor in diff.values.tensors)
        if moved:
            verdicts.append(f"the weights of {plural(moved, 'layer')} changed")
        if unread:
            verdicts.append(f"{plural(unread, 'tensor')} not compared")
    verdict = ", ".join(verdicts) or "no differences"
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
    if diff.values is not None:
        lines += ["", *_values_markdown(diff.values)]
    if diff.notes:
        lines += ["", *(f"- note: {markdown_text(note)}" for note in diff.notes)]
    return "\n".join(lines) + "\n"


def _values_markdown(values: ValueDiff) -> list[str]:
    lines = [
        f"**Weight values:** {markdown_text(values_summary(values))}",
        "",
        "| layer | class | change | tensors changed | rel_l2 | max_abs_diff |",
        "|---|---|---|---|---|---|",
    ]
    for layer in values.layers:
        status = layer.status + (" (frozen)" if layer.frozen else "")
        cells = [
            markdown_code(layer.path or "(model)"),
            markdown_text(layer.class_name or "?"),
            status,
            f"{layer.changed} of {layer.tensors}",
            relative_text(layer.rel_l2) if layer.status == "changed" else number_text(layer.rel_l2),
            number_text(layer.max_abs_diff),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines
