"""One module per format kerascope reads, each with `match` (is this input mine, by
its content, from a `Probe`) beside `read`; `readers/registry.py` lists them once,
in the order Keras's loaders try them."""
