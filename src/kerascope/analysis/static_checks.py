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

from kerascope.model.records import Finding, LayerNode, ModelReport
from kerascope.model.topology import MODEL_KEYS
from kerascope.model.vocabulary import Code, Format, Severity

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
    for node in report.nodes:
        findings += _layer_findings(node)
        if report.format != Format.LIVE:
            findings += _class_findings(node)
        config = node.config
        if isinstance(config, dict):
            # A Lambda's own function was judged above; the rest is scanned like any config.
            skipped = MODEL_KEYS | ({"function"} if node.class_name == "Lambda" else set())
            own = {key: value for key, value in config.items() if key not in skipped}
            findings += _reference_findings(own, node.path)
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
