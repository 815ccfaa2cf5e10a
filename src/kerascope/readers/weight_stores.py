"""The weights Keras 3 saves, as one tree of groups whatever holds them.

Keras 3 writes the same tree (`layers/dense/vars/0`) into an HDF5 file, into the
members of an `.npz` archive, or across HDF5 shards listed by a `.weights.json`
index, as its own `H5IOStore`, `NpzIOStore` and `ShardedH5IOStore` do. Each store
here answers the same few questions about that tree (`addressing.WeightStore`),
so one rule (`addressing/saving_lib.py`) finds every layer's weights in all of them. A key saved on Windows with `\\` separators
(`dec\\_layer_checkpoint_dependencies\\conv2d`) is nested like `/`.

Nothing is loaded: HDF5 datasets and `.npy` members are described from their
headers, and a member that is a pickle (an object array, or not an array at all)
is a finding that lists what unpickling it would import, read from its opcodes.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import IO, Any

from kerascope.addressing.stores import WeightStore
from kerascope.decoders.dtypes import from_descr
from kerascope.decoders.hdf5 import H5Index, attr_text, join, open_file
from kerascope.decoders.hdf5_values import dataset_location
from kerascope.decoders.npy_values import PICKLED, npy_header, npy_location
from kerascope.decoders.pickled_values import (
    RECONSTRUCTION_GLOBALS,
    NotArrays,
    array_header,
    object_items,
    variable_header,
)
from kerascope.decoders.pickles import looks_like_pickle, pickle_start, walk_pickle
from kerascope.decoders.tensor_values import StoredFile, UnavailableLocation
from kerascope.decoders.zip_members import ArchiveWindow, inflating, open_member
from kerascope.errors import KerascopeError
from kerascope.limits import Limits
from kerascope.model.findings import finding
from kerascope.model.records import Finding, WeightInfo
from kerascope.model.vocabulary import Code

NPY_MAGIC = b"\x93NUMPY"
NPY_HEADER_LIMIT = 64 * 1024  # numpy's own default for a header it will parse
BUFFER = 64 * 1024  # a pickle is walked opcode by opcode: read it through a buffer


class H5Store:
    """A Keras 3 HDF5 weights file (or one shard of one); `file` says where it is, for
    each weight's values (`location`) and for what a load check names (`where`)."""

    def __init__(self, index: H5Index, file: StoredFile | None = None) -> None:
        self.index = index
        self.file = file
        self._names: dict[str, str | None] = {}  # attribute parsing, once per group

    def children(self, path: str) -> list[str]:
        return self.index.children(path)

    def is_group(self, path: str) -> bool:
        return self.index.is_group(path)

    def is_dataset(self, path: str) -> bool:
        return self.index.is_dataset(path)

    def layer_name(self, vars_path: str) -> str | None:
        """The `name` attribute Keras >= 3.6 writes on each layer's `vars` group."""
        if vars_path not in self._names:
            named = attr_text(self.index.attrs(vars_path), "name") if self.is_group(vars_path) else None
            self._names[vars_path] = named
        return self._names[vars_path]

    def weight(self, path: str) -> WeightInfo:
        return located(self.index.weight(path, None), self.index, path, self.file)

    def unreadable(self, vars_path: str) -> bool:
        return False

    def where(self, path: str) -> str | None:
        return f"{self.file.name}:{path}" if self.file is not None else None


def located(weight: WeightInfo, index: H5Index, path: str, file: StoredFile | None) -> WeightInfo:
    """`weight`, the dataset at `path` of the HDF5 file `file`, with where its values are."""
    if file is not None:
        weight.location = dataset_location(file, path, weight.shape, weight.dtype, index.address(path))
    return weight


class TreeStore:
    """A store whose groups are known from a list of dataset paths (npz members),
    each dataset described on demand; `groups` exist though empty (a layer without
    variables), `unreadable` are `vars` groups known to exist whose variables cannot
    be read."""

    def __init__(
        self,
        datasets: dict[str, Callable[[], WeightInfo]],
        unreadable: Collection[str] = (),
        groups: Collection[str] = (),
    ) -> None:
        self._datasets = datasets
        self._unreadable = set(unreadable)
        self._children: dict[str, list[str]] = {"": []}
        for path in (*groups, *datasets, *self._unreadable):
            self._add(path)

    def _add(self, path: str) -> None:
        parent = ""
        for part in path.split("/"):
            child = join(parent, part)
            if child not in self._children:
                self._children.setdefault(parent, []).append(part)
                self._children[child] = []
            parent = child

    def children(self, path: str) -> list[str]:
        return self._children.get(path, [])

    def is_group(self, path: str) -> bool:
        return path in self._children and path not in self._datasets

    def is_dataset(self, path: str) -> bool:
        return path in self._datasets

    def layer_name(self, vars_path: str) -> str | None:
        return None

    def weight(self, path: str) -> WeightInfo:
        return self._datasets[path]()

    def unreadable(self, vars_path: str) -> bool:
        return vars_path in self._unreadable

    def where(self, path: str) -> str | None:
        return None


class UnionStore:
    """Shards: each group is the union of its parts across the shards, each dataset
    from the shard holding it."""

    def __init__(self, stores: list[WeightStore]) -> None:
        self.stores = stores

    def children(self, path: str) -> list[str]:
        found: dict[str, None] = {}
        for store in self.stores:
            found.update(dict.fromkeys(store.children(path)))
        return list(found)

    def is_group(self, path: str) -> bool:
        return any(store.is_group(path) for store in self.stores)

    def is_dataset(self, path: str) -> bool:
        return any(store.is_dataset(path) for store in self.stores)

    def layer_name(self, vars_path: str) -> str | None:
        return next((name for store in self.stores if (name := store.layer_name(vars_path))), None)

    def weight(self, path: str) -> WeightInfo:
        return next(store for store in self.stores if store.is_dataset(path)).weight(path)

    def unreadable(self, vars_path: str) -> bool:
        return any(store.unreadable(vars_path) for store in self.stores)

    def where(self, path: str) -> str | None:
        return next((store.where(path) for store in self.stores if store.is_dataset(path)), None)


class Nested:
    """A store's tree with `\\` in a key taken as a separator, as Keras on Windows wrote it."""

    def __init__(self, store: WeightStore) -> None:
        self.store = store
        self._real: dict[str, str] = {"": ""}  # virtual path -> real path, for groups made of real keys
        # Children by virtual path, in order (a dict, so adding one is O(1)); a key `a\\b\\c`
        # adds `b` below `a` and `c` below `a/b` before those groups are expanded themselves.
        self._children: dict[str, dict[str, None]] = {}
        self._expanded: set[str] = set()

    def _expand(self, path: str) -> None:
        if path in self._expanded:
            return
        self._expanded.add(path)
        real = self._real.get(path)
        kids = self._children.setdefault(path, {})
        if real is None:
            return
        for key in self.store.children(real):
            parts = [part for part in key.replace("\\", "/").split("/") if part]
            virtual = path
            for depth, part in enumerate(parts):
                parent, virtual = virtual, join(virtual, part)
                siblings = kids if parent == path else self._children.setdefault(parent, {})
                siblings[part] = None
                if depth == len(parts) - 1:
                    self._real[virtual] = join(real, key) if real else key

    def children(self, path: str) -> list[str]:
        self._expand(path)
        return list(self._children[path])

    def _real_of(self, path: str) -> str | None:
        if path not in self._real:
            self._expand(path.rpartition("/")[0])
        return self._real.get(path)

    def is_group(self, path: str) -> bool:
        real = self._real_of(path)
        if real is not None:
            return self.store.is_group(real)
        if path in self._children:
            return True
        self._expand(path)
        return bool(self._children[path])

    def is_dataset(self, path: str) -> bool:
        real = self._real_of(path)
        return real is not None and self.store.is_dataset(real)

    def layer_name(self, vars_path: str) -> str | None:
        real = self._real_of(vars_path)
        return self.store.layer_name(real) if real is not None else None

    def weight(self, path: str) -> WeightInfo:
        real = self._real_of(path)
        if real is None:
            raise KerascopeError(f"no weight at {path}")
        return self.store.weight(real)

    def unreadable(self, vars_path: str) -> bool:
        real = self._real_of(vars_path)
        return real is not None and self.store.unreadable(real)

    def where(self, path: str) -> str | None:
        real = self._real_of(path)
        return self.store.where(real) if real is not None else None


def nested(store: WeightStore) -> WeightStore:
    """`store`, seen through `Nested` when a top-level key holds a `\\` (Keras on
    Windows joined whole attribute paths with it into one key)."""
    return Nested(store) if any("\\" in key for key in store.children("")) else store


# -- npz ----------------------------------------------------------------------------------
ROOT_MEMBER = "__root__"  # the model's own variables, in Keras's npz layout


class UnreadableWeights(KerascopeError):
    """A weights file that is not what its name says (an `.npz` that is one pickle):
    a finding says what it is, and every parameter it should hold is unknown."""


def npz_store(
    stream: IO[bytes], limits: Limits, findings: list[Finding], what: str, file: StoredFile | None = None
) -> TreeStore:
    """The weights of an `.npz` archive (at `file`, for their values), from the headers
    of its arrays.

    A plain array member is a dataset at its own path. Keras's own npz (each member a
    layer's path holding a pickled dict `{"0": kernel, "1": bias}`) is read from the
    pickle's opcodes (`pickled_values.py`): its variables become `path/vars/0`, as in
    an HDF5 weights file, their values unavailable. Either way nothing is unpickled;
    one finding says what unpickling would import, and a member the walk cannot follow
    leaves its layer's weights unknown.

    Each member is read from its start and no further than it must be: an array's
    header alone; a pickle walked once, to its end. A compressed member inflates as it
    is read, never to a file or whole into memory, after the compression-ratio limit
    has judged what it declares; what the archive's compressed members inflate, all
    together, is held to the member limit."""
    stream.seek(0)
    if not stream.read(2).startswith(b"PK"):
        stream.seek(0)
        if looks_like_pickle(stream.read(HEAD)):
            findings.append(whole_pickle_finding(stream, what))
        raise UnreadableWeights(f"{what} is not an npz archive")
    archive = zipfile.ZipFile(stream)
    datasets: dict[str, Callable[[], WeightInfo]] = {}
    infos = archive.infolist()
    limits.check_layers(len(infos))
    pickled: list[str] = []
    imports: dict[str, None] = {}
    unread: list[str] = []
    # Keras's NpzIOStore.get gives the model's own variables as {} when the archive has no
    # `__root__` member (saving_lib.py): the root's group is there, empty, either way.
    groups: list[str] = ["vars"]
    inflated = _Inflation(limits.max_member_bytes)
    for info in infos:
        name = info.filename.removesuffix(".npy")
        with _member(stream, archive, info, limits) as member, inflated.charging(info, member):
            head = member.read(HEAD)
            header, start = None, 0
            if head.startswith(NPY_MAGIC):
                head = _whole_header(member, head)
                header, start = _npy_header(head, f"{what} member {info.filename}")
                if "O" not in header["descr"]:
                    at = npy_location(info.filename, _member_of(file, info.filename), head) if file else None
                    datasets[name] = lambda shape=header["shape"], dtype=header["descr"], at=at: WeightInfo(
                        None, list(shape), from_descr(dtype), location=at
                    )
                    continue
            elif not looks_like_pickle(head):
                continue
            pickled.append(info.filename)
            member.seek(start)
            walked = walk_pickle(member, inflated.allow(info, info.file_size - start))
            imports.update(dict.fromkeys(walked.imports))
            try:
                if header is None or not walked.complete:
                    raise NotArrays(walked.problem or "a pickle in place of an array")
                datasets.update(_layer_variables(_member_path(name), walked.value))
                groups.append(join(_member_path(name), "vars"))
            except NotArrays:
                unread.append(info.filename)
    if pickled:
        findings.append(_pickle_finding(what, pickled, list(imports), unread))
    return TreeStore(
        datasets, unreadable=[join(_member_path(name), "vars") for name in unread], groups=groups
    )


def _member_of(file: StoredFile, member: str) -> StoredFile:
    """A member of the zip archive at `file`."""
    return StoredFile(file.source, file.member, (*file.archived, member))


def whole_pickle_finding(stream: IO[bytes], what: str) -> Finding:
    """The file in `stream` is one pickle, or an `.npy` object array (a pickle after
    its header), which `np.load` with `allow_pickle=True` unpickles: what unpickling it
    imports, walked once, and that its weights are unknown."""
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    start = min(pickle_start(stream.read(NPY_HEADER_LIMIT + 12)), size)
    walked = walk_pickle(io.BufferedReader(ArchiveWindow(stream, start, size - start), BUFFER), size - start)
    named = _named(walked.imports)
    kind = "an object array, a pickle after its header" if start else "one pickle, not an npz archive"
    return finding(
        Code.PICKLED_WEIGHTS,
        None,
        f"{what} is {kind}; unpickling it imports {named or 'nothing readable'}, and its weights are unknown",
    )


HEAD = 256  # an .npy header's usual size, and enough of a pickle to tell it is one


def _member(stream: IO[bytes], archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> IO[bytes]:
    """A member read forward through a buffer: stored, in place; compressed, inflating."""
    if info.compress_type == zipfile.ZIP_STORED and not info.flag_bits & 0x1:
        return io.BufferedReader(open_member(stream, archive, info, limits), BUFFER)
    return inflating(archive, info, limits)


class _Inflation:
    """What one archive's compressed members may inflate, all together."""

    def __init__(self, budget: int) -> None:
        self.left = budget

    def allow(self, info: zipfile.ZipInfo, wanted: int) -> int:
        """How many of `wanted` more bytes the member may be read through."""
        return wanted if info.compress_type == zipfile.ZIP_STORED else max(0, min(wanted, self.left))

    @contextmanager
    def charging(self, info: zipfile.ZipInfo, member: IO[bytes]) -> Iterator[None]:
        """Charge what a compressed member inflated while it was read."""
        try:
            yield
        finally:
            if info.compress_type != zipfile.ZIP_STORED:
                self.left -= member.tell()


def _member_path(member: str) -> str:
    name = member.removesuffix(".npy")
    return "" if name == ROOT_MEMBER else name


def _layer_variables(path: str, value: object) -> dict[str, Callable[[], WeightInfo]]:
    """A layer's variables from the dict Keras pickled for it, as `path/vars/<key>`."""
    items = object_items(value)
    if len(items) != 1 or not isinstance(items[0], dict):
        raise NotArrays("not the dict of variables Keras stores per layer")
    found = {}
    for key, variable in items[0].items():
        described = variable_header(variable)
        if described is not None:
            name, header, trainable = described
        else:
            header, name, trainable = array_header(variable), None, None
            if header is None:
                raise NotArrays(f"variable {key} is neither an array nor a Keras variable")
        at = _pickled(join(path, str(key)), header.shape, header.dtype)
        found[join(join(path, "vars"), str(key))] = lambda n=name, h=header, t=trainable, at=at: WeightInfo(
            n, list(h.shape), h.dtype, t, location=at
        )
    return found


def _pickled(key: str, shape: list[int], dtype: str) -> UnavailableLocation:
    return UnavailableLocation(key, tuple(shape), dtype, f"its npz member is {PICKLED}")


def _whole_header(member: IO[bytes], head: bytes) -> bytes:
    """A member's first bytes (`head`), read on as far as its `.npy` header's declared
    length says (at most numpy's own bound on a header)."""
    if len(head) >= 12:
        length = (
            int.from_bytes(head[8:10], "little") + 10
            if head[6] == 1
            else int.from_bytes(head[8:12], "little") + 12
        )
        if len(head) < length <= NPY_HEADER_LIMIT + 12:
            head += member.read(length - len(head))
    return head


def _npy_header(head: bytes, what: str) -> tuple[dict[str, Any], int]:
    """An `.npy` header and where the data starts (`npy_values.npy_header`), a
    structured type's `descr` spelled as JSON."""
    header, start = npy_header(head, what)
    header["descr"] = header["descr"] if isinstance(header["descr"], str) else json.dumps(header["descr"])
    return header, start


def _members_are_pickles(count: int) -> str:
    return "1 member is a pickle" if count == 1 else f"{count} members are pickles"


def _named(imports: list[str]) -> str:
    return ", ".join(imports[:12]) + (f" and {len(imports) - 12} more" if len(imports) > 12 else "")


def _pickle_finding(what: str, pickled: list[str], imports: list[str], unread: list[str]) -> Finding:
    named = _named(imports)
    unknown = (
        f"; {len(unread)} could not be read as data ({', '.join(unread[:4])}), so those weights are unknown"
        if unread
        else "; kerascope read the shapes from the pickles' opcodes without loading them"
    )
    beyond_reconstruction = [name for name in imports if name not in RECONSTRUCTION_GLOBALS]
    return finding(
        Code.PICKLED_WEIGHTS if beyond_reconstruction or unread else Code.PICKLED_ARRAYS,
        None,
        f"{what}: {_members_are_pickles(len(pickled))}; unpickling imports {named or 'nothing readable'}"
        f"{unknown}",
    )


# -- sharded ----------------------------------------------------------------------------
def shard_index(data: bytes | str, what: str, limits: Limits) -> dict[str, list[str]]:
    """A `.weights.json` index: each `vars` group's path (without its leading `/`)
    and the shard files holding it."""
    from kerascope.decoders.json_text import load_json

    document = load_json(data, what, limits)
    weight_map = document.get("weight_map") if isinstance(document, dict) else None
    if not isinstance(weight_map, dict):
        raise KerascopeError(f"{what} has no weight_map: not a Keras sharded weights index")
    limits.check_layers(len(weight_map))
    shards: dict[str, list[str]] = {}
    for key, files in weight_map.items():
        listed = [files] if isinstance(files, str) else files
        if not isinstance(listed, list) or not all(isinstance(name, str) for name in listed):
            raise KerascopeError(f"{what}: weight_map[{key!r}] names no shard files")
        shards[key.strip("/")] = listed
    return shards


def shard_files(shards: dict[str, list[str]]) -> list[str]:
    """Every shard file an index names, each once, in order."""
    return list(dict.fromkeys(name for names in shards.values() for name in names))


def safe_shard_name(name: str) -> bool:
    """A shard named by an index is a file beside it: never a path that leaves the folder."""
    return (
        bool(name) and "/" not in name and "\\" not in name and name not in (".", "..") and "\0" not in name
    )


def sharded_store(
    data: bytes,
    what: str,
    open_shard: Callable[[str], IO[bytes] | None],
    limits: Limits,
    findings: list[Finding],
    stored: Callable[[str], StoredFile] | None = None,
) -> WeightStore:
    """The weights a `.weights.json` index spreads over HDF5 shards beside it, each
    opened by `open_shard` (None when it is not there) and found again for its values
    at `stored(name)`. A missing shard is a finding, and the layers whose variables it
    held have unknown parameters."""
    shards = shard_index(data, what, limits)
    stores: list[WeightStore] = []
    missing: list[str] = []
    for name in shard_files(shards):
        stream = open_shard(name) if safe_shard_name(name) else None
        if stream is None:
            missing.append(name)
        else:
            stores.append(open_h5_store(stream, limits, findings, stored(name) if stored else None))
    absent = set(missing)
    lost = [key for key, names in shards.items() if any(name in absent for name in names)]
    if missing:
        shown = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
        findings.append(
            finding(
                Code.WEIGHTS_SHARD_MISSING,
                None,
                f"{what} names {len(missing)} shard files that are not beside it ({shown}): "
                f"the variables of {len(lost)} layers are unknown",
            )
        )
    stores.append(TreeStore({}, unreadable=lost))
    return UnionStore(stores)


def open_h5_store(
    stream: IO[bytes], limits: Limits, findings: list[Finding], file: StoredFile | None = None
) -> H5Store:
    return H5Store(H5Index(open_file(stream, limits), limits, findings), file)
