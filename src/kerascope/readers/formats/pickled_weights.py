"""An `.npz` or `.npy` file that numpy would unpickle: one pickle, or an object array.

`np.load` reads a file that is neither a zip nor an `.npy` array as a pickle when it
is allowed to (`allow_pickle=True`: older Keras, and code that loads weights by hand),
and an `.npy` object array is a pickle after its header, so such a file runs
whatever its pickle names. It is recognised by its name and its content (the walk
of its first bytes finds a pickle, or the header says `O`), walked once as data to
list what unpickling it would import, and reported as weights whose every value is
unknown: a `PICKLED_WEIGHTS` error. `--config` pairs it with the model it claims to
hold, whose parameters are then unknown too.
"""

from __future__ import annotations

from kerascope.decoders.npy_values import npy_header
from kerascope.decoders.pickles import NPY_MAGIC, looks_like_pickle
from kerascope.decoders.source import Source
from kerascope.errors import KerascopeError
from kerascope.model.records import ModelReport
from kerascope.model.vocabulary import Format
from kerascope.readers.config import build_tree, configless_tree
from kerascope.readers.keras_layout import paired_config
from kerascope.readers.probe import Kind, Probe
from kerascope.readers.weight_stores import whole_pickle_finding

WHAT = "a pickle (a file numpy's np.load unpickles)"
KIND = Kind.PICKLE
NAMED = ()
PAIRS_WITH_CONFIG = True
# What np.load opens: a file of either name that is neither a zip nor an .npy array.
NUMPY_NAMES = (".npz", ".npy")
NOT_READ = "not stored in the file: it is one pickle, which kerascope never unpickles"


def match(probe: Probe) -> bool:
    if probe.is_dir or not probe.named(*NUMPY_NAMES) or probe.zip or probe.hdf5:
        return False
    if probe.head.startswith(NPY_MAGIC):
        return _object_array(probe.head)
    return looks_like_pickle(probe.head)


def _object_array(head: bytes) -> bool:
    """An `.npy` header declaring an object array, whose elements numpy pickles after it."""
    try:
        header, _ = npy_header(head, "the .npy header")
    except KerascopeError:
        return False
    return isinstance(header["descr"], str) and header["descr"].lstrip("<>|=").startswith("O")


def read(probe: Probe, config: Source | None) -> ModelReport:
    source, limits = probe.source, probe.limits
    with source.open() as stream:
        findings = [whole_pickle_finding(stream, source.label)]
    facts = {}
    if config is not None:
        serialized, keras_version = paired_config(config, limits)
        tree = build_tree(serialized, None, limits)
        facts = {"keras_version": keras_version, "metadata": {"config": config.name}}
    else:
        tree = configless_tree(source.stem, NOT_READ, limits)
    tree.sum_params(unknown={node.path for node in tree.nodes()})
    return tree.report(source.name, Format.KERAS_WEIGHTS, findings=findings, **facts)
