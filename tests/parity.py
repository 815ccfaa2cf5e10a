"""Comparing a static report of a saved file with the live report of the model
that wrote it, on every fact the file stores."""

from __future__ import annotations

from typing import Any


def without_object_ids(value: Any, drop: tuple[str, ...] = ("shared_object_id",)) -> Any:
    """A config without `shared_object_id`, which Keras's serializer adds when it
    writes a file and `get_config()` never returns (and without other `drop` keys)."""
    if isinstance(value, dict):
        return {k: without_object_ids(v, drop) for k, v in value.items() if k not in drop}
    if isinstance(value, list):
        return [without_object_ids(v, drop) for v in value]
    return value


LEGACY_STYLE = ("shared_object_id", "module", "registered_name", "build_config", "compile_config")


def assert_static_matches_live(
    static: Any, live: Any, *, weights: bool = True, same_paths: bool = True, legacy_style: bool = False
) -> None:
    """`legacy_style`: the file serialized nested objects the Keras 2 way, without
    the `module`, `registered_name`, `build_config` and `compile_config` that Keras's
    `get_config()` now adds."""
    drop = LEGACY_STYLE if legacy_style else ("shared_object_id",)
    live_paths = {node.path for node in live.nodes}
    static_paths = {node.path for node in static.nodes}
    if same_paths:
        assert static_paths == live_paths, (static_paths - live_paths, live_paths - static_paths)
    else:
        assert static_paths <= live_paths, static_paths - live_paths
    assert len(static_paths) == len(static.nodes), "paths are unique"
    for node in static.layers:
        twin = live[node.path]
        assert node.name == twin.name
        if node.class_name is not None:
            assert node.class_name == twin.class_name, node.path
        assert node.role == twin.role or node.class_name is None, (node.path, node.role, twin.role)
        if node.config is not None and twin.config is not None:
            assert without_object_ids(node.config, drop) == without_object_ids(twin.config, drop), node.path
        if node.output_shapes is not None:
            assert node.output_shape == twin.output_shape, node.path
        if node.inbound is not None and twin.inbound is not None:
            assert node.inbound == twin.inbound, node.path
        if weights and same_paths:
            assert [(w.shape, w.dtype) for w in node.weights] == [(w.shape, w.dtype) for w in twin.weights], (
                node.path
            )
        if weights:
            assert node.total_params == twin.total_params, node.path
    if weights:
        assert static.total_params == live.total_params
