"""What kind of layer a node is, the colour every graph view paints that kind, and
the two or three attributes a graph node shows.

One place for all three, so the HTML page, DOT and Mermaid agree. A built-in
class's kind is the layer families' (`kerascope.families`); a class they do not
know (KerasHub's, a custom one) is read from words in its name
(`TransformerEncoder` draws as attention), and is `custom` when none fits.
"""

from __future__ import annotations

from typing import Any

from kerascope.families import known, rule_key
from kerascope.model.records import LayerNode
from kerascope.model.vocabulary import Role
from kerascope.views.text import printable

# kind -> the fill of a node's header (and of a DOT or Mermaid node)
PALETTE: dict[str, str] = {
    "input": "#5b6472",
    "model": "#2f6fdf",
    "dense": "#3465a4",
    "embedding": "#6a4c93",
    "convolution": "#1d7291",
    "pooling": "#2e7d32",
    "normalization": "#4f5bb5",
    "activation": "#b23a48",
    "attention": "#c8671a",
    "recurrent": "#8e44ad",
    "wrapper": "#607d8b",
    "merge": "#00897b",
    "reshape": "#8d6e63",
    "regularization": "#7a7a7a",
    "preprocessing": "#a68a00",
    "op": "#7c8a1e",
    "lambda": "#c2185b",
    "utility": "#78909c",
    "custom": "#37474f",
}

# For classes the families do not know, words in the name, first match wins.
_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("lambda", ("Lambda",)),
    ("recurrent", ("LSTM", "GRU", "RNN")),
    ("attention", ("Attention", "Transformer")),
    ("embedding", ("Embedding",)),
    ("pooling", ("Pool",)),
    ("convolution", ("Conv",)),
    ("normalization", ("Norm",)),
    ("dense", ("Dense", "Linear")),
    ("activation", ("ReLU", "Activation", "Softmax", "GELU")),
    ("regularization", ("Dropout", "Noise")),
    ("preprocessing", ("Tokenizer", "Preprocessor", "Packer", "Random")),
    ("merge", ("Add", "Concat")),
    ("reshape", ("Reshape", "Padding", "Cropping", "Flatten")),
)
_OP_MODULES = ("keras.src.ops", "keras.ops")


def kind_of(node: LayerNode) -> str:
    """The kind a node is drawn as: a key of `PALETTE`."""
    if node.role == Role.INPUT:
        return "input"
    known_class = known(rule_key(node))
    if known_class is not None:
        return known_class.kind.value
    if node.role == Role.MODEL:
        return "model"
    if (node.module or "").startswith(_OP_MODULES):
        return "op"
    name = node.class_name or ""
    for kind, words in _WORDS:
        if any(word in name for word in words):
            return kind
    return "custom"


# Config keys worth a line in a node, most telling first, with how each is written.
_KEYS: tuple[str, ...] = (
    "units",
    "filters",
    "kernel_size",
    "strides",
    "pool_size",
    "depth_multiplier",
    "num_heads",
    "key_dim",
    "input_dim",
    "output_dim",
    "equation",
    "rate",
    "activation",
    "target_shape",
    "padding",
    "axis",
    "return_sequences",
    "size",
    "dims",
    "function",
)
# Values a key takes when it says nothing worth a line.
_QUIET = {
    "activation": {"linear", None},
    "padding": {"valid"},
    "strides": {1},
    "return_sequences": {False},
    "depth_multiplier": {1},
}
ATTRIBUTE_LIMIT = 3
TEXT_LIMIT = 40


def key_attributes(node: LayerNode) -> list[str]:
    """Up to three short lines naming the configuration that matters in a node
    (`filters 32`, `3×3 /2`, `relu`): the view prints what a file says, clipped."""
    config = node.config if isinstance(node.config, dict) else {}
    lines: list[str] = []
    for key in _KEYS:
        if key not in config or len(lines) == ATTRIBUTE_LIMIT:
            continue
        value = _plain(config[key])
        if value is None or value == [] or any(value == quiet for quiet in _QUIET.get(key, ())):
            continue
        if key == "strides":
            continue  # written with the kernel
        text = _attribute(key, config[key], config)
        if text:
            lines.append(clip(text))
    return lines


def _attribute(key: str, value: Any, config: dict[str, Any]) -> str:
    if key in {"kernel_size", "pool_size"}:
        strides = config.get("strides")
        step = "" if _plain(strides) in (None, 1) else f" /{_dims(_plain(strides))}"
        return f"{_dims(value)}{step}"
    if key in {"activation", "padding", "equation"}:
        return _scalar(_plain(value))
    if key == "return_sequences":
        return "sequences"
    if key == "function":
        return "function " + (_scalar(value) if isinstance(value, str) else "(stored)")
    return f"{key.replace('_', ' ')} {_dims(_plain(value))}"


def _plain(value: Any) -> Any:
    """A one-element list or a square tuple as its one number; an activation or
    other serialized object as its name."""
    if isinstance(value, dict):
        inner = value.get("config")
        named = inner.get("name") if isinstance(inner, dict) else None
        return named or value.get("class_name")
    if (
        isinstance(value, list)
        and value
        and all(item == value[0] for item in value)
        and isinstance(value[0], int)
    ):
        return value[0]
    return value


def _dims(value: Any) -> str:
    if isinstance(value, list):
        return "×".join(_scalar(item) for item in value)
    return _scalar(value)


def _scalar(value: Any) -> str:
    return "None" if value is None else printable(str(value))


def clip(text: str, limit: int = TEXT_LIMIT) -> str:
    """Text for a graph node: printable, at most `limit` characters."""
    text = printable(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
