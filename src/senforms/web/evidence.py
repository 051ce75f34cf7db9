"""A pupil's evidence for an EHC request pack, uploaded in the browser and checked as it arrives.

Each file goes through the library's evidence intake (`bundle.evidence.intake`: the real type from
its bytes, parsed in a child process, scripts and metadata stripped); only the clean PDF it makes is
kept, under a random name, with a small JSON sidecar (its own name, kind, title, pages). The name a
file was uploaded with may name a child, so it lives in the sidecar in the private uploads folder,
never in the database. One sidecar per file, written atomically: two files arriving at once never
overwrite each other's record.

A file whose name is the file name of a row on the pupil's Evidence sheet takes that row's kind,
title, author and date; any other file is the kind the SENCo chose. The pack is made from the
uploads alone (the register's evidence paths are on the school's computers, not here), so the
checklist the page shows is exactly the pack's.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO

from senforms.bundle.checklist import ChecklistItem, build_checklist
from senforms.bundle.evidence import DocxConverter, intake
from senforms.errors import EvidenceError, SenformsError
from senforms.model import EvidenceFile, EvidenceKind, LocalAuthority, Pupil, Register
from senforms.outputs.atomic import private_temp_dir, sha256_file, write_atomic
from senforms.web.datadir import UPLOADS
from senforms.web.files import token

EVIDENCE = "evidence"
AUTO = "auto"  # the kind: the Evidence sheet's, matched by file name, else other evidence
_UPN = re.compile(r"^[A-Z0-9]{13}$")
_ID = re.compile(r"^[A-Za-z0-9_-]{16,40}$")


@dataclass(frozen=True)
class Upload:
    """One evidence file taken in: its clean PDF and what it is."""

    id: str
    name: str  # as uploaded
    kind: EvidenceKind
    title: str
    author: str | None
    date: dt.date | None
    pages: int
    warnings: tuple[str, ...]
    sha256: str
    listed: bool  # it is a file the Evidence sheet lists
    pdf: Path

    def as_evidence(self) -> EvidenceFile:
        return EvidenceFile(title=self.title, author=self.author, date=self.date, kind=self.kind, path=str(self.pdf))


@dataclass(frozen=True)
class Arrival:
    """What became of one uploaded file: taken in, or refused with the reason and what to do."""

    name: str
    accepted: bool
    message: str


def folder(root: Path, upn: str) -> Path:
    """The pupil's evidence folder; the UPN is checked, so no request can name another path."""
    if not _UPN.match(upn):
        raise SenformsError("that is not a pupil's UPN", fix="choose the pupil from the EHC packs page")
    return root / UPLOADS / EVIDENCE / upn


def uploads(root: Path, upn: str) -> list[Upload]:
    """The pupil's uploads, oldest first; a sidecar whose PDF is gone (removed part-way) is skipped."""
    found = []
    where = folder(root, upn)
    if not where.is_dir():
        return []
    for sidecar in where.glob("*.json"):
        try:
            data = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        pdf = sidecar.with_suffix(".pdf")
        if not pdf.is_file():
            continue
        found.append((data.get("uploaded", 0), Upload(
            id=sidecar.stem, name=data["name"], kind=EvidenceKind(data["kind"]), title=data["title"], author=data.get("author"),
            date=dt.date.fromisoformat(data["date"]) if data.get("date") else None, pages=int(data["pages"]),
            warnings=tuple(data.get("warnings", ())), sha256=data["sha256"], listed=bool(data.get("listed")), pdf=pdf,
        )))
    return [upload for _, upload in sorted(found, key=lambda pair: pair[0])]


def _base_name(original: str) -> str:
    """The file's own name, whatever folder a browser sent with it, safe to make a file of."""
    name = PureWindowsPath(PurePosixPath(original).name).name
    name = re.sub(r"[\x00-\x1f/\\:*?\"<>|]", "", name).strip(" .")
    return name[-120:] or "upload"


def _listed_row(pupil: Pupil, name: str) -> EvidenceFile | None:
    wanted = name.casefold()
    return next((e for e in pupil.evidence if PureWindowsPath(PurePosixPath(e.path).name).name.casefold() == wanted), None)


def take_in(root: Path, pupil: Pupil, stream: IO[bytes], original_name: str, kind: str, *, docx_converter: DocxConverter | None = None,
            clock: Callable[[], float] | None = None) -> Arrival:
    """Check one uploaded file with the evidence intake and keep its clean PDF, or say why not."""
    name = _base_name(original_name)
    where = folder(root, pupil.upn)
    where.mkdir(parents=True, exist_ok=True, mode=0o700)
    scratch = private_temp_dir(".arriving", where)
    try:
        received = scratch / name
        with open(received, "xb") as handle:
            shutil.copyfileobj(stream, handle)
        digest = sha256_file(received)
        twin = next((u for u in uploads(root, pupil.upn) if u.sha256 == digest), None)
        if twin is not None:
            return Arrival(name, False, f"{name}: this file is already here, as {twin.name}: it was not added twice.")
        try:
            result = intake(received, scratch / "clean", docx_converter=docx_converter)
        except EvidenceError as refused:
            return Arrival(name, False, refused.message + (f" ({refused.fix})" if refused.fix else ""))
        row = _listed_row(pupil, name)
        chosen = row.kind if kind == AUTO and row else (EvidenceKind.OTHER if kind == AUTO else EvidenceKind(kind))
        title = row.title if row else (PurePosixPath(name).stem.replace("-", " ").replace("_", " ").strip().capitalize() or "Evidence")
        upload_id = token()
        result.pdf.replace(where / f"{upload_id}.pdf")
        sidecar = {
            "name": name, "kind": chosen.value, "title": title, "author": row.author if row else None,
            "date": row.date.isoformat() if row and row.date else None, "pages": result.pages, "warnings": list(result.warnings),
            "sha256": digest, "listed": row is not None, "uploaded": (clock or time.time)(),
        }
        write_atomic(where / f"{upload_id}.json", json.dumps(sidecar).encode("utf-8"))  # last: the file counts once this is there
        pages = f"{result.pages} page{'s' if result.pages != 1 else ''}"
        notes = "".join(f" Note: {w}." for w in result.warnings)
        return Arrival(name, True, f"{name}: taken in as {chosen.label.lower()} ({pages}).{notes}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def remove(root: Path, upn: str, upload_id: str) -> bool:
    if not _ID.match(upload_id):
        return False
    where = folder(root, upn)
    sidecar = where / f"{upload_id}.json"
    if not sidecar.is_file():
        return False
    sidecar.unlink()  # first: without its sidecar the file no longer counts
    (where / f"{upload_id}.pdf").unlink(missing_ok=True)
    return True


def awaited(pupil: Pupil, taken: list[Upload]) -> list[EvidenceFile]:
    """The Evidence sheet's files for the pupil that have not been uploaded yet."""
    names = {u.name.casefold() for u in taken}
    return [e for e in pupil.evidence if PureWindowsPath(PurePosixPath(e.path).name).name.casefold() not in names]


def with_uploads(register: Register, upn: str, taken: list[Upload]) -> Register:
    """The register with this pupil's evidence being exactly its uploads: what the pack is made from."""
    pupils = [p.model_copy(update={"evidence": [u.as_evidence() for u in taken]}) if p.upn == upn else p for p in register.pupils]
    return register.model_copy(update={"pupils": pupils})


def checklist(register: Register, pupil: Pupil, la: LocalAuthority, on: dt.date) -> list[ChecklistItem]:
    """The pack's checklist as `build_pack` will make it, for the pupil as `with_uploads` gives them."""
    return build_checklist(pupil, la, on, register.provision_costs(pupil, on))
