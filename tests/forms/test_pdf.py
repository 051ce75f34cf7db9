"""Fillable PDFs as Acrobat writes them: inspected, filled, drawn and flattened."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from pypdf import PdfReader

from senforms.errors import FormError
from senforms.forms.inventory import inspect_form
from senforms.forms.overflow import addendum_pdf
from senforms.forms.pdf_fill import append_pages, fill_pdf, flatten

from .builders import acrobat_pdf
from .conftest import AWKWARD, LONG_VIEWS, appearance_text, pdftotext, widgets_by_name


@pytest.fixture
def form(tmp_path: Path) -> Path:
    return acrobat_pdf(tmp_path / "acrobat-form.pdf")


VALUES = {"Text1": "Łukasz Żółć", "pupil.dob": "14/05/2016", "UPN": "Z881999919001", "Views": "I like drawing.", "Check Box1": "True", "Consent": "No", "Dropdown1": "Cognition and learning"}


def test_inspect_lists_every_field_in_page_order_with_kind_label_limits_and_on_name(form):
    inventory = inspect_form(form)
    assert [(f.name, f.kind) for f in inventory.fields] == [
        ("Text1", "text"), ("pupil.dob", "text"), ("UPN", "text"), ("Views", "multiline"),
        ("Check Box1", "checkbox"), ("Consent", "radio"), ("Dropdown1", "combo"),
    ]
    by_name = {f.name: f for f in inventory.fields}
    assert by_name["Text1"].label == "Child's full name"
    assert by_name["pupil.dob"].max_length == 10
    assert by_name["Check Box1"].on_value == "Ja"  # read from /AP /N, not assumed to be Yes
    assert by_name["Consent"].choices == ("Yes", "No")
    assert by_name["Dropdown1"].choices[1] == "Cognition and learning"


def test_fill_sets_values_states_and_appearance_streams_holding_the_text(form):
    filled = fill_pdf(form.read_bytes(), form.name, inspect_form(form).fields, VALUES)
    reader = PdfReader(io.BytesIO(filled.data))
    fields = reader.get_fields()
    assert fields["Text1"]["/V"] == "Łukasz Żółć"
    assert fields["pupil.dob"]["/V"] == "14/05/2016"
    assert fields["Check Box1"]["/V"] == "/Ja"
    assert fields["Consent"]["/V"] == "/No"
    assert fields["Dropdown1"]["/V"] == "CL"  # the option's export value
    widgets = widgets_by_name(filled.data)
    assert widgets["Check Box1"][0]["/AS"] == "/Ja"
    assert [w["/AS"] for w in widgets["Consent"]] == ["/Off", "/No"]
    for name, shown in (("Text1", "Łukasz Żółć"), ("pupil.dob", "14/05/2016"), ("UPN", "Z881999919001"), ("Views", "I like drawing."), ("Dropdown1", "Cognition and learning")):
        assert shown in appearance_text(widgets[name][0]), name
    assert reader.trailer["/Root"]["/AcroForm"]["/NeedAppearances"].value is False  # viewers must not redraw
    assert filled.overflows == [] and filled.warnings == []


def test_appearance_embeds_a_truetype_font_not_the_forms_helvetica(form):
    filled = fill_pdf(form.read_bytes(), form.name, inspect_form(form).fields, VALUES)
    stream = widgets_by_name(filled.data)["Text1"][0]["/AP"]["/N"].get_object()
    used = [font.get_object() for font in stream["/Resources"]["/Font"].values() if font.get_object()["/Subtype"] == "/TrueType"]
    assert used and all("/FontFile2" in font["/FontDescriptor"] for font in used)  # embedded, so every viewer has it
    assert "LiberationSans" in str(used[0]["/BaseFont"])


def test_unticked_checkbox_is_off_and_a_box_without_an_off_appearance_gets_one(form):
    filled = fill_pdf(form.read_bytes(), form.name, inspect_form(form).fields, {**VALUES, "Check Box1": "False"})
    widget = widgets_by_name(filled.data)["Check Box1"][0]
    assert widget["/AS"] == "/Off" and "/Off" in widget["/AP"]["/N"]


def test_a_choice_that_is_not_an_option_is_an_error_naming_the_field_and_the_options(form):
    with pytest.raises(FormError) as caught:
        fill_pdf(form.read_bytes(), form.name, inspect_form(form).fields, {**VALUES, "Dropdown1": "Dyslexia"})
    assert "field 'Dropdown1' cannot be 'Dyslexia'" in caught.value.message and "Cognition and learning" in caught.value.message
    with pytest.raises(FormError, match="field 'Consent' cannot be 'Maybe': it must be one of Yes, No"):
        fill_pdf(form.read_bytes(), form.name, inspect_form(form).fields, {**VALUES, "Consent": "Maybe"})


def test_flattened_form_has_no_fields_and_its_text_holds_name_date_of_birth_and_upn(form, tmp_path):
    filled = fill_pdf(form.read_bytes(), form.name, inspect_form(form).fields, {**VALUES, "Text1": "Siobhán Ní Bhriain"})
    path = tmp_path / "flat.pdf"
    path.write_bytes(flatten(filled.data))
    reader = PdfReader(path)
    assert "/AcroForm" not in reader.trailer["/Root"] and not reader.pages[0].get("/Annots")
    text = pdftotext(path)
    for expected in ("Siobhán Ní Bhriain", "14/05/2016", "Z881999919001", "Cognition and learning"):
        assert expected in text


def test_too_long_text_is_cut_at_a_word_with_a_pointer_and_is_whole_across_field_and_addendum(form, tmp_path):
    filled = fill_pdf(form.read_bytes(), form.name, inspect_form(form).fields, {**VALUES, "Views": LONG_VIEWS})
    assert [(o.box, o.field, o.text) for o in filled.overflows] == [(1, "Views", LONG_VIEWS)]
    shown = PdfReader(io.BytesIO(filled.data)).get_fields()["Views"]["/V"]
    assert shown.endswith(" (continued in the addendum, box 1)")
    kept = shown.removesuffix(" (continued in the addendum, box 1)")
    assert LONG_VIEWS.startswith(kept) and LONG_VIEWS[len(kept)] == " "  # cut between words
    path = tmp_path / "with-addendum.pdf"
    path.write_bytes(flatten(append_pages(filled.data, addendum_pdf(form.name, "a pupil", filled.overflows))))
    pages = PdfReader(path).pages
    assert len(pages) >= 2
    addendum = " ".join(page.extract_text() for page in pages[1:])
    assert "Box 1: The child's views" in addendum
    assert " ".join(addendum.split()).find("The very last words.") > 0
    assert " ".join(LONG_VIEWS.split()[:30]) in " ".join(addendum.split())


def test_more_than_max_length_goes_to_the_addendum(form):
    filled = fill_pdf(form.read_bytes(), form.name, inspect_form(form).fields, {**VALUES, "pupil.dob": "14 May 2016, born in Eastmere"})
    assert filled.overflows[0].field == "pupil.dob"
    assert len(PdfReader(io.BytesIO(filled.data)).get_fields()["pupil.dob"]["/V"]) <= 10


def test_text_no_font_covers_gives_a_warning_naming_the_field(form):
    filled = fill_pdf(form.read_bytes(), form.name, inspect_form(form).fields, {**VALUES, "Text1": "\U0001F600 \U00013000"})
    assert filled.warnings and "field 'Text1'" in filled.warnings[0]


def test_tabs_and_control_characters_are_stripped(form):
    filled = fill_pdf(form.read_bytes(), form.name, inspect_form(form).fields, {**VALUES, "Text1": "Amara\tOkafor\x07"})
    assert PdfReader(io.BytesIO(filled.data)).get_fields()["Text1"]["/V"] == "Amara Okafor"


@settings(max_examples=25, deadline=None)
@given(name=AWKWARD)
def test_any_name_comes_out_exactly_as_typed_in_the_value_and_the_appearance(tmp_path_factory, name):
    form = acrobat_pdf(tmp_path_factory.mktemp("f") / "form.pdf")
    filled = fill_pdf(form.read_bytes(), form.name, inspect_form(form).fields, {**VALUES, "Text1": name})
    assert PdfReader(io.BytesIO(filled.data)).get_fields()["Text1"]["/V"] == name
    assert " ".join(appearance_text(widgets_by_name(filled.data)["Text1"][0]).split()) == name


def test_a_comb_field_gets_one_character_in_each_cell(tmp_path):
    form = acrobat_pdf(tmp_path / "comb.pdf", comb_upn=True)
    filled = fill_pdf(form.read_bytes(), form.name, inspect_form(form).fields, VALUES)
    assert filled.overflows == []
    stream = widgets_by_name(filled.data)["UPN"][0]["/AP"]["/N"].get_object().get_data()
    assert stream.count(b"Tj") == 13  # one show per cell
    assert appearance_text(widgets_by_name(filled.data)["UPN"][0]).replace(" ", "").replace("\n", "") == "Z881999919001"



def test_no_font_installed_is_a_plain_error_not_a_crash(form, monkeypatch):
    from senforms.forms import pdf_text

    monkeypatch.setattr(pdf_text, "fonts", lambda: ())
    with pytest.raises(FormError, match="found no TrueType font") as caught:
        fill_pdf(form.read_bytes(), form.name, inspect_form(form).fields, VALUES)
    assert "fonts-liberation2" in caught.value.fix
