"""The catalog: one embedded DuckDB file with a row per model, per layer, per finding,
and, when a scan reads values (`--values`), per weight.

Rows arrive in batches, and each batch is one transaction: a model's row, its
layers and its findings are committed together or not at all, so an interrupted
or killed scan leaves every committed model whole and the next scan resumes from
there. A model read again has its old rows replaced in the same transaction.
Only the scanning process opens the file; workers never touch it.

`file_id` is derived from the path, so two scans of one tree (locally or on a
cluster) give the same keys.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kerascope.errors import KerascopeError, one_line
from kerascope.model.findings import finding
from kerascope.model.records import Finding
from kerascope.model.vocabulary import Code, Severity

SCHEMA_VERSION = "2"

# name, DuckDB type, Arrow type name (see _arrow_type)
FILES = (
    ("file_id", "VARCHAR PRIMARY KEY", "string"),
    ("path", "VARCHAR NOT NULL", "string"),
    ("root", "VARCHAR", "string"),
    ("kind", "VARCHAR", "string"),
    ("is_dir", "BOOLEAN", "bool"),
    ("link_target", "VARCHAR", "string"),
    ("size", "BIGINT", "int64"),
    ("mtime", "TIMESTAMPTZ", "timestamp"),
    ("sha256", "VARCHAR", "string"),
    ("format", "VARCHAR", "string"),
    ("keras_version", "VARCHAR", "string"),
    ("backend", "VARCHAR", "string"),
    ("model_name", "VARCHAR", "string"),
    ("root_class", "VARCHAR", "string"),
    ("layer_count", "INTEGER", "int32"),
    ("param_count", "BIGINT", "int64"),
    ("flops", "BIGINT", "int64"),
    ("classes", "VARCHAR[]", "strings"),
    ("custom_classes", "VARCHAR[]", "strings"),
    ("finding_count", "INTEGER", "int32"),
    ("worst_severity", "VARCHAR", "string"),
    ("error", "VARCHAR", "string"),
    ("bytes_read", "BIGINT", "int64"),
    ("seconds", "DOUBLE", "float64"),
    ("scanned_at", "TIMESTAMPTZ", "timestamp"),
    ("stat_key", "VARCHAR", "string"),
    ("settings_key", "VARCHAR", "string"),
)
LAYERS = (
    ("file_id", "VARCHAR NOT NULL", "string"),
    ("path", "VARCHAR NOT NULL", "string"),
    ("name", "VARCHAR", "string"),
    ("class_name", "VARCHAR", "string"),
    ("module", "VARCHAR", "string"),
    ("role", "VARCHAR", "string"),
    ("depth", "INTEGER", "int32"),
    ("params", "BIGINT", "int64"),
    ("output_shape", "VARCHAR", "string"),
    ("macs", "BIGINT", "int64"),
    ("flops", "BIGINT", "int64"),
    ("config", "VARCHAR", "string"),  # JSON text: json_extract(config, '$.units')
)
FINDINGS = (
    ("file_id", "VARCHAR NOT NULL", "string"),
    ("code", "VARCHAR NOT NULL", "string"),
    ("severity", "VARCHAR NOT NULL", "string"),
    ("path", "VARCHAR", "string"),
    ("message", "VARCHAR", "string"),
    ("hint", "VARCHAR", "string"),
    ("subject", "VARCHAR", "string"),
)
# One row per weight whose values were read (`scan --values`): where it is, what it
# is, and its statistics (`WeightInfo.stats`; min and max as DOUBLE whatever its type).
WEIGHTS = (
    ("file_id", "VARCHAR NOT NULL", "string"),
    ("layer", "VARCHAR NOT NULL", "string"),
    ("weight", "VARCHAR", "string"),
    ("position", "INTEGER", "int32"),
    ("shape", "VARCHAR", "string"),
    ("dtype", "VARCHAR", "string"),
    ("count", "BIGINT", "int64"),
    ("min", "DOUBLE", "float64"),
    ("max", "DOUBLE", "float64"),
    ("mean", "DOUBLE", "float64"),
    ("std", "DOUBLE", "float64"),
    ("nan", "BIGINT", "int64"),
    ("inf", "BIGINT", "int64"),
    ("zeros", "BIGINT", "int64"),
)
TABLES = {"files": FILES, "layers": LAYERS, "findings": FINDINGS, "weights": WEIGHTS}
# The tables of a model's own rows, replaced together when it is read again.
MODEL_TABLES = ("layers", "findings", "weights")
# Columns that measure a run rather than describe a model.
TIMING_COLUMNS = ("seconds", "scanned_at", "bytes_read")


@dataclass
class Known:
    """What the catalog already holds for a path."""

    stat_key: str | None
    settings_key: str | None
    sha256: str | None
    failed: bool


@dataclass
class Batch:
    """Rows to commit together: whole models (replacing the catalogued rows of
    `replaced`), models whose content was unchanged, and every entry seen."""

    files: list[dict[str, Any]]
    layers: list[list[Any]]
    findings: list[list[Any]]
    touched: list[dict[str, Any]]
    replaced: list[str]
    seen: list[str]
    weights: list[list[Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.files) + len(self.touched)


def new_batch() -> Batch:
    return Batch([], [], [], [], [], [])


class Catalog:
    """An open catalog file; one writer at a time (DuckDB locks the file)."""

    def __init__(self, path: str | os.PathLike[str], read_only: bool = False) -> None:
        try:
            import duckdb
            import pyarrow  # noqa: F401 - batches reach DuckDB as Arrow tables
        except ImportError as missing:
            raise KerascopeError(
                f"the catalog needs {missing.name}: pip install 'kerascope[catalog]'"
            ) from None

        self.path = Path(path)
        if not read_only:
            self._refuse_foreign(duckdb)
        try:
            self._db = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as error:
            raise KerascopeError(f"{self.path}: cannot open the catalog ({one_line(str(error))})") from None
        self._db.execute("SET threads = 1")  # the cores belong to the workers
        if not read_only:
            self._create()
        self._check_schema()
        if not read_only:
            self._db.execute("CREATE OR REPLACE TEMP TABLE seen (file_id VARCHAR)")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------
    def known(self, file_ids: Sequence[str]) -> dict[str, Known]:
        rows = self._db.execute(
            "SELECT file_id, stat_key, settings_key, sha256, error IS NOT NULL FROM files "
            "WHERE file_id IN (SELECT unnest(?::VARCHAR[]))",
            [list(file_ids)],
        ).fetchall()
        return {row[0]: Known(*row[1:]) for row in rows}

    def commit(self, batch: Batch) -> None:
        """Every row of `batch`, in one transaction; old rows of the same models replaced."""
        fit_numbers(batch)
        tables = {
            "incoming_files": _arrow(FILES, batch.files),
            "incoming_layers": _arrow(LAYERS, batch.layers),
            "incoming_findings": _arrow(FINDINGS, batch.findings),
            "incoming_weights": _arrow(WEIGHTS, batch.weights),
            "incoming_touched": _arrow(_TOUCHED, batch.touched),
            "incoming_replaced": _arrow(_IDS, [[file_id] for file_id in batch.replaced]),
            "incoming_seen": _arrow(_IDS, [[file_id] for file_id in batch.seen]),
        }
        for name, table in tables.items():
            self._db.register(name, table)
        try:
            with self._transaction():
                if batch.replaced:
                    for table in (*MODEL_TABLES, "files"):
                        self._db.execute(
                            f"DELETE FROM {table} WHERE file_id IN (SELECT file_id FROM incoming_replaced)"
                        )
                for table, rows in (
                    ("files", batch.files),
                    ("layers", batch.layers),
                    ("findings", batch.findings),
                    ("weights", batch.weights),
                ):
                    if rows:
                        self._db.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming_{table}")
                if batch.touched:
                    self._db.execute(
                        "UPDATE files SET size = t.size, mtime = t.mtime, stat_key = t.stat_key, root = t.root "
                        "FROM incoming_touched t WHERE files.file_id = t.file_id"
                    )
            self._db.execute("INSERT INTO seen SELECT file_id FROM incoming_seen")
        finally:
            for name in tables:
                self._db.unregister(name)

    def prune(self, root: str) -> int:
        """Forget models under `root` that this scan did not see (deleted or moved away)."""
        scope, parameters = in_scope([root])
        with self._transaction():
            gone = f"SELECT file_id FROM files WHERE {scope} AND file_id NOT IN (SELECT file_id FROM seen)"
            count = self._db.execute(f"SELECT count(*) FROM ({gone})", parameters).fetchone()[0]
            for table in MODEL_TABLES:
                self._db.execute(f"DELETE FROM {table} WHERE file_id IN ({gone})", parameters)
            self._db.execute(f"DELETE FROM files WHERE file_id IN ({gone})", parameters)
        return count

    # -- reading ---------------------------------------------------------------------
    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._db.execute(sql, list(parameters)).fetchall()

    def export_parquet(self, folder: str | os.PathLike[str]) -> list[Path]:
        """Each table as `folder/TABLE.parquet`, ordered by path; each file replaced whole."""
        target = Path(folder)
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise KerascopeError(f"{folder}: cannot write there ({error.strerror})") from None
        written = []
        for table in TABLES:
            final = target / f"{table}.parquet"
            partial = target / f".{table}.parquet.partial"
            order = {"files": "path", "weights": "file_id, layer, position"}.get(table, "file_id, path")
            quoted = str(partial).replace("'", "''")
            self._db.execute(f"COPY (SELECT * FROM {table} ORDER BY {order}) TO '{quoted}' (FORMAT parquet)")
            os.replace(partial, final)
            written.append(final)
        return written

    # -- set-up ----------------------------------------------------------------------
    def _create(self) -> None:
        with self._transaction():
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS catalog_info (key VARCHAR PRIMARY KEY, value VARCHAR)"
            )
            self._db.execute(
                "INSERT INTO catalog_info VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
                [SCHEMA_VERSION],
            )
            for table, columns in TABLES.items():
                body = ", ".join(f"{name} {kind}" for name, kind, _ in columns)
                self._db.execute(f"CREATE TABLE IF NOT EXISTS {table} ({body})")

    def _refuse_foreign(self, duckdb: Any) -> None:
        """An existing database is judged in a read-only open before anything is written
        to it: one holding tables but no kerascope catalog is someone else's, and is left
        as it was."""
        if not self.path.exists():
            return
        try:
            existing = duckdb.connect(str(self.path), read_only=True)
        except duckdb.Error as error:
            raise KerascopeError(f"{self.path}: cannot open the catalog ({one_line(str(error))})") from None
        try:
            tables = existing.execute("SELECT count(*) FROM information_schema.tables").fetchone()[0]
            if tables and not _is_catalog(existing):
                raise self._not_ours()
        finally:
            existing.close()

    def _check_schema(self) -> None:
        if not _is_catalog(self._db):
            raise self._not_ours()

    def _not_ours(self) -> KerascopeError:
        return KerascopeError(
            f"{self.path}: not a kerascope catalog of schema {SCHEMA_VERSION}; scan into a new file"
        )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


_TOUCHED = (
    ("file_id", "", "string"),
    ("root", "", "string"),
    ("size", "", "int64"),
    ("mtime", "", "timestamp"),
    ("stat_key", "", "string"),
)
_IDS = (("file_id", "", "string"),)


def _is_catalog(db: Any) -> bool:
    """Whether an open database is a kerascope catalog of this schema."""
    try:
        found = db.execute("SELECT value FROM catalog_info WHERE key = 'schema_version'").fetchone()
    except Exception:  # noqa: BLE001 - any failure here means the file is no catalog of ours
        return False
    return found is not None and found[0] == SCHEMA_VERSION


# The integers each Arrow type holds (timestamps are microseconds in an int64).
_INTEGER_RANGES = {
    "int32": (-(1 << 31), (1 << 31) - 1),
    "int64": (-(1 << 63), (1 << 63) - 1),
    "timestamp": (-(1 << 63), (1 << 63) - 1),
}


def fit_numbers(batch: Batch) -> None:
    """Numbers a file made larger than their catalog column holds (a layer declaring 2^80
    parameters) are stored as NULL, each with a SHAPE_OUT_OF_RANGE finding that holds
    the number as text: one file never fails the commit of a batch."""
    found: dict[str, list[Finding]] = {}
    for row in batch.files:
        for name, _, kind in FILES:
            if _beyond(row.get(name), kind):
                found.setdefault(row["file_id"], []).append(_too_large(None, name, row[name], kind))
                row[name] = None
    for layer in batch.layers:
        for index, (name, _, kind) in enumerate(LAYERS):
            if _beyond(layer[index], kind):
                found.setdefault(layer[0], []).append(_too_large(layer[1], name, layer[index], kind))
                layer[index] = None
    for row in batch.files:
        added = found.get(row["file_id"], [])
        if not added:
            continue
        batch.findings += [
            [row["file_id"], f.code.value, f.severity.value, f.path, f.message, f.hint, f.subject]
            for f in added
        ]
        severities = [finding.severity for finding in added]
        if row.get("worst_severity"):
            severities.append(Severity(row["worst_severity"]))
        row["finding_count"] = (row.get("finding_count") or 0) + len(added)
        row["worst_severity"] = max(severities, key=lambda severity: severity.rank).value


def _beyond(value: Any, kind: str) -> bool:
    bounds = _INTEGER_RANGES.get(kind)
    return bounds is not None and isinstance(value, int) and not bounds[0] <= value <= bounds[1]


def _too_large(path: str | None, column: str, value: int, kind: str) -> Finding:
    return finding(
        Code.SHAPE_OUT_OF_RANGE,
        path,
        f"{column} is {value:,}, more than the catalog's {kind} column holds: stored as NULL",
    )


def in_scope(roots: Sequence[str], column: str = "path") -> tuple[str, list[str]]:
    """A SQL condition on `column` (the files' path) for rows at or under any of `roots`, and its parameters."""
    parts, parameters = [], []
    for root in roots:
        parts.append(f"({column} = ? OR starts_with({column}, ?))")
        parameters += [root, root.rstrip("/") + "/"]
    return "(" + " OR ".join(parts or ["FALSE"]) + ")", parameters


def _arrow(columns: Sequence[tuple[str, str, str]], rows: Sequence[Any]) -> Any:
    """An Arrow table of `rows` (dicts by column name, or lists in column order)."""
    import pyarrow as pa

    names = [name for name, _, _ in columns]
    if rows and isinstance(rows[0], dict):
        values = [[row.get(name) for row in rows] for name in names]
    else:
        values = [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in names]
    return pa.table(
        {
            name: _column(data, _arrow_type(kind))
            for (name, _, kind), data in zip(columns, values, strict=True)
        }
    )


def _column(values: list[Any], kind: Any) -> Any:
    """An Arrow column; text that is not valid Unicode (a file name's undecodable
    bytes, kept by Python as lone surrogates) is stored with those bytes escaped."""
    import pyarrow as pa

    try:
        return pa.array(values, kind)
    except UnicodeEncodeError:
        return pa.array([_storable(value) for value in values], kind)


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


def _arrow_type(kind: str) -> Any:
    import pyarrow as pa

    return {
        "string": pa.string(),
        "bool": pa.bool_(),
        "int32": pa.int32(),
        "int64": pa.int64(),
        "float64": pa.float64(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "strings": pa.list_(pa.string()),
    }[kind]
