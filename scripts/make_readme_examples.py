"""Save every file the README's examples read into one folder, with Keras, tf_keras and
KerasHub, so that each command and snippet there runs as shown (`make examples` writes
them into `examples/`; `tests/test_readme.py` into a folder of its own, and runs the
README against them).

    python scripts/make_readme_examples.py FOLDER      (needs the test extras: make test installs them)

Run it in a fresh process: the names Keras generates (`dense`, `input_layer`) count
from the start of the process, and the README shows the ones a fresh process gives.

What each file is:

* `model.keras`, `model.h5`, `model.weights.h5`, `saved_model_dir/` (`model.export`):
  the README's generic model, a functional encoder whose nested `block` holds a
  MultiHeadAttention (`block/attention/query`) and a Keras 3 operation (`x + y`);
* `encoder_4_heads.keras`: the same encoder with four attention heads, which
  `model.weights.h5` does not fit (`kerascope load-check`);
* `recurrent.keras`: Bidirectional(LSTM) and TimeDistributed(Dense);
* `bert_classifier/` (and the same preset as `bert_preset/` and
  `hub/keras/bert_tiny_en_uncased/`, which the tests serve in place of the Hugging
  Face Hub): a small KerasHub BERT classifier saved with `save_to_preset`;
* `nasnetmobile.keras`, `nasnetmobile.weights.h5`: Keras Applications' NASNetMobile;
* `sequential_keras2.h5` (tf_keras 2) and `sequential.keras` (Keras 3): one architecture;
* `base.keras`, `retrained.keras`: a model and a wider retraining of it;
* `pretrained.keras`, `finetuned.keras`: a classifier, and the same one with its head
  fine-tuned and its feature extractor frozen (`kerascope.examples.build_finetuned`);
* `diverged.keras`: a regressor whose training diverged, every weight NaN;
* `siamese_model.h5`: a Keras 2 siamese network built as real-world ones are (the
  corpus's `Ayush-Mi__Image-Similarity-Check__siamese_model.h5`): a custom `ResNet`
  layer, a Lambda of Python code, a custom loss;
* `my_project/models.py`: a module with `build_encoder()`, for `module:attr` targets;
* `models/`: a folder of some of these, for `kerascope scan`; `notes.txt`: no model.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

ENCODER_MODULE = '''"""A model in your own code, which kerascope inspects as `my_project.models:build_encoder`."""

import keras

from kerascope.examples import build_encoder as _build


def build_encoder():
    return _build(keras)
'''


def generic_model(keras: Any, heads: int = 2) -> Any:
    """A functional encoder: a nested model `block` holding MultiHeadAttention (whose
    query/key/value no config lists) and a residual `x + y` (a Keras 3 operation)."""
    layers = keras.layers
    block_in = keras.Input(shape=(12, 16), name="block_in")
    attended = layers.MultiHeadAttention(heads, 8, name="attention")(block_in, block_in)
    block = keras.Model(block_in, layers.LayerNormalization(name="norm")(block_in + attended), name="block")
    tokens = keras.Input(shape=(12, 16), name="tokens")
    pooled = layers.GlobalAveragePooling1D(name="pool")(block(tokens))
    outputs = layers.Dense(3, activation="softmax", name="classifier")(pooled)
    return keras.Model(tokens, outputs, name="encoder")


def bert_preset(folder: Path) -> None:
    import keras_hub

    vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *(f"token{i}" for i in range(995))]
    tokenizer = keras_hub.models.BertTokenizer(vocabulary=vocabulary)
    preprocessor = keras_hub.models.BertTextClassifierPreprocessor(tokenizer, sequence_length=128)
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=len(vocabulary),
        num_layers=2,
        num_heads=2,
        hidden_dim=64,
        intermediate_dim=128,
        max_sequence_length=128,
    )
    task = keras_hub.models.BertTextClassifier(backbone, num_classes=2, preprocessor=preprocessor)
    task.save_to_preset(str(folder))


def sequential_pair(keras: Any, tf_keras: Any, folder: Path) -> None:
    """One architecture saved by tf_keras 2 (legacy HDF5) and by Keras 3."""
    old = tf_keras.Sequential(
        [tf_keras.layers.Dense(4, activation="relu", input_shape=(3,)), tf_keras.layers.Dense(1)]
    )
    old.save(folder / "sequential_keras2.h5")
    new = keras.Sequential(
        [keras.Input(shape=(3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)]
    )
    new.save(folder / "sequential.keras")


def retrained_pair(keras: Any, folder: Path) -> None:
    for name, units, activation in (("base", 8, "relu"), ("retrained", 16, "tanh")):
        inputs = keras.Input(shape=(6,), name="features")
        hidden = keras.layers.Dense(units, activation=activation, name="hidden")(inputs)
        middle = keras.layers.Dense(4, name="middle")(hidden)
        outputs = keras.layers.Dense(1, name="out")(middle)
        keras.Model(inputs, outputs, name="regressor").save(folder / f"{name}.keras")


def finetuned_pair(keras: Any, folder: Path) -> None:
    from kerascope.examples import build_finetuned

    keras.utils.set_random_seed(0)
    for name, model in zip(("pretrained", "finetuned"), build_finetuned(keras), strict=True):
        model.save(folder / f"{name}.keras")


def diverged_model(keras: Any, path: Path) -> None:
    """A regressor trained with a learning rate far too high for its inputs' scale: its
    weights overflow, and then every one is NaN, as a diverged training run leaves them."""
    import numpy as np

    inputs = keras.Input(shape=(8,), name="features")
    hidden = keras.layers.Dense(16, activation="relu", name="hidden")(inputs)
    outputs = keras.layers.Dense(1, name="out")(hidden)
    model = keras.Model(inputs, outputs, name="diverged")
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=10.0), loss="mse")
    features = np.random.default_rng(0).normal(size=(256, 8)).astype("float32") * 100
    model.fit(features, features.sum(axis=1, keepdims=True), epochs=3, batch_size=32, verbose=0)
    model.save(path)


def siamese_keras2(tf_keras: Any, path: Path) -> None:
    """A Keras 2 siamese network as real-world ones are built: a custom ResNet layer
    shared by two inputs, their distance in a Lambda of Python code, a custom loss."""
    layers = tf_keras.layers

    class ResNet(layers.Layer):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.conv = layers.Conv2D(8, 3, activation="relu")
            self.norm = layers.BatchNormalization()
            self.pool = layers.GlobalAveragePooling2D()
            self.dense = layers.Dense(16)

        def call(self, inputs: Any) -> Any:
            return self.dense(self.pool(self.norm(self.conv(inputs))))

    def contrastive_loss(y_true: Any, y_pred: Any) -> Any:
        import tensorflow as tf

        return tf.reduce_mean(
            y_true * tf.square(y_pred) + (1 - y_true) * tf.square(tf.maximum(1 - y_pred, 0))
        )

    left = tf_keras.Input(shape=(32, 32, 3), name="left_input")
    right = tf_keras.Input(shape=(32, 32, 3), name="right_input")
    tower = ResNet(name="res_net")
    # Lambdas with no free variables, so Keras 2 writes their bytecode as real files hold it.
    distance = layers.Lambda(
        lambda pair: __import__("tensorflow").norm(pair[0] - pair[1], axis=1, keepdims=True),
        output_shape=lambda shapes: (shapes[0][0], 1),
        name="output_layer",
    )([tower(left), tower(right)])
    model = tf_keras.Model([left, right], distance, name="model")
    model.compile(optimizer="adam", loss=contrastive_loss)
    model.save(path)


def main(target: Path) -> None:
    import keras
    import tf_keras

    from support.model_zoo import recurrent

    target.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(0)
    sequential_pair(keras, tf_keras, target)  # first: its input keeps the name Keras gives the first one
    model = generic_model(keras)
    model.save(target / "model.keras")
    model.save(target / "model.h5")
    model.save_weights(target / "model.weights.h5")
    model.export(target / "saved_model_dir", verbose=False)
    recurrent(keras).save(target / "recurrent.keras")
    bert_preset(target / "bert_classifier")
    for copy in ("bert_preset", "hub/keras/bert_tiny_en_uncased"):
        shutil.copytree(target / "bert_classifier", target / copy, dirs_exist_ok=True)
    nasnet = keras.applications.NASNetMobile(weights=None)
    nasnet.save(target / "nasnetmobile.keras")
    nasnet.save_weights(target / "nasnetmobile.weights.h5")
    retrained_pair(keras, target)
    siamese_keras2(tf_keras, target / "siamese_model.h5")
    generic_model(keras, heads=4).save(target / "encoder_4_heads.keras")
    finetuned_pair(keras, target)
    diverged_model(keras, target / "diverged.keras")
    (target / "my_project").mkdir(exist_ok=True)
    (target / "my_project" / "__init__.py").write_text("")
    (target / "my_project" / "models.py").write_text(ENCODER_MODULE)
    (target / "notes.txt").write_text("not a model\n")
    models = target / "models"
    models.mkdir(exist_ok=True)
    for name in (
        "recurrent.keras",
        "siamese_model.h5",
        "sequential_keras2.h5",
        "base.keras",
        "retrained.keras",
        "diverged.keras",
    ):
        shutil.copy(target / name, models / name)
    shutil.copytree(target / "bert_classifier", models / "bert_classifier", dirs_exist_ok=True)
    print(f"wrote the README's example files into {target}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    main(Path(sys.argv[1]).resolve())
