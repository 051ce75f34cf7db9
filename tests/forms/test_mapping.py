"""Maps: written with suggestions, refused when the form has changed or names a field it lacks, strict about variables."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from senforms.errors import FormError
from senforms.forms.fields import Field
from senforms.forms.inventory import inspect_form
from senforms.forms.mapping import VOCABULARY, check_map, check_variables, evaluate, make_form_map, read_map, suggest

from ..conftest import ROOT
from .builders import acrobat_pdf

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


@pytest.fixture
def form(tmp_path: Path) -> Path:
    return acrobat_pdf(tmp_path / "acrobat-form.pdf")


def test_forms_map_writes_every_field_with_suggestions_and_the_forms_sha256(form, tmp_path):
    path = make_form_map(form, tmp_path / "map.toml")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data["form"] == "acrobat-form.pdf" and data["form_sha256"] == inspect_form(form).sha256
    assert data["fields"] == {
        "Text1": "{{ pupil.full_name }}", "pupil.dob": "{{ pupil.date_of_birth|short_date }}", "UPN": "{{ pupil.upn }}",
        "Views": "{{ pupil.pupil_views }}", "Check Box1": "{{ pupil.eal }}", "Consent": "{{ parents_agree|yes_no }}",
        "Dropdown1": "{{ pupil.broad_areas[0] }}",
    }
    text = path.read_text(encoding="utf-8")
    assert "# 5. page 1, checkbox; label: English as an additional language; ticked value /Ja" in text
    assert "at most 10 characters" in text


def test_a_label_nothing_matches_gets_an_empty_value():
    assert suggest(Field("Text9", "text", label="Name of the child's favourite dinosaur sticker collection")) == ""


def test_a_map_made_from_another_version_of_the_form_is_refused(form, tmp_path):
    path = make_form_map(form, tmp_path / "map.toml")
    form.write_bytes(form.read_bytes() + b"\n% the LA's new version\n")
    with pytest.raises(FormError) as caught:
        check_map(read_map(path), inspect_form(form))
    assert caught.value.message == "map.toml was made from a different version of acrobat-form.pdf (its SHA-256 has changed: the LA may have published a new form)"
    assert "senforms forms map acrobat-form.pdf" in caught.value.fix


def test_a_map_naming_a_field_the_form_lacks_is_an_error_naming_it(form, tmp_path):
    path = make_form_map(form, tmp_path / "map.toml")
    path.write_text(path.read_text(encoding="utf-8") + '"Text 1" = "{{ pupil.upn }}"\n', encoding="utf-8")
    with pytest.raises(FormError) as caught:
        check_map(read_map(path), inspect_form(form))
    assert caught.value.message == "map.toml fills a field called 'Text 1', which acrobat-form.pdf does not have"
    assert caught.value.fix.startswith("did you mean 'Text1'?")


def test_a_variable_senforms_does_not_provide_is_named_with_its_field(form, tmp_path, sample_register):
    from senforms.documents.context import request_context

    path = make_form_map(form, tmp_path / "map.toml")
    path.write_text(path.read_text(encoding="utf-8").replace('"{{ pupil.upn }}"', '"{{ pupil.middle_name }}"'), encoding="utf-8")
    context = request_context(sample_register, sample_register.pupils[0], sample_register.pupils[0].date_of_birth)
    with pytest.raises(FormError, match=r"field 'UPN' uses pupil.middle_name, which senforms does not provide"):
        check_variables(read_map(path), context)
    with pytest.raises(FormError) as caught:
        evaluate(read_map(path), context, who="pupil X")
    assert caught.value.message == "field 'UPN' could not be filled for pupil X: it uses pupil.middle_name, which this record does not have"


def test_register_values_are_data_never_template_source(form, tmp_path):
    path = make_form_map(form, tmp_path / "map.toml")
    values = evaluate(read_map(path), {"pupil": {"full_name": "{{ 7*7 }} & <b>", "date_of_birth": None, "upn": "x", "pupil_views": "", "eal": True, "broad_areas": ["a"]}, "parents_agree": False}, who="x")
    assert values["Text1"] == "{{ 7*7 }} & <b>"  # printed as typed, not run and not XML-escaped
    assert values["Check Box1"] == "True" and values["Consent"] == "No"


@pytest.mark.parametrize("text, message", [
    ('form = "x.pdf"\n[fields]\n', "does not say which form it was made for"),
    ('form = "x.pdf"\nform_sha256 = "' + "0" * 64 + '"\n[fields]\n"A" = 3\n', "the value of field 'A' is not text"),
    ('form = "x.pdf"\nform_sha256 = "' + "0" * 64 + '"\n[fields\n', "is not a valid map"),
])
def test_a_broken_map_is_refused_in_plain_words(tmp_path, text, message):
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormError, match=re.escape(message)):
        read_map(path)


def test_every_suggested_variable_is_documented_in_docs_templates():
    documented = (ROOT / "docs" / "templates.md").read_text(encoding="utf-8")
    for expression, _, _ in VOCABULARY:
        variable = re.split(r"[|\[]", expression)[0]
        assert f"`{variable}`" in documented or f"`{variable.split('.')[0]}`" in documented, variable
