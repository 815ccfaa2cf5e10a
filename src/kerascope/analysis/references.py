"""Every serialized object in a config, at any depth, judged as a loader would see it.

A loader imports a `module` a config names and calls a `function` it names, runs
a Lambda's bytecode, unpickles a TorchModuleWrapper's module, reads a
vocabulary file or an external SavedModel. Each of those shapes is found here
wherever it sits: in a layer's own config, inside a wrapper's `layer` (a
TimeDistributed around a Sequential around a Lambda), in an activation or
initializer, in the loss and metrics a model was compiled with. The walk is
iterative and goes as deep as the config does (its depth is bounded where it is
parsed, by the JSON depth limit). Nothing is imported, unpickled or called.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any

from kerascope.decoders import bytecode
from kerascope.decoders.pickles import torch_save_imports
from kerascope.families.registry import known_class
from kerascope.limits import DEFAULT_LIMITS
from kerascope.model.findings import finding
from kerascope.model.records import Finding
from kerascope.model.topology import MODEL_KEYS
from kerascope.model.vocabulary import Code, Kind

KERAS_PACKAGES = ("keras", "keras_hub", "keras_cv", "keras_nlp", "tf_keras")
# Modules whose import alone hands a loader the means to run commands or read files.
DANGEROUS_MODULES = {
    "os", "posix", "nt", "subprocess", "sys", "builtins", "__builtin__", "shutil", "importlib",
    "pickle", "marshal", "socket", "runpy", "code", "ctypes", "pty", "platform", "webbrowser",
    "requests", "urllib", "http", "ftplib", "tempfile", "pathlib", "io", "codecs", "dill",
}  # fmt: skip
# Keras's own functions a config can name to make loading touch files, fetch from the
# network, load other models or run code, and why each is dangerous. CVE-2025-8747 and
# CVE-2025-9906 used `get_file` and `enable_unsafe_deserialization` through a Lambda's
# or a layer's function reference; the rest reach the same ends.
GADGET_FUNCTIONS = {
    "get_file": "downloads a file (CVE-2025-8747)",
    "enable_unsafe_deserialization": "turns safe mode off for what loads next (CVE-2025-9906)",
    "load_model": "loads another model, with whatever it holds (CVE-2025-9906)",
    "load_weights": "reads a weights file outside the model",
    "save_model": "writes a model file",
    "save_weights": "writes a weights file",
    "load_img": "reads an image file from disk",
    "save_img": "writes an image file",
    "func_load": "unmarshals and runs Python bytecode",
    "deserialize_keras_object": "deserializes another object, unchecked",
    "rmtree": "deletes a directory tree",
    "copy": "copies files",
    "remove": "deletes a file",
    "rename": "moves a file",
    "makedirs": "creates directories",
}
# Keras modules whose every function touches the file system.
GADGET_MODULES = ("file_utils", "io_utils", "gfile")
# KerasHub arguments a tokenizer opens as a file when they hold a path: the vocabulary
# (WordPiece, byte-pair), the merges (byte-pair) and the SentencePiece proto
# (keras_hub/src/tokenizers/*.py; 0.32 refuses them in safe mode, older versions do not).
HUB_FILE_ARGUMENTS = ("vocabulary", "merges", "proto")
HUB_PACKAGES = ("keras_hub", "keras_nlp")
# The most pickle bytes decoded to list what a TorchModuleWrapper would import.
_PICKLE_SCAN_BYTES = 64 << 20


def layer_findings(class_name: str | None, config: Any, path: str, is_model: bool) -> list[Finding]:
    """What a layer of this class with this config would make a loader do, and
    every unsafe object inside its config (a model's layers are checked as layers)."""
    own = _object_findings({"class_name": class_name, "config": config}, path, "") if class_name else []
    return own + reference_findings(config, path, skip_model_layers=is_model)


def reference_findings(
    config: Any, path: str, where: str = "", skip_model_layers: bool = False
) -> list[Finding]:
    """The unsafe objects in `config` (a layer's config, a training config), reported
    at the layer `path`; `skip_model_layers`: the config is a model's, whose layers
    are reports of their own."""
    findings: list[Finding] = []
    for item, at in _mappings(config, where, skip_model_layers):
        if isinstance(item.get("class_name"), str):
            findings += _object_findings(item, path, at)
        if item.get("safe_mode") is False:
            findings.append(finding(Code.SAFE_MODE_OFF, path, f"{_at(str(at))}asks for safe_mode=False"))
    return findings


def serialized_objects(
    value: Any, where: str = "", skip_model_layers: bool = False
) -> Iterator[tuple[dict[str, Any], str]]:
    """(object, where in the config) for every `{"class_name": ...}` object."""
    return (
        (item, str(at))
        for item, at in _mappings(value, where, skip_model_layers)
        if isinstance(item.get("class_name"), str)
    )


class Where:
    """Where a value sits in a config, spelled out only when a finding names it."""

    __slots__ = ("key", "parent")

    def __init__(self, parent: Where | str, key: str | int) -> None:
        self.parent, self.key = parent, key

    def __str__(self) -> str:
        keys: list[str | int] = []
        at: Where | str = self
        while isinstance(at, Where):
            keys.append(at.key)
            at = at.parent
        text = at
        for key in reversed(keys):
            text = f"{text}[{key}]" if isinstance(key, int) else _join(text, key)
        return text


def _mappings(value: Any, where: str, skip_model_layers: bool) -> Iterator[tuple[dict[str, Any], Any]]:
    """Every dict inside `value`, with where it sits, without recursion; a model's
    own layers (its `layers`, or a Keras 1 bare list) left out when
    `skip_model_layers`, since they are reports of their own."""
    stack: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        yield value, where
        for key, child in value.items():
            if isinstance(child, (dict, list)) and not (skip_model_layers and key in MODEL_KEYS):
                stack.append((child, Where(where, str(key))))
    elif isinstance(value, list) and not skip_model_layers:
        stack.append((value, where))
    while stack:
        item, at = stack.pop()
        if type(item) is dict:
            yield item, at
            for key, child in item.items():
                if isinstance(child, (dict, list)):
                    stack.append((child, Where(at, str(key))))
        else:
            for index, child in enumerate(item):
                if isinstance(child, (dict, list)):
                    stack.append((child, Where(at, index)))


def _object_findings(obj: dict[str, Any], path: str, at: Any) -> list[Finding]:
    """`at` is where the object sits (a string, or a `Where` spelled out only if needed)."""
    class_name, module = obj["class_name"], obj.get("module")
    inner = obj.get("config")
    config = inner if isinstance(inner, dict) else {}
    findings: list[Finding] = []
    own = known_class(class_name)  # Keras's own class of this name, if kerascope knows it
    if class_name == "__lambda__":
        found = bytecode.keras3_lambda(obj)
        findings.append(_bytecode(path, at, found.encoding if found else bytecode.KERAS3))
    if own is not None and own.kind is Kind.LAMBDA:
        findings += _lambda_findings(path, at, config)
    if class_name == "function":
        findings += _function_findings(path, at, module, inner)
    elif isinstance(module, str) and module.split(".")[0] not in KERAS_PACKAGES:
        findings.append(foreign_finding(path, at, f"{module}.{class_name}", module))
    if class_name == "TFSMLayer":
        findings.append(
            finding(
                Code.EXTERNAL_SAVEDMODEL,
                path,
                f"{_at(at)}TFSMLayer loads the SavedModel at {config.get('filepath')!r} (CVE-2026-1462)",
            )
        )
    if own is not None and own.vocabulary_file and isinstance(config.get("vocabulary"), str):
        findings.append(
            finding(
                Code.VOCABULARY_FILE,
                path,
                f"{_at(at)}{class_name} reads its vocabulary from the file {config['vocabulary']!r} (CVE-2025-12058)",
            )
        )
    if class_name == "TorchModuleWrapper" and isinstance(config.get("module"), str):
        findings.append(_torch_pickle(path, at, config["module"]))
    if _from_keras_hub(obj):
        findings += _hub_file_findings(path, at, class_name, config)
    return findings


def _from_keras_hub(obj: dict[str, Any]) -> bool:
    module, registered = obj.get("module"), obj.get("registered_name")
    return (isinstance(module, str) and module.split(".")[0] in HUB_PACKAGES) or (
        isinstance(registered, str) and registered.split(">")[0] in HUB_PACKAGES
    )


def _hub_file_findings(path: str, at: Any, class_name: str, config: dict[str, Any]) -> list[Finding]:
    """A KerasHub object that reads a file outside its preset: a tokenizer argument
    holding a path, or a `config_file` whose stem (the folder under `assets/` its
    assets are read from, `load_preset_assets`) is an absolute path."""
    findings = [
        finding(
            Code.VOCABULARY_FILE, path, f"{_at(at)}{class_name} reads its {key} from the file {config[key]!r}"
        )
        for key in HUB_FILE_ARGUMENTS
        if isinstance(config.get(key), str)
    ]
    config_file = config.get("config_file")
    if isinstance(config_file, str) and (config_file.startswith(("/", "\\")) or config_file[1:3] == ":\\"):
        findings.append(
            finding(
                Code.VOCABULARY_FILE,
                path,
                f"{_at(at)}{class_name} reads its assets from {config_file.split('.')[0]!r}, outside the preset "
                f"(config_file {config_file!r})",
            )
        )
    return findings


def _lambda_findings(path: str, at: Any, config: dict[str, Any]) -> list[Finding]:
    """A Lambda's `function` and `output_shape`, in the Keras 1 and 2 encodings (Keras
    3's `__lambda__` and `function` objects are judged as the objects they are)."""
    findings = []
    for key, kind_key in (("function", "function_type"), ("output_shape", "output_shape_type")):
        value = config.get(key)
        if isinstance(value, dict):
            continue
        found = bytecode.in_lambda_entry(value, config.get(kind_key))
        if found is not None:
            findings.append(_bytecode(path, _join(str(at), key), found.encoding))
        elif key == "function" and isinstance(value, str):
            findings.append(
                finding(
                    Code.LAMBDA_FUNCTION_NAME,
                    path,
                    f"{_at(at)}Lambda layer calls a function looked up by name at load: {value!r}",
                )
            )
    return findings


def _function_findings(path: str, at: Any, module: Any, name: Any) -> list[Finding]:
    """A `{"class_name": "function", "module", "config": name}` reference: a loader imports
    the module and calls the function."""
    if not isinstance(name, str):
        return []
    module_text = module if isinstance(module, str) else "keras"
    if module_text.split(".")[0] not in KERAS_PACKAGES:
        return [foreign_finding(path, at, f"{module_text}.{name}", module_text, callable_=True)]
    why = GADGET_FUNCTIONS.get(name)
    if why is None and module_text.rsplit(".", 1)[-1] in GADGET_MODULES:
        why = f"is a file-system utility of {module_text}"
    if why is None:
        return []
    return [finding(Code.KERAS_GADGET, path, f"{_at(at)}the config calls {module_text}.{name}, which {why}")]


def foreign_finding(path: str, at: Any, what: str, module: str, callable_: bool = False) -> Finding:
    if callable_ or module.split(".")[0] in DANGEROUS_MODULES:
        return finding(
            Code.FOREIGN_CALLABLE,
            path,
            f"{_at(at)}the config names {what}, outside Keras; a loader would import and call it (CVE-2025-1550)",
            subject=what,
        )
    return finding(
        Code.FOREIGN_MODULE,
        path,
        f"{_at(at)}the config names the class {what}; loading imports {module}",
        subject=what,
    )


def _bytecode(path: str, at: Any, encoding: str) -> Finding:
    return finding(
        Code.LAMBDA_BYTECODE, path, f"{_at(at)}Python bytecode ({encoding}); loading it runs that code"
    )


def _torch_pickle(path: str, at: Any, payload: str) -> Finding:
    """A TorchModuleWrapper's module: what `torch.save` wrote, base64-encoded (a zip of
    `archive/data.pkl` and its storages, or, from older torch, one pickle); what loading
    it would import, read from the pickles' opcodes."""
    try:
        data = base64.b64decode(payload[: _PICKLE_SCAN_BYTES * 4 // 3], validate=False)
    except (binascii.Error, ValueError):
        data = b""
    imports = torch_save_imports(data, DEFAULT_LIMITS)
    named = ", ".join(dict.fromkeys(imports)) or "nothing readable"
    return finding(
        Code.PICKLED_TORCH_MODULE,
        path,
        f"{_at(at)}TorchModuleWrapper stores its module as a pickle that imports {named}",
    )


def _join(at: str, key: str) -> str:
    return f"{at}.{key}" if at else key


def _at(at: Any) -> str:
    text = str(at)
    return f"{text}: " if text else ""
