"""The EHC request pack from the CLI on the samples: outputs, index truth, bookmarks, stamps,
refused evidence, the checklist, encryption and splitting. Uses the real LibreOffice."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader, PdfWriter

from senforms.cli import cli

pytestmark = [pytest.mark.libreoffice, pytest.mark.timeout(300)]

DATE = "23/11/2026"
REQUESTING = ["Z881999919001", "N881999919002", "C881999919003"]


def run(*args: str, expect: int = 0):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == expect, (result.output, result.exception)
    return result


@pytest.fixture(scope="module")
def packs(tmp_path_factory) -> dict[str, Path]:
    from ..conftest import SAMPLES

    made = {}
    for upn in REQUESTING:
        out = tmp_path_factory.mktemp(upn)
        run("bundle", str(SAMPLES / "register.xlsx"), "--pupil", upn, "-o", str(out), "--date", DATE)
        made[upn] = out
    return made


def pages_text(path: Path, password: str | None = None) -> list[str]:
    reader = PdfReader(str(path))
    if password:
        reader.decrypt(password)
    return [page.extract_text() or "" for page in reader.pages]


def outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(depth, title, 1-based page) for every bookmark, in order."""
    found = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item) + 1))

    walk(reader.outline, 0)
    return found


@pytest.mark.parametrize("upn", REQUESTING)
def test_pack_has_its_outputs(packs, upn):
    names = sorted(p.name for p in packs[upn].iterdir())
    for suffix in ("ehc-request.docx", "ehc-request.pdf", "cover-letter.docx", "cover-letter.pdf", "bundle.pdf", "checklist.txt", "manifest.csv"):
        assert f"{upn}-{suffix}" in names
    assert not [n for n in names if n.startswith(".")]  # no staging left behind
    assert "Okafor" not in " ".join(names)  # no names in file names by default


@pytest.mark.parametrize("upn", REQUESTING)
def test_index_page_numbers_are_where_documents_start(packs, upn):
    bundle = packs[upn] / f"{upn}-bundle.pdf"
    texts = pages_text(bundle)
    total = len(texts)
    rows = list(csv.DictReader(open(packs[upn] / f"{upn}-manifest.csv", encoding="utf-8")))
    assert rows
    index_text = " ".join(t for t in texts[1:4] if "Index" in t)
    for row in rows:
        first, last = int(row["first_page"]), int(row["last_page"])
        assert 1 <= first <= last <= total
        span = f"{first}–{last}" if last > first else f"{first}"
        assert span in index_text, (row["document"], span)
        if row["source"].endswith(".pdf"):
            # The sample evidence PDFs print "<title> - page 1 of N" on their first page.
            assert f"{row['document']} - page 1 of" in texts[first - 1]
    # documents follow each other with no gaps or overlaps
    ranges = sorted((int(r["first_page"]), int(r["last_page"])) for r in rows)
    for (_, a_last), (b_first, _) in zip(ranges, ranges[1:]):
        assert b_first == a_last + 1


@pytest.mark.parametrize("upn", REQUESTING)
def test_every_page_is_numbered_and_marked(packs, upn):
    texts = pages_text(packs[upn] / f"{upn}-bundle.pdf")
    initials = {"Z881999919001": "AO", "N881999919002": "OO", "C881999919003": "ZNB"}[upn]
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {len(texts)}" in text
        assert "OFFICIAL-SENSITIVE" in text
        assert initials in text and "23 November 2026" in text


@pytest.mark.parametrize("upn", REQUESTING)
def test_bookmarks_follow_the_sections_and_cycles_oldest_first(packs, upn, sample_register):
    reader = PdfReader(str(packs[upn] / f"{upn}-bundle.pdf"))
    marks = outline(reader)
    top = [title for depth, title, _ in marks if depth == 0]
    assert top[:2] == ["Cover", "Index"]
    assert top[2] == "The request for an EHC needs assessment"
    # The domain brief's §7.2: attainment before the APDR cycles and the provision map.
    order = ["The request for an EHC needs assessment", "The child's views", "Parents' and carers' views",
             "Attainment, progress and attendance", "The graduated approach: Assess, Plan, Do, Review", "Costed provision map",
             "Reports from external professionals", "Health and social care information", "Other evidence"]
    assert "Attainment, progress and attendance" in top and "Costed provision map" in top
    present = [t for t in top[2:]]
    assert present == [t for t in order if t in present]
    cycles = [(title, page) for depth, title, page in marks if depth == 1 and title.startswith("Cycle ")]
    pupil = sample_register.pupil(upn)
    assert [int(re.match(r"Cycle (\d+)", t).group(1)) for t, _ in cycles] == [c.number for c in pupil.cycles]
    assert [p for _, p in cycles] == sorted(p for _, p in cycles)
    plans = [title for depth, title, _ in marks if depth == 2]
    assert plans[:2] == ["SEN support plan, cycle 1", "Review of cycle 1"]
    # page labels match the printed numbers
    assert reader.page_labels[0] == "Cover" and reader.page_labels[2] == "3"


def test_professional_reports_come_newest_first_after_the_table(packs):
    rows = list(csv.DictReader(open(packs["Z881999919001"] / "Z881999919001-manifest.csv", encoding="utf-8")))
    reports = [r for r in rows if r["section"] == "Reports from external professionals"]
    assert reports[0]["source"] == "made by senforms from the record"  # the professionals table first (§7.2)
    assert [(r["document"], r["date"]) for r in reports[1:]] == [
        ("Educational psychology report", "2026-06-24"), ("Speech and language therapy report", "2026-05-18"),
    ]


def test_pack_metadata_has_no_personal_data(packs):
    reader = PdfReader(str(packs["Z881999919001"] / "Z881999919001-bundle.pdf"))
    metadata = " ".join(str(v) for v in (reader.metadata or {}).values())
    assert "Okafor" not in metadata and "Amara" not in metadata
    assert reader.metadata.title == "EHC needs assessment request: evidence bundle"


def test_cover_letter_states_the_statutory_dates(packs):
    text = " ".join(pages_text(packs["Z881999919001"] / "Z881999919001-cover-letter.pdf"))
    for date in ("23 November 2026", "4 January 2027", "15 March 2027", "12 April 2027"):
        assert date in " ".join(text.split())


def test_request_pdf_holds_the_pupil_and_the_cycles(packs):
    text = " ".join(" ".join(pages_text(packs["Z881999919001"] / "Z881999919001-ehc-request.pdf")).split())
    assert "Amara Okafor" in text and "Z881999919001" in text and "Grace Okafor" in text


def test_checklist_is_written_and_shown(packs):
    text = (packs["C881999919003"] / "C881999919003-checklist.txt").read_text(encoding="utf-8")
    assert "MISSING  A review in the last six months: the last review was on 27 March 2026" in text
    assert "MISSING  Reports less than 12 months old: 'Educational psychology report' is dated 12 May 2025" in text


def test_checklist_names_what_a_pupil_with_one_cycle_lacks(samples, tmp_path):
    out = tmp_path / "pack"
    result = run("bundle", str(samples / "register.xlsx"), "--pupil", "F881999919005", "-o", str(out), "--date", DATE)
    assert "MISSING  At least 2 completed APDR cycles: only 0 completed cycles; Northshire County Council expects at least 2" in result.output
    assert "MISSING  Agreement of parents or the young person" in result.output
    assert "MISSING  Advice from external professionals" in result.output
    strict = CliRunner().invoke(cli, ["bundle", str(samples / "register.xlsx"), "--pupil", "F881999919005", "-o", str(tmp_path / "strict"), "--date", DATE, "--strict"])
    assert strict.exit_code == 1 and "the pack is incomplete (--strict)" in strict.output
    assert not (tmp_path / "strict").exists() or not list((tmp_path / "strict").iterdir())


def _user_password_pdf(path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-256")
    with open(path, "wb") as handle:
        writer.write(handle)


BAD_EVIDENCE = {
    "needs a password": (_user_password_pdf, "password"),
    "truncated": (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "damaged"),
    "html named pdf": (lambda p: p.write_text("<html><body>not a pdf</body></html>"), "01-ep-report.pdf"),
    "empty": (lambda p: p.write_bytes(b""), "01-ep-report.pdf"),
}


@pytest.mark.parametrize("case", sorted(BAD_EVIDENCE))
def test_bad_evidence_is_refused_by_name_and_nothing_is_left(sample_copy, tmp_path, case):
    make, expected = BAD_EVIDENCE[case]
    make(sample_copy / "evidence" / "01-ep-report.pdf")
    out = tmp_path / "pack"
    result = CliRunner().invoke(cli, ["bundle", str(sample_copy / "register.xlsx"), "--pupil", "Z881999919001", "-o", str(out), "--date", DATE])
    assert result.exit_code == 1
    assert "01-ep-report.pdf" in result.output and expected in result.output
    assert not out.exists() or list(out.iterdir()) == []


def test_missing_evidence_file_is_named(sample_copy, tmp_path):
    (sample_copy / "evidence" / "01-salt-report.pdf").unlink()
    result = CliRunner().invoke(cli, ["bundle", str(sample_copy / "register.xlsx"), "--pupil", "Z881999919001", "-o", str(tmp_path / "p"), "--date", DATE])
    assert result.exit_code == 1 and "evidence/01-salt-report.pdf" in result.output and "was not found" in result.output


def test_every_bad_evidence_file_is_named_at_once_and_no_folder_is_left(sample_copy, tmp_path):
    evidence = sample_copy / "evidence"
    _user_password_pdf(evidence / "01-ep-report.pdf")
    (evidence / "01-attainment.pdf").write_bytes(b"")
    (evidence / "01-salt-report.pdf").unlink()
    out = tmp_path / "new" / "pack"  # neither folder exists yet
    result = CliRunner().invoke(cli, ["bundle", str(sample_copy / "register.xlsx"), "--pupil", "Z881999919001", "-o", str(out), "--date", DATE])
    assert result.exit_code == 1, result.output
    assert "3 evidence files cannot go into the bundle" in result.output
    for name, what in (("01-ep-report.pdf", "password"), ("01-attainment.pdf", "01-attainment.pdf"), ("01-salt-report.pdf", "was not found")):
        line = next(line for line in result.output.splitlines() if name in line)
        assert what in line
    assert not (tmp_path / "new").exists()  # not even the empty folder the run made


def test_a_refused_pack_keeps_a_folder_that_was_there_before(sample_copy, tmp_path):
    (sample_copy / "evidence" / "01-ep-report.pdf").write_bytes(b"")
    out = tmp_path / "existing"
    out.mkdir()
    result = CliRunner().invoke(cli, ["bundle", str(sample_copy / "register.xlsx"), "--pupil", "Z881999919001", "-o", str(out), "--date", DATE])
    assert result.exit_code == 1 and "01-ep-report.pdf" in result.output
    assert out.is_dir() and list(out.iterdir()) == []


def test_a_byte_identical_copy_of_evidence_goes_in_once_with_a_note(samples, tmp_path):
    extra = tmp_path / "extra"
    extra.mkdir()
    shutil.copy(samples / "evidence" / "02-ep-report.pdf", extra / "ep-report-copy.pdf")
    out = tmp_path / "pack"
    result = run("bundle", str(samples / "register.xlsx"), "--pupil", "N881999919002", "-o", str(out), "--date", DATE, "--evidence", str(extra))
    rows = list(csv.DictReader(open(out / "N881999919002-manifest.csv", encoding="utf-8")))
    assert [r["source"] for r in rows].count("evidence/02-ep-report.pdf") == 1
    assert not any("ep-report-copy" in r["source"] or r["document"] == "Ep report copy" for r in rows)
    checklist = (out / "N881999919002-checklist.txt").read_text(encoding="utf-8")
    note = "'Ep report copy' (ep-report-copy.pdf) was left out: it is a copy of 'Educational psychology report' (02-ep-report.pdf)"
    assert note in checklist and note in result.output


def test_what_intake_removed_is_in_the_checklist_and_on_screen(samples, tmp_path):
    # #12 item 6 (025-attachment): an attachment was removed without a word to the person making the pack.
    from pypdf import PdfReader, PdfWriter

    extra = tmp_path / "extra"
    extra.mkdir()
    writer = PdfWriter(clone_from=PdfReader(samples / "evidence" / "01-attainment.pdf"))
    writer.add_attachment("notes.txt", b"private notes")
    writer.write(extra / "with-attachment.pdf")
    out = tmp_path / "pack"
    result = run("bundle", str(samples / "register.xlsx"), "--pupil", "N881999919002", "-o", str(out), "--date", DATE, "--evidence", str(extra))
    checklist = (out / "N881999919002-checklist.txt").read_text(encoding="utf-8")
    note = "with-attachment.pdf: files attached to it were removed"
    assert "Changed when taken in" in checklist and note in checklist and note in result.output


def test_evidence_folder_password_sections_and_parts(samples, tmp_path):
    extra = tmp_path / "extra"
    extra.mkdir()
    # Not one of this pupil's own files: a byte-identical copy of those goes in once (see below).
    shutil.copy(samples / "evidence" / "01-attainment.pdf", extra / "work-sample.pdf")
    out = tmp_path / "pack"
    passphrase = "correct horse battery staple"
    result = run("bundle", str(samples / "register.xlsx"), "--pupil", "N881999919002", "-o", str(out), "--date", DATE,
                 "--evidence", str(extra), "--password", passphrase, "--sections", "--max-mb", "0.5")
    bundle = out / "N881999919002-bundle.pdf"
    pikepdf = pytest.importorskip("pikepdf")
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(bundle)
    with pikepdf.open(bundle, password=passphrase) as pdf:
        total = len(pdf.pages)
    texts = pages_text(bundle, passphrase)
    assert any("Work sample" in t for t in texts[1:4])  # the extra file is indexed
    assert b"Ollie" not in bundle.read_bytes() and b"O'Connor" not in bundle.read_bytes()
    assert passphrase not in result.output  # a given passphrase is never echoed
    sections = sorted((out / "N881999919002-sections").glob("*.pdf"))
    assert len(sections) >= 6
    parts = sorted(out.glob("N881999919002-bundle-part-*.pdf"), key=lambda p: int(re.search(r"part-(\d+)", p.name).group(1)))
    assert len(parts) >= 2
    numbers = []
    for part in parts:
        assert part.stat().st_size <= 0.5 * 1024 * 1024
        for text in pages_text(part, passphrase):
            # The bundle's own stamp ("Page 12 of 148 · initials · date"), not a page number the evidence carries.
            numbers.append(int(re.search(rf"Page (\d+) of {total} ", text).group(1)))
    assert numbers == list(range(1, total + 1))


def test_generated_passphrase_is_shown_once(samples, tmp_path):
    result = run("bundle", str(samples / "register.xlsx"), "--pupil", "Z881999919001", "-o", str(tmp_path / "p"), "--date", DATE, "--password", "generate")
    match = re.search(r"send it separately, never in the same email\): (.+)", result.output)
    assert match
    reader = PdfReader(str(tmp_path / "p" / "Z881999919001-bundle.pdf"))
    assert reader.is_encrypted and reader.decrypt(match.group(1).strip()) != 0
    description = json.loads((tmp_path / "p" / "Z881999919001-pack.json").read_text(encoding="utf-8"))
    assert description["encrypted"] is True and match.group(1).strip() not in json.dumps(description)


def test_a_second_pack_from_the_same_input_is_byte_identical(packs, samples, tmp_path):
    # #12 item 7: the request and covering letter PDFs (LibreOffice's), the bundle and manifest.csv.
    upn = REQUESTING[0]
    again = tmp_path / "again"
    run("bundle", str(samples / "register.xlsx"), "--pupil", upn, "-o", str(again), "--date", DATE)

    def files(folder: Path) -> dict[str, str]:
        return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(folder.rglob("*")) if p.is_file()}

    first, second = files(packs[upn]), files(again)
    assert first == second
    assert {name.rsplit("-", 1)[-1] for name in first} >= {"request.pdf", "letter.pdf", "bundle.pdf", "manifest.csv"}


def test_second_run_refuses_to_overwrite(packs, samples):
    out = packs["Z881999919001"]
    before = (out / "Z881999919001-bundle.pdf").read_bytes()
    result = CliRunner().invoke(cli, ["bundle", str(samples / "register.xlsx"), "--pupil", "Z881999919001", "-o", str(out), "--date", DATE])
    assert result.exit_code == 1 and "already exists" in result.output
    assert (out / "Z881999919001-bundle.pdf").read_bytes() == before


LA_PROFILE = """\
[local_authority]
name = "Northshire County Council"
expected_cycles = 5
section_order = ["request", "parent_views", "child_views", "apdr", "professional_reports", "provision_map", "attainment"]

[local_authority.section_labels]
request = "Part A: the school's request"
parent_views = "Part B: what the family says"
"""


def test_la_profile_in_the_settings_file_sets_order_labels_and_thresholds(samples, tmp_path):
    settings = tmp_path / "school.toml"
    settings.write_text(LA_PROFILE, encoding="utf-8")
    out = tmp_path / "pack"
    result = run("bundle", str(samples / "register.xlsx"), "--pupil", "N881999919002", "-o", str(out), "--date", DATE, "--config", str(settings))
    assert "MISSING  At least 5 completed APDR cycles: only 4 completed cycles; Northshire County Council expects at least 5" in result.output
    reader = PdfReader(str(out / "N881999919002-bundle.pdf"))
    sections = [title for depth, title, _ in outline(reader) if depth == 0][2:]  # after Cover and Index
    # The LA's order, its labels, and the sections it left out still there at the end (nothing dropped).
    assert sections == [
        "Part A: the school's request", "Part B: what the family says", "The child's views",
        "The graduated approach: Assess, Plan, Do, Review", "Reports from external professionals",
        "Costed provision map", "Attainment, progress and attendance", "Health and social care information",
    ]
    index_text = " ".join(pages_text(out / "N881999919002-bundle.pdf")[1].split())
    assert index_text.index("Part B: what the family says") < index_text.index("The child's views")


def test_la_profile_mistakes_are_named_and_nothing_is_made(samples, tmp_path):
    settings = tmp_path / "school.toml"
    settings.write_text('[local_authority]\nname = "Northshire County Council"\nsection_order = ["request", "chld_views"]\nexpected_cycle = 3\n', encoding="utf-8")
    out = tmp_path / "pack"
    result = CliRunner().invoke(cli, ["bundle", str(samples / "register.xlsx"), "--pupil", "N881999919002", "-o", str(out), "--config", str(settings)])
    assert result.exit_code == 1
    assert "school.toml › [local_authority] › section_order: 'chld_views' is not a bundle section (use: request, child_views" in result.output
    assert "school.toml › [local_authority] › expected_cycle: is not a setting senforms knows (use one of: name," in result.output
    assert not out.exists()


def test_pack_manifest_shows_formula_like_text_as_text(sample_copy, tmp_path):
    data = json.loads((sample_copy / "register.json").read_text(encoding="utf-8"))
    pupil = next(p for p in data["pupils"] if p["upn"] == "Z881999919001")
    pupil["evidence"][0].update(title='=HYPERLINK("http://evil.example","Open")', author="@SUM(1)")
    (sample_copy / "register.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "pack"
    run("bundle", str(sample_copy / "register.json"), "--pupil", "Z881999919001", "-o", str(out), "--date", DATE)
    rows = list(csv.DictReader(open(out / "Z881999919001-manifest.csv", encoding="utf-8")))
    row = next(r for r in rows if "HYPERLINK" in r["document"])
    assert row["document"] == '\'=HYPERLINK("http://evil.example","Open")' and row["author"] == "'@SUM(1)"
    assert all(not cell.startswith(("=", "+", "@")) for r in rows for cell in r.values())


def test_a_settings_file_that_is_not_toml_or_json_is_named_with_where_it_breaks(samples, tmp_path):
    settings = tmp_path / "school.toml"
    settings.write_text('[local_authority]\nname = "Northshire County Council"\nexpected_cycles 3\n', encoding="utf-8")
    out = tmp_path / "pack"
    result = CliRunner().invoke(cli, ["bundle", str(samples / "register.xlsx"), "--pupil", "N881999919002", "-o", str(out), "--config", str(settings)])
    assert result.exit_code == 1
    assert "Error: school.toml is not a TOML or JSON settings file (" in result.output and "line 3" in result.output
    assert "Tip: see 'The school settings file' in the README" in result.output
    assert not out.exists()


def test_bundled_plans_and_reviews_carry_their_own_title(tmp_path, monkeypatch):
    """Each generated document's title (and so its PDF's) is the one the index lists, not the kind's slug."""
    import senforms
    from senforms.bundle import pack as pack_module

    from ..conftest import SAMPLES

    titles: dict[str, str] = {}
    real = pack_module.render_docx

    class Enough(Exception):
        pass

    def spy(template, context, *, title="", logo=None):
        titles[Path(template).stem + (f"-{context['cycle']['number']}" if context.get("cycle") else "")] = title
        return real(template, context, title=title, logo=logo)

    def stop(*_args, **_kwargs):
        raise Enough

    monkeypatch.setattr(pack_module, "render_docx", spy)
    monkeypatch.setattr(pack_module, "provision_map_document", stop)  # every plan and review is made by then
    loaded = senforms.load_register(SAMPLES / "register.xlsx")
    options = senforms.PackOptions(out_dir=tmp_path / "pack", base_dir=loaded.base_dir)
    with pytest.raises(Enough):
        senforms.build_pack(loaded.register, "Z881999919001", options)
    assert titles["support-plan-1"] == "SEN support plan, cycle 1"
    assert titles["review-1"] == "Review of cycle 1"
    assert not (tmp_path / "pack").exists() or not any((tmp_path / "pack").iterdir())


def test_date_in_the_pack_name_is_the_request_date(tmp_path):
    """`{date}` in `bundle --name` is the date the pack is made for, not the day it is run."""
    import datetime as dt

    import senforms

    from ..conftest import SAMPLES

    out = tmp_path / "pack"
    out.mkdir()
    (out / "Z881999919001-2026-11-30-bundle.pdf").write_bytes(b"made earlier")  # so nothing more is done
    loaded = senforms.load_register(SAMPLES / "register.xlsx")
    options = senforms.PackOptions(out_dir=out, on=dt.date(2026, 11, 30), name_pattern="{upn}-{date}", base_dir=loaded.base_dir)
    with pytest.raises(senforms.OutputExistsError, match="Z881999919001-2026-11-30-bundle.pdf"):
        senforms.build_pack(loaded.register, "Z881999919001", options)


def test_a_link_out_of_the_evidence_folder_is_refused_and_a_newline_in_a_name_splits_nothing(samples, tmp_path):
    """#12 corpus: a symlink in the --evidence folder to a file outside it is refused by name (it could
    pull any file on the computer into the LA's pack); a file name holding a newline is taken in, its
    name shown on one line (`speech\\nreport.pdf`) in the messages, the checklist and manifest.csv."""
    extra, outside = tmp_path / "extra", tmp_path / "outside"
    extra.mkdir()
    outside.mkdir()
    shutil.copy(samples / "evidence" / "01-salt-report.pdf", outside / "private.pdf")
    (extra / "linked.pdf").symlink_to(outside / "private.pdf")
    shutil.copy(samples / "evidence" / "01-ep-report.pdf", extra / "speech\nreport.pdf")
    shutil.copy(samples / "evidence" / "01-ep-report.pdf", extra / "speech\ncopy.pdf")  # a copy: named in a message
    out = tmp_path / "pack"
    args = ["bundle", str(samples / "register.xlsx"), "--pupil", "N881999919002", "-o", str(out), "--date", DATE, "--evidence", str(extra)]
    refused = run(*args, expect=1)
    line = next(line for line in refused.output.splitlines() if "linked.pdf" in line)
    assert "a link (shortcut) to a file outside that folder" in line and "copy the file itself" in refused.output
    assert "Traceback" not in refused.output and not out.exists()

    (extra / "linked.pdf").unlink()
    made = run(*args)
    assert "'Speech report' (speech\\nreport.pdf) was left out: it is a copy of 'Speech copy' (speech\\ncopy.pdf)" in made.output
    manifest = (out / "N881999919002-manifest.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(manifest)))
    assert len(manifest.splitlines()) == len(rows) + 1  # no row split over two lines
    (row,) = [r for r in rows if r["document"] == "Speech copy"]
    assert row["source"] == "speech\\ncopy.pdf"
    checklist = (out / "N881999919002-checklist.txt").read_text(encoding="utf-8")
    assert "(speech\\nreport.pdf) was left out" in checklist and "speech\nreport" not in checklist
    assert "Speech copy" in " ".join(pages_text(out / "N881999919002-bundle.pdf"))


def test_max_mb_smaller_than_the_largest_page_gives_that_page_a_part_of_its_own(samples, tmp_path):
    """#12 corpus: `bundle --max-mb 0.5` with an evidence page of about 0.8 MB neither loops nor
    crashes: that page goes in a part by itself, the person is told which page and what to do, and
    every other part is under the limit; no page is lost."""
    import os

    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    extra = tmp_path / "extra"
    extra.mkdir()
    noise = Image.frombytes("RGB", (520, 520), os.urandom(520 * 520 * 3))  # incompressible, ~0.8 MB
    picture = io.BytesIO()
    noise.save(picture, "PNG")
    picture.seek(0)
    pdf = canvas.Canvas(str(extra / "big-scan.pdf"))
    pdf.drawString(72, 760, "BIG SCAN PAGE")
    pdf.drawImage(ImageReader(picture), 72, 72, width=400, height=400)
    pdf.save()
    out = tmp_path / "pack"
    result = run("bundle", str(samples / "register.xlsx"), "--pupil", "N881999919002", "-o", str(out), "--date", DATE,
                 "--evidence", str(extra), "--max-mb", "0.5")
    parts = sorted(out.glob("N881999919002-bundle-part-*-of-*.pdf"))
    assert len(parts) >= 2
    texts = {part: pages_text(part) for part in parts}
    (big,) = [part for part, pages in texts.items() if any("BIG SCAN PAGE" in page for page in pages)]
    assert len(texts[big]) == 1 and big.stat().st_size > 500_000
    assert all(part.stat().st_size <= 500_000 for part in parts if part != big)
    assert sum(len(pages) for pages in texts.values()) == len(PdfReader(out / "N881999919002-bundle.pdf").pages)
    page = next(line for line in result.output.splitlines() if "on its own" in line)
    assert re.search(r"Page \d+ is [\d.]+ MB on its own, over the 0\.5 MB limit: it is in a part by itself", page)
    assert "scan that page again at a lower resolution" in page
