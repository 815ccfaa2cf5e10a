"""Seed inputs for fuzz_readers.py, from files Keras writes and the real-world corpus,
and (with --values) for fuzz_values.py, from files that store tensor values.

python fuzz/make_seeds.py fuzz/seeds
python fuzz/make_seeds.py fuzz/trust_seeds --trust    # presets, npz, safetensors, shards, JSON only
python fuzz/make_seeds.py fuzz/value_seeds --values
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

# The first byte tells the harness how to present the rest (fuzz_readers.present), or
# which decoder takes it directly (JSON, PICKLE).
PLAIN, SAVEDMODEL, CONFIG, SAFETENSORS, JSON, PICKLE = b"\x01", b"\x00", b"\x02", b"\x03", b"\x04", b"\x05"
FOLDER, NPZ = b"\x06", b"\x07"
# A folder input: each file after a line naming it (fuzz_readers.folder_files).
FILE_LINE = b"\n@@FILE "


def main() -> None:
    import keras
    import tf_keras

    from support.model_zoo import BUILDERS

    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    if "--values" in sys.argv:
        print(f"wrote {value_seeds(target)} seeds to {target}")
        return
    if "--trust" in sys.argv:
        print(f"wrote {folder_and_npz_seeds(target) + decoder_seeds(target)} seeds to {target}")
        return
    made = 0
    for name in ("nested", "shared", "transformer", "recurrent"):
        for package, suffix in ((keras, "keras"), (tf_keras, "h5")):
            path = target / f"_{name}.{suffix}"
            BUILDERS[name](package).save(path)
            (target / f"{name}-{suffix}").write_bytes(PLAIN + path.read_bytes())
            path.unlink()
            made += 1
        folder = target / f"_{name}_savedmodel"
        BUILDERS[name](tf_keras).save(folder, save_format="tf")
        (target / f"{name}-savedmodel").write_bytes(SAVEDMODEL + (folder / "keras_metadata.pb").read_bytes())
        (target / f"{name}-json").write_bytes(PLAIN + BUILDERS[name](tf_keras).to_json().encode())
        made += 2
        for leftover in sorted(folder.rglob("*"), reverse=True):
            leftover.rmdir() if leftover.is_dir() else leftover.unlink()
        folder.rmdir()
    made += hdf5_variants(target)
    made += keras3_weights_and_presets(target)
    made += folder_and_npz_seeds(target)
    made += decoder_seeds(target)
    corpus = ROOT.parent / "shared" / "corpus" / "real"
    for path in sorted(corpus.rglob("*")):
        if path.is_file() and path.stat().st_size < 300_000 and path.name != "MANIFEST.tsv":
            mark = SAVEDMODEL if path.name == "keras_metadata.pb" else PLAIN
            (target / f"corpus-{made}").write_bytes(mark + path.read_bytes())
            made += 1
    print(f"wrote {made} seeds to {target}")


def keras3_weights_and_presets(target: Path) -> int:
    """Keras 3 weights files, npz weights, a sharded index, a KerasHub preset's config
    and task files, and a Transformers checkpoint's safetensors."""
    import keras
    from keras.src.saving import saving_lib

    from support.model_zoo import BUILDERS, bert_classifier, tiny_gpt2_backbone

    work = target / "_keras3"
    work.mkdir()
    model = BUILDERS["transformer"](keras)
    model.save_weights(work / "model.weights.h5")
    saving_lib.save_model(BUILDERS["nested"](keras), work / "npz.keras", weights_format="npz")
    largest = max(int(variable.numpy().nbytes) for variable in model.weights)
    model.save_weights(work / "model.weights.json", max_shard_size=largest / 1024**3)
    bert_classifier().save_to_preset(work / "preset")
    tiny_gpt2_backbone().export_to_transformers(work / "transformers")
    seeds = {
        "weights-h5": PLAIN + (work / "model.weights.h5").read_bytes(),
        "npz-keras": PLAIN + (work / "npz.keras").read_bytes(),
        "weights-index": PLAIN + (work / "model.weights.json").read_bytes(),
        "preset-config": CONFIG + (work / "preset" / "config.json").read_bytes(),
        "preset-task": CONFIG + (work / "preset" / "task.json").read_bytes(),
        "transformers-config": CONFIG + (work / "transformers" / "config.json").read_bytes(),
        "safetensors": SAFETENSORS + (work / "transformers" / "model.safetensors").read_bytes(),
    }
    return write_seeds(target, seeds, work)


def write_seeds(target: Path, seeds: dict[str, bytes], work: Path) -> int:
    """Each seed as a file in `target`, and the folder the files were made in removed."""
    for name, content in seeds.items():
        (target / name).write_bytes(content)
    shutil.rmtree(work)
    return len(seeds)


def spell_folder(folder: Path, skip: tuple[str, ...] = ()) -> bytes:
    """A folder as one input: each file (but those whose names end in `skip`) after a line naming it."""
    return FOLDER + b"".join(
        FILE_LINE + path.relative_to(folder).as_posix().encode() + b"\n" + path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.endswith(skip)
    )


def folder_and_npz_seeds(target: Path) -> int:
    """Whole folders (a KerasHub preset with every file `from_preset` deserializes, with
    and without its weights, and with sharded weights; an extracted archive with sharded
    or npz weights; a Transformers checkpoint in safetensors shards), and npz files (plain,
    compressed, Keras's own, object arrays pickled at every protocol, protocol-5 arrays,
    one pickle for the whole file)."""
    import io
    import json
    import pickle
    import zipfile

    import keras
    import numpy as np
    from keras.src.saving import saving_lib
    from safetensors.numpy import load_file, save_file

    from support.model_zoo import BUILDERS, tiny_gpt2_backbone
    from support.pickles import system_pickle
    from support.presets import save_full_preset

    work = target / "_folders"
    work.mkdir()
    seeds: dict[str, bytes] = {}
    preset = save_full_preset(work / "preset")
    seeds["folder-preset"] = spell_folder(preset)
    seeds["folder-preset-json"] = spell_folder(preset, skip=(".h5",))
    sharded = save_full_preset(work / "sharded_preset", sharded=True)
    seeds["folder-preset-sharded"] = spell_folder(sharded, skip=("task.weights.h5",))
    model = BUILDERS["nested"](keras)
    largest = max(int(variable.numpy().nbytes) for variable in model.weights)
    extracted = work / "extracted"
    extracted.mkdir()
    model.save(work / "model.keras")
    with zipfile.ZipFile(work / "model.keras") as archive:
        archive.extract("config.json", extracted)
        archive.extract("metadata.json", extracted)
    model.save_weights(extracted / "model.weights.json", max_shard_size=largest / 1024**3)
    seeds["folder-sharded"] = spell_folder(extracted)
    seeds["weights-index-alone"] = PLAIN + (extracted / "model.weights.json").read_bytes()
    saving_lib.save_model(model, work / "npz.keras", weights_format="npz")
    with zipfile.ZipFile(work / "npz.keras") as archive:
        keras_npz = archive.read("model.weights.npz")
        npz_folder = work / "npz_folder"
        npz_folder.mkdir()
        archive.extract("config.json", npz_folder)
    (npz_folder / "model.weights.npz").write_bytes(keras_npz)
    seeds["folder-npz"] = spell_folder(npz_folder)
    transformers = work / "transformers"
    tiny_gpt2_backbone().export_to_transformers(transformers)
    seeds["safetensors-file"] = SAFETENSORS + (transformers / "model.safetensors").read_bytes()
    tensors = load_file(str(transformers / "model.safetensors"))
    (transformers / "model.safetensors").unlink()
    names = sorted(tensors)
    halves = {"model-00001-of-00002.safetensors": names[::2], "model-00002-of-00002.safetensors": names[1::2]}
    for shard, keys in halves.items():
        save_file({key: tensors[key] for key in keys}, str(transformers / shard))
    index = {"metadata": {}, "weight_map": {key: shard for shard, keys in halves.items() for key in keys}}
    (transformers / "model.safetensors.index.json").write_text(json.dumps(index))
    seeds["folder-safetensors-sharded"] = spell_folder(transformers)
    seeds["safetensors-index"] = JSON + json.dumps(index).encode()

    arrays = {"kernel": np.zeros((3, 2), "float32"), "ids": np.arange(4)}
    np.savez(work / "plain.npz", **arrays)
    np.savez_compressed(work / "compressed.npz", **arrays)
    seeds["npz-plain"] = NPZ + (work / "plain.npz").read_bytes()
    seeds["npz-compressed"] = NPZ + (work / "compressed.npz").read_bytes()
    seeds["npz-keras"] = NPZ + keras_npz
    for protocol in range(6):
        member = io.BytesIO()
        np.lib.format.write_array_header_1_0(member, {"descr": "|O", "fortran_order": False, "shape": ()})
        layer = np.empty((), dtype=object)
        layer[()] = {"0": arrays["kernel"], "1": arrays["ids"]}
        member.write(pickle.dumps(layer, protocol=protocol))
        with zipfile.ZipFile(work / f"pickled{protocol}.npz", "w") as archive:
            archive.writestr("layers/dense/vars.npy", member.getvalue())
            archive.writestr("layers/call.npy", system_pickle(protocol, "true"))
        seeds[f"npz-pickled-{protocol}"] = NPZ + (work / f"pickled{protocol}.npz").read_bytes()
    seeds["npz-whole-pickle"] = NPZ + pickle.dumps(arrays, protocol=2)
    seeds["npz-whole-pickle-call"] = NPZ + system_pickle(0, "true")
    seeds.update(hostile_seeds(preset, work))
    return write_seeds(target, seeds, work)


def hostile_seeds(preset: Path, work: Path) -> dict[str, bytes]:
    """Small cases of each hostile family the hostile suites hold to their bounds: a
    preset whose tokenizer names a gadget, an index naming thousands of missing shards,
    a deflated npz member far larger than its bytes, safetensors names nested deep, a
    TorchModuleWrapper whose payload is a torch.save zip."""
    import base64
    import io
    import json
    import struct
    import zipfile

    import numpy as np

    from support.pickles import system_pickle

    gadget = work / "gadget_preset"
    shutil.copytree(preset, gadget, ignore=shutil.ignore_patterns("*.h5"))
    tokenizer = json.loads((gadget / "tokenizer.json").read_text())
    tokenizer["config"]["dtype"] = {"module": "keras.utils", "class_name": "function", "config": "get_file"}
    tokenizer["config"]["vocabulary"] = "/etc/passwd"
    (gadget / "tokenizer.json").write_text(json.dumps(tokenizer))
    weight_map = {f"/layers/dense_{i}/vars": [f"model_{i:05d}.weights.h5"] for i in range(2000)}
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (1 << 22,)}
    )
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        noise = np.random.default_rng(0).integers(0, 256, 1 << 14, dtype=np.uint8).tobytes()
        archive.writestr("layers/dense/vars/0.npy", header.getvalue() + bytes(1 << 24) + noise)
    deep = {
        ".".join(f"m{i}_{depth}" for depth in range(20)) + ".weight": {
            "dtype": "F32",
            "shape": [1],
            "data_offsets": [0, 4],
        }
        for i in range(50)
    }
    text = json.dumps(deep).encode()
    torch_zip = io.BytesIO()
    with zipfile.ZipFile(torch_zip, "w") as archive:
        archive.writestr("archive/data.pkl", system_pickle(2, "true"))
        archive.writestr("archive/version", "3\n")
    layer = {
        "module": "keras.layers",
        "class_name": "TorchModuleWrapper",
        "config": {"name": "torch", "module": base64.b64encode(torch_zip.getvalue()).decode()},
        "name": "torch",
        "inbound_nodes": [],
    }
    keras_zip = io.BytesIO()
    with zipfile.ZipFile(keras_zip, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        archive.writestr(
            "config.json",
            json.dumps(
                {"module": "keras", "class_name": "Functional", "config": {"name": "m", "layers": [layer]}}
            ),
        )
    return {
        "hostile-preset-gadgets": spell_folder(gadget),
        "hostile-missing-shards": PLAIN + json.dumps({"metadata": {}, "weight_map": weight_map}).encode(),
        "hostile-npz-deflated-member": NPZ + bomb.getvalue(),
        "hostile-safetensors-deep": SAFETENSORS + struct.pack("<Q", len(text)) + text + bytes(4),
        "hostile-torch-payload": PLAIN + keras_zip.getvalue(),
    }


def decoder_seeds(target: Path) -> int:
    """Inputs for the byte decoders themselves: JSON a Keras model writes, JSON stored
    as a JSON string, the worst case for a backtracking scanner of strings, and
    pickles of every protocol (numpy's arrays, Keras's npz dicts, hand-made calls)."""
    import json
    import pickle

    import keras
    import numpy as np

    from support.model_zoo import BUILDERS
    from support.pickles import system_pickle

    config = BUILDERS["nested"](keras).to_json()
    seeds = {
        "json-config": JSON + config.encode(),
        "json-in-a-string": JSON + json.dumps(config).encode(),
        "json-escaped-quotes": JSON + b'{"name": "' + b'\\"' * 2048,
        "json-constants": JSON
        + b'[NaN, Infinity, -Infinity, 1e999, {"class_name": "__tuple__", "items": [1]}]',
    }
    arrays = {"0": np.zeros((3, 2), "float32"), "1": np.arange(4)}
    for protocol in range(6):
        seeds[f"pickle-arrays-{protocol}"] = PICKLE + pickle.dumps(arrays, protocol=protocol)
        seeds[f"pickle-call-{protocol}"] = PICKLE + system_pickle(protocol, "true")
    for name, data in seeds.items():
        (target / name).write_bytes(data)
    return len(seeds)


def hdf5_variants(target: Path) -> int:
    """One legacy file rewritten in every HDF5 storage layout h5py can write (new-style
    groups and headers, dense links and attributes, creation order, chunked and
    compressed datasets, a user block), and with links and hostile datasets, so that
    the fuzzer starts from each structure the HDF5 reader decodes."""
    import h5py
    import numpy as np
    import tf_keras

    from support.hdf5_craft import rewrite

    original = target / "_legacy.h5"
    model = tf_keras.Sequential([tf_keras.Input(shape=(3,))] + [tf_keras.layers.Dense(2) for _ in range(10)])
    model.save(original)
    variants = {
        "latest": {"libver": "latest"},
        "track_order": {"libver": "latest", "track_order": True},
        "userblock": {"userblock_size": 512},
        "chunked": {"libver": "latest", "dataset_options": {"chunks": True, "compression": "gzip"}},
        "resizable": {"dataset_options": {"chunks": True, "maxshape": None}},
    }
    for name, options in variants.items():
        path = rewrite(original, target / f"_{name}.h5", **options)
        if name == "latest":
            with h5py.File(path, "a") as handle:
                for index in range(12):
                    handle.attrs[f"note_{index}"] = f"value {index}"
                handle.attrs["big_note"] = np.bytes_(b"x" * 70_000)
        (target / f"hdf5-{name}").write_bytes(PLAIN + path.read_bytes())
        path.unlink()
    with h5py.File(original, "a") as handle:
        weights = handle["model_weights"]
        weights["elsewhere"] = h5py.ExternalLink("other.h5", "/secrets")
        weights["alias"] = h5py.SoftLink("/model_weights")
        weights["again"] = weights["dense"]
        weights["dense"].create_dataset("bomb", shape=(1 << 20, 1 << 10), dtype="f4", chunks=(64, 64))
        weights["dense"].create_dataset("external", shape=(4,), dtype="f4", external=[("raw.bin", 0, 16)])
    (target / "hdf5-hostile").write_bytes(PLAIN + original.read_bytes())
    original.unlink()
    return len(variants) + 1


def value_seeds(target: Path) -> int:
    """Files holding values, marked as fuzz_values.present reads them: HDF5 in every
    layout and filter h5py writes, npz (stored and compressed), safetensors, a quantized
    TensorFlow.js model and a TensorFlow checkpoint (each with its shard after a split)."""
    import json

    import h5py
    import numpy as np
    import tensorflow as tf
    from safetensors.numpy import save_file

    from support.model_zoo import BUILDERS
    from support.saved_files import _tfjs_converter

    hdf5, npz, safetensors, tfjs, bundle = b"\x00", b"\x01", b"\x02", b"\x03", b"\x04"
    split = b"\n--shard--\n"
    work = target / "_values"
    work.mkdir()
    rng = np.random.default_rng(0)
    data = rng.normal(size=(24, 10)).astype(np.float32)
    seeds: dict[str, bytes] = {}
    layouts = {
        "contiguous": {},
        "gzip-shuffle-fletcher32": {
            "chunks": (8, 5),
            "compression": "gzip",
            "shuffle": True,
            "fletcher32": True,
        },
        "lzf": {"chunks": (7, 10), "compression": "lzf"},
    }
    for name, options in layouts.items():
        with h5py.File(work / "w.h5", "w", libver="latest" if name == "contiguous" else "earliest") as handle:
            handle.create_dataset("kernel", data=data, **options)
            handle.create_dataset("sparse", shape=(20, 4), chunks=(5, 4), dtype="f2", fillvalue=2)[:5] = 1
            handle["flags"] = data > 0
        seeds[f"values-hdf5-{name}"] = hdf5 + (work / "w.h5").read_bytes()
    np.savez(work / "a.npz", kernel=data, half=data.astype(np.float16), order=np.asfortranarray(data))
    np.savez_compressed(work / "b.npz", kernel=data, flags=data > 0)
    seeds["values-npz"] = npz + (work / "a.npz").read_bytes()
    seeds["values-npz-compressed"] = npz + (work / "b.npz").read_bytes()
    save_file({"kernel": data, "ids": np.arange(5)}, str(work / "m.safetensors"))
    seeds["values-safetensors"] = safetensors + (work / "m.safetensors").read_bytes()
    _tfjs_converter().save_keras_model(
        BUILDERS["nested"](tf.keras), str(work / "tfjs"), quantization_dtype_map={"uint8": True}
    )
    manifest = json.dumps(
        {"weightsManifest": json.loads((work / "tfjs" / "model.json").read_text())["weightsManifest"]}
    )
    seeds["values-tfjs"] = (
        tfjs + manifest.encode() + split + (work / "tfjs" / "group1-shard1of1.bin").read_bytes()
    )
    tf.train.Checkpoint(kernel=tf.Variable(data), half=tf.Variable(data.astype(np.float16))).write(
        str(work / "ckpt")
    )
    index, shard = (work / "ckpt.index").read_bytes(), (work / "ckpt.data-00000-of-00001").read_bytes()
    seeds["values-bundle"] = bundle + index + split + shard
    return write_seeds(target, seeds, work)


if __name__ == "__main__":
    main()
