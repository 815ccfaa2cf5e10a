"""Coverage-guided fuzzing of every static reader with atheris.

Each input is a file: its first byte picks how it is presented (a plain file, the
`keras_metadata.pb` of a SavedModel directory, the `config.json` of a folder beside
a genuine weights file, or the `model.safetensors` beside a Transformers config),
or which byte decoder takes it directly (the JSON decoder with its pre-scan, or the
pickle walker); the rest is the content. The contract under test: a reader returns
a report or raises KerascopeError, each weight of the report its values where the
reader says they are or KerascopeError, the JSON decoder a value or KerascopeError, the
pickle walker what it found (it never raises), within the limits, and never anything
else.

    python fuzz/make_seeds.py fuzz/seeds          # a seed corpus from real Keras files
    python fuzz/fuzz_readers.py fuzz/seeds -max_total_time=3600 -timeout=10 -rss_limit_mb=1024

A hang (-timeout), a crash or an exhausted memory (-rss_limit_mb) is a finding: once
fixed, its input goes to tests/data/fuzz/ (tests/test_fuzz_regressions.py).

pyfive is instrumented too, so that coverage guides the fuzzer through the HDF5
decoders it lends the reader.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["kerascope", "pyfive"]):
    # The registry imports every format, so all of them are instrumented.
    import kerascope.readers.registry
    import kerascope.readers.weight_stores  # noqa: F401
    from kerascope.decoders.json_text import load_json
    from kerascope.decoders.pickles import looks_like_pickle, pickle_imports, walk_pickle
    from kerascope.errors import KerascopeError
    from kerascope.limits import Limits
    from kerascope.readers import read_path

# Small limits keep each input fast; the limits' own checks are under test too. The
# regression tests replay what the fuzzer found under the same file's limits.
LIMITS = Limits(**json.loads((Path(__file__).parent / "limits.json").read_text()), max_tensor_bytes=16 << 20)
WORKSPACE = Path(tempfile.mkdtemp(prefix="kerascope-fuzz-"))
SAVEDMODEL_MARK, CONFIG_MARK, SAFETENSORS_MARK, JSON_MARK, PICKLE_MARK = 0, 2, 3, 4, 5
MARKS = 6
# The fixed companions of a presented file: a Transformers config for safetensors.
TRANSFORMERS_CONFIG = b'{"model_type": "gpt2", "architectures": ["GPT2Model"]}'


def present(data: bytes) -> Path:
    mark = data[0] % MARKS if data[:1] else 1
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
    path = WORKSPACE / "input"
    path.write_bytes(data[1:])
    return path


def test_one_input(data: bytes) -> None:
    mark = data[0] % MARKS if data[:1] else 1
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
        for node in report.nodes:  # every weight's values, where the reader says they are
            for weight in node.weights:
                with contextlib.suppress(KerascopeError):
                    weight.read_stats(LIMITS)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
