"""Seed inputs for fuzz_readers.py, from files Keras writes and the real-world corpus.

python fuzz/make_seeds.py fuzz/seeds
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

PLAIN, SAVEDMODEL = b"\x01", b"\x00"  # the first byte tells the harness how to present the rest


def main() -> None:
    import keras
    import tf_keras

    from support.model_zoo import BUILDERS

    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
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
    corpus = ROOT.parent / "shared" / "corpus" / "real"
    for path in sorted(corpus.rglob("*")):
        if path.is_file() and path.stat().st_size < 300_000 and path.name != "MANIFEST.tsv":
            mark = SAVEDMODEL if path.name == "keras_metadata.pb" else PLAIN
            (target / f"corpus-{made}").write_bytes(mark + path.read_bytes())
            made += 1
    print(f"wrote {made} seeds to {target}")


def hdf5_variants(target: Path) -> int:
    """One legacy file rewritten in every HDF5 storage layout h5py can write (new-style
    groups and headers, dense links and attributes, creation order, chunked and
    compressed datasets, a user block), and with links and hostile datasets, so that
    the fuzzer starts from each structure the HDF5 reader decodes."""
    import h5py
    import numpy as np
    import tf_keras
    from hdf5_craft import rewrite

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


if __name__ == "__main__":
    main()
