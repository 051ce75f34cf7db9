"""The PDF bundle engine, checked on the PDFs it writes.

Every fixture is made here (reportlab, pypdf, Pillow); every check opens the output and reads
what a reader at the local authority would see: page text, bookmarks, links, labels, bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import shutil
import struct
import warnings
import zlib
from collections import Counter
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen import canvas

from senforms.bundle import (
    BundleDocument,
    BundleSection,
    BundleSpec,
    build_bundle,
    generate_passphrase,
    intake,
    split_by_size,
    write_sections,
)
from senforms.bundle import evidence as evidence_module
from senforms.errors import EvidenceError, OutputExistsError

PACK_DATE = dt.date(2026, 3, 3)
FOOTER = re.compile(r"Page (\d+) of (\d+)")


# --------------------------------------------------------------------------------------------
# Fixture makers


def make_pdf(
    path: Path,
    tag: str,
    pages: int,
    *,
    size: tuple[float, float] = A4,
    author: str = "Dr Evidence Author",
    image_kb: int = 0,
) -> Path:
    """A PDF whose page k prints "<tag> page k" (and optionally a noisy, incompressible image)."""
    pdf = canvas.Canvas(str(path), pagesize=size)
    pdf.setAuthor(author)
    pdf.setTitle(f"Secret evidence title {tag}")
    for number in range(1, pages + 1):
        pdf.setFont("Helvetica", 14)
        pdf.drawString(72, size[1] / 2, f"{tag} page {number}")
        if image_kb:
            side = int((image_kb * 1024 / 3) ** 0.5)
            noise = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
            buffer = io.BytesIO()
            noise.save(buffer, "PNG")
            buffer.seek(0)
            from reportlab.lib.utils import ImageReader

            pdf.drawImage(ImageReader(buffer), 72, 72, width=200, height=200)
        pdf.showPage()
    pdf.save()
    return path


def doc(tmp: Path, number: int, pages: int, **kwargs) -> BundleDocument:
    title = kwargs.pop("title", f"Report {number}")
    source = make_pdf(tmp / f"doc-{number}.pdf", f"DOC-{number}", pages, **kwargs)
    return BundleDocument(
        title=title,
        author=f"Author {number}",
        date=dt.date(2025, 9, 1 + number % 28),
        source=source,
        kind="report",
    )


def spec_with(sections: tuple[BundleSection, ...], **kwargs) -> BundleSpec:
    return BundleSpec(
        title="Request for an EHC needs assessment",
        subtitle_lines=("Pupil: Test Pupil", "School: Oak Primary", "Local authority: Anyshire"),
        initials="TP",
        pack_date=PACK_DATE,
        sections=sections,
        metadata_title=kwargs.pop("metadata_title", "EHC needs assessment request bundle"),
        metadata_subject="Evidence bundle",
        **kwargs,
    )


@pytest.fixture
def nested_spec(tmp_path: Path) -> BundleSpec:
    """Sections as the default LA profile nests them, with documents of different lengths."""
    src = tmp_path / "src"
    src.mkdir()
    return spec_with(
        (
            BundleSection("requester", "Requester and setting", (doc(src, 1, 2),)),
            BundleSection("views", "Child's views", (doc(src, 2, 1),)),
            BundleSection(
                "apdr",
                "Graduated approach: APDR cycles",
                (),
                (
                    BundleSection("cycle-1", "Cycle 1 (autumn 2025)", (doc(src, 3, 3), doc(src, 4, 2))),
                    BundleSection("cycle-2", "Cycle 2 (spring 2026)", (doc(src, 5, 1), doc(src, 6, 4))),
                ),
            ),
            BundleSection("health", "Health and social care", ()),
            BundleSection("reports", "Professional reports", (doc(src, 7, 5), doc(src, 8, 1))),
        )
    )


def page_texts(path: Path, password: str | None = None) -> list[str]:
    reader = PdfReader(path)
    if password:
        reader.decrypt(password)
    return [page.extract_text() for page in reader.pages]


def outline_tree(reader: PdfReader) -> list:
    """[(title, page index, [children…]), …] from pypdf's nested-list outline."""

    def convert(items):
        out = []
        for item in items:
            if isinstance(item, list):
                out[-1][2].extend(convert(item))
            else:
                out.append((item.title, reader.get_destination_page_number(item), []))
        return out

    return convert(reader.outline)


# --------------------------------------------------------------------------------------------
# The bundle


def test_index_page_ranges_match_where_each_document_really_is(nested_spec, tmp_path):
    result = build_bundle(nested_spec, tmp_path / "bundle.pdf")
    texts = page_texts(result.path)
    assert result.pages == len(texts) == 1 + 1 + 19  # cover, one index page, 19 document pages

    index_text = texts[1]
    for number, entry in enumerate(result.index, start=1):
        assert entry.title == f"Report {number}"
        pages = entry.last_page - entry.first_page + 1
        # The markers printed on the document's own pages sit exactly where the index says.
        assert f"DOC-{number} page 1" in texts[entry.first_page - 1]
        assert f"DOC-{number} page {pages}" in texts[entry.last_page - 1]
        if entry.first_page > 3:
            assert f"DOC-{number - 1} page" in texts[entry.first_page - 2]
        expected = str(entry.first_page) if pages == 1 else f"{entry.first_page}\u2013{entry.last_page}"
        assert re.search(rf"Report {number}\b.*?{expected}", index_text, re.S), expected
        assert f"Author {number}" in index_text
        assert entry.date.strftime("%-d %B %Y") in index_text  # UK long date: 2 September 2025
        assert len(entry.source_sha256) == 64

    assert [e.section_label for e in result.index] == [
        "Requester and setting",
        "Child's views",
        "Cycle 1 (autumn 2025)",
        "Cycle 1 (autumn 2025)",
        "Cycle 2 (spring 2026)",
        "Cycle 2 (spring 2026)",
        "Professional reports",
        "Professional reports",
    ]
    assert [tuple(s) for s in result.sections] == [
        ("Requester and setting", 3, 4),
        ("Child's views", 5, 5),
        ("Graduated approach: APDR cycles", 6, 15),
        ("Professional reports", 16, 21),
    ]
    assert "Health and social care (none supplied)" in index_text
    assert "Graduated approach: APDR cycles" in index_text and "6\u201315" in index_text


def test_long_index_over_several_pages_keeps_exact_numbers(tmp_path):
    long_title = "Speech and language therapy assessment report with recommendations for school staff"
    documents = tuple(doc(tmp_path, n, 1 + n % 3, title=f"{long_title} no. {n}") for n in range(1, 61))
    spec = spec_with(
        (
            BundleSection("a", "Professional reports", documents[:30]),
            BundleSection("b", "Appendices", documents[30:]),
        )
    )
    result = build_bundle(spec, tmp_path / "bundle.pdf")
    texts = page_texts(result.path)
    first_document_page = result.index[0].first_page
    index_pages = first_document_page - 2
    assert 2 <= index_pages <= 4
    assert all(texts[i].lstrip().startswith("Index") for i in range(1, 1 + index_pages))
    index_text = "\n".join(texts[1 : 1 + index_pages])
    assert "Professional reports (continued)" in texts[2]  # the heading repeats on page 2
    for number, entry in enumerate(result.index, start=1):
        pages = entry.last_page - entry.first_page + 1
        assert f"DOC-{number} page 1" in texts[entry.first_page - 1]
        assert f"DOC-{number} page {pages}" in texts[entry.last_page - 1]
        expected = str(entry.first_page) if pages == 1 else f"{entry.first_page}\u2013{entry.last_page}"
        assert re.search(rf"no\. {number}\s.*?{expected}", index_text, re.S), (number, expected)
    assert result.index[-1].last_page == result.pages
    assert f"index on pages 2\u2013{index_pages + 1}" in texts[0]


def test_bookmarks_follow_sections_and_nest(nested_spec, tmp_path):
    result = build_bundle(nested_spec, tmp_path / "bundle.pdf")
    tree = outline_tree(PdfReader(result.path))
    assert [(title, page) for title, page, _ in tree] == [
        ("Cover", 0),
        ("Index", 1),
        ("Requester and setting", 2),
        ("Child's views", 4),
        ("Graduated approach: APDR cycles", 5),
        ("Professional reports", 15),
    ]
    apdr = tree[4][2]
    assert [(t, p) for t, p, _ in apdr] == [("Cycle 1 (autumn 2025)", 5), ("Cycle 2 (spring 2026)", 10)]
    assert [(t, p) for t, p, _ in apdr[0][2]] == [("Report 3", 5), ("Report 4", 8)]
    assert [(t, p) for t, p, _ in apdr[1][2]] == [("Report 5", 10), ("Report 6", 11)]
    assert [(t, p) for t, p, _ in tree[5][2]] == [("Report 7", 15), ("Report 8", 20)]


def test_every_page_is_numbered_and_marked(nested_spec, tmp_path):
    result = build_bundle(nested_spec, tmp_path / "bundle.pdf")
    texts = page_texts(result.path)
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {result.pages} \u00b7 TP \u00b7 3 March 2026" in text
        assert "OFFICIAL-SENSITIVE" in text


def _text_lines_with_y(page) -> list[tuple[float, str]]:
    found: list[tuple[float, str]] = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            found.append((tm[4] * cm[1] + tm[5] * cm[3] + cm[5], text.strip()))

    page.extract_text(visitor_text=visit)
    return found


def test_index_rows_link_to_the_first_page_of_what_they_name(nested_spec, tmp_path):
    result = build_bundle(nested_spec, tmp_path / "bundle.pdf")
    reader = PdfReader(result.path)
    index_page = reader.pages[1]
    lines = _text_lines_with_y(index_page)
    page_ids = {page.indirect_reference.idnum: n for n, page in enumerate(reader.pages)}
    targets = {}
    for annot in index_page["/Annots"]:
        annot = annot.get_object()
        assert annot["/Subtype"] == "/Link"
        target = page_ids[annot["/Dest"][0].idnum]
        x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
        inside = [text for y, text in lines if y0 < y < y1]
        targets[" ".join(inside)] = target
    expected = {e.title: e.first_page - 1 for e in result.index}
    expected.update({s.label: s.first_page - 1 for s in result.sections})
    expected.update({"Cycle 1 (autumn 2025)": 5, "Cycle 2 (spring 2026)": 10})
    for label, target in expected.items():
        hits = [t for text, t in targets.items() if text.startswith(label + " ") or text == label]
        assert hits == [target], (label, targets)
    assert len(targets) == len(expected)  # the empty section has no link


def test_page_labels_match_printed_numbers(nested_spec, tmp_path):
    result = build_bundle(nested_spec, tmp_path / "bundle.pdf")
    reader = PdfReader(result.path)
    assert "/PageLabels" in reader.root_object
    assert reader.page_labels == ["Cover"] + [str(n) for n in range(2, result.pages + 1)]


def test_metadata_is_the_spec_s_and_nothing_from_evidence(nested_spec, tmp_path):
    result = build_bundle(nested_spec, tmp_path / "bundle.pdf")
    reader = PdfReader(result.path)
    assert reader.metadata.title == "EHC needs assessment request bundle"
    assert reader.metadata.subject == "Evidence bundle"
    assert "/Author" not in reader.metadata
    raw = result.path.read_bytes()
    assert b"Dr Evidence Author" not in raw and b"Secret evidence title" not in raw
    assert b"ReportLab" not in raw and b"/Metadata" not in raw


def test_the_bundle_is_navigable_and_does_not_claim_to_be_tagged(nested_spec, tmp_path):
    """README, Accessibility: bookmarks, page labels, index links and text, in English with its
    title shown; no /MarkInfo, since its structure is not tagged (a false claim misleads screen readers)."""
    result = build_bundle(nested_spec, tmp_path / "bundle.pdf")
    files = write_sections(nested_spec, result, tmp_path / "sections")
    for path in (result.path, *files):
        reader = PdfReader(path)
        root = reader.root_object
        assert root["/Lang"] == "en-GB"
        assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"]) is True
        assert "/MarkInfo" not in root and "/StructTreeRoot" not in root
        assert reader.outline and reader.page_labels
    index = PdfReader(result.path).pages[1]  # the index's entries link to their pages
    assert [a.get_object()["/Subtype"] for a in index["/Annots"]].count("/Link") >= len(result.index)  # and each section's row


def test_rotated_evidence_page_gets_an_upright_stamp(tmp_path):
    source = make_pdf(tmp_path / "scan.pdf", "ROTATED", 1)
    writer = PdfWriter(clone_from=source)
    writer.pages[0].rotate(90)
    writer.write(source)
    assert PdfReader(source).pages[0].rotation == 90
    spec = spec_with((BundleSection("a", "Scans", (BundleDocument("Scan", "School", None, source),)),))
    result = build_bundle(spec, tmp_path / "bundle.pdf")
    page = PdfReader(result.path).pages[2]
    assert page.rotation == 0
    assert float(page.mediabox.width) > float(page.mediabox.height)  # now landscape content
    upright = page.extract_text(orientations=(0,))
    assert "Page 3 of 3" in upright and "OFFICIAL-SENSITIVE" in upright
    # The document's own text was turned with the page, so it is no longer upright.
    assert "ROTATED page 1" not in upright
    assert "ROTATED page 1" in page.extract_text(orientations=(90, 270))


CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "pdf-samples"


def _pdftotext(path: Path, page: int) -> str:
    import subprocess

    found = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"],
                           capture_output=True, text=True, check=True)
    return " ".join(found.stdout.split())


def _corpus_file(folder: str, name: str) -> Path:
    path = CORPUS / folder / name
    if not path.exists():
        pytest.skip("the shared PDF corpus is not next to this checkout")
    return path


def _through_intake_and_bundle(source: Path, tmp_path: Path, *, pages: int):  # noqa: ANN202
    clean = intake(source, tmp_path / "work")
    # Only notes of what was taken out (told to the person making the pack), nothing lost.
    assert clean.pages == pages and all("removed" in warning for warning in clean.warnings), clean.warnings
    spec = spec_with((BundleSection("a", "Evidence", (BundleDocument("Evidence", "School", None, clean.pdf),)),))
    return build_bundle(spec, tmp_path / "bundle.pdf")


def _one_stream_four_turns(path: Path) -> Path:
    """Four pages sharing one content stream, turned 0/90/180/270 (as habibi-rotated.pdf is)."""
    source = PdfReader(make_pdf(path.with_name("one.pdf"), "SHARED", 1))
    writer = PdfWriter()
    for turn in (0, 90, 180, 270):
        page = writer.add_page(source.pages[0])
        page.rotate(turn)
    writer.write(path)
    shared = {writer.pages[n].raw_get("/Contents").idnum for n in range(4)}
    assert len(shared) == 1  # the fixture really shares one stream
    return path


@pytest.mark.timeout(60)
@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs pdftotext (poppler-utils)")
@pytest.mark.parametrize("case", ["made here", "habibi-rotated.pdf"])
def test_pages_sharing_one_content_stream_keep_their_text_and_one_number_each(tmp_path, case):
    # #12 item 6: every page kept its text and carried exactly one page number, not all four.
    made = case == "made here"
    source = _one_stream_four_turns(tmp_path / "shared.pdf") if made else _corpus_file("015-arabic", case)
    word = "SHARED page 1" if made else "habibi"
    result = _through_intake_and_bundle(source, tmp_path, pages=4)
    for number in range(3, 7):  # cover and index first
        text = _pdftotext(result.path, number)
        assert word in text, (number, text)
        assert re.findall(r"Page \d+ of 6", text) == [f"Page {number} of 6"], text


def _form_without_appearances(path: Path) -> Path:
    """A filled-in form whose values have no appearance of their own (/NeedAppearances true)."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.drawString(72, 760, "Parent's name:")
    pdf.acroForm.textfield(name="parent", value="Alice Testparent", x=180, y=750, width=200, height=20)
    pdf.drawString(72, 700, "Child's name:")
    pdf.acroForm.textfield(name="child", value="Bob Testchild", x=180, y=690, width=200, height=20)
    pdf.showPage()
    pdf.save()
    writer = PdfWriter(clone_from=path)
    for annot in writer.pages[0]["/Annots"]:
        annot.get_object().pop("/AP", None)
    writer.root_object["/AcroForm"][NameObject("/NeedAppearances")] = BooleanObject(True)
    writer.write(path)
    return path


@pytest.mark.timeout(60)
@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs pdftotext (poppler-utils)")
@pytest.mark.parametrize("case", ["made here", "libreoffice-form.pdf"])
def test_form_values_without_appearances_are_drawn_into_the_bundle(tmp_path, case):
    # #12 item 6: the form goes (its fields can carry scripts), but what was typed in stays visible.
    made = case == "made here"
    source = _form_without_appearances(tmp_path / "form.pdf") if made else _corpus_file("012-libreoffice-form", case)
    words = ["Alice Testparent", "Bob Testchild"] if made else ["Alice", "Bob"]
    result = _through_intake_and_bundle(source, tmp_path, pages=1)
    assert b"/AcroForm" not in result.path.read_bytes()
    # Drawn on the page itself, not left for the reader to draw from a field (pdftotext would).
    text = " ".join(PdfReader(result.path).pages[2].extract_text().split())
    assert all(word in text for word in words), text


CORPUS_REFUSED = {"libreoffice-writer-password.pdf": "password-protected", "unreadablemetadata.pdf": "damaged"}


def _characters(path: Path, first: int | None = None, last: int | None = None) -> Counter:
    import subprocess

    pages = ["-f", str(first), "-l", str(last)] if first else []
    text = subprocess.run(["pdftotext", *pages, str(path), "-"], capture_output=True, text=True, check=True).stdout
    # Characters, not words: how pdftotext groups words can change when a page is shrunk.
    return Counter(ch for ch in text if ch.isprintable() and not ch.isspace() and ch not in "\u202a\u202b\u202c")


@pytest.mark.timeout(120)
@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs pdftotext (poppler-utils)")
@pytest.mark.parametrize("name", sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.glob("*/*.pdf")) or ["(no corpus)"])
def test_every_corpus_pdf_comes_through_whole_with_one_page_number_a_page(tmp_path, name):
    # #12 item 6: every real-world PDF (pdfTeX to Google Docs) keeps its pages and all its text.
    if name == "(no corpus)":
        pytest.skip("the shared PDF corpus is not next to this checkout")
    source = CORPUS / name
    if source.name in CORPUS_REFUSED:
        with pytest.raises(EvidenceError, match=CORPUS_REFUSED[source.name]):
            intake(source, tmp_path / "work")
        return
    pages = len(PdfReader(source).pages)
    result = _through_intake_and_bundle(source, tmp_path, pages=pages)
    told = " ".join(intake(source, tmp_path / "again").warnings)
    if name.startswith("025-attachment"):
        assert "files attached to it were removed" in told, told
    if name.startswith("020-xmp"):
        assert "XMP metadata" in told, told
    first = result.pages - pages + 1
    lost = _characters(source) - _characters(result.path, first, result.pages)
    assert not lost, lost
    shown_text = _plain_text(result.path, first, result.pages)
    # Spaces aside: pdftotext groups right-to-left runs and odd glyphs differently once a page
    # carries stamps, but every word's characters must still be there, in order.
    joined = shown_text.replace(" ", "")
    missing = {word for word in _plain_text(source).split() if word not in joined}
    assert not missing, sorted(missing)[:20]
    for number in range(first, result.pages + 1):
        # Pages a few points across (007-imagemagick) are put on a larger page, so they too.
        found = re.findall(r"Page \d+ of \d+", _pdftotext(result.path, number))
        assert found == [f"Page {number} of {result.pages}"], (number, found)
    assert _internal_links(result.path, offset=first - 1) == _internal_links(source, offset=0)
    values = [v for v in (PdfReader(source).get_form_text_fields() or {}).values() if isinstance(v, str) and v.strip()]
    shown = " ".join(PdfReader(result.path).pages[n].extract_text() for n in range(first - 1, result.pages))
    assert all(value in shown for value in values), values


def _plain_text(path: Path, first: int | None = None, last: int | None = None) -> str:
    """pdftotext's text with single spaces and no bidi marks: every word of the source must be in
    the bundle's (as a word, or run into its neighbour where the shrink moved a gap)."""
    import subprocess

    pages = ["-f", str(first), "-l", str(last)] if first else []
    text = subprocess.run(["pdftotext", *pages, str(path), "-"], capture_output=True, text=True, check=True).stdout
    # Control characters (math glyphs pdfTeX maps to \x01) sit wherever a glyph overlaps: left out.
    text = "".join(ch for ch in text if ch.isprintable() or ch.isspace())
    return " ".join(text.translate({0x202A: None, 0x202B: None, 0x202C: None}).split())


def _internal_links(path: Path, offset: int) -> Counter:
    """(page the link is on, page it goes to) for every link within the document, bundle
    pages counted from the document's first page; the index's own links are not counted."""
    reader = PdfReader(path)
    page_numbers = {page.indirect_reference.idnum: n for n, page in enumerate(reader.pages)}
    named = reader.named_destinations
    found: Counter = Counter()
    for number, page in enumerate(reader.pages[offset:], start=offset):
        for ref in page.get("/Annots") or ():
            annot = ref.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            action = annot.get("/A")
            dest = annot.get("/Dest")
            if dest is None and action is not None and action.get("/S") == "/GoTo":
                dest = action.get("/D")
            if dest is None:
                continue
            if not isinstance(dest, ArrayObject):
                target = named.get(str(dest))
                dest = target.dest_array if target is not None else None
            if dest is not None and dest[0].idnum in page_numbers:
                found[(number - offset, page_numbers[dest[0].idnum] - offset)] += 1
    return found


def _named_destination_pdf(path: Path) -> Path:
    """Page 1 links to a named destination ("results") halfway down page 2, as pdfTeX does."""
    from pypdf.generic import Destination, Fit

    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.drawString(72, 700, "See the results on the next page")
    pdf.showPage()
    pdf.drawString(72, 420, "RESULTS heading")
    pdf.showPage()
    pdf.save()
    writer = PdfWriter(clone_from=path)
    writer.add_named_destination_object(
        Destination(TextStringObject("results"), writer.pages[1].indirect_reference, Fit.xyz(left=72, top=440))
    )
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (72, 690, 300, 715)]),
            NameObject("/A"): DictionaryObject(
                {NameObject("/S"): NameObject("/GoTo"), NameObject("/D"): TextStringObject("results")}
            ),
        }
    )
    writer.add_annotation(0, link)
    writer.write(path)
    assert "results" in PdfReader(path).named_destinations  # the fixture really uses a named destination
    return path


@pytest.mark.parametrize("route", ["intake", "generated"])
def test_links_to_named_destinations_still_land_where_they_did(tmp_path, route):
    # #12 item 6: links to named destinations were dropped (GeoTopo 480 -> 0, 006-pdflatex-outline 9 -> 0).
    source = _named_destination_pdf(tmp_path / "named.pdf")
    if route == "intake":
        result = _through_intake_and_bundle(source, tmp_path, pages=2)
    else:  # a generated document goes into the bundle without intake
        spec = spec_with((BundleSection("a", "Evidence", (BundleDocument("Evidence", "School", None, source),)),))
        result = build_bundle(spec, tmp_path / "bundle.pdf")
    assert _internal_links(result.path, offset=2) == Counter({(0, 1): 1})
    reader = PdfReader(result.path)
    (link,) = [a.get_object() for a in reader.pages[2]["/Annots"] if a.get_object()["/Subtype"] == "/Link"]
    dest = link["/A"]["/D"] if "/A" in link else link["/Dest"]
    assert str(dest[1]) == "/XYZ"
    (heading_y,) = [y for y, text in _text_lines_with_y(reader.pages[3]) if "RESULTS" in text]
    # The view opens just above the heading, as in the source (20 pt there, shrunk a little here).
    assert 0 < float(dest[3]) - heading_y < 20, (float(dest[3]), heading_y)


def _check_boxes_needing_appearances(path: Path) -> Path:
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.drawString(72, 700, "Consent given:")
    pdf.acroForm.checkbox(name="given", checked=True, x=180, y=690, size=16)
    pdf.drawString(72, 650, "Consent refused:")
    pdf.acroForm.checkbox(name="refused", checked=False, x=180, y=640, size=16)
    pdf.showPage()
    pdf.save()
    writer = PdfWriter(clone_from=path)
    for annot in writer.pages[0]["/Annots"]:
        annot.get_object().pop("/AP", None)  # left for the viewer to draw, as pdfTeX does
    writer.root_object["/AcroForm"][NameObject("/NeedAppearances")] = BooleanObject(True)
    writer.write(path)
    return path


def test_ticked_check_box_keeps_its_tick(tmp_path):
    # #12 item 6 (010-pdflatex-forms): a box with no appearance of its own vanished with the form.
    source = _check_boxes_needing_appearances(tmp_path / "boxes.pdf")
    result = _through_intake_and_bundle(source, tmp_path, pages=1)
    widgets = [a.get_object() for a in PdfReader(result.path).pages[2]["/Annots"] if a.get_object()["/Subtype"] == "/Widget"]
    looks = {}
    for widget in sorted(widgets, key=lambda w: -float(w["/Rect"][1])):
        state = widget["/AS"]
        looks[state] = widget["/AP"]["/N"][state].get_data()
    assert set(looks) == {"/Yes", "/Off"} or set(looks) == {"/1", "/Off"} or len(looks) == 2, looks
    ticked = [data for state, data in looks.items() if state != "/Off"]
    assert ticked and b"(4) Tj" in ticked[0] and b"/ZaDb" in ticked[0]  # the tick, drawn
    assert b"Tj" not in looks["/Off"] and b"re" in looks["/Off"]  # the empty box still shows


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs pdftotext (poppler-utils)")
def test_narrow_page_goes_on_a_larger_page_with_legible_stamps(tmp_path):
    # #12 item 6 (007-imagemagick-images): a page narrower than 12 pt; stamps now full size, off the content.
    from senforms.bundle.stamp import BAND, STAMP_SIZE

    source = tmp_path / "slip.pdf"
    pdf = canvas.Canvas(str(source), pagesize=(10, 300))
    pdf.setFont("Helvetica", 3)
    pdf.drawString(1, 150, "SLIP")
    pdf.showPage()
    pdf.save()
    result = _through_intake_and_bundle(source, tmp_path, pages=1)
    page = PdfReader(result.path).pages[2]
    assert float(page.mediabox.height) == pytest.approx(300 + 2 * BAND)
    assert float(page.mediabox.width) > 100
    assert re.findall(r"Page \d+ of \d+", _pdftotext(result.path, 3)) == ["Page 3 of 3"]
    content = page.get_contents().get_data().decode("latin-1")
    sizes = [float(size) for size in re.findall(r"/\S+ (-?[\d.]+) Tf", content)]
    assert STAMP_SIZE in sizes and all(size > 0 for size in sizes), sizes
    (slip_y,) = [y for y, text in _text_lines_with_y(page) if "SLIP" in text]
    assert float(page.mediabox.bottom) + BAND < slip_y < float(page.mediabox.top) - BAND


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs pdftotext (poppler-utils)")
def test_stamps_on_a_dark_page_sit_on_a_white_box(tmp_path):
    # #12 item 6 (019-grayscale-image): near-invisible on dark pages.
    source = tmp_path / "dark.pdf"
    pdf = canvas.Canvas(str(source), pagesize=A4)
    pdf.setFillGray(0.05)
    pdf.rect(0, 0, A4[0], A4[1], stroke=0, fill=1)
    pdf.setFillGray(1)
    pdf.drawString(72, 400, "DARK page text")
    pdf.showPage()
    pdf.save()
    result = _through_intake_and_bundle(source, tmp_path, pages=1)
    content = PdfReader(result.path).pages[2].get_contents().get_data()
    own = content.index(b"DARK page text") if b"DARK page text" in content else content.index(b"Tj")
    stamps = content[own:]
    # After the page's own drawing: a white box, then dark ink, then each stamp's text.
    assert stamps.count(b"1 1 1 rg") == 2 and stamps.count(b"re f") >= 2
    for part in stamps.split(b"1 1 1 rg")[1:]:
        assert part.index(b"re f") < part.index(b"Tj")
    assert re.findall(r"Page \d+ of \d+", _pdftotext(result.path, 3)) == ["Page 3 of 3"]


def test_stamps_sit_in_bands_clear_of_text_at_the_very_edges(tmp_path):
    # #12 item 6 (013-reportlab-overlay): a signature line 10 pt from the bottom was printed over.
    from senforms.bundle.stamp import BAND

    source = tmp_path / "edges.pdf"
    pdf = canvas.Canvas(str(source), pagesize=A4)
    pdf.setFont("Helvetica", 9)
    pdf.drawString(200, A4[1] - 12, "TOPLINE signed by the parent")
    pdf.drawString(200, 10, "BOTTOMLINE Foo Bar")
    pdf.linkURL("https://example.org/report", (200, 8, 300, 20))
    pdf.showPage()
    pdf.save()
    result = _through_intake_and_bundle(source, tmp_path, pages=1)
    page = PdfReader(result.path).pages[2]
    lines = _text_lines_with_y(page)
    own = [y for y, text in lines if "TOPLINE" in text or "BOTTOMLINE" in text]
    stamps = [y for y, text in lines if "OFFICIAL" in text or "Page 3 of 3" in text]
    assert len(own) == 2 and len(stamps) == 2
    assert all(BAND - 1 <= y <= A4[1] - BAND for y in own)  # the page's content moved clear of the bands
    assert all(y < BAND - 4 or y > A4[1] - BAND + 2 for y in stamps)
    (link,) = [a.get_object() for a in page["/Annots"] if a.get_object().get("/Subtype") == "/Link"]
    assert float(link["/Rect"][1]) >= BAND - 1  # the link moved with its text
    assert "BOTTOMLINE Foo Bar" in _pdftotext(result.path, 3)


@pytest.mark.parametrize("width", [0.5, 8.0, 11.9, 12.0, 40.0])
def test_stamps_on_very_narrow_pages_are_small_but_never_negative(width):
    # #12 item 6 (007-imagemagick-images): pages narrower than 12 pt got a negative font size.
    from senforms.bundle.stamp import MIN_STAMP_SIZE, StampText

    text = StampText(spec_with(()), total=1)
    content = (text.marking(width, 300.0) + text.footer(1, width, 300.0)).decode("latin-1")
    sizes = [float(size) for size in re.findall(r"/\S+ (-?[\d.]+) Tf", content)]
    assert len(sizes) == 2 and all(size >= MIN_STAMP_SIZE for size in sizes), sizes


def test_odd_page_boxes_still_get_stamps_inside_the_visible_area(tmp_path):
    source = make_pdf(tmp_path / "odd.pdf", "ODD", 1, size=landscape(A4))
    writer = PdfWriter(clone_from=source)
    writer.pages[0].cropbox.lower_left = (100, 50)
    writer.pages[0].cropbox.upper_right = (700, 550)
    writer.write(source)
    spec = spec_with((BundleSection("a", "Odd", (BundleDocument("Odd", "School", None, source),)),))
    result = build_bundle(spec, tmp_path / "bundle.pdf")
    page = PdfReader(result.path).pages[2]
    ys = [y for y, text in _text_lines_with_y(page) if "Page 3 of 3" in text or "OFFICIAL" in text]
    assert len(ys) == 2 and all(50 < y < 550 for y in ys)


def test_encrypted_bundle_needs_the_password(nested_spec, tmp_path):
    password = generate_passphrase()
    result = build_bundle(nested_spec, tmp_path / "bundle.pdf", password=password)
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(result.path)
    with pikepdf.open(result.path, password=password) as pdf:
        assert len(pdf.pages) == result.pages
        assert pdf.encryption.R == 6 and pdf.encryption.stream_method.name == "aesv3"
    raw = result.path.read_bytes()
    assert b"EHC needs assessment request bundle" not in raw and b"Report 1" not in raw
    reader = PdfReader(result.path)
    assert reader.decrypt(password).name == "USER_PASSWORD"  # the owner password is different
    assert "DOC-1 page 1" in reader.pages[2].extract_text()


def test_rebuilding_the_same_pack_gives_the_same_bytes(nested_spec, tmp_path):
    first = build_bundle(nested_spec, tmp_path / "one.pdf").path.read_bytes()
    second = build_bundle(nested_spec, tmp_path / "two.pdf").path.read_bytes()
    assert first == second


def test_manifest_lists_each_source_with_hash_and_pages(nested_spec, tmp_path):
    manifest = tmp_path / "bundle.csv"
    result = build_bundle(nested_spec, tmp_path / "bundle.pdf", manifest_csv=manifest)
    with open(manifest, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(result.index) == 8
    for row, entry, document in zip(rows, result.index, nested_spec.all_documents()):
        assert row["Document"] == entry.title
        assert int(row["First page"]) == entry.first_page and int(row["Last page"]) == entry.last_page
        assert row["SHA-256"] == entry.source_sha256
        import hashlib

        assert row["SHA-256"] == hashlib.sha256(document.source.read_bytes()).hexdigest()
        assert row["Source file"] == document.source.name


def test_existing_output_is_never_overwritten_unless_asked(nested_spec, tmp_path):
    out = tmp_path / "bundle.pdf"
    out.write_bytes(b"earlier work")
    with pytest.raises(OutputExistsError):
        build_bundle(nested_spec, out)
    assert out.read_bytes() == b"earlier work"
    assert build_bundle(nested_spec, out, overwrite=True).pages == 21
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".part-")]


def test_sections_export_keeps_bundle_numbers(nested_spec, tmp_path):
    result = build_bundle(nested_spec, tmp_path / "bundle.pdf")
    files = write_sections(nested_spec, result, tmp_path / "sections")
    assert [f.name for f in files] == [
        "01-requester.pdf",
        "02-views.pdf",
        "03-apdr.pdf",
        "05-reports.pdf",
    ]
    for path, section in zip(files, result.sections):
        reader = PdfReader(path)
        assert len(reader.pages) == section.last_page - section.first_page + 1
        numbers = [int(FOOTER.search(page.extract_text()).group(1)) for page in reader.pages]
        assert numbers == list(range(section.first_page, section.last_page + 1))
        assert reader.page_labels == [str(n) for n in numbers]
        tree = outline_tree(reader)
        assert tree[0][0] == section.label and tree[0][1] == 0
    apdr = outline_tree(PdfReader(files[2]))
    assert [t for t, _, _ in apdr[0][2]] == ["Cycle 1 (autumn 2025)", "Cycle 2 (spring 2026)"]


def _bundle_with_images(tmp_path: Path) -> tuple[BundleSpec, Path]:
    documents = tuple(doc(tmp_path, n, 3, image_kb=60) for n in range(1, 9))
    spec = spec_with(
        (
            BundleSection("first", "First section", documents[:3]),
            BundleSection("second", "Second section", documents[3:]),
        )
    )
    return spec, build_bundle(spec, tmp_path / "bundle.pdf").path


def test_split_parts_are_under_the_cap_and_keep_bundle_numbers(tmp_path):
    spec, bundle = _bundle_with_images(tmp_path)
    size = bundle.stat().st_size
    cap_mb = size / 1e6 / 3.5
    parts = split_by_size(bundle, cap_mb, tmp_path / "parts").parts
    total = len(parts)
    assert sorted((tmp_path / "parts").iterdir()) == sorted(parts)  # no temporary files left
    assert total >= 4
    assert [p.name for p in parts] == [f"bundle-part-{n}-of-{total}.pdf" for n in range(1, total + 1)]
    original = page_texts(bundle)
    joined: list[str] = []
    for part in parts:
        assert part.stat().st_size <= cap_mb * 1e6
        reader = PdfReader(part)
        texts = [page.extract_text() for page in reader.pages]
        numbers = [int(FOOTER.search(text).group(1)) for text in texts]
        assert numbers == list(range(len(joined) + 1, len(joined) + 1 + len(texts)))
        assert reader.page_labels[-1] == str(numbers[-1])
        tree = outline_tree(reader)
        for _, page, children in tree:
            assert 0 <= page < len(texts) and all(0 <= p < len(texts) for _, p, _ in children)
        if joined:
            # A part that starts mid-section (or mid-document) says so in its bookmarks.
            section_title, section_page, documents = tree[0]
            assert section_page == 0 and documents[0][1] == 0
            assert section_title.endswith(" section (continued)")
            document_number = re.search(r"DOC-(\d+) page (\d+)", texts[0])
            title = f"Report {document_number.group(1)}"
            assert documents[0][0] == (title if document_number.group(2) == "1" else f"{title} (continued)")
        # Index links survive only where their target is in the same part: none dangle.
        own_pages = {page.indirect_reference.idnum for page in reader.pages}
        for page in reader.pages:
            for annot in page.get("/Annots", []):
                assert annot.get_object()["/Dest"][0].idnum in own_pages
        joined.extend(texts)
    assert joined == original
    first_part_links = PdfReader(parts[0]).pages[1].get("/Annots", [])
    assert len(first_part_links) >= 2  # the index rows for documents in part 1 still work


def test_split_puts_an_oversized_page_in_a_part_of_its_own(tmp_path):
    small = make_pdf(tmp_path / "small.pdf", "SMALL", 4)
    big = make_pdf(tmp_path / "big.pdf", "BIG", 1, image_kb=400)
    spec = spec_with(
        (
            BundleSection(
                "a",
                "Evidence",
                (
                    BundleDocument("Small", "A", None, small),
                    BundleDocument("Big", "B", None, big),
                    BundleDocument("Small again", "C", None, small),
                ),
            ),
        )
    )
    bundle = build_bundle(spec, tmp_path / "bundle.pdf").path
    split = split_by_size(bundle, 0.2, tmp_path / "parts")
    assert len(split.warnings) == 1 and re.match(r"Page 7 is .* MB on its own", split.warnings[0])
    parts = split.parts
    sizes = [p.stat().st_size for p in parts]
    pages = [len(PdfReader(p).pages) for p in parts]
    big_part = next(i for i, p in enumerate(parts) if "BIG page 1" in page_texts(p)[0])
    assert pages[big_part] == 1 and sizes[big_part] > 200_000
    assert all(s <= 200_000 for i, s in enumerate(sizes) if i != big_part)
    assert sum(pages) == 11


def test_split_of_encrypted_bundle_needs_and_keeps_the_password(nested_spec, tmp_path):
    password = "correct-horse-battery-staple-1234"
    bundle = build_bundle(nested_spec, tmp_path / "bundle.pdf", password=password).path
    parts = split_by_size(bundle, 10, tmp_path / "parts", password=password).parts
    assert len(parts) == 1
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(parts[0])
    assert len(pikepdf.open(parts[0], password=password).pages) == 21


def test_passphrases_are_random_words_and_digits():
    seen = {generate_passphrase() for _ in range(50)}
    assert len(seen) == 50
    for phrase in seen:
        assert re.fullmatch(r"(?:[a-z]+-){4}\d{4}", phrase), phrase


@pytest.mark.parametrize("system_font", [True, False], ids=["unicode-font", "helvetica-fallback"])
def test_non_latin_names_survive_into_the_index(tmp_path, monkeypatch, system_font):
    from senforms.bundle import frontmatter, stamp, typeset

    if not system_font:  # a machine with none of the known TrueType fonts
        for module in (typeset, frontmatter, stamp):
            monkeypatch.setattr(module, "load_fonts", lambda: typeset.Fonts("Helvetica", "Helvetica-Bold", False))
    elif not typeset.load_fonts().unicode:
        pytest.skip("no Unicode TrueType font on this machine")
    source = make_pdf(tmp_path / "a.pdf", "A", 1)
    spec = spec_with(
        (BundleSection("a", "Reports", (BundleDocument("Ocena logopedyczna", "Łucja Wiśniewska", None, source),)),),
        marking="OFFICIAL-SENSITIVE",
    )
    texts = page_texts(build_bundle(spec, tmp_path / "bundle.pdf").path)
    assert ("Łucja Wiśniewska" if system_font else "Lucja Wisniewska") in texts[1]
    assert all("Page" in text and "OFFICIAL-SENSITIVE" in text for text in texts)


# --------------------------------------------------------------------------------------------
# Evidence intake: hostile and awkward files


@pytest.mark.timeout(30)
def test_intake_cleans_an_ordinary_pdf(tmp_path):
    source = make_pdf(tmp_path / "report.pdf", "PLAIN", 3)
    result = intake(source, tmp_path / "work")
    assert result.kind == "pdf" and result.pages == 3 and result.warnings == ()
    assert result.pdf.parent == tmp_path / "work" and "report" not in result.pdf.name
    assert [p.extract_text().strip() for p in PdfReader(result.pdf).pages] == [
        "PLAIN page 1",
        "PLAIN page 2",
        "PLAIN page 3",
    ]
    raw = result.pdf.read_bytes()
    assert b"Dr Evidence Author" not in raw and b"Secret evidence title" not in raw


@pytest.mark.timeout(30)
def test_intake_refuses_a_pdf_that_needs_a_password_to_open(tmp_path):
    source = make_pdf(tmp_path / "locked.pdf", "LOCKED", 1)
    writer = PdfWriter(clone_from=source)
    writer.encrypt(user_password="letmein", owner_password="owner", algorithm="AES-256")
    writer.write(source)
    with pytest.raises(EvidenceError, match=r"^locked\.pdf: .*password-protected: ask the sender for an unlocked copy"):
        intake(source, tmp_path / "work")


@pytest.mark.timeout(30)
def test_intake_accepts_an_owner_password_only_pdf_with_a_warning(tmp_path):
    source = make_pdf(tmp_path / "restricted.pdf", "RESTRICTED", 2)
    writer = PdfWriter(clone_from=source)
    writer.encrypt(user_password="", owner_password="owner-secret", algorithm="AES-256")
    writer.write(source)
    result = intake(source, tmp_path / "work")
    assert result.pages == 2
    assert any("copy/print restrictions removed" in w for w in result.warnings)
    reader = PdfReader(result.pdf)
    assert not reader.is_encrypted and "RESTRICTED page 2" in reader.pages[1].extract_text()


@pytest.mark.timeout(30)
def test_intake_refuses_a_truncated_pdf(tmp_path):
    source = make_pdf(tmp_path / "cut.pdf", "CUT", 6, image_kb=20)
    data = source.read_bytes()
    source.write_bytes(data[: len(data) // 2])
    with pytest.raises(EvidenceError, match=r"^cut\.pdf: the file is damaged: ask for a new copy"):
        intake(source, tmp_path / "work")


@pytest.mark.timeout(30)
def test_intake_refuses_a_pdf_pypdf_has_to_repair(tmp_path):
    source = make_pdf(tmp_path / "flipped.pdf", "FLIP", 4)
    data = bytearray(source.read_bytes())
    xref = data.index(b"\nxref\n")
    data[xref + 20 : xref + 60] = b"1234567890" * 4  # scribble over the cross-reference table
    source.write_bytes(bytes(data))
    assert len(PdfReader(source).pages) == 4  # pypdf quietly repairs it: intake must not
    with pytest.raises(EvidenceError, match="the file is damaged"):
        intake(source, tmp_path / "work")


@pytest.mark.timeout(30)
def test_intake_refuses_a_decompression_bomb_stream(tmp_path):
    source = make_pdf(tmp_path / "bomb.pdf", "BOMB", 1)
    writer = PdfWriter(clone_from=source)
    stream = DecodedStreamObject()
    stream.set_data(b" " * 80_000_000)  # over pypdf's 75 MB decoded-stream limit
    writer.pages[0][NameObject("/Contents")] = writer._add_object(stream.flate_encode(level=9))
    writer.write(source)
    assert source.stat().st_size < 1_000_000
    with pytest.raises(EvidenceError, match=r"^bomb\.pdf: this file is too large or complex to open safely"):
        intake(source, tmp_path / "work")


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<!DOCTYPE html><html><body>Report</body></html>", r"this is a web page \(HTML\)"),
        (b"", r"the file is empty \(0 bytes\)"),
        (b"Just some notes typed into a text file.\n", "this is a plain text file"),
    ],
    ids=["html", "empty", "text"],
)
def test_intake_names_what_a_misnamed_file_really_is(tmp_path, content, message):
    source = tmp_path / "evidence.pdf"
    source.write_bytes(content)
    with pytest.raises(EvidenceError, match=rf"^evidence\.pdf: {message}"):
        intake(source, tmp_path / "work")


def _docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("A Word report")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.mark.timeout(30)
def test_intake_refuses_a_word_document_named_pdf(tmp_path):
    source = tmp_path / "letter.pdf"
    source.write_bytes(_docx_bytes())
    with pytest.raises(
        EvidenceError, match=r"^letter\.pdf: this is a Word document named \.pdf: rename it to \.docx"
    ):
        intake(source, tmp_path / "work")


@pytest.mark.timeout(30)
def test_intake_converts_docx_with_the_callers_converter(tmp_path):
    source = tmp_path / "letter.docx"
    source.write_bytes(_docx_bytes())
    with pytest.raises(EvidenceError, match="needs LibreOffice"):
        intake(source, tmp_path / "work")

    def fake_libreoffice(src: Path, dest: Path) -> None:
        assert src == source
        make_pdf(dest, "CONVERTED", 2)

    result = intake(source, tmp_path / "work", docx_converter=fake_libreoffice)
    assert result.kind == "docx" and result.pages == 2
    assert "CONVERTED page 2" in PdfReader(result.pdf).pages[1].extract_text()


def _jpeg_with_exif_and_gps(path: Path, *, orientation: int, size=(400, 200)) -> Path:
    image = Image.new("RGB", size, "white")
    # A red block in the stored image's top-left corner shows which way up it ends.
    image.paste((255, 0, 0), (0, 0, size[0] // 4, size[1] // 4))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMakerCo"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (51.0, 30.0, 12.5)
    gps[3], gps[4] = "W", (0.0, 7.0, 39.0)
    gps[0x12] = "GPS-WGS-84"
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>51,30N</exif:GPSLatitude></x:xmpmeta>'
    image.save(path, "JPEG", exif=exif.tobytes(), xmp=xmp, quality=95)
    raw = path.read_bytes()
    assert b"Exif" in raw and b"GPS-WGS-84" in raw and b"xmpmeta" in raw
    return path


@pytest.mark.timeout(30)
def test_intake_turns_a_phone_photo_upright_and_drops_exif_and_gps(tmp_path):
    source = _jpeg_with_exif_and_gps(tmp_path / "photo.jpg", orientation=6)
    result = intake(source, tmp_path / "work")
    assert result.kind == "jpeg" and result.pages == 1
    raw = result.pdf.read_bytes()
    for leak in (b"GPS", b"Exif", b"PhoneMakerCo", b"xmpmeta", b"/Metadata"):
        assert leak not in raw, leak
    page = PdfReader(result.pdf).pages[0]
    assert float(page.mediabox.width) < float(page.mediabox.height)  # portrait, as the photo shows
    picture = page.images[0].image.convert("RGB")
    width, height = picture.size
    assert width < height
    # Orientation 6 means "turn 90° clockwise to view": the stored top-left lands top-right.
    assert picture.getpixel((width - 3, 3))[0] > 200 and picture.getpixel((width - 3, 3))[1] < 80
    assert picture.getpixel((3, 3)) > (200, 200, 200)


@pytest.mark.timeout(30)
def test_intake_takes_a_jpeg_named_pdf_as_an_image(tmp_path):
    source = _jpeg_with_exif_and_gps(tmp_path / "scan.pdf", orientation=1)
    result = intake(source, tmp_path / "work")
    assert result.kind == "jpeg" and result.pages == 1
    assert any("JPEG image named .pdf" in w for w in result.warnings)
    page = PdfReader(result.pdf).pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape photo, landscape page
    assert b"GPS" not in result.pdf.read_bytes()


@pytest.mark.timeout(30)
def test_intake_takes_a_transparent_png(tmp_path):
    source = tmp_path / "chart.png"
    image = Image.new("RGBA", (300, 500), (0, 0, 0, 0))
    image.paste((0, 0, 255, 255), (100, 100, 200, 200))
    image.save(source)
    result = intake(source, tmp_path / "work")
    assert result.kind == "png" and result.pages == 1
    picture = PdfReader(result.pdf).pages[0].images[0].image.convert("RGB")
    assert picture.getpixel((5, 5)) == (255, 255, 255)  # transparency became white paper


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")


@pytest.mark.timeout(30)
def test_intake_refuses_a_decompression_bomb_png(tmp_path):
    source = tmp_path / "huge.png"
    source.write_bytes(_png_header_only(20_000, 20_000))
    with pytest.raises(EvidenceError, match=r"^huge\.png: this image is too large to open safely"):
        intake(source, tmp_path / "work")


def _hostile_pdf(path: Path) -> Path:
    make_pdf(path, "HOSTILE", 2)
    writer = PdfWriter()
    writer.append(PdfReader(path))
    script = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(script)
    writer.add_attachment("payload.txt", b"embedded file payload")
    names = writer._root_object["/Names"]
    names[NameObject("/JavaScript")] = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("init"), writer._add_object(script.clone(writer))])}
    )
    page = writer.pages[0]
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): writer._add_object(script.clone(writer))})
    launch = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (10, 10, 100, 40)]),
            NameObject("/A"): DictionaryObject(
                {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")}
            ),
        }
    )
    web = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (10, 50, 100, 80)]),
            NameObject("/A"): DictionaryObject(
                {
                    NameObject("/S"): NameObject("/URI"),
                    NameObject("/URI"): TextStringObject("https://www.gov.uk/"),
                    NameObject("/Next"): writer._add_object(script.clone(writer)),
                }
            ),
        }
    )
    attachment = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/FileAttachment"),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (200, 10, 220, 30)]),
            NameObject("/FS"): writer._add_object(
                DictionaryObject(
                    {
                        NameObject("/Type"): NameObject("/Filespec"),
                        NameObject("/F"): TextStringObject("x.txt"),
                        NameObject("/EF"): DictionaryObject({NameObject("/F"): writer._add_object(DecodedStreamObject())}),
                    }
                )
            ),
        }
    )
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(a) for a in (launch, web, attachment)])
    page[NameObject("/Rotate")] = NumberObject(0)
    writer.write(path)
    raw = path.read_bytes()
    assert all(marker in raw for marker in (b"/JavaScript", b"/Launch", b"/EmbeddedFile", b"/AA"))
    return path


@pytest.mark.timeout(30)
def test_intake_strips_scripts_actions_and_embedded_files(tmp_path):
    source = _hostile_pdf(tmp_path / "hostile.pdf")
    result = intake(source, tmp_path / "work")
    raw = result.pdf.read_bytes()
    for marker in (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/AA", b"/OpenAction", b"/Names", b"payload"):
        assert marker not in raw, marker
    reader = PdfReader(result.pdf)
    assert result.pages == 2 and "HOSTILE page 1" in reader.pages[0].extract_text()
    links = [a.get_object() for a in reader.pages[0].get("/Annots", [])]
    assert [link["/A"]["/URI"] for link in links] == ["https://www.gov.uk/"]  # the safe link stays
    # #12 item 6: what went is told to the person making the pack, not only the LA's index.
    told = " ".join(result.warnings)
    assert "files attached to it were removed" in told and "scripts and automatic actions" in told, told


@pytest.mark.timeout(30)
def test_intake_moves_page_rotation_into_the_content(tmp_path):
    source = make_pdf(tmp_path / "sideways.pdf", "SIDEWAYS", 1)
    writer = PdfWriter(clone_from=source)
    writer.pages[0].rotate(90)
    writer.write(source)
    page = PdfReader(intake(source, tmp_path / "work").pdf).pages[0]
    assert page.rotation == 0 and float(page.mediabox.width) > float(page.mediabox.height)


@pytest.mark.timeout(30)
def test_intake_stops_a_hung_parser(tmp_path, monkeypatch):
    source = make_pdf(tmp_path / "slow.pdf", "SLOW", 1)
    monkeypatch.setattr(evidence_module, "_CHILD_ENTRY", "import time; time.sleep(60)")
    with pytest.raises(EvidenceError, match=r"^slow\.pdf: reading this file took more than 1 second,"):
        intake(source, tmp_path / "work", timeout=1)
    assert not [p for p in (tmp_path / "work").iterdir()]  # nothing half-written left behind


def test_bundle_refuses_an_unconverted_source(tmp_path):
    source = tmp_path / "photo.jpg"
    Image.new("RGB", (10, 10)).save(source)
    spec = spec_with((BundleSection("a", "A", (BundleDocument("Photo", "X", None, source),)),))
    with pytest.raises(EvidenceError, match=r"^photo\.jpg: this is not a PDF: take it in with intake first"):
        build_bundle(spec, tmp_path / "bundle.pdf")
    assert not (tmp_path / "bundle.pdf").exists()


def test_bundle_from_intake_output_end_to_end(tmp_path):
    photo = _jpeg_with_exif_and_gps(tmp_path / "photo.jpg", orientation=6)
    hostile = _hostile_pdf(tmp_path / "hostile.pdf")
    work = tmp_path / "work"
    documents = []
    for path in (photo, hostile):
        taken = intake(path, work)
        documents.append(BundleDocument(path.stem, "Parent", PACK_DATE, taken.pdf, note="; ".join(taken.warnings)))
    spec = spec_with((BundleSection("evidence", "Evidence from parents", tuple(documents)),))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = build_bundle(spec, tmp_path / "bundle.pdf")
    raw = result.path.read_bytes()
    for marker in (b"GPS", b"/JavaScript", b"/Launch", b"/EmbeddedFile"):
        assert marker not in raw
    assert result.pages == 2 + 1 + 2
