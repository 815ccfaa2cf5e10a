"""Test set-up: quiet TensorFlow, the Keras 3 backend, and shared fixtures.

Models are built by Keras itself inside the test run; nothing is mocked.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import pytest


@pytest.fixture(scope="session")
def keras3():
    import keras

    assert keras.__version__.startswith("3"), keras.__version__
    return keras


@pytest.fixture(scope="session")
def tf_keras():
    import tf_keras

    return tf_keras


@pytest.fixture(scope="session", params=["keras", "tf_keras"])
def any_keras(request):
    """Each Keras generation the live walk supports: Keras 3 and legacy tf_keras 2."""
    return request.getfixturevalue("keras3" if request.param == "keras" else "tf_keras")
