"""Inputs the coverage-guided fuzzer (fuzz/fuzz_readers.py) found hanging, crashing or
exhausting memory, kept in tests/data/fuzz/ once fixed: each now gives a report or
one KerascopeError line (as `EXPECTED` says), in seconds, under the fuzzer's own limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kerascope.errors import KerascopeError
from kerascope.limits import Limits, time_limit
from kerascope.readers import read_path

FOUND = sorted((Path(__file__).parent / "data" / "fuzz").iterdir())
FUZZ_LIMITS = Limits(**json.loads((Path(__file__).parents[1] / "fuzz" / "limits.json").read_text()))
# What each input gives now (the file name says what it once did).
EXPECTED = {
    "empty_link_name.keras": "malformed HDF5: a link named '' in /layers/bidirectional/forward_layer/cell",
    # 809 bytes whose CRLF repair once retried the same failing nested fields without end.
    "crlf_repair_backtracking": "keras_metadata.pb had its line endings converted (CRLF to LF) and cannot be repaired",
    # A member whose header claims more bytes than the archive holds, its pickle a protocol-0
    # text argument without end: the walk once waited for the rest forever. Now a report.
    "npz_member_shorter_than_declared.npz": None,
}


def test_every_found_input_is_listed():
    assert {path.name for path in FOUND} == set(EXPECTED)


@pytest.mark.parametrize("path", FOUND, ids=[path.name for path in FOUND])
def test_found_input_ends_in_a_report_or_one_line(path):
    # A budget the code enforces: a read past it raises the time limit's error, not this one.
    if EXPECTED[path.name] is None:
        with time_limit(60):
            assert read_path(path, FUZZ_LIMITS).to_json()
        return
    with time_limit(60), pytest.raises(KerascopeError) as raised:
        read_path(path, FUZZ_LIMITS)
    assert EXPECTED[path.name] in str(raised.value)
    assert "\n" not in str(raised.value)
