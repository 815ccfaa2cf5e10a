"""A load check as text (coloured on a terminal), JSON or Markdown."""

from __future__ import annotations

import re
import textwrap

from rich.text import Text

from kerascope.model.results import LayerLoad, LoadCheck
from kerascope.model.vocabulary import LoadStatus
from kerascope.views.markdown_view import markdown_text
from kerascope.views.text import plural, printable

_WORDS = {
    LoadStatus.MATCHED: ("loads", "green"),
    LoadStatus.MISSING: ("nothing loaded", "red"),
    LoadStatus.PARTIAL: ("partly loaded", "yellow"),
    LoadStatus.COUNT_MISMATCH: ("count mismatch", "red"),
    LoadStatus.SHAPE_MISMATCH: ("shape mismatch", "red"),
    LoadStatus.MISPLACED: ("another layer's", "red"),
    LoadStatus.UNKNOWN: ("unknown", "yellow"),
}
_SHOWN_UNEXPECTED = 8
_WIDTH = 100  # the rules and reasons wrap here


def verdict(check: LoadCheck) -> str:
    if check.clean:
        return "loads cleanly"
    if check.loads:
        return "loads, with caveats"
    return "does not load" if check.keras_error is not None else "loads only partly"


def render_text(check: LoadCheck) -> Text:
    out = Text()
    out.append(f"{printable(check.weights)} into {printable(check.into)}: {verdict(check)}\n", style="bold")
    out.append(_wrapped(f"rules: {printable(check.rules)}", "       "), style="dim")
    width = max((len(printable(layer.path)) for layer in check.layers), default=5)
    for layer in check.layers:
        word, colour = _WORDS[layer.status]
        out.append(f"  {printable(layer.path):<{width}}  ")
        out.append(f"{word:<15}", style=colour)
        out.append(f"  {printable(layer.group or '')}\n")
        if layer.reason:
            out.append(_wrapped(f"      why: {printable(layer.reason)}", " " * 11), style="dim")
    if check.keras_message is not None:
        said = f"Keras raises {check.keras_error}:" if check.keras_error else "Keras warns:"
        out.append(f"{said}\n", style="bold")
        for line in check.keras_message.splitlines():
            out.append(f"  {printable(line)}".rstrip() + "\n")
    elif check.loads:
        out.append("Keras says nothing.\n")
    if check.unexpected:
        groups = _groups(check.unexpected)
        out.append(f"{plural(len(check.unexpected), 'saved value')} no variable receives, in ")
        out.append(f"{plural(len(groups), 'group')}:\n")
        for group, count in list(groups.items())[:_SHOWN_UNEXPECTED]:
            out.append(f"  {printable(group)} ({count})\n")
        if len(groups) > _SHOWN_UNEXPECTED:
            out.append(f"  and {plural(len(groups) - _SHOWN_UNEXPECTED, 'more group')}\n")
    if check.optimizer is not None:
        out.append(f"optimizer: {check.optimizer}\n")
    for note in check.notes:
        out.append(f"note: {printable(note)}\n", style="dim")
    out.rstrip()
    return out


def render_json(check: LoadCheck) -> str:
    return check.to_json() + "\n"


def render_markdown(check: LoadCheck) -> str:
    lines = [
        f"**{markdown_text(check.weights)}** into **{markdown_text(check.into)}**: {verdict(check)}",
        "",
        f"Rules: {markdown_text(check.rules)}",
        "",
        "| layer | outcome | group | why |",
        "| --- | --- | --- | --- |",
        *(_row(layer) for layer in check.layers),
    ]
    if check.keras_message is not None:
        said = f"Keras raises `{check.keras_error}`:" if check.keras_error else "Keras warns:"
        lines += ["", said, "", _block(check.keras_message)]
    if check.unexpected:
        lines += ["", f"Saved values no variable receives: {markdown_text(_listed(check.unexpected))}"]
    lines += [f"- {markdown_text(note)}" for note in check.notes]
    return "\n".join(lines) + "\n"


def _row(layer: LayerLoad) -> str:
    word, _ = _WORDS[layer.status]
    cells = [layer.path, word, layer.group or "", layer.reason or ""]
    return "| " + " | ".join(markdown_text(cell) for cell in cells) + " |"


def _listed(locations: list[str]) -> str:
    shown = ", ".join(printable(location) for location in locations[:_SHOWN_UNEXPECTED])
    more = len(locations) - _SHOWN_UNEXPECTED
    return shown + (f" and {more} more" if more > 0 else "")


def _wrapped(text: str, indent: str) -> str:
    return textwrap.fill(text, _WIDTH, subsequent_indent=indent, break_on_hyphens=False) + "\n"


def _groups(locations: list[str]) -> dict[str, int]:
    """Saved values' locations (`file:group/0`) counted by group, in order."""
    counted: dict[str, int] = {}
    for location in locations:
        group = location.rpartition("/")[0] or location
        counted[group] = counted.get(group, 0) + 1
    return counted


def _block(text: str) -> str:
    """Keras's message as a fenced block that nothing in it can close."""
    body = "\n".join(printable(line) for line in text.splitlines())
    fence = "`" * max(3, max((len(run) for run in re.findall("`+", body)), default=0) + 1)
    return f"{fence}text\n{body}\n{fence}"
