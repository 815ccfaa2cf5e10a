"""The real-world corpus: model files other people published, beside the project."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "real"


def corpus_rows() -> list[dict[str, str]]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        if os.environ.get("CI"):
            raise RuntimeError(f"the real-world corpus is missing in CI: expected {manifest}")
        return []
    with manifest.open(newline="") as stream:
        return list(csv.DictReader(stream, delimiter="\t"))


def require_corpus() -> None:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"the real-world corpus is missing in CI: expected {CORPUS}")
        pytest.skip(f"no real-world corpus at {CORPUS}")


def classes_named(notable: str) -> set[str]:
    """Classes the manifest says a file holds ("has LSTM,Bidirectional", "Lambda")."""
    named: set[str] = set()
    for match in re.finditer(r"has ([A-Z][A-Za-z0-9_,]+)", notable):
        named.update(match.group(1).split(","))
    for match in re.finditer(r"custom/non-core layer ([A-Za-z0-9_,]+)", notable):
        named.update(match.group(1).split(","))
    if re.search(r"\bLambda\b", notable):
        named.add("Lambda")
    return named
