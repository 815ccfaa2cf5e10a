"""Reading HDF5 structure without trusting it, in pure Python.

The HDF5 C library has looped forever and corrupted memory on malformed files;
here a file is decoded by pyfive and `hdf5_format`, which fail with an exception
instead, within `Limits`. The structure is taken in one walk from the root, level by
level (links in HDF5's name order within each group), that reads each object once, so
cycles end, and never resolves a soft or external link. Those links, external
storage, virtual datasets and objects linked from several places are reported as
findings (CVE-2026-1669) and never followed. After the walk every lookup is a
dictionary read; datasets are described from their metadata only (no weight
value is ever read), and attributes are read only when asked for.
"""

from __future__ import annotations

import math
from typing import IO

from kerascope.decoders.hdf5_attributes import Allowance, H5Attributes
from kerascope.decoders.hdf5_datasets import VIRTUAL, describe
from kerascope.decoders.hdf5_format import H5File, Link, LinkKind, ObjectHeader
from kerascope.decoders.paged import PagedFile
from kerascope.errors import KerascopeError
from kerascope.limits import LimitExceeded, Limits, check_time
from kerascope.model.findings import finding
from kerascope.model.records import Finding, WeightInfo
from kerascope.model.vocabulary import Code

GROUP, DATASET = "group", "dataset"
SIZE_MISMATCH_FLOOR = 1 << 20  # a dataset declaring less than this is never a bomb
FINDINGS_OF_A_KIND = 1000  # findings of one code listed per file


def open_file(stream: IO[bytes], limits: Limits) -> H5File:
    """The HDF5 file in `stream` (seekable; the caller closes it), read in pages within
    `limits`. Raises KerascopeError when its superblock cannot be read."""
    return H5File(PagedFile(stream, limits.max_h5_metadata_bytes, "the HDF5 metadata"), limits)


class H5Index:
    """Every hard-linked group and dataset below the root of `top`, by `/`-joined path."""

    def __init__(self, top: H5File, limits: Limits, findings: list[Finding]) -> None:
        self.top = top
        self.limits = limits
        self.findings = findings
        self.kind: dict[str, str] = {"": GROUP}
        self._children: dict[str, list[str]] = {"": []}
        self._headers: dict[str, ObjectHeader] = {}
        self._at_address: dict[int, str] = {}
        self._aliases: dict[str, str] = {}
        self._flagged: dict[Code, int] = {}
        # Each dataset's shape and dtype, described once: a load prediction and the
        # weights it attaches both ask for them.
        self._described: dict[str, tuple[list[int], str | None]] = {}
        self._count = 0
        self._walk()

    def _tick(self) -> None:
        self._count += 1
        if self._count > self.limits.max_h5_objects:
            raise LimitExceeded(
                f"more than {self.limits.max_h5_objects:,} HDF5 objects (the object limit)", "max_h5_objects"
            )

    def _walk(self) -> None:
        """Level by level from the root, links in name order, each object read once.

        A whole level is asked for at once (`prefetch_*`), so that a remote file is
        fetched in one batch of range requests per step, not one request per object."""
        self._tick()
        root = self._headers[""] = self.top.header(self.top.root)
        if not root.is_group:
            raise KerascopeError("malformed HDF5: the root object is not a group")
        seen = {root.address}
        level = [("", root)]
        depth = 0
        while level:
            depth += 1
            if depth > self.limits.max_h5_depth:
                raise LimitExceeded(
                    f"HDF5 groups nested deeper than {self.limits.max_h5_depth} (the HDF5 depth limit)",
                    "max_h5_depth",
                )
            self.top.prefetch_links([header for _, header in level])
            found = []
            for parent, header in level:
                for link in self.top.links(header, self._tick):
                    found.append((parent, link))
            self.top.prefetch_headers(
                [link.address for _, link in found if link.kind == LinkKind.HARD and link.address not in seen]
            )
            level = []
            for parent, link in found:
                child = self._visit(parent, link, seen)
                if child is not None:
                    level.append(child)

    def _visit(self, parent: str, link: Link, seen: set[int]) -> tuple[str, ObjectHeader] | None:
        """Record one link below `parent`; the group it leads to, if the walk goes on into it."""
        check_time()
        name = link.key.decode("utf-8", errors="replace")
        if not name or name == "." or "/" in name:  # names HDF5 itself refuses to create
            raise KerascopeError(f"malformed HDF5: a link named {name!r} in /{parent}")
        path = f"{parent}/{name}" if parent else name
        self.top.paged.charge(len(path))  # paths grow with depth: they count as metadata
        where = f"/{path}"
        if link.kind == LinkKind.EXTERNAL:
            self.flag(Code.H5_EXTERNAL_LINK, where, f"external link to {link.target}")
        elif link.kind == LinkKind.SOFT:
            self.flag(Code.H5_SOFT_LINK, where, f"soft link to {link.target}")
        elif link.kind == LinkKind.USER:
            self.flag(Code.H5_LINK_NOT_FOLLOWED, where, "a user-defined link")
        elif link.address in seen:
            self._alias(path, where, link.address)
        else:
            seen.add(link.address)
            self._tick()
            header = self.top.header(link.address)
            if header.is_group or header.is_dataset:
                self.kind[path] = GROUP if header.is_group else DATASET
                self._headers[path] = header
                self._at_address[link.address] = path
                self._children[parent].append(name)
            if header.is_group:
                self._children[path] = []
                return path, header
        return None

    def _alias(self, path: str, where: str, address: int) -> None:
        """A second hard link to an object the walk reached by another name.

        Keras's own names are looked up through it (an attacker may link a layer's
        group elsewhere first); the object itself is still read once."""
        self.flag(Code.H5_REPEATED_OBJECT, where, "a second hard link to an object (or a cycle); read once")
        canonical = self._at_address.get(address)
        if canonical is not None and not (canonical + "/").startswith(path + "/"):
            self._aliases[path] = canonical

    def _resolve(self, path: str) -> str:
        """`path` with a repeated object's alias replaced by the name it was read by.
        No alias lies below another (the walk does not descend into repeated objects),
        so at most one prefix of `path` is an alias."""
        if path in self.kind or not self._aliases:
            return path
        prefix = ""
        for part in path.split("/"):
            prefix = f"{prefix}/{part}" if prefix else part
            canonical = self._aliases.get(prefix)
            if canonical is not None:
                return canonical + path[len(prefix) :]
        return path

    # -- lookups ----------------------------------------------------------------------
    def is_group(self, path: str) -> bool:
        return self.kind.get(self._resolve(path)) == GROUP

    def is_dataset(self, path: str) -> bool:
        return self.kind.get(self._resolve(path)) == DATASET

    def children(self, path: str) -> list[str]:
        """Names of the hard-linked children of the group at `path`, in name order."""
        return self._children.get(self._resolve(path), [])

    def attrs(self, path: str) -> H5Attributes:
        """The attributes of the group or dataset at `path`, read when first asked for."""
        return H5Attributes(self.top, self._header(path), self._tick)

    def address(self, path: str) -> int:
        """Where the object header of the group or dataset at `path` is (what a
        dataset's values are found from, on request)."""
        return self._header(path).address

    def _header(self, path: str) -> ObjectHeader:
        header = self._headers.get(self._resolve(path))
        if header is None:
            raise KerascopeError(f"no HDF5 group or dataset at /{path}")
        return header

    def weight(self, path: str, name: str | None) -> WeightInfo:
        """A dataset described from its metadata alone (once; each call a new record)."""
        described = self._described.get(path)
        if described is None:
            described = self._described[path] = self._describe(path)
        shape, dtype = described
        return WeightInfo(name=name, shape=list(shape), dtype=dtype)

    def _describe(self, path: str) -> tuple[list[int], str | None]:
        header = self._header(path)
        where = f"/{path}"
        ratio = self.limits.max_compression_ratio
        info = describe(self.top, header, lambda declared: declared // ratio + 1)
        if info.layout == VIRTUAL:
            self.flag(Code.H5_VIRTUAL_DATASET, where, "virtual dataset (its data lives in other files)")
        if info.external:
            self.flag(Code.H5_EXTERNAL_STORAGE, where, "dataset stored in external raw files")
        declared = math.prod(info.shape) * info.itemsize
        if declared > SIZE_MISMATCH_FLOOR and declared > max(info.stored, 1) * ratio:
            stores = "stores" if info.stored_exact else "the whole file holds only"
            self.flag(
                Code.H5_DATASET_SIZE_MISMATCH,
                where,
                f"declares {declared:,} bytes but {stores} {info.stored:,}",
            )
        declared_dtype = attr_text(self.attrs(path), "dtype") if header.has_attributes else None
        return info.shape, declared_dtype or info.dtype

    def flag(self, code: Code, where: str, message: str) -> None:
        """Report a finding; past `FINDINGS_OF_A_KIND` of one code, one more says so and
        the rest are counted, not kept (a file may hold millions of repeated links)."""
        seen = self._flagged[code] = self._flagged.get(code, 0) + 1
        if seen > FINDINGS_OF_A_KIND + 1:
            return
        if seen == FINDINGS_OF_A_KIND + 1:
            where, message = (
                "/",
                f"more than {FINDINGS_OF_A_KIND:,} findings of this kind; the rest are not listed",
            )
        self.findings.append(finding(code, None, f"{where}: {message}"))


def join(parent: str, name: str) -> str:
    """An HDF5 path below `parent`; Keras sometimes writes names with `//` in them."""
    parts = [part for part in name.split("/") if part]
    return "/".join([parent, *parts]) if parent else "/".join(parts)


def attr_text(attrs: H5Attributes, key: str) -> str | None:
    """A string attribute, whichever way (bytes or str, fixed or variable length) it was written."""
    if key not in attrs or not attrs.is_scalar(key):
        return None
    texts = attrs.strings(key, Allowance(attrs.limit))
    return texts[0] if texts else None


def attr_list(attrs: H5Attributes, key: str) -> list[str] | None:
    """A list-of-names attribute; long lists were split by Keras into key0, key1, ...
    The whole list, however split, is held to the attribute limit."""
    allowance = Allowance(attrs.limit)
    if key in attrs:
        return _texts(attrs, key, allowance)
    if f"{key}0" not in attrs:
        return None
    names: list[str] = []
    index = 0
    while f"{key}{index}" in attrs:
        names.extend(_texts(attrs, f"{key}{index}", allowance))
        index += 1
    return names


def _texts(attrs: H5Attributes, key: str, allowance: Allowance) -> list[str]:
    texts = attrs.strings(key, allowance)
    if texts is not None:
        return texts
    if attrs.is_empty(key):
        return []  # Keras writes a layer without weights as an empty (numeric) array
    raise KerascopeError(f"the {key} attribute is not text")
