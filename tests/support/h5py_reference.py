"""The HDF5 index as libhdf5 sees it, through h5py: the truth the pure-Python reader is
held to. It offers the same lookups as `kerascope.decoders.hdf5.H5Index` (the walk
is HDF5's own object and link visitors), so a reader can be run on either and the
two reports compared. Test code only: it trusts libhdf5 with the file.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import h5py
import numpy as np

from kerascope.model.records import Finding, WeightInfo
from kerascope.model.vocabulary import Code, Severity

_GROUP, _DATASET = h5py.h5o.TYPE_GROUP, h5py.h5o.TYPE_DATASET


def open_file(stream: Any, limits: Any) -> h5py.File:
    return h5py.File(stream, "r")


class ReferenceAttributes:
    """h5py's attributes, decoded as the reader decodes its own (no limits here)."""

    limit = 1 << 62

    def __init__(self, attrs: Any) -> None:
        self._attrs = attrs

    def __contains__(self, key: object) -> bool:
        return key in self._attrs

    def is_scalar(self, key: str) -> bool:
        return self._attrs.get_id(key).shape == ()

    def is_empty(self, key: str) -> bool:
        value = self._attrs[key]
        return isinstance(value, h5py.Empty) or (isinstance(value, np.ndarray) and value.size == 0)

    def nbytes(self, key: str) -> int:
        return 0

    def strings(self, key: str, allowance: Any) -> list[str] | None:
        value = self._attrs[key]
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in "SUO":
                return None
            return [_text(item) or "" for item in value.reshape(-1).tolist()]
        text = _text(value)
        return None if text is None else [text]


def _text(value: Any) -> str | None:
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8", errors="replace")
    return value if isinstance(value, str) else None


class ReferenceIndex:
    """Every hard-linked group and dataset below `top`, found by libhdf5's visitors."""

    def __init__(self, top: h5py.File, limits: Any, findings: list[Finding]) -> None:
        self.top = top
        self.limits = limits
        self.findings = findings
        self.kind: dict[str, int] = {"": _GROUP}
        self._children: dict[str, list[str]] = {"": []}
        self._at_address: dict[int, str] = {}
        self._aliases: dict[str, str] = {}
        self._walk()

    def _walk(self) -> None:
        """Level by level from the root, each group's links in libhdf5's name order,
        the first link to reach an object naming it (as the reader promises)."""
        seen = {h5py.h5o.get_info(self.top.id).addr}
        level = [""]
        while level:
            following = []
            for parent in level:
                group = self.top[parent] if parent else self.top
                for name in group:  # libhdf5 lists links by name
                    path = f"{parent}/{name}" if parent else name
                    if self._record_link(group, name, path, seen):
                        following.append(path)
            level = following

    def _record_link(self, group: Any, name: str, path: str, seen: set[int]) -> bool:
        """Record one link; whether the walk goes on into the group it leads to."""
        where = f"/{path}"
        info = group.id.links.get_info(name.encode())
        if info.type == h5py.h5l.TYPE_EXTERNAL:
            target = group.get(name, getlink=True)
            self.flag(Code.H5_EXTERNAL_LINK, where, f"external link to {target.filename}:{target.path}")
        elif info.type == h5py.h5l.TYPE_SOFT:
            self.flag(Code.H5_SOFT_LINK, where, f"soft link to {group.get(name, getlink=True).path}")
        elif info.type != h5py.h5l.TYPE_HARD:
            self.flag(Code.H5_LINK_NOT_FOLLOWED, where, "a user-defined link")
        else:
            target = h5py.h5o.get_info(group.id, name.encode())
            if target.addr in seen:
                self.flag(
                    Code.H5_REPEATED_OBJECT, where, "a second hard link to an object (or a cycle); read once"
                )
                canonical = self._at_address.get(target.addr)
                if canonical is not None and not (canonical + "/").startswith(path + "/"):
                    self._aliases[path] = canonical
                return False
            seen.add(target.addr)
            if target.type in (_GROUP, _DATASET):
                self.kind[path] = target.type
                self._at_address[target.addr] = path
                parent = path.rpartition("/")[0]
                self._children.setdefault(parent, []).append(name)
            if target.type == _GROUP:
                self._children.setdefault(path, [])
                return True
        return False

    def _resolve(self, path: str) -> str:
        if path in self.kind:
            return path
        for alias, canonical in self._aliases.items():
            if path == alias or path.startswith(alias + "/"):
                return canonical + path[len(alias) :]
        return path

    def is_group(self, path: str) -> bool:
        return self.kind.get(self._resolve(path)) == _GROUP

    def is_dataset(self, path: str) -> bool:
        return self.kind.get(self._resolve(path)) == _DATASET

    def children(self, path: str) -> list[str]:
        return self._children.get(self._resolve(path), [])

    def attrs(self, path: str) -> ReferenceAttributes:
        return ReferenceAttributes(self.top[path].attrs if path else self.top.attrs)

    def address(self, path: str) -> int:
        """Where libhdf5 says the object's header is (what a weight's values are found from)."""
        return h5py.h5o.get_info(self.top.id, self._resolve(path).encode("utf-8")).addr

    def weight(self, path: str, name: str | None) -> WeightInfo:
        dataset = h5py.h5d.open(self.top.id, path.encode("utf-8"))
        where = f"/{path}"
        plist = dataset.get_create_plist()
        if plist.get_layout() == h5py.h5d.VIRTUAL:
            self.flag(Code.H5_VIRTUAL_DATASET, where, "virtual dataset (its data lives in other files)")
        if plist.get_external_count():
            self.flag(Code.H5_EXTERNAL_STORAGE, where, "dataset stored in external raw files")
        shape = [int(d) for d in dataset.shape] if dataset.shape is not None else []
        declared = math.prod(shape) * dataset.dtype.itemsize
        stored = dataset.get_storage_size()
        if declared > 1 << 20 and declared > max(stored, 1) * self.limits.max_compression_ratio:
            self.flag(
                Code.H5_DATASET_SIZE_MISMATCH, where, f"declares {declared:,} bytes but stores {stored:,}"
            )
        dtype = dataset.dtype
        declared_dtype = None
        if h5py.h5a.get_num_attrs(dataset):
            attrs = self.attrs(path)
            if "dtype" in attrs and attrs.is_scalar("dtype"):
                declared_dtype = (attrs.strings("dtype", None) or [None])[0]
        name_of_type = dtype.name if dtype.kind != "V" else str(dtype)
        return WeightInfo(name=name, shape=shape, dtype=declared_dtype or name_of_type)

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


@contextmanager
def reading_with_h5py() -> Iterator[None]:
    """The readers, inside the block, index HDF5 through h5py instead of their own reader."""
    from kerascope.readers import weight_stores
    from kerascope.readers.formats import hdf5 as legacy_h5

    saved = [(module, module.open_file, module.H5Index) for module in (weight_stores, legacy_h5)]
    for module, _, _ in saved:
        module.open_file, module.H5Index = open_file, ReferenceIndex  # type: ignore[assignment]
    try:
        yield
    finally:
        for module, opener, index in saved:
            module.open_file, module.H5Index = opener, index  # type: ignore[assignment]
