"""How a record shows itself, without the model layer knowing any view.

Records hold data. Everything about screens lives in the views layer, which
registers one presenter when `kerascope` is imported; a record's `str()`,
`summary()`, `to_html()`, notebook display and `to_dataframe()` ask it. So no
record module imports a view, and a new view never touches a record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class Presenter(Protocol):
    def text(self, record: Any, **options: Any) -> str: ...

    def html(self, record: Any) -> str: ...

    def notebook(self, record: Any) -> str: ...

    def dataframe(self, record: Any, columns: list[str] | None, keys: list[str] | None) -> Any: ...


_presenter: Presenter | None = None


def register(chosen: Presenter) -> None:
    global _presenter
    _presenter = chosen


def presenter() -> Presenter:
    if _presenter is None:  # only if kerascope.model was imported without kerascope itself
        raise RuntimeError("no presenter registered: import kerascope first")
    return _presenter


class Shown:
    """Text and notebook display for a record, drawn by the registered presenter: a
    record whose kind has no HTML view shows its text in a notebook."""

    def __str__(self) -> str:
        return presenter().text(self)

    def _repr_html_(self) -> str:
        return presenter().notebook(self)


class Displayed(Shown):
    """Text, HTML and notebook display for a record, drawn by the registered presenter."""

    def summary(self, print_fn: Callable[[str], Any] | None = None, **options: Any) -> None:
        """Print the plain-text view, like Keras's `model.summary(print_fn=...)`.

        `options` are the view's: `depth`, `select`, `classes`, `keys`, `columns`.
        """
        (print_fn or print)(presenter().text(self, **options))

    def to_html(self) -> str:
        """The self-contained HTML page."""
        return presenter().html(self)
