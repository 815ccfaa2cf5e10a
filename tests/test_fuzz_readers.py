"""Property-based fuzzing: real files Keras wrote, mutated (bytes flipped, members
cut short, JSON values swapped for other types), read by every reader. Each read
gives a report or one KerascopeError; nothing else, ever."""

from __future__ import annotations

import io
import json
import shutil
import zipfile

import h5py
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.model_zoo import tiny_gpt2_backbone
from support.orbax_checkpoints import save_checkpoint
from support.presets import save_full_preset
from support.reader_worker import ReaderWorker

EXAMPLES = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def worker():
    reader = ReaderWorker()
    yield reader
    reader.close()


@pytest.fixture(scope="module")
def originals(keras3, tf_keras, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz-originals")
    from keras.src.saving import saving_lib

    from support.model_zoo import BUILDERS

    BUILDERS["transformer"](keras3).save(folder / "model.keras")
    legacy = BUILDERS["nested"](tf_keras)
    legacy.save(folder / "model.h5")
    legacy.save(folder / "saved", save_format="tf")
    BUILDERS["recurrent"](keras3).export(folder / "exported", verbose=False)
    (folder / "model.json").write_text(legacy.to_json())
    nested = BUILDERS["nested"](keras3)
    saving_lib.save_model(nested, folder / "npz.keras", weights_format="npz")
    nested.save_weights(folder / "model.weights.h5")
    save_full_preset(folder / "preset")
    tiny_gpt2_backbone().export_to_transformers(folder / "transformers")
    save_checkpoint(keras3, BUILDERS["recurrent"](keras3), folder / "orbax")
    return {
        "keras": (folder / "model.keras").read_bytes(),
        "npz_keras": (folder / "npz.keras").read_bytes(),
        "weights_h5": (folder / "model.weights.h5").read_bytes(),
        "h5": (folder / "model.h5").read_bytes(),
        "pb": (folder / "saved" / "keras_metadata.pb").read_bytes(),
        "json": (folder / "model.json").read_bytes(),
        **{
            kind: member_path(folder / source, member).read_bytes()
            for kind, (source, member) in FOLDER_MEMBERS.items()
        },
        "folders": folder,
    }


# Files of a whole SavedModel, KerasHub preset or Transformers checkpoint, each
# mutated in place while the others stay genuine.
FOLDER_MEMBERS = {
    "index": ("saved", "variables/variables.index"),
    "saved_model": ("saved", "saved_model.pb"),
    "export_index": ("exported", "variables/variables.index"),
    "export_saved_model": ("exported", "saved_model.pb"),
    "preset_task": ("preset", "task.json"),
    "preset_metadata": ("preset", "metadata.json"),
    "preset_weights": ("preset", "model.weights.h5"),
    "preset_preprocessor": ("preset", "preprocessor.json"),
    "preset_tokenizer": ("preset", "tokenizer.json"),
    "safetensors": ("transformers", "model.safetensors"),
    "orbax_manifest": ("orbax", "0/pytree/manifest.ocdbt"),
    "orbax_btree": ("orbax", "0/pytree/d/*"),
    "orbax_tree": ("orbax", "0/pytree/_METADATA"),
}


def member_path(folder, member):
    """The file `member` names in `folder` (a pattern for a file named by its content's hash)."""
    return next(folder.glob(member))


def judge(worker, path):
    """A report or one KerascopeError, in time, from every reader: HDF5 included, now
    that no native library reads it."""
    outcome = worker.read(str(path))
    assert outcome in ("ok", "error"), outcome


def place(tmp_path, kind, data, originals=None):
    if kind in FOLDER_MEMBERS:
        source, member = FOLDER_MEMBERS[kind]
        folder = tmp_path / f"whole_{kind}"
        if not folder.is_dir():
            shutil.copytree(originals["folders"] / source, folder)
        member_path(folder, member).write_bytes(data)
        return folder
    if kind == "pb":
        folder = tmp_path / "saved"
        folder.mkdir(exist_ok=True)
        (folder / "keras_metadata.pb").write_bytes(data)
        return folder
    path = tmp_path / "input"
    path.write_bytes(data)
    return path


flips = st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8)


KINDS = ["keras", "npz_keras", "weights_h5", "h5", "pb", "json", *FOLDER_MEMBERS]


@pytest.mark.parametrize("kind", KINDS)
@EXAMPLES
@given(changes=flips)
def test_flipped_bytes(worker, originals, tmp_path, kind, changes):
    data = bytearray(originals[kind])
    for where, value in changes:
        data[int(where * len(data))] = value
    judge(worker, place(tmp_path, kind, bytes(data), originals))


@pytest.mark.parametrize("kind", KINDS)
@EXAMPLES
@given(keep=st.floats(0, 1, exclude_max=True))
def test_truncated_files(worker, originals, tmp_path, kind, keep):
    data = originals[kind]
    judge(worker, place(tmp_path, kind, data[: int(keep * len(data))], originals))


def _rezip(original: bytes, replace) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            new.writestr(info, replace(info.filename, old.read(info)))
    return out.getvalue()


@EXAMPLES
@given(member=st.sampled_from(["config.json", "metadata.json", "model.weights.h5"]), keep=st.floats(0, 1))
def test_archive_members_cut_short(worker, originals, tmp_path, member, keep):
    def cut(name, data):
        return data[: int(keep * len(data))] if name == member else data

    judge(worker, place(tmp_path, "keras", _rezip(originals["keras"], cut)))


OTHER_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), st.text(max_size=20),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)  # fmt: skip


def _replace_somewhere(document, choice, value):
    """`document` with one value (picked by `choice`) replaced by `value`."""
    spots = []

    def walk(node):
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
        for key, item in items:
            spots.append((node, key))
            walk(item)

    walk(document)
    if spots:
        container, key = spots[int(choice * len(spots))]
        container[key] = value
    return document


@EXAMPLES
@given(choice=st.floats(0, 1, exclude_max=True), value=OTHER_VALUES)
def test_json_values_of_other_types_in_an_archive(worker, originals, tmp_path, choice, value):
    def swap(name, data):
        if name != "config.json":
            return data
        return json.dumps(_replace_somewhere(json.loads(data), choice, value)).encode()

    judge(worker, place(tmp_path, "keras", _rezip(originals["keras"], swap)))


@EXAMPLES
@given(choice=st.floats(0, 1, exclude_max=True), value=OTHER_VALUES)
def test_json_values_of_other_types_in_legacy_files(worker, originals, tmp_path, choice, value):
    path = place(tmp_path, "h5", originals["h5"])
    with h5py.File(path, "a") as handle:
        config = json.loads(handle.attrs["model_config"])
        handle.attrs["model_config"] = json.dumps(_replace_somewhere(config, choice, value))
    judge(worker, path)
    document = _replace_somewhere(json.loads(originals["json"]), choice, value)
    judge(worker, place(tmp_path, "json", json.dumps(document).encode()))
