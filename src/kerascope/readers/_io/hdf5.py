"""Reading HDF5 structure without trusting it.

The file's structure is taken in two C-level passes (HDF5's own link and object
visitors), which visit each object once, so cycles end, and never resolve soft
or external links. Those links, external storage, virtual datasets and objects
linked from several places are reported as findings (CVE-2026-1669) and never
followed. After the passes every lookup is a dictionary read; datasets are
described from their metadata only, so no weight value is ever read.
"""

from __future__ import annotations

import math
from typing import Any

import h5py
import numpy as np

from kerascope.limits import LimitExceeded, Limits
from kerascope.model.records import Finding, WeightInfo
from kerascope.model.vocabulary import Code, Severity

_GROUP, _DATASET = h5py.h5o.TYPE_GROUP, h5py.h5o.TYPE_DATASET


class H5Index:
    """Every hard-linked group and dataset below `top`, by `/`-joined path."""

    def __init__(self, top: h5py.Group, limits: Limits, findings: list[Finding]) -> None:
        self.top = top
        self.limits = limits
        self.findings = findings
        self.kind: dict[str, int] = {"": _GROUP}
        self._children: dict[str, list[str]] = {"": []}
        self._at_address: dict[int, str] = {}
        self._aliases: dict[str, str] = {}
        self._count = 0
        self._visit_objects()
        self._visit_links()

    def _tick(self) -> None:
        self._count += 1
        if self._count > self.limits.max_h5_objects:
            raise LimitExceeded(f"more than {self.limits.max_h5_objects:,} HDF5 objects (the object limit)")

    def _visit_objects(self) -> None:
        def record(name: bytes, info: Any) -> None:
            self._tick()
            path = name.decode("utf-8", errors="replace")
            if path == "." or info.type not in (_GROUP, _DATASET):
                return
            self.kind[path] = info.type
            self._at_address[info.addr] = path
            parent, _, leaf = path.rpartition("/")
            self._children.setdefault(parent, []).append(leaf)
            if info.type == _GROUP:
                self._children.setdefault(path, [])

        h5py.h5o.visit(self.top.id, record, info=True)

    def _visit_links(self) -> None:
        def record(name: bytes, info: Any) -> None:
            self._tick()
            path = name.decode("utf-8", errors="replace")
            where = f"{self.top.name.rstrip('/')}/{path}"
            if info.type == h5py.h5l.TYPE_EXTERNAL:
                target = self.top.get(path, getlink=True)
                self.flag(Code.H5_EXTERNAL_LINK, where, f"external link to {target.filename}:{target.path}")
            elif info.type == h5py.h5l.TYPE_SOFT:
                self.flag(Code.H5_SOFT_LINK, where, f"soft link to {self.top.get(path, getlink=True).path}")
            elif info.type == h5py.h5l.TYPE_HARD and path not in self.kind:
                self._alias(path, where)
            elif info.type not in (h5py.h5l.TYPE_HARD,):
                self.flag(Code.H5_LINK_NOT_FOLLOWED, where, "a user-defined link")

        self.top.id.links.visit(record, info=True)

    def _alias(self, path: str, where: str) -> None:
        """A second hard link to an object the object pass reached by another name.

        Keras's own names are looked up through it (an attacker may link a layer's
        group elsewhere first); the object itself is still read once."""
        self.flag(Code.H5_REPEATED_OBJECT, where, "a second hard link to an object (or a cycle); read once")
        canonical = self._at_address.get(h5py.h5o.get_info(self.top.id, path.encode("utf-8")).addr)
        if canonical is not None and not (canonical + "/").startswith(path + "/"):
            self._aliases[path] = canonical

    def _resolve(self, path: str) -> str:
        if path in self.kind:
            return path
        for alias, canonical in self._aliases.items():
            if path == alias or path.startswith(alias + "/"):
                return canonical + path[len(alias) :]
        return path

    # -- lookups ----------------------------------------------------------------
    def is_group(self, path: str) -> bool:
        return self.kind.get(self._resolve(path)) == _GROUP

    def is_dataset(self, path: str) -> bool:
        return self.kind.get(self._resolve(path)) == _DATASET

    def children(self, path: str) -> list[str]:
        """Names of the hard-linked children of the group at `path`."""
        return self._children.get(self._resolve(path), [])

    def attrs(self, path: str) -> Any:
        return self.top[path].attrs if path else self.top.attrs

    def weight(self, path: str, name: str | None) -> WeightInfo:
        """A dataset described from its metadata alone."""
        dataset = h5py.h5d.open(self.top.id, path.encode("utf-8"))
        where = f"{self.top.name.rstrip('/')}/{path}"
        layout = dataset.get_create_plist()
        if layout.get_layout() == h5py.h5d.VIRTUAL:
            self.flag(Code.H5_VIRTUAL_DATASET, where, "virtual dataset (its data lives in other files)")
        if layout.get_external_count():
            self.flag(Code.H5_EXTERNAL_STORAGE, where, "dataset stored in external raw files")
        shape = [int(d) for d in dataset.shape] if dataset.shape is not None else []
        dtype = dataset.dtype
        declared = math.prod(shape) * dtype.itemsize
        stored = dataset.get_storage_size()
        if declared > 1 << 20 and declared > max(stored, 1) * self.limits.max_compression_ratio:
            self.flag(
                Code.H5_DATASET_SIZE_MISMATCH, where, f"declares {declared:,} bytes but stores {stored:,}"
            )
        declared_dtype = attr_text(self.top[path].attrs, "dtype") if h5py.h5a.get_num_attrs(dataset) else None
        return WeightInfo(name=name, shape=shape, dtype=declared_dtype or _dtype_name(dtype))

    def flag(self, code: Code, where: str, message: str) -> None:
        self.findings.append(
            Finding(
                code=code,
                severity=Severity.ERROR,
                path=None,
                message=f"{where}: {message}",
                hint="do not load this file",
            )
        )


def _dtype_name(dtype: np.dtype) -> str:
    return dtype.name if dtype.kind != "V" else str(dtype)


def join(parent: str, name: str) -> str:
    """An HDF5 path below `parent`; Keras sometimes writes names with `//` in them."""
    parts = [part for part in name.split("/") if part]
    return "/".join([parent, *parts]) if parent else "/".join(parts)


def attr_text(attrs: Any, key: str) -> str | None:
    """A string attribute, whichever way (bytes or str, fixed or variable length) it was written."""
    if key not in attrs:
        return None
    return _text(attrs[key])


def attr_list(attrs: Any, key: str) -> list[str] | None:
    """A list-of-names attribute; long lists were split by Keras into key0, key1, ..."""
    if key in attrs:
        return _texts(attrs[key])
    if f"{key}0" not in attrs:
        return None
    names: list[str] = []
    index = 0
    while f"{key}{index}" in attrs:
        names.extend(_texts(attrs[f"{key}{index}"]))
        index += 1
    return names


def _texts(value: Any) -> list[str]:
    if isinstance(value, np.ndarray):
        return [_text(item) or "" for item in value.reshape(-1).tolist()]
    if isinstance(value, (list, tuple)):
        return [_text(item) or "" for item in value]
    text = _text(value)
    return [] if text is None else [text]


def _text(value: Any) -> str | None:
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value
    return None
