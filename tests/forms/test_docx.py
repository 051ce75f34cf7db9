"""Word forms as Word writes them: content controls (inline, block, bound) and legacy fields, filled in place."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest
from hypothesis import given, settings
from lxml import etree

from senforms.errors import FormError
from senforms.forms.docx_fill import fill_docx, word_date
from senforms.forms.docx_inspect import NS, W14
from senforms.forms.inventory import inspect_form

from .builders import DATA_NS, word_docx, word_form_xml
from .conftest import AWKWARD, LONG_VIEWS

VALUES = {
    "child_name": "Łukasz Żółć & <Ní Bhriain>", "dob": "2016-05-14", "eal": "True", "primary_need": "Autistic spectrum disorder",
    "views": "I like drawing.\nI find noise hard.", "upn": "Z881999919001", "School": "Hollybrook Primary School", "YearGroup": "Year 5",
    "LAC": "Yes", "KeyStage": "KS2",
}


@pytest.fixture
def form(tmp_path: Path) -> Path:
    return word_docx(tmp_path / "word-form.docx")


def _document(data: bytes):
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return etree.fromstring(package.read("word/document.xml")), {n: package.read(n) for n in package.namelist()}


def _control(root, tag: str):
    return next(s for s in root.iter("{{{}}}sdt".format(NS["w"])) if s.find("w:sdtPr/w:tag", NS).get("{{{}}}val".format(NS["w"])) == tag)


def _text(element) -> str:
    return "".join(element.itertext("{{{}}}t".format(NS["w"])))


def test_inspect_lists_controls_and_legacy_fields_in_document_order(form):
    fields = inspect_form(form).fields
    assert [(f.name, f.kind, f.source) for f in fields] == [
        ("child_name", "text", "content control (inline)"), ("dob", "date", "content control (inline)"),
        ("eal", "checkbox", "content control (inline)"), ("primary_need", "dropdown", "content control (inline)"),
        ("views", "rich text", "content control (block)"), ("upn", "text", "content control (inline)"),
        ("School", "text", "legacy FORMTEXT"), ("YearGroup", "text", "legacy FORMTEXT"),
        ("LAC", "checkbox", "legacy FORMCHECKBOX"), ("KeyStage", "dropdown", "legacy FORMDROPDOWN"),
    ]
    by_name = {f.name: f for f in fields}
    assert by_name["dob"].date_format == "dd/MM/yyyy"
    assert by_name["upn"].bound
    assert by_name["School"].max_length == 40 and by_name["School"].label == "School"  # the label cell beside it
    assert by_name["primary_need"].choices == ("Speech, language and communication needs", "Autistic spectrum disorder", "Moderate learning difficulty")
    assert by_name["KeyStage"].choices == ("KS1", "KS2", "KS3", "KS4")


def test_content_controls_are_filled_in_place_without_their_placeholders(form):
    filled = fill_docx(form.read_bytes(), form.name, inspect_form(form).fields, VALUES)
    root, _ = _document(filled.data)
    name = _control(root, "child_name")
    assert _text(name) == "Łukasz Żółć & <Ní Bhriain>"
    assert name.find("w:sdtPr/w:showingPlcHdr", NS) is None
    assert name.find(".//w:rStyle", NS) is None  # the grey placeholder style is gone
    assert name.find("w:sdtPr/w:tag", NS) is not None  # still a control the LA's staff can edit
    dob = _control(root, "dob")
    assert _text(dob) == "14/05/2016" and dob.find("w:sdtPr/w:date", NS).get("{{{}}}fullDate".format(NS["w"])) == "2016-05-14T00:00:00Z"
    assert _text(_control(root, "primary_need")) == "Autistic spectrum disorder"
    views = _control(root, "views")
    assert [_text(p) for p in views.findall("w:sdtContent/w:p", NS)] == ["I like drawing.", "I find noise hard."]
    assert docx.Document(io.BytesIO(filled.data)).paragraphs  # python-docx (and so Word) can open it


def test_checkbox_control_gets_w14_checked_and_the_ticked_glyph(form):
    root, _ = _document(fill_docx(form.read_bytes(), form.name, inspect_form(form).fields, VALUES).data)
    box = _control(root, "eal")
    assert box.find("w:sdtPr/w14:checkbox/w14:checked", NS).get(f"{{{W14}}}val") == "1"
    assert _text(box) == "\u2612"
    root, _ = _document(fill_docx(form.read_bytes(), form.name, inspect_form(form).fields, {**VALUES, "eal": "False"}).data)
    assert _control(root, "eal").find("w:sdtPr/w14:checkbox/w14:checked", NS).get(f"{{{W14}}}val") == "0"
    assert _text(_control(root, "eal")) == "\u2610"


def test_a_bound_control_writes_its_custom_xml_part_so_word_does_not_revert_it(form):
    root, parts = _document(fill_docx(form.read_bytes(), form.name, inspect_form(form).fields, VALUES).data)
    assert _text(_control(root, "upn")) == "Z881999919001"
    data = etree.fromstring(parts["customXml/item1.xml"])
    assert data.find(f"{{{DATA_NS}}}upn").text == "Z881999919001"


def test_legacy_fields_results_boxes_and_lists_are_set_and_protection_is_kept(form):
    root, parts = _document(fill_docx(form.read_bytes(), form.name, inspect_form(form).fields, VALUES).data)
    w = NS["w"]
    cells = [_text(tc) for tc in root.iter(f"{{{w}}}tc")]
    assert cells[1] == "Hollybrook Primary School" and cells[3] == "Year 5"
    ff = {f.find("w:name", NS).get(f"{{{w}}}val"): f for f in root.iter(f"{{{w}}}ffData")}
    assert ff["LAC"].find("w:checkBox/w:checked", NS).get(f"{{{w}}}val") == "1"
    assert ff["KeyStage"].find("w:ddList/w:result", NS).get(f"{{{w}}}val") == "1"
    assert [b.get(f"{{{w}}}name") for b in root.iter(f"{{{w}}}bookmarkStart")] == ["School", "YearGroup", "LAC", "KeyStage"]
    assert b'w:documentProtection w:edit="forms" w:enforcement="1"' in parts["word/settings.xml"]


def test_legacy_text_longer_than_max_length_is_cut_and_whole_in_the_addendum(form):
    long_name = "The Hollybrook Primary School and Nursery of Eastmere Village"
    filled = fill_docx(form.read_bytes(), form.name, inspect_form(form).fields, {**VALUES, "School": long_name, "views": LONG_VIEWS})
    root, _ = _document(filled.data)
    shown = [_text(tc) for tc in root.iter("{{{}}}tc".format(NS["w"]))][1]
    assert len(shown) <= 40 and shown.endswith("(see addendum 1)")
    assert long_name.startswith(shown.removesuffix(" (see addendum 1)"))
    body = [_text(p) for p in root.find("w:body", NS).findall("w:p", NS)]
    assert body[-2:] == ["Box 1: School", long_name]
    assert _text(_control(root, "views")) == LONG_VIEWS  # a content control grows: nothing to cut


def test_a_value_not_on_a_drop_down_list_or_not_a_date_is_an_error_naming_the_field(form):
    fields = inspect_form(form).fields
    with pytest.raises(FormError, match="field 'primary_need' cannot be 'Dyslexia': it must be one of Speech"):
        fill_docx(form.read_bytes(), form.name, fields, {**VALUES, "primary_need": "Dyslexia"})
    with pytest.raises(FormError, match="field 'KeyStage' cannot be 'KS5'"):
        fill_docx(form.read_bytes(), form.name, fields, {**VALUES, "KeyStage": "KS5"})
    with pytest.raises(FormError, match="field 'dob' is a date, but its value 'soon' is not one"):
        fill_docx(form.read_bytes(), form.name, fields, {**VALUES, "dob": "soon"})


def test_word_date_formats():
    import datetime as dt

    day = dt.date(2016, 5, 4)
    assert word_date(day, "dd/MM/yyyy") == "04/05/2016"
    assert word_date(day, "d MMMM yyyy") == "4 May 2016"
    assert word_date(day, "dddd, d MMM yy") == "Wednesday, 4 May 16"
    assert word_date(day, "'Date:' d/M/yyyy") == "Date: 4/5/2016"


def test_a_form_with_no_fields_lists_empty_cells_beside_labels(tmp_path):
    xml = word_form_xml()
    start, end = xml.index("<w:tbl>"), xml.index("</w:tbl>") + len("</w:tbl>")
    table = '<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Child\'s name:</w:t></w:r></w:p></w:tc><w:tc><w:p/></w:tc></w:tr><w:tr><w:tc><w:p><w:r><w:t>Notes</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>filled</w:t></w:r></w:p></w:tc></w:tr></w:tbl>'
    body_start = xml.index("<w:body>") + len("<w:body>")
    plain = xml[:body_start] + table + xml[end:][xml[end:].index("<w:sectPr"):]
    path = word_docx(tmp_path / "plain.docx", plain)
    assert start  # the original has a table too
    fields = inspect_form(path).fields
    assert [(f.name, f.kind, f.label) for f in fields] == [("table 1 row 1 cell 2", "cell", "Child's name")]
    filled = fill_docx(path.read_bytes(), path.name, fields, {"table 1 row 1 cell 2": "Amara Okafor"})
    root, _ = _document(filled.data)
    assert [_text(tc) for tc in root.iter("{{{}}}tc".format(NS["w"]))][1] == "Amara Okafor"


@settings(max_examples=30, deadline=None)
@given(name=AWKWARD)
def test_any_name_comes_out_exactly_as_typed_in_word_controls_and_legacy_fields(tmp_path_factory, name):
    form = word_docx(tmp_path_factory.mktemp("f") / "form.docx")
    filled = fill_docx(form.read_bytes(), form.name, inspect_form(form).fields, {**VALUES, "child_name": name, "YearGroup": name[:8]})
    root, _ = _document(filled.data)
    assert _text(_control(root, "child_name")) == name
    assert [_text(tc) for tc in root.iter(f"{{{NS['w']}}}tc")][3] == name[:8].rstrip()  # a cut value keeps no trailing space


def test_repeating_sections_and_pictures_are_not_listed_as_fields(tmp_path):
    xml = word_form_xml().replace("<w:sectPr>", '<w:sdt><w:sdtPr><w:tag w:val="photo"/><w:picture/></w:sdtPr><w:sdtContent><w:p/></w:sdtContent></w:sdt><w:sectPr>', 1)
    names = [f.name for f in inspect_form(word_docx(tmp_path / "form.docx", xml)).fields]
    assert "photo" not in names and "child_name" in names


def test_controls_in_headers_and_repeated_controls_are_listed_once_and_filled_everywhere(tmp_path):
    xml = word_form_xml().replace("<w:sectPr>", '<w:sectPr><w:headerReference w:type="default" r:id="rIdH"/>', 1)
    path = word_docx(tmp_path / "form.docx", xml)
    header = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:hdr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:p><w:r><w:t xml:space="preserve">Child: </w:t></w:r>'
              '<w:sdt><w:sdtPr><w:tag w:val="child_name"/><w:showingPlcHdr/><w:text/></w:sdtPr><w:sdtContent><w:r><w:t>Name</w:t></w:r></w:sdtContent></w:sdt>'
              '<w:sdt><w:sdtPr><w:tag w:val="ref"/><w:alias w:val="LA reference"/><w:text/></w:sdtPr><w:sdtContent><w:r><w:t> </w:t></w:r></w:sdtContent></w:sdt></w:p></w:hdr>')
    with zipfile.ZipFile(path, "a") as package:
        package.writestr("word/header1.xml", header)
    fields = inspect_form(path).fields
    assert [f.name for f in fields].count("child_name") == 1 and fields[-1].name == "ref"
    filled = fill_docx(path.read_bytes(), path.name, fields, {**VALUES, "ref": "WYV-2026-0042"})
    with zipfile.ZipFile(io.BytesIO(filled.data)) as package:
        text = _text(etree.fromstring(package.read("word/header1.xml")))
    assert text == "Child: Łukasz Żółć & <Ní Bhriain>WYV-2026-0042"
