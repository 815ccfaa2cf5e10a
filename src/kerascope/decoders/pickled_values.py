"""What a pickle holds, read from its opcodes as data: nothing is imported or called.

Keras 3 writes `model.weights.npz` with `np.savez(**{path: {"0": kernel, ...}})`:
each member is a 0-d object array, which numpy stores as a pickle of a dict, and
the dict holds whatever the layer stored: numpy arrays, or Keras `Variable`
objects (pickled with their backend's variable inside). Keras itself loads npz
files with `allow_pickle=False`, so it refuses the files it writes; older Keras
unpickles them, importing whatever they name. kerascope does neither: it walks the
opcodes with a stack of plain values, in which a `GLOBAL` is only a name and
`REDUCE`/`NEWOBJ`/`BUILD` only record a call that never happens. Large bytes (an
array's data) are skipped with a seek, so memory stays small whatever the weights.

An array is recognised by the calls numpy makes to rebuild one (`_reconstruct`,
then the state `(version, shape, dtype, fortran_order, data)`); a Keras variable by
the `_shape` and `_dtype` it records in its state. Anything the walk cannot follow
(an opcode outside the protocol's data opcodes, a malformed stack) stops it, and
the caller says the weights are unknown.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import IO, Any

# What numpy's pickles of arrays call, under the module names numpy 1.x and 2.x use.
_RECONSTRUCT = {"numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct"}
_NDARRAY = "numpy.ndarray"
_DTYPE = "numpy.dtype"
ARRAY_GLOBALS = _RECONSTRUCT | {_NDARRAY, _DTYPE}
MAX_OPCODES = 1_000_000
MAX_STACK = 10_000
MAX_TEXT = 1 << 16  # a key, a dtype code: short strings only


class NotArrays(ValueError):
    """The pickle cannot be followed as data, or a value is not the array it should be."""


@dataclass
class Global:
    name: str


@dataclass
class Call:
    """A call the pickle asks for, recorded and never made; `state` is what BUILD gives it."""

    function: Any
    arguments: Any
    state: Any = None


@dataclass
class Skipped:
    """Bytes the walk seeked past: only their length is kept."""

    length: int


@dataclass
class _Mark:
    pass


@dataclass
class ArrayHeader:
    shape: list[int]
    dtype: str


@dataclass
class _Machine:
    stream: IO[bytes]
    end: int
    stack: list[Any] = field(default_factory=list)
    memo: dict[int, Any] = field(default_factory=dict)
    imports: dict[str, None] = field(default_factory=dict)  # every global named, in order

    def take(self, count: int) -> bytes:
        data = self.stream.read(count)
        if len(data) != count:
            raise NotArrays("the pickle ends early")
        return data

    def number(self, fmt: str) -> int:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def text(self, count: int) -> str:
        if count > MAX_TEXT:
            raise NotArrays("a string longer than any key or dtype")
        return self.take(count).decode("utf-8", "surrogatepass")

    def payload(self, count: int) -> bytes | Skipped:
        """Short bytes are kept (a dtype's flags); an array's data is seeked past."""
        if count <= 64:
            return self.take(count)
        position = self.stream.tell()
        if position + count > self.end:
            raise NotArrays("array data past the end of the pickle")
        self.stream.seek(position + count)
        return Skipped(count)

    def push(self, value: Any) -> None:
        if len(self.stack) >= MAX_STACK:
            raise NotArrays("a pickle deeper than any array container")
        self.stack.append(value)

    def pop_mark(self) -> list[Any]:
        for index in range(len(self.stack) - 1, -1, -1):
            if isinstance(self.stack[index], _Mark):
                items = self.stack[index + 1 :]
                del self.stack[index:]
                return items
        raise NotArrays("a pickle without its MARK")


@dataclass
class Pickled:
    value: Any
    imports: list[str]  # what unpickling would import, each once


def read_pickled(stream: IO[bytes], length: int) -> Pickled:
    """The value a pickle of `length` bytes at the stream's position describes: plain
    values, with every call left as a `Call` and large bytes as `Skipped`."""
    machine = _Machine(stream, stream.tell() + length)
    for _ in range(MAX_OPCODES):
        code = machine.take(1)[0]
        handler = _OPCODES.get(code)
        if handler is None:
            raise NotArrays(f"opcode {code:#04x} is not one numpy writes for arrays")
        if handler is _stop:
            if len(machine.stack) != 1:
                raise NotArrays("a malformed pickle")
            return Pickled(machine.stack[0], list(machine.imports))
        handler(machine)
    raise NotArrays(f"more than {MAX_OPCODES:,} opcodes")


def array_header(value: Any) -> ArrayHeader | None:
    """The shape and dtype of an array numpy pickled, or None when `value` is not one."""
    if not (
        isinstance(value, Call) and isinstance(value.function, Global) and value.function.name in _RECONSTRUCT
    ):
        return None
    state = value.state
    if not (isinstance(state, tuple) and len(state) == 5):
        raise NotArrays("an array without numpy's state")
    _, shape, dtype, _, _ = state
    if not (
        isinstance(shape, tuple) and all(isinstance(size, int) and 0 <= size < 1 << 48 for size in shape)
    ):
        raise NotArrays("an array whose shape is not sizes")
    return ArrayHeader(list(shape), _dtype_name(dtype))


def object_items(value: Any) -> list[Any]:
    """The objects an object array holds (a 0-d one holds one: Keras's dict)."""
    header = array_header(value)
    data = value.state[4] if header is not None else None
    if header is None or header.dtype != "object" or not isinstance(data, list):
        raise NotArrays("not an object array")
    return data


def variable_header(value: Any) -> tuple[str | None, ArrayHeader, bool | None] | None:
    """A Keras `Variable` (name, shape and dtype, trainable) from the state its
    pickle records, or None when `value` is not one."""
    if not (
        isinstance(value, Call)
        and isinstance(value.function, Global)
        and value.function.name.startswith("keras")
    ):
        return None
    state = value.state
    if not isinstance(state, dict):
        return None
    shape, dtype = state.get("_shape"), state.get("_dtype")
    if not (
        isinstance(shape, tuple) and all(isinstance(size, int) and 0 <= size < 1 << 48 for size in shape)
    ):
        return None
    if not isinstance(dtype, str):
        return None
    name, trainable = state.get("_name"), state.get("_trainable")
    return (
        name if isinstance(name, str) else None,
        ArrayHeader(list(shape), dtype),
        trainable if isinstance(trainable, bool) else None,
    )


def _dtype_name(dtype: Any) -> str:
    if not (isinstance(dtype, Call) and isinstance(dtype.function, Global) and dtype.function.name == _DTYPE):
        raise NotArrays("an array whose dtype is not numpy's")
    code = dtype.arguments[0] if isinstance(dtype.arguments, tuple) and dtype.arguments else None
    if not isinstance(code, str):
        raise NotArrays("a dtype without a type code")
    if code == "O8" or code.startswith("O"):
        return "object"
    kinds = {"f": "float", "i": "int", "u": "uint", "c": "complex"}
    if code == "b1":
        return "bool"
    if code[:1] in kinds and code[1:].isdigit():
        return f"{kinds[code[0]]}{int(code[1:]) * 8}"
    return code


# -- opcodes: the subset pickle protocols 2-5 use for arrays in dicts, lists and tuples
def _stop(machine: _Machine) -> None:  # handled by the loop
    raise AssertionError


def _proto(machine: _Machine) -> None:
    machine.take(1)


def _frame(machine: _Machine) -> None:
    machine.take(8)


def _global(machine: _Machine) -> None:
    module = machine.stream.readline(MAX_TEXT).decode("utf-8", "replace").strip()
    name = machine.stream.readline(MAX_TEXT).decode("utf-8", "replace").strip()
    _name_global(machine, f"{module}.{name}")


def _name_global(machine: _Machine, name: str) -> None:
    if len(machine.imports) < MAX_STACK:
        machine.imports[name] = None
    machine.push(Global(name))


def _stack_global(machine: _Machine) -> None:
    name, module = machine.stack.pop(), machine.stack.pop()
    if not (isinstance(module, str) and isinstance(name, str)):
        raise NotArrays("STACK_GLOBAL of values that are not names")
    _name_global(machine, f"{module}.{name}")


def _reduce(machine: _Machine) -> None:
    arguments, function = machine.stack.pop(), machine.stack.pop()
    machine.push(Call(function, arguments))


def _newobj_ex(machine: _Machine) -> None:
    machine.stack.pop()  # keyword arguments
    _reduce(machine)


def _pop(machine: _Machine) -> None:
    machine.stack.pop()


def _pop_mark(machine: _Machine) -> None:
    machine.pop_mark()


def _dup(machine: _Machine) -> None:
    machine.push(machine.stack[-1])


def _frozenset(machine: _Machine) -> None:
    machine.push(tuple(machine.pop_mark()))


def _additems(machine: _Machine) -> None:
    items = machine.pop_mark()
    _container(machine, list).extend(items)


def _float(machine: _Machine) -> float:
    return struct.unpack(">d", machine.take(8))[0]


def _build(machine: _Machine) -> None:
    state = machine.stack.pop()
    target = machine.stack[-1]
    if not isinstance(target, Call):
        raise NotArrays("BUILD of a value that is not an object")
    target.state = state


def _memoize(machine: _Machine) -> None:
    machine.memo[len(machine.memo)] = machine.stack[-1]


def _put(fmt: str):
    def put(machine: _Machine) -> None:
        machine.memo[machine.number(fmt)] = machine.stack[-1]

    return put


def _get(fmt: str):
    def get(machine: _Machine) -> None:
        key = machine.number(fmt)
        if key not in machine.memo:
            raise NotArrays("a memo read before it was written")
        machine.push(machine.memo[key])

    return get


def _pushes(make):
    def push(machine: _Machine) -> None:
        machine.push(make(machine))

    return push


def _tuple_of(count: int):
    def tuple_of(machine: _Machine) -> None:
        items = tuple(machine.stack[len(machine.stack) - count :]) if count else ()
        del machine.stack[len(machine.stack) - count :]
        machine.push(items)

    return tuple_of


def _tuple(machine: _Machine) -> None:
    machine.push(tuple(machine.pop_mark()))


def _list(machine: _Machine) -> None:
    machine.push(machine.pop_mark())


def _dict(machine: _Machine) -> None:
    items = machine.pop_mark()
    machine.push(_pairs({}, items))


def _append(machine: _Machine) -> None:
    item = machine.stack.pop()
    _container(machine, list).append(item)


def _appends(machine: _Machine) -> None:
    items = machine.pop_mark()
    _container(machine, list).extend(items)


def _setitem(machine: _Machine) -> None:
    value, key = machine.stack.pop(), machine.stack.pop()
    _pairs(_container(machine, dict), [key, value])


def _setitems(machine: _Machine) -> None:
    items = machine.pop_mark()
    _pairs(_container(machine, dict), items)


def _container(machine: _Machine, kind: type) -> Any:
    if not machine.stack or not isinstance(machine.stack[-1], kind):
        raise NotArrays(f"adding items to something that is not a {kind.__name__}")
    return machine.stack[-1]


def _pairs(target: dict[Any, Any], items: list[Any]) -> dict[Any, Any]:
    if len(items) % 2:
        raise NotArrays("a dict with a key and no value")
    for key, value in zip(items[::2], items[1::2], strict=True):
        if not isinstance(key, (str, int)):
            raise NotArrays("a dict key that is not a name")
        target[key] = value
    return target


def _long1(machine: _Machine) -> int:
    count = machine.number("<B")
    return int.from_bytes(machine.take(count), "little", signed=True)


_OPCODES = {
    ord("."): _stop,
    0x80: _proto,
    0x95: _frame,
    ord("c"): _global,
    0x93: _stack_global,
    ord("R"): _reduce,
    0x81: _reduce,  # NEWOBJ: cls.__new__(cls, *args), recorded like any call
    0x92: _newobj_ex,
    ord("0"): _pop,
    ord("1"): _pop_mark,
    ord("2"): _dup,
    0x8F: _pushes(lambda m: []),  # EMPTY_SET, kept as a list
    0x90: _additems,
    0x91: _frozenset,
    ord("G"): _pushes(_float),
    0x96: _pushes(lambda m: m.payload(m.number("<Q"))),  # BYTEARRAY8
    ord("b"): _build,
    0x94: _memoize,
    ord("q"): _put("<B"),
    ord("r"): _put("<I"),
    ord("h"): _get("<B"),
    ord("j"): _get("<I"),
    ord("("): _pushes(lambda m: _Mark()),
    ord(")"): _pushes(lambda m: ()),
    ord("]"): _pushes(lambda m: []),
    ord("}"): _pushes(lambda m: {}),
    ord("N"): _pushes(lambda m: None),
    0x88: _pushes(lambda m: True),
    0x89: _pushes(lambda m: False),
    ord("K"): _pushes(lambda m: m.number("<B")),
    ord("M"): _pushes(lambda m: m.number("<H")),
    ord("J"): _pushes(lambda m: m.number("<i")),
    0x8A: _pushes(_long1),
    0x8C: _pushes(lambda m: m.text(m.number("<B"))),
    ord("X"): _pushes(lambda m: m.text(m.number("<I"))),
    0x8D: _pushes(lambda m: m.text(m.number("<Q"))),
    ord("U"): _pushes(lambda m: m.take(m.number("<B")).decode("latin-1")),
    ord("T"): _pushes(lambda m: m.payload(m.number("<I"))),
    ord("C"): _pushes(lambda m: m.payload(m.number("<B"))),
    ord("B"): _pushes(lambda m: m.payload(m.number("<I"))),
    0x8E: _pushes(lambda m: m.payload(m.number("<Q"))),
    0x85: _tuple_of(1),
    0x86: _tuple_of(2),
    0x87: _tuple_of(3),
    ord("t"): _tuple,
    ord("l"): _list,
    ord("d"): _dict,
    ord("a"): _append,
    ord("e"): _appends,
    ord("s"): _setitem,
    ord("u"): _setitems,
}
