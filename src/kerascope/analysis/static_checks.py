"""Unsafe content in a model, found by reading its configs as data.

Each check names a shape a loader has been tricked by: Lambda bytecode (which a
loader unmarshals and runs), references to modules outside Keras's own packages
(CVE-2025-1550: a loader imports the module and calls what it names), Keras
utilities used as gadgets (CVE-2025-8747, CVE-2025-9906), layers that reach
outside the file (CVE-2026-1462, CVE-2025-12058), pickles. Nothing is executed:
the checks only look at strings and structure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from kerascope.analysis.keras_names import NameKind, generation_of, is_keras_name
from kerascope.model.records import Finding, LayerNode, ModelReport
from kerascope.model.topology import MODEL_KEYS
from kerascope.model.vocabulary import Code, Fact, Format, Origin, Severity

ERROR, WARNING = Severity.ERROR, Severity.WARNING

KERAS_PACKAGES = ("keras", "keras_hub", "keras_cv", "keras_nlp", "tf_keras")
# Modules whose import alone hands a loader the means to run commands or read files.
DANGEROUS_MODULES = {
    "os", "posix", "nt", "subprocess", "sys", "builtins", "__builtin__", "shutil", "importlib",
    "pickle", "marshal", "socket", "runpy", "code", "ctypes", "pty", "platform", "webbrowser",
}  # fmt: skip
GADGET_FUNCTIONS = {"get_file", "load_model", "enable_unsafe_deserialization", "load_weights", "save_model"}
LOOKUP_CLASSES = {"StringLookup", "IntegerLookup", "TextVectorization"}
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]+$")


def static_findings(report: ModelReport) -> list[Finding]:
    """Every unsafe shape in the report's configs and names, plus what its reader found."""
    findings = list(report.findings)
    static = report.format != Format.LIVE
    # TensorFlow.js resolves names in its own tables, which kerascope does not hold.
    names_checked = static and report.format != Format.TFJS
    generation = generation_of(report.keras_version)
    for node in report.nodes:
        findings += _layer_findings(node)
        if static:
            findings += _class_findings(node)
        if names_checked:
            findings += _name_findings(node, generation)
        config = node.config
        if isinstance(config, dict):
            # A Lambda's own function was judged above; the rest is scanned like any config.
            skipped = MODEL_KEYS | ({"function"} if node.class_name == "Lambda" else set())
            own = {key: value for key, value in config.items() if key not in skipped}
            findings += _reference_findings(own, node.path)
    if names_checked and report.training_config is not None:
        findings += _training_findings(report.training_config, report.root.path, generation)
    return _unique(findings)


def _layer_findings(node: LayerNode) -> list[Finding]:
    findings = []
    config = node.config if isinstance(node.config, dict) else {}
    # The name the model's links use, and the one a loader gives the layer (its config's).
    names = dict.fromkeys(name for name in (node.name, config.get("name")) if isinstance(name, str))
    for name in names:
        if "/" in name or ".." in name:
            findings.append(
                Finding(
                    Code.SUSPICIOUS_LAYER_NAME,
                    WARNING,
                    node.path,
                    f"layer name {name!r} holds '/' or '..'",
                    "names like this can escape paths in tools that write per-layer files",
                )
            )
    if node.class_name == "Lambda":
        findings += _lambda_findings(node.path, config)
    if node.class_name == "TFSMLayer":
        findings.append(
            Finding(
                Code.EXTERNAL_SAVEDMODEL,
                ERROR,
                node.path,
                f"TFSMLayer loads the SavedModel at {config.get('filepath')!r} (CVE-2026-1462)",
                "loading runs that SavedModel's graph; do not load unless you trust its location",
            )
        )
    if node.class_name in LOOKUP_CLASSES and isinstance(config.get("vocabulary"), str):
        findings.append(
            Finding(
                Code.VOCABULARY_FILE,
                ERROR,
                node.path,
                f"{node.class_name} reads its vocabulary from the file {config['vocabulary']!r} (CVE-2025-12058)",
                "loading reads a file outside the model; ship the vocabulary inside the model",
            )
        )
    if node.class_name == "TorchModuleWrapper" and isinstance(config.get("module"), str):
        findings.append(
            Finding(
                Code.PICKLED_TORCH_MODULE,
                ERROR,
                node.path,
                "TorchModuleWrapper stores its module as a pickle",
                "loading unpickles it, which can run any code: load only from a trusted source",
            )
        )
    return findings


def _class_findings(node: LayerNode) -> list[Finding]:
    """A class the file says is not Keras's own: a module to import, or a custom registration."""
    if node.module and node.module.split(".")[0] not in KERAS_PACKAGES:
        return [_foreign_module(node.path, node.module, node.class_name, None)]
    if node.module is None and node.registered_name:
        return [
            Finding(
                Code.CUSTOM_CLASS,
                WARNING,
                node.path,
                f"{node.class_name} is a custom class (registered as {node.registered_name!r}) defined in a script",
                "loading needs that class's code, registered under the same name",
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


def _name_findings(node: LayerNode, generation: int | None) -> list[Finding]:
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


def _training_findings(training_config: Any, path: str, generation: int | None) -> list[Finding]:
    walker = _NameWalk(path, generation, strings_everywhere=True)
    walker.config(training_config, "training_config", strings=True)
    return walker.findings


class _NameWalk:
    """One config's serialized objects and looked-up strings, depth-bounded; every
    name Keras would not resolve becomes a CUSTOM_CLASS finding."""

    def __init__(self, path: str, generation: int | None, strings_everywhere: bool = False) -> None:
        self.path, self.generation, self.strings_everywhere = path, generation, strings_everywhere
        self.findings: list[Finding] = []

    def config(self, config: Any, where: str, strings: bool, depth: int = 0) -> None:
        """A layer's (or training_config's) own keys: each key says what it holds."""
        if not isinstance(config, dict):
            self.value(config, where, None, strings, depth)
            return
        for key, item in config.items():
            if key in MODEL_KEYS or not isinstance(key, str):
                continue
            self.value(item, _join(where, key), _key_kinds(key), strings, depth + 1)

    def value(self, value: Any, where: str, kinds: KindSet | None, strings: bool, depth: int) -> None:
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
        self, value: dict[str, Any], where: str, kinds: KindSet | None, strings: bool, depth: int
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
            self.config(value.get("config"), _join(where, "config"), strings_inside, depth + 1)
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
            self.value(item, _join(where, key), _key_kinds(key) or kinds, strings, depth + 1)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _custom_name(
    path: str, name: str, where: str | None, kinds: KindSet | None, generation: int | None
) -> Finding:
    keras = f"Keras {generation}" if generation else "any Keras version"
    what = " or ".join(sorted(kind.value.replace("_", " ") for kind in kinds)) if kinds else "object"
    place = f"{where} names" if where else "the layer's class is"
    return Finding(
        Code.CUSTOM_CLASS,
        WARNING,
        path,
        f"{place} {name!r}, not a {what} name of {keras}: a custom {what} the file does not hold",
        "loading needs that code, registered under this name (custom_objects)",
    )


def _lambda_findings(path: str, config: dict[str, Any]) -> list[Finding]:
    function = config.get("function")
    encoding = _bytecode_encoding(function, config.get("function_type"))
    if encoding is not None:
        return [
            Finding(
                Code.LAMBDA_BYTECODE,
                ERROR,
                path,
                f"Lambda layer holds Python bytecode ({encoding}); loading it runs that code",
                "rebuild the layer from code you trust, or load with safe_mode=True (it refuses)",
            )
        ]
    if isinstance(function, str):
        return [
            Finding(
                Code.LAMBDA_FUNCTION_NAME,
                WARNING,
                path,
                f"Lambda layer calls a function looked up by name at load: {function!r}",
                "loading resolves this name from custom objects: make sure it is the function you expect",
            )
        ]
    return []


def _bytecode_encoding(function: Any, function_type: Any) -> str | None:
    if isinstance(function, dict) and function.get("class_name") == "__lambda__":
        return "Keras 3 __lambda__, base64 marshal"
    if isinstance(function, list) and function and isinstance(function[0], str) and function_type != "raw":
        code = function[0]
        if code[:1] == "\u00e3" or not _BASE64.match(code):
            return "raw marshal bytes, as Keras 1 and early Keras 2 wrote"
        return "base64 marshal, as Keras 2 wrote"
    return None


def _reference_findings(config: Any, path: str) -> list[Finding]:
    findings = []
    for obj in _serialized_objects(config):
        class_name, module = obj.get("class_name"), obj.get("module")
        inner = obj.get("config")
        if class_name == "__lambda__":
            findings.append(
                Finding(
                    Code.LAMBDA_BYTECODE,
                    ERROR,
                    path,
                    "a config value holds Python bytecode (Keras 3 __lambda__); loading it runs that code",
                    "rebuild this object from code you trust",
                )
            )
        if class_name == "function" and isinstance(inner, str) and inner in GADGET_FUNCTIONS:
            findings.append(
                Finding(
                    Code.KERAS_GADGET,
                    ERROR,
                    path,
                    f"the config calls {module or 'keras'}.{inner} (CVE-2025-8747, CVE-2025-9906)",
                    "a model has no reason to download, load or unlock files while loading: do not load it",
                )
            )
        if isinstance(module, str) and module.split(".")[0] not in KERAS_PACKAGES:
            findings.append(_foreign_module(path, module, class_name, inner))
    if _unsafe_mode(config):
        findings.append(
            Finding(
                Code.SAFE_MODE_OFF,
                ERROR,
                path,
                "the config asks for safe_mode=False",
                "a model that turns off safe mode while loading is an attack pattern: do not load it",
            )
        )
    return findings


def _foreign_module(path: str, module: str, class_name: Any, inner: Any) -> Finding:
    root = module.split(".")[0]
    what = (
        f"{module}.{inner}"
        if class_name == "function" and isinstance(inner, str)
        else f"{module}.{class_name}"
    )
    if class_name == "function" or root in DANGEROUS_MODULES:
        return Finding(
            Code.FOREIGN_CALLABLE,
            ERROR,
            path,
            f"the config names {what}, outside Keras; a loader would import and call it (CVE-2025-1550)",
            "do not load this file; if you wrote it, register the function with Keras instead",
        )
    return Finding(
        Code.FOREIGN_MODULE,
        WARNING,
        path,
        f"the config names the class {what}; loading imports {module}",
        "load only with that package's code reviewed and installed",
    )


def _serialized_objects(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 100:
        return
    if isinstance(value, dict):
        if isinstance(value.get("class_name"), str):
            yield value
        for key, item in value.items():
            if key not in MODEL_KEYS:
                yield from _serialized_objects(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _serialized_objects(item, depth + 1)


def _unsafe_mode(value: Any, depth: int = 0) -> bool:
    if depth > 100:
        return False
    if isinstance(value, dict):
        if value.get("safe_mode") is False:
            return True
        return any(_unsafe_mode(item, depth + 1) for key, item in value.items() if key not in MODEL_KEYS)
    if isinstance(value, list):
        return any(_unsafe_mode(item, depth + 1) for item in value)
    return False


def _unique(findings: list[Finding]) -> list[Finding]:
    seen, kept = set(), []
    for finding in findings:
        key = (finding.code, finding.path, finding.message)
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept
