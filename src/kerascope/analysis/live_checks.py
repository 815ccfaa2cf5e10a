"""Will each layer survive saving and loading? Asked of the live objects.

Per layer, in isolation: does `get_config()` work, does it cover the
constructor's arguments, does `from_config(get_config())` rebuild a layer with
the same config, is the config JSON, and can another process find the class.
These run the model's own code, so they run only on live objects (or `--load`).
"""

from __future__ import annotations

import inspect
import sys
from typing import Any

from kerascope.analysis.references import KERAS_PACKAGES
from kerascope.decoders.jsonsafe import REPR_MARK, jsonable
from kerascope.errors import one_line
from kerascope.model.findings import finding
from kerascope.model.records import Finding, LayerNode, ModelReport
from kerascope.model.vocabulary import Code, Role

# Constructor parameters every Keras layer takes through **kwargs or the base class.
_BASE_PARAMETERS = {
    "self",
    "name",
    "trainable",
    "dtype",
    "autocast",
    "input_shape",
    "input_dim",
    "batch_size",
}


def live_findings(report: ModelReport, objects: dict[str, Any]) -> list[Finding]:
    findings: list[Finding] = []
    for node in report.nodes:
        layer = objects.get(node.path)
        if layer is None:
            continue
        if node.config_error:
            findings.append(_config_error_finding(node, layer))
            continue
        findings += _coverage_findings(node, layer)
        if _holds_repr(node.config):
            findings.append(
                finding(
                    Code.CONFIG_NOT_JSON,
                    node.path,
                    "get_config() returns values JSON cannot hold (marked __kerascope_repr__ in the report)",
                )
            )
        if node.role not in (Role.MODEL, Role.INPUT):
            findings += _round_trip_findings(node, layer)
        if _is_custom(layer) and not _is_registered(layer):
            findings.append(
                finding(
                    Code.UNREGISTERED_CLASS,
                    node.path,
                    f"{type(layer).__qualname__} is neither built into Keras nor registered",
                )
            )
    return findings


def _config_error_finding(node: LayerNode, layer: Any) -> Finding:
    if _is_custom(layer) and not _defines_get_config(type(layer)):
        return finding(
            Code.MISSING_GET_CONFIG,
            node.path,
            f"{type(layer).__qualname__} defines no get_config(), and Keras's default raises {node.config_error}",
        )
    return finding(
        Code.GET_CONFIG_RAISES, node.path, f"{node.class_name}.get_config() raises {node.config_error}"
    )


def _coverage_findings(node: LayerNode, layer: Any) -> list[Finding]:
    """Constructor arguments the config leaves out: a reload silently uses defaults."""
    if not _is_custom(layer) or not isinstance(node.config, dict):
        return []
    missing = [name for name in _init_parameters(type(layer)) if name not in node.config]
    if not missing:
        return []
    own_get_config = _defines_get_config(type(layer))
    code = Code.CONFIG_OMITS_ARGUMENTS if own_get_config else Code.MISSING_GET_CONFIG
    message = (
        f"get_config() omits constructor arguments: {', '.join(missing)}"
        if own_get_config
        else f"{type(layer).__qualname__} takes {', '.join(missing)} but defines no get_config()"
    )
    return [finding(code, node.path, message)]


def _round_trip_findings(node: LayerNode, layer: Any) -> list[Finding]:
    cls = type(layer)
    try:
        rebuilt = cls.from_config(layer.get_config())
        rebuilt_config = jsonable(rebuilt.get_config())
    except Exception as error:  # noqa: BLE001 - a layer's own code may raise anything
        return [
            finding(
                Code.FROM_CONFIG_RAISES,
                node.path,
                f"{cls.__qualname__}.from_config(get_config()) raises {one_line(f'{type(error).__name__}: {error}')}",
            )
        ]
    differing = sorted(
        key
        for key in set(rebuilt_config) | set(node.config)
        if rebuilt_config.get(key) != node.config.get(key)
    )
    if not differing:
        return []
    return [
        finding(
            Code.ROUND_TRIP_DIFFERS,
            node.path,
            f"from_config(get_config()) rebuilds a layer whose config differs in: {', '.join(differing)}",
        )
    ]


def _init_parameters(cls: type) -> list[str]:
    try:
        parameters = inspect.signature(cls.__init__).parameters.values()
    except (TypeError, ValueError):
        return []
    return [
        parameter.name
        for parameter in parameters
        if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
        and parameter.name not in _BASE_PARAMETERS
    ]


def _is_custom(layer: Any) -> bool:
    return type(layer).__module__.split(".")[0] not in KERAS_PACKAGES


def _defines_get_config(cls: type) -> bool:
    """Whether a class outside Keras's packages defines get_config itself."""
    for klass in cls.__mro__:
        if klass.__module__.split(".")[0] in KERAS_PACKAGES:
            return False
        if "get_config" in vars(klass):
            return True
    return False


def _is_registered(layer: Any) -> bool:
    cls = type(layer)
    for package in ("keras", "tf_keras"):
        module = sys.modules.get(package)
        saving = getattr(module, "saving", None) if module else None
        if saving is None or not hasattr(saving, "get_registered_object"):
            continue
        if saving.get_registered_object(saving.get_registered_name(cls)) is cls:
            return True
    return False


def _holds_repr(value: Any) -> bool:
    if isinstance(value, dict):
        return REPR_MARK in value or any(_holds_repr(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_repr(item) for item in value)
    return False
