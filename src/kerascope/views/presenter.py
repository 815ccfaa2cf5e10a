"""How records show themselves: plain text, the HTML page, notebook frames and
DataFrames, registered with the model layer when kerascope is imported.

Importing this module imports no view: each is loaded on first use.
"""

from __future__ import annotations

from typing import Any

from kerascope.model import display
from kerascope.model.records import ModelReport
from kerascope.model.results import CheckResult, ModelDiff


class _Presenter:
    def text(self, record: Any, **options: Any) -> str:
        from kerascope.views.console import as_text

        if isinstance(record, ModelReport):
            from kerascope.views import render
            from kerascope.views.options import ReportView, ViewOptions

            return as_text(render(record, ReportView.TABLE, ViewOptions.of(**options))).rstrip("\n")
        if options:
            raise TypeError(f"{type(record).__name__} text takes no view options")
        if isinstance(record, ModelDiff):
            from kerascope.views.diff_view import render_diff

            return as_text(render_diff(record, "text")).rstrip("\n")
        if isinstance(record, CheckResult):
            from kerascope.views.check_view import render_check

            return as_text(render_check(record, "text")).rstrip("\n")
        raise TypeError(f"no text view of {type(record).__name__}")

    def html(self, record: Any) -> str:
        if isinstance(record, ModelReport):
            from kerascope.views.html_view import render

            return render(record)
        if isinstance(record, ModelDiff):
            from kerascope.views.diff_view import diff_html

            return diff_html(record)
        raise TypeError(f"no HTML view of {type(record).__name__}")

    def notebook(self, record: Any) -> str:
        from kerascope.views.html_view import notebook_frame

        if isinstance(record, CheckResult):
            from html import escape

            return f"<pre>{escape(self.text(record))}</pre>"
        return notebook_frame(self.html(record), height=400 if isinstance(record, ModelDiff) else 640)

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
