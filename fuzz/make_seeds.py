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
    corpus = ROOT.parent / "shared" / "corpus" / "real"
    for path in sorted(corpus.rglob("*")):
        if path.is_file() and path.stat().st_size < 300_000 and path.name != "MANIFEST.tsv":
            mark = SAVEDMODEL if path.name == "keras_metadata.pb" else PLAIN
            (target / f"corpus-{made}").write_bytes(mark + path.read_bytes())
            made += 1
    print(f"wrote {made} seeds to {target}")


if __name__ == "__main__":
    main()
