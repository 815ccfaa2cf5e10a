"""Helpers the tests share: models built by real Keras, Keras's own answers, hostile files, browsers."""
