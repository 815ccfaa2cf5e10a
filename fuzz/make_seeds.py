"""Seed inputs for fuzz_readers.py, from files Keras writes and the real-world corpus,
and (with --values) for fuzz_values.py, from files that store tensor values.

python fuzz/make_seeds.py fuzz/seeds
python fuzz/make_seeds.py fuzz/value_seeds --values
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

# The first byte tells the harness how to present the rest (fuzz_readers.present).
PLAIN, SAVEDMODEL, CONFIG, SAFETENSORS = b"\x01", b"\x00", b"\x02", b"\x03"


def main() -> None:
    import keras
    import tf_keras

    from support.model_zoo import BUILDERS

    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    if "--values" in sys.argv:
        print(f"wrote {value_seeds(target)} seeds to {target}")
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
    for name, data in seeds.items():
        (target / name).write_bytes(data)
    for leftover in sorted(work.rglob("*"), reverse=True):
        leftover.rmdir() if leftover.is_dir() else leftover.unlink()
    work.rmdir()
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
    for name, content in seeds.items():
        (target / name).write_bytes(content)
    for leftover in sorted(work.rglob("*"), reverse=True):
        leftover.rmdir() if leftover.is_dir() else leftover.unlink()
    work.rmdir()
    return len(seeds)


if __name__ == "__main__":
    main()
