"""Zstandard frames inflated within a bound, by a real zstd library.

Python 3.14 has one (`compression.zstd`); before it, the `zstandard` package. A
frame from a file may declare any content size or none, and any window: the
output is read as a stream and stops one byte past the bound, and a frame asking
for a window larger than any writer of model metadata uses is refused before
anything is allocated for it.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from kerascope.errors import KerascopeError, one_line
from kerascope.limits import LimitExceeded

# 32 MiB: zstd's own encoders use at most 8 MiB windows below level 20 (and a frame
# of known size never needs a window larger than its content).
MAX_WINDOW_LOG = 25


def decompress(data: bytes, limit: int, what: str, field: str) -> bytes:
    """The content of the zstd frame `data`, refused past `limit` bytes (the `Limits` field `field`)."""
    try:
        inflate, malformed = _library()
    except ImportError:
        raise KerascopeError(
            f"{what} is zstd-compressed: reading it needs zstd: pip install zstandard"
        ) from None
    try:
        inflated = inflate(data, limit + 1)
    except malformed as error:
        raise KerascopeError(f"{what} is not a readable zstd frame ({one_line(str(error))})") from None
    if len(inflated) > limit:
        raise LimitExceeded(f"{what} inflates past the {limit:,}-byte limit", field)
    return inflated


def _library() -> tuple[Callable[[bytes, int], bytes], type[Exception]]:
    """The inflating function of the zstd library at hand, and the error it raises."""
    try:
        from compression import zstd  # type: ignore[import-not-found]  # Python >= 3.14
    except ImportError:
        import zstandard

        def inflate(data: bytes, most: int) -> bytes:
            decompressor = zstandard.ZstdDecompressor(max_window_size=1 << MAX_WINDOW_LOG)
            with decompressor.stream_reader(io.BytesIO(data), read_across_frames=False) as reader:
                return reader.read(most)

        return inflate, zstandard.ZstdError

    def inflate_stdlib(data: bytes, most: int) -> bytes:
        options = {zstd.DecompressionParameter.window_log_max: MAX_WINDOW_LOG}
        return zstd.ZstdDecompressor(options=options).decompress(data, max_length=most)

    return inflate_stdlib, zstd.ZstdError
