"""Generate src/kerascope/data/keras_names.json: every name Keras resolves from a config.

A Keras 1 or 2 config names its classes without a module (`{"class_name": "Dense",
"config": {...}}`), and a string activation or initializer (`"relu"`,
`"glorot_uniform"`) is a name too. A loader resolves such a name in a table of its own
objects, then in the custom objects the user registered: a name outside Keras's table
is code the file does not hold. This script builds Keras's tables for every
generation by READING the packages' sources with `ast` (old versions do not import on
this Python, and nothing downloaded is ever run), so `kerascope check` can tell a
custom class from a built-in one without Keras installed.

How each generation resolves a name (read in the sources listed in SOURCES):

Keras 1.x (`keras/utils/generic_utils.py: get_from_module`): a name is looked up in
the `globals()` of one module per kind: layers in `keras/utils/layer_utils.py`
(which star-imports `keras.layers`; `layer_from_config` itself maps `Sequential`,
`Model` and `Container`), activations in `keras/activations.py`, initializers in
`keras/initializations.py`, regularizers in `keras/regularizers.py`, constraints in
`keras/constraints.py`, losses in `keras/objectives.py`, metrics in
`keras/metrics.py`, optimizers in `keras/optimizers.py`. Regularizers and
constraints are stored as `{"name": ...}` dicts, activations and initializers as
strings.

Keras 2.0 to 2.3 (multi-backend; `keras/utils/generic_utils.py:
deserialize_keras_object`): the same rule with `module_objects=globals()` of
`keras.layers` (its `deserialize` adds `Model` and `Sequential`),
`keras.activations`, `keras.initializers`, `keras.regularizers`,
`keras.constraints`, `keras.losses`, `keras.metrics`, `keras.optimizers` (whose
`deserialize` also accepts the lower-case keys of its `all_classes` dict, and lower-
cases a class name first when the lower-cased name is such a key). A string
initializer becomes `{"class_name": name, "config": {}}`, so function names
(`glorot_uniform`) are initializer names. Keras 2.4 is a shim over `tf.keras`
(`from tensorflow.keras.layers import *`): it adds no names of its own.

tf.keras 2.6 to 2.15 and tf_keras (`keras/saving/legacy/serialization.py` and
`keras/saving/serialization_lib.py`): each kind's `deserialize` passes a dict of
objects. Layers: `LOCAL.ALL_OBJECTS`, filled by `populate_deserializable_objects()`
with every Layer subclass in the namespaces of the modules listed in `ALL_MODULES`
and `ALL_V2_MODULES`, plus the keys it sets by hand (`Functional`, `Model`,
`Sequential`, `DenseFeatures`, `BatchNormalizationV1`, ...). Activations: the
callables of `keras.activations` and of the activation layers' module.
Initializers: `LOCAL.ALL_OBJECTS` with the Initializer classes of
`initializers_v2`, the V1 names, their snake_case forms and explicit aliases.
Regularizers, constraints, losses, metrics: `globals()` of their modules.
Optimizers: the `all_classes` dicts (lower-case keys, case-folded as above) and the
optimizer classes.

Keras 3 (`keras/src/saving/serialization_lib.py`): a config with a `module` is
resolved through the `keras_export` names (`keras.layers.Dense`); a legacy config
without one goes through `keras/src/legacy/saving/saving_utils.py`, which looks
layers up in `keras.src.layers.__dict__` plus `InputLayer`, `Functional`, `Model`,
`Sequential`. Every other kind looks names up in its package's `ALL_OBJECTS_DICT`:
the `__name__` of each object in `ALL_OBJECTS`, its snake_case form where the
module adds it, and explicit aliases (`"swish"`, `"l1"`, `"mse"`); optimizers are
case-folded as in Keras 2.

Every generation: the class names that Keras's own (de)serialization code writes or
tests for besides those (`__tuple__`, `TensorShape`, `__keras_tensor__`,
`__numpy__`, `Policy`, `DTypePolicy`, `function`, ...) are the kind `special`: the
string constants it stores under a `class_name` key or compares with a class name,
in the modules that (de)serialize. Feature columns (kind `feature_column`, held by a
tf.keras `DenseFeatures` config) are the classes TensorFlow registers with
`register_feature_column`, read from the installed TensorFlow.

From the modules a rule names, a name counts if it is bound to a class (for layers:
one whose bases lead to Keras's `Layer`, or to a base outside the package) or to a
function defined in the package outside its utility modules; helper functions
(`get`, `serialize`, `deserialize`, ...), modules and constants never count.

Run: `python scripts/make_keras_names.py` downloads the versions listed in SOURCES
into a temporary folder (`pip download --no-deps`: the wheel, or the sdist where
PyPI has no wheel), reads the installed tf_keras, Keras 3 and TensorFlow from this
Python's site-packages, and writes the JSON file (about a minute). The output
depends only on those sources, so running it again gives the same file. Re-run it
when the installed Keras or tf_keras changes: tests/test_keras_names.py fails
until the table covers the installed versions.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "src" / "kerascope" / "data" / "keras_names.json"
KINDS = (
    "layer",
    "activation",
    "initializer",
    "regularizer",
    "constraint",
    "loss",
    "metric",
    "optimizer",
    "schedule",
    "feature_column",
    "special",
)


@dataclass(frozen=True)
class Source:
    """One package version to read: `dist==version` from PyPI, or the installed one."""

    generation: str
    dist: str
    version: str  # "installed" for the package in this Python's site-packages
    family: str  # which resolution rules apply (see the docstring)
    package: str  # the top-level import package inside the distribution
    src: str  # the dotted prefix of the private source tree ("keras", "keras.src", ...)


SOURCES = (
    Source("keras1", "keras", "1.0.8", "keras1", "keras", "keras"),
    Source("keras1", "keras", "1.1.2", "keras1", "keras", "keras"),
    Source("keras1", "keras", "1.2.2", "keras1", "keras", "keras"),
    Source("keras2", "keras", "2.0.0", "multibackend", "keras", "keras"),
    Source("keras2", "keras", "2.0.9", "multibackend", "keras", "keras"),
    Source("keras2", "keras", "2.1.6", "multibackend", "keras", "keras"),
    Source("keras2", "keras", "2.2.4", "multibackend", "keras", "keras"),
    Source("keras2", "keras", "2.2.5", "multibackend", "keras", "keras"),
    Source("keras2", "keras", "2.3.1", "multibackend", "keras", "keras"),
    Source("keras2", "keras", "2.6.0", "tfkeras", "keras", "keras"),
    Source("keras2", "keras", "2.9.0", "tfkeras", "keras", "keras"),
    Source("keras2", "keras", "2.11.0", "tfkeras", "keras", "keras"),
    Source("keras2", "keras", "2.13.1", "tfkeras", "keras", "keras.src"),
    Source("keras2", "keras", "2.15.0", "tfkeras", "keras", "keras.src"),
    Source("keras2", "tf_keras", "installed", "tfkeras", "tf_keras", "tf_keras.src"),
    Source("keras3", "keras", "3.0.0", "keras3", "keras", "keras.src"),
    Source("keras3", "keras", "installed", "keras3", "keras", "keras.src"),
)
FEATURE_COLUMNS = Source("keras2", "tensorflow", "installed", "feature_columns", "tensorflow", "tensorflow")

# Names a module binds that are Keras's (de)serialization machinery, not objects.
HELPERS = {
    "get", "serialize", "deserialize", "deserialize_keras_object", "serialize_keras_object",
    "get_from_module", "populate_deserializable_objects", "keras_export", "get_globals",
    "deserialize_feature_column", "serialize_feature_column", "register_keras_serializable",
    "get_registered_name", "get_registered_object", "custom_object_scope", "get_fans", "clip_norm",
    "optimizer_from_config", "clone_metric", "clone_metrics", "is_built_in", "is_categorical_crossentropy",
}  # fmt: skip
# Modules whose functions are helpers, never objects a config names.
HELPER_MODULE_PARTS = {"utils", "backend", "saving", "engine", "api_export", "ops", "tree", "export"}
# Folders of test and benchmark code, which register classes Keras itself does not.
NOT_KERAS = {"tests", "test", "testing", "testing_infra", "integration_test", "benchmarks", "benchmark"}
BUILTIN_BASES = {"object", "Exception", "ValueError", "dict", "list", "tuple", "type", "str", "int"}


# -- a static view of a package's modules ---------------------------------------------------
@dataclass
class Symbol:
    """What a module-level name is bound to, as far as the source says."""

    kind: str  # "class", "function", "module", "external", "other"
    module: str  # the module that defines it (or the module itself, for kind "module")
    name: str  # its own name where it was defined (a class's or function's __name__)
    node: ast.AST | None = None


@dataclass
class Module:
    name: str
    tree: ast.Module
    is_package: bool
    namespace: dict[str, Symbol] = field(default_factory=dict)
    done: bool = False


class Package:
    """The modules of one source tree, read with `ast`, never imported."""

    def __init__(self, root: Path, top: str) -> None:
        self.root, self.top = root, top
        self.modules: dict[str, Module | None] = {}
        self._decorated: dict[str, list[tuple[str, Symbol]]] = {}

    def module(self, name: str) -> Module | None:
        if name in self.modules:
            return self.modules[name]
        base = self.root.joinpath(*name.split("."))
        found = None
        for path, is_package in ((base / "__init__.py", True), (base.with_suffix(".py"), False)):
            if path.is_file():
                found = Module(name, ast.parse(path.read_bytes(), str(path)), is_package)
                break
        self.modules[name] = found
        return found

    def namespace(self, name: str) -> dict[str, Symbol]:
        module = self.module(name)
        if module is None:
            return {}
        if not module.done:
            module.done = True  # a cycle sees what is bound so far, as Python's import does
            for statement in _flat(module.tree.body):
                self._bind(module, statement)
        return module.namespace

    def lookup(self, module_name: str, name: str) -> Symbol | None:
        """`from module_name import name`: a bound name, else a submodule."""
        symbol = self.namespace(module_name).get(name)
        if symbol is None and self.module(f"{module_name}.{name}") is not None:
            symbol = Symbol("module", f"{module_name}.{name}", name)
        return symbol

    def _bind(self, module: Module, statement: ast.stmt) -> None:
        space = module.namespace
        if isinstance(statement, ast.ClassDef):
            space[statement.name] = Symbol("class", module.name, statement.name, statement)
        elif isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            space[statement.name] = Symbol("function", module.name, statement.name, statement)
        elif isinstance(statement, ast.Assign):
            value = self.evaluate(module.name, statement.value)
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    space[target.id] = value or Symbol("other", module.name, target.id, statement.value)
        elif isinstance(statement, ast.ImportFrom):
            source = self._absolute(module, statement.module, statement.level)
            internal = source is not None and source.split(".")[0] == self.top
            for alias in statement.names:
                if alias.name == "*":
                    if internal:
                        space.update(self._star(source))
                    continue
                bound = alias.asname or alias.name
                symbol = self.lookup(source, alias.name) if internal else None
                space[bound] = symbol or Symbol("external", str(source), alias.name)
        elif isinstance(statement, ast.Import):
            for alias in statement.names:
                internal = alias.name.split(".")[0] == self.top
                if alias.asname:
                    kind = "module" if internal and self.module(alias.name) else "external"
                    space[alias.asname] = Symbol(kind, alias.name, alias.name)
                else:
                    head = alias.name.split(".")[0]
                    space[head] = Symbol("module" if internal else "external", head, head)

    def _absolute(self, module: Module, name: str | None, level: int) -> str | None:
        if level == 0:
            return name
        parts = module.name.split(".")
        if not module.is_package:
            parts = parts[:-1]
        parts = parts[: len(parts) - (level - 1)] if level > 1 else parts
        return ".".join([*parts, name] if name else parts)

    def _star(self, name: str) -> dict[str, Symbol]:
        space = self.namespace(name)
        exported = _literal_strings(self._all_node(name))
        if exported is not None:
            return {key: space[key] for key in exported if key in space}
        return {key: value for key, value in space.items() if not key.startswith("_")}

    def _all_node(self, name: str) -> ast.expr | None:
        module = self.module(name)
        for statement in _flat(module.tree.body) if module else ():
            if isinstance(statement, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in statement.targets
            ):
                return statement.value
        return None

    def evaluate(self, module_name: str, node: ast.expr) -> Symbol | None:
        """The symbol a name or dotted attribute stands for in a module, if internal."""
        if isinstance(node, ast.Name):
            return self.namespace(module_name).get(node.id)
        if isinstance(node, ast.Attribute):
            owner = self.evaluate(module_name, node.value)
            if owner is not None and owner.kind == "module":
                return self.lookup(owner.module, node.attr)
        return None

    def ancestors(self, symbol: Symbol, depth: int = 0) -> Iterator[str | None]:
        """The names of a class's bases, transitively; None for a base not in the package."""
        if depth > 40 or not isinstance(symbol.node, ast.ClassDef):
            return
        for base in symbol.node.bases:
            if isinstance(base, ast.Name) and base.id in BUILTIN_BASES:
                yield base.id
                continue
            resolved = self.evaluate(symbol.module, base)
            if resolved is None or resolved.kind != "class":
                yield None
                continue
            yield resolved.name
            yield from self.ancestors(resolved, depth + 1)

    def is_subclass(self, symbol: Symbol, base: str, strict: bool = False) -> bool:
        """Whether the class derives from a class named `base`; a base outside the
        package might, so it counts as yes (the table errs towards Keras's names)
        unless `strict`."""
        if symbol.kind != "class":
            return False
        accepted = (base,) if strict else (base, None)
        return symbol.name == base or any(name in accepted for name in self.ancestors(symbol))

    def registrations(self) -> list[tuple[str, Symbol]]:
        if "registrations" not in self._decorated:
            self._decorated["registrations"] = self._registrations()
        return self._decorated["registrations"]

    def exports(self) -> list[tuple[str, Symbol]]:
        if "exports" not in self._decorated:
            self._decorated["exports"] = self._exports()
        return self._decorated["exports"]

    def _registrations(self) -> list[tuple[str, Symbol]]:
        """Keras's own classes registered with `@register_keras_serializable(package, name)`,
        which configs name as `"package>name"` (`"Custom>Adam"` in tf.keras 2.11+)."""
        found = []
        for module in self.modules_under(self.top):
            parsed = self.module(module)
            for node in ast.walk(parsed.tree) if parsed else ():
                if not isinstance(node, ast.ClassDef):
                    continue
                for decorator in node.decorator_list:
                    if (
                        isinstance(decorator, ast.Call)
                        and _last_name(decorator.func) == "register_keras_serializable"
                    ):
                        given = dict(zip(("package", "name"), decorator.args, strict=False))
                        given.update({k.arg: k.value for k in decorator.keywords if k.arg})
                        package = _string_constants([given.get("package")]) or {"Custom"}
                        name = _string_constants([given.get("name")]) or {node.name}
                        found.append(
                            (f"{min(package)}>{min(name)}", Symbol("class", module, node.name, node))
                        )
        return found

    def _exports(self) -> list[tuple[str, Symbol]]:
        """Every `@keras_export(...)` path in the package with the class or function it names."""
        found = []
        for module in self.modules_under(self.top):
            parsed = self.module(module)
            for node in ast.walk(parsed.tree) if parsed else ():
                if not isinstance(node, ast.ClassDef | ast.FunctionDef):
                    continue
                kind = "class" if isinstance(node, ast.ClassDef) else "function"
                for decorator in node.decorator_list:
                    if isinstance(decorator, ast.Call) and _last_name(decorator.func) == "keras_export":
                        arguments = [*decorator.args, *(k.value for k in decorator.keywords)]
                        for path in sorted(_string_constants(arguments)):
                            found.append((path, Symbol(kind, module, node.name, node)))
        return found

    def modules_under(self, prefix: str) -> Iterator[str]:
        folder = self.root.joinpath(*prefix.split("."))
        for path in sorted(folder.rglob("*.py")):
            relative = path.relative_to(self.root).with_suffix("")
            parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
            test_file = relative.name.endswith("_test") or relative.name.startswith("test_")
            if not test_file and not set(parts) & NOT_KERAS:
                yield ".".join(parts)


def _flat(body: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements at module level, with both sides of every if/try (a name bound
    under either counts: the table is the union over the ways Keras runs)."""
    for statement in body:
        if isinstance(statement, ast.If):
            yield from _flat(statement.body)
            yield from _flat(statement.orelse)
        elif isinstance(statement, ast.Try):
            yield from _flat(statement.body)
            for handler in statement.handlers:
                yield from _flat(handler.body)
            yield from _flat(statement.orelse)
            yield from _flat(statement.finalbody)
        elif isinstance(statement, ast.With):
            yield from _flat(statement.body)
        else:
            yield statement


def _literal_strings(node: ast.AST | None) -> list[str] | None:
    if isinstance(node, ast.List | ast.Tuple | ast.Set) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts
    ):
        return [e.value for e in node.elts]
    return None


def snake_case(name: str) -> str:
    """Keras's `to_snake_case` for a class name: `GlorotUniform` -> `glorot_uniform`,
    `L1L2` -> `l1l2`, `PReLU` -> `p_re_lu`: an underscore goes before each capital
    that starts a capitalised word, and between a lower-case letter and a capital."""
    name = re.sub(r"\W+", "", name)
    words = re.sub(r"(?<=.)(?=[A-Z][a-z]+)", "_", name)
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", words).lower()


# -- what counts as a name of a kind -------------------------------------------------------
BASES = {
    "layer": "Layer",
    "initializer": "Initializer",
    "regularizer": "Regularizer",
    "constraint": "Constraint",
    "loss": "Loss",
    "metric": "Metric",
    "optimizer": "Optimizer",
    "schedule": "LearningRateSchedule",
}


def _counts(package: Package, symbol: Symbol, kind: str, private: bool = False) -> bool:
    if symbol.name in HELPERS or (symbol.name.startswith("_") and not private):
        return False
    if symbol.kind == "class":
        if kind == "layer":
            return package.is_subclass(symbol, "Layer")
        return symbol.name != "Layer"
    if symbol.kind == "function" and kind not in ("layer", "optimizer"):
        parts = set(symbol.module.split(".")[1:])
        return not parts & HELPER_MODULE_PARTS
    return False


def _derives(package: Package, symbol: Symbol, kind: str) -> bool:
    return symbol.kind == "class" and (kind not in BASES or package.is_subclass(symbol, BASES[kind]))


def namespace_names(package: Package, module: str, kind: str) -> set[str]:
    """The names `globals()` of a module holds that resolve to objects of the kind."""
    return {
        name
        for name, symbol in package.namespace(module).items()
        if not name.startswith("_") and name not in HELPERS and _counts(package, symbol, kind)
    }


def _functions(tree: ast.AST, names: set[str]) -> Iterator[ast.FunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name in names:
            yield node


def resolver_names(package: Package, module: str, functions: set[str], kind: str) -> set[str]:
    """The names a resolver function accepts: its module's globals if it passes
    `globals()`, the modules it fills its dict from, and the string keys it sets
    or compares with the name, following calls to functions of the same module."""
    parsed = package.module(module)
    if parsed is None:
        raise SystemExit(f"make_keras_names: {module} is not in {package.root}")
    seen: set[str] = set()
    names: set[str] = set()
    todo = set(functions)
    while todo:
        function = todo.pop()
        seen.add(function)
        for node in _functions(parsed.tree, {function}):
            names |= _function_names(package, module, node, kind)
            called = {
                call.func.id
                for call in ast.walk(node)
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
            }
            todo |= (called & _defined_functions(parsed.tree)) - seen
    return names


def _defined_functions(tree: ast.Module) -> set[str]:
    return {node.name for node in _flat(tree.body) if isinstance(node, ast.FunctionDef)}


def _function_names(package: Package, module: str, function: ast.FunctionDef, kind: str) -> set[str]:
    names: set[str] = set()
    snake = False
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            callee = _last_name(node.func)
            if callee == "globals":
                names |= namespace_names(package, module, kind)
            if callee == "to_snake_case":
                snake = True
            if callee == "populate_dict_with_module_objects" and len(node.args) >= 2:
                names |= _populated(package, module, function, node, kind)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Subscript) and _object_dict(target.value):
                    names |= _string_constants([target.slice])
            if isinstance(node.value, ast.Dict) and _is_object_table(node.value):
                names |= _string_constants(node.value.keys)
        elif isinstance(node, ast.Compare) and _names_a_class(node, function):
            names |= _string_constants([node.left, *node.comparators])
    if snake:
        names |= {snake_case(name) for name in names if name[:1].isupper()}
    return names


def _populated(
    package: Package, module: str, function: ast.FunctionDef, call: ast.Call, kind: str
) -> set[str]:
    """`populate_dict_with_module_objects(target, modules, obj_filter=...)`: every
    name in those modules' namespaces that passes the filter."""
    names: set[str] = set()
    test = next((k.value for k in call.keywords if k.arg == "obj_filter"), None)
    classes_only = test is not None and "issubclass" in ast.unparse(test)
    for source in _module_list(package, module, function, call.args[1]):
        # `dir(module)`: private names too, as Keras's own loop takes them.
        names |= {
            name
            for name, symbol in package.namespace(source).items()
            if name not in HELPERS
            and not (classes_only and not _derives(package, symbol, kind))
            and _counts(package, symbol, kind, private=True)
        }
    return names


def _module_list(package: Package, module: str, function: ast.FunctionDef, node: ast.expr) -> list[str]:
    if isinstance(node, ast.Tuple | ast.List):
        return [m for element in node.elts for m in _module_list(package, module, function, element)]
    if isinstance(node, ast.Call) and _last_name(node.func) == "globals":
        return [module]
    if isinstance(node, ast.Subscript) or (isinstance(node, ast.Name) and node.id == "current_module"):
        return [module]  # sys.modules[__name__]
    if isinstance(node, ast.Name):
        for statement in _flat(package.module(module).tree.body):
            if isinstance(statement, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == node.id for t in statement.targets
            ):
                return _module_list(package, module, function, statement.value)
    symbol = package.evaluate(module, node)
    if symbol is None:
        symbol = _local_import(package, module, function, node)
    return [symbol.module] if symbol is not None and symbol.kind == "module" else []


def _local_import(package: Package, module: str, function: ast.FunctionDef, node: ast.expr) -> Symbol | None:
    if not isinstance(node, ast.Name):
        return None
    parsed = package.module(module)
    for statement in ast.walk(function):
        if isinstance(statement, ast.ImportFrom):
            source = package._absolute(parsed, statement.module, statement.level)
            for alias in statement.names:
                if (alias.asname or alias.name) == node.id and source:
                    return package.lookup(source, alias.name)
    return None


OBJECT_DICTS = {"globs", "ALL_OBJECTS", "ALL_OBJECTS_DICT", "all_classes", "module_objects", "v1_objs"}


def _object_dict(node: ast.expr) -> bool:
    return _last_name(node) in OBJECT_DICTS


def _is_object_table(node: ast.Dict) -> bool:
    keys = _string_constants(node.keys)
    return bool(keys) and not keys & {"class_name", "config", "module", "name"}


def _names_a_class(node: ast.Compare, function: ast.FunctionDef) -> bool:
    """A test of the name being resolved against strings (`class_name == "Model"`,
    `class_name in ["Model", "Container"]`, `config == "l1_l2"` where `config` is the
    resolver's first argument); not `"config" in config`, which tests a key."""
    subjects = {"class_name"}
    if function.args.args:
        subjects.add(function.args.args[0].arg)
    left = node.left
    named = (isinstance(left, ast.Name) and left.id in subjects) or (
        isinstance(left, ast.Subscript) and _string_constants([left.slice]) == {"class_name"}
    )
    return named and all(isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn) for op in node.ops)


def _string_constants(nodes: Iterable[ast.AST | None]) -> set[str]:
    found = set()
    for node in nodes:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.add(node.value)
        elif isinstance(node, ast.Tuple | ast.List | ast.Set):
            found |= _string_constants(node.elts)
    return found


def _last_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


# -- Keras 3: module-level ALL_OBJECTS tables and keras_export names -----------------------
def all_objects_names(package: Package, module: str) -> set[str]:
    """A Keras 3 kind package: `ALL_OBJECTS` (a set of classes or functions), the
    `ALL_OBJECTS_DICT` built from their `__name__` (and snake_case where the module
    adds it), and the aliases it sets by hand."""
    parsed = package.module(module)
    if parsed is None:
        raise SystemExit(f"make_keras_names: {module} is not in {package.root}")
    objects: list[str] = []
    names: set[str] = set()
    for statement in _flat(parsed.tree.body):
        if isinstance(statement, ast.Assign) and any(
            _last_name(t) == "ALL_OBJECTS" for t in statement.targets
        ):
            for element in getattr(statement.value, "elts", []):
                symbol = package.evaluate(module, element)
                if symbol is None:
                    raise SystemExit(f"make_keras_names: {module}.ALL_OBJECTS holds {ast.unparse(element)}")
                objects.append(symbol.name)
    for node in ast.walk(parsed.tree):
        if isinstance(node, ast.DictComp):
            key = ast.unparse(node.key)
            if ".__name__" in key:
                spell = (
                    snake_case if "to_snake_case" in key else str.lower if key.endswith(".lower()") else str
                )
                names.update(spell(n) for n in objects)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Subscript) and _last_name(target.value) == "ALL_OBJECTS_DICT":
                    names |= _string_constants([target.slice])
        elif (
            isinstance(node, ast.Call)
            and _last_name(node.func) == "update"
            and _last_name(node.func.value) == "ALL_OBJECTS_DICT"
            and node.args
            and isinstance(node.args[0], ast.Dict)
        ):
            names |= _string_constants(node.args[0].keys)
    return names


def exported_names(
    package: Package,
    prefixes: tuple[str, ...],
    base: str | None = None,
    classes: bool = False,
    functions: bool = False,
) -> set[str]:
    """Names a `@keras_export("keras.layers.X", ...)` decorator gives a class (with
    `base`, one derived from it) or, with `functions`, a function."""
    classes = classes or base is not None
    names: set[str] = set()
    for path, symbol in package.exports():
        owner, _, name = path.rpartition(".")
        if owner not in prefixes:
            continue
        # Exports are public API: a class counts only if its bases are seen to lead to
        # `base` (`keras.Variable` derives from a backend's tensor type, not a Layer).
        derives = base is None or package.is_subclass(symbol, base, strict=True)
        if (symbol.kind == "class" and classes and derives) or (symbol.kind == "function" and functions):
            names.add(name)
    return names


# -- names that (de)serialization code writes or tests for ---------------------------------
def special_names(package: Package) -> set[str]:
    """String constants stored under a `class_name` key, compared with a class name,
    or keyed in a `module_objects` table, anywhere in the package's own code."""
    names: set[str] = set()
    for module in package.modules_under(package.top):
        parsed = package.module(module)
        for node in ast.walk(parsed.tree) if parsed else ():
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if _string_constants([key]) == {"class_name"}:
                        names |= _string_constants([value])
            elif isinstance(node, ast.Compare) and _compares_class_name(node):
                names |= _string_constants([node.left, *node.comparators])
            elif (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Dict)
                and any(_last_name(t) == "module_objects" for t in node.targets)
                and _is_object_table(node.value)
            ):
                names |= _string_constants(node.value.keys)
    return names


def _compares_class_name(node: ast.Compare) -> bool:
    for side in [node.left, *node.comparators]:
        if isinstance(side, ast.Name) and side.id == "class_name":
            return True
        if isinstance(side, ast.Subscript) and _string_constants([side.slice]) == {"class_name"}:
            return True
        if (
            isinstance(side, ast.Call)
            and _last_name(side.func) == "get"
            and _string_constants(side.args[:1]) == {"class_name"}
        ):
            return True
    return False


def compile_metric_names(package: Package, prefixes: tuple[str, ...]) -> set[str]:
    """The metric strings the training code maps itself (`"accuracy"`, `"acc"`,
    `"crossentropy"`, `"ce"`): constants compared with a variable named for a metric."""
    names: set[str] = set()
    for prefix in prefixes:
        if package.module(prefix) is None:
            continue
        for module in package.modules_under(prefix):
            parsed = package.module(module)
            for node in ast.walk(parsed.tree) if parsed else ():
                if isinstance(node, ast.Compare) and any(
                    "metric" in (_last_name(side) or "") for side in [node.left, *node.comparators]
                ):
                    names |= _string_constants([node.left, *node.comparators])
    return names


def registered_feature_columns(package: Package) -> set[str]:
    """Classes TensorFlow registers with `@serialization.register_feature_column`."""
    names: set[str] = set()
    for module in package.modules_under("tensorflow.python.feature_column"):
        parsed = package.module(module)
        for node in ast.walk(parsed.tree) if parsed else ():
            if isinstance(node, ast.ClassDef) and any(
                _last_name(d) == "register_feature_column" for d in node.decorator_list
            ):
                names.add(node.name)
    return names


# -- the rules of each family ---------------------------------------------------------------
def keras1_names(package: Package) -> dict[str, set[str]]:
    k = package.top
    return {
        "layer": resolver_names(package, f"{k}.utils.layer_utils", {"layer_from_config"}, "layer"),
        "activation": namespace_names(package, f"{k}.activations", "activation"),
        "initializer": namespace_names(package, f"{k}.initializations", "initializer"),
        "regularizer": namespace_names(package, f"{k}.regularizers", "regularizer"),
        "constraint": namespace_names(package, f"{k}.constraints", "constraint"),
        "loss": namespace_names(package, f"{k}.objectives", "loss"),
        "metric": namespace_names(package, f"{k}.metrics", "metric")
        | compile_metric_names(package, (f"{k}.engine",)),
        "optimizer": namespace_names(package, f"{k}.optimizers", "optimizer")
        | resolver_names(package, f"{k}.optimizers", {"optimizer_from_config"}, "optimizer"),
    }


def multibackend_names(package: Package) -> dict[str, set[str]]:
    k = package.top
    kinds = {
        "layer": ("layers", "layer"),
        "activation": ("activations", "activation"),
        "initializer": ("initializers", "initializer"),
        "regularizer": ("regularizers", "regularizer"),
        "constraint": ("constraints", "constraint"),
        "loss": ("losses", "loss"),
        "metric": ("metrics", "metric"),
        "optimizer": ("optimizers", "optimizer"),
    }
    names = {
        kind: resolver_names(package, f"{k}.{module}", {"deserialize"}, kind)
        for kind, (module, _) in kinds.items()
    }
    names["metric"] |= compile_metric_names(package, (f"{k}.engine",))
    return names


LAYER_EXPORTS = (
    "keras",
    "keras.layers",
    "keras.layers.experimental",
    "keras.layers.experimental.preprocessing",
    "keras.models",
)
KIND_PACKAGES = {
    "activation": "activations",
    "initializer": "initializers",
    "regularizer": "regularizers",
    "constraint": "constraints",
    "loss": "losses",
    "metric": "metrics",
    "optimizer": "optimizers",
}


def tfkeras_names(package: Package, src: str) -> dict[str, set[str]]:
    names = {"layer": resolver_names(package, f"{src}.layers.serialization", {"deserialize"}, "layer")}
    names["layer"] |= exported_names(package, LAYER_EXPORTS, "Layer")
    for kind, module in KIND_PACKAGES.items():
        names[kind] = resolver_names(package, f"{src}.{module}", {"deserialize"}, kind) | _kind_exports(
            package, kind
        )
    names["metric"] |= compile_metric_names(package, (f"{src}.engine",))
    names["schedule"] = _schedules(
        package,
        (f"{src}.optimizers.schedules.learning_rate_schedule", f"{src}.optimizer_v2.learning_rate_schedule"),
    )
    return names


def _schedules(package: Package, modules: tuple[str, ...]) -> set[str]:
    """Learning-rate schedules: `globals()` of the schedules module, whichever of
    its homes this version has, and the `keras.optimizers.schedules.X` exports."""
    module = next((m for m in modules if package.module(m) is not None), None)
    if module is None:
        raise SystemExit(f"make_keras_names: none of {modules} in {package.root}")
    names = resolver_names(package, module, {"deserialize"}, "schedule")
    return names | exported_names(package, ("keras.optimizers.schedules",), BASES["schedule"])


def _kind_exports(package: Package, kind: str) -> set[str]:
    """The public `keras.<kind>.X` names: a config written with a `module` (the
    `.keras` format of tf.keras 2.13+ and Keras 3) is resolved through them.
    Classes must derive from the kind's base (`keras.losses.Reduction` is no loss)."""
    prefix = f"keras.{KIND_PACKAGES[kind]}"
    base = BASES.get(kind) if kind != "activation" else None
    functions = set() if kind == "optimizer" else exported_names(package, (prefix,), functions=True)
    return exported_names(package, (prefix,), base or None, classes=True) | functions


def keras3_names(package: Package, src: str) -> dict[str, set[str]]:
    names = {
        "layer": namespace_names(package, f"{src}.layers", "layer")
        | resolver_names(package, f"{src}.legacy.saving.saving_utils", {"model_from_config"}, "layer")
        | exported_names(package, LAYER_EXPORTS, "Layer"),
    }
    for kind, module in KIND_PACKAGES.items():
        names[kind] = all_objects_names(package, f"{src}.{module}") | _kind_exports(package, kind)
    names["metric"] |= compile_metric_names(package, (f"{src}.trainers",))
    names["schedule"] = _schedules(package, (f"{src}.optimizers.schedules.learning_rate_schedule",))
    names["special"] = exported_names(
        package, ("keras", "keras.dtype_policies", "keras.mixed_precision"), "DTypePolicy"
    )
    return names


def names_of(source: Source, root: Path) -> dict[str, set[str]]:
    """Every name of every kind that one package version resolves, read from its
    source tree at `root` (the folder that holds the top-level package)."""
    package = Package(root, source.package)
    family = {
        "keras1": lambda: keras1_names(package),
        "multibackend": lambda: multibackend_names(package),
        "tfkeras": lambda: tfkeras_names(package, source.src),
        "keras3": lambda: keras3_names(package, source.src),
        "feature_columns": lambda: {"feature_column": registered_feature_columns(package)},
    }[source.family]
    names = {kind: set(values) - HELPERS for kind, values in family().items()}
    for registered, symbol in package.registrations():
        kinds = [kind for kind, base in BASES.items() if package.is_subclass(symbol, base, strict=True)]
        for kind in kinds or ["special"]:
            names.setdefault(kind, set()).add(registered)
    if source.family != "feature_columns":
        taken = set().union(*names.values())
        names["special"] = names.get("special", set()) | (special_names(package) - taken)
    empty = [kind for kind in ("layer", "activation") if kind in names and not names[kind]]
    if empty or sum(map(len, names.values())) == 0:
        raise SystemExit(f"make_keras_names: no {empty} names found in {source.dist} {source.version}")
    return names


# -- getting the sources ----------------------------------------------------------------------
def installed_root(dist: str) -> tuple[Path, str]:
    """The site-packages folder holding an installed distribution, and its version;
    found from the distribution's metadata, without importing the package."""
    distribution = metadata.distribution(dist)
    return Path(distribution.locate_file("")).resolve(), distribution.version


def downloaded_root(source: Source, cache: Path) -> Path:
    """The sources of `dist==version` from PyPI: the wheel, or the sdist for the
    versions published without one (1.x, 2.0.0-2.0.8). The library is only parsed; for
    an sdist pip itself runs the package's setup.py to read its metadata."""
    folder = cache / f"{source.dist}-{source.version}"
    unpacked = folder / "unpacked"
    if unpacked.is_dir():
        return unpacked
    folder.mkdir(parents=True, exist_ok=True)
    requirement = f"{source.dist}=={source.version}"
    download = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(folder)]
    wheel = subprocess.run(
        [*download, "--only-binary", ":all:", requirement], check=False, capture_output=True
    )
    if wheel.returncode != 0:
        subprocess.run([*download, "--no-binary", ":all:", requirement], check=True)
    archive = next(p for p in sorted(folder.iterdir()) if p.name.endswith((".whl", ".tar.gz")))
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as wheel_file:
            wheel_file.extractall(unpacked)
        return unpacked
    staging = folder / "sdist"
    with tarfile.open(archive) as tar:
        tar.extractall(staging, filter="data")
    (top,) = (p for p in staging.iterdir() if p.is_dir())
    top.rename(unpacked)
    return unpacked


def digest(names: dict[str, set[str]]) -> str:
    """A fingerprint of one version's names, so a test can tell the table still
    holds what the installed packages resolve."""
    text = json.dumps({kind: sorted(values) for kind, values in sorted(names.items())}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def build(cache: Path) -> dict[str, object]:
    generations: dict[str, dict[str, set[str]]] = {}
    covered = []
    for source in (*SOURCES, FEATURE_COLUMNS):
        if source.version == "installed":
            root, version = installed_root(source.dist)
        else:
            root, version = downloaded_root(source, cache), source.version
        names = names_of(source, root)
        covered.append(
            {"generation": source.generation, "package": source.dist, "version": version,
             "names": sum(map(len, names.values())), "sha256": digest(names)}
        )  # fmt: skip
        table = generations.setdefault(source.generation, {kind: set() for kind in KINDS})
        for kind, values in names.items():
            table[kind] |= values
    for table in generations.values():
        others = set().union(*(values for kind, values in table.items() if kind != "special"))
        table["special"] -= others
    return {
        "about": "Every class and function name Keras resolves by name from a config, per generation "
        "and kind. Generated by scripts/make_keras_names.py from the packages' sources (read with "
        "ast, never imported); do not edit by hand.",
        "case_insensitive": ["optimizer"],
        "sources": covered,
        "names": {
            generation: {kind: sorted(values) for kind, values in table.items()}
            for generation, table in generations.items()
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument(
        "--cache", type=Path, help="keep downloaded sources here (default: a temporary folder)"
    )
    args = parser.parse_args(argv)
    if args.cache:
        table = build(args.cache)
    else:
        with tempfile.TemporaryDirectory() as folder:
            table = build(Path(folder))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(table, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {args.output}: " + ", ".join(f"{s['package']} {s['version']}" for s in table["sources"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
