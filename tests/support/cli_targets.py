"""Targets for CLI tests, named as `cli_targets:NAME` the way users name theirs."""

from __future__ import annotations

import keras

from kerascope.examples import build_examples

from support.model_zoo import raising_config as _raising_config
from support.model_zoo import transformer as _transformer


def two_dense():
    return build_examples(keras)["two_dense"]


def custom_wrapper():
    return build_examples(keras)["custom_wrapper"]


def transformer():
    return _transformer(keras)


def raising_config():
    return _raising_config(keras)


def broken():
    raise ValueError("cannot build today")


model = build_examples(keras)["three_dense"]
not_a_model = 42
