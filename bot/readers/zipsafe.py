"""Zip containers (DOCX, ODT, EPUB) opened without trusting what their headers say.

A 40 KB DOCX can inflate to gigabytes. The central directory declares each part's inflated
size, so the sum and each part's compression ratio are checked before anything is inflated.
A hostile file can lie in those headers, and zipfile's own `read()` inflates a whole part in one
call (up to 2 GB) before it cuts the result to the declared size; so parts are inflated here
with zlib in 64 KB steps, and one that runs past its declared size is refused at that point.

    container = SafeZip(data, limits, "DOCX")   # Unreadable: corrupt, encrypted, zip bomb
    xml = container.read("content.xml")         # bounded inflate, CRC checked
    container.verify()                          # every part, before a library reads them itself
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from bot.readers.base import Limits, Unreadable

RATIO_FLOOR = 1 << 20  # a part that inflates to less than 1 MiB is no bomb, whatever its ratio
_STEP = 1 << 16  # bytes inflated per zlib call
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # a part's local file header (APPNOTE 4.3.7)
_LOCAL_SIGNATURE = b"PK\x03\x04"


class SafeZip:
    """A zip archive whose declared sizes are within `limits`, read one bounded part at a time."""

    def __init__(self, data: bytes, limits: Limits, kind: str) -> None:
        self.kind = kind
        self._data = memoryview(data)
        try:
            self._archive = zipfile.ZipFile(io.BytesIO(data))
            infos = self._archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
            raise Unreadable(f"corrupt {kind} ({exc})") from None
        total = 0
        for info in infos:
            if info.flag_bits & 0x1:
                raise Unreadable("encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise Unreadable(f"corrupt {kind} (unsupported zip compression in {info.filename})")
            total += info.file_size
            if total > limits.max_unpacked_bytes:
                raise Unreadable(f"zip bomb: parts inflate to over {_size(total)}")
            if info.file_size > RATIO_FLOOR and (
                info.file_size > limits.max_ratio * max(info.compress_size, 1)
            ):
                ratio = info.file_size // max(info.compress_size, 1)
                raise Unreadable(f"zip bomb: {info.filename} inflates {ratio} times")
        self._infos = {info.filename: info for info in infos}  # the last of duplicate names wins
        self._all = infos

    def names(self) -> list[str]:
        """The part names, in archive order."""
        return list(self._infos)

    def __contains__(self, name: str) -> bool:
        return name in self._infos

    def read(self, name: str) -> bytes:
        """One part's bytes. Unreadable when it is missing, corrupt, or inflates past its size."""
        info = self._infos.get(name)
        if info is None:
            raise Unreadable(f"corrupt {self.kind} (no {name})")
        return self._inflate(info, keep=True)

    def verify(self) -> None:
        """Inflate every part once, keeping nothing: after this, a library may read the archive
        with zipfile's unbounded read() and get no more than the declared sizes."""
        for info in self._all:
            self._inflate(info, keep=False)

    def _inflate(self, info: zipfile.ZipInfo, keep: bool) -> bytes:
        raw = self._raw(info)
        if info.compress_type == zipfile.ZIP_STORED:
            if len(raw) != info.file_size:
                raise Unreadable(f"corrupt {self.kind} ({info.filename}: wrong size)")
            out = bytes(raw)
            self._check_crc(info, zlib.crc32(out))
            return out if keep else b""
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        chunks: list[bytes] = []
        crc = size = 0
        pending: bytes | memoryview = raw
        try:
            while not inflater.eof:
                before = len(pending)
                chunk = inflater.decompress(pending, _STEP)
                pending = inflater.unconsumed_tail
                size += len(chunk)
                if size > info.file_size:
                    raise Unreadable(
                        f"zip bomb: {info.filename} inflates past its declared "
                        f"{_size(info.file_size)}"
                    )
                crc = zlib.crc32(chunk, crc)
                if keep:
                    chunks.append(chunk)
                if not chunk and len(pending) == before:
                    break  # no progress: the input ends before the stream does
        except zlib.error as exc:
            raise Unreadable(f"corrupt {self.kind} ({info.filename}: {exc})") from None
        if not inflater.eof or size != info.file_size:
            raise Unreadable(f"corrupt {self.kind} ({info.filename}: truncated)")
        self._check_crc(info, crc)
        return b"".join(chunks)

    def _raw(self, info: zipfile.ZipInfo) -> memoryview:
        """The part's compressed bytes, found through its local header."""
        start = info.header_offset
        header = bytes(self._data[start : start + _LOCAL_HEADER.size])
        if len(header) != _LOCAL_HEADER.size or not header.startswith(_LOCAL_SIGNATURE):
            raise Unreadable(f"corrupt {self.kind} ({info.filename}: bad local header)")
        fields = _LOCAL_HEADER.unpack(header)
        begin = start + _LOCAL_HEADER.size + fields[10] + fields[11]  # name and extra lengths
        raw = self._data[begin : begin + info.compress_size]
        if len(raw) != info.compress_size:
            raise Unreadable(f"corrupt {self.kind} ({info.filename}: truncated)")
        return raw

    def _check_crc(self, info: zipfile.ZipInfo, crc: int) -> None:
        if crc != info.CRC:
            raise Unreadable(f"corrupt {self.kind} ({info.filename}: bad CRC)")


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"
