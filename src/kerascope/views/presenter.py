"""How records show themselves: plain text, the HTML page, notebook frames and
DataFrames, registered with the model layer when kerascope is imported. Which
view each kind of record uses is its view table's (`tables.py`).

Importing this module imports no view: each is loaded on first use.
"""

from __future__ import annotations

from typing import Any

from kerascope.model import display
from kerascope.model.records import ModelReport
from kerascope.views.options import ViewOptions
from kerascope.views.tables import table_of


class _Presenter:
    def text(self, record: Any, **options: Any) -> str:
        from kerascope.views.console import as_text

        table = table_of(record)
        if table.text is None:
            raise TypeError(f"no text view of {type(record).__name__}")
        if options and not table.options:
            raise TypeError(f"{type(record).__name__} text takes no view options")
        chosen = ViewOptions.of(**options) if table.options else None
        return as_text(table.render(record, table.text, chosen)).rstrip("\n")

    def html(self, record: Any) -> str:
        table = table_of(record)
        if table.html is None:
            raise TypeError(f"no HTML view of {type(record).__name__}")
        return table.render(record, table.html)

    def notebook(self, record: Any) -> str:
        from kerascope.views.html_view import notebook_frame

        table = table_of(record)
        if table.html is None:
            from html import escape

            return f"<pre>{escape(self.text(record))}</pre>"
        return notebook_frame(self.html(record), height=table.notebook_height)

    def dataframe(self, record: ModelReport, columns: list[str] | None, keys: list[str] | None) -> Any:
        try:
            import pandas
        except ImportError:
            raise ImportError("to_dataframe needs pandas: pip install 'kerascope[pandas]'") from None
        from kerascope.views.columns import COLUMNS, INTEGER_COLUMNS, rows

        chosen = columns or list(COLUMNS)
        frame = pandas.DataFrame(rows(record, chosen, keys), columns=[*chosen, *(keys or [])])
        for name in INTEGER_COLUMNS & set(chosen):
            frame[name] = frame[name].astype("Int64")
        return frame


def register() -> None:
    display.register(_Presenter())
