"""Every PDF senforms makes is tagged for a screen reader: structure tree, headings, tables, en-GB, its title shown (#15 item 4)."""

from __future__ import annotations

import collections
import datetime as dt
import zipfile
from pathlib import Path

import pikepdf
import pytest

import senforms
from senforms.documents.catalogue import KINDS, plan_jobs
from senforms.documents.headings import order_problems
from senforms.documents.render import RenderRequest, render_documents
from senforms.pdf.pool import PdfConverter, export_filter_argument

from ..conftest import SAMPLES

LOADED = senforms.load_register(SAMPLES / "register.xlsx")
ON = dt.date(2026, 12, 1)


def structure(pdf: pikepdf.Pdf) -> collections.Counter:
    """How many of each structure element (H1, Table, TH …) the PDF's structure tree holds."""
    found: collections.Counter = collections.Counter()

    def walk(node: object) -> None:
        if isinstance(node, pikepdf.Array):
            for item in node:
                walk(item)
        elif isinstance(node, pikepdf.Dictionary):
            if "/S" in node:
                found[str(node.S).lstrip("/")] += 1
            if "/K" in node:
                walk(node.K)

    walk(pdf.Root.StructTreeRoot.K)
    return found


def heading_levels(pdf: pikepdf.Pdf) -> list[int]:
    """The level of each heading (H1…H6) in the structure tree, in reading order: what a screen
    reader lists as the document's headings. (A Title element is not a heading level.)"""
    levels: list[int] = []

    def walk(node: object) -> None:
        if isinstance(node, pikepdf.Array):
            for item in node:
                walk(item)
        elif isinstance(node, pikepdf.Dictionary):
            tag = str(node.get("/S", "")).lstrip("/")
            if len(tag) == 2 and tag[0] == "H" and tag[1].isdigit():
                levels.append(int(tag[1]))
            if "/K" in node:
                walk(node.K)

    walk(pdf.Root.StructTreeRoot.K)
    return levels


def heading_level_problems(levels: list[int]) -> list[str]:
    """PDF/UA (Matterhorn 14-002, 14-003), by senforms.documents.headings: the first heading is H1 and no level is skipped going down."""
    problems = []
    for problem in order_problems(levels):
        if problem.kind == "none":
            problems.append("there is no heading at all")
        elif problem.kind == "first":
            problems.append(f"the first heading is H{problem.level}, not H1")
        else:
            problems.append(f"heading {problem.index + 1} is H{problem.level} straight after H{problem.before}")
    return problems


SUBJECT_LINES = {  # each letter's subject line, its Heading 1 (the PDF's first bookmark is made from it)
    "parent-notification": "Amara Okafor: special educational needs (SEN) support",
    "invitation": "Invitation: SEN support review for Amara Okafor",
    "la-cover-letter": "Request for an education, health and care (EHC) needs assessment Amara Okafor, born 14 May 2016, UPN Z881999919001",
}


@pytest.fixture(scope="module")
def one_of_each(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One Word document of every kind (with the school's logo), from the samples."""
    folder = tmp_path_factory.mktemp("kinds")
    made = {}
    for kind in KINDS:
        job = next(iter(plan_jobs(LOADED.register, kind, on=ON)))
        report = render_documents([job], RenderRequest(kind, folder / kind, logo=LOADED.logo))
        made[kind] = report.paths[0]
    return made


def test_the_logo_has_alt_text_naming_the_school(one_of_each: dict[str, Path]) -> None:
    with zipfile.ZipFile(one_of_each["support-plan"]) as docx:
        headers = "".join(docx.read(n).decode() for n in docx.namelist() if n.startswith("word/header") and n.endswith(".xml"))
    assert 'descr="Hollybrook Primary School logo"' in headers


def _tree(*tags: str) -> pikepdf.Pdf:
    """A PDF whose structure tree is a Document holding these elements in order (H2's K an H3, …)."""
    pdf = pikepdf.new()
    kids = pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name("/" + t))) for t in tags])
    document = pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Document, K=kids)
    pdf.Root.StructTreeRoot = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot, K=pdf.make_indirect(document)))
    return pdf


def test_the_heading_check_catches_a_letter_starting_at_h2_and_a_skipped_level() -> None:
    assert heading_level_problems(heading_levels(_tree("Title", "H1", "P", "H2", "H2", "H1", "H2", "H3"))) == []
    assert heading_level_problems(heading_levels(_tree("P", "H2", "P", "H2"))) == ["the first heading is H2, not H1"]  # parent-notification as it was
    assert heading_level_problems(heading_levels(_tree("H1", "H3", "H2"))) == ["heading 2 is H3 straight after H1"]
    assert heading_level_problems(heading_levels(_tree("P", "Table", "P"))) == ["there is no heading at all"]  # invitation as it was


def test_the_fallback_asks_for_the_same_tagged_export() -> None:
    argument = export_filter_argument()
    assert argument.startswith("pdf:writer_pdf_Export:{")
    assert '"UseTaggedPDF":{"type":"boolean","value":"true"}' in argument and '"PDFUACompliance"' in argument


@pytest.mark.libreoffice
@pytest.mark.parametrize("mode", ["pool", "oneshot"])
def test_every_kind_of_pdf_is_tagged(one_of_each: dict[str, Path], tmp_path: Path, mode: str) -> None:
    if mode == "pool":
        from senforms.pdf.soffice import find_soffice, find_uno_python

        if find_uno_python(find_soffice()) is None:
            pytest.skip("no Python with uno here: pool mode cannot run")
    from senforms.pdf.convert import convert_many

    with PdfConverter(workers=2, mode=mode, temp_root=tmp_path) as converter:  # type: ignore[arg-type]
        results = convert_many(list(one_of_each.values()), tmp_path / "pdf", converter=converter)
    for kind, result in zip(one_of_each, results):
        assert result.status == "converted", (kind, result.error)
        with pikepdf.open(result.pdf) as pdf:
            assert pdf.Root.MarkInfo.Marked is True, kind
            assert str(pdf.Root.Lang) == "en-GB", kind
            assert pdf.Root.ViewerPreferences.DisplayDocTitle is True, kind
            assert "pdfuaid" in str(pdf.open_metadata()), kind  # PDF/UA identification
            assert str(pdf.docinfo["/Title"]) == KINDS[kind].title  # the kind of document, no pupil's name
            tags = structure(pdf)
            if kind == "one-page-profile":  # one short page: a title and a heading over each part
                assert tags["Document"] == 1 and tags["Title"] == 1 and tags["H1"] >= 4 and sum(tags.values()) > 12, (kind, tags)
            else:
                assert tags["Document"] == 1 and sum(tags.values()) > 20, (kind, tags)
            # (The logo sits in the page header, which a tagged PDF marks as an artifact, not content.)
            if kind in ("support-plan", "review", "ehc-request"):  # the forms: real headings and tables with header cells
                assert tags["H1"] >= 1 and tags["Table"] >= 1 and tags["TH"] >= 1 and tags["TD"] >= 1, (kind, tags)
            # Letters too: a screen reader's list of headings starts at H1 and goes down one level at a time.
            assert heading_level_problems(heading_levels(pdf)) == [], (kind, heading_levels(pdf))
            if kind in SUBJECT_LINES:  # the letter's subject line is that H1
                assert heading_levels(pdf)[0] == 1 and tags["H1"] == 1, (kind, tags)
                with pdf.open_outline() as outline:
                    assert [str(item.title) for item in outline.root][:1] == [SUBJECT_LINES[kind]], kind
            if kind == "parent-notification":  # its sections sit under the subject line
                assert heading_levels(pdf) == [1, 2, 2, 2]
