"""Lint of the committed Word templates, templates/docx/*.docx: they are the source.

The .docx files are edited in Word (there is no build script), so the rules that keep Word,
docxtpl and senforms' house style agreeing are checked here, on the files themselves:

- every Jinja tag sits wholly inside one run (Word splits runs freely; docxtpl reads a tag only
  when it is whole), `{%p %}` alone in its paragraph, `{%tr %}` alone in its row, and no curly
  quotes or < > inside tags;
- headings are real Word Heading 1/2 paragraphs, not bold body text; every document, letters too,
  starts at a Heading 1 (a letter's subject line) and never skips a level (PDF/UA, Matterhorn 14-003);
- data tables (those with a `{%tr for %}` row loop) have a header row repeated on every page;
- every table spans the 17 cm text width with a fixed layout;
- the house style: Arial everywhere (no theme fonts), Normal 11 pt, A4 portrait, 2 cm margins,
  a different first-page header for the letterhead;
- the document properties are exactly what `set_fixed_properties` sets (nobody's name, no
  changing time), and zip members have a fixed time, so rendering gives the same bytes each run.

Each lint is a function returning a list of problems, run over every template and, as a
negative case, over a copy broken on purpose. After saving a template in Word run
`python tools/tidy_templates.py templates/docx/*.docx` to reset its properties and drop unused styles.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from lxml import etree

from senforms.documents.catalogue import KINDS, plan_jobs
from senforms.documents.headings import HeadingStyles, heading_styles, order_problems
from senforms.documents.templating import FIXED_ZIP_TIME, render_docx, set_fixed_properties

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates" / "docx"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {
    "w": W,
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
}
TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
DELIMITER = re.compile(r"\{\{|\}\}|\{%|%\}")
TITLES = {  # each template's own title (rendering replaces it with the document's)
    "support-plan": "SEN support plan",
    "review": "SEN support review record",
    "parent-notification": "Letter about SEN support",
    "invitation": "Meeting invitation",
    "ehc-request": "Request for an EHC needs assessment",
    "la-cover-letter": "Covering letter to the local authority",
    "one-page-profile": "One-page profile",
}
SUBJECT = "senforms template"
COMMENTS = "A senforms template: see docs/templates.md before editing."
# Whole-bold body paragraphs that are not headings: the titles of tear-off slips, a warning and a
# table's lead-in (a letter's subject line is its Heading 1). A new one is almost always a heading made by
# hand: give it the Heading 1 or Heading 2 style instead (or add it here if it truly is not one).
BOLD_LINES_THAT_ARE_NOT_HEADINGS = {
    "Private and confidential",
    "{{ school.senco.name }}",
    "Reply slip: {{ meeting.type }} for {{ pupil.full_name }} on {{ meeting.date|uk_date }}",
    "Return slip: SEN support for {{ pupil.full_name }} ({{ pupil.year_group }})",
    "No agreement to this request has been recorded yet (see section 4).",
    "Plan and review: outcomes and progress",
}
TWIPS_PER_CM = 1440 / 2.54
TEXT_WIDTH_TWIPS = round(17.0 * TWIPS_PER_CM)  # A4 less two 2 cm margins


def w(name: str) -> str:
    return f"{{{W}}}{name}"


# --- reading a package --------------------------------------------------------------------------


def _xml(path: Path, member: str):
    with zipfile.ZipFile(path) as package:
        return etree.fromstring(package.read(member))


def _story_parts(path: Path) -> list[tuple[str, object]]:
    """The document body and every header and footer, as (member name, XML root)."""
    with zipfile.ZipFile(path) as package:
        names = [n for n in package.namelist() if re.fullmatch(r"word/(document|header\d+|footer\d+)\.xml", n)]
        return [(name, etree.fromstring(package.read(name))) for name in sorted(names)]


def _run_text(run) -> str:
    return "".join(t.text or "" for t in run.iter(w("t")))


def _text(element) -> str:
    return "".join(t.text or "" for t in element.iter(w("t")))


def _style_of(paragraph) -> str:
    style = paragraph.find(f"{w('pPr')}/{w('pStyle')}")
    return style.get(w("val")) if style is not None else "Normal"


def _on(element) -> bool:
    """A w:b, w:i… toggle that is present and not switched off."""
    return element is not None and element.get(w("val"), "true") not in ("0", "false", "off")


# --- the lints ----------------------------------------------------------------------------------


def tag_problems(path: Path) -> list[str]:
    problems = []
    for member, root in _story_parts(path):
        for number, paragraph in enumerate(root.iter(w("p")), start=1):
            where = f"{member} paragraph {number}"
            runs = [r for r in paragraph.iter(w("r"))]
            texts = [_run_text(r) for r in runs]
            for text in texts:
                depth = 0
                for match in DELIMITER.finditer(text):
                    depth += 1 if match.group() in ("{{", "{%") else -1
                    if depth not in (0, 1):
                        break
                if depth != 0:
                    problems.append(f"{where}: a run holds part of a tag: {text!r}")
            whole = "".join(texts)
            for match in TAG.finditer(whole):
                tag = match.group()
                if not any(tag in text for text in texts):
                    problems.append(f"{where}: {tag} is split across runs")
                if re.search(r"[<>‘’“”]", tag):
                    problems.append(f"{where}: {tag} has a curly quote or < > inside it")
                if tag.startswith("{%p ") and whole.strip() != tag:
                    problems.append(f"{where}: {tag} must be alone in its paragraph")
                if tag.startswith("{%tr "):
                    row = next(paragraph.iterancestors(w("tr")), None)
                    if row is None or _text(row).strip() != tag:
                        problems.append(f"{where}: {tag} must be alone in its table row")
            if DELIMITER.sub("", TAG.sub("", whole)) != TAG.sub("", whole):
                problems.append(f"{where}: an unclosed tag in {whole!r}")
    return problems


def heading_problems(path: Path, kind: str) -> list[str]:
    problems = []
    styles = {s.get(w("styleId")): s for s in _xml(path, "word/styles.xml").iter(w("style"))}
    for level in (1, 2):
        style = styles.get(f"Heading{level}")
        if style is None:
            problems.append(f"there is no Heading {level} style")
            continue
        if style.find(w("name")).get(w("val")) != f"heading {level}":
            problems.append(f"Heading{level} is not Word's built-in heading {level} style")
        outline = style.find(f"{w('pPr')}/{w('outlineLvl')}")
        if outline is None or outline.get(w("val")) != str(level - 1):
            problems.append(f"Heading {level} has no outline level {level - 1} (navigation pane, PDF bookmarks)")
    body = _xml(path, "word/document.xml").find(w("body"))
    paragraphs = list(body.iterchildren(w("p")))  # not table cells: labels there are bold by design
    with zipfile.ZipFile(path) as package:
        problems += heading_order_problems(body, heading_styles(package.read("word/styles.xml")))
    for paragraph in paragraphs:
        text = _text(paragraph).strip()
        if not text or _style_of(paragraph).startswith("Heading") or _style_of(paragraph) in ("Title", "Subtitle"):
            continue
        runs = [r for r in paragraph.iter(w("r")) if _run_text(r).strip()]
        if all(_on(r.find(f"{w('rPr')}/{w('b')}")) for r in runs) and text not in BOLD_LINES_THAT_ARE_NOT_HEADINGS:
            problems.append(f"{text!r} is bold body text that looks like a heading: use Heading 1 or Heading 2")
        for run in runs:
            size = run.find(f"{w('rPr')}/{w('sz')}")
            if size is not None and int(size.get(w("val"))) > 22:
                problems.append(f"{text!r} is enlarged by hand ({int(size.get(w('val'))) / 2:g} pt): use a heading style")
                break
    return problems


def heading_order_problems(body, styles: HeadingStyles) -> list[str]:
    """The headings in body order (both sides of an if/else included) start at level 1 and never
    skip one going down (senforms.documents.headings, the rule `templates check` warns by): a
    screen reader's list of headings is the document's outline."""
    headings = [(level, _text(p).strip()) for p in body.iter(w("p")) if (level := styles.level_of(p)) is not None]
    problems = []
    for problem in order_problems([level for level, _ in headings]):
        if problem.kind == "none":
            problems.append("the document has no Heading 1 (a letter's subject line, a report's first section)")
        elif problem.kind == "first":
            problems.append(f"the first heading, {headings[0][1]!r}, is Heading {problem.level}: a document starts at Heading 1")
        else:
            problems.append(f"{headings[problem.index][1]!r} is Heading {problem.level} straight after a Heading {problem.before}: a level is skipped")
    return problems


def table_problems(path: Path) -> list[str]:
    problems = []
    for member, root in _story_parts(path):
        for number, table in enumerate(root.iter(w("tbl")), start=1):
            where = f"{member} table {number} ({_text(table)[:40]!r})"
            rows = list(table.iterchildren(w("tr")))
            repeated = [r.find(f"{w('trPr')}/{w('tblHeader')}") is not None for r in rows]
            if "{%tr for " in _text(table) and not (repeated and repeated[0]):
                problems.append(f"{where}: a data table's first row must repeat as a header row on each page")
            if any(repeated) and repeated.index(False if False in repeated else True) < sum(repeated):
                problems.append(f"{where}: only the first rows of a table can repeat as its header")
            grid = sum(int(col.get(w("w"))) for col in table.iter(w("gridCol")))
            if abs(grid - TEXT_WIDTH_TWIPS) > 3:
                problems.append(f"{where}: columns add up to {grid / TWIPS_PER_CM:.2f} cm, not the 17 cm text width")
            layout = table.find(f"{w('tblPr')}/{w('tblLayout')}")
            if layout is None or layout.get(w("type")) != "fixed":
                problems.append(f"{where}: the table layout is not fixed (Word would resize columns to the text)")
    return problems


def house_style_problems(path: Path) -> list[str]:
    problems = []
    styles = _xml(path, "word/styles.xml")
    defaults = styles.find(f"{w('docDefaults')}/{w('rPrDefault')}/{w('rPr')}")
    fonts = defaults.find(w("rFonts"))
    if fonts is None or any(fonts.get(w(a)) != "Arial" for a in ("ascii", "hAnsi", "cs")):
        problems.append("the default font is not Arial")
    lang = defaults.find(w("lang"))
    if lang is None or lang.get(w("val")) != "en-GB":
        problems.append("the default language is not English (UK)")
    by_id = {s.get(w("styleId")): s for s in styles.iter(w("style"))}
    used = {"Normal", "Heading1", "Heading2"}
    for _, root in _story_parts(path):
        used |= {e.get(w("val")) for tag in ("pStyle", "rStyle", "tblStyle") for e in root.iter(w(tag))}
    for style_id in list(used):  # and the styles they are based on
        while style_id in by_id and by_id[style_id].find(w("basedOn")) is not None:
            style_id = by_id[style_id].find(w("basedOn")).get(w("val"))
            used.add(style_id)
    for fonts in [defaults.find(w("rFonts"))] + [f for i in sorted(used & set(by_id)) for f in by_id[i].iter(w("rFonts"))]:
        if fonts is None:
            continue
        owner = next(fonts.iterancestors(w("style")), None)
        name = owner.find(w("name")).get(w("val")) if owner is not None else "defaults"
        themed = [a for a in fonts.attrib if a.endswith("Theme")]
        if themed:
            problems.append(f"style {name!r} uses a theme font, which would win over Arial")
        if fonts.get(w("ascii")) not in (None, "Arial"):
            problems.append(f"style {name!r} uses {fonts.get(w('ascii'))}, not Arial")
    normal = next(s for s in styles.iter(w("style")) if s.get(w("styleId")) == "Normal")
    size = normal.find(f"{w('rPr')}/{w('sz')}")
    if size is None or size.get(w("val")) != "22":
        problems.append("Normal text is not 11 pt")
    for member, root in _story_parts(path):
        for fonts in root.iter(w("rFonts")):
            if fonts.get(w("ascii")) not in (None, "Arial") or any(a.endswith("Theme") for a in fonts.attrib):
                problems.append(f"{member}: a run is set in {fonts.get(w('ascii')) or 'a theme font'}, not Arial")
                break
    sections = list(_xml(path, "word/document.xml").iter(w("sectPr")))
    for section in sections:
        size = section.find(w("pgSz"))
        if (int(size.get(w("w"))), int(size.get(w("h")))) != (11906, 16838) or size.get(w("orient")) == "landscape":
            problems.append("the page is not A4 portrait")
        margins = section.find(w("pgMar"))
        for side in ("top", "bottom", "left", "right"):
            if abs(int(margins.get(w(side))) - round(2 * TWIPS_PER_CM)) > 2:
                problems.append(f"the {side} margin is not 2 cm")
        if not _on(section.find(w("titlePg"))):
            problems.append("the first page has no header of its own (the letterhead)")
    return problems


def fixed_properties(kind: str) -> dict[str, str]:
    """What set_fixed_properties sets, with each template's title, as core.xml element -> text."""
    recorded = SimpleNamespace()
    set_fixed_properties(recorded, title=TITLES[kind], subject=SUBJECT, comments=COMMENTS)
    names = {
        "title": "dc:title", "subject": "dc:subject", "author": "dc:creator", "keywords": "cp:keywords",
        "comments": "dc:description", "last_modified_by": "cp:lastModifiedBy", "revision": "cp:revision",
        "created": "dcterms:created", "modified": "dcterms:modified", "last_printed": "cp:lastPrinted",
        "category": "cp:category",
    }
    assert set(vars(recorded)) <= set(names), f"set_fixed_properties now sets {sorted(set(vars(recorded)) - set(names))}: check them here too"
    expected = {}
    for attribute, value in vars(recorded).items():
        expected[names[attribute]] = value.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(value, dt.datetime) else str(value)
    expected["dc:language"] = "en-GB"
    return expected


def property_problems(path: Path, kind: str) -> list[str]:
    problems = []
    root = _xml(path, "docProps/core.xml")
    prefixes = {uri: prefix for prefix, uri in NS.items()}
    found: dict[str, str] = {}
    for child in root:
        uri, _, local = child.tag[1:].partition("}")
        if uri not in prefixes:
            problems.append(f"core.xml holds {local} in the unknown namespace {uri}")
            continue
        found[f"{prefixes[uri]}:{local}"] = child.text or ""
    expected = fixed_properties(kind)
    for name in sorted(set(expected) | set(found)):
        if found.get(name) != expected.get(name):
            problems.append(f"{name} is {found.get(name)!r}, should be {expected.get(name)!r}")
    with zipfile.ZipFile(path) as package:
        for info in package.infolist():
            if info.date_time != FIXED_ZIP_TIME:
                problems.append(f"{info.filename} carries the time {info.date_time}")
            if info.filename.startswith("docProps/thumbnail"):
                problems.append(f"{info.filename}: a saved preview picture of the template")
    return problems


def _all(path: Path, kind: str) -> list[str]:
    return tag_problems(path) + heading_problems(path, kind) + table_problems(path) + house_style_problems(path) + property_problems(path, kind)


# --- the shipped templates ----------------------------------------------------------------------


def test_there_are_six_templates_one_per_document():
    assert sorted(p.name for p in TEMPLATES.glob("*.docx")) == sorted(kind.template for kind in KINDS.values())
    assert set(TITLES) == set(KINDS)


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_tag_is_whole_in_one_run_and_block_tags_stand_alone(kind):
    assert tag_problems(TEMPLATES / f"{kind}.docx") == []


@pytest.mark.parametrize("kind", list(KINDS))
def test_headings_are_real_word_headings(kind):
    assert heading_problems(TEMPLATES / f"{kind}.docx", kind) == []


@pytest.mark.parametrize("kind", list(KINDS))
def test_tables_span_the_text_width_and_data_tables_repeat_their_header(kind):
    path = TEMPLATES / f"{kind}.docx"
    assert table_problems(path) == []
    loops = [t for _, root in _story_parts(path) for t in root.iter(w("tbl")) if "{%tr for " in _text(t)]
    assert loops or kind in {"invitation", "parent-notification", "la-cover-letter", "one-page-profile"}  # the lint saw the data tables


@pytest.mark.parametrize("kind", list(KINDS))
def test_house_style(kind):
    assert house_style_problems(TEMPLATES / f"{kind}.docx") == []


@pytest.mark.parametrize("kind", list(KINDS))
def test_document_properties_are_fixed(kind):
    assert property_problems(TEMPLATES / f"{kind}.docx", kind) == []


# --- each lint catches what it is for: copies broken on purpose --------------------------------------


def _rewrite(source: Path, target: Path, member: str, change) -> Path:
    """Copy a template, passing one member's XML root through `change`."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            if info.filename == member:
                root = etree.fromstring(data)
                change(root)
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            new.writestr(info, data)
    return target


def _paragraph_with(root, text: str):
    return next(p for p in root.iter(w("p")) if text in _text(p))


def test_a_tag_split_across_runs_is_caught(tmp_path):
    def split(root):
        paragraph = _paragraph_with(root, "Dear {{ recipient.salutation }},")
        run = next(r for r in paragraph.iter(w("r")) if "{{ recipient.salutation }}" in _run_text(r))
        t = run.find(w("t"))
        before, after = t.text.split("salutation", 1)
        t.text = before + "salut"
        twin = etree.fromstring(etree.tostring(run))
        twin.find(w("t")).text = "ation" + after
        twin.find(w("t")).set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        run.addnext(twin)

    broken = _rewrite(TEMPLATES / "invitation.docx", tmp_path / "invitation.docx", "word/document.xml", split)
    problems = tag_problems(broken)
    assert any("{{ recipient.salutation }} is split across runs" in p for p in problems), problems
    assert any("a run holds part of a tag" in p for p in problems)
    assert tag_problems(TEMPLATES / "invitation.docx") == []


def test_curly_quotes_and_crowded_block_tags_are_caught(tmp_path):
    def spoil(root):
        t = next(t for t in root.iter(w("t")) if "{{ pupil.full_name }}" in (t.text or ""))
        t.text = t.text.replace("{{ pupil.full_name }}", "{{ pupil.full_name|default(‘Pupil’) }}")
        t = next(t for t in root.iter(w("t")) if (t.text or "").startswith("{%p "))
        t.text = "Note: " + t.text

    broken = _rewrite(TEMPLATES / "support-plan.docx", tmp_path / "support-plan.docx", "word/document.xml", spoil)
    problems = tag_problems(broken)
    assert any("curly quote" in p and "default(‘Pupil’)" in p for p in problems), problems
    assert any("must be alone in its paragraph" in p for p in problems), problems


def test_a_bold_paragraph_posing_as_a_heading_is_caught(tmp_path):
    def demote(root):
        paragraph = _paragraph_with(root, "Strengths and interests")
        paragraph.find(w("pPr")).remove(paragraph.find(f"{w('pPr')}/{w('pStyle')}"))
        for run in paragraph.iter(w("r")):
            rpr = run.find(w("rPr"))
            if rpr is None:
                rpr = etree.SubElement(run, w("rPr"))
                run.insert(0, rpr)
            etree.SubElement(rpr, w("b"))

    broken = _rewrite(TEMPLATES / "support-plan.docx", tmp_path / "support-plan.docx", "word/document.xml", demote)
    assert heading_problems(broken, "support-plan") == [
        "'Strengths and interests' is bold body text that looks like a heading: use Heading 1 or Heading 2"
    ]


def test_a_letter_whose_subject_line_is_not_its_heading_is_caught(tmp_path):
    """parent-notification as it was: the subject line bold body text, its sections Heading 2s."""
    def demote(root):
        for text in ("Your special educational needs (SEN) support", "{{ pupil.full_name }}: special educational needs (SEN) support"):
            paragraph = next(p for p in root.iter(w("p")) if _text(p) == text)
            paragraph.find(w("pPr")).remove(paragraph.find(f"{w('pPr')}/{w('pStyle')}"))
            for run in paragraph.iter(w("r")):
                rpr = run.find(w("rPr"))
                if rpr is None:
                    rpr = etree.Element(w("rPr"))
                    run.insert(0, rpr)
                etree.SubElement(rpr, w("b"))

    broken = _rewrite(TEMPLATES / "parent-notification.docx", tmp_path / "parent-notification.docx", "word/document.xml", demote)
    problems = heading_problems(broken, "parent-notification")
    assert "the first heading, 'What SEN support means', is Heading 2: a document starts at Heading 1" in problems
    assert "'Your special educational needs (SEN) support' is bold body text that looks like a heading: use Heading 1 or Heading 2" in problems


def test_a_skipped_heading_level_is_caught(tmp_path):
    def skip(root):
        paragraph = _paragraph_with(root, "What SEN support means")
        paragraph.find(f"{w('pPr')}/{w('pStyle')}").set(w("val"), "Heading3")

    def add_heading_3(root):  # as Word does when the style is first used (tidy_templates drops unused ones)
        heading_2 = next(s for s in root.iter(w("style")) if s.get(w("styleId")) == "Heading2")
        heading_3 = etree.fromstring(etree.tostring(heading_2))
        heading_3.set(w("styleId"), "Heading3")
        heading_3.find(w("name")).set(w("val"), "heading 3")
        heading_3.find(f"{w('pPr')}/{w('outlineLvl')}").set(w("val"), "2")
        heading_2.addnext(heading_3)

    broken = _rewrite(TEMPLATES / "parent-notification.docx", tmp_path / "skipped.docx", "word/document.xml", skip)
    broken = _rewrite(broken, tmp_path / "parent-notification.docx", "word/styles.xml", add_heading_3)
    assert heading_problems(broken, "parent-notification") == [
        "'What SEN support means' is Heading 3 straight after a Heading 1: a level is skipped"
    ]


def test_a_letter_with_no_heading_is_caught(tmp_path):
    def flatten(root):
        for style in root.iter(w("pStyle")):
            if style.get(w("val")) == "Heading1":
                style.getparent().remove(style)

    broken = _rewrite(TEMPLATES / "invitation.docx", tmp_path / "invitation.docx", "word/document.xml", flatten)
    assert heading_problems(broken, "invitation") == [
        "the document has no Heading 1 (a letter's subject line, a report's first section)"
    ]


def test_a_data_table_without_a_repeating_header_is_caught(tmp_path):
    def unrepeat(root):
        for marker in root.iter(w("tblHeader")):
            marker.getparent().remove(marker)

    broken = _rewrite(TEMPLATES / "review.docx", tmp_path / "review.docx", "word/document.xml", unrepeat)
    problems = table_problems(broken)
    assert len([p for p in problems if "repeat as a header row" in p]) == 3, problems  # support, outcomes, signatures


def test_a_theme_font_and_letter_size_paper_are_caught(tmp_path):
    def theme(root):
        fonts = next(s for s in root.iter(w("style")) if s.get(w("styleId")) == "Heading1").find(f"{w('rPr')}/{w('rFonts')}")
        fonts.set(w("asciiTheme"), "majorHAnsi")

    def letter(root):
        size = next(root.iter(w("pgSz")))
        size.set(w("w"), "12240")
        size.set(w("h"), "15840")

    themed = _rewrite(TEMPLATES / "review.docx", tmp_path / "a.docx", "word/styles.xml", theme)
    assert house_style_problems(themed) == ["style 'heading 1' uses a theme font, which would win over Arial"]
    american = _rewrite(TEMPLATES / "review.docx", tmp_path / "b.docx", "word/document.xml", letter)
    assert house_style_problems(american) == ["the page is not A4 portrait"]


def test_properties_word_stamps_on_saving_are_caught(tmp_path):
    def saved_in_word(root):
        root.find("cp:lastModifiedBy", NS).text = "Jane Teacher"
        root.find("cp:revision", NS).text = "4"
        root.find("dcterms:modified", NS).text = "2026-11-30T16:02:00Z"

    broken = _rewrite(TEMPLATES / "review.docx", tmp_path / "review.docx", "docProps/core.xml", saved_in_word)
    problems = property_problems(broken, "review")
    assert "cp:lastModifiedBy is 'Jane Teacher', should be 'senforms'" in problems
    assert "cp:revision is '4', should be '1'" in problems
    assert "dcterms:modified is '2026-11-30T16:02:00Z', should be '2000-01-01T00:00:00Z'" in problems
    assert not any("carries the time" in p for p in problems)  # _rewrite keeps each member's fixed time

    stamped = tmp_path / "stamped.docx"
    with zipfile.ZipFile(TEMPLATES / "review.docx") as old, zipfile.ZipFile(stamped, "w") as new:
        for info in old.infolist():
            new.writestr(zipfile.ZipInfo(info.filename, (2026, 11, 30, 16, 2, 0)), old.read(info.filename))
    assert "word/document.xml carries the time (2026, 11, 30, 16, 2, 0)" in property_problems(stamped, "review")


def test_the_fix_script_resets_the_properties(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("tidy_templates", ROOT / "tools" / "tidy_templates.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)

    def saved_in_word(root):
        root.find("cp:lastModifiedBy", NS).text = "Jane Teacher"
        root.find("dcterms:created", NS).text = "2026-11-30T16:02:00Z"

    broken = _rewrite(TEMPLATES / "review.docx", tmp_path / "review.docx", "docProps/core.xml", saved_in_word)
    assert property_problems(broken, "review")
    assert tool.fix(broken) is True
    assert property_problems(broken, "review") == []
    assert broken.read_bytes() == (TEMPLATES / "review.docx").read_bytes()
    assert tool.fix(broken) is False


# --- rendering is deterministic -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_rendering_twice_gives_byte_identical_documents(sample_register, kind, monkeypatch):
    """Same template and record, a different clock: the same bytes (no time or random id leaks in)."""
    on = dt.date(2026, 11, 23)
    jobs = plan_jobs(sample_register, kind, on=on)[:2]
    assert jobs
    first = [render_docx(TEMPLATES / f"{kind}.docx", job.context, title=KINDS[kind].title) for job in jobs]
    later = time.time() + 400 * 86400 + 3
    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr(time, "localtime", lambda seconds=None: time.gmtime(later if seconds is None else seconds))
    second = [render_docx(TEMPLATES / f"{kind}.docx", job.context, title=KINDS[kind].title) for job in jobs]
    for job, a, b in zip(jobs, first, second):
        assert a == b, f"{job.description}: two renderings differ"
        with zipfile.ZipFile(io.BytesIO(a)) as package:
            assert {info.date_time for info in package.infolist()} == {FIXED_ZIP_TIME}
            core = package.read("docProps/core.xml").decode()
        assert "Okafor" not in core and job.context["pupil"]["full_name"] not in core
    if len(jobs) == 2:
        assert first[0] != first[1]  # and the bytes do depend on the record
