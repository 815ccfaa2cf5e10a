"""A pytest plugin that blanks one fact in every report of one format, to show which
tests notice: `KERASCOPE_MUTATION=keras:configs pytest -p blank_facts ...`.

The static readers are wrapped where every report comes out (`kerascope.readers.read`),
so each test that reads a file of that format sees the fact gone, as it would be if
that reader had lost it. Used by `run.py`; never by the test suite itself.
"""

from __future__ import annotations

import os
from typing import Any


def _blank(report: Any, fact: str) -> None:
    for node in report.nodes:
        if fact == "classes":
            node.class_name = None
        elif fact == "configs":
            node.config, node.config_error = None, "blanked"
        elif fact == "shapes":
            node.output_shapes = node.input_shapes = node.build_input_shape = None
        elif fact == "links":
            node.inbound = None
        elif fact == "weights":
            node.weights = []
        elif fact == "layers" and node.path:
            node.children = []
    if fact == "layers":
        report.nodes[:] = report.nodes[:1]
        report.__post_init__()


def pytest_configure(config: Any) -> None:
    spec = os.environ.get("KERASCOPE_MUTATION")
    if not spec:
        return
    fmt, fact = spec.split(":")
    import kerascope.readers as readers

    original = readers.read

    def mutated(source: Any, *args: Any, **kwargs: Any) -> Any:
        report = original(source, *args, **kwargs)
        if report.format.value == fmt:
            _blank(report, fact)
        return report

    readers.read = mutated
