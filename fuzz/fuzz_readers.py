"""Coverage-guided fuzzing of every static reader with atheris.

Each input is a file: its first byte picks how it is presented (a plain file, a
file named `weights.npz`, the `keras_metadata.pb` of a SavedModel directory, the
`config.json` of a folder, the `model.safetensors` beside a Transformers config, or
a whole folder: a KerasHub preset, a folder of sharded weights or of safetensors
shards, spelled as files one after another, each after a `FILE` line naming it), or
which byte decoder takes it directly (the JSON decoder with its pre-scan, or the
pickle walker); the rest is the content. A report is then checked as `check` checks
it, and each of its weights' values read where the reader says they are. The contract
under test: a reader returns a report or raises KerascopeError, the checks return
findings, each weight its values or KerascopeError, the JSON decoder a value or
KerascopeError, the pickle walker what it found (it never raises), within the limits,
and never anything else.

    python fuzz/make_seeds.py fuzz/seeds          # a seed corpus from real Keras files
    python fuzz/fuzz_readers.py fuzz/seeds -max_total_time=3600 -timeout=10 -rss_limit_mb=1024

A hang (-timeout), a crash or an exhausted memory (-rss_limit_mb) is a finding: once
fixed, its input goes to tests/data/fuzz/ (tests/test_fuzz_regressions.py).

With KERASCOPE_FUZZ_STATS=FILE, how many inputs each presentation took is written to
FILE (JSON) every thousand inputs, so a campaign can say what it fuzzed; `read_as`
counts which format each read took (`unrecognised` when none accepted the input).

With KERASCOPE_FUZZ_ONLY=NAME,... (presentations: plain, savedmodel, config,
safetensors, json, pickle, folder, npz), an input another presentation would take is
passed over at once (counted as `skipped`), so a campaign spends its inputs on those
readers alone; the trust seeds' readers (presets, npz, safetensors, shards, JSON) are

    KERASCOPE_FUZZ_ONLY=folder,config,npz,safetensors,json

Each input is written to a workspace under TMPDIR (a folder input rewritten whole, up
to the largest seed); on a busy disk an unlink once stalled past -timeout, so a long
campaign keeps it in memory: TMPDIR=/dev/shm/NAME (an existing folder).

pyfive is instrumented too, so that coverage guides the fuzzer through the HDF5
decoders it lends the reader.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["kerascope", "pyfive"]):
    # The registry imports every format, so all of them are instrumented.
    import kerascope.readers.registry
    import kerascope.readers.weight_stores
    from kerascope.analysis import static_findings
    from kerascope.decoders.json_text import load_json
    from kerascope.decoders.pickles import looks_like_pickle, pickle_imports, walk_pickle
    from kerascope.errors import KerascopeError
    from kerascope.limits import Limits
    from kerascope.readers import read_path
    from kerascope.readers.probe import Probe
    from kerascope.readers.registry import Recognition

# Small limits keep each input fast; the limits' own checks are under test too. The
# regression tests replay what the fuzzer found under the same file's limits.
LIMITS = Limits(**json.loads((Path(__file__).parent / "limits.json").read_text()), max_tensor_bytes=16 << 20)
WORKSPACE = Path(tempfile.mkdtemp(prefix="kerascope-fuzz-"))
SAVEDMODEL_MARK, PLAIN_MARK, CONFIG_MARK, SAFETENSORS_MARK, JSON_MARK, PICKLE_MARK = range(6)
FOLDER_MARK, NPZ_MARK = 6, 7
MARKS = 8
NAMES = {
    SAVEDMODEL_MARK: "savedmodel", PLAIN_MARK: "plain", CONFIG_MARK: "config", SAFETENSORS_MARK: "safetensors",
    JSON_MARK: "json", PICKLE_MARK: "pickle", FOLDER_MARK: "folder", NPZ_MARK: "npz",
}  # fmt: skip
# The fixed companions of a presented file: a Transformers config for safetensors.
TRANSFORMERS_CONFIG = b'{"model_type": "gpt2", "architectures": ["GPT2Model"]}'
# A folder's files, one after another: `FILE_LINE name\n` and the file's bytes.
FILE_LINE = b"\n@@FILE "
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}(/[A-Za-z0-9_][A-Za-z0-9._-]{0,63}){0,2}")
MAX_FILES = 32
COUNTS: Counter[str] = Counter()
READ_AS: Counter[str] = Counter()
STATS = os.environ.get("KERASCOPE_FUZZ_STATS")
_ONLY = [name.strip() for name in os.environ.get("KERASCOPE_FUZZ_ONLY", "").split(",") if name.strip()]
if set(_ONLY) - set(NAMES.values()):
    sys.exit(f"KERASCOPE_FUZZ_ONLY: no presentation {sorted(set(_ONLY) - set(NAMES.values()))}")
ONLY = {mark for mark, name in NAMES.items() if name in _ONLY} if _ONLY else set(NAMES)


def _recognise(probe: Probe) -> Recognition | None:
    """The registry's recognise, noting which format reads the input."""
    recognition = _registry_recognise(probe)
    READ_AS[recognition.reading.__name__.rpartition(".")[2] if recognition else "unrecognised"] += 1
    return recognition


_registry_recognise = kerascope.readers.recognise
kerascope.readers.recognise = _recognise


def folder_files(body: bytes) -> dict[str, bytes]:
    """The files a folder input spells, by name (relative, at most three levels);
    a name that is not one is left out."""
    files: dict[str, bytes] = {}
    for part in body.split(FILE_LINE)[1 : MAX_FILES + 1]:
        raw, _, content = part.partition(b"\n")
        name = raw.decode("ascii", "replace")
        if _NAME.fullmatch(name) and ".." not in name:
            files[name] = content
    return files


def present(data: bytes) -> Path:
    mark = data[0] % MARKS if data[:1] else PLAIN_MARK
    if mark == SAVEDMODEL_MARK:
        folder = WORKSPACE / "savedmodel"
        folder.mkdir(exist_ok=True)
        (folder / "keras_metadata.pb").write_bytes(data[1:])
        return folder
    if mark == CONFIG_MARK:
        folder = WORKSPACE / "config_folder"
        folder.mkdir(exist_ok=True)
        (folder / "config.json").write_bytes(data[1:])
        return folder
    if mark == SAFETENSORS_MARK:
        folder = WORKSPACE / "transformers"
        folder.mkdir(exist_ok=True)
        (folder / "config.json").write_bytes(TRANSFORMERS_CONFIG)
        (folder / "model.safetensors").write_bytes(data[1:])
        return folder
    if mark == FOLDER_MARK:
        folder = WORKSPACE / "folder"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        for name, content in folder_files(data[1:]).items():
            path = folder / name
            with contextlib.suppress(OSError):  # a name both a file and a folder: the first wins
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
        return folder
    path = WORKSPACE / ("weights.npz" if mark == NPZ_MARK else "input")
    path.write_bytes(data[1:])
    return path


def count(mark: int) -> None:
    COUNTS[NAMES[mark] if mark in ONLY else "skipped"] += 1
    total = sum(COUNTS.values())
    if STATS and total % 1000 == 0:
        Path(STATS).write_text(json.dumps({"inputs": total, **COUNTS, "read_as": READ_AS}))


def test_one_input(data: bytes) -> None:
    mark = data[0] % MARKS if data[:1] else PLAIN_MARK
    count(mark)
    if mark not in ONLY:
        return
    if mark == JSON_MARK:
        with contextlib.suppress(KerascopeError):
            load_json(data[1:], "fuzzed JSON", LIMITS, unwrap_string=True)
        return
    if mark == PICKLE_MARK:
        body = data[1:]
        walk_pickle(io.BytesIO(body), len(body))
        pickle_imports(body)
        looks_like_pickle(body[:64])
        return
    path = present(data)
    with contextlib.suppress(KerascopeError):
        report = read_path(path, limits=LIMITS)
        report.to_json()
        static_findings(report)
        for node in report.nodes:  # every weight's values, where the reader says they are
            for weight in node.weights:
                with contextlib.suppress(KerascopeError):
                    weight.read_stats(LIMITS)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
