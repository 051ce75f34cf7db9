"""The batch: the samples' LA forms filled for every pupil to be referred, with names, manifest and addendum."""

from __future__ import annotations

import csv
import zipfile

import pytest
from pypdf import PdfReader

from senforms.errors import FormError
from senforms.forms.fill import FillOptions, fill_forms

from ..conftest import AS_OF, ROOT, SAMPLES
from .conftest import LONG_VIEWS, pdftotext

PDF_FORM = SAMPLES / "la-forms" / "wyvernshire-ehcna-request.pdf"
WORD_FORM = SAMPLES / "la-forms" / "eastmere-ehcna-request.docx"
REQUESTING = ["Z881999919001", "N881999919002", "C881999919003"]


def test_the_sample_pdf_form_is_filled_for_every_pupil_to_be_referred(sample_register, tmp_path):
    result = fill_forms(sample_register, PDF_FORM, PDF_FORM.with_suffix(".toml"), FillOptions(tmp_path, on=AS_OF))
    assert [(f.upn, f.path.name, f.status) for f in result.forms] == [(upn, f"{upn}-wyvernshire-ehcna-request.pdf", "written") for upn in REQUESTING]
    fields = PdfReader(tmp_path / "Z881999919001-wyvernshire-ehcna-request.pdf").get_fields()
    assert fields["child_forename"]["/V"] == "Amara" and fields["upn"]["/V"] == "Z881999919001"
    assert fields["parents_agree"]["/V"] == "/Yes" and fields["date_completed"]["/V"] == "23/11/2026"
    with open(tmp_path / "manifest.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["upn"], r["document"]) for r in rows] == sorted((upn, "la-form") for upn in REQUESTING)
    again = fill_forms(sample_register, PDF_FORM, PDF_FORM.with_suffix(".toml"), FillOptions(tmp_path, on=AS_OF))
    assert {f.status for f in again.forms} == {"skipped"}  # never overwritten unless asked


def test_flattened_forms_hold_name_date_of_birth_and_upn_and_long_views_whole_with_the_addendum(awkward_register, tmp_path):
    result = fill_forms(awkward_register, PDF_FORM, PDF_FORM.with_suffix(".toml"), FillOptions(tmp_path, flatten=True, on=AS_OF))
    first = next(f for f in result.forms if f.upn == "Z881999919001")
    assert first.addendum_boxes == 1
    text = pdftotext(first.path)
    assert "Łukasz" in text and "Żółć" in text and "Z881999919001" in text and "14/05/2016" in text
    assert "(continued in the addendum, box 1)" in text and "Box 1: The child's views" in text
    flat = " ".join(text.split())
    assert flat.count("The very last words.") == 1
    field_part = flat[: flat.index("(continued in the addendum, box 1)")]
    assert "Sentence 1 of what I think" in field_part  # the start shows in the box itself
    reader = PdfReader(first.path)
    assert "/AcroForm" not in reader.trailer["/Root"]
    second = pdftotext(next(f for f in result.forms if f.upn == "N881999919002").path)
    assert "Siobhán" in second and "Ní Bhriain" in second and "Loves {{ 7*7 }} puzzles & <drawing>" in " ".join(second.split())


def test_the_sample_word_form_is_filled_and_keeps_its_protection(sample_register, tmp_path):
    result = fill_forms(sample_register, WORD_FORM, WORD_FORM.with_suffix(".toml"), FillOptions(tmp_path, on=AS_OF), [p for p in sample_register.pupils if p.upn == "C881999919003"])
    assert [f.path.name for f in result.forms] == ["C881999919003-eastmere-ehcna-request.docx"]
    with zipfile.ZipFile(result.forms[0].path) as package:
        document = package.read("word/document.xml").decode("utf-8")
        assert b'w:edit="forms"' in package.read("word/settings.xml")
        assert "<upn>C881999919003</upn>" in package.read("customXml/item1.xml").decode("utf-8").replace("ns0:", "")
    assert "Zoë Ní Bhriain" in document and "22 October 2015" in document and "Specific learning difficulty" in document
    assert "showingPlcHdr" not in document


def test_flatten_is_refused_for_a_word_form(sample_register, tmp_path):
    with pytest.raises(FormError, match="is a Word form: only a PDF form can be flattened"):
        fill_forms(sample_register, WORD_FORM, WORD_FORM.with_suffix(".toml"), FillOptions(tmp_path, flatten=True, on=AS_OF))
    assert not any(tmp_path.iterdir())


def test_a_map_for_another_form_is_refused_before_anything_is_written(sample_register, tmp_path):
    with pytest.raises(FormError, match="was made from a different version of eastmere-ehcna-request.docx"):
        fill_forms(sample_register, WORD_FORM, PDF_FORM.with_suffix(".toml"), FillOptions(tmp_path / "out", on=AS_OF))
    assert not (tmp_path / "out").exists()


def test_the_shipped_sample_forms_are_what_the_tool_makes(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_la_forms", ROOT / "tools" / "make_la_forms.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tool.make_pdf(tmp_path / "form.pdf")
    tool.make_docx(tmp_path / "form.docx")
    assert (tmp_path / "form.pdf").read_bytes() == PDF_FORM.read_bytes()
    assert (tmp_path / "form.docx").read_bytes() == WORD_FORM.read_bytes()


def test_long_views_in_a_word_forms_legacy_field_are_whole_across_field_and_addendum(awkward_register, tmp_path):
    # the sample Word form's views are content controls (they grow), so use the legacy 60-character School box
    result = fill_forms(awkward_register, WORD_FORM, WORD_FORM.with_suffix(".toml"), FillOptions(tmp_path, on=AS_OF))
    made = next(f for f in result.forms if f.upn == "Z881999919001")
    with zipfile.ZipFile(made.path) as package:
        document = package.read("word/document.xml").decode("utf-8")
    assert LONG_VIEWS in document


@pytest.mark.libreoffice
@pytest.mark.timeout(300)
def test_pdf_option_converts_each_filled_word_form(sample_register, tmp_path):
    result = fill_forms(sample_register, WORD_FORM, WORD_FORM.with_suffix(".toml"), FillOptions(tmp_path, pdf=True, on=AS_OF), [p for p in sample_register.pupils if p.upn == "Z881999919001"])
    assert [r.status for r in result.pdfs] == ["converted"]
    text = " ".join(pdftotext(tmp_path / "Z881999919001-eastmere-ehcna-request.pdf").split())
    assert "Amara Okafor" in text and "14 May 2016" in text and "Z881999919001" in text
    with open(tmp_path / "manifest.csv", newline="", encoding="utf-8") as handle:
        assert {row["file"] for row in csv.DictReader(handle)} == {"Z881999919001-eastmere-ehcna-request.docx", "Z881999919001-eastmere-ehcna-request.pdf"}


def test_a_value_missing_for_one_pupil_stops_only_that_pupils_form_naming_field_and_variable(sample_register, tmp_path):
    import json

    from senforms.inputs import load_register

    data = json.loads((SAMPLES / "register.json").read_text(encoding="utf-8"))
    next(p for p in data["pupils"] if p["upn"] == "N881999919002")["professionals"] = []
    (tmp_path / "register.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    register = load_register(tmp_path / "register.json", as_of=AS_OF).register
    map_path = tmp_path / "map.toml"
    map_path.write_text(PDF_FORM.with_suffix(".toml").read_text(encoding="utf-8").replace('"senco" = "{{ school.senco.name }}"', '"senco" = "{{ pupil.professionals[0].name }}"'), encoding="utf-8")
    result = fill_forms(register, PDF_FORM, map_path, FillOptions(tmp_path / "out", on=AS_OF))
    assert [(f.upn, f.status) for f in result.forms] == [("Z881999919001", "written"), ("N881999919002", "failed"), ("C881999919003", "written")]
    failed = result.forms[1]
    assert failed.error == (
        "field 'senco' could not be filled for pupil N881999919002: it uses pupil.professionals[0], but this record's pupil.professionals "
        "has none (put it inside {% if pupil.professionals %} … {% endif %}) (change the value of 'senco' in map.toml, or guard it with {% if … %})"
    )
    assert not failed.path.exists()


def test_filled_fields_keep_their_own_background_and_border(sample_register, tmp_path):
    from .conftest import widgets_by_name

    result = fill_forms(sample_register, PDF_FORM, PDF_FORM.with_suffix(".toml"), FillOptions(tmp_path, on=AS_OF), [sample_register.pupil("Z881999919001")])
    widget = widgets_by_name(result.forms[0].path.read_bytes())["school"][0]
    assert widget["/MK"]["/BG"]  # reportlab's field has a background colour and a border
    drawn = widget["/AP"]["/N"].get_object().get_data()
    assert b" re f" in drawn.replace(b"\n", b" ") and b" re S" in drawn.replace(b"\n", b" ")  # filled, then stroked
