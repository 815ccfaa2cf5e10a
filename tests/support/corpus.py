"""The real-world corpus: model files other people published, beside the project.

`../shared/corpus/real/` (or `$KERASCOPE_CORPUS`) with its MANIFEST.tsv. Where it
is absent, tests that need it skip with a reason on a developer's machine and
fail in CI (`CI` set): a parametrization over an absent corpus is one skipped
case saying so, never an empty set.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest

CORPUS = Path(
    os.environ.get("KERASCOPE_CORPUS")
    or Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "real"
)
MANIFEST = CORPUS / "MANIFEST.tsv"


def _missing() -> str:
    return f"no real-world corpus at {CORPUS} (set KERASCOPE_CORPUS to its folder)"


def corpus_rows() -> list[dict[str, str]]:
    """Every MANIFEST row; [] when the corpus is absent (see `corpus_params`)."""
    if not MANIFEST.is_file():
        return []
    with MANIFEST.open(newline="") as stream:
        return list(csv.DictReader(stream, delimiter="\t"))


def corpus_params(rows: list[dict[str, str]] | None = None) -> list:
    """`rows` (default: all) as pytest params named by file, or one case that skips
    (fails in CI) with the reason, when the corpus is absent."""
    if not MANIFEST.is_file():  # the test's own require_corpus() fails it in CI
        marks = () if os.environ.get("CI") else pytest.mark.skip(reason=_missing())
        return [pytest.param(None, id="no-corpus", marks=marks)]
    chosen = corpus_rows() if rows is None else rows
    return [pytest.param(row, id=row["file"]) for row in chosen]


def require_corpus() -> None:
    if not MANIFEST.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"the real-world corpus is missing in CI: {_missing()}")
        pytest.skip(_missing())


def recorded(row: dict[str, str], column: str) -> str | None:
    """What the MANIFEST records in `column` for a file; None where it leaves `-`
    (nothing known, or the file has no such thing): a test compares nothing then,
    and a test over recorded values alone is never run on such a row."""
    value = row[column]
    return None if value in ("-", "") else value


def classes_named(notable: str) -> set[str]:
    """Classes the manifest says a file holds ("has LSTM,Bidirectional", "Lambda")."""
    named: set[str] = set()
    # "has LSTM,Bidirectional" ends a clause (`;` or the end); "repo also has X.keras" names no class.
    for match in re.finditer(r"has ([A-Z][A-Za-z0-9_,]+)(?=;|$)", notable):
        named.update(match.group(1).split(","))
    for match in re.finditer(r"custom/non-core layer ([A-Za-z0-9_,]+)", notable):
        named.update(match.group(1).split(","))
    if re.search(r"\bLambda\b", notable):
        named.add("Lambda")
    return named


# Files whose line endings git converted, read from a repaired copy: git stripped the
# CRs of the CRLF-pretty-printed JSON inside keras_metadata.pb (TensorFlow.NET wrote it),
# or put a CR before every LF byte of one (a checkout on Windows).
REPAIRED = {
    "savedmodel/ChengEn-Tsai__NeuralNetworkTrainer__trained_model",
    "savedmodel/AnwerSaeed017__face-recognition-using-siamese-network__ROOT",
}
