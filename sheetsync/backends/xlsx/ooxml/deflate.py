"""Raw deflate, inflate and CRC-32 with ISA-L (python-isal) where installed, zlib otherwise.

A year's task sheet is ~28 MB of XML; ISA-L inflates, deflates and checksums it several times
faster than zlib. Both produce valid deflate streams, so the choice is only about speed.
"""

from __future__ import annotations

import zlib

# A rewritten member is deflated fast rather than small: a year's task sheet is ~28 MB of XML,
# which zlib level 6 takes ~0.25 s CPU to deflate (to 2.0 MB), zlib level 1 ~0.08 s (2.9 MB) and
# ISA-L level 2 ~0.02 s (2.9 MB). Members not rewritten keep their bytes, whoever deflated them.
_ISAL_LEVEL = 2
_ZLIB_LEVEL = 1


def _inflater():
    """(raw deflate → (data, crc32)) with ISA-L, or None where python-isal is not installed."""
    try:
        from isal import isal_zlib
    except ImportError:
        return None

    def inflate(raw: bytes) -> tuple[bytes, int]:
        try:
            data = isal_zlib.decompress(raw, -15)
        except isal_zlib.error as exc:
            raise zlib.error(str(exc)) from exc
        return data, isal_zlib.crc32(data)
    return inflate


def _crc32():
    """crc32(data, value): ISA-L's where installed (5× zlib's), else zlib's."""
    try:
        from isal import isal_zlib
    except ImportError:
        return zlib.crc32
    return isal_zlib.crc32


def _deflater():
    """A raw-deflate compressor: ISA-L's (python-isal) where it is installed, else zlib's."""
    try:
        from isal import isal_zlib
    except ImportError:  # a platform without an isal wheel: zlib is as valid, only slower
        return zlib.compressobj(_ZLIB_LEVEL, zlib.DEFLATED, -15)
    return isal_zlib.compressobj(_ISAL_LEVEL, isal_zlib.DEFLATED, -15)
