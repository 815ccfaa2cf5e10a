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

from kerascope.decoders.saved_model_proto import OpSite
from kerascope.model.findings import finding
from kerascope.model.records import Finding
from kerascope.model.vocabulary import Code

_PYTHON = "calls a Python function of the process that runs it (tf.py_function / tf.numpy_function)"
_READS = "reads the files its inputs name"
_WRITES = "writes files at the paths its inputs name"
_DATASET_READS = "a tf.data dataset that reads the files its inputs name"
_DATASET_WRITES = "a tf.data dataset that writes files at the path its inputs name"
_READER = "a queue reader that reads the files its queue names"

# Always reported: op -> (finding code, why).
UNSAFE, FILE_OP = Code.SAVEDMODEL_UNSAFE_OP, Code.SAVEDMODEL_FILE_OP
UNSAFE_OPS: dict[str, tuple[Code, str]] = {
    "PyFunc": (UNSAFE, _PYTHON),
    "PyFuncStateless": (UNSAFE, _PYTHON),
    "EagerPyFunc": (UNSAFE, _PYTHON),
    "ReadFile": (UNSAFE, "reads the whole file its input names (tf.io.read_file)"),
    "WriteFile": (UNSAFE, "writes its input to the file its input names (tf.io.write_file)"),
    "MatchingFiles": (UNSAFE, "lists the files matching a pattern (tf.io.matching_files)"),
    "ImmutableConst": (UNSAFE, "memory-maps the file its memory_region_name attribute names"),
    "LoadAndRemapMatrix": (UNSAFE, "reads a checkpoint file its input names"),
    "GenerateVocabRemapping": (UNSAFE, "reads the vocabulary files its inputs name"),
    "FileSystemSetConfiguration": (UNSAFE, "changes a file system's configuration"),
    "TextLineDataset": (UNSAFE, _DATASET_READS),
    "TFRecordDataset": (UNSAFE, _DATASET_READS),
    "TFRecordDatasetV2": (UNSAFE, _DATASET_READS),
    "FixedLengthRecordDataset": (UNSAFE, _DATASET_READS),
    "FixedLengthRecordDatasetV2": (UNSAFE, _DATASET_READS),
    "CSVDataset": (UNSAFE, _DATASET_READS),
    "CSVDatasetV2": (UNSAFE, _DATASET_READS),
    "ExperimentalCSVDataset": (UNSAFE, _DATASET_READS),
    "LMDBDataset": (UNSAFE, _DATASET_READS),
    "ExperimentalLMDBDataset": (UNSAFE, _DATASET_READS),
    "SqlDataset": (UNSAFE, "a tf.data dataset that opens the SQLite database its input names"),
    "ExperimentalSqlDataset": (
        UNSAFE,
        "a tf.data dataset that opens the SQLite database its input names",
    ),
    "MatchingFilesDataset": (UNSAFE, "a tf.data dataset listing the files matching a pattern"),
    "ExperimentalMatchingFilesDataset": (
        UNSAFE,
        "a tf.data dataset listing the files matching a pattern",
    ),
    "LoadDataset": (UNSAFE, _DATASET_READS),
    "SnapshotChunkDataset": (UNSAFE, _DATASET_READS),
    "SnapshotNestedDatasetReader": (UNSAFE, _DATASET_READS),
    "ListSnapshotChunksDataset": (UNSAFE, _DATASET_READS),
    "SaveDataset": (UNSAFE, _DATASET_WRITES),
    "SaveDatasetV2": (UNSAFE, _DATASET_WRITES),
    "SnapshotDataset": (UNSAFE, _DATASET_WRITES),
    "SnapshotDatasetV2": (UNSAFE, _DATASET_WRITES),
    "DistributedSave": (UNSAFE, _DATASET_WRITES),
    "DatasetToTFRecord": (UNSAFE, _DATASET_WRITES),
    "ExperimentalDatasetToTFRecord": (UNSAFE, _DATASET_WRITES),
    "WholeFileReader": (UNSAFE, _READER),
    "WholeFileReaderV2": (UNSAFE, _READER),
    "TextLineReader": (UNSAFE, _READER),
    "TextLineReaderV2": (UNSAFE, _READER),
    "TFRecordReader": (UNSAFE, _READER),
    "TFRecordReaderV2": (UNSAFE, _READER),
    "FixedLengthRecordReader": (UNSAFE, _READER),
    "FixedLengthRecordReaderV2": (UNSAFE, _READER),
    "LMDBReader": (UNSAFE, _READER),
    "CreateSummaryFileWriter": (
        UNSAFE,
        "writes summary event files into the directory its input names",
    ),
    "CreateSummaryDbWriter": (UNSAFE, "writes summaries into the SQLite database its input names"),
    "DebugIdentity": (UNSAFE, "dumps tensors to the debug_urls it names (file:// paths)"),
    "DebugIdentityV2": (UNSAFE, "dumps tensors into the dump_root directory it names"),
    "DebugIdentityV3": (UNSAFE, "dumps tensors to the debug_urls it names (file:// paths)"),
    "DebugNanCount": (UNSAFE, "dumps tensors to the debug_urls it names (file:// paths)"),
    "DebugNumericSummary": (UNSAFE, "dumps tensors to the debug_urls it names (file:// paths)"),
    "CacheDataset": (
        FILE_OP,
        "a tf.data cache that writes files at the path its input names, unless empty",
    ),
    "CacheDatasetV2": (
        FILE_OP,
        "a tf.data cache that writes files at the path its input names, unless empty",
    ),
    "InitializeTableFromTextFile": (
        FILE_OP,
        "fills a lookup table from the text file its input names (normally a vocabulary in assets/)",
    ),
    "InitializeTableFromTextFileV2": (
        FILE_OP,
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
_SHOWN_PLACES = 3


def unsafe_op_findings(sites: Iterable[OpSite]) -> list[Finding]:
    """One finding per unsafe op, naming where it runs (the graph, or its functions)."""
    places: dict[str, list[str]] = {}
    reasons: dict[str, tuple[Code, str]] = {}
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
        code, reason = reasons[op]
        shown = ", ".join(places[op][:_SHOWN_PLACES])
        more = len(places[op]) - _SHOWN_PLACES
        findings.append(
            finding(
                code, None, f"graph op {op} {reason}; in {shown}{f' and {more} more' if more > 0 else ''}"
            )
        )
    return findings


def _verdict(site: OpSite) -> tuple[Code, str] | None:
    if site.op in UNSAFE_OPS:
        return UNSAFE_OPS[site.op]
    if site.op in CHECKPOINT_OPS:
        return None if site.in_saver else (UNSAFE, f"{CHECKPOINT_OPS[site.op]}, outside the checkpoint saver")
    if site.op in ATTRIBUTE_RULES:
        attribute, test, reason = ATTRIBUTE_RULES[site.op]
        value = site.attrs.get(attribute)
        if value is not None and test(value):
            return UNSAFE, reason
    return None
