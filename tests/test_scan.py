"""`kerascope scan`: every model under folders in one DuckDB catalog, read in fenced workers.

Truth: the files themselves (sizes, sha256 computed here), Keras (`count_params()`
of the models saved in this run), `sniff` (what is a model), and `kerascope
check` run file by file (the findings a catalog row must hold).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import jsonschema
import numpy as np
import pytest

import kerascope
from kerascope.cli import main
from kerascope.decoders.source import LocalSource
from kerascope.limits import Limits
from kerascope.readers.registry import recognise_source as sniff
from kerascope.scan import TABLES, TIMING_COLUMNS, ScanOptions, scan
from kerascope.scan.fence import FencedWorker
from kerascope.scan.sources import MAX_DEPTH

from support.corpus import CORPUS, require_corpus
from support.hostile import hostile_keras3
from support.interrupt import as_foreground_job
from support.model_zoo import multi_io, nested, recurrent, shared, transformer
from support.range_server import range_server

# A file no reader finishes in time: a million layers, read with the limits raised (the
# HDF5 file that once hung the C library ends in a moment now that pyfive reads it).
RAISED = ["--max-layers", "2000000", "--max-json-bytes", "200000000", "--max-json-items", "20000000"]
RAISED_LIMITS = Limits(max_layers=2_000_000, max_json_bytes=200_000_000, max_json_items=20_000_000)


def write_slow(path: Path) -> Path:
    layers = ",".join(
        f'{{"class_name":"Dense","config":{{"name":"d{i}","units":1}}}}' for i in range(1_000_000)
    )
    path.write_text(f'{{"class_name":"Sequential","config":{{"name":"big","layers":[{layers}]}}}}')
    return path


SRC = Path(kerascope.__file__).resolve().parents[1]


# -- models saved by Keras in this run ------------------------------------------------
@pytest.fixture(scope="module")
def saved(tmp_path_factory, keras3, tf_keras):
    """A folder of models Keras saved, and `{path: count_params()}` for those built here."""
    folder = tmp_path_factory.mktemp("saved")
    params = {}

    def keep(model, path):
        params[str(path)] = model.count_params()

    model = nested(keras3)
    model.save(folder / "k3_nested.keras")
    keep(model, folder / "k3_nested.keras")
    (folder / "k3_nested.json").write_text(model.to_json())
    model = recurrent(keras3)
    model.save(folder / "k3_recurrent.h5")
    keep(model, folder / "k3_recurrent.h5")
    (folder / "deeper" / "still").mkdir(parents=True)
    model = transformer(keras3)  # a custom block from a module outside Keras
    model.save(folder / "deeper" / "still" / "k3_transformer.keras")
    keep(model, folder / "deeper" / "still" / "k3_transformer.keras")
    model = multi_io(tf_keras)
    model.save(folder / "tfk_savedmodel", save_format="tf")
    keep(model, folder / "tfk_savedmodel")
    model = shared(tf_keras)
    model.save(folder / "tfk_shared.h5")
    keep(model, folder / "tfk_shared.h5")
    model = keras2_custom_layer(tf_keras)
    model.save(folder / "tfk_custom.h5")
    keep(model, folder / "tfk_custom.h5")
    (folder / "hostile").mkdir()
    hostile_keras3(keras3, folder / "hostile", folder / "never-created")
    (folder / "notes.txt").write_text("not a model\n")
    return folder, params


def keras2_custom_layer(tf_keras):
    """A Keras 2 model around a custom layer: its HDF5 config names the class alone,
    with no module (as the ResNet, GarNet and FixedPointQuantizer layers of real files)."""

    class Blur(tf_keras.layers.Layer):
        def call(self, inputs):
            return inputs * 0.5

    inputs = tf_keras.Input(shape=(3,), name="x")
    outputs = tf_keras.layers.Dense(2, name="out")(Blur(name="blur")(inputs))
    return tf_keras.Model(inputs, outputs, name="custom2")


def cli(*args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["scan", *map(str, args)])
    return code, out.getvalue()


def rows(catalog, table, skip=TIMING_COLUMNS):
    with duckdb.connect(str(catalog), read_only=True) as db:
        columns = [name for name, _, _ in TABLES[table] if name not in skip]
        return sorted(db.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall(), key=repr)


def query(catalog, sql, parameters=()):
    with duckdb.connect(str(catalog), read_only=True) as db:
        return db.execute(sql, list(parameters)).fetchall()


def expected_models(folder: Path) -> set[str]:
    """The models under `folder` by sniff's answer: a folder it names is one model, not entered."""
    found = set()
    for directory, subfolders, files in os.walk(folder):
        if sniff(LocalSource(Path(directory))) is not None:
            found.add(directory)
            subfolders.clear()
            continue
        found.update(
            str(Path(directory) / name)
            for name in files
            if sniff(LocalSource(Path(directory) / name)) is not None
        )
    return found


def folder_sha256(folder: Path) -> str:
    lines = sorted(
        f"{path.relative_to(folder).as_posix()}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n"
        for path in folder.rglob("*")
        if path.is_file()
    )
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def finding_tuples(findings):
    return Counter((f.code.value, f.severity.value, f.path, f.message, f.hint) for f in findings)


@pytest.fixture(scope="module")
def corpus_and_saved(saved, tmp_path_factory):
    """The real-world corpus and the saved models, scanned once with two workers through the CLI."""
    require_corpus()
    catalog = tmp_path_factory.mktemp("catalog") / "models.duckdb"
    code, out = cli(CORPUS, saved[0], "--catalog", catalog, "--workers", "2")
    return catalog, code, out


# -- every model once, with check's findings ------------------------------------------------
def test_scan_catalogs_every_model_once_with_the_findings_check_gives(corpus_and_saved, saved):
    catalog, code, out = corpus_and_saved
    folder = saved[0]
    expected = expected_models(CORPUS) | expected_models(folder)
    assert str(folder / "tfk_savedmodel") in expected  # a SavedModel folder is one model ...
    assert not any(
        path.startswith(str(folder / "tfk_savedmodel") + "/") for path in expected
    )  # ... not entered
    found = query(catalog, "SELECT path FROM files")
    assert len(found) == len({path for (path,) in found})
    assert {path for (path,) in found} == expected
    assert code == 1  # the corpus and the hostile folder hold Lambda bytecode (error-level)
    assert "Findings: error" in out

    for path, error, size, sha256, count in query(
        catalog, "SELECT path, error, size, sha256, finding_count FROM files ORDER BY path"
    ):
        target = Path(path)
        if target.is_dir():
            assert sha256 == folder_sha256(target)
            assert size == sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
        else:
            assert sha256 == hashlib.sha256(target.read_bytes()).hexdigest()
            assert size == target.stat().st_size
        if error is not None:
            with pytest.raises(kerascope.KerascopeError) as raised:
                kerascope.check(target)
            assert str(raised.value).endswith(error)
            continue
        truth = kerascope.check(target)
        stored = query(
            catalog,
            "SELECT code, severity, f.path, message, hint FROM findings f JOIN files USING (file_id) "
            "WHERE files.path = ?",
            [path],
        )
        assert Counter(stored) == finding_tuples(truth.findings), path
        assert count == len(truth.findings)
        assert query(
            catalog, "SELECT count(*) FROM layers JOIN files USING (file_id) WHERE files.path = ?", [path]
        )[0][0] == len(truth.report.layers)


def test_scan_records_what_keras_says_of_the_models_saved_in_this_run(corpus_and_saved, saved, keras3):
    catalog, _, _ = corpus_and_saved
    folder, params = saved
    for path, count in params.items():
        [(param_count, keras_version, file_format)] = query(
            catalog, "SELECT param_count, keras_version, format FROM files WHERE path = ?", [path]
        )
        # A SavedModel's variables are not read today: its count is unknown, never guessed.
        assert param_count == count or (param_count is None and file_format == "savedmodel"), path
        if path.endswith(".keras"):
            assert keras_version == keras3.__version__
    transformer_path = str(folder / "deeper" / "still" / "k3_transformer.keras")
    [(custom,)] = query(catalog, "SELECT custom_classes FROM files WHERE path = ?", [transformer_path])
    assert custom == ["support.model_zoo.TransformerBlock"]
    [(custom,)] = query(
        catalog, "SELECT custom_classes FROM files WHERE path = ?", [str(folder / "tfk_custom.h5")]
    )
    assert custom == ["Blur"]  # a Keras 2 custom layer: no module, a class name alone
    nested_model = nested(keras3)
    for layer_path, layer in (
        ("middle/mid_dense", nested_model.get_layer("middle").get_layer("mid_dense")),
        ("head", nested_model.get_layer("head")),
    ):
        [(units, macs, flops)] = query(
            catalog,
            "SELECT json_extract(l.config, '$.units')::INTEGER, l.macs, l.flops FROM layers l "
            "JOIN files USING (file_id) WHERE files.path = ? AND l.path = ?",
            [str(folder / "k3_nested.keras"), layer_path],
        )
        inputs, outputs = (int(d) for d in layer.kernel.shape)
        # TensorFlow's profiler: 2 FLOPs a multiply-accumulate, 1 a bias element.
        assert (units, macs, flops) == (layer.units, inputs * outputs, 2 * inputs * outputs + outputs)
    [(classes,)] = query(
        catalog, "SELECT classes FROM files WHERE path = ?", [str(folder / "k3_recurrent.h5")]
    )
    assert {"Bidirectional", "LSTM", "TimeDistributed", "Dense", "InputLayer"} <= set(classes)
    lambdas = query(
        catalog,
        "SELECT DISTINCT files.path FROM findings JOIN files USING (file_id) "
        "WHERE code = 'LAMBDA_BYTECODE' AND starts_with(files.path, ?)",
        [str(folder) + "/"],
    )
    assert {path for (path,) in lambdas} == {
        str(folder / "hostile" / "genuine.keras"),
        str(folder / "hostile" / "hostile.keras"),
    }
    assert not (folder / "never-created").exists()


# -- resumable and incremental ----------------------------------------------------------------
def test_a_second_scan_reads_only_what_changed(saved, tmp_path, keras3):
    tree = tmp_path / "tree"
    shutil.copytree(saved[0], tree)
    catalog = tmp_path / "c.duckdb"
    first = scan([tree], catalog, ScanOptions(workers=2))
    before = {table: rows(catalog, table, skip=()) for table in TABLES}
    assert first.counts.read == first.models

    again = scan([tree], catalog, ScanOptions(workers=2))
    assert (again.counts.read, again.counts.unchanged) == (0, first.models)
    assert {table: rows(catalog, table, skip=()) for table in TABLES} == before  # not even rewritten

    replaced = keras3.Sequential([keras3.Input(shape=(3,)), keras3.layers.Dense(5, name="only")])
    replaced.save(tree / "k3_nested.keras")  # the same path, another model
    touched = tree / "tfk_shared.h5"
    os.utime(touched, (time.time() + 100, time.time() + 100))  # new mtime, same bytes
    (tree / "k3_recurrent.h5").unlink()
    third = scan([tree], catalog, ScanOptions(workers=2))
    assert (third.counts.read, third.counts.pruned) == (1, 1)
    [(params, layer_count)] = query(
        catalog, "SELECT param_count, layer_count FROM files WHERE path = ?", [str(tree / "k3_nested.keras")]
    )
    assert params == replaced.count_params()
    layer_paths = query(
        catalog,
        "SELECT layers.path FROM layers JOIN files USING (file_id) WHERE files.path = ?",
        [str(tree / "k3_nested.keras")],
    )
    assert sorted(path for (path,) in layer_paths) == sorted(
        node.path for node in kerascope.inspect(tree / "k3_nested.keras").layers
    )
    assert layer_count == len(layer_paths) and ("head",) not in layer_paths  # the old model's rows are gone
    columns = [name for name, _, _ in TABLES["files"]]
    old = next(dict(zip(columns, row, strict=True)) for row in before["files"] if row[1] == str(touched))
    [(scanned_at, mtime, stat_key)] = query(
        catalog, "SELECT scanned_at, mtime, stat_key FROM files WHERE path = ?", [str(touched)]
    )
    assert scanned_at == old["scanned_at"]  # hashed, found unchanged, not read again
    assert mtime != old["mtime"] and stat_key != old["stat_key"]
    assert not query(catalog, "SELECT * FROM files WHERE path = ?", [str(tree / "k3_recurrent.h5")])
    assert not query(catalog, "SELECT * FROM layers WHERE file_id NOT IN (SELECT file_id FROM files)")


def hang_tree(saved, tmp_path) -> tuple[Path, int]:
    """Models named m*, a file too slow to finish as n_hang.json, more models named o*: read in that order."""
    tree = tmp_path / "tree"
    tree.mkdir()
    sources = [p for p in sorted(saved[0].rglob("*")) if p.is_file() and p.suffix in (".keras", ".h5")]
    for index in range(24):
        source = sources[index % len(sources)]
        shutil.copy(source, tree / f"m{index:03}{source.suffix}")
        shutil.copy(source, tree / f"o{index:03}{source.suffix}")
    write_slow(tree / "n_hang.json")
    return tree, 24


def start_scan(*args):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen(
        [sys.executable, "-m", "kerascope", "scan", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=as_foreground_job,
    )


def wait_for_committed(process, count, timeout=60.0):
    """Read the scan's progress lines until one says `count` rows are committed."""
    found = threading.Event()

    def read():
        for line in process.stderr:
            if f", {count:,} committed" in line:
                found.set()
                return

    threading.Thread(target=read, daemon=True).start()
    assert found.wait(timeout), "the scan never reported the rows before the hanging file committed"


def test_a_killed_scan_resumes_to_the_same_catalog_as_an_uninterrupted_one(saved, tmp_path):
    import psutil

    tree, before_hang = hang_tree(saved, tmp_path)
    killed = tmp_path / "killed.duckdb"
    process = start_scan(
        tree, "--catalog", killed, "--workers", "1", "--batch-size", "5", "--time-limit", "60", *RAISED
    )
    workers = []
    try:
        wait_for_committed(process, before_hang)  # every m* committed, the worker stuck on n_hang.h5
        workers = psutil.Process(process.pid).children(recursive=True)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    finally:
        process.kill()
        for worker in workers:  # the hung worker would end by its CPU cap; do not wait for it
            with contextlib.suppress(psutil.NoSuchProcess):
                worker.kill()
    assert process.returncode == -signal.SIGKILL
    committed = query(killed, "SELECT path FROM files ORDER BY path")
    assert [Path(path).name[0] for (path,) in committed] == ["m"] * before_hang

    code, _ = cli(tree, "--catalog", killed, "--workers", "1", "--time-limit", "2", *RAISED)
    whole = tmp_path / "whole.duckdb"
    code_whole, _ = cli(tree, "--catalog", whole, "--workers", "1", "--time-limit", "2", *RAISED)
    assert code == code_whole
    for table in TABLES:
        assert rows(killed, table) == rows(whole, table), table
    [(error,)] = query(whole, "SELECT error FROM files WHERE path LIKE '%n_hang.json'")
    assert "gave up after 2 s" in error


def test_ctrl_c_commits_what_was_read_and_ends_the_workers(saved, tmp_path):
    import psutil

    tree, before_hang = hang_tree(saved, tmp_path)
    catalog = tmp_path / "c.duckdb"
    process = start_scan(
        tree, "--catalog", catalog, "--workers", "1", "--batch-size", "5", "--time-limit", "60", *RAISED
    )
    try:
        wait_for_committed(process, before_hang)
        workers = psutil.Process(process.pid).children(recursive=True)
        assert workers
        process.send_signal(signal.SIGINT)
        process.wait(30)
    finally:
        process.kill()
    assert process.returncode == 130
    assert "interrupted; every committed row is in" in process.stderr.read()
    assert len(query(catalog, "SELECT path FROM files")) == before_hang
    time.sleep(0.5)
    assert not [
        worker for worker in workers if worker.is_running() and worker.status() != psutil.STATUS_ZOMBIE
    ]


# -- fenced: hangs, memory, dead workers -------------------------------------------------
def test_a_hanging_file_and_a_memory_hog_are_error_rows_and_the_scan_goes_on(saved, tmp_path):
    """With the limits raised, a file too slow to read is stopped by the per-file time
    limit and one too large for the memory cap by the cap; the good files are read."""
    slow, hog = tmp_path / "slow", tmp_path / "hog"
    for tree in (slow, hog):
        tree.mkdir()
        shutil.copy(saved[0] / "k3_nested.keras", tree / "good.keras")
        shutil.copy(saved[0] / "tfk_shared.h5", tree / "good.h5")
    write_slow(slow / "hang.json")
    # A JSON config with 12 million numbers: about 400 MB once parsed, far above the 256 MB cap.
    with (hog / "hog.json").open("w") as stream:
        stream.write('{"class_name": "Sequential", "config": {"name": "s", "layers": [], "weights": [')
        stream.write(",".join(["0.5"] * 12_000_000))
        stream.write("]}}")
    for tree, memory, bad, words in (
        (slow, "2G", "hang.json", "gave up after 5 s (the time limit; raise it with --time-limit)"),
        (hog, "256M", "hog.json", "memory"),
    ):
        catalog = tree / "c.duckdb"
        code, out = cli(
            tree, "--catalog", catalog, "--workers", "2", "--time-limit", "5", "--max-memory", memory, *RAISED
        )
        errors = dict(query(catalog, "SELECT path, error FROM files"))
        assert words in errors[str(tree / bad)]
        assert errors[str(tree / "good.keras")] is None and errors[str(tree / "good.h5")] is None
        assert code == 0 and "Unreadable: 1" in out


def test_a_worker_killed_while_reading_is_an_error_and_is_replaced(saved):
    worker = FencedWorker(None)
    request = {"protocol": "file", "is_dir": False, "limits": asdict(RAISED_LIMITS), "time_limit": 60}
    try:
        worker.read({**request, "path": str(saved[0] / "tfk_shared.h5")})  # started and warm
        pid = worker._process.pid
        threading.Timer(1.0, os.kill, (pid, signal.SIGKILL)).start()
        reply = worker.read({**request, "path": str(write_slow(saved[0].parent / "slow.json"))})
        assert reply["error"].startswith("the worker reading it was ended by SIGKILL")
        again = worker.read({**request, "path": str(saved[0] / "tfk_shared.h5")})
        assert again.get("error") is None and again["model"]["param_count"] is not None
        assert worker._process.pid != pid
    finally:
        worker.close()


# -- symbolic links --------------------------------------------------------------------
def test_links_are_recorded_and_never_followed(saved, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(saved[0] / "k3_nested.keras", outside / "secret.keras")
    tree = tmp_path / "tree"
    tree.mkdir()
    shutil.copy(saved[0] / "tfk_shared.h5", tree / "inside.h5")
    (tree / "to_file.keras").symlink_to(outside / "secret.keras")
    (tree / "to_folder").symlink_to(outside)
    (tree / "to_inside.h5").symlink_to(tree / "inside.h5")
    catalog = tmp_path / "c.duckdb"
    summary = scan([tree], catalog, ScanOptions(workers=1))
    found = {
        path: (kind, link, sha)
        for path, kind, link, sha in query(catalog, "SELECT path, kind, link_target, sha256 FROM files")
    }
    assert found == {
        str(tree / "inside.h5"): (
            "hdf5",
            None,
            hashlib.sha256((tree / "inside.h5").read_bytes()).hexdigest(),
        ),
        str(tree / "to_file.keras"): (None, str(outside / "secret.keras"), None),
        str(tree / "to_folder"): (None, str(outside), None),
        str(tree / "to_inside.h5"): (None, str(tree / "inside.h5"), None),
    }
    assert (summary.models, summary.links) == (1, 3)


# -- Dask -----------------------------------------------------------------------------
def test_a_dask_cluster_makes_the_same_catalog(corpus_and_saved, saved, tmp_path):
    import distributed

    catalog = tmp_path / "dask.duckdb"
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        code, _ = cli(CORPUS, saved[0], "--catalog", catalog, "--dask", cluster.scheduler_address)
    local, local_code, _ = corpus_and_saved
    assert code == local_code
    for table in TABLES:
        assert rows(catalog, table) == rows(local, table), table


# -- outputs ------------------------------------------------------------------------------
def test_parquet_export_has_the_same_rows(corpus_and_saved, tmp_path):
    import pyarrow.parquet as pq

    catalog, _, _ = corpus_and_saved
    code, _ = cli(CORPUS, "--catalog", catalog, "--export", tmp_path / "parquet")
    assert code in (0, 1)
    for table in TABLES:
        exported = pq.read_table(tmp_path / "parquet" / f"{table}.parquet").to_pylist()
        columns = [name for name, _, _ in TABLES[table]]
        assert sorted((tuple(row[c] for c in columns) for row in exported), key=repr) == rows(
            catalog, table, skip=()
        )


SARIF_SHAPE = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name", "rules"],
                                "properties": {
                                    "rules": {
                                        "type": "array",
                                        "items": {"type": "object", "required": ["id"]},
                                    }
                                },
                            }
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["ruleId", "level", "message", "locations"],
                            "properties": {
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "message": {"type": "object", "required": ["text"]},
                                "locations": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": {
                                        "type": "object",
                                        "required": ["physicalLocation"],
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "required": ["artifactLocation"],
                                                "properties": {
                                                    "artifactLocation": {
                                                        "type": "object",
                                                        "required": ["uri"],
                                                        "properties": {
                                                            "uri": {"type": "string", "pattern": "^file:///"}
                                                        },
                                                    }
                                                },
                                            }
                                        },
                                    },
                                },
                            },
                        },
                    },
                    "invocations": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["executionSuccessful"],
                            "properties": {
                                "toolExecutionNotifications": {
                                    "type": "array",
                                    "items": {"type": "object", "required": ["message"]},
                                }
                            },
                        },
                    },
                },
            },
        },
    },
}


def test_sarif_holds_every_finding_under_the_targets(corpus_and_saved, saved, tmp_path):
    catalog, _, _ = corpus_and_saved
    folder = saved[0]
    code, _ = cli(folder, "--catalog", catalog, "--sarif", tmp_path / "scan.sarif")
    assert code == 1
    log = json.loads((tmp_path / "scan.sarif").read_text())
    jsonschema.validate(log, SARIF_SHAPE)
    [run] = log["runs"]
    rules = {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    found = Counter()
    for result in run["results"]:
        assert result["ruleId"] in rules
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        found[(Path(uri.removeprefix("file://")).as_posix(), result["ruleId"])] += 1
    stored = query(
        catalog,
        "SELECT files.path, code, count(*) FROM findings JOIN files USING (file_id) "
        "WHERE starts_with(files.path, ?) GROUP BY 1, 2",
        [str(folder) + "/"],
    )
    assert found == {(path, code): count for path, code, count in stored}
    assert any(code == "LAMBDA_BYTECODE" for _, code in found)


def test_bad_arguments_exit_2(tmp_path, capsys):
    assert cli(tmp_path / "nothing-here", "--catalog", tmp_path / "c.duckdb")[0] == 2
    assert "no such file or directory" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["scan", str(tmp_path)])  # no --catalog
    assert exited.value.code == 2
    with pytest.raises(SystemExit) as exited:
        main(["scan", str(tmp_path), "--catalog", str(tmp_path / "c.duckdb"), "--workers", "0"])
    assert exited.value.code == 2
    (tmp_path / "not-a-catalog.duckdb").write_text("hello")
    assert cli(tmp_path, "--catalog", tmp_path / "not-a-catalog.duckdb")[0] == 2
    capsys.readouterr()
    # A URL no server answers: one line, before any catalog is made.
    assert cli("http://127.0.0.1:9/models/", "--catalog", tmp_path / "url.duckdb")[0] == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "127.0.0.1:9" in err
    assert not (tmp_path / "url.duckdb").exists()


def test_nested_targets_exclusions_and_retrying_unreadable_models(saved, tmp_path):
    tree = tmp_path / "tree"
    (tree / "inner").mkdir(parents=True)
    shutil.copy(saved[0] / "tfk_shared.h5", tree / "inner" / "model.h5")
    shutil.copy(saved[0] / "k3_nested.keras", tree / "skip-me.keras")
    (tree / "broken.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)  # an HDF5 signature, then nothing
    catalog = tmp_path / "c.duckdb"
    first = scan([tree, tree / "inner"], catalog, ScanOptions(workers=1, exclude=("skip-*",)))
    assert sorted(path for (path,) in query(catalog, "SELECT path FROM files")) == [
        str(tree / "broken.h5"),
        str(tree / "inner" / "model.h5"),
    ]
    assert (first.counts.read, first.counts.errors) == (1, 1)
    [(error, scanned_at)] = query(catalog, "SELECT error, scanned_at FROM files WHERE path LIKE '%broken.h5'")
    with pytest.raises(kerascope.KerascopeError) as raised:
        kerascope.check(tree / "broken.h5")
    assert str(raised.value).endswith(error)
    assert scan([tree], catalog, ScanOptions(workers=1)).counts.errors == 0  # unchanged: not tried again
    retried = scan([tree], catalog, ScanOptions(workers=1, retry_errors=True))
    assert (retried.counts.errors, retried.counts.unchanged) == (1, 2)
    [(again,)] = query(catalog, "SELECT scanned_at FROM files WHERE path LIKE '%broken.h5'")
    assert again > scanned_at


def rows_by_place(catalog, root):
    """Every row of every table, with each model named by its path under `root` instead
    of by where it lives, and without what only the place decides (ids, stat keys,
    modification times) or the run (timings, bytes read)."""
    place = {"file_id", "path", "root", "stat_key", "mtime", *TIMING_COLUMNS}
    with duckdb.connect(str(catalog), read_only=True) as db:
        names = dict(db.execute("SELECT file_id, path FROM files").fetchall())
        found = {}
        for table in TABLES:
            columns = [
                name
                for name, _, _ in TABLES[table]
                if name not in place or (table != "files" and name == "path")
            ]
            selected = ", ".join(["file_id", *columns])
            found[table] = sorted(
                (names[row[0]].removeprefix(root), *row[1:])
                for row in db.execute(f"SELECT {selected} FROM {table}").fetchall()
            )
    return found


def test_a_served_folder_scans_to_the_catalog_of_its_local_copy(saved, tmp_path):
    """A URL is walked through the server's listing pages and read with range requests:
    the catalog holds the rows a scan of the same files on disk holds. The server's
    ETags spare a second scan hashing and reading unchanged models; a changed file is
    read again."""
    folder, _ = saved
    tree = tmp_path / "served" / "models"
    (tree / "deeper").mkdir(parents=True)
    shutil.copy(folder / "k3_nested.keras", tree)
    shutil.copy(folder / "k3_recurrent.h5", tree)
    shutil.copy(folder / "deeper" / "still" / "k3_transformer.keras", tree / "deeper")
    shutil.copytree(folder / "tfk_savedmodel", tree / "deeper" / "tfk_savedmodel")
    (tree / "notes.txt").write_text("not a model\n")
    scan([tree], tmp_path / "local.duckdb", ScanOptions(workers=1))
    with range_server(tmp_path / "served") as (url, served):
        first = scan([f"{url}/models"], tmp_path / "remote.duckdb", ScanOptions(workers=2))
        assert first.counts.read == first.models == 4 and first.unreadable == 0
        assert rows_by_place(tmp_path / "remote.duckdb", f"{url}/models") == rows_by_place(
            tmp_path / "local.duckdb", str(tree)
        )
        # What each read fetched from the server (the content hash downloads each model too).
        fetched = query(tmp_path / "remote.duckdb", "SELECT bytes_read FROM files")
        assert all(count > 0 for (count,) in fetched)

        before, asked = served.bytes, len(served.requests)
        second = scan([f"{url}/models"], tmp_path / "remote.duckdb", ScanOptions(workers=1))
        assert second.counts.unchanged == 4 and second.counts.read == 0
        # Listing pages and what finding models by content reads (a file's first blocks, an
        # archive's directory) only: every ETag is unchanged, so no model is hashed (a
        # whole-body GET) or read again (a read fetched several times this).
        models = {"/models/k3_nested.keras", "/models/k3_recurrent.h5", "/models/deeper/k3_transformer.keras"}
        hashed = [
            path
            for method, path, span in served.requests[asked:]
            if method == "GET" and path in models and span is None
        ]
        assert hashed == []
        assert served.bytes - before < 0.2 * before

        (tree / "k3_recurrent.h5").write_bytes((folder / "tfk_shared.h5").read_bytes())
        third = scan([f"{url}/models"], tmp_path / "remote.duckdb", ScanOptions(workers=1))
        assert third.counts.read == 1 and third.counts.unchanged == 3
    changed = query(
        tmp_path / "remote.duckdb",
        "SELECT sha256 FROM files WHERE path = ?",
        [f"{url}/models/k3_recurrent.h5"],
    )
    assert changed == [(hashlib.sha256((folder / "tfk_shared.h5").read_bytes()).hexdigest(),)]


class EndlessFolders(BaseHTTPRequestHandler):
    """A server on which every path is a folder listing one folder inside it."""

    def do_HEAD(self):
        self._listing(body=False)

    def do_GET(self):
        self._listing(body=True)

    def _listing(self, body):
        page = b'<html><body><a href="deeper">deeper</a></body></html>'
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        if body:
            self.wfile.write(page)

    def log_message(self, format, *args):
        pass


def test_a_server_that_lists_folders_forever_is_walked_to_a_bound(tmp_path):
    """A remote tree is what its server says: one that nests folders without end is
    walked to the depth bound, which is one error row, and the scan ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), EndlessFolders)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/top"
        summary = scan([url], tmp_path / "endless.duckdb", ScanOptions(workers=1))
    finally:
        server.shutdown()
    assert summary.models == 0 and summary.unreadable == 1
    [(path, error)] = query(tmp_path / "endless.duckdb", "SELECT path, error FROM files")
    assert path == url + "/deeper" * (MAX_DEPTH + 1)
    assert error == f"{path}: more than {MAX_DEPTH} folders deep: not walked"


def test_a_served_name_with_terminal_escapes_is_one_escaped_error_row(saved, tmp_path, capsys):
    """A listing page names an entry the server cannot serve (control characters):
    that entry is one error row, its folder's other models are read, and nothing of
    the name reaches the terminal raw."""
    folder, _ = saved
    tree = tmp_path / "served" / "models"
    tree.mkdir(parents=True)
    shutil.copy(folder / "k3_nested.keras", tree)
    shutil.copy(folder / "k3_nested.keras", tree / "\x1b[31mred\x07\r.keras")
    with range_server(tmp_path / "served") as (url, _):
        code, out = cli(f"{url}/models", "--catalog", tmp_path / "c.duckdb", "--workers", "1")
    err = capsys.readouterr().err
    assert code == 0
    assert not any(char in out + err for char in "\x1b\x07\r")
    rows = dict(query(tmp_path / "c.duckdb", "SELECT path, error FROM files"))
    assert rows.pop(f"{url}/models/k3_nested.keras") is None
    [(name, error)] = rows.items()
    assert name == f"{url}/models/\x1b[31mred\x07\r.keras" and "cannot be examined" in error


def huge_weights_file(path: Path) -> Path:
    """A legacy weights file whose one kernel declares 2^40 x 2^40 values (stores none)."""
    import h5py
    import numpy as np

    with h5py.File(path, "w") as handle:
        weights = handle.create_group("model_weights")
        weights.attrs["layer_names"] = np.array([b"dense"])
        layer = weights.create_group("dense")
        layer.attrs["weight_names"] = np.array([b"dense/kernel:0"])
        layer.create_group("dense").create_dataset(
            "kernel:0", shape=(1 << 40, 1 << 40), dtype="f4", chunks=(1, 1)
        )
    return path


def test_a_file_claiming_2_to_the_80_parameters_is_one_row_and_the_scan_goes_on(tmp_path, capsys):
    """The count fits no catalog column: it is stored as NULL with a finding holding it
    as text, and the batch commits with every other model in it (once the commit
    raised and the scan ended with no rows, every rerun)."""
    tree = tmp_path / "tree"
    tree.mkdir()
    genuine = shutil.copy(
        Path(kerascope.__file__).parent / "example_files" / "two_dense.keras", tree / "a.keras"
    )
    huge = huge_weights_file(tree / "huge.h5")
    catalog = tmp_path / "catalog.duckdb"
    assert cli(tree, "--catalog", catalog)[0] == 1  # the huge dataset is an error-level finding
    capsys.readouterr()
    found = query(catalog, "SELECT path, param_count, finding_count FROM files ORDER BY path")
    assert found[0] == (str(genuine), kerascope.inspect(genuine).total_params, 0)
    assert found[1][:2] == (str(huge), None)
    huge_layer = query(
        catalog,
        "SELECT params FROM layers WHERE file_id = (SELECT file_id FROM files WHERE path = ?)",
        [str(huge)],
    )
    assert huge_layer == [(None,)]
    messages = [
        m for (m,) in query(catalog, "SELECT message FROM findings WHERE code = 'SHAPE_OUT_OF_RANGE'")
    ]
    count = f"{1 << 80:,}"
    assert sorted(messages) == [
        f"param_count is {count}, more than the catalog's int64 column holds: stored as NULL",
        f"params is {count}, more than the catalog's int64 column holds: stored as NULL",
    ]
    assert found[1][2] == len(kerascope.check(huge).findings) + 2


def test_scan_refuses_a_database_that_is_not_a_catalog_before_writing(tmp_path, capsys):
    """Someone else's DuckDB database is judged in a read-only open: left byte for byte as it was."""
    theirs = tmp_path / "theirs.duckdb"
    with duckdb.connect(str(theirs)) as db:
        db.execute("CREATE TABLE accounts (id INTEGER, name VARCHAR)")
        db.execute("INSERT INTO accounts VALUES (1, 'a')")
    before = theirs.read_bytes()
    shutil.copy(Path(kerascope.__file__).parent / "example_files" / "two_dense.keras", tmp_path / "m.keras")
    assert cli(tmp_path / "m.keras", "--catalog", theirs)[0] == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a kerascope catalog" in err
    assert theirs.read_bytes() == before
    assert query(theirs, "SELECT table_name FROM information_schema.tables") == [("accounts",)]


# -- values (scan --values) -------------------------------------------------------------
NANS = "h5_full/Gangaraj-13__deep_learning_assignment1__multi_output_model.h5"


@pytest.fixture(scope="module")
def weighed(keras3, tmp_path_factory):
    """Two models Keras saved (one with NaN planted in a kernel) and a real-world file
    whose training diverged, with every weight's values as Keras (or h5py) holds them."""
    from support.value_truth import h5_arrays

    require_corpus()
    folder = tmp_path_factory.mktemp("weighed")
    arrays: dict[str, list] = {}
    healthy = nested(keras3)
    healthy.save(folder / "healthy.keras")
    arrays[str(folder / "healthy.keras")] = [variable.numpy() for variable in healthy.weights]
    broken = recurrent(keras3)
    kernel = broken.weights[0].numpy()
    kernel.reshape(-1)[:3] = np.nan
    broken.weights[0].assign(kernel)
    broken.save(folder / "broken.keras")
    arrays[str(folder / "broken.keras")] = [variable.numpy() for variable in broken.weights]
    shutil.copy(CORPUS / NANS, folder / "diverged.h5")
    arrays[str(folder / "diverged.h5")] = [
        value for key, value in h5_arrays(folder / "diverged.h5").items() if key.startswith("model_weights/")
    ]
    return folder, arrays


def stats_key(count, nan, inf, zeros, low, high):
    return (
        count,
        nan,
        inf,
        zeros,
        None if low is None else round(low, 5),
        None if high is None else round(high, 5),
    )


def test_scan_values_catalogs_every_weights_statistics(weighed, tmp_path):
    """The `weights` table holds one row per weight, with numpy's statistics of the
    arrays Keras saved; README's query finds the NaN, and findings say where."""
    from support.value_truth import numpy_stats

    folder, arrays = weighed
    catalog = tmp_path / "values.duckdb"
    code, _ = cli(folder, "--catalog", catalog, "--values", "--workers", "2")
    assert code == 1  # NAN_WEIGHTS are errors
    for path, expected in arrays.items():
        stored = query(
            catalog,
            "SELECT count, nan, inf, zeros, min, max FROM weights JOIN files USING (file_id) WHERE files.path = ?",
            [path],
        )
        truth = [numpy_stats(array) for array in expected]
        wanted = sorted(
            (stats_key(*(s[k] for k in ("count", "nan", "inf", "zeros", "min", "max"))) for s in truth),
            key=repr,
        )
        assert sorted((stats_key(*row) for row in stored), key=repr) == wanted, path
    nans = query(
        catalog,
        "SELECT f.path, w.layer, w.weight, w.nan FROM weights w JOIN files f USING (file_id) WHERE w.nan > 0",
    )
    assert {row[0] for row in nans} == {str(folder / "broken.keras"), str(folder / "diverged.h5")}
    assert sum(row[3] for row in nans if row[0].endswith("broken.keras")) == 3
    findings = query(
        catalog,
        "SELECT DISTINCT f.path FROM findings JOIN files f USING (file_id) WHERE code = 'NAN_WEIGHTS'",
    )
    assert {row[0] for row in findings} == {row[0] for row in nans}
    # Read again without values, a model's weights rows go with its old reading.
    code, _ = cli(folder, "--catalog", catalog, "--workers", "2")
    assert code == 0 and query(catalog, "SELECT count(*) FROM weights") == [(0,)]


def test_scan_values_on_a_dask_cluster_makes_the_same_catalog(weighed, tmp_path):
    import distributed

    folder, _ = weighed
    local, remote = tmp_path / "local.duckdb", tmp_path / "dask.duckdb"
    cli(folder, "--catalog", local, "--values", "--workers", "1")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        cli(folder, "--catalog", remote, "--values", "--dask", cluster.scheduler_address)
    for table in TABLES:
        assert rows(remote, table) == rows(local, table), table
    assert rows(local, "weights")
