"""TensorFlow ops that let a SavedModel's graph reach outside itself: run Python,
or read or write files. Listed here, once, with the reason for each.

A loaded SavedModel runs its graph's ops when a signature or restored function
is called (TF Serving calls them on every request). Most ops only compute; the
ones below open, list, map or write paths, or call back into the Python process.
Checkpoint ops (`SaveV2`, `RestoreV2`, ...) are in every SavedModel: its saver
runs them on `variables/`. They are reported only where something other than
the saver can run them, since a signature that can write a checkpoint can write
any file it is handed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kerascope.model.records import Finding
from kerascope.model.vocabulary import Code, Severity
from kerascope.readers._io.saved_model_proto import OpSite

_PYTHON = "calls a Python function of the process that runs it (tf.py_function / tf.numpy_function)"
_READS = "reads the files its inputs name"
_WRITES = "writes files at the paths its inputs name"
_DATASET_READS = "a tf.data dataset that reads the files its inputs name"
_DATASET_WRITES = "a tf.data dataset that writes files at the path its inputs name"
_READER = "a queue reader that reads the files its queue names"

# Always reported: op -> (severity, why).
UNSAFE_OPS: dict[str, tuple[Severity, str]] = {
    "PyFunc": (Severity.ERROR, _PYTHON),
    "PyFuncStateless": (Severity.ERROR, _PYTHON),
    "EagerPyFunc": (Severity.ERROR, _PYTHON),
    "ReadFile": (Severity.ERROR, "reads the whole file its input names (tf.io.read_file)"),
    "WriteFile": (Severity.ERROR, "writes its input to the file its input names (tf.io.write_file)"),
    "MatchingFiles": (Severity.ERROR, "lists the files matching a pattern (tf.io.matching_files)"),
    "ImmutableConst": (Severity.ERROR, "memory-maps the file its memory_region_name attribute names"),
    "LoadAndRemapMatrix": (Severity.ERROR, "reads a checkpoint file its input names"),
    "GenerateVocabRemapping": (Severity.ERROR, "reads the vocabulary files its inputs name"),
    "FileSystemSetConfiguration": (Severity.ERROR, "changes a file system's configuration"),
    "TextLineDataset": (Severity.ERROR, _DATASET_READS),
    "TFRecordDataset": (Severity.ERROR, _DATASET_READS),
    "TFRecordDatasetV2": (Severity.ERROR, _DATASET_READS),
    "FixedLengthRecordDataset": (Severity.ERROR, _DATASET_READS),
    "FixedLengthRecordDatasetV2": (Severity.ERROR, _DATASET_READS),
    "CSVDataset": (Severity.ERROR, _DATASET_READS),
    "CSVDatasetV2": (Severity.ERROR, _DATASET_READS),
    "ExperimentalCSVDataset": (Severity.ERROR, _DATASET_READS),
    "LMDBDataset": (Severity.ERROR, _DATASET_READS),
    "ExperimentalLMDBDataset": (Severity.ERROR, _DATASET_READS),
    "SqlDataset": (Severity.ERROR, "a tf.data dataset that opens the SQLite database its input names"),
    "ExperimentalSqlDataset": (
        Severity.ERROR,
        "a tf.data dataset that opens the SQLite database its input names",
    ),
    "MatchingFilesDataset": (Severity.ERROR, "a tf.data dataset listing the files matching a pattern"),
    "ExperimentalMatchingFilesDataset": (
        Severity.ERROR,
        "a tf.data dataset listing the files matching a pattern",
    ),
    "LoadDataset": (Severity.ERROR, _DATASET_READS),
    "SnapshotChunkDataset": (Severity.ERROR, _DATASET_READS),
    "SnapshotNestedDatasetReader": (Severity.ERROR, _DATASET_READS),
    "ListSnapshotChunksDataset": (Severity.ERROR, _DATASET_READS),
    "SaveDataset": (Severity.ERROR, _DATASET_WRITES),
    "SaveDatasetV2": (Severity.ERROR, _DATASET_WRITES),
    "SnapshotDataset": (Severity.ERROR, _DATASET_WRITES),
    "SnapshotDatasetV2": (Severity.ERROR, _DATASET_WRITES),
    "DistributedSave": (Severity.ERROR, _DATASET_WRITES),
    "DatasetToTFRecord": (Severity.ERROR, _DATASET_WRITES),
    "ExperimentalDatasetToTFRecord": (Severity.ERROR, _DATASET_WRITES),
    "WholeFileReader": (Severity.ERROR, _READER),
    "WholeFileReaderV2": (Severity.ERROR, _READER),
    "TextLineReader": (Severity.ERROR, _READER),
    "TextLineReaderV2": (Severity.ERROR, _READER),
    "TFRecordReader": (Severity.ERROR, _READER),
    "TFRecordReaderV2": (Severity.ERROR, _READER),
    "FixedLengthRecordReader": (Severity.ERROR, _READER),
    "FixedLengthRecordReaderV2": (Severity.ERROR, _READER),
    "LMDBReader": (Severity.ERROR, _READER),
    "CreateSummaryFileWriter": (
        Severity.ERROR,
        "writes summary event files into the directory its input names",
    ),
    "CreateSummaryDbWriter": (Severity.ERROR, "writes summaries into the SQLite database its input names"),
    "DebugIdentity": (Severity.ERROR, "dumps tensors to the debug_urls it names (file:// paths)"),
    "DebugIdentityV2": (Severity.ERROR, "dumps tensors into the dump_root directory it names"),
    "DebugIdentityV3": (Severity.ERROR, "dumps tensors to the debug_urls it names (file:// paths)"),
    "DebugNanCount": (Severity.ERROR, "dumps tensors to the debug_urls it names (file:// paths)"),
    "DebugNumericSummary": (Severity.ERROR, "dumps tensors to the debug_urls it names (file:// paths)"),
    "CacheDataset": (
        Severity.WARNING,
        "a tf.data cache that writes files at the path its input names, unless empty",
    ),
    "CacheDatasetV2": (
        Severity.WARNING,
        "a tf.data cache that writes files at the path its input names, unless empty",
    ),
    "InitializeTableFromTextFile": (
        Severity.WARNING,
        "fills a lookup table from the text file its input names (normally a vocabulary in assets/)",
    ),
    "InitializeTableFromTextFileV2": (
        Severity.WARNING,
        "fills a lookup table from the text file its input names (normally a vocabulary in assets/)",
    ),
}
# Reported where something other than the checkpoint saver can run them.
CHECKPOINT_OPS: dict[str, str] = {
    "Save": "writes a checkpoint at the path its input names",
    "SaveSlices": "writes a checkpoint at the path its input names",
    "SaveV2": "writes a checkpoint at the path its input names",
    "MergeV2Checkpoints": "merges and deletes checkpoint files at the paths its inputs name",
    "Restore": "reads the checkpoint file its input names",
    "RestoreSlice": "reads the checkpoint file its input names",
    "RestoreV2": "reads the checkpoint file its input names",
}


def _names_a_file(prefix: str) -> Callable[[bytes], bool]:
    return lambda value: value.startswith(prefix.encode())


def _not_inline(value: bytes) -> bool:
    return not value.startswith((b"local://", b"bytes://"))


# Reported when a string attribute says so: op -> (attribute, test, why).
ATTRIBUTE_RULES: dict[str, tuple[str, Callable[[bytes], bool], str]] = {
    "PrintV2": ("output_stream", _names_a_file("file://"), "prints into the file its output_stream names"),
    "DecodeProtoV2": ("descriptor_source", _not_inline, "reads protobuf descriptors from the file it names"),
    "EncodeProto": ("descriptor_source", _not_inline, "reads protobuf descriptors from the file it names"),
}
WATCHED_OPS = frozenset(UNSAFE_OPS) | frozenset(CHECKPOINT_OPS) | frozenset(ATTRIBUTE_RULES)
_HINT = "do not serve or call this SavedModel unless you trust its source"
_SHOWN_PLACES = 3


def unsafe_op_findings(sites: Iterable[OpSite]) -> list[Finding]:
    """One finding per unsafe op, naming where it runs (the graph, or its functions)."""
    places: dict[str, list[str]] = {}
    reasons: dict[str, tuple[Severity, str]] = {}
    for site in sites:
        verdict = _verdict(site)
        if verdict is None:
            continue
        reasons.setdefault(site.op, verdict)
        where = "the graph" if site.function is None else f"function {site.function}"
        listed = places.setdefault(site.op, [])
        if where not in listed:
            listed.append(where)
    findings = []
    for op in sorted(places):
        severity, reason = reasons[op]
        shown = ", ".join(places[op][:_SHOWN_PLACES])
        more = len(places[op]) - _SHOWN_PLACES
        findings.append(
            Finding(
                code=Code.SAVEDMODEL_UNSAFE_OP,
                severity=severity,
                path=None,
                message=f"graph op {op} {reason}; in {shown}{f' and {more} more' if more > 0 else ''}",
                hint=_HINT,
            )
        )
    return findings


def _verdict(site: OpSite) -> tuple[Severity, str] | None:
    if site.op in UNSAFE_OPS:
        return UNSAFE_OPS[site.op]
    if site.op in CHECKPOINT_OPS:
        return (
            None
            if site.in_saver
            else (Severity.ERROR, f"{CHECKPOINT_OPS[site.op]}, outside the checkpoint saver")
        )
    if site.op in ATTRIBUTE_RULES:
        attribute, test, reason = ATTRIBUTE_RULES[site.op]
        value = site.attrs.get(attribute)
        if value is not None and test(value):
            return Severity.ERROR, reason
    return None
