"""Layer paths: `/`-joined layer names, unique within a report.

A name may itself hold `/`, `#` or `%`, and two siblings may share a name (a custom
layer can create two sublayers both called `dense`). Both cases are made
unambiguous here, in one place, so a live walk and a static read of the same
model build the same paths.
"""

from __future__ import annotations


def escape(name: str) -> str:
    """A name made safe to use as one path segment."""
    return name.replace("%", "%25").replace("/", "%2F").replace("#", "%23")


def join(parent: str, segment: str) -> str:
    return f"{parent}/{segment}" if parent else segment


class SiblingNames:
    """Hands out one segment per sibling; a repeated name gets `#2`, `#3`, ..."""

    def __init__(self, taken: list[str] | None = None) -> None:
        self._seen: dict[str, int] = {}
        for segment in taken or []:
            self._seen[segment.partition("#")[0]] = self._seen.get(segment.partition("#")[0], 0) + 1

    def segment(self, name: str) -> str:
        base = escape(name)
        count = self._seen.get(base, 0) + 1
        self._seen[base] = count
        return base if count == 1 else f"{base}#{count}"
