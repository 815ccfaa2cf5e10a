"""How fast `kerascope scan` catalogs a registry of small real model files, and how lean it stays.

Set-up (cached in benchmarks/.cache/scan/): a few dozen small models saved by
Keras 3 (`.keras`, legacy `.h5`) and tf_keras (`.h5`, SavedModel folders),
copied with variations (each copy's bytes differ: a zip comment or an HDF5
attribute) into a registry of nested folders, plus the real-world corpus at
../shared/corpus/real when present. Measured, each scan a fresh process:

  1. files/s of a first scan with 1 and with 2 workers (target: >= 200 with 2 on 2 cores);
  2. a second scan of the unchanged tree against the first (target: under a third);
  3. the scanning process's own peak memory (its workers excluded) on 10 000 files.

    python benchmarks/scan.py [--files 2000] [--large 10000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache" / "scan"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"
QUIET = {
    **os.environ,
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "tensorflow"),
}

BUILD = """
import sys
from pathlib import Path
import keras, tf_keras

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)

def dense_stack(k, width, depth, name):
    inputs = k.Input(shape=(width,), name="x")
    x = inputs
    for i in range(depth):
        x = k.layers.Dense(width + i, activation="relu", name=f"d{i}")(x)
    return k.Model(inputs, k.layers.Dense(2, name="out")(x), name=name)

def conv(k, filters, name):
    inputs = k.Input(shape=(16, 16, 3), name="image")
    x = k.layers.Conv2D(filters, 3, name="conv")(inputs)
    x = k.layers.BatchNormalization(name="bn")(x)
    x = k.layers.GlobalAveragePooling2D(name="pool")(x)
    return k.Model(inputs, k.layers.Dense(3, name="head")(x), name=name)

def recurrent(k, units, name):
    inputs = k.Input(shape=(5, 4), name="seq")
    x = k.layers.Bidirectional(k.layers.LSTM(units, name="lstm"), name="bi")(inputs)
    return k.Model(inputs, k.layers.Dense(1, name="y")(x), name=name)

count = 0
for i in range(6):
    for k, tag in ((keras, "k3"), (tf_keras, "tfk")):
        for model in (dense_stack(k, 4 + i, 2 + i % 3, f"mlp{i}"), conv(k, 2 + i, f"cnn{i}"), recurrent(k, 2 + i, f"rnn{i}")):
            if tag == "k3":
                model.save(out / f"{tag}_{model.name}.keras")
                model.save(out / f"{tag}_{model.name}.h5")
                count += 2
            else:
                model.save(out / f"{tag}_{model.name}.h5")
                count += 1
                if i < 2:
                    model.save(out / f"{tag}_{model.name}_savedmodel", save_format="tf")
                    count += 1
print(count)
"""

SCAN = """
import json, os, resource, sys, time
from kerascope.scan import ScanOptions, scan
started = time.perf_counter()
summary = scan([sys.argv[1]], sys.argv[2], ScanOptions(workers=int(sys.argv[3])))
elapsed = time.perf_counter() - started
me, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "seconds": elapsed,
    "models": summary.models,
    "read": summary.counts.read,
    "unchanged": summary.counts.unchanged,
    "errors": summary.counts.errors,
    "peak_rss_mib": me.ru_maxrss / 1024,
    "scanner_cpu": me.ru_utime + me.ru_stime,
    "workers_cpu": workers.ru_utime + workers.ru_stime,
    "load": os.getloadavg()[0],
}))
"""


def models() -> Path:
    """The small models Keras saved, built once."""
    folder = CACHE / "models"
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run([sys.executable, "-c", BUILD, str(folder)], check=True, env=QUIET)
        (folder / ".complete").touch()
    return folder


def registry(target: Path, files: int) -> int:
    """A tree of `files` model copies (each copy's bytes made distinct), plus the corpus; the copies made."""
    import h5py

    sources = sorted(p for p in models().iterdir() if not p.name.startswith("."))
    made = 0
    while made < files:
        source = sources[made % len(sources)]
        folder = target / f"team{made % 17:02}" / f"project{made % 101:03}"
        folder.mkdir(parents=True, exist_ok=True)
        copy = folder / f"{made:05}_{source.name}"
        if source.is_dir():
            shutil.copytree(source, copy)
            (copy / "assets").mkdir(exist_ok=True)
            (copy / "assets" / "copy.txt").write_text(str(made))
        elif source.suffix == ".keras":
            shutil.copy(source, copy)
            with zipfile.ZipFile(copy, "a") as archive:
                archive.comment = f"copy {made}".encode()
        else:
            shutil.copy(source, copy)
            with h5py.File(copy, "a") as handle:
                handle.attrs["copy"] = made
        made += 1
    if CORPUS.is_dir():
        shutil.copytree(CORPUS, target / "corpus")
    return made


def run_scan(tree: Path, catalog: Path, workers: int) -> dict:
    import json

    done = subprocess.run(
        [sys.executable, "-c", SCAN, str(tree), str(catalog), str(workers)],
        check=True,
        capture_output=True,
        text=True,
        env=QUIET,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--large", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kerascope-scan-bench-") as scratch:
        work = Path(scratch)
        started = time.perf_counter()
        entries = registry(work / "registry", args.files)
        print(f"registry: {entries:,} copies + the corpus ({time.perf_counter() - started:.1f} s to build)")
        first = {}
        for workers in (1, 2):
            catalog = work / f"first-{workers}.duckdb"
            result = run_scan(work / "registry", catalog, workers)
            first[workers] = result
            rate = result["models"] / result["seconds"]
            cpu = result["scanner_cpu"] + result["workers_cpu"]
            print(
                f"first scan, {workers} worker{'s' if workers > 1 else ''}: {result['models']:,} models "
                f"({result['errors']} unreadable) in {result['seconds']:.2f} s = {rate:,.0f} files/s; "
                f"CPU {result['scanner_cpu']:.1f} s scanner + {result['workers_cpu']:.1f} s workers "
                f"= {result['models'] / cpu:,.0f} files per CPU-second (load average {result['load']:.1f})"
            )
        again = run_scan(work / "registry", work / "first-2.duckdb", 2)
        ratio = again["seconds"] / first[2]["seconds"]
        print(
            f"second scan, unchanged tree: {again['seconds']:.2f} s ({again['unchanged']:,} unchanged, "
            f"{again['read']} read) = {ratio:.1%} of the first (target: < 33%)"
        )
        shutil.rmtree(work / "registry")
        entries = registry(work / "large", args.large)
        large = run_scan(work / "large", work / "large.duckdb", 2)
        print(
            f"{large['models']:,} models: {large['seconds']:.1f} s "
            f"({large['models'] / large['seconds']:,.0f} files/s), scanning process peak RSS "
            f"{large['peak_rss_mib']:.0f} MiB; first scan of {first[2]['models']:,}: "
            f"{first[2]['peak_rss_mib']:.0f} MiB"
        )


if __name__ == "__main__":
    main()
