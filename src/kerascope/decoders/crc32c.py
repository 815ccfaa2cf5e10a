"""CRC-32C (Castagnoli), the checksum LevelDB-format tables put after every block.

Python's `zlib.crc32` is the other CRC-32 (IEEE polynomial), so the table-driven
form is computed here. Blocks of a tensor-bundle index are small (kilobytes);
checking them keeps a flipped byte from turning into a plausible wrong shape.
"""

from __future__ import annotations

_POLYNOMIAL = 0x82F63B78  # the Castagnoli polynomial, bit-reversed
_MASK_DELTA = 0xA282EAD8


def _table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLYNOMIAL if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _table()


def crc32c(data: bytes | memoryview) -> int:
    crc = 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def unmask(masked: int) -> int:
    """The CRC a table stored masked (rotated and offset, so that a CRC of data
    holding CRCs does not degenerate)."""
    rotated = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rotated >> 17) | (rotated << 15)) & 0xFFFFFFFF
