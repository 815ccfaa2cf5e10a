"""Reading HDF5 structure without trusting it.

Only hard links are followed: soft and external links, external storage and
virtual datasets are reported as findings and never resolved (CVE-2026-1669).
Each object is visited once (hard links can form cycles), the number of objects
is bounded, and datasets are described by their metadata only: no weight value
is ever read.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import h5py
import numpy as np

from kerascope.report import Finding, WeightInfo
from kerascope.sources.limits import LimitExceeded, Limits

_TEXT_ATTR_LIMIT = 64 * 1024 * 1024


class H5Walker:
    """Hands out the hard-linked children of groups, once each, within limits."""

    def __init__(self, limits: Limits, findings: list[Finding]) -> None:
        self.limits = limits
        self.findings = findings
        self._seen: set[int] = set()
        self._count = 0

    def children(self, group: h5py.Group) -> Iterator[tuple[str, Any]]:
        """(name, object) for each hard-linked child not visited before."""
        for name in group:
            self._count += 1
            if self._count > self.limits.max_h5_objects:
                raise LimitExceeded(
                    f"more than {self.limits.max_h5_objects:,} HDF5 objects (the object limit)"
                )
            link = group.get(name, getlink=True)
            where = f"{group.name.rstrip('/')}/{name}"
            if isinstance(link, h5py.ExternalLink):
                self._flag("H5_EXTERNAL_LINK", where, f"external link to {link.filename}:{link.path}")
                continue
            if isinstance(link, h5py.SoftLink):
                self._flag("H5_SOFT_LINK", where, f"soft link to {link.path}")
                continue
            kind = group.get(name, getclass=True)
            if kind not in (h5py.Group, h5py.Dataset):
                continue
            obj = group[name]
            key = hash(obj.id)
            if key in self._seen:
                self._flag(
                    "H5_REPEATED_OBJECT", where, "an object linked from more than one place (or a cycle)"
                )
                continue
            self._seen.add(key)
            yield name, obj

    def child(self, group: h5py.Group, name: str) -> Any:
        """One hard-linked child by (possibly nested) name, or None."""
        obj = group
        for part in filter(None, name.split("/")):
            if not isinstance(obj, h5py.Group) or part not in obj:
                return None
            link = obj.get(part, getlink=True)
            if not isinstance(link, h5py.HardLink):
                self._flag(
                    "H5_LINK_NOT_FOLLOWED", f"{obj.name}/{part}", f"{type(link).__name__} not followed"
                )
                return None
            obj = obj[part]
        return obj

    def weight(self, dataset: h5py.Dataset, name: str | None) -> WeightInfo:
        """A dataset described from its metadata alone."""
        if dataset.is_virtual:
            self._flag("H5_VIRTUAL_DATASET", dataset.name, "virtual dataset (data lives in other files)")
        if dataset.external:
            self._flag("H5_EXTERNAL_STORAGE", dataset.name, "dataset stored in external raw files")
        declared = attr_text(dataset.attrs, "dtype")
        shape = [int(d) for d in dataset.shape] if dataset.shape is not None else []
        self._check_size(dataset, shape)
        return WeightInfo(name=name, shape=shape, dtype=declared or dataset.dtype.name)

    def _check_size(self, dataset: h5py.Dataset, shape: list[int]) -> None:
        """A dataset declaring far more data than the file could hold is a lie (CVE-2026-0897)."""
        declared = math.prod(shape) * dataset.dtype.itemsize
        stored = dataset.id.get_storage_size()
        if declared > 1 << 20 and declared > max(stored, 1) * self.limits.max_compression_ratio:
            self._flag(
                "H5_DATASET_SIZE_MISMATCH",
                dataset.name,
                f"declares {declared:,} bytes but stores {stored:,}",
            )

    def _flag(self, code: str, where: str, message: str) -> None:
        self.findings.append(
            Finding(
                code=code,
                severity="error",
                path=None,
                message=f"{where}: {message}",
                hint="do not load this file",
            )
        )


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
        return bytes(value[:_TEXT_ATTR_LIMIT]).decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value
    return None
