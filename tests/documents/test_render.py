"""Rendering plans, reviews and letters in batches: content, safety, repeatability."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from docx.oxml.ns import qn
from pypdf import PdfReader

from senforms.cli import cli
from senforms.documents.catalogue import KINDS
from senforms.resources import docx_templates_dir

DATE = "23/11/2026"


def run(*args: str, expect: int = 0):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == expect, result.output
    return result


def all_text(path: Path) -> str:
    """Body paragraphs, every table cell, headers and footers."""
    document = Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    for section in document.sections:
        parts.extend(p.text for p in section.header.paragraphs)
        parts.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(parts)


def table_text(path: Path) -> str:
    document = Document(str(path))
    return "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.docx"))}


def test_support_plans_one_per_current_cycle(samples, tmp_path, sample_register):
    out = tmp_path / "out"
    result = run("render", "support-plan", str(samples / "register.xlsx"), "-o", str(out), "--date", DATE)
    plans = sorted(out.glob("*.docx"))
    # Every pupil on SEN support; Layla (M881999919011) has an EHC plan, so no SEN support plan.
    assert len(plans) == len([p for p in sample_register.pupils if not p.has_ehc_plan]) == 12
    assert "SEN support plan: 12 made" in result.output
    for pupil in [p for p in sample_register.pupils if not p.has_ehc_plan]:
        cycle = pupil.current_cycle
        path = out / f"{pupil.upn}-support-plan-cycle-{cycle.number}.docx"
        text = all_text(path)
        assert pupil.legal_forename in text and pupil.legal_surname in text
        tables = table_text(path)
        for outcome in cycle.outcomes:
            assert outcome.description in tables
        for provision in cycle.provision:
            assert provision.description in tables and provision.staff_role in tables


EXPECTED_COUNTS = {"review": 7, "parent-notification": 14, "invitation": 15, "ehc-request": 3, "la-cover-letter": 3}


@pytest.mark.parametrize("kind", sorted(EXPECTED_COUNTS))
def test_every_document_kind_renders_with_its_content(samples, tmp_path, sample_register, kind):
    out = tmp_path / kind
    extra = ["--all"] if kind == "parent-notification" else []  # every family, told already or not
    run("render", kind, str(samples / "register.xlsx"), "-o", str(out), "--date", DATE, *extra)
    made = sorted(out.glob("*.docx"))
    assert len(made) == EXPECTED_COUNTS[kind]
    for path in made:
        upn = path.name.split("-")[0]
        pupil = sample_register.pupil(upn)
        text = all_text(path)
        assert pupil.legal_surname in text, path.name
        assert "Hollybrook Primary School" in text
        if kind in {"parent-notification", "invitation"}:
            contact = pupil.contact(path.stem.rsplit("-", 1)[1])
            assert contact.name in text  # addressed to this parent, not another
        if kind == "review":
            cycle = pupil.completed_cycles[-1]
            assert cycle.review.decision.label in text
        if kind == "la-cover-letter":
            assert "4 January 2027" in text and "15 March 2027" in text and "12 April 2027" in text  # 6, 16, 20 weeks


def test_merge_holds_every_pupil_each_in_its_own_section(samples, tmp_path, sample_register):
    out = tmp_path / "plans"
    merged = tmp_path / "print" / "all-plans.docx"
    run("render", "support-plan", str(samples / "register.xlsx"), "-o", str(out), "--merge", str(merged), "--duplex", "--date", DATE)
    document = Document(str(merged))
    text = all_text(merged)
    for pupil in sample_register.pupils:
        assert pupil.legal_surname in text
    sections = document.sections
    assert len(sections) == 12  # no SEN support plan for the pupil with an EHC plan
    for number, section in enumerate(sections):
        sect_pr = section._sectPr
        assert sect_pr.find(qn("w:pgNumType")).get(qn("w:start")) == "1"
        if number:
            assert sect_pr.find(qn("w:type")).get(qn("w:val")) == "oddPage"
        assert "Hollybrook Primary School" in "\n".join(p.text for p in section.header.paragraphs)
    footers = "".join(zipfile.ZipFile(merged).read(n).decode() for n in zipfile.ZipFile(merged).namelist() if "footer" in n)
    assert "NUMPAGES" not in footers  # each letter counts its own pages


def test_merged_document_is_in_the_manifest_of_its_own_folder(samples, tmp_path):
    out, merged = tmp_path / "plans", tmp_path / "print" / "all-plans.docx"
    run("render", "support-plan", str(samples / "register.xlsx"), "-o", str(out), "--merge", str(merged), "--date", DATE)
    (row,) = csv.DictReader(open(merged.parent / "manifest.csv", encoding="utf-8"))
    assert (row["file"], row["document"], row["upn"], row["status"]) == ("all-plans.docx", "merged", "", "made")
    assert row["sha256"] == hashlib.sha256(merged.read_bytes()).hexdigest()
    letters = list(csv.DictReader(open(out / "manifest.csv", encoding="utf-8")))
    assert len(letters) == 12 and all(r["document"] == "support-plan" for r in letters)
    # Merged into the output folder itself, it sits beside the letters' rows.
    run("render", "support-plan", str(samples / "register.xlsx"), "-o", str(out), "--merge", str(out / "all.docx"), "--date", DATE)
    rows = {r["file"]: r for r in csv.DictReader(open(out / "manifest.csv", encoding="utf-8"))}
    assert len(rows) == 13 and rows["all.docx"]["document"] == "merged" and rows["all.docx"]["upn"] == ""
    assert rows["all.docx"]["sha256"] == hashlib.sha256((out / "all.docx").read_bytes()).hexdigest()


def test_second_run_changes_nothing_and_says_so(samples, tmp_path):
    out = tmp_path / "out"
    run("render", "review", str(samples / "register.xlsx"), "-o", str(out), "--date", DATE)
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.iterdir()}
    second = run("render", "review", str(samples / "register.xlsx"), "-o", str(out), "--date", DATE)
    assert "0 made, 7 skipped (already there; use --overwrite to replace)" in second.output
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.iterdir()} == before


def test_same_input_gives_byte_identical_documents(samples, tmp_path):
    for name in ("a", "b"):
        run("render", "ehc-request", str(samples / "register.xlsx"), "-o", str(tmp_path / name), "--date", DATE)
    assert digests(tmp_path / "a") == digests(tmp_path / "b") != {}


@pytest.mark.libreoffice  # makes PDFs with the real LibreOffice
def test_same_input_gives_byte_identical_pdfs_too(samples, tmp_path):
    # #12 item 7: LibreOffice's conversion time, random /ID and checksum no longer reach the PDFs.
    for name in ("a", "b"):
        run("render", "invitation", str(samples / "register.xlsx"), "-o", str(tmp_path / name), "--date", DATE,
            "--pupil", "Z881999919001", "--pupil", "N881999919002", "--pdf", "--merge", str(tmp_path / name / "all.docx"))

    def files(folder: Path) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.name != "manifest.csv"}

    first, second = files(tmp_path / "a"), files(tmp_path / "b")
    assert first == second and sum(name.endswith(".pdf") for name in first) >= 4 and "all.pdf" in first
    pdf = PdfReader(str(tmp_path / "a" / "all.pdf"))
    assert pdf.metadata.get("/CreationDate") in (None, "D:20000101000000Z")
    single = PdfReader(str(next((tmp_path / "a").glob("Z881999919001-*.pdf"))))
    assert single.metadata["/CreationDate"] == "D:20000101000000Z"  # the Word file's own (fixed) date
    # The manifest differs only in when each file was made.
    rows = [[{k: v for k, v in row.items() if k != "made_at"} for row in csv.DictReader(open(tmp_path / name / "manifest.csv", encoding="utf-8"))]
            for name in ("a", "b")]
    assert rows[0] == rows[1] and len(rows[0]) == len(first)


def test_manifest_lists_every_file_with_its_hash(samples, tmp_path):
    out = tmp_path / "out"
    run("render", "invitation", str(samples / "register.xlsx"), "-o", str(out), "--date", DATE)
    rows = list(csv.DictReader(open(out / "manifest.csv", encoding="utf-8")))
    assert len(rows) == 15
    for row in rows:
        assert row["document"] == "invitation" and row["upn"] and row["meeting"] and row["contact"]
        assert hashlib.sha256((out / row["file"]).read_bytes()).hexdigest() == row["sha256"]


AWKWARD = {"legal_forename": "{{ 7*7 }}", "legal_surname": "Smith & <Jones> \"Zoë\"", "preferred_name": "محمد"}


def test_awkward_names_come_out_exactly_as_typed(samples, tmp_path):
    data = json.loads((samples / "register.json").read_text(encoding="utf-8"))
    data["pupils"][0].update(AWKWARD)
    data["pupils"][0]["contacts"][0]["name"] = "Siobhán O'Brien & Co </w:t></w:r>"
    data["pupils"][0]["consents"][0]["contact_id"] = "C1"  # the renamed contact still gave the consent the request needs
    path = tmp_path / "awkward.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    for kind in ("support-plan", "parent-notification"):
        out = tmp_path / kind
        run("render", kind, str(path), "-o", str(out), "--pupil", data["pupils"][0]["upn"], "--date", DATE, "--all")
        for made in out.glob("*.docx"):
            text = all_text(made)
            assert "{{ 7*7 }}" in text and "49" not in text.replace("2049", "")
            assert "Smith & <Jones> \"Zoë\"" in text
            if kind == "parent-notification" and made.name.endswith("C1.docx"):
                assert "Siobhán O'Brien & Co </w:t></w:r>" in text


def test_names_are_windows_safe_and_unique(samples, tmp_path):
    data = json.loads((samples / "register.json").read_text(encoding="utf-8"))
    for pupil in data["pupils"][:2]:
        pupil["legal_forename"], pupil["legal_surname"] = "Zoë", "CON"
    path = tmp_path / "twins.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    upns = [p["upn"] for p in data["pupils"][:2]]
    run("render", "support-plan", str(path), "-o", str(out), "--name", "{surname}/{forename}:{document}", "--pupil", upns[0], "--pupil", upns[1])
    names = sorted(p.name for p in out.glob("*.docx"))
    assert names == ["CON-Zoe-support-plan-2.docx", "CON-Zoe-support-plan.docx"]
    assert [p.name for p in out.iterdir() if p.is_dir()] == []  # '/' in the pattern made no folder
    for name in names:
        assert all(ch.isalnum() or ch in "-_." for ch in name)


def test_date_in_a_name_pattern_is_the_date_the_documents_carry(samples, tmp_path):
    out = tmp_path / "out"
    run("render", "ehc-request", str(samples / "register.xlsx"), "-o", str(out), "--name", "{upn}-{document}-{date}", "--date", "30/11/2026")
    names = sorted(p.name for p in out.glob("*.docx"))
    assert len(names) == 3 and all(name.endswith("-ehc-request-2026-11-30.docx") for name in names)
    rows = list(csv.DictReader(open(out / "manifest.csv", encoding="utf-8")))
    assert sorted(r["file"] for r in rows) == names
    for name in names:  # the file name's date is the one the request carries
        assert "Date of request\n30 November 2026" in table_text(out / name)


def test_unknown_pattern_field_is_refused(samples, tmp_path):
    result = run("render", "review", str(samples / "register.xlsx"), "-o", str(tmp_path / "o"), "--name", "{nickname}", expect=1)
    assert "{nickname}" in result.output and "{surname}" in result.output


def test_dry_run_writes_nothing(samples, tmp_path):
    out = tmp_path / "out"
    result = run("render", "parent-notification", str(samples / "register.xlsx"), "-o", str(out), "--dry-run", "--date", DATE, "--all")
    assert "14 would be made" in result.output and "Nothing was written" in result.output
    assert not out.exists()


def test_where_and_pupil_filters(samples, tmp_path):
    out = tmp_path / "out"
    run("render", "support-plan", str(samples / "register.xlsx"), "-o", str(out), "--where", "year=6", "--date", DATE)
    assert len(list(out.glob("*.docx"))) == 4  # Amara, Zoë, Kai, Ravi (Layla has an EHC plan)
    result = run("render", "support-plan", str(samples / "register.xlsx"), "-o", str(out), "--pupil", "X000000000000", expect=1)
    assert "no pupil with UPN X000000000000" in result.output


def _school_template(tmp_path: Path, text: str, kind: str = "parent-notification") -> Path:
    folder = tmp_path / "school-templates"
    folder.mkdir(exist_ok=True)
    document = Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    document.save(folder / f"{kind}.docx")
    return folder


def test_school_template_with_unknown_variable_is_refused_by_check_and_render(samples, tmp_path):
    folder = _school_template(tmp_path, "Dear {{ recipient.salutation }}\nYour child {{ pupil.middle_name }} is {{ pupil.full_name }}")
    checked = run("templates", "check", str(folder / "parent-notification.docx"), expect=1)
    assert "'pupil.middle_name' is not a variable senforms provides" in checked.output
    assert "paragraph 2" in checked.output
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["render", "parent-notification", str(samples / "register.xlsx"), "-o", str(out), "--templates", str(folder)])
    assert result.exit_code != 0
    assert "pupil.middle_name" in str(result.exception) + result.output
    assert not out.exists() or not list(out.glob("*.docx"))


def test_school_template_is_used_in_place_of_the_shipped_one(samples, tmp_path):
    folder = _school_template(tmp_path, "Our own letter to {{ recipient.name }} about {{ pupil.known_as }}")
    out = tmp_path / "out"
    run("render", "parent-notification", str(samples / "register.xlsx"), "-o", str(out), "--templates", str(folder), "--pupil", "Z881999919001", "--all")
    texts = [all_text(p) for p in out.glob("*.docx")]
    assert sorted(t.strip() for t in texts) == ["Our own letter to Grace Okafor about Amara", "Our own letter to Samuel Okafor about Amara"]


def test_a_value_missing_for_one_record_stops_only_that_document(samples, tmp_path, monkeypatch):
    # Every pupil has a current cycle, but only reviewed cycles have a review.
    folder = _school_template(tmp_path, "Plan for {{ pupil.full_name }}; reviewed {{ cycle.review.date|uk_date }}", "support-plan")
    out = tmp_path / "out"
    args = ["render", "support-plan", str(samples / "register.xlsx"), "-o", str(out), "--templates", str(folder), "--date", DATE]
    # The check knows some cycles have no review yet, so the template is refused before anything is made.
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1 and not out.exists()
    assert "'cycle.review' is empty for some records, and then 'cycle.review.date' stops the document" in result.output
    # Should a record still fail where the check could not foresee it, only that document stops.
    import senforms.documents.template_files as template_files

    monkeypatch.setattr(template_files, "check_template", lambda template, kind=None: [])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "template support-plan.docx could not be filled in" in result.output
    assert "FAILED" in result.output
    assert len(list(out.glob("*.docx"))) == 7  # the pupils on SEN support whose current cycle has been reviewed


def test_sandbox_refuses_a_template_that_runs_commands(samples, tmp_path):
    marker = tmp_path / "pwned"
    folder = _school_template(tmp_path, "{{ cycler.__init__.__globals__.os.popen('touch " + str(marker) + "').read() }}", "review")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["render", "review", str(samples / "register.xlsx"), "-o", str(out), "--templates", str(folder), "--pupil", "Z881999919001"])
    assert result.exit_code != 0
    assert not marker.exists()


@pytest.mark.timeout(20)
def test_sandbox_refuses_a_memory_bomb(samples, tmp_path):
    folder = _school_template(tmp_path, "{{ 'a' * 10**9 }}", "review")
    result = CliRunner().invoke(cli, ["render", "review", str(samples / "register.xlsx"), "-o", str(tmp_path / "o"), "--templates", str(folder), "--pupil", "Z881999919001"])
    assert result.exit_code == 1
    assert "does something templates may not do" in result.output or "too large" in result.output


def test_templates_export_then_check_clean(tmp_path):
    run("templates", "export", str(tmp_path / "ours"))
    exported = sorted(p.name for p in (tmp_path / "ours").glob("*.docx"))
    assert exported == sorted(p.name for p in docx_templates_dir().glob("*.docx")) and len(exported) == len(KINDS) == 7
    result = run("templates", "check", *[str(p) for p in sorted((tmp_path / "ours").glob("*.docx"))])
    assert result.output.count("no problems found") == 7
    again = CliRunner().invoke(cli, ["templates", "export", str(tmp_path / "ours")])
    assert again.exit_code == 1 and "already exists" in again.output


def test_unbalanced_blocks_and_split_tags_are_placed(tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    document = Document()
    document.add_paragraph("Hello")
    document.add_paragraph("{% if pupil.eal %}Interpreter")
    split = document.add_paragraph("Name: ")
    split.add_run("{{ pupil.")
    split.add_run("full_name }}").bold = True
    document.save(folder / "review.docx")
    result = run("templates", "check", str(folder / "review.docx"), expect=1)
    assert "paragraph 2 ('{% if pupil.eal %}Interpreter'): {% if %} is never closed with {% endif %}" in result.output
    # docxtpl joins a tag Word split over runs and prints it whole: no alarm (issue 17, problem 1).
    assert "split" not in result.output and "paragraph 3" not in result.output


def test_a_broken_tag_is_always_reported_once(tmp_path):
    from senforms.documents.template_files import check_template

    for name in "ab":
        (tmp_path / name).mkdir()
    alone = _school_template(tmp_path / "a", "Dear {{ recipient.salutation }}\nYour child {{ pupil.full_name | }}")
    (finding,) = [f for f in check_template(alone / "parent-notification.docx") if f.severity == "error"]  # (a warning: no heading)
    assert (finding.location.place, finding.severity) == ("paragraph 2 ('Your child {{ pupil.full_name | }}')", "error")
    assert finding.message.startswith("a tag is broken: ")
    # With an error already found, that error explains the failure: no second, vaguer one.
    unclosed = _school_template(tmp_path / "b", "Hello\n{% if pupil.eal %}Interpreter {{ pupil.full_name | }}")
    findings = [f for f in check_template(unclosed / "parent-notification.docx") if f.severity == "error"]
    assert [f.within_file for f in findings] == ["paragraph 2 ('{% if pupil.eal %}Interpreter {{ pupil.full_nam…'): {% if %} is never closed with {% endif %}"]


def test_rendered_docx_has_no_personal_metadata(samples, tmp_path):
    run("render", "ehc-request", str(samples / "register.xlsx"), "-o", str(tmp_path), "--date", DATE)
    for path in tmp_path.glob("*.docx"):
        core = zipfile.ZipFile(path).read("docProps/core.xml").decode()
        assert "senforms" in core and "Okafor" not in core and "2000-01-01" in core


@pytest.mark.libreoffice
@pytest.mark.timeout(300)
def test_render_with_pdf_gives_a_pdf_per_letter_and_a_merged_pdf(samples, tmp_path, sample_register):
    from pypdf import PdfReader

    out = tmp_path / "letters"
    merged = tmp_path / "print" / "letters.docx"
    result = run("render", "parent-notification", str(samples / "register.xlsx"), "-o", str(out), "--pdf", "--merge", str(merged), "--date", DATE, "--all")
    # The merged document follows the register: pupils in its order, each pupil's contacts in theirs.
    place = {(p.upn, c.id): (i, j) for i, p in enumerate(sample_register.pupils) for j, c in enumerate(p.contacts)}
    pdfs = sorted(out.glob("*.pdf"), key=lambda pdf: place[(pdf.stem.split("-")[0], pdf.stem.rsplit("-", 1)[1])])
    assert len(pdfs) == 14 and "PDFs: 14 made" in result.output
    starts = []
    for pdf in pdfs:
        upn, contact = pdf.stem.split("-")[0], pdf.stem.rsplit("-", 1)[1]
        pupil = sample_register.pupil(upn)
        text = " ".join(" ".join(page.extract_text() for page in PdfReader(str(pdf)).pages).split())
        assert pupil.contact(contact).name in text and pupil.legal_surname in text
        starts.append((pupil.contact(contact).name, len(PdfReader(str(pdf)).pages)))
    merged_pdf = PdfReader(str(merged.with_suffix(".pdf")))
    assert len(merged_pdf.pages) == sum(pages for _, pages in starts)
    page = 0
    for name, pages in starts:  # each letter on its own page range, in order
        assert name in " ".join(merged_pdf.pages[page].extract_text().split())
        page += pages
    rows = list(csv.DictReader(open(out / "manifest.csv", encoding="utf-8")))
    assert sum(1 for r in rows if r["file"].endswith(".pdf")) == 14
    assert all(r["document"] == "parent-notification" and r["upn"] for r in rows)
    printed = {r["file"]: r for r in csv.DictReader(open(merged.parent / "manifest.csv", encoding="utf-8"))}
    assert sorted(printed) == ["letters.docx", "letters.pdf"]
    for name, row in printed.items():
        assert (row["document"], row["upn"], row["status"]) == ("merged", "", "made")
        assert row["sha256"] == hashlib.sha256((merged.parent / name).read_bytes()).hexdigest()


@pytest.mark.libreoffice
@pytest.mark.timeout(300)
def test_pdf_only_keeps_no_word_files(samples, tmp_path):
    out = tmp_path / "plans"
    run("render", "ehc-request", str(samples / "register.xlsx"), "-o", str(out), "--pdf-only", "--date", DATE)
    assert len(list(out.glob("*.pdf"))) == 3
    assert not list(out.glob("*.docx")) and not [p for p in out.iterdir() if p.name.startswith(".")]


@pytest.mark.timeout(60)
def test_sandbox_stops_loops_inside_loops_that_would_run_for_hours(samples, tmp_path):
    loops = "{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}{% endfor %}"
    folder = _school_template(tmp_path, f"Plan for {{{{ pupil.full_name }}}}\n{loops}", "support-plan")
    out = tmp_path / "o"
    result = CliRunner().invoke(cli, ["render", "support-plan", str(samples / "register.xlsx"), "-o", str(out), "--templates", str(folder), "--pupil", "Z881999919001"])
    assert result.exit_code == 1
    assert "it does something templates may not do (the template counts through more than 100,000 numbers in one document)" in result.output
    assert not out.exists() or not list(out.glob("*.docx"))
    # A template that counts modestly still works: the budget is per document, not per batch.
    folder = _school_template(tmp_path, "Plan for {{ pupil.full_name }}: {% for i in range(3) %}{{ i }}{% endfor %}", "support-plan")
    run("render", "support-plan", str(samples / "register.xlsx"), "-o", str(out), "--templates", str(folder))
    texts = [all_text(p) for p in out.glob("*.docx")]
    assert len(texts) == 12 and all(": 012" in t for t in texts)


def test_a_name_word_stamped_into_a_school_template_never_reaches_a_document(samples, tmp_path):
    """Word writes the editor's name into a template's properties when it is saved; rendered
    documents carry senforms' fixed properties only, in the namespaces Word itself reads."""
    from senforms.resources import docx_templates_dir

    folder = tmp_path / "ours"
    folder.mkdir()
    source = zipfile.ZipFile(docx_templates_dir() / "review.docx")
    stamped = source.read("docProps/core.xml").decode()
    stamped = re.sub(r"<cp:lastModifiedBy>[^<]*</cp:lastModifiedBy>|<cp:lastModifiedBy/>", "<cp:lastModifiedBy>Mrs Jane Teacher</cp:lastModifiedBy>", stamped)
    stamped = stamped.replace("</cp:coreProperties>", "<cp:keywords>Amara worries</cp:keywords></cp:coreProperties>")
    with zipfile.ZipFile(folder / "review.docx", "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, stamped if info.filename == "docProps/core.xml" else source.read(info.filename))
    out = tmp_path / "out"
    run("render", "review", str(samples / "register.xlsx"), "-o", str(out), "--templates", str(folder), "--date", DATE)
    made = sorted(out.glob("*.docx"))
    assert made
    for path in made:
        core = zipfile.ZipFile(path).read("docProps/core.xml").decode()
        assert "Jane Teacher" not in core and "Amara worries" not in core
        assert "<cp:lastModifiedBy>senforms</cp:lastModifiedBy>" in core and "<dc:title>SEN support review record</dc:title>" in core
