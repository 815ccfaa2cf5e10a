"""Classes and names a loader cannot resolve from Keras itself: custom code the file does not hold.

A Keras 3 config names each class's module and registration; a Keras 1/2 config
names a class alone, which a loader resolves in Keras's tables and then in the
custom objects the user registered. Either way, a class or a looked-up name that
is not Keras's own (`keras_names`) needs code the file does not contain.
"""

from __future__ import annotations

import functools
from typing import Any

from kerascope.analysis.keras_names import NameKind, is_keras_name
from kerascope.analysis.references import KERAS_PACKAGES, Where, foreign_finding
from kerascope.model.findings import finding
from kerascope.model.records import Finding, LayerNode
from kerascope.model.topology import MODEL_KEYS
from kerascope.model.vocabulary import Code, Fact, Origin


def class_findings(node: LayerNode) -> list[Finding]:
    """A class the file says is not Keras's own: a module to import, or a custom registration."""
    if node.module and node.module.split(".")[0] not in KERAS_PACKAGES:
        return [foreign_finding(node.path, "", f"{node.module}.{node.class_name}", node.module)]
    if node.module is None and node.registered_name:
        return [
            finding(
                Code.CUSTOM_CLASS,
                node.path,
                f"{node.class_name} is a custom class (registered as {node.registered_name!r}) defined in a script",
                subject=node.registered_name,
            )
        ]
    return []


# -- names Keras must resolve: a class, function or string that is not Keras's own ----------
# A Keras 1/2 config names a class without a module, and a loader resolves the name in
# Keras's tables, then in the custom objects the user registered: a name outside the
# tables (keras_names) is code the file does not hold. Strings count where Keras looks
# them up by name (a layer's activation, initializers, regularizers, constraints; the
# loss, metrics and optimizer of a training_config): a loader fails on them without
# the custom object, exactly as on a custom class. The kind of object a key holds
# picks the table; a key that says nothing is checked against every kind.
KindSet = frozenset[NameKind]
ANY_KIND: KindSet = frozenset(NameKind)
LOOKED_UP_STRINGS = frozenset(
    {NameKind.ACTIVATION, NameKind.INITIALIZER, NameKind.REGULARIZER, NameKind.CONSTRAINT}
)
_KEY_KINDS = {
    "layer": NameKind.LAYER,
    "forward_layer": NameKind.LAYER,
    "backward_layer": NameKind.LAYER,
    "cell": NameKind.LAYER,
    "cells": NameKind.LAYER,
    "init": NameKind.INITIALIZER,
    "inner_init": NameKind.INITIALIZER,
    "optimizer": NameKind.OPTIMIZER,
    "optimizer_config": NameKind.OPTIMIZER,
    "loss": NameKind.LOSS,
    "losses": NameKind.LOSS,
    "metrics": NameKind.METRIC,
    "weighted_metrics": NameKind.METRIC,
    "learning_rate": NameKind.SCHEDULE,
    "lr": NameKind.SCHEDULE,
}
_KEY_ENDINGS = (
    ("initializer", NameKind.INITIALIZER),
    ("regularizer", NameKind.REGULARIZER),
    ("constraint", NameKind.CONSTRAINT),
    ("activation", NameKind.ACTIVATION),
)


@functools.lru_cache(maxsize=4096)  # config keys repeat across layers
def _key_kinds(key: str) -> KindSet | None:
    """The kind of object a config key holds, or None when the key does not say."""
    if key == "fn":  # a MeanMetricWrapper's function: a metric or a loss function
        return frozenset({NameKind.METRIC, NameKind.LOSS})
    if key in _KEY_KINDS:
        return frozenset({_KEY_KINDS[key]})
    for ending, kind in _KEY_ENDINGS:
        if key.endswith(ending):
            return frozenset({kind})
    return None


@functools.lru_cache(maxsize=4096)
def _known(name: str, kinds: KindSet, generation: int | None) -> bool:
    if is_keras_name(name, NameKind.SPECIAL, generation):
        return True
    return any(is_keras_name(name, kind, generation) for kind in kinds)


def _keras_layer(node: LayerNode, generation: int | None) -> bool:
    """Whether the node is one of Keras's own layers, whose config keys Keras reads."""
    if node.class_name is None:
        return False
    if node.module is not None:
        return node.module.split(".")[0] in KERAS_PACKAGES and is_keras_name(node.class_name, NameKind.LAYER)
    return node.registered_name is None and is_keras_name(node.class_name, NameKind.LAYER, generation)


def name_findings(node: LayerNode, generation: int | None) -> list[Finding]:
    findings = []
    from_config = node.origin.get(Fact.CLASS) == Origin.CONFIG
    unqualified = node.module is None and node.registered_name is None and generation != 3
    if (
        from_config
        and node.class_name
        and unqualified
        and not _known(node.class_name, frozenset({NameKind.LAYER}), generation)
    ):
        findings.append(
            _custom_name(node.path, node.class_name, None, frozenset({NameKind.LAYER}), generation)
        )
    if isinstance(node.config, dict):
        walker = _NameWalk(node.path, generation)
        walker.config(node.config, "", strings=_keras_layer(node, generation))
        findings += walker.findings
    return findings


def training_findings(training_config: Any, path: str, generation: int | None) -> list[Finding]:
    walker = _NameWalk(path, generation, strings_everywhere=True)
    walker.config(training_config, "training_config", strings=True)
    return walker.findings


class _NameWalk:
    """One config's serialized objects and looked-up strings, depth-bounded; every
    name Keras would not resolve becomes a CUSTOM_CLASS finding."""

    def __init__(self, path: str, generation: int | None, strings_everywhere: bool = False) -> None:
        self.path, self.generation, self.strings_everywhere = path, generation, strings_everywhere
        self.findings: list[Finding] = []

    def config(self, config: Any, where: Any, strings: bool, depth: int = 0) -> None:
        """A layer's (or training_config's) own keys: each key says what it holds."""
        if not isinstance(config, dict):
            self.value(config, where, None, strings, depth)
            return
        for key, item in config.items():
            if key in MODEL_KEYS or not isinstance(key, str):
                continue
            self.value(item, Where(where, key), _key_kinds(key), strings, depth + 1)

    def value(self, value: Any, where: Any, kinds: KindSet | None, strings: bool, depth: int) -> None:
        if depth > 100:
            return
        if isinstance(value, str):
            looked_up = kinds is not None and (self.strings_everywhere or kinds & LOOKED_UP_STRINGS)
            if strings and looked_up and value and not _known(value, kinds, self.generation):
                self.findings.append(_custom_name(self.path, value, where, kinds, self.generation))
        elif isinstance(value, list):
            for item in value:
                self.value(item, where, kinds, strings, depth + 1)
        elif isinstance(value, dict):
            self.mapping(value, where, kinds, strings, depth)

    def mapping(
        self, value: dict[str, Any], where: Any, kinds: KindSet | None, strings: bool, depth: int
    ) -> None:
        name = value.get("class_name")
        if isinstance(name, str):
            module = value.get("module")
            if "module" not in value and not _known(name, kinds or ANY_KIND, self.generation):
                self.findings.append(_custom_name(self.path, name, where, kinds, self.generation))
            if isinstance(module, str):
                is_layer = module.split(".")[0] in KERAS_PACKAGES and is_keras_name(name, NameKind.LAYER)
            else:
                is_layer = module is None and is_keras_name(name, NameKind.LAYER, self.generation)
            is_layer = is_layer and (kinds is None or NameKind.LAYER in kinds)
            strings_inside = is_layer or self.strings_everywhere
            self.config(value.get("config"), Where(where, "config"), strings_inside, depth + 1)
            return
        if isinstance(value.get("name"), str) and self.generation in (1, None) and kinds:
            # Keras 1 stores regularizers and constraints as {"name": class, ...}.
            keras1 = kinds & {NameKind.REGULARIZER, NameKind.CONSTRAINT}
            if keras1 and not _known(value["name"], keras1, self.generation):
                self.findings.append(_custom_name(self.path, value["name"], where, kinds, self.generation))
        for key, item in value.items():
            if key in MODEL_KEYS or not isinstance(key, str):
                continue
            # A dict without a class (outputs -> losses) passes its kind on to its values.
            self.value(item, Where(where, key), _key_kinds(key) or kinds, strings, depth + 1)


def _custom_name(path: str, name: str, where: Any, kinds: KindSet | None, generation: int | None) -> Finding:
    keras = f"Keras {generation}" if generation else "any Keras version"
    what = " or ".join(sorted(kind.value.replace("_", " ") for kind in kinds)) if kinds else "object"
    place = f"{where} names" if where is not None and str(where) else "the layer's class is"
    return finding(
        Code.CUSTOM_CLASS,
        path,
        f"{place} {name!r}, not a {what} name of {keras}: a custom {what} the file does not hold",
        subject=name,
    )
