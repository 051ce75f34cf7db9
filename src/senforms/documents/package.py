"""Word files as zip packages whose unchanged members are compressed once per batch, not once per file.

The bytes are exactly those `zipfile` writes for the same members with senforms' fixed times and
permissions (see templating.normalise_docx), so a member compressed once can be copied into
every document of a batch and the result is still byte-identical from run to run.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the time every member carries (as normalise_docx writes)
# The zip format's central directory entry and end record, as zipfile packs them.
_CENTRAL_DIRECTORY = ("<4s4B4HL2L5H2L", b"PK\001\002")
_END_OF_ARCHIVE = ("<4s4H2LH", b"PK\005\006")


@dataclass(frozen=True)
class Member:
    """One member of a package, compressed: its name, CRC-32, sizes and deflated bytes."""

    name: str
    crc: int
    size: int
    deflated: bytes


def compress(name: str, content: bytes) -> Member:
    """`content` deflated exactly as zipfile.writestr deflates it (default level, raw stream)."""
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    deflated = compressor.compress(content) + compressor.flush()
    return Member(name, zlib.crc32(content) & 0xFFFFFFFF, len(content), deflated)


def _info(member: Member, offset: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(member.name, FIXED_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    info.flag_bits = 0
    info.CRC, info.compress_size, info.file_size = member.crc, len(member.deflated), member.size
    info.header_offset = offset
    return info


def write_package(members: list[Member]) -> bytes:
    """The zip file holding `members` in order, as zipfile would write it (no zip64: Word files are small)."""
    chunks: list[bytes] = []
    infos: list[zipfile.ZipInfo] = []
    offset = 0
    for member in members:
        if member.size > zipfile.ZIP64_LIMIT or len(member.deflated) > zipfile.ZIP64_LIMIT:
            raise ValueError(f"{member.name} is too large for a Word document")
        info = _info(member, offset)
        header = info.FileHeader(False)
        chunks += (header, member.deflated)
        offset += len(header) + len(member.deflated)
        infos.append(info)
    start = offset
    for info in infos:
        dt = info.date_time
        dosdate = (dt[0] - 1980) << 9 | dt[1] << 5 | dt[2]
        dostime = dt[3] << 11 | dt[4] << 5 | (dt[5] // 2)
        try:
            filename, flags = info.filename.encode("ascii"), info.flag_bits
        except UnicodeEncodeError:
            filename, flags = info.filename.encode("utf-8"), info.flag_bits | 0x800
        entry = struct.pack(
            *_CENTRAL_DIRECTORY, info.create_version, info.create_system,
            info.extract_version, info.reserved, flags, info.compress_type, dostime, dosdate, info.CRC,
            info.compress_size, info.file_size, len(filename), 0, 0, 0, info.internal_attr, info.external_attr,
            info.header_offset,
        )
        chunks += (entry, filename)
        offset += len(entry) + len(filename)
    if offset > zipfile.ZIP64_LIMIT or len(infos) >= 0xFFFF:
        raise ValueError("the document is too large for a Word document")
    chunks.append(struct.pack(*_END_OF_ARCHIVE, 0, 0, len(infos), len(infos), offset - start, start, 0))
    return b"".join(chunks)
