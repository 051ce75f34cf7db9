"""`senforms templates check` is as strict as the renderer and no stricter (issue 17).

Each test plants one of the issue's problems in a copy of the shipped support plan, typed the way
Word stores it, then checks both what the check says (and where) and what rendering does: a
template the check passes renders, and one that would be damaged is refused before anything is
written.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from lxml import etree

from senforms.documents.template_files import check_template, example_context
from senforms.documents.templating import paragraph_text, render_docx
from senforms.errors import TemplateProblemError
from tests.documents.template_corpus.word import cell, control, para, row, support_plan, table

BOLD = "<w:b/>"
SUBJECT = para("Your child's support", style="Heading1")  # a letter's subject line: without a heading the check warns
CONTEXT = example_context("support-plan")


def findings(path: Path) -> list[str]:
    return [f"{f.severity}: {f.within_file}" for f in check_template(path, "support-plan")]


def rendered_text(path: Path, context: dict | None = None) -> str:
    """Every paragraph of the filled-in document, at every level, and its footnotes' text."""
    data = render_docx(path, context or CONTEXT)
    lines = [paragraph_text(p) for p in Document(io.BytesIO(data)).element.body.iter(qn("w:p"))]
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        if "word/footnotes.xml" in package.namelist():
            lines += [paragraph_text(p) for p in etree.fromstring(package.read("word/footnotes.xml")).iter(qn("w:p"))]
    return "\n".join(lines)


# --- 1. split tags ------------------------------------------------------------------------------------


def test_a_tag_split_over_runs_with_different_formatting_is_no_finding_and_renders(tmp_path):
    path = support_plan(tmp_path / "support-plan.docx", [
        para(("Name: {{ pupil.", BOLD), "full_name }}"),
        para("{", ("{ pupil.known_as }", BOLD), "}", " is in year ", ("{{ pupil.year", "<w:i/>"), "_group }}"),
        para("{%", " if pupil.known_as ", "%}", "Known as {{ pupil.known_as }}", "{% end", "if %}"),
    ])
    assert findings(path) == []
    text = rendered_text(path)
    assert f"Name: {CONTEXT['pupil']['full_name']}" in text
    assert f"{CONTEXT['pupil']['known_as']} is in year {CONTEXT['pupil']['year_group']}" in text


def test_a_split_that_changes_the_formatting_of_the_words_after_it_is_a_warning(tmp_path):
    path = support_plan(tmp_path / "support-plan.docx", [para("Intro ", ("Name: {{ pupil.", BOLD), "full_name }} is here")])
    assert findings(path) == [
        "warning: paragraph 1 ('Intro Name: {{ pupil.full_name }} is here'): Word has stored the tag "
        "{{ pupil.full_name }} in pieces with different formatting, so the words after it ('is here') will "
        "print with the formatting of the start of the tag: select the tag and those words and set their formatting again"
    ]


# --- 2. curly quotes ----------------------------------------------------------------------------------


def test_curly_quotes_word_typed_are_no_finding_and_render_straight(tmp_path):
    path = support_plan(tmp_path / "support-plan.docx", [para("Areas: {{ pupil.broad_areas|join(“, ”) }}."),
                                                           para("{{ pupil.middle_name|default(‘none’) }}")])
    assert findings(path) == []
    context = {**CONTEXT, "pupil": {**CONTEXT["pupil"], "broad_areas": ["Sensory", "Communication"]}}
    assert "Areas: Sensory, Communication." in rendered_text(path, context)


def test_a_curly_apostrophe_inside_single_quoted_text_is_an_error(tmp_path):
    path = support_plan(tmp_path / "support-plan.docx", [para("Hello"), para("{{ pupil.middle_name|default('Alex’s plan') }}")])
    found = findings(path)
    assert found == [
        "error: paragraph 2 ('{{ pupil.middle_name|default('Alex’s plan') }}'): the tag {{ pupil.middle_name|default('Alex’s plan') }} "
        "has an apostrophe inside text in single quotes, which ends the text early: put that text in double quotes instead, e.g. \"Alex’s plan\""
    ], found
    with pytest.raises(TemplateProblemError):
        render_docx(path, CONTEXT)


# --- 3. a misspelt filter inside an if block --------------------------------------------------------------


@pytest.mark.parametrize("opening, closing", [("{% if pupil.known_as %}", "{% endif %}"), ("{%p if pupil.known_as %}", "{%p endif %}")])
def test_a_misspelt_filter_inside_an_if_block_is_found_with_its_place(tmp_path, opening, closing):
    path = support_plan(tmp_path / "support-plan.docx", [para("Hello"), para(opening), para("Born {{ pupil.date_of_birth|uk_dat }}"), para(closing)])
    assert findings(path) == ["error: paragraph 3 ('Born {{ pupil.date_of_birth|uk_dat }}'): '|uk_dat' is not a filter senforms knows (did you mean 'uk_date'?): see the list of filters in docs/templates.md"]


def test_an_unknown_filter_is_reported_alongside_other_errors(tmp_path):
    path = support_plan(tmp_path / "support-plan.docx", [para("{{ pupil.middle_name }}"), para("{{ pupil.full_name|shout }}")])
    found = findings(path)
    assert "error: paragraph 1 ('{{ pupil.middle_name }}'): 'pupil.middle_name' is not a variable senforms provides: check its spelling against docs/templates.md" in found
    assert any(f.startswith("error: paragraph 2 ('{{ pupil.full_name|shout }}'): '|shout' is not a filter") for f in found), found


# --- 4. & typed inside a tag ------------------------------------------------------------------------------


def test_an_ampersand_typed_inside_a_tag_means_an_ampersand(tmp_path):
    name = CONTEXT["school"]["name"]
    path = support_plan(tmp_path / "support-plan.docx", [
        para('Areas: {{ pupil.broad_areas|join(" & ") }}'),
        para('Other: {{ pupil.middle_name|default("None & n/a") }}'),
        para(f'{{% if school.name|replace("Example", "A & B") == "A & B School" %}}Matched {name}{{% endif %}}'),
    ])
    assert findings(path) == []
    text = rendered_text(path, {**CONTEXT, "pupil": {**CONTEXT["pupil"], "broad_areas": ["Sensory", "Communication"]}})
    assert "Areas: Sensory & Communication" in text
    assert "Other: None & n/a" in text and f"Matched {name}" in text and "&amp;" not in text


def test_data_with_ampersands_and_brackets_still_prints_as_typed(tmp_path):
    context = {**CONTEXT, "school": {**CONTEXT["school"], "name": "St Mary & St John <Primary>"}}
    path = support_plan(tmp_path / "support-plan.docx", [para('{{ school.name }} | {{ [school.name, "& <x>"]|join(" & ") }}')])
    assert "St Mary & St John <Primary> | St Mary & St John <Primary> & & <x>" in rendered_text(path, context)


# --- 5. default and is defined ----------------------------------------------------------------------------


def test_default_and_is_defined_forgive_a_missing_name(tmp_path):
    path = support_plan(tmp_path / "support-plan.docx", [
        para('{{ pupil.middle_name|default("no middle name") }} {{ nickname|d("none") }}'),
        para("{% if pupil.middle_name is defined %}{{ pupil.middle_name }}{% else %}undefined{% endif %}"),
        para("{% if pupil.middle_name is defined and pupil.middle_name.first %}x{% endif %}"),
        para("{% if pupil.middle_name is not defined %}not there{% endif %}"),
    ])
    assert findings(path) == []
    text = rendered_text(path)
    assert "no middle name none" in text and "undefined" in text and "not there" in text


def test_default_forgives_only_the_last_step(tmp_path):
    path = support_plan(tmp_path / "support-plan.docx", [para('{{ pupil.middle.name|default("x") }}'), para("{% if pupil.nickname %}y{% endif %}")])
    assert findings(path) == [
        "error: paragraph 1 ('{{ pupil.middle.name|default(\"x\") }}'): 'pupil.middle' is not a variable senforms provides: check its spelling against docs/templates.md",
        "error: paragraph 2 ('{% if pupil.nickname %}y{% endif %}'): 'pupil.nickname' is not a variable senforms provides: check its spelling against docs/templates.md",
    ]


# --- 6. content controls, footnotes, document properties ------------------------------------------------


def test_blocks_inside_content_controls_are_read_like_any_paragraph(tmp_path):
    path = support_plan(tmp_path / "support-plan.docx", [
        control(para("{%p if pupil.known_as %}"), para("Known as {{ pupil.known_as }}"), para("{%p endif %}")),
        para("{%p if pupil.full_name %}"), control(para("Name {{ pupil.full_name }}")), para("{%p endif %}"),
        table(row(cell(control(para("{{ pupil.full_name }}"))), cell(para("x")))),
    ])
    assert findings(path) == []
    text = rendered_text(path)
    assert f"Known as {CONTEXT['pupil']['known_as']}" in text and f"Name {CONTEXT['pupil']['full_name']}" in text


def test_a_block_opened_in_a_content_control_and_closed_outside_it_is_refused(tmp_path):
    path = support_plan(tmp_path / "support-plan.docx", [control(para("{%p if pupil.known_as %}"), para("Known")), para("{%p endif %}")])
    (finding,) = findings(path)
    assert finding.startswith("error: paragraph 1 (in a content control) ('{%p if pupil.known_as %}'): {% if %} is in a content control but its {% endif %} is outside any table or content control")
    with pytest.raises(TemplateProblemError, match="is in a content control but its"):
        render_docx(path, {**CONTEXT, "pupil": {**CONTEXT["pupil"], "known_as": ""}})


def test_a_misspelt_variable_in_a_content_control_is_placed(tmp_path):
    path = support_plan(tmp_path / "support-plan.docx", [para("Hello"), control(para("Name {{ pupil.ful_name }}"))])
    assert findings(path) == ["error: paragraph 2 (in a content control) ('Name {{ pupil.ful_name }}'): 'pupil.ful_name' is not a variable senforms provides: check its spelling against docs/templates.md"]


def test_footnotes_are_checked_and_filled_in(tmp_path):
    good = support_plan(tmp_path / "good.docx", [para("Hello")], footnotes=[para("Written for {{ pupil.known_as }}.")])
    assert findings(good) == []
    assert f"Written for {CONTEXT['pupil']['known_as']}." in rendered_text(good)
    bad = support_plan(tmp_path / "bad.docx", [para("Hello")], footnotes=[para("First"), para("See {{ pupil.knwn_as }}.")])
    assert findings(bad) == ["error: the footnotes, footnote 2, paragraph 1 ('See {{ pupil.knwn_as }}.'): 'pupil.knwn_as' is not a variable senforms provides: check its spelling against docs/templates.md"]


def test_the_document_properties_are_checked(tmp_path):
    path = support_plan(tmp_path / "support-plan.docx", [para("Hello")], subject="Plan for {{ pupil.ful_name }}")
    assert findings(path) == ["error: the document's Subject property (File › Info › Properties): 'pupil.ful_name' is not a variable senforms provides: check its spelling against docs/templates.md"]


def test_tags_in_endnotes_are_not_filled_in_and_say_so(tmp_path):
    path = support_plan(tmp_path / "support-plan.docx", [para("Hello")], endnotes=[para("{{ pupil.known_as }}")])
    assert findings(path) == ["warning: the endnotes, endnote 1, paragraph 1 ('{{ pupil.known_as }}'): senforms does not fill in tags in the endnotes, so {{ pupil.known_as }} would print as typed: move it into the text or a footnote"]


def test_a_header_is_checked_and_named(tmp_path):
    path = support_plan(tmp_path / "support-plan.docx", [para("Hello")], header=[para("School"), para("{{ school.nam }}")])
    (finding,) = findings(path)
    assert finding.startswith("error: the ") and "header (section 1), paragraph 2 ('{{ school.nam }}'): 'school.nam' is not a variable" in finding


# --- 7. the right paragraph ---------------------------------------------------------------------------


def test_a_finding_names_the_paragraph_holding_the_mistake_not_the_first_with_the_word(tmp_path):
    path = support_plan(tmp_path / "support-plan.docx", [para("The full_name of the pupil"), para("{{ pupil.full_name }}"), para("Again: {{ pupil.full_nam }}")])
    assert findings(path) == ["error: paragraph 3 ('Again: {{ pupil.full_nam }}'): 'pupil.full_nam' is not a variable senforms provides: check its spelling against docs/templates.md"]


def test_a_finding_in_a_table_names_its_cell(tmp_path):
    path = support_plan(tmp_path / "support-plan.docx", [table(row(cell(para("Name")), cell(para("{{ pupil.nmae }}"))))])
    assert findings(path) == ["error: table 1, row 1, cell 2 ('{{ pupil.nmae }}'): 'pupil.nmae' is not a variable senforms provides: check its spelling against docs/templates.md"]


# --- 8. what would damage a document is refused -------------------------------------------------------


@pytest.mark.parametrize("known_as", ["Alex", ""])
def test_a_block_opened_in_the_text_and_closed_in_a_table_cell_is_refused(tmp_path, known_as):
    path = support_plan(tmp_path / "support-plan.docx", [para("{%p if pupil.known_as %}"), table(row(cell(para("A")), cell(para("{%p endif %}"))))])
    assert findings(path) == [
        "error: paragraph 1 ('{%p if pupil.known_as %}'): {% if %} is outside any table or content control but its {% endif %} is in a table cell: "
        "a block must open and close in the same place (the same paragraph, table cell, row or content control, or both outside them); "
        "when filled in, the document would be damaged"
    ]
    context = {**CONTEXT, "pupil": {**CONTEXT["pupil"], "known_as": known_as}}
    with pytest.raises(TemplateProblemError, match="is outside any table or content control but its"):
        render_docx(path, context)


@pytest.mark.parametrize("tag", ["{{r pupil.full_name }}", "{{p pupil.full_name }}"])
def test_rich_text_tags_on_plain_text_are_refused(tmp_path, tag):
    path = support_plan(tmp_path / "support-plan.docx", [para(f"Name: {tag}")])
    (finding,) = findings(path)
    assert f"{tag} is for formatted text, and senforms gives plain text, so the value would be lost: write {{{{ pupil.full_name }}}} instead" in finding
    with pytest.raises(TemplateProblemError, match="would be lost"):
        render_docx(path, CONTEXT)


def test_safe_is_not_a_filter_and_data_never_becomes_markup(tmp_path):
    path = support_plan(tmp_path / "support-plan.docx", [para("{{ school.name|safe }}")])
    assert findings(path) == ["error: paragraph 1 ('{{ school.name|safe }}'): '|safe' is not allowed: senforms always prints a record's text exactly as typed, so remove '|safe'"]
    context = {**CONTEXT, "school": {**CONTEXT["school"], "name": "St Mary & St John <Primary>"}}
    with pytest.raises(TemplateProblemError, match="safe"):
        render_docx(path, context)


@pytest.mark.parametrize("tag", ["{% include 'letterhead.docx' %}", "{% import 'macros' as m %}", "{% extends 'base' %}", "{% from 'm' import x %}"])
def test_other_templates_cannot_be_used(tmp_path, tag):
    path = support_plan(tmp_path / "support-plan.docx", [para(tag)])
    assert findings(path) == [f"error: paragraph 1 ('{tag}'): a template cannot include, import or extend another template: copy the text you need into this template instead"]
    with pytest.raises(TemplateProblemError, match="cannot include, import or extend another template"):
        render_docx(path, CONTEXT)


def test_a_paragraph_block_tag_with_words_beside_it_warns_that_they_are_lost(tmp_path):
    path = support_plan(tmp_path / "support-plan.docx", [para("Note: {%p if pupil.known_as %}"), para("x"), para("{%p endif %}")])
    assert findings(path) == [
        "warning: paragraph 1 ('Note: {%p if pupil.known_as %}'): the paragraph holding {%p if pupil.known_as %} is removed when the document "
        "is filled in, so 'Note:' beside it will never print: put {%p if pupil.known_as %} in a paragraph of its own"
    ]


# --- docs/templates.md names only what the sandbox has --------------------------------------------------


def test_the_jinja_filters_and_tests_the_docs_name_exist_and_the_refused_ones_do_not():
    import re

    from senforms.documents.templating import REFUSED_FILTERS, make_environment

    text = (Path(__file__).resolve().parents[2] / "docs" / "templates.md").read_text(encoding="utf-8")
    jinja = text[text.index("Jinja's own filters work too"):text.index("## Tables, cells and pictures")]
    table, tests = jinja[:jinja.index("### Tests")], jinja[jinja.index("### Tests"):]
    filters = {name for first in re.findall(r"^\| ([^|]+) \|", table, re.M) for name in re.findall(r"`(\w+)`", first)}
    environment = make_environment()
    assert {"join", "default", "d", "format", "e", "escape"} <= filters <= set(environment.filters), filters - set(environment.filters)
    assert set(re.findall(r"`(\w+)`", tests[:tests.index("(whether")] + tests[tests.index("`none`"):])) - {"in"} <= set(environment.tests)
    assert not set(REFUSED_FILTERS) & set(environment.filters) and {"safe", "urlize"} <= set(REFUSED_FILTERS)


# --- values some records lack ----------------------------------------------------------------------


def test_a_value_some_records_lack_must_be_guarded(tmp_path):
    from senforms.documents.template_files import sparse_contexts
    from tests.documents.template_corpus.word import build

    unguarded = build(tmp_path / "parent-notification.docx", [para("Dear parent"), para("Cycle {{ cycle.number }}, {{ cycle.term }}"), SUBJECT])
    assert [f.within_file for f in check_template(unguarded)] == [
        "paragraph 2 ('Cycle {{ cycle.number }}, {{ cycle.term }}'): 'cycle' is empty for some records, and then "
        "'cycle.number' stops the document: put it inside {% if cycle %} … {% endif %}",
        "paragraph 2 ('Cycle {{ cycle.number }}, {{ cycle.term }}'): 'cycle' is empty for some records, and then "
        "'cycle.term' stops the document: put it inside {% if cycle %} … {% endif %}",
    ]
    without_cycle = next(c for c in sparse_contexts("parent-notification") if c["cycle"] is None)
    with pytest.raises(TemplateProblemError):
        render_docx(unguarded, without_cycle)
    (tmp_path / "guarded").mkdir()
    guarded = build(tmp_path / "guarded" / "parent-notification.docx", [
        para("{%p if cycle %}"), para("Cycle {{ cycle.number }}"), para("{%p endif %}"),
        para("{{ cycle.number if cycle else 'no cycle yet' }} {{ cycle and cycle.number }}"),
        para("{% if cycle is not none and cycle.review %}{{ cycle.review.date|uk_date }}{% endif %}"), SUBJECT,
    ])
    assert check_template(guarded) == []
    assert "no cycle yet" in rendered_text(guarded, without_cycle)


def test_an_unreviewed_cycle_and_a_loop_over_needs_are_checked(tmp_path):
    path = support_plan(tmp_path / "support-plan.docx", [para("Reviewed {{ cycle.review.date|uk_date }}"), para("{%for n in pupil.needs%}{{ n.lable }}{%endfor%}")])
    assert findings(path) == [
        "error: paragraph 1 ('Reviewed {{ cycle.review.date|uk_date }}'): 'cycle.review' is empty for some records, and then 'cycle.review.date' "
        "stops the document: put it inside {% if cycle.review %} … {% endif %}",
        "error: paragraph 2 ('{%for n in pupil.needs%}{{ n.lable }}{%endfor%}'): 'n.lable' is not a variable senforms provides: check its spelling against docs/templates.md",
    ]


# --- issue 15: what a screen reader needs (warnings, never errors) ------------------------------------

A = "http://schemas.openxmlformats.org/drawingml/2006/main"


def picture(descr: str | None, decorative: bool = False) -> str:
    """A paragraph holding a picture as Word stores it (the image itself is not needed to check it)."""
    alt = f' descr="{descr}"' if descr is not None else ""
    extension = ('<a:extLst xmlns:a="' + A + '"><a:ext uri="{C183D7F6-B498-43B3-948B-1728B52AA6E4}">'
                 '<adec:decorative xmlns:adec="http://schemas.microsoft.com/office/drawing/2017/decorative" val="1"/></a:ext></a:extLst>') if decorative else ""
    return (f'<w:p><w:r><w:drawing><wp:inline><wp:extent cx="914400" cy="914400"/>'
            f'<wp:docPr id="7" name="Picture 7"{alt}>{extension}</wp:docPr></wp:inline></w:drawing></w:r></w:p>')


NO_ALT = ("warning: paragraph 1: the picture 'Picture 7' has no alt text, so a screen reader cannot say what it shows: right-click it "
          "in Word, choose View Alt Text and describe it (or tick Mark as decorative)")


def test_a_picture_without_alt_text_is_a_warning(tmp_path):
    assert findings(support_plan(tmp_path / "support-plan.docx", [picture(None)])) == [NO_ALT]
    assert findings(support_plan(tmp_path / "blank-alt.docx", [picture("  ")])) == [NO_ALT]


def test_a_picture_with_alt_text_or_marked_decorative_is_fine(tmp_path):
    assert findings(support_plan(tmp_path / "support-plan.docx", [picture("The school's crest: an oak tree")])) == []
    assert findings(support_plan(tmp_path / "decorative.docx", [picture(None, decorative=True)])) == []


HEADER_ROW = '<w:trPr><w:tblHeader/></w:trPr>'


def test_a_data_table_without_a_header_row_is_a_warning(tmp_path):
    headings = row(cell(para("Outcome")), cell(para("Target")))
    values = row(cell(para("{{ cycle.number }}")), cell(para("{{ cycle.term }}")))
    path = support_plan(tmp_path / "support-plan.docx", [table(headings, values)])
    assert findings(path) == [
        "warning: table 1, row 1, cell 1 ('Outcome'): table 1 has no header row marked, so a screen reader cannot tell which "
        "heading each cell belongs to: type the column headings in its first row, click in it, then Table Layout › Repeat Header Rows"
    ]
    marked = headings.replace("<w:tr>", f"<w:tr>{HEADER_ROW}", 1)
    assert findings(support_plan(tmp_path / "marked.docx", [table(marked, values)])) == []


def test_a_row_loop_table_needs_a_header_row_and_a_label_table_or_form_does_not(tmp_path):
    loop = table(row(cell(para("No.")), cell(para("Outcome"))), row(cell(para("{%tr for o in cycle.outcomes %}")), cell()),
                 row(cell(para("{{ o.id }}")), cell(para("{{ o.description }}"))), row(cell(para("{%tr endfor %}")), cell()))
    assert [f for f in findings(support_plan(tmp_path / "support-plan.docx", [loop])) if "header row" in f]
    labels = table(row(cell(para("Full name")), cell(para("{{ pupil.full_name }}"))), row(cell(para("UPN")), cell(para("{{ pupil.upn }}"))))
    form = table(row(cell(para("Name")), cell()), row(cell(para("Signature")), cell()))
    assert findings(support_plan(tmp_path / "labels.docx", [labels, form])) == []


FAKE = ("warning: paragraph 1 ('Strengths and interests'): this short paragraph is made to look like a heading with bold or large "
        "text, but a screen reader reads it as ordinary text: give it a Heading style (Home › Styles › Heading 2) instead")


@pytest.mark.parametrize("formatting", [BOLD, '<w:sz w:val="32"/>'])
def test_a_heading_made_of_bold_or_large_text_is_a_warning(tmp_path, formatting):
    path = support_plan(tmp_path / "support-plan.docx", [para(("Strengths and interests", formatting)), para("{{ pupil.strengths }}")])
    assert findings(path) == [FAKE]


def test_bold_that_is_not_a_heading_is_no_finding(tmp_path):
    path = support_plan(tmp_path / "support-plan.docx", [
        para(("Strengths and interests", BOLD), style="Heading1"),  # a real heading
        para(("Please read this before the meeting.", BOLD)),  # a sentence
        para(("Name: ", BOLD), "{{ pupil.full_name }}"),  # a bold label beside a value
        para(("Reply slip for {{ pupil.full_name }}", BOLD)),  # names the pupil: a slip's title
        para(("Private and confidential", BOLD), style="Address"),  # the school's own style
        table(row(cell(para(("Outcome", BOLD))), cell(para("{{ pupil.upn }}")))),  # a table's own label
    ])
    assert findings(path) == []


def test_a_letters_bold_subject_line_after_dear_is_not_a_made_up_heading_but_is_named_as_its_heading_1(tmp_path):
    """A letter's bold subject line is not the "Heading 2" a made-up heading should be: it is the
    letter's Heading 1, so with no heading in the letter it is the line to fix."""
    from tests.documents.template_corpus.word import build

    body = [para("Dear {{ recipient.salutation }},"), para(("Your support at school", BOLD)), para("We are writing …"),
            para(("What happens next", BOLD)), para("We will meet you.")]
    found = [f.within_file for f in check_template(build(tmp_path / "letter.docx", body), "parent-notification")]
    assert found == [
        "paragraph 2 ('Your support at school'): this subject line is bold text, not a heading, and the letter has no heading at all, "
        "so a screen reader user cannot find the subject in the letter's list of headings: give the subject line the Heading 1 style "
        "(Home › Styles › Heading 1)",
        "paragraph 4 ('What happens next'): this short paragraph is made to look like a heading with bold or large text, but a screen "
        "reader reads it as ordinary text: give it a Heading style (Home › Styles › Heading 2) instead",
    ]
    body[1] = para("Your support at school", style="Heading1")
    (tmp_path / "fixed").mkdir()
    found = [f.within_file for f in check_template(build(tmp_path / "fixed" / "letter.docx", body), "parent-notification")]
    assert len(found) == 1 and found[0].startswith("paragraph 4 ('What happens next'): this short paragraph is made to look like a heading"), found


# --- issue 17: formatted values senforms marks up itself (`….rich`) ------------------------------------

LETTER = example_context("parent-notification")


def build(*args, **kwargs):
    from tests.documents.template_corpus.word import build as write

    return write(*args, **kwargs)


def test_a_formatted_value_prints_with_its_bold_label_and_passes_the_check(tmp_path):
    path = build(tmp_path / "parent-notification.docx", [
        para("{%p if pupil.early_discussion %}"), para("{%p for point in pupil.early_discussion.points %}"),
        para("{{r point.rich }}"), para("{%p endfor %}"), para("{%p endif %}"), SUBJECT,
    ])
    assert [f.within_file for f in check_template(path, "parent-notification")] == []
    data = render_docx(path, LETTER)
    body = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    assert '<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">Strengths: </w:t></w:r><w:r><w:t xml:space="preserve">Kind</w:t></w:r>' in body
    assert "Your concerns: Homework" in rendered_text(path, LETTER)


def test_a_formatted_value_in_a_plain_tag_is_an_error_the_check_names(tmp_path):
    path = build(tmp_path / "parent-notification.docx", [
        para("{%p if pupil.early_discussion %}"), para("{%p for point in pupil.early_discussion.points %}"), para("{{ point.rich }}"),
        para("{%p endfor %}"), para("{%p endif %}"), SUBJECT,
    ])
    found = [f"{f.severity}: {f.within_file}" for f in check_template(path, "parent-notification")]
    assert found == ["error: paragraph 3 ('{{ point.rich }}'): {{ point.rich }} is formatted text (a value ending in .rich), which prints "
                     "only in a tag written with an r: {{r point.rich }}"]


def test_only_formatted_values_may_go_in_an_r_tag(tmp_path):
    path = build(tmp_path / "parent-notification.docx", [
        para("{%p if pupil.early_discussion %}"), para("{%p for point in pupil.early_discussion.points %}"), para("{{r point.text }}"),
        para("{%p endfor %}"), para("{%p endif %}"), SUBJECT,
    ])
    found = [f.within_file for f in check_template(path, "parent-notification")]
    assert len(found) == 1 and "{{r point.text }} is for formatted text, and senforms gives plain text" in found[0], found


def test_formatted_text_keeps_a_records_markup_as_text_and_its_line_breaks():
    from senforms.documents.context import labelled

    xml = labelled("Next steps", "Meet <Mrs> Lee & Dad\nthen review").xml
    assert "Meet &lt;Mrs&gt; Lee &amp; Dad" in xml and "<w:br/>" in xml and "then review" in xml


def test_a_bold_letterhead_in_the_header_is_not_a_heading(tmp_path):
    path = support_plan(tmp_path / "support-plan.docx", [], header=[para(("Hollybrook Primary School", BOLD))])
    assert not [f for f in findings(path) if "heading" in f]


# --- headings in order: the first is a Heading 1 and none skips a level (PDF/UA 14-002, 14-003) -----------

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
SHIPPED = Path(__file__).resolve().parents[2] / "templates" / "docx"


def _copy_changing(source: Path, target: Path, changes: dict) -> Path:
    """A copy of a template with some of its XML members passed through a function each."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            if info.filename in changes:
                root = etree.fromstring(data)
                changes[info.filename](root)
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            new.writestr(info, data)
    return target


def _paragraph(root, text: str):
    return next(p for p in root.iter(qn("w:p")) if "".join(t.text or "" for t in p.iter(qn("w:t"))) == text)


def _restyle(root, text: str, style: str) -> None:
    _paragraph(root, text).find(f"{qn('w:pPr')}/{qn('w:pStyle')}").set(qn("w:val"), style)


def _add_style(root, style_id: str, name: str, outline: int | None) -> None:
    """A paragraph style as Word writes one when it is first used."""
    outline_xml = f'<w:pPr><w:outlineLvl w:val="{outline}"/></w:pPr>' if outline is not None else ""
    root.append(etree.fromstring(f'<w:style xmlns:w="{W}" w:type="paragraph" w:customStyle="1" w:styleId="{style_id}"><w:name w:val="{name}"/>'
                                 f'<w:basedOn w:val="Normal"/>{outline_xml}<w:rPr><w:b/></w:rPr></w:style>'))


def _demote_subject_lines(root, bold: bool) -> None:
    """The letter's Heading 1 paragraphs (its subject line, on both sides of its young-person if/else)
    put back in the Normal style, bold or not: the letters as they were."""
    for style in [s for s in root.iter(qn("w:pStyle")) if s.get(qn("w:val")) == "Heading1"]:
        paragraph = style.getparent().getparent()
        style.getparent().remove(style)
        for run in paragraph.iter(qn("w:r")) if bold else ():
            properties = run.find(qn("w:rPr"))
            if properties is None:
                properties = etree.Element(qn("w:rPr"))
                run.insert(0, properties)
            properties.append(etree.Element(qn("w:b")))


def heading_findings(path: Path, kind: str) -> list[str]:
    return [f"{f.severity}: {f.within_file}" for f in check_template(path, kind) if "heading" in f.message.lower()]


@pytest.mark.parametrize("kind", ["support-plan", "review", "parent-notification", "invitation", "ehc-request", "la-cover-letter", "one-page-profile"])
def test_every_shipped_template_has_its_headings_in_order_and_no_finding(kind):
    assert check_template(SHIPPED / f"{kind}.docx", kind) == []


def test_a_first_heading_that_is_not_heading_1_is_a_warning_naming_it(tmp_path):
    path = _copy_changing(SHIPPED / "support-plan.docx", tmp_path / "support-plan.docx",
                          {"word/document.xml": lambda root: _restyle(root, "Pupil details", "Heading2")})
    assert findings(path) == [
        "warning: paragraph 4 ('Pupil details'): this is the document's first heading but it is a Heading 2, so a screen reader "
        "user's list of headings starts part-way down: make it a Heading 1 (Home › Styles › Heading 1), or give a line above it "
        "(in a letter, the subject line) the Heading 1 style"
    ]
    assert "Pupil details" in rendered_text(path)  # a warning, never a refusal


def test_a_heading_that_skips_a_level_is_a_warning_naming_the_level_to_use(tmp_path):
    path = _copy_changing(SHIPPED / "parent-notification.docx", tmp_path / "parent-notification.docx", {
        "word/document.xml": lambda root: _restyle(root, "What SEN support means", "Heading3"),
        "word/styles.xml": lambda root: _add_style(root, "Heading3", "heading 3", 2),
    })
    assert heading_findings(path, "parent-notification") == [
        "warning: paragraph 18 ('What SEN support means'): this Heading 3 comes straight after the Heading 1 "
        "'{{ pupil.full_name }}: special educational need…', so a screen reader user would think a part of the document "
        "is missing: make it a Heading 2 (Home › Styles › Heading 2)"
    ]
    assert [f.severity for f in check_template(path, "parent-notification")] == ["warning"]


def test_a_document_with_no_heading_at_all_is_a_warning_on_its_main_text(tmp_path):
    path = _copy_changing(SHIPPED / "invitation.docx", tmp_path / "invitation.docx",
                          {"word/document.xml": lambda root: _demote_subject_lines(root, bold=False)})
    assert [f"{f.severity}: {f.within_file}" for f in check_template(path, "invitation")] == [
        "warning: the main text: the document has no headings, so a screen reader user cannot hear how it is set out or jump to "
        "a part of it: give its title (in a letter, the subject line) the Heading 1 style (Home › Styles › Heading 1), and each "
        "section's title the Heading 2 style"
    ]


@pytest.mark.parametrize("kind, first", [("invitation", "the letter has no heading at all"), ("parent-notification", "the letter's first heading is a Heading 2")])
def test_a_letter_whose_subject_lines_are_bold_text_is_told_to_make_each_its_heading_1(tmp_path, kind, first):
    """The letters as they were before their subject lines became Heading 1: each side of the
    young-person if/else has its own subject line, and each is named."""
    path = _copy_changing(SHIPPED / f"{kind}.docx", tmp_path / f"{kind}.docx",
                          {"word/document.xml": lambda root: _demote_subject_lines(root, bold=True)})
    found = [f.within_file for f in check_template(path, kind)]
    subjects = {"invitation": ["paragraph 10 ('Invitation: {{ meeting.type }}')", "paragraph 13 ('Invitation: {{ meeting.type }} for {{ pupil.ful…')"],
                "parent-notification": ["paragraph 10 ('Your special educational needs (SEN) support')",
                                        "paragraph 14 ('{{ pupil.full_name }}: special educational need…')"]}[kind]
    assert found == [
        f"{place}: this subject line is bold text, not a heading, and {first}, so a screen reader user cannot find the subject "
        "in the letter's list of headings: give the subject line the Heading 1 style (Home › Styles › Heading 1)"
        for place in subjects
    ]


def test_a_heading_is_known_by_its_outline_level_whatever_its_style_is_called(tmp_path):
    """Word in another language saves Heading 1 as "berschrift1" (its name stays "heading 1"); a school's
    own style with an outline level is a heading too; a style the document does not define is not one."""
    def restyle(root):
        _restyle(root, "Pupil details", "berschrift1")
        _restyle(root, "Strengths and interests", "SchoolSection")
        _restyle(root, "Needs", "Heading7")  # not defined in the template: Word shows it as Normal

    def add_styles(root):
        _add_style(root, "berschrift1", "heading 1", None)
        _add_style(root, "SchoolSection", "School section", 1)

    path = _copy_changing(SHIPPED / "support-plan.docx", tmp_path / "support-plan.docx", {"word/document.xml": restyle, "word/styles.xml": add_styles})
    assert heading_findings(path, "support-plan") == []
    with zipfile.ZipFile(path) as package:
        from senforms.documents.headings import heading_styles

        styles = heading_styles(package.read("word/styles.xml"))
        body = etree.fromstring(package.read("word/document.xml"))
    assert [styles.level_of(_paragraph(body, text)) for text in ("Pupil details", "Strengths and interests", "Needs")] == [1, 2, None]
    # The rule holds for the school's style as for any other: a level-2 section first is found.
    path = _copy_changing(SHIPPED / "support-plan.docx", tmp_path / "skip.docx", {
        "word/document.xml": lambda root: _restyle(root, "Pupil details", "SchoolSection"),
        "word/styles.xml": lambda root: _add_style(root, "SchoolSection", "School section", 1),
    })
    assert [f.split(":")[0] for f in heading_findings(path, "support-plan")] == ["warning"]
    assert "paragraph 4 ('Pupil details'): this is the document's first heading but it is a Heading 2" in heading_findings(path, "support-plan")[0]


def test_a_heading_set_to_body_text_or_emptied_by_a_block_tag_is_not_counted(tmp_path):
    """Paragraph › Outline level › Body Text on a paragraph of a school's heading style makes it no
    heading; a {%p %} paragraph in a heading style is removed when the document is filled in."""
    def change(root):
        paragraph = _paragraph(root, "Strengths and interests")
        paragraph.find(qn("w:pPr")).append(etree.fromstring(f'<w:outlineLvl xmlns:w="{W}" w:val="9"/>'))
        _restyle(root, "Strengths and interests", "SchoolSection")

    path = _copy_changing(SHIPPED / "support-plan.docx", tmp_path / "support-plan.docx", {
        "word/document.xml": change, "word/styles.xml": lambda root: _add_style(root, "SchoolSection", "School section", 2)})
    assert heading_findings(path, "support-plan") == []
    tagged = support_plan(tmp_path / "tagged.docx", [para("{%p if pupil.known_as %}", style="Heading2"), para("Known as {{ pupil.known_as }}"), para("{%p endif %}")])
    assert findings(tagged) == []


def test_a_template_whose_styles_are_damaged_is_refused_by_name_not_with_a_traceback(tmp_path):
    target = tmp_path / "support-plan.docx"
    with zipfile.ZipFile(SHIPPED / "support-plan.docx") as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            new.writestr(info, b"<w:styles><w:style" if info.filename == "word/styles.xml" else old.read(info.filename))
    with pytest.raises(TemplateProblemError) as caught:
        check_template(target, "support-plan")
    assert "support-plan.docx is damaged: Word's own files inside it cannot be read" in str(caught.value)
