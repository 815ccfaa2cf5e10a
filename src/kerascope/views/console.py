"""Rich renderables as text: coloured for a terminal, plain and full width otherwise."""

from __future__ import annotations

from typing import Any


def as_text(output: Any, to_terminal: bool = False) -> str:
    """A view's output as one string: strings as they are, renderables drawn by rich."""
    if isinstance(output, str):
        return output
    from rich.console import Console, Group
    from rich.text import Text

    parts = output.renderables if isinstance(output, Group) else [output]
    if not to_terminal and all(isinstance(part, Text) for part in parts):
        # Plain text needs no console: the lines as they are (fast for huge models).
        return "\n".join(part.plain.rstrip("\n") for part in parts) + "\n"

    if to_terminal:
        console = Console(record=True, force_terminal=True)
    else:
        width = Console(width=10_000).measure(output).maximum
        console = Console(record=True, width=max(80, width), force_terminal=False, color_system=None)
    with console.capture() as capture:
        console.print(output)
    return capture.get() + "\n"
