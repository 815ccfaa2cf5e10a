"""An `.npz` or `.npy` file that is one pickle rather than an archive or an array.

`np.load` reads a file that is neither a zip nor an `.npy` array as a pickle when it
is allowed to (`allow_pickle=True`: older Keras, and code that loads weights by hand),
so such a file runs whatever its pickle names. It is recognised by its name and its
content (the walk of its first bytes finds a pickle), walked once as data to list
what unpickling it would import, and reported as weights whose every value is
unknown: a `PICKLED_WEIGHTS` error. `--config` pairs it with the model it claims to
hold, whose parameters are then unknown too.
"""

from __future__ import annotations

from kerascope.decoders.pickles import looks_like_pickle
from kerascope.decoders.source import Source
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
    return (
        not probe.is_dir
        and probe.named(*NUMPY_NAMES)
        and not (probe.zip or probe.hdf5 or probe.head.startswith(b"\x93NUMPY"))
        and looks_like_pickle(probe.head)
    )


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
