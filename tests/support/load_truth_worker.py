"""The process that runs one library's side of the load-check matrix.

`python -m support.load_truth_worker PHASE LIBRARY FOLDER OUTPUT PAIR_ID...`
(from tests/) imports one library (`keras` 3 or `tf_keras`) and, for each pair:

* PHASE "write": builds the source model, trains it a step if the pair says so,
  gives every float variable of every layer distinct random values (so each
  saved tensor is told from every other, and from any initial value), saves it
  as the pair says, and records each layer's variables (a digest of each value)
  and where in the written files (h5py, by content) each value landed;
* PHASE "load": builds the receiving model (or lets Keras build it), saves the
  `--into` architecture file, records a digest of every variable, runs the
  loader, and records the exception, every warning and log record, and every
  variable's digest afterwards.

Results are written to OUTPUT (JSON) as raw observations, with the seconds
each pair took;
`support.load_truth` turns them into `Truth`s. The few wrappers put around
Keras's functions here only watch (they record their arguments or the
exception and call straight through); none changes what Keras does.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import json
import logging
import os
import sys
import time
import traceback
import warnings
import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from support.load_pairs import BY_ID, Pair


def pair_folder(folder: Path, pair: Pair) -> Path:
    return folder / pair.id


def weights_path(folder: Path, pair: Pair) -> Path:
    return pair_folder(folder, pair) / "weights" / pair.save.name


def into_path(folder: Path, pair: Pair) -> Path:
    if pair.call.kind == "load_model":
        return weights_path(folder, pair)
    return pair_folder(folder, pair) / "into" / pair.into


# -- values -----------------------------------------------------------------------------
def digest(value: Any) -> str:
    """A value's identity: dtype, shape and bytes."""
    array = np.ascontiguousarray(np.asarray(value))
    header = f"{array.dtype.str}{array.shape}".encode()
    return hashlib.sha1(header + array.tobytes()).hexdigest()[:24]


def _value(variable: Any) -> np.ndarray:
    return np.asarray(variable.numpy())


def randomize(model: Any, seed: int) -> None:
    """Every float variable of `model` set to values drawn for it alone."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        current = _value(variable)
        if current.dtype.kind == "f":
            variable.assign(rng.standard_normal(current.shape).astype(current.dtype))


# -- the model's layers, as paths of names -----------------------------------------------
def _children(layer: Any) -> list[Any]:
    return list(layer._flatten_layers(include_self=False, recursive=False))


def layer_tree(model: Any) -> list[tuple[str, Any]]:
    """Every layer tracked under `model`, breadth-first, each once (a shared layer
    under the first, shallowest parent found), with its path of names; the
    root itself is "" ."""
    found, seen = [("", model)], {id(model)}
    queue = deque(found)
    while queue:
        path, layer = queue.popleft()
        for child in _children(layer):
            if id(child) not in seen:
                seen.add(id(child))
                entry = (f"{path}/{child.name}" if path else child.name, child)
                found.append(entry)
                queue.append(entry)
    return found


def own_variables(layer: Any) -> list[Any]:
    """The variables `layer` holds itself (its `weights` less its sublayers')."""
    inherited = {id(w) for child in _children(layer) for w in child.weights}
    own, seen = [], set()
    for weight in layer.weights:
        if id(weight) not in inherited and id(weight) not in seen:
            seen.add(id(weight))
            own.append(weight)
    return own


def _variable_record(variable: Any) -> dict[str, Any]:
    name = str(variable.name)
    return {
        "name": name.rsplit("/", 1)[-1].split(":")[0],
        "path": str(getattr(variable, "path", name)),
        "shape": [int(d) for d in variable.shape],
    }


def optimizer_variables(model: Any) -> list[Any]:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return []
    variables = optimizer.variables
    return list(variables() if callable(variables) else variables)


class Watched:
    """A model's layers and variables, and their values when first seen."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.tree = layer_tree(model)
        self.layers = {path: (layer, own_variables(layer)) for path, layer in self.tree}
        self.before = {
            path: [digest(_value(v)) for v in variables] for path, (_, variables) in self.layers.items()
        }
        self.optimizer = optimizer_variables(model)
        self.optimizer_before = [digest(_value(v)) for v in self.optimizer]

    def variable_at(self, variable_id: int) -> tuple[str, str] | None:
        """The layer path (or "optimizer") and short name of a watched variable."""
        owners = [*self.layers.items(), ("optimizer", (None, self.optimizer))]
        for path, (_, variables) in owners:
            for variable in variables:
                if id(variable) == variable_id:
                    return path, _variable_record(variable)["name"]
        return None

    def path_of(self, obj_id: int) -> str | None:
        if obj_id == id(getattr(self.model, "optimizer", None)):
            return "optimizer"
        return next((path for path, layer in self.tree if id(layer) == obj_id), None)

    def report(self) -> dict[str, Any]:
        layers = {}
        for path, (layer, variables) in self.layers.items():
            if not variables:
                continue
            layers[path] = {
                "class": type(layer).__name__,
                "name": layer.name,
                "variables": [
                    {**_variable_record(v), "before": before, "after": digest(_value(v))}
                    for v, before in zip(variables, self.before[path], strict=True)
                ],
            }
        optimizer = None
        if self.optimizer or getattr(self.model, "optimizer", None) is not None:
            optimizer = {
                "before": self.optimizer_before,
                "after": [digest(_value(v)) for v in optimizer_variables(self.model)],
            }
        return {
            "layers": layers,
            "names": {path: layer.name for path, layer in self.tree if path},
            "objects": {
                **{hex(id(layer)): path for path, layer in self.tree},
                hex(id(getattr(self.model, "optimizer", None))): "optimizer",
            },
            "optimizer": optimizer,
        }


# -- preparing models -------------------------------------------------------------------------
def prepare(model: Any, state: str, seed: int) -> None:
    """`model` put in `state`: "plain" as built, "compiled" (its optimizer not
    built yet), or "fitted" (compiled and trained one step on random data drawn
    from `seed`, so the optimizer's slots differ between source and receiving
    model)."""
    if state == "plain":
        return
    model.compile(optimizer="adam", loss="mse", run_eagerly=True)  # one step: tracing would cost more
    if state == "fitted":
        rng = np.random.default_rng(seed)

        def data(tensors: list[Any]) -> list[np.ndarray]:
            return [
                rng.standard_normal((2, *(int(d) for d in t.shape[1:]))).astype("float32") for t in tensors
            ]

        model.fit(data(model.inputs), data(model.outputs), epochs=1, batch_size=2, verbose=0)


def seed_of(pair: Pair, side: str) -> int:
    return zlib.crc32(f"{pair.id}/{side}".encode())


def clear_session(keras: Any) -> None:
    """Keras's global state reset (name counters, graph), without the full
    garbage collection Keras 3 runs by default (a third of a second each time)."""
    if keras.__name__ == "keras":
        keras.backend.clear_session(free_memory=False)
    else:
        keras.backend.clear_session()


# -- write phase --------------------------------------------------------------------------------
def _datasets(path: Path) -> Iterator[tuple[str, np.ndarray]]:
    """Every numeric dataset h5py finds in an HDF5 file or a `.keras` archive's
    `model.weights.h5`, as (location, value)."""
    import h5py

    def walk(handle: Any, label: str) -> Iterator[tuple[str, np.ndarray]]:
        found: list[tuple[str, np.ndarray]] = []

        def visit(name: str, obj: Any) -> None:
            if isinstance(obj, h5py.Dataset) and obj.dtype.kind in "fiub":
                found.append((f"{label}:{name}", np.asarray(obj[()])))

        handle.visititems(visit)
        yield from found

    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            if "model.weights.h5" in archive.namelist():
                data = io.BytesIO(archive.read("model.weights.h5"))
                with h5py.File(data, "r") as f:
                    yield from walk(f, f"{path.name}/model.weights.h5")
    elif h5py.is_hdf5(path):
        with h5py.File(path, "r") as f:
            yield from walk(f, path.name)


def write(keras: Any, pair: Pair, folder: Path) -> dict[str, Any]:
    clear_session(keras)
    model = pair.source(keras)
    prepare(model, pair.source_state, seed_of(pair, "fit source"))
    randomize(model, seed_of(pair, "source values"))
    path = weights_path(folder, pair)
    path.parent.mkdir(parents=True, exist_ok=True)
    pair.save.write(keras, model, path)
    locations: dict[str, list[str]] = {}
    for file in sorted(path.parent.rglob("*")):
        if file.is_file():
            for location, value in _datasets(file):
                locations.setdefault(digest(value), []).append(location)
    layers = {}
    for layer_path, layer in layer_tree(model):
        variables = own_variables(layer)
        if variables:
            layers[layer_path] = [
                {**_variable_record(v), "digest": (d := digest(_value(v))), "stored_at": locations.get(d, [])}
                for v in variables
            ]
    return {
        "library": keras.__name__,
        "version": keras.__version__,
        "layers": layers,
        "optimizer": [digest(_value(v)) for v in optimizer_variables(model)],
        "files": sorted(str(p.relative_to(path.parent)) for p in path.parent.rglob("*") if p.is_file()),
    }


# -- load phase -------------------------------------------------------------------------------------
@contextlib.contextmanager
def wrapped(
    owner: Any, attribute: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]
) -> Iterator[None]:
    """`owner.attribute` replaced by `make(original)` for the duration."""
    original = getattr(owner, attribute)
    setattr(owner, attribute, make(original))
    try:
        yield
    finally:
        setattr(owner, attribute, original)


@contextlib.contextmanager
def messages_captured() -> Iterator[list[dict[str, str]]]:
    """Every warning (`warnings.warn`) and log record at WARNING or above that
    the block emits, in order."""
    messages: list[dict[str, str]] = []
    seen: dict[int, logging.LogRecord] = {}  # holding each record keeps its id from being reused

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            # A record propagating from a named logger to the root reaches this handler twice.
            if seen.get(id(record)) is not record:
                seen[id(record)] = record
                messages.append({"kind": f"log:{record.name}", "text": record.getMessage()})

    handler = Collect(level=logging.WARNING)
    loggers = [logging.getLogger(name) for name in ("", "tensorflow", "absl", "keras", "tf_keras", "h5py")]
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        previous = warnings.showwarning
        warnings.showwarning = lambda message, category, *args, **kwargs: messages.append(
            {"kind": f"warning:{category.__name__}", "text": str(message)}
        )
        for logger in loggers:
            logger.addHandler(handler)
        try:
            yield messages
        finally:
            warnings.showwarning = previous
            for logger in loggers:
                logger.removeHandler(handler)


class Spies:
    """Watchers around the loaders of one library: the model Keras builds itself
    (`load_model`, `from_preset`) as it first reaches the loading walk, every
    object Keras 3 lists as not loaded, and every Keras 3 variable assignment
    that fails on a shape."""

    def __init__(self, keras: Any) -> None:
        self.keras = keras
        self.watched: Watched | None = None
        self.failed: list[dict[str, Any]] = []
        self.failed_assigns: list[tuple[int, list[int], list[int] | None, str]] = []

    def watch(self, model: Any) -> None:
        if self.watched is None:
            self.watched = Watched(model)

    def _watching(self, position: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def make(original: Callable[..., Any]) -> Callable[..., Any]:
            def spy(*args: Any, **kwargs: Any) -> Any:
                self.watch(args[position])
                return original(*args, **kwargs)

            return spy

        return make

    def _listing_failures(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def spy(error_msgs: dict, *args: Any, **kwargs: Any) -> Any:
            for obj_id, (obj, error) in error_msgs.items():
                self.failed.append({"object": obj_id, "repr": repr(obj), "message": str(error)})
            return original(error_msgs, *args, **kwargs)

        return spy

    def _assigning(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def assign(variable: Any, value: Any) -> Any:
            try:
                return original(variable, value)
            except ValueError as error:
                found = getattr(value, "shape", None)
                self.failed_assigns.append(
                    (
                        id(variable),
                        [int(d) for d in variable.shape],
                        None if found is None else [int(d) for d in found],
                        str(error),
                    )
                )
                raise

        return assign

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            if self.keras.__name__ == "keras":
                from keras.src.backend.common import variables
                from keras.src.legacy.saving import legacy_h5_format
                from keras.src.saving import saving_lib

                stack.enter_context(wrapped(saving_lib, "_load_state", self._watching(0)))
                stack.enter_context(wrapped(saving_lib, "_raise_loading_failure", self._listing_failures))
                stack.enter_context(
                    wrapped(legacy_h5_format, "load_weights_from_hdf5_group", self._watching(1))
                )
                stack.enter_context(wrapped(variables.Variable, "assign", self._assigning))
            else:
                from tf_keras.src.saving import saving_lib
                from tf_keras.src.saving.legacy import hdf5_format

                stack.enter_context(wrapped(saving_lib, "_load_state", self._watching(0)))
                stack.enter_context(wrapped(hdf5_format, "load_weights_from_hdf5_group", self._watching(1)))
            yield


def save_into(keras: Any, model: Any, path: Path) -> None:
    """The receiving model's architecture file, as its library writes it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".json":
        path.write_text(model.to_json())
    elif path.suffix in (".keras", ".h5"):
        model.save(path)
    else:
        model.save_to_preset(path)


def _loader(keras: Any, pair: Pair, weights: Path, spies: Spies, into: Path) -> Callable[[], Any]:
    """The Keras call of `pair`, ready to run; the receiving model, when the
    worker builds it, is built, saved as `into` and watched now."""
    kwargs = dict(pair.call.kwargs)
    if pair.call.kind == "load_model":
        load_model = keras.saving.load_model if keras.__name__ == "keras" else keras.models.load_model
        return lambda: load_model(weights)
    assert pair.target is not None
    model = pair.target(keras)
    if pair.call.kind == "from_preset":
        import keras_hub

        save_into(keras, model, into)
        clear_session(keras)
        return lambda: keras_hub.models.Backbone.from_preset(str(weights), **kwargs)
    prepare(model, pair.target_state, seed_of(pair, "fit target"))
    save_into(keras, model, into)
    spies.watch(model)
    return lambda: model.load_weights(weights, **kwargs)


def load(keras: Any, pair: Pair, folder: Path) -> dict[str, Any]:
    clear_session(keras)
    spies = Spies(keras)
    call = _loader(keras, pair, weights_path(folder, pair), spies, into_path(folder, pair))
    error = None
    with messages_captured() as messages, spies.active():
        try:
            call()
        except Exception as raised:  # noqa: BLE001 - what Keras raises is the observation
            error = {"class": type(raised).__name__, "message": str(raised)}
    watched = spies.watched
    observed = watched.report() if watched else {"layers": {}, "names": {}, "objects": {}, "optimizer": None}
    failed_assigns = []
    for variable_id, expected, found, message in spies.failed_assigns:
        owner = watched.variable_at(variable_id) if watched else None
        failed_assigns.append(
            {
                "path": owner[0] if owner else None,
                "weight": owner[1] if owner else None,
                "expected": expected,
                "found": found,
                "message": message,
            }
        )
    return {
        "library": keras.__name__,
        "version": keras.__version__,
        "call": str(pair.call),
        "error": error,
        "messages": messages,
        "failed": [
            {
                "path": watched.path_of(f["object"]) if watched else None,
                "repr": f["repr"],
                "message": f["message"],
            }
            for f in spies.failed
        ],
        "failed_assigns": failed_assigns,
        **observed,
    }


def main(argv: list[str]) -> None:
    phase, library, folder_name, output_name, *ids = argv
    folder, output = Path(folder_name), Path(output_name)
    keras = importlib.import_module(library)
    run = write if phase == "write" else load
    results: dict[str, Any] = {}
    for pair_id in ids:
        pair = BY_ID[pair_id]
        started = time.perf_counter()
        try:
            results[pair_id] = run(keras, pair, folder)
        except Exception:  # noqa: BLE001 - a harness failure is reported per pair, the rest go on
            results[pair_id] = {"harness_error": traceback.format_exc()}
        results[pair_id]["seconds"] = time.perf_counter() - started
    output.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    main(sys.argv[1:])
