"""Rebuild the example files `kerascope demo` reads, by saving the example models
with Keras 3.

    python scripts/make_examples.py        (needs keras and a backend, e.g. `pip install -e '.[keras]'`)
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras

from kerascope.examples import build_encoder, build_examples

TARGET = Path(__file__).resolve().parents[1] / "src" / "kerascope" / "example_files"


def main() -> None:
    keras.utils.set_random_seed(0)
    TARGET.mkdir(exist_ok=True)
    models = {**build_examples(keras), "encoder": build_encoder(keras)}
    for name, model in models.items():
        path = TARGET / f"{name}.keras"
        model.save(path)
        print(f"wrote {path.relative_to(TARGET.parents[2])} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
