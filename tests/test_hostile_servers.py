"""Servers that misbehave, on 127.0.0.1: silent, trickling, sending ranges gzip-encoded
or longer than asked, listing a folder on a page that never ends. Each command against
them ends in one line and exit 2, within 5 s and 300 MiB, the defaults unchanged; and
`scan`'s own process, which lists remote folders itself, stays bounded too."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

import kerascope

from support.bounded import assert_bounded, one_line_error, run_cli
from support.range_server import range_server

EXAMPLE = Path(kerascope.__file__).parent / "example_files" / "two_dense.keras"


@pytest.fixture
def folder(tmp_path):
    served = tmp_path / "served"
    (served / "models").mkdir(parents=True)
    shutil.copy(EXAMPLE, served / "model.keras")
    shutil.copy(EXAMPLE, served / "models" / "model.keras")
    return served


@pytest.mark.parametrize(
    ("misbehave", "message"),
    [
        ("silent", "the server did not answer within 2.5 s"),
        ("trickle", "the server did not answer within"),
        ("gzip", "the server sent its bytes gzip-encoded"),
        ("long-body", "the server sent more than the 4,096 bytes asked for"),
    ],
)
def test_a_misbehaving_server_ends_a_read_in_one_line(folder, misbehave, message):
    with range_server(folder, misbehave=misbehave) as (url, _):
        run = run_cli(["inspect", f"{url}/model.keras"], memory_mib=300, seconds=60)
    assert_bounded(run)
    one_line_error(run, message)
    assert f"{url}/model.keras" in run.stderr


def test_an_endless_listing_page_ends_a_read_in_one_line(folder):
    with range_server(folder, misbehave="endless-listing") as (url, _):
        run = run_cli(["inspect", f"{url}/models"], memory_mib=300, seconds=60)
    assert_bounded(run)
    one_line_error(run, "a listing page of more than 4,194,304 bytes")


def test_scan_lists_an_endless_page_within_bounds(folder, tmp_path):
    """The scanning process lists remote folders itself (workers read the models): an
    endless page is one error row, and the scan goes on and ends."""
    catalog = tmp_path / "catalog.duckdb"
    with range_server(folder, misbehave="endless-listing") as (url, _):
        run = run_cli(["scan", f"{url}/models", "--catalog", str(catalog)], memory_mib=300, seconds=60)
    assert_bounded(run)
    assert run.returncode == 0, run.stderr
    with duckdb.connect(str(catalog), read_only=True) as db:
        rows = db.execute("SELECT path, error FROM files").fetchall()
    assert rows == [
        (f"{url}/models", f"{url}/models: cannot be examined (a listing page of more than 4,194,304 bytes)")
    ]
