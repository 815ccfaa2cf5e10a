"""The views of each kind of record, by name: one table per kind, one row per view.

A row names the module that draws the view and the function there, imported on
first use, so `import kerascope` and `kerascope --help` load no view. The command
line's `--format` choices are a table's names, its first row the default; a
record's `str()` and `to_html()` are the views its table names for them. A new
view is one module and one row here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kerascope.model.records import LayerNode, ModelReport
from kerascope.model.results import CheckResult, LoadCheck, ModelDiff
from kerascope.views.options import ViewOptions


@dataclass(frozen=True)
class View:
    """One view: `function` in `module` draws a record as a string or a rich renderable.
    `for_reading`: text for a person. Several records are one document of the view:
    `joined` (a function of `[(title, record)]`, in `module` or named `module:function`)
    writes them as one (a JSON array, one page); without it each follows a line of
    `heading` with its title."""

    module: str
    function: str = "render"
    for_reading: bool = False
    joined: str | None = None
    heading: str = "── {title}\n"

    def draw(self, function: str | None = None) -> Callable[..., Any]:
        module, _, name = (function or self.function).rpartition(":")
        return getattr(importlib.import_module(module or self.module), name)


@dataclass(frozen=True)
class ViewTable:
    """The views of one kind of record, the default first. `text` and `html` name the
    views a record's `str()` and `to_html()` use (None: it has none); with `options`,
    a view takes `ViewOptions`, which first cut the record to the layers asked for."""

    record: type
    views: dict[str, View] = field(repr=False)
    text: str | None = None
    html: str | None = None
    options: bool = False
    notebook_height: int = 640  # pixels of the frame a notebook shows the HTML view in

    def __iter__(self) -> Iterator[str]:
        return iter(self.views)

    def __getitem__(self, name: str) -> View:
        if name not in self.views:
            raise ValueError(
                f"no {name!r} view of a {self.record.__name__}; choose from {', '.join(self.views)}"
            )
        return self.views[name]

    @property
    def default(self) -> str:
        return next(iter(self.views))

    def render(self, record: Any, name: str, options: ViewOptions | None = None) -> Any:
        """`record` in the view `name`: a string or a rich renderable."""
        view = self[str(name)]
        if self.options:
            chosen = options or ViewOptions()
            return view.draw()(chosen.chosen_layers(record), chosen)
        if options is not None:
            raise TypeError(f"the views of a {self.record.__name__} take no view options")
        return view.draw()(record)

    def render_many(
        self,
        titled: list[tuple[str, Any]],
        name: str,
        options: ViewOptions | None = None,
        to_terminal: bool = False,
    ) -> str:
        """Several records, each with its title, as one document of the view `name`."""
        from kerascope.views.console import as_text
        from kerascope.views.text import printable

        view = self[str(name)]
        chosen = options or ViewOptions() if self.options else None
        if view.joined is not None:
            cut = [(title, chosen.chosen_layers(record) if chosen else record) for title, record in titled]
            return as_text(view.draw(view.joined)(cut, chosen), to_terminal)
        return "".join(
            view.heading.format(title=printable(title))
            + as_text(self.render(record, name, chosen), to_terminal)
            for title, record in titled
        )


REPORT_VIEWS = ViewTable(
    ModelReport,
    {
        "table": View("kerascope.views.table_view", for_reading=True),
        "tree": View("kerascope.views.tree_view", for_reading=True),
        "json": View("kerascope.views.json_view", joined="render_many"),
        "yaml": View("kerascope.views.yaml_view", joined="render_many"),
        "csv": View("kerascope.views.csv_view", joined="render_many"),
        "markdown": View("kerascope.views.markdown_view", heading="## {title}\n\n"),
        "dot": View("kerascope.views.dot_view", heading="// {title}\n"),
        "mermaid": View("kerascope.views.mermaid_view", heading="%% {title}\n"),
        "html": View("kerascope.views.html_view", joined="kerascope.views.html_book:render"),
    },
    text="table",
    html="html",
    options=True,
)
LAYER_VIEWS = ViewTable(
    LayerNode,
    {
        "yaml": View("kerascope.views.yaml_view", "render_layer"),
        "json": View("kerascope.views.json_view", "render_layer"),
    },
    text="yaml",
)
DIFF_VIEWS = ViewTable(
    ModelDiff,
    {
        "text": View("kerascope.views.diff_view", "render_text", for_reading=True),
        "json": View("kerascope.views.diff_view", "render_json"),
        "markdown": View("kerascope.views.diff_view", "render_markdown"),
        "html": View("kerascope.views.diff_view", "render_html"),
    },
    text="text",
    html="html",
    notebook_height=400,
)
CHECK_VIEWS = ViewTable(
    CheckResult,
    {
        "text": View("kerascope.views.check_view", "render_text", for_reading=True),
        "json": View("kerascope.views.check_view", "render_json"),
        "sarif": View("kerascope.views.sarif"),
    },
    text="text",
)
LOAD_CHECK_VIEWS = ViewTable(
    LoadCheck,
    {
        "text": View("kerascope.views.load_check_view", "render_text", for_reading=True),
        "json": View("kerascope.views.load_check_view", "render_json"),
        "markdown": View("kerascope.views.load_check_view", "render_markdown"),
    },
    text="text",
)
TABLES = (REPORT_VIEWS, LAYER_VIEWS, DIFF_VIEWS, CHECK_VIEWS, LOAD_CHECK_VIEWS)


def table_of(record: Any) -> ViewTable:
    """The views of `record`'s kind."""
    for table in TABLES:
        if isinstance(record, table.record):
            return table
    raise TypeError(f"no view of {type(record).__name__}")


def render(record: Any, view: str, options: ViewOptions | None = None) -> Any:
    """`record` (a report, a layer, a diff or a check) in `view` of its kind; `options`
    choose a report's layers, columns and keys."""
    return table_of(record).render(record, view, options)
