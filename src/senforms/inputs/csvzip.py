"""A zip of CSV exports from a school information system, read as one register (the CLI and the
web upload alike): checked against zip bombs and for anything but CSV files, then each CSV read in
memory, so no pupil data is unpacked to disk."""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from senforms.errors import ProblemList, UnreadableFileError
from senforms.filetypes import zip_bomb
from senforms.inputs.assemble import RawInput
from senforms.inputs.csvfile import MAX_CSV_BYTES, read_csv_files, reading_order, too_large

_SAFE_CSV_NAME = re.compile(r"^[\w .()-]{1,80}\.csv$", re.IGNORECASE)
_MAC_FOLDER = "__MACOSX/"  # the resource forks macOS's Compress adds: never part of the export


def read_csv_zip(path: Path, problems: ProblemList, name: str | None = None) -> tuple[RawInput, list[str]]:
    """Every CSV in the zip at `path` (in any one folder of it) as one register; `name` is the
    zip's name as the user knows it (default: the file's own)."""
    name = name or path.name
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
            if zip_bomb(infos):
                raise UnreadableFileError(f"{name} would expand to far more than an SEN register needs", fix="zip only the CSV files of the export")
            if any(info.flag_bits & 0x1 for info in infos):  # bit 0: the member is encrypted
                raise UnreadableFileError(f"{name} is password-protected", fix="make the zip again without a password")
            members = [info for info in infos if not info.filename.startswith(_MAC_FOLDER)]
            names = [PurePosixPath(info.filename).name for info in members]
            others = [n for n in names if not _SAFE_CSV_NAME.match(n)]
            if others or not names:
                listed = ", ".join(others[:3]) or "nothing"
                raise UnreadableFileError(
                    f"{name} holds {listed}, not only CSV files",
                    fix="zip only the CSV files of the MIS export (pupils.csv, contacts.csv …)",
                )
            if len({n.casefold() for n in names}) != len(names):
                raise UnreadableFileError(f"{name} holds two CSV files with the same name in different folders", fix="zip one folder of CSV files")
            ordered = sorted(zip(names, members), key=lambda pair: reading_order(pair[0]))

            def reader(info: zipfile.ZipInfo, file: str):
                def read() -> bytes:
                    if info.file_size > MAX_CSV_BYTES:  # the size the zip declares, before reading
                        raise too_large(file)
                    with archive.open(info) as member:
                        data = member.read(MAX_CSV_BYTES + 1)  # never more, whatever it declared
                    if len(data) > MAX_CSV_BYTES:
                        raise too_large(file)
                    return data

                return read

            return read_csv_files(name, [(file, reader(info, file)) for file, info in ordered], problems)
    except (zipfile.BadZipFile, zlib.error, EOFError):
        raise UnreadableFileError(f"{name} is a damaged zip file", fix="make the zip again") from None
