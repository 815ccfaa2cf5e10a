"""SavedModels without Keras metadata: Keras 3 `model.export()`, `tf.saved_model.save`,
TF Serving's version folders.

Such a SavedModel is a graph with serving signatures and a checkpoint; it keeps
no Keras config, and its object graph says nothing about layers (a Keras 3
export holds only lists of variables). Variable names are no guide either: they
are the name scopes a layer was built in, which need not follow the nesting
(a nested model built on its own names its Dense `inner_dense/kernel`, not
`middle/innermost/inner_dense/kernel`). So the report is its root alone: the
signatures, and every variable as the root's own weight, one flat list; random-seed
states are counted apart in its metadata, as `count_params()` leaves them out.
"""

from __future__ import annotations

from kerascope.addressing.object_graph import ObjectGraph, model_variables
from kerascope.decoders.bundle_values import VARIABLES, bundle_locations
from kerascope.decoders.saved_model_proto import GraphBudget, SavedModelInfo
from kerascope.decoders.source import Source
from kerascope.decoders.tensor_bundle import BundleIndex
from kerascope.decoders.tensor_values import TensorLocation
from kerascope.limits import Limits
from kerascope.model.records import Finding, LayerNode, ModelReport, WeightInfo
from kerascope.model.tree import LayerTree
from kerascope.model.vocabulary import Fact, Format, Origin, Role
from kerascope.readers.seed_states import METADATA_KEY as SEEDS_KEY
from kerascope.readers.seed_states import split_seed_states

NO_CONFIG = "not stored in the file: an exported SavedModel keeps a graph and variables, no Keras config"
# The checkpoint's own record of the object graph (a string tensor), not a variable.
OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
SLICE_KEY_START = "\0"  # keys of the slices of a partitioned tensor


def read_export(
    folder: Source,
    name: str,
    graph: SavedModelInfo,
    bundle: BundleIndex | None,
    findings: list[Finding],
    limits: Limits,
) -> ModelReport:
    root = LayerNode(path="", name=name, class_name=None, role=Role.MODEL, config_error=NO_CONFIG)
    tree = LayerTree(root, limits)
    seeds = None
    if bundle is not None:
        locations = bundle_locations(folder, VARIABLES, bundle)
        if graph.nodes:
            objects = ObjectGraph(graph.nodes, GraphBudget(limits), limits.max_member_bytes)
            variables, problems = model_variables(objects, bundle, locations)
        else:
            variables, problems = _checkpoint_variables(bundle, locations), []
        # An export keeps `model.variables`: random-seed states too, which are no parameters.
        root.weights, seeds = split_seed_states(variables)
        root.origin[Fact.WEIGHTS] = Origin.WEIGHTS
        findings += problems
        tree.sum_params(unknown={root.path} if problems else ())
    return tree.report(
        folder.name,
        Format.SAVEDMODEL_EXPORT,
        findings=findings,
        signatures=graph.signatures_json(),
        metadata={SEEDS_KEY: seeds} if seeds else None,
    )


def _checkpoint_variables(bundle: BundleIndex, locations: dict[str, TensorLocation]) -> list[WeightInfo]:
    """A TensorFlow 1 SavedModel has no object graph: its checkpoint keys are the
    graph's variable names, and every variable of the graph is in it."""
    return [
        WeightInfo(
            name=entry.key, shape=list(entry.shape), dtype=entry.dtype, location=locations.get(entry.key)
        )
        for entry in bundle.entries
        if entry.key != OBJECT_GRAPH_KEY and not entry.key.startswith(SLICE_KEY_START)
    ]
