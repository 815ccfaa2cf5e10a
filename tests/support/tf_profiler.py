"""TensorFlow's own FLOPs count of a Keras model: the figure users compare against.

The model is traced at a fixed batch as a `tf.function`, frozen (variables turned
into constants, as `convert_variables_to_constants_v2` does for deployment) and
handed to `tf.compat.v1.profiler.profile` with the `float_operation()` options,
which sums the FLOPs TensorFlow registers for each op of the graph.
"""

from __future__ import annotations

from typing import Any


def profiler_flops(model: Any, batch: int = 1) -> int:
    """Total float operations TensorFlow's profiler counts for one forward pass."""
    return profile(model, batch)[0]


def profile(model: Any, batch: int = 1) -> tuple[int, dict[str, int]]:
    """(total FLOPs, FLOPs by op type) of one inference pass of a Keras 3 model."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    specs = [tf.TensorSpec([batch, *tensor.shape[1:]], tensor.dtype) for tensor in model.inputs]

    def forward(*inputs: Any) -> Any:
        return model(list(inputs) if len(inputs) > 1 else inputs[0], training=False)

    frozen = convert_variables_to_constants_v2(tf.function(forward).get_concrete_function(*specs))
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    info = tf.compat.v1.profiler.profile(
        graph=frozen.graph, run_meta=tf.compat.v1.RunMetadata(), cmd="op", options=options
    )
    by_type: dict[str, int] = {}
    stack = list(info.children)
    while stack:
        node = stack.pop()
        if node.float_ops:
            by_type[node.name] = by_type.get(node.name, 0) + node.float_ops
        stack.extend(node.children)
    return info.total_float_ops, by_type
