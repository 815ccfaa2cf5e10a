"""Protobuf messages from TensorFlow and Keras files, decoded without TensorFlow.

Each message type is declared here from its field numbers with `protobuf`'s
descriptor API: no generated code, no TensorFlow, and only the fields kerascope
reads (protobuf skips the others).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from kerascope.errors import KerascopeError

METADATA_FILE = "keras_metadata.pb"


def saved_metadata_nodes(data: bytes) -> list[tuple[str, str, str]]:
    """(node_path, identifier, metadata JSON) of every object in a `keras_metadata.pb`."""
    from google.protobuf.message import DecodeError

    message = _metadata_class()()
    try:
        message.ParseFromString(data)
    except DecodeError as error:
        hint = " (its line endings may have been converted)" if b"\r" not in data and b"\n" in data else ""
        raise KerascopeError(f"{METADATA_FILE} is not a valid protobuf message{hint}: {error}") from None
    return [(node.node_path, node.identifier, node.metadata) for node in message.nodes]


@lru_cache(maxsize=1)
def _metadata_class() -> Any:
    """`SavedMetadata`, declared from its field numbers (no generated code, no TensorFlow)."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    field = descriptor_pb2.FieldDescriptorProto
    file = descriptor_pb2.FileDescriptorProto(
        name="kerascope/saved_metadata.proto", package="kerascope", syntax="proto3"
    )
    saved_object = file.message_type.add(name="SavedObject")
    for number, name, kind in (
        (2, "node_id", field.TYPE_INT32),
        (3, "node_path", field.TYPE_STRING),
        (4, "identifier", field.TYPE_STRING),
        (5, "metadata", field.TYPE_STRING),
    ):
        saved_object.field.add(name=name, number=number, type=kind, label=field.LABEL_OPTIONAL)
    metadata = file.message_type.add(name="SavedMetadata")
    metadata.field.add(
        name="nodes",
        number=1,
        type=field.TYPE_MESSAGE,
        label=field.LABEL_REPEATED,
        type_name=".kerascope.SavedObject",
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("kerascope.SavedMetadata"))
