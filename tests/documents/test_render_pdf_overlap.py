"""`render --pdf` hands each document to LibreOffice as soon as it is written (#15 item 2)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

import senforms
from senforms.pdf import PdfConverter

from ..conftest import SAMPLES

LOADED = senforms.load_register(SAMPLES / "register.xlsx")
ON = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def warm_pool(tmp_path_factory: pytest.TempPathFactory):
    """Two LibreOffices already started (by a first small batch), so a loaded machine's slow start
    does not decide whether conversion overlaps rendering."""
    with PdfConverter(2) as pool:
        options = senforms.RenderOptions(out_dir=tmp_path_factory.mktemp("warm-up"), pdf_only=True, on=ON)
        assert senforms.render(LOADED.register, "la-cover-letter", options, converter=pool).failed == 0
        yield pool


@pytest.mark.libreoffice
@pytest.mark.timeout(300)
def test_pdfs_are_made_while_the_rest_are_still_being_written(tmp_path: Path, warm_pool: PdfConverter) -> None:
    events: list[str] = []

    def made(document: object) -> None:
        events.append("made")
        time.sleep(1.0)  # a slow batch: LibreOffice has time to finish the first ones meanwhile

    options = senforms.RenderOptions(out_dir=tmp_path / "letters", pdf=True, on=ON, include_notified=True, logo=LOADED.logo)
    result = senforms.render(LOADED.register, "parent-notification", options, on_progress=made, on_converted=lambda r: events.append("converted"), converter=warm_pool)
    assert result.failed == 0
    assert events.count("made") == 14 == events.count("converted")
    last_made = len(events) - 1 - events[::-1].index("made")
    assert events.index("converted") < last_made, events  # converting overlapped rendering
    for document in result.report.documents:  # every PDF, of its own letter
        pdf = document.path.with_suffix(".pdf")
        text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
        assert document.job.contact is not None and document.job.contact.name in " ".join(text.split())


@pytest.mark.libreoffice
@pytest.mark.timeout(300)
def test_one_converter_serves_several_batches_and_stays_open(tmp_path: Path, warm_pool: PdfConverter) -> None:
    for kind in ("ehc-request", "la-cover-letter"):
        options = senforms.RenderOptions(out_dir=tmp_path / kind, pdf_only=True, on=ON, logo=LOADED.logo)
        result = senforms.render(LOADED.register, kind, options, converter=warm_pool)
        assert result.failed == 0 and len(result.pdfs) == 3
        assert sorted(p.suffix for p in (tmp_path / kind).iterdir()) == [".csv", ".pdf", ".pdf", ".pdf"]
        assert not warm_pool.closed


class _Stop(Exception):
    pass


@pytest.mark.libreoffice
@pytest.mark.timeout(300)
def test_a_batch_stopped_part_way_keeps_and_records_the_pdfs_already_made(tmp_path: Path, warm_pool: PdfConverter) -> None:
    import csv

    made: list[object] = []

    def slow_then_stop(document: object) -> None:
        made.append(document)
        time.sleep(1.0)
        if len(made) == 10:
            raise _Stop  # Ctrl-C, or a disk filling up, while LibreOffice is still busy

    out = tmp_path / "letters"
    options = senforms.RenderOptions(out_dir=out, pdf=True, on=ON, include_notified=True, logo=LOADED.logo)
    with pytest.raises(_Stop):
        senforms.render(LOADED.register, "parent-notification", options, on_progress=slow_then_stop, converter=warm_pool)
    rows = {row["file"]: row for row in csv.DictReader(open(out / "manifest.csv", encoding="utf-8"))}
    pdfs = sorted(p.name for p in out.glob("*.pdf"))
    assert pdfs and len(pdfs) < 14  # some made while the letters were written, the rest abandoned
    docx = [p.name for p in out.glob("*.docx")]
    assert set(pdfs) <= set(rows) and len(docx) >= 10 and set(docx) <= set(rows)
    for name in pdfs:
        assert PdfReader(out / name).pages and rows[name]["upn"] == name.split("-")[0]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file left behind


@pytest.mark.libreoffice
@pytest.mark.timeout(300)
def test_packs_and_invitations_use_the_callers_converter_and_leave_it_open(tmp_path: Path, warm_pool: PdfConverter, monkeypatch) -> None:
    """The demo (and any caller making several packs) starts LibreOffice once, not once a pack."""
    import senforms.pdf
    import senforms.pdf.convert

    def no_new_pool(*args, **kwargs):
        raise AssertionError("a second LibreOffice pool was started")

    monkeypatch.setattr(senforms.pdf, "PdfConverter", no_new_pool)
    monkeypatch.setattr(senforms.pdf.convert, "PdfConverter", no_new_pool)
    for upn in ("Z881999919001", "N881999919002"):
        options = senforms.PackOptions(out_dir=tmp_path / upn, on=ON, base_dir=LOADED.base_dir, logo=LOADED.logo)
        pack = senforms.build_pack(LOADED.register, upn, options, converter=warm_pool)
        text = " ".join(PdfReader(pack.bundle.path).pages[0].extract_text().split())
        assert upn in text and pack.bundle.pages > 20
        assert not warm_pool.closed
    batch = senforms.prepare_invitations(LOADED.register, tmp_path / "invitations", on=ON, logo=LOADED.logo, converter=warm_pool)
    assert batch.invitations and not batch.failures
    assert all(inv.letter_pdf is not None and inv.letter_pdf.is_file() for inv in batch.invitations)
    assert not warm_pool.closed
