"""What Keras itself does when a weights file meets an architecture: the truth
`kerascope load-check` is held to.

Each `Pair` (`support.load_pairs`) is run by the real libraries, in
subprocesses (`support.load_truth_worker`), each of one library and one
phase: all the writers first, then all the loaders, two processes at a time,
so a library's generation, its global name counters and its registered
classes never leak into another's (within a process, Keras's session is
cleared before each pair and every layer is named). Nothing here imports
kerascope: every field below is observed from Keras, from the values it left
in the model, or from the files with h5py.

How each field of a `Truth` is observed:

* `loads`: the loader call returned without an exception AND no weighted layer
  of the receiving model ended `untouched` or `partial` (below). A call that
  "succeeds" while leaving layers at their initial values (legacy `by_name`
  with renamed layers, `skip_mismatch`) does not load; one that fills every
  layer with some source layer's values (swapped layers) does, and its layers
  say `wrong`.
* `error_class`, `error`: the exception the loader call raised (class name and
  `str()` exactly; Keras ≥ 3.7 prints the variable's values inside its
  assignment error, so `without_values` gives the text with them elided, for
  comparing), or None.
* `warnings`: the text of every `warnings.warn` and every log record at
  WARNING or above (the `tensorflow`, `absl`, `keras`, `tf_keras` and root
  loggers) emitted during the loader call, in order, less Python's own
  DeprecationWarning, PendingDeprecationWarning and FutureWarning (NumPy 2's
  `__array__` notices during assignment are noise, not Keras).
* `layers`: for every layer of the receiving model that holds variables of
  its own, keyed by its path (layer names from the root, joined by "/", a
  layer tracked twice listed under its first, shallowest parent: the paths of
  kerascope's live walk), a `LayerOutcome`. The writer gave every float
  variable of the source model distinct random values before saving, and
  recorded a digest (dtype, shape, bytes) of each, per source layer path. The
  loader recorded a digest of every receiving variable just before Keras's
  loader got the model (the worker's own model for `load_weights`; for
  `load_model` and `from_preset`, the model Keras built, caught as it entered
  Keras's loading walk) and again after the call. Per variable, `received` is
  `None` (digest unchanged), `"<source path>#<index>"` (now equal to that
  source variable), or `"?"` (changed to values no source variable held).
  `status`:
  `matched` (every variable holds the source variable of the same index of
  the corresponding source layer: same path, or the one `Pair.renames` says it
  stands for), `untouched` (every variable unchanged), `partial` (some
  unchanged, some not), `wrong` (every variable changed, to values of source
  variables, but not those of its corresponding layer), `changed` (every
  variable changed, some to values no source variable held).
* `missing`, `partial`, `wrong`: the paths of the layers with that status.
* `unused`: the source layers none of whose values any receiving variable
  holds after the call, each with where its values lie in the written files
  (`file:dataset` found by content with h5py; empty for npz, which is
  pickled). When the call raised, this includes what the error kept from
  loading, so it names the file's unexpected groups only on a call that
  returned.
* `shape_mismatch`: `{path, weight, expected, found, seen}` for every
  variable Keras refused for its shape: `seen="assign"` when a Keras 3
  `Variable.assign` raised its shape error (watched: every attempt, including
  those a later retry overwrote in Keras's message, such as MultiHeadAttention's
  "expected 2 variables, but received 0"); `seen="message"` when parsed from a
  loader's error or warning (legacy `Shape mismatch in layer #k (named X)…`,
  `Skipping loading weights for layer #k…`, TensorFlow's `Cannot assign value
  to variable ' x/kernel:0': Shape mismatch…`). `path` is the receiving
  layer that owns the variable ("optimizer" for an optimizer slot, None when
  the printed name matches no variable). Keras stops at a layer's first
  refused variable, so compare at the layer level.
* `count_mismatch`: `{path, name, expected, found}` parsed from Keras's texts
  (`Layer 'x' expected N variables, but received M…`, legacy `Weight count
  mismatch for layer #k (named x…)`, `Skipping loading of weights for layer #k
  (named x) due to mismatch in number of weights…`): first from each `failed`
  object's own message (its path known), then from the error and warnings for
  a layer those did not cover, where `path` is found by the printed name (a
  name several layers share, like two LSTMs' `lstm_cell`, gives every path
  that has it).
* `layer_count`: `{expected, found}` from legacy `Layer count mismatch…`, or None.
* `failed`: the objects Keras itself lists as not loaded, `{path, message}`:
  for Keras 3's `.keras`/`.weights.h5` walk, the failures it collected (watched
  as they reach `_raise_loading_failure`, so the final message of each object,
  exactly as Keras keeps it); for tf_keras with `skip_mismatch`, each "Could
  not load weights in object <… at 0x…>" warning (the address names the
  object).
* `optimizer`: `None` when the receiving model has no optimizer, else
  `loaded` (its variables now equal the source's optimizer variables, in
  order), `untouched` (all as before), or `partial` (some changed). Both
  models train on different random data, so their optimizer slots differ.
* `weights`, `into`, `by_name`, `skip_mismatch`, `kind`: what kerascope is
  given: the weights path, the architecture file the worker saved from the
  receiving model before the load (or, for `load_model`, the file itself; for
  `from_preset`, a preset folder saved from the changed backbone), the loader's
  arguments, and which loader (`load_weights`, `load_model`, `from_preset`;
  `call` is the call as written).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.load_pairs import Pair
from support.load_truth_worker import into_path, weights_path

TESTS = Path(__file__).resolve().parents[1]
NOISE = ("warning:DeprecationWarning", "warning:PendingDeprecationWarning", "warning:FutureWarning")


class HarnessError(RuntimeError):
    """The harness failed to run a pair (a bug here, not an observation of Keras)."""


@dataclass(frozen=True)
class LayerOutcome:
    class_name: str
    status: str
    variables: tuple[str, ...]
    received: tuple[str | None, ...]


@dataclass(frozen=True)
class Truth:
    pair: str
    category: str
    writer: str
    writer_version: str
    loader: str
    loader_version: str
    call: str
    kind: str
    weights: Path
    into: Path
    by_name: bool
    skip_mismatch: bool
    loads: bool
    error_class: str | None
    error: str | None
    warnings: tuple[str, ...]
    layers: Mapping[str, LayerOutcome]
    missing: tuple[str, ...]
    partial: tuple[str, ...]
    wrong: tuple[str, ...]
    unused: Mapping[str, tuple[str, ...]]
    shape_mismatch: tuple[Mapping[str, Any], ...]
    count_mismatch: tuple[Mapping[str, Any], ...]
    layer_count: Mapping[str, int] | None
    failed: tuple[Mapping[str, Any], ...]
    optimizer: str | None

    @property
    def keras_message(self) -> str | None:
        """Keras's words: the error, else its warnings, else None."""
        return self.error if self.error is not None else "\n".join(self.warnings) or None


_VALUES = re.compile(r", value=\[.*?\]>", re.S)


def without_values(text: str) -> str:
    """`text` with the variable values Keras ≥ 3.7 prints in `<Variable …, value=[…]>` elided."""
    return _VALUES.sub(", value=…>", text)


# -- running the workers ------------------------------------------------------------------------
CHUNK = 45  # pairs per worker process: one TensorFlow import (~7 s) per chunk
SLOTS = 2  # worker processes at a time (the machine the suite runs on has 2 cores)
WORKER_SECONDS = 900  # a worker still running after this is killed: the run fails, it never hangs


def _environment() -> dict[str, str]:
    return {
        **os.environ,
        "KERAS_BACKEND": "tensorflow",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "CUDA_VISIBLE_DEVICES": "",
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }


def _jobs(pairs: list[Pair], side: str) -> list[tuple[str, list[str]]]:
    """(library, pair ids) per worker process: each library's pairs in chunks."""
    grouped: dict[str, list[str]] = {}
    for pair in pairs:
        grouped.setdefault(getattr(pair, side), []).append(pair.id)
    jobs = []
    for library, ids in grouped.items():
        count = -(-len(ids) // CHUNK)
        jobs += [(library, ids[i::count]) for i in range(count)]
    return sorted(jobs, key=lambda job: -len(job[1]))


@dataclass
class _Worker:
    """One worker process and the files it writes."""

    process: subprocess.Popen[bytes]
    output: Path
    log: Path
    deadline: float

    @classmethod
    def start(cls, phase: str, library: str, ids: list[str], folder: Path, number: int) -> _Worker:
        output, log = folder / f"{phase}-{library}-{number}.json", folder / f"{phase}-{library}-{number}.log"
        command = [
            sys.executable,
            "-m",
            "support.load_truth_worker",
            phase,
            library,
            str(folder),
            str(output),
        ]
        with log.open("w") as stream:
            process = subprocess.Popen(
                [*command, *ids], cwd=TESTS, env=_environment(), stdout=stream, stderr=stream
            )
        return cls(process, output, log, time.monotonic() + WORKER_SECONDS)

    def failure(self) -> str | None:
        """Why this worker failed (it exited non-zero, or ran past its deadline and was
        killed), or None while it runs or once it succeeded."""
        code = self.process.poll()
        if code is None and time.monotonic() > self.deadline:
            self.process.kill()
            self.process.wait()
            return f"ran over {WORKER_SECONDS} s and was killed"
        return None if code in (None, 0) else f"exited with {code}"


def _run_phase(phase: str, jobs: list[tuple[str, list[str]]], folder: Path) -> dict[str, Any]:
    """The workers for `phase`, `SLOTS` at a time, largest first; their results merged."""
    waiting = list(enumerate(jobs))
    running: list[_Worker] = []
    results: dict[str, Any] = {}
    try:
        while waiting or running:
            while waiting and len(running) < SLOTS:
                number, (library, ids) = waiting.pop(0)
                running.append(_Worker.start(phase, library, ids, folder, number))
            for worker in list(running):
                failure = worker.failure()
                if failure:
                    raise HarnessError(
                        f"the worker for {worker.output.name} {failure}:\n{worker.log.read_text()[-3000:]}"
                    )
                if worker.process.returncode == 0:
                    running.remove(worker)
                    results.update(json.loads(worker.output.read_text()))
            time.sleep(0.2)
    finally:
        for worker in running:
            if worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait()
    return results


def observe_all(pairs: Iterable[Pair], folder: Path) -> dict[str, Truth]:
    """What Keras does with every pair; files under `folder`, and in
    `folder/timings.json` each phase's seconds and each pair's."""
    pairs = list(pairs)
    folder.mkdir(parents=True, exist_ok=True)
    timings: dict[str, Any] = {}
    started = time.perf_counter()
    written = _run_phase("write", _jobs(pairs, "writer"), folder)
    timings["write"] = time.perf_counter() - started
    started = time.perf_counter()
    ready = [pair for pair in pairs if "harness_error" not in written[pair.id]]
    loaded = _run_phase("load", _jobs(ready, "loader"), folder)
    timings["load"] = time.perf_counter() - started
    timings["pairs"] = {
        pair_id: {"write": written[pair_id]["seconds"], "load": loaded.get(pair_id, {}).get("seconds")}
        for pair_id in written
    }
    (folder / "timings.json").write_text(json.dumps(timings, indent=1))
    broken = {
        pair.id: written[pair.id].get("harness_error") or loaded[pair.id].get("harness_error")
        for pair in pairs
        if "harness_error" in written[pair.id] or "harness_error" in loaded[pair.id]
    }
    if broken:
        raise HarnessError("\n\n".join(f"{pair_id}:\n{text}" for pair_id, text in broken.items()))
    return {pair.id: derive(pair, written[pair.id], loaded[pair.id], folder) for pair in pairs}


def observe(pair: Pair, folder: Path) -> Truth:
    """What Keras does with one pair (two worker processes: prefer `observe_all`)."""
    return observe_all([pair], folder)[pair.id]


# -- from raw observations to a Truth -----------------------------------------------------------------
def derive(pair: Pair, source: Mapping[str, Any], load: Mapping[str, Any], folder: Path) -> Truth:
    """The `Truth` of `pair` from the writer's record of the source and the
    loader's record of the call."""
    held_by = {
        variable["digest"]: f"{path}#{index}"
        for path, variables in source["layers"].items()
        for index, variable in enumerate(variables)
    }
    layers = {
        path: _outcome(pair, path, record, source["layers"], held_by)
        for path, record in load["layers"].items()
    }
    received = {r for outcome in layers.values() for r in outcome.received if r}
    unused = {
        path: tuple(location for v in variables for location in v["stored_at"])
        for path, variables in source["layers"].items()
        if not any(f"{path}#{index}" in received for index in range(len(variables)))
    }
    warnings = tuple(m["text"] for m in load["messages"] if m["kind"] not in NOISE)
    error = load["error"]
    texts = ([error["message"]] if error else []) + list(warnings)
    names = _Names(load)
    failed = _failed(load, warnings)
    status = {path: outcome.status for path, outcome in layers.items()}
    return Truth(
        pair=pair.id,
        category=pair.category,
        writer=source["library"],
        writer_version=source["version"],
        loader=load["library"],
        loader_version=load["version"],
        call=load["call"],
        kind=pair.call.kind,
        weights=weights_path(folder, pair),
        into=into_path(folder, pair),
        by_name=pair.call.by_name,
        skip_mismatch=pair.call.skip_mismatch,
        loads=error is None and not any(s in ("untouched", "partial") for s in status.values()),
        error_class=error["class"] if error else None,
        error=error["message"] if error else None,
        warnings=warnings,
        layers=layers,
        missing=tuple(p for p, s in status.items() if s == "untouched"),
        partial=tuple(p for p, s in status.items() if s == "partial"),
        wrong=tuple(p for p, s in status.items() if s == "wrong"),
        unused=unused,
        shape_mismatch=_shape_mismatches(load, texts, names),
        count_mismatch=_count_mismatches(failed, texts, names),
        layer_count=_layer_count(texts),
        failed=failed,
        optimizer=_optimizer(load["optimizer"], source["optimizer"]),
    )


def corresponding(pair: Pair, path: str) -> str:
    """The source layer path the receiving layer at `path` stands for."""
    return "/".join(pair.renames.get(name, name) for name in path.split("/"))


def _outcome(
    pair: Pair,
    path: str,
    record: Mapping[str, Any],
    source_layers: Mapping[str, Any],
    held_by: Mapping[str, str],
) -> LayerOutcome:
    variables = record["variables"]
    received = tuple(None if v["after"] == v["before"] else held_by.get(v["after"], "?") for v in variables)
    counterpart = corresponding(pair, path)
    expected = tuple(f"{counterpart}#{i}" for i in range(len(source_layers.get(counterpart, ()))))
    if all(r is None for r in received):
        status = "untouched"
    elif any(r is None for r in received):
        status = "partial"
    elif received == expected:
        status = "matched"
    elif "?" in received:
        status = "changed"
    else:
        status = "wrong"
    return LayerOutcome(record["class"], status, tuple(v["name"] for v in variables), received)


def _optimizer(observed: Mapping[str, Any] | None, source: list[str]) -> str | None:
    if observed is None:
        return None
    if source and observed["after"] == source:
        return "loaded"
    return "untouched" if observed["after"] == observed["before"] else "partial"


# -- what Keras's own words reveal -----------------------------------------------------------------------
class _Names:
    """The receiving model's layer paths by layer name, and its variables by the
    names Keras prints them with (Keras 3 `path`, tf_keras `name`)."""

    def __init__(self, load: Mapping[str, Any]) -> None:
        self.paths: dict[str, list[str]] = {}
        for path, name in load["names"].items():
            self.paths.setdefault(name, []).append(path)
        self.variables = {
            v["path"]: (path, v["name"]) for path, layer in load["layers"].items() for v in layer["variables"]
        }

    def layer(self, name: str) -> list[str]:
        return self.paths.get(name, [])

    def variable(self, printed: str) -> tuple[str | None, str]:
        if printed in self.variables:
            return self.variables[printed]
        return None, printed.rsplit("/", 1)[-1].split(":")[0]


def _shape(text: str) -> list[int]:
    return [int(d) for d in re.findall(r"-?\d+", text)]


_LEGACY_SHAPE = re.compile(
    r"(?:Shape mismatch in|Skipping loading weights for) layer #\d+ \(named (?P<name>[^)]+)\)\s*"
    r"(?:due to mismatch in shape )?for weight (?P<weight>\S+)\. Weight expects shape (?P<expected>\([^)]*\))\. "
    r"Received saved weight with shape (?P<found>\([^)]*\))"
)
_TF_ASSIGN = re.compile(
    r"Cannot assign value to variable ' ?(?P<variable>[^']+)': Shape mismatch\.\s*The variable shape "
    r"(?P<expected>\([^)]*\)), and the assigned value shape (?P<found>\([^)]*\)) are incompatible"
)


def _shape_mismatches(
    load: Mapping[str, Any], texts: list[str], names: _Names
) -> tuple[Mapping[str, Any], ...]:
    found: dict[tuple[Any, ...], dict[str, Any]] = {}

    def add(
        path: str | None, weight: str, expected: list[int], received: list[int] | None, seen: str
    ) -> None:
        key = (path, weight, tuple(expected), tuple(received or ()))
        found.setdefault(
            key, {"path": path, "weight": weight, "expected": expected, "found": received, "seen": seen}
        )

    for attempt in load["failed_assigns"]:
        add(attempt["path"], attempt["weight"], attempt["expected"], attempt["found"], "assign")
    for text in texts:
        for match in _LEGACY_SHAPE.finditer(text):
            path, weight = names.variable(match["weight"])
            paths = names.layer(match["name"])
            add(
                path or (paths[0] if len(paths) == 1 else None),
                weight,
                _shape(match["expected"]),
                _shape(match["found"]),
                "message",
            )
        for match in _TF_ASSIGN.finditer(text):
            path, weight = names.variable(match["variable"])
            add(path, weight, _shape(match["expected"]), _shape(match["found"]), "message")
    return tuple(found.values())


_COUNTS = (
    re.compile(
        r"Layer '(?P<name>[^']+)' expected (?P<expected>\d+) variables, but received (?P<found>\d+) variables"
    ),
    re.compile(
        r"Weight count mismatch for layer #\d+ \(named (?P<name>\S+?)(?: in the current model, \S+ in the save "
        r"file)?\)\. Layer expects (?P<expected>\d+) weight\(s\)\. Received (?P<found>\d+) saved weight"
    ),
    re.compile(
        r"Skipping loading of weights for layer #\d+ \(named (?P<name>[^)]+)\) due to mismatch in number of "
        r"weights\. Layer expects (?P<expected>\d+) weight\(s\)\. Received (?P<found>\d+) saved weight"
    ),
)


def _count_mismatches(
    failed: tuple[Mapping[str, Any], ...], texts: list[str], names: _Names
) -> tuple[Mapping[str, Any], ...]:
    """From each object Keras lists as failed (its path known), then from the
    error and warnings for layers those did not cover (by the name printed)."""
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    covered: set[str] = set()
    located = [([f["path"]], f["message"]) for f in failed if f["path"]]
    for paths, text in [*located, *(([], text) for text in texts)]:
        for pattern in _COUNTS:
            for match in pattern.finditer(text):
                candidates = paths or names.layer(match["name"]) or [None]
                if not paths and covered.intersection(candidates):
                    continue
                expected, received = int(match["expected"]), int(match["found"])
                for path in candidates:
                    covered.add(path)
                    found.setdefault(
                        (path, expected, received),
                        {"path": path, "name": match["name"], "expected": expected, "found": received},
                    )
    return tuple(found.values())


_LAYER_COUNT = re.compile(
    r"Layer count mismatch when loading weights from file\. Model expected (?P<expected>\d+) layers, "
    r"found (?P<found>\d+) saved layers"
)


def _layer_count(texts: list[str]) -> Mapping[str, int] | None:
    for text in texts:
        match = _LAYER_COUNT.search(text)
        if match:
            return {"expected": int(match["expected"]), "found": int(match["found"])}
    return None


_OBJECT_AT = re.compile(
    r"Could not load weights in object <[^>]* at (?P<address>0x[0-9a-f]+)>\. Skipping object\. "
    r"Exception encountered: (?P<message>.*)",
    re.S,
)


def _failed(load: Mapping[str, Any], warnings: tuple[str, ...]) -> tuple[Mapping[str, Any], ...]:
    failed = [{"path": f["path"], "message": f["message"]} for f in load["failed"]]
    for text in warnings:
        match = _OBJECT_AT.search(text)
        if match:
            failed.append({"path": load["objects"].get(match["address"]), "message": match["message"]})
    return tuple(failed)
