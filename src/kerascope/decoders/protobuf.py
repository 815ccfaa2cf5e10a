"""Protobuf messages from TensorFlow and Keras files, decoded without TensorFlow.

Each message type is declared here from its field numbers with `protobuf`'s
descriptor API: no generated code, no TensorFlow, and only the fields kerascope
reads (protobuf skips the others). The numbers are TensorFlow's own
(`tensorflow/core/protobuf/*.proto`, `tensorflow/core/framework/*.proto`) and
Keras's (`keras/protobuf/saved_metadata.proto`).

Enums (`DataType`) are declared as `int32`, which is how they travel on the
wire, so an unknown number stays a number rather than failing the decode. Maps
are declared as the repeated `{key = 1, value = 2}` entries they are on the
wire, so the order and any repeated key stay visible.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from kerascope.errors import KerascopeError

METADATA_FILE = "keras_metadata.pb"

# A field: (number, name, kind), kind being a scalar type below or a message name;
# a leading "*" marks a repeated field, a trailing "|" a member of the message's oneof.
_MESSAGES: dict[str, tuple[tuple[int, str, str], ...]] = {
    # keras/protobuf/saved_metadata.proto
    "SavedMetadata": ((1, "nodes", "*KerasObject"),),
    "KerasObject": (
        (2, "node_id", "int32"),
        (3, "node_path", "string"),
        (4, "identifier", "string"),
        (5, "metadata", "string"),
    ),
    # tensorflow/core/framework/tensor_shape.proto
    "TensorShapeProto": ((2, "dim", "*Dim"), (3, "unknown_rank", "bool")),
    "Dim": ((1, "size", "int64"), (2, "name", "string")),
    # tensorflow/core/protobuf/tensor_bundle.proto (TensorSliceProto's extents are not read)
    "BundleHeaderProto": (
        (1, "num_shards", "int32"),
        (2, "endianness", "int32"),
        (3, "version", "VersionDef"),
    ),
    "VersionDef": ((1, "producer", "int32"), (2, "min_consumer", "int32")),
    "BundleEntryProto": (
        (1, "dtype", "int32"),
        (2, "shape", "TensorShapeProto"),
        (3, "shard_id", "int32"),
        (4, "offset", "int64"),
        (5, "size", "int64"),
        (6, "crc32c", "fixed32"),
        (7, "slices", "*TensorSliceProto"),
    ),
    "TensorSliceProto": (),
    # tensorflow/core/protobuf/saved_model.proto, meta_graph.proto, saver.proto
    "SavedModel": ((1, "saved_model_schema_version", "int64"), (2, "meta_graphs", "*MetaGraphDef")),
    "MetaGraphDef": (
        (1, "meta_info_def", "MetaInfoDef"),
        (2, "graph_def", "GraphDef"),
        (3, "saver_def", "SaverDef"),
        (5, "signature_def", "*SignatureDefEntry"),
        (7, "object_graph_def", "SavedObjectGraph"),
    ),
    "MetaInfoDef": ((4, "tags", "*string"), (5, "tensorflow_version", "string")),
    "SaverDef": (
        (1, "filename_tensor_name", "string"),
        (2, "save_tensor_name", "string"),
        (3, "restore_op_name", "string"),
    ),
    "SignatureDefEntry": ((1, "key", "string"), (2, "value", "SignatureDef")),
    "SignatureDef": (
        (1, "inputs", "*TensorInfoEntry"),
        (2, "outputs", "*TensorInfoEntry"),
        (3, "method_name", "string"),
    ),
    "TensorInfoEntry": ((1, "key", "string"), (2, "value", "TensorInfo")),
    "TensorInfo": ((1, "name", "string"), (2, "dtype", "int32"), (3, "tensor_shape", "TensorShapeProto")),
    # tensorflow/core/framework/graph.proto, node_def.proto, function.proto, attr_value.proto
    "GraphDef": ((1, "node", "*NodeDef"), (2, "library", "FunctionDefLibrary")),
    "NodeDef": (
        (1, "name", "string"),
        (2, "op", "string"),
        (3, "input", "*string"),
        (5, "attr", "*AttrEntry"),
    ),
    "AttrEntry": ((1, "key", "string"), (2, "value", "AttrValue")),
    "AttrValue": ((1, "list", "ListValue"), (2, "s", "bytes"), (10, "func", "NameAttrList")),
    "ListValue": ((2, "s", "*bytes"), (9, "func", "*NameAttrList")),
    "NameAttrList": ((1, "name", "string"),),
    "FunctionDefLibrary": ((1, "function", "*FunctionDef"),),
    "FunctionDef": ((1, "signature", "OpDef"), (3, "node_def", "*NodeDef")),
    "OpDef": ((1, "name", "string"),),
    # tensorflow/core/protobuf/saved_object_graph.proto, trackable_object_graph.proto
    "SavedObjectGraph": ((1, "nodes", "*SavedObject"), (2, "concrete_functions", "*ConcreteFunctionEntry")),
    "ConcreteFunctionEntry": ((1, "key", "string"),),
    "SavedObject": (
        (1, "children", "*ObjectReference"),
        (4, "user_object", "SavedUserObject|"),
        (5, "asset", "Opaque|"),
        (6, "function", "SavedFunction|"),
        (7, "variable", "SavedVariable|"),
        (8, "bare_concrete_function", "SavedBareConcreteFunction|"),
        (9, "constant", "Opaque|"),
        (10, "resource", "Opaque|"),
        (12, "captured_tensor", "Opaque|"),
    ),
    "ObjectReference": ((1, "node_id", "int32"), (2, "local_name", "string")),
    "SavedUserObject": ((1, "identifier", "string"), (3, "metadata", "string")),
    "SavedFunction": ((1, "concrete_functions", "*string"),),
    "SavedBareConcreteFunction": ((1, "concrete_function_name", "string"),),
    "SavedVariable": (
        (1, "dtype", "int32"),
        (2, "shape", "TensorShapeProto"),
        (3, "trainable", "bool"),
        (6, "name", "string"),
    ),
    "Opaque": (),
}
# What a SavedObject is: the name of the member of its `kind` oneof that is set.
OBJECT_KINDS = tuple(name for _, name, kind in _MESSAGES["SavedObject"] if kind.endswith("|"))


def parse(message_name: str, data: bytes, what: str) -> Any:
    """`data` decoded as `message_name`; a malformed message is one KerascopeError naming `what`."""
    from google.protobuf.message import DecodeError

    message = message_class(message_name)()
    try:
        message.ParseFromString(data)
    except DecodeError as error:
        raise KerascopeError(f"{what} is not a valid protobuf message: {error}") from None
    return message


def saved_metadata_nodes(data: bytes) -> list[tuple[int, str, str, str]]:
    """(node_id, node_path, identifier, metadata JSON) of every object in a `keras_metadata.pb`.

    `node_id` is the object's index in `saved_model.pb`'s object graph."""
    from google.protobuf.message import DecodeError

    message = message_class("SavedMetadata")()
    try:
        message.ParseFromString(data)
    except DecodeError as error:
        lines = data.count(b"\n")
        hint = (
            " (its line endings may have been converted)"
            if lines and data.count(b"\r\n") in (0, lines)
            else ""
        )
        raise KerascopeError(f"{METADATA_FILE} is not a valid protobuf message{hint}: {error}") from None
    return [(node.node_id, node.node_path, node.identifier, node.metadata) for node in message.nodes]


@cache
def message_class(name: str) -> Any:
    """The class of a message declared above."""
    from google.protobuf import message_factory

    return message_factory.GetMessageClass(_pool().FindMessageTypeByName(f"kerascope.{name}"))


@lru_cache(maxsize=1)
def _pool() -> Any:
    from google.protobuf import descriptor_pb2, descriptor_pool

    field = descriptor_pb2.FieldDescriptorProto
    scalars = {
        "int32": field.TYPE_INT32,
        "int64": field.TYPE_INT64,
        "fixed32": field.TYPE_FIXED32,
        "bool": field.TYPE_BOOL,
        "string": field.TYPE_STRING,
        "bytes": field.TYPE_BYTES,
    }
    file = descriptor_pb2.FileDescriptorProto(
        name="kerascope/tensorflow.proto", package="kerascope", syntax="proto3"
    )
    for message_name, fields in _MESSAGES.items():
        message = file.message_type.add(name=message_name)
        if any(kind.endswith("|") for _, _, kind in fields):
            message.oneof_decl.add(name="kind")
        for number, name, kind in fields:
            repeated, kind = kind.startswith("*"), kind.lstrip("*")
            in_oneof, kind = kind.endswith("|"), kind.rstrip("|")
            declared = message.field.add(
                name=name,
                number=number,
                label=field.LABEL_REPEATED if repeated else field.LABEL_OPTIONAL,
            )
            if kind in scalars:
                declared.type = scalars[kind]
            else:
                declared.type = field.TYPE_MESSAGE
                declared.type_name = f".kerascope.{kind}"
            if in_oneof:
                declared.oneof_index = 0
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return pool


MAX_RANK = 254  # TensorShape's own bound (tensor_shape.h kMaxDims)


def shape_list(shape: Any, what: str) -> list[int | None] | None:
    """A `TensorShapeProto` as a list (None for a -1 dimension), or None when its rank is unknown."""
    if shape.unknown_rank:
        return None
    if len(shape.dim) > MAX_RANK:
        raise KerascopeError(f"{what} has {len(shape.dim):,} dimensions; TensorFlow allows {MAX_RANK}")
    sizes = [dim.size for dim in shape.dim]
    if any(size < -1 for size in sizes):
        raise KerascopeError(f"{what} has a negative dimension {min(sizes)}")
    return [None if size == -1 else size for size in sizes]
