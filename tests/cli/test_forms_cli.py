"""`senforms forms inspect`, `forms map` and `fill`: wiring, messages and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from ..conftest import SAMPLES
from .test_bad_invocations import assert_plain_error, run

PDF_FORM = SAMPLES / "la-forms" / "wyvernshire-ehcna-request.pdf"
WORD_FORM = SAMPLES / "la-forms" / "eastmere-ehcna-request.docx"
REGISTER = SAMPLES / "register.xlsx"


def test_inspect_lists_both_sample_forms_fields_with_kind_and_on_name():
    result = run("forms", "inspect", PDF_FORM)
    assert result.exit_code == 0, result.output
    assert "wyvernshire-ehcna-request.pdf: 16 field(s)" in result.output
    assert "'eal' — page 1, checkbox (AcroForm)" in result.output and "ticked value /Yes" in result.output
    assert "'parents_agree' — page 1, radio (AcroForm)" in result.output
    word = run("forms", "inspect", WORD_FORM)
    assert "'LookedAfter' — checkbox (legacy FORMCHECKBOX)" in word.output
    assert "'dob' — date (content control (inline))" in word.output and "date shown as d MMMM yyyy" in word.output


def test_inspect_json():
    result = run("forms", "inspect", WORD_FORM, "--json")
    data = json.loads(result.output)
    assert data["type"] == "docx" and len(data["fields"]) == 12
    assert {"name": "upn", "bound": True}.items() <= next(f for f in data["fields"] if f["name"] == "upn").items()


def test_map_then_fill(tmp_path: Path):
    mapped = run("forms", "map", PDF_FORM, "-o", tmp_path / "map.toml")
    assert mapped.exit_code == 0, mapped.output
    again = run("forms", "map", PDF_FORM, "-o", tmp_path / "map.toml")
    assert_plain_error(again, "map.toml already exists", "--overwrite")
    filled = run("fill", PDF_FORM, REGISTER, "--map", tmp_path / "map.toml", "-o", tmp_path / "out", "--pupil", "Z881999919001", "--date", "23/11/2026")
    assert filled.exit_code == 0, filled.output
    assert "wyvernshire-ehcna-request.pdf: 1 filled" in filled.output
    assert (tmp_path / "out" / "Z881999919001-wyvernshire-ehcna-request.pdf").is_file()


def test_fill_with_a_map_of_another_form_is_a_plain_error():
    result = run("fill", WORD_FORM, REGISTER, "--map", PDF_FORM.with_suffix(".toml"), "-o", "/tmp/never-made")
    assert_plain_error(result, "was made from a different version of eastmere-ehcna-request.docx", "senforms forms map")


def test_fill_with_an_unknown_field_is_a_plain_error(tmp_path: Path):
    map_path = tmp_path / "map.toml"
    map_path.write_text(PDF_FORM.with_suffix(".toml").read_text(encoding="utf-8") + '"childs_name" = "{{ pupil.full_name }}"\n', encoding="utf-8")
    result = run("fill", PDF_FORM, REGISTER, "--map", map_path, "-o", tmp_path / "out")
    assert_plain_error(result, "fills a field called 'childs_name', which wyvernshire-ehcna-request.pdf does not have")


def test_flatten_on_a_word_form_names_the_flag(tmp_path: Path):
    result = run("fill", WORD_FORM, REGISTER, "--map", WORD_FORM.with_suffix(".toml"), "-o", tmp_path, "--flatten")
    assert_plain_error(result, "only a PDF form can be flattened", "leave out --flatten")


def test_inspect_a_file_that_is_not_a_form(tmp_path: Path):
    path = tmp_path / "form.pdf"
    path.write_text("not really a form")
    assert_plain_error(run("forms", "inspect", path), "form.pdf is not a PDF or a Word (.docx) form")


def test_fill_with_a_map_that_is_not_toml(tmp_path: Path):
    path = tmp_path / "map.toml"
    path.write_text("Text1 = {{ pupil.full_name }}\n")
    assert_plain_error(run("fill", PDF_FORM, REGISTER, "--map", path, "-o", tmp_path / "out"), "map.toml is not a valid map")


def test_a_pdf_with_no_fields_says_so(tmp_path: Path):
    from pypdf import PdfWriter

    path = tmp_path / "printed-form.pdf"
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    with open(path, "wb") as handle:
        writer.write(handle)
    result = run("forms", "inspect", path)
    assert result.exit_code == 0 and "printed-form.pdf has no fields anyone could fill in" in result.output
    assert_plain_error(run("forms", "map", path, "-o", tmp_path / "map.toml"), "printed-form.pdf has no fields a map could fill")
