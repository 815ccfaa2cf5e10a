"""THE pickle walker: what a pickle holds and what loading it would import and call,
read from its opcodes as data. Nothing is imported or called.

Unpickling runs a small stack machine: `GLOBAL`, `STACK_GLOBAL`, `INST`, `OBJ`
and the extension opcodes import what they name, and `REDUCE`, `NEWOBJ`, `INST`,
`OBJ` and `BUILD` call it. This walker runs the same machine over plain values:
an import is only a recorded name (`Global`), a call only a recorded `Call`
(with the state `BUILD` gives it), and large bytes (an array's data) are skipped
with a seek, so memory stays small whatever the pickle holds.

It knows every opcode of protocols 0 to 5, so a pickle is recognised by its
content, not by a protocol marker. It walks to `STOP` and, where the bytes are
damaged, stops there and still returns what was read before: `pickle.load`
imports and calls everything before the damage, so those are reported as
surely as a whole pickle's. Everything is bounded: opcodes, stack, memo,
imports, and the text kept.
"""

from __future__ import annotations

import codecs
import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple

from kerascope.decoders.zip_members import ZIP_ERRORS, inflating
from kerascope.errors import KerascopeError
from kerascope.limits import Limits

MAX_OPCODES = 1_000_000
MAX_STACK = 10_000
MAX_MEMO = 100_000
MAX_IMPORTS = 10_000
MAX_TEXT = 1 << 16  # a name, a key, a dtype code: longer strings are kept as their length
MAX_NAME = 1024  # an import's name as recorded
MAX_KEPT = 16 << 20  # all text and bytes kept from one pickle
SHORT_BYTES = 64  # bytes kept as they are (a dtype's flags); longer ones are skipped
PICKLE_PROTOCOL_MARK = 0x80  # PROTO, which opens every pickle of protocol 2 and above
NPY_MAGIC = b"\x93NUMPY"


@dataclass
class Global:
    """A name the pickle imports (`module.name`)."""

    name: str


@dataclass
class Call:
    """A call the pickle asks for, recorded and never made; `state` is what BUILD gives it."""

    function: Any
    arguments: Any
    state: Any = None


@dataclass
class Skipped:
    """Bytes or text the walk did not keep: only their length is known."""

    length: int


@dataclass
class _Mark:
    pass


class _Damaged(Exception):
    """The pickle cannot go on from here: `pickle.load` would raise here too."""


class _EndsEarly(_Damaged):
    """The bytes end before the pickle does (a pickle cut short, or the head of one)."""


@dataclass
class PickleWalk:
    """What walking a pickle found. `value` is what it would return (None unless the
    walk reached `STOP`); `imports` every name it imports, in order, each once;
    `problem` why the walk stopped before `STOP` (None when it did not), and
    `cut_short` whether that was the bytes ending; `opcodes` how many it completed."""

    value: Any
    imports: list[str]
    problem: str | None
    cut_short: bool
    opcodes: int

    @property
    def complete(self) -> bool:
        return self.problem is None


@dataclass
class _Machine:
    stream: IO[bytes]
    end: int
    stack: list[Any] = field(default_factory=list)
    memo: dict[int, Any] = field(default_factory=dict)
    imports: dict[str, None] = field(default_factory=dict)
    kept: int = 0

    def take(self, count: int) -> bytes:
        if count < 0:
            raise _Damaged("a negative length")
        data = self.stream.read(count) if self.stream.tell() + count <= self.end else b""
        if len(data) != count:
            raise _EndsEarly("the pickle ends early")
        return data

    def number(self, fmt: str) -> int:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def line(self) -> bytes | Skipped:
        """A protocol-0 argument: the bytes up to a newline; one longer than `MAX_TEXT`
        is read through (a chunk at a time) and kept as its length. The bytes may end
        before `end` says (a member shorter than its header claims): that ends it too."""
        data = self.stream.readline(min(MAX_TEXT, max(0, self.end - self.stream.tell())))
        length = len(data)
        while not data.endswith(b"\n"):
            if not data or self.stream.tell() >= self.end:
                raise _EndsEarly("the pickle ends within a text argument")
            data = self.stream.readline(min(MAX_TEXT, self.end - self.stream.tell()))
            length += len(data)
            if data.endswith(b"\n"):
                return Skipped(length - 1)
        return data[:-1]

    def short_line(self) -> bytes:
        """A protocol-0 number or name: a line no longer than `MAX_TEXT`."""
        data = self.line()
        if isinstance(data, Skipped):
            raise _Damaged(f"a number or name longer than {MAX_TEXT:,} bytes")
        return data

    def keep(self, count: int) -> bool:
        """Whether `count` more bytes of text may be kept."""
        if count > MAX_TEXT or self.kept + count > MAX_KEPT:
            return False
        self.kept += count
        return True

    def skip(self, count: int) -> Skipped:
        position = self.stream.tell()
        if count < 0:
            raise _Damaged("a negative length")
        if position + count > self.end:
            raise _EndsEarly("data past the end of the pickle")
        self.stream.seek(position + count)
        return Skipped(count)

    def text(self, count: int, encoding: str = "utf-8") -> str | Skipped:
        if not self.keep(count):
            return self.skip(count)
        return self.take(count).decode(encoding, "surrogatepass" if encoding == "utf-8" else "strict")

    def payload(self, count: int) -> bytes | Skipped:
        """Short bytes are kept (a dtype's flags); an array's data is seeked past."""
        if count <= SHORT_BYTES and self.keep(count):
            return self.take(count)
        return self.skip(count)

    def push(self, value: Any) -> None:
        if len(self.stack) >= MAX_STACK:
            raise _Damaged(f"a stack deeper than {MAX_STACK:,}")
        self.stack.append(value)

    def pop(self) -> Any:
        if not self.stack or isinstance(self.stack[-1], _Mark):
            raise _Damaged("an opcode with too few values on the stack")
        return self.stack.pop()

    def top(self) -> Any:
        if not self.stack or isinstance(self.stack[-1], _Mark):
            raise _Damaged("an opcode with no value on the stack")
        return self.stack[-1]

    def pop_mark(self) -> list[Any]:
        for index in range(len(self.stack) - 1, -1, -1):
            if isinstance(self.stack[index], _Mark):
                items = self.stack[index + 1 :]
                del self.stack[index:]
                return items
        raise _Damaged("an opcode without its MARK")

    def name(self, name: str) -> Global:
        if len(name) > MAX_NAME:
            name = name[:MAX_NAME] + "…"
        if name not in self.imports:
            if len(self.imports) >= MAX_IMPORTS or not self.keep(len(name)):
                raise _Damaged(f"more than {MAX_IMPORTS:,} imports")
            self.imports[name] = None
        return Global(name)

    def remember(self, key: int) -> None:
        if key not in self.memo and len(self.memo) >= MAX_MEMO:
            raise _Damaged(f"a memo of more than {MAX_MEMO:,} values")
        self.memo[key] = self.top()

    def recall(self, key: int) -> None:
        if key not in self.memo:
            raise _Damaged("a memo read before it was written")
        self.push(self.memo[key])


def walk_pickle(stream: IO[bytes], length: int) -> PickleWalk:
    """Walk the pickle of at most `length` bytes at the stream's position to its
    `STOP`, or to where it is damaged; never raises for what the bytes hold."""
    machine = _Machine(stream, stream.tell() + length)
    problem = f"more than {MAX_OPCODES:,} opcodes"
    value, cut_short, count = None, False, 0
    try:
        for count in range(1, MAX_OPCODES + 1):  # noqa: B007 - the count is reported
            code = machine.take(1)[0]
            if code == _STOP:
                value, problem = machine.pop(), None
                break
            handler = _OPCODES.get(code)
            if handler is None:
                raise _Damaged(f"opcode {code:#04x} is no pickle opcode")
            handler(machine)
    except _Damaged as damage:
        problem, cut_short = str(damage), isinstance(damage, _EndsEarly)
    except (ValueError, OverflowError, struct.error) as error:  # a malformed number or text argument
        problem = f"a malformed argument ({error})"
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:  # the bytes themselves fail
        problem = f"its bytes cannot be read on ({error})"
    completed = count if problem is None else count - 1
    return PickleWalk(value, list(machine.imports), problem, cut_short, completed)


class PickleImports(NamedTuple):
    """The callables a pickle names, and whether its opcodes were read to the end."""

    names: list[str]
    complete: bool


def pickle_imports(data: bytes, limit: int = MAX_IMPORTS) -> PickleImports:
    """`module.name` of every global loading `data` would import, in order, at most
    `limit`. `data` is a pickle, or an `.npy` file whose array numpy pickled (an
    object array: the pickle follows the header)."""
    start = pickle_start(data)
    walked = walk_pickle(io.BytesIO(data[start:]), len(data) - start)
    return PickleImports(walked.imports[:limit], walked.complete and len(walked.imports) <= limit)


# The most `data.pkl` members of one torch.save zip walked (torch writes one).
MAX_ZIPPED_PICKLES = 16


def torch_save_imports(data: bytes, limits: Limits) -> list[str]:
    """What loading a `torch.save` payload would import, in order, each once: since
    torch 1.6 a zip whose `<name>/data.pkl` is the pickle (its tensors' storages in
    members beside it), before that one pickle. Each pickle is walked in place, a
    compressed one inflating as it is read within the compression-ratio limit; a zip
    that cannot be read names nothing."""
    if not data.startswith(b"PK\x03\x04"):
        return pickle_imports(data).names
    found: dict[str, None] = {}
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        pickles = [info for info in archive.infolist() if info.filename.rpartition("/")[2] == "data.pkl"]
        for info in pickles[:MAX_ZIPPED_PICKLES]:
            with inflating(archive, info, limits) as member:
                walked = walk_pickle(member, min(info.file_size, limits.max_member_bytes))
            found.update(dict.fromkeys(walked.imports))
    except (KerascopeError, *ZIP_ERRORS):
        pass  # what was found before stands; the rest cannot be read
    return list(found)


def pickle_start(data: bytes) -> int:
    """Where the pickle starts: after the header of an `.npy` file (numpy pickles an
    object array's data there), else at the start."""
    if not data.startswith(NPY_MAGIC) or len(data) < 10:
        return 0
    if data[6] == 1:
        return 10 + int.from_bytes(data[8:10], "little")
    return 12 + int.from_bytes(data[8:12], "little")


def looks_like_pickle(data: bytes) -> bool:
    """Whether loading these bytes as a pickle would import or build anything, at any
    protocol: they open with a protocol marker (2 and above), or the walk of them
    names an import, reaches `STOP`, or runs through every byte given (the head of
    a longer pickle) without damage."""
    if len(data) >= 2 and data[0] == PICKLE_PROTOCOL_MARK and data[1] <= 5:
        return True
    walked = walk_pickle(io.BytesIO(data), len(data))
    return bool(walked.imports) or walked.complete or (walked.cut_short and walked.opcodes >= 2)


# -- the opcodes of protocols 0 to 5 (pickletools.opcodes lists the same set) -------------
def _push(make: Callable[[_Machine], Any]) -> Callable[[_Machine], None]:
    def push(machine: _Machine) -> None:
        machine.push(make(machine))

    return push


def _global(machine: _Machine) -> None:
    module, name = _text_line(machine), _text_line(machine)
    machine.push(machine.name(f"{module}.{name}"))


def _text_line(machine: _Machine) -> str:
    return machine.short_line().decode("utf-8", "replace")


def _stack_global(machine: _Machine) -> None:
    name, module = machine.pop(), machine.pop()
    machine.push(machine.name(f"{_name_part(module)}.{_name_part(name)}"))


def _name_part(value: Any) -> str:
    """A module or attribute name from the stack; one the walk did not keep (longer than
    any name) is still an import, of a name unknown."""
    if isinstance(value, str):
        return value
    if isinstance(value, Skipped):
        return "?"
    raise _Damaged("STACK_GLOBAL of values that are not names")


def _extension(fmt: str) -> Callable[[_Machine], None]:
    """EXT1/2/4: an import through copyreg's extension registry, by number."""

    def extension(machine: _Machine) -> None:
        machine.push(machine.name(f"copyreg extension {machine.number(fmt)}"))

    return extension


def _reduce(machine: _Machine) -> None:
    arguments, function = machine.pop(), machine.pop()
    machine.push(Call(function, arguments))


def _newobj_ex(machine: _Machine) -> None:
    machine.pop()  # keyword arguments
    _reduce(machine)


def _inst(machine: _Machine) -> None:
    """INST: import `module.name` and call it with the values since the MARK."""
    module, name = _text_line(machine), _text_line(machine)
    imported = machine.name(f"{module}.{name}")  # imported before its arguments are taken
    machine.push(Call(imported, tuple(machine.pop_mark())))


def _obj(machine: _Machine) -> None:
    """OBJ: call the first value since the MARK with the rest."""
    items = machine.pop_mark()
    if not items:
        raise _Damaged("OBJ without a class")
    machine.push(Call(items[0], tuple(items[1:])))


def _persistent(machine: _Machine, identifier: Any) -> None:
    """PERSID/BINPERSID: the unpickler's own `persistent_load` is asked for an object
    (a plain `pickle.load` has none, and stops)."""
    machine.push(Call(Global("<persistent_load>"), (identifier,)))


def _build(machine: _Machine) -> None:
    """BUILD: the state given to the object on top (its `__setstate__`, a call)."""
    state = machine.pop()
    target = machine.top()
    if isinstance(target, Call):
        target.state = state


def _append(machine: _Machine) -> None:
    item = machine.pop()
    _extend(machine, [item])


def _appends(machine: _Machine) -> None:
    _extend(machine, machine.pop_mark())


def _extend(machine: _Machine, items: list[Any]) -> None:
    target = machine.top()
    if isinstance(target, list):
        target.extend(items)
    elif not isinstance(target, (Call, Global)):  # an object's own append: a call, recorded by its import
        raise _Damaged("adding items to a value that holds none")


def _setitem(machine: _Machine) -> None:
    value, key = machine.pop(), machine.pop()
    _pairs(machine, [key, value])


def _setitems(machine: _Machine) -> None:
    _pairs(machine, machine.pop_mark())


def _pairs(machine: _Machine, items: list[Any]) -> None:
    if len(items) % 2:
        raise _Damaged("a dict with a key and no value")
    target = machine.top()
    if isinstance(target, (Call, Global, list)):  # an object's own __setitem__, or a list's
        return
    if not isinstance(target, dict):
        raise _Damaged("setting items of a value that holds none")
    for key, value in zip(items[::2], items[1::2], strict=True):
        target[_key(key)] = value


def _dict(machine: _Machine) -> None:
    items = machine.pop_mark()
    machine.push({})
    _pairs(machine, items)


_KEYS = (str, int, float, bool, bytes, type(None))


def _key(key: Any) -> Any:
    """A dict key as the walk holds it: a plain value as itself, anything else (a call,
    a tuple that may nest without end) by its kind, never hashed."""
    return key if isinstance(key, _KEYS) else f"<{type(key).__name__}>"


def _tuple_of(count: int) -> Callable[[_Machine], None]:
    def tuple_of(machine: _Machine) -> None:
        items = [machine.pop() for _ in range(count)]
        machine.push(tuple(reversed(items)))

    return tuple_of


def _memoize(machine: _Machine) -> None:
    machine.remember(len(machine.memo))


def _put(fmt: str | None) -> Callable[[_Machine], None]:
    def put(machine: _Machine) -> None:
        machine.remember(_decimal(machine) if fmt is None else machine.number(fmt))

    return put


def _get(fmt: str | None) -> Callable[[_Machine], None]:
    def get(machine: _Machine) -> None:
        machine.recall(_decimal(machine) if fmt is None else machine.number(fmt))

    return get


def _decimal(machine: _Machine) -> int:
    return int(machine.short_line().decode("ascii"))


def _int(machine: _Machine) -> Any:
    """INT: a number as text; `01`/`00` are protocol 0's True and False."""
    text = machine.short_line()
    if text in (b"00", b"01"):
        return text == b"01"
    return _number_text(text, int)


def _number_text(text: bytes, kind: type) -> Any:
    """A number written as text, as far as the walk needs it: one it cannot read (pickle
    reads some that Python's `int` does not, such as C octal) is kept as its length."""
    try:
        return kind(text.decode("ascii"), 0) if kind is int else kind(text.decode("ascii"))
    except ValueError:
        return Skipped(len(text))


def _long(machine: _Machine) -> Any:
    return _number_text(machine.short_line().removesuffix(b"L"), int)


def _long_bytes(fmt: str) -> Callable[[_Machine], Any]:
    def long_bytes(machine: _Machine) -> Any:
        count = machine.number(fmt)
        if count > MAX_TEXT:
            return machine.skip(count)
        return int.from_bytes(machine.take(count), "little", signed=True)

    return long_bytes


def _string(machine: _Machine) -> Any:
    """STRING: a quoted Python bytes literal, as protocol 0 writes `str` of Python 2."""
    text = machine.line()
    if isinstance(text, Skipped):
        return text
    if not machine.keep(len(text)):
        return Skipped(len(text))
    if len(text) < 2 or text[:1] != text[-1:] or text[:1] not in (b"'", b'"'):
        raise _Damaged("STRING without its quotes")
    return codecs.escape_decode(text[1:-1])[0].decode("latin-1")


def _unicode(machine: _Machine) -> Any:
    text = machine.line()
    if isinstance(text, Skipped):
        return text
    if not machine.keep(len(text)):
        return Skipped(len(text))
    return text.decode("raw-unicode-escape")


def _sized_text(fmt: str, encoding: str = "utf-8") -> Callable[[_Machine], Any]:
    return lambda machine: machine.text(machine.number(fmt), encoding)


def _sized_bytes(fmt: str) -> Callable[[_Machine], Any]:
    return lambda machine: machine.payload(machine.number(fmt))


def _frozenset(machine: _Machine) -> None:
    machine.push(tuple(machine.pop_mark()))


def _proto(machine: _Machine) -> None:
    if machine.take(1)[0] > 5:
        raise _Damaged("a pickle protocol above 5")


def _frame(machine: _Machine) -> None:
    machine.take(8)  # the frame's length; its opcodes follow


def _pop_mark(machine: _Machine) -> None:
    machine.pop_mark()


def _dup(machine: _Machine) -> None:
    machine.push(machine.top())


def _readonly_buffer(machine: _Machine) -> None:
    machine.top()


def _pop(machine: _Machine) -> None:
    if machine.stack and isinstance(machine.stack[-1], _Mark):
        machine.stack.pop()  # POP of a MARK drops the mark, as pickle's own does
        return
    machine.pop()


_STOP = ord(".")
_OPCODES: dict[int, Callable[[_Machine], None]] = {
    # framing and protocol
    0x80: _proto,
    0x95: _frame,
    # imports and calls
    ord("c"): _global,
    0x93: _stack_global,
    0x82: _extension("<B"),
    0x83: _extension("<H"),
    0x84: _extension("<i"),
    ord("i"): _inst,
    ord("o"): _obj,
    ord("R"): _reduce,
    0x81: _reduce,  # NEWOBJ: cls.__new__(cls, *args), recorded like any call
    0x92: _newobj_ex,
    ord("b"): _build,
    ord("P"): lambda m: _persistent(m, _text_line(m)),
    ord("Q"): lambda m: _persistent(m, m.pop()),
    0x97: _push(lambda m: Call(Global("<out-of-band buffer>"), ())),  # NEXT_BUFFER
    0x98: _readonly_buffer,
    # the stack and the memo
    ord("("): _push(lambda m: _Mark()),
    ord("0"): _pop,
    ord("1"): _pop_mark,
    ord("2"): _dup,
    0x94: _memoize,
    ord("p"): _put(None),
    ord("q"): _put("<B"),
    ord("r"): _put("<I"),
    ord("g"): _get(None),
    ord("h"): _get("<B"),
    ord("j"): _get("<I"),
    # containers
    ord(")"): _push(lambda m: ()),
    ord("]"): _push(lambda m: []),
    ord("}"): _push(lambda m: {}),
    0x8F: _push(lambda m: []),  # EMPTY_SET, kept as a list
    0x90: _appends,  # ADDITEMS
    0x91: _frozenset,
    0x85: _tuple_of(1),
    0x86: _tuple_of(2),
    0x87: _tuple_of(3),
    ord("t"): lambda m: m.push(tuple(m.pop_mark())),
    ord("l"): lambda m: m.push(m.pop_mark()),
    ord("d"): _dict,
    ord("a"): _append,
    ord("e"): _appends,
    ord("s"): _setitem,
    ord("u"): _setitems,
    # plain values
    ord("N"): _push(lambda m: None),
    0x88: _push(lambda m: True),
    0x89: _push(lambda m: False),
    ord("I"): _push(_int),
    ord("J"): _push(lambda m: m.number("<i")),
    ord("K"): _push(lambda m: m.number("<B")),
    ord("M"): _push(lambda m: m.number("<H")),
    ord("L"): _push(_long),
    0x8A: _push(_long_bytes("<B")),
    0x8B: _push(_long_bytes("<i")),
    ord("F"): _push(lambda m: _number_text(m.short_line(), float)),
    ord("G"): _push(lambda m: struct.unpack(">d", m.take(8))[0]),
    ord("S"): _push(_string),
    ord("V"): _push(_unicode),
    ord("U"): _push(_sized_text("<B", "latin-1")),
    ord("T"): _push(_sized_text("<i", "latin-1")),
    ord("X"): _push(_sized_text("<I")),
    0x8C: _push(_sized_text("<B")),
    0x8D: _push(_sized_text("<Q")),
    ord("C"): _push(_sized_bytes("<B")),
    ord("B"): _push(_sized_bytes("<I")),
    0x8E: _push(_sized_bytes("<Q")),
    0x96: _push(_sized_bytes("<Q")),  # BYTEARRAY8
}
