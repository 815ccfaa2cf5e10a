"""The example outputs README.md shows, as the command that printed them."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def shown_output(command: str) -> str:
    """What README shows `$ command` printing: the lines after it, up to the end of its
    code block or the next command."""
    lines = README.read_text("utf-8").splitlines()
    start = lines.index(f"$ {command}") + 1
    end = start
    while end < len(lines) and not lines[end].startswith(("```", "$ ")):
        end += 1
    return "\n".join(lines[start:end]).rstrip() + "\n"
