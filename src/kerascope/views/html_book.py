"""Several reports as one self-contained HTML document: each report's own page in a
frame of its own under its title (as a notebook shows one), so each keeps its
styles, script and search. Like every page, it makes no network request: its
content-security policy forbids any, and the frames inherit it."""

from __future__ import annotations

import html

from kerascope.model.records import ModelReport
from kerascope.views.html_view import notebook_frame
from kerascope.views.html_view import render as render_page
from kerascope.views.options import ViewOptions
from kerascope.views.text import printable

POLICY = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
STYLE = (
    "body{font-family:system-ui,sans-serif;margin:16px 24px;color:#101828}"
    "h1{font-size:20px}h2{font-size:16px;margin:24px 0 8px}"
)


def render(titled: list[tuple[str, ModelReport]], options: ViewOptions) -> str:
    sections = "".join(
        f"<section><h2>{html.escape(printable(title))}</h2>{notebook_frame(render_page(report, options))}</section>"
        for title, report in titled
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">\n'
        f"<title>kerascope: {len(titled)} models</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n<h1>kerascope: {len(titled)} models</h1>\n{sections}\n</body>\n</html>\n"
    )
