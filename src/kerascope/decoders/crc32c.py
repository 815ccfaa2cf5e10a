"""CRC-32C (Castagnoli), the checksum TensorFlow puts after every block of a tensor-bundle
index and beside every tensor it stores in a bundle's data shards.

Python's `zlib.crc32` is the other CRC-32 (IEEE polynomial): the Castagnoli one is
computed by `google_crc32c` (the library numcodecs uses for it, in C), which extends
a checksum piece by piece, so a tensor's bytes are checked as they stream past.
"""

from __future__ import annotations

import google_crc32c

_MASK_DELTA = 0xA282EAD8


def crc32c(data: bytes | memoryview, crc: int = 0) -> int:
    """The CRC-32C of `data`; with `crc`, the CRC of the bytes it was taken over followed by `data`."""
    return google_crc32c.extend(crc, data if isinstance(data, bytes) else bytes(data))


def unmask(masked: int) -> int:
    """The CRC a table stored masked (rotated and offset, so that a CRC of data
    holding CRCs does not degenerate)."""
    rotated = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rotated >> 17) | (rotated << 15)) & 0xFFFFFFFF
