"""The corpus: each case writes one template and says what `templates check` must find in it and
what the filled-in document must hold.

The feature cases re-create, with our own XML, what docxtpl's feature tests exercise (loops over
rows and cells, cell colours, merged cells, comments, run and paragraph tags, filters, images);
the Word cases store text the way Word does (tags in pieces over runs, smart quotes, content
controls, footnotes); the mistake cases plant one error each, with the finding that names it.
Values are those of the made-up record behind `example_context` (Alex Example, Year 5).
"""

from __future__ import annotations

import dataclasses
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from tests.documents.template_corpus.word import TEMPLATES, build, cell, control, para, row, support_plan, table

BOLD, ITALIC = "<w:b/>", "<w:i/>"
GREY = '<w:shd w:val="clear" w:color="auto" w:fill="D9D9D9"/>'
UNKNOWN = "is not a variable senforms provides: check its spelling against docs/templates.md"
HEADING = para("Alex Example's support", style="Heading1")
NO_HEADER_ROW = ("table {number} has no header row marked, so a screen reader cannot tell which heading each cell belongs to: "
                 "type the column headings in its first row, click in it, then Table Layout › Repeat Header Rows")


@dataclasses.dataclass(frozen=True)
class Case:
    """One corpus template: `body` (paragraphs and tables as XML) in a blank document, or at the
    start of the shipped support plan with `on_support_plan`."""

    name: str
    body: list[str]
    findings: list[str] = dataclasses.field(default_factory=list)  # "severity: place: message"
    prints: list[str] = dataclasses.field(default_factory=list)  # text the filled-in document holds
    xml: list[str] = dataclasses.field(default_factory=list)  # and XML its main text holds
    on_support_plan: bool = False
    options: dict = dataclasses.field(default_factory=dict)  # footnotes, endnotes, subject, header
    logo: bool = False

    @property
    def valid(self) -> bool:
        return not any(f.startswith("error") for f in self.findings)

    def write(self, path: Path) -> Path:
        if self.on_support_plan:
            return support_plan(path, self.body, **self.options)
        # A template has a Heading 1 (or `templates check` warns); last, so the findings keep the body's paragraph numbers.
        return build(path, [*self.body, HEADING], **self.options)


def _loop_table(header: list[str], cells: list[str], loop: str) -> str:
    """A table with a header row (marked as one, as Word's Repeat Header Rows does), then one row
    per item: the docxtpl `{%tr for %}` pattern."""
    width = len(header)
    return table(
        row(*[cell(para((h, BOLD))) for h in header]).replace("<w:tr>", "<w:tr><w:trPr><w:tblHeader/></w:trPr>", 1),
        row(cell(para(f"{{%tr for {loop} %}}")), *[cell() for _ in range(width - 1)]),
        row(*[cell(para(*c)) if isinstance(c, tuple) else cell(para(c)) for c in cells]),
        row(cell(para("{%tr endfor %}")), *[cell() for _ in range(width - 1)]),
        columns=width,
    )


FEATURES = [
    Case("order", [  # docxtpl's order test: a table of lines, every tag split by Word's formatting
        para(("Provision for {{ pupil.", BOLD), ("full_name }}", BOLD)),
        _loop_table(["What", "Who", "Cost"], [("{{ p.", ("descr", ITALIC), "iption }}"), ("{{ p.staff", "_role }}"), ("{{ p.annual_cost", "|money }}")], "p in cycle.provision"),
        para("Total: {{ cycle.provision|length }} ", ("item", BOLD), "(s)"),
    ], prints=["Provision for Alex Example", "D", "TA", "£100.00", "Total: 1 item(s)"]),
    Case("cell-background", [
        _loop_table(["Outcome", "Measure"], ['{% cellbg "E2EFDA" if loop.first else "FFFFFF" %}{{ o.description }}', "{{ o.measure }}"], "o in cycle.outcomes"),
        table(row(cell(para('{% cellbg "FCE4D6" %}Needs')), cell(para("{{ pupil.primary_need }}")))),
    ], prints=["Specific learning difficulty"], xml=['w:fill="E2EFDA"', 'w:fill="FCE4D6"']),
    Case("column-span", [
        table(row(cell(para("{% colspan 2 %}{{ pupil.full_name }}")), cell(para("gone"))), row(cell(para("A")), cell(para("B")))),
    ], prints=["Alex Example"], xml=['<w:gridSpan w:val="2"/>']),
    Case("cell-loops-and-horizontal-merge", [
        table(
            row(cell(para("{%tc for o in cycle.outcomes %}")), cell(para("{% hm %}Outcomes")), cell(para("{%tc endfor %}"))),
            row(cell(para("{%tc for o in cycle.outcomes %}")), cell(para("{{ o.description }}: {{ o.measure }}")), cell(para("{%tc endfor %}"))),
            columns=3,
        ),
    ], prints=["Outcomes", "D: M"], xml=['<w:gridSpan w:val="1"/>']),
    Case("vertical-merge", [
        _loop_table(["Cycle", "Outcome"], ["{% vm %}Cycle {{ cycle.number }}", "{{ o.description }}"], "o in cycle.outcomes"),
    ], prints=["Cycle 1", "D"], xml=['<w:vMerge w:val="restart"/>']),
    Case("comments", [
        para("Plan for {{ pupil.known_as }}{# the name the pupil likes #}."),
        para("{#p a note to whoever edits this template: it is not printed #}"),
        para("End."),
    ], prints=["Plan for Alex.", "End."]),
    Case("paragraph-and-run-tags", [
        para("{%p if pupil.known_as %}"),
        para("Known as ", ("{{ pupil.known_as }}", BOLD)),
        para("{%p else %}"),
        para("No name"),
        para("{%p endif %}"),
        para("{%p for line in pupil.address %}"),
        para("{{ line }}"),
        para("{%p endfor %}"),
        para("Age: ", "{%r if pupil.age_years %}", ("{{ pupil.age_years }} years", BOLD), "{%r endif %}"),
    ], prints=["Known as Alex", "Age: "]),
    Case("filters", [
        para("{{ pupil.full_name|upper }} {{ pupil.full_name|lower }} {{ 'alex example'|title }} {{ 'hello'|capitalize }}"),
        para('{{ pupil.full_name|e }} {{ pupil.full_name|replace("Alex", "A.") }} {{ pupil.full_name|length }} {{ pupil.full_name|wordcount }}'),
        para('{{ "%s is in %s"|format(pupil.known_as, pupil.year_group) }} {{ [3, 1, 2]|sort|join("-") }} {{ [1, 2]|first }}{{ [1, 2]|last }}'),
        para('{{ pupil.middle_name|default("-") }} {{ 2.567|round(1) }} {{ "  x  "|trim }} {{ "12"|int + 1 }} {{ pupil.full_name|truncate(8, True, "…", 0) }}'),
        para("{{ pupil.date_of_birth|uk_date }} {{ pupil.date_of_birth|short_date }} {{ pupil.eal|yes_no }} {{ cycle.provision[0].annual_cost|money }}"),
    ], prints=["ALEX EXAMPLE alex example Alex Example Hello", "Alex Example A. Example 12 2", "Alex is in Year 5 1-2-3 12", "- 2.6 x 13 Alex Ex…",
               "1 January 2016 01/01/2016 No £100.00"]),
    Case("jinja-statements", [
        para("{% set name = pupil.known_as %}{% macro label(text) %}[{{ text }}]{% endmacro %}{{ label(name) }}"),
        para("{% for o in cycle.outcomes %}{{ loop.index }}. {{ o.description }}{% else %}none{% endfor %}"),
        para("{% for n in pupil.needs %}{{ n.area }}: {{ n.description }}{% else %}No needs listed{% endfor %}"),
        para("{% for n in pupil.needs if n.area == 'Sensory' %}{{ n.area }}{% else %}No sensory needs{% endfor %}"),
        para("{% with year = pupil.year_group %}{{ year }}{% endwith %}"),
        para("Languages: English"),
        para("{%- if pupil.eal %}, {{ pupil.first_language }}{% endif %}"),
    ], prints=["[Alex]", "1. D", ": Reading and spelling", "No sensory needs", "Year 5", "Languages: English"]),
    Case("school-logo", [para("Letter")], options={"header": [para("{{ school_logo }}"), para("{{ school.name }}")]},
         on_support_plan=True, logo=True, prints=["Letter"]),
]

WORD_TYPED = [
    Case("word-split-tags-and-smart-quotes", [
        para(("Name: {{ pupil.", BOLD), "full_name }}"),
        para("{", "{ pupil.kno", ("wn_as }", ITALIC), "}"),
        para("{{ pupil.broad_areas|join(“, ”)|default(‘none’, true) }}"),
        para("{% if pupil.known_as == “Alex” %}", "Hello Alex", "{% endif %}"),
        para('{{ [pupil.known_as, "Sam"]|join(" & ") }}'),
    ], prints=["Name: Alex Example", "Alex", "none", "Hello Alex", "Alex & Sam"], on_support_plan=True),
    Case("word-content-controls-footnotes-and-header", [
        control(para("{%p if pupil.known_as %}"), para("Known as {{ pupil.known_as }}"), para("{%p endif %}")),
        table(row(cell(control(para("{{ pupil.full_name }}"))), cell(para("{{ pupil.upn }}")))),
        para("{%p for o in cycle.outcomes %}"), control(para("Outcome: {{ o.description }}")), para("{%p endfor %}"),
    ], options={"footnotes": [para("Written for {{ pupil.known_as }}.")], "header": [para("{{ school.name }}")]},
        prints=["Known as Alex", "Alex Example", "B801200005001", "Outcome: D", "Written for Alex."], on_support_plan=True),
    Case("word-guards", [
        para('{{ pupil.middle_name|default("") }}{{ nickname|d("-") }}'),
        para("{% if pupil.middle_name is defined and pupil.middle_name %}{{ pupil.middle_name }}{% endif %}"),
        para("{% if pupil.middle_name is undefined or not pupil.middle_name.strip() %}no middle name{% endif %}"),
    ], prints=["-", "no middle name"]),
]


def _where(place: str, message: str, severity: str = "error") -> str:
    return f"{severity}: {place}: {message}"


MISTAKES = [
    Case("mistake-misspelt-variable-in-a-cell", [table(row(cell(para("Name")), cell(para("{{ pupil.ful_name }}"))))],
         [_where("table 1, row 1, cell 2 ('{{ pupil.ful_name }}')", f"'pupil.ful_name' {UNKNOWN}")]),
    Case("mistake-misspelt-filter-in-an-if", [para("{%p if pupil.eal %}"), para("{{ pupil.first_language|uppr }}"), para("{%p endif %}")],
         [_where("paragraph 2 ('{{ pupil.first_language|uppr }}')", "'|uppr' is not a filter senforms knows (did you mean 'upper'?): see the list of filters in docs/templates.md")]),
    Case("mistake-misspelt-test", [para("{% if pupil.year_group is evn %}even{% endif %}")],
         [_where("paragraph 1 ('{% if pupil.year_group is evn %}even{% endif %}')", "'is evn' is not a test senforms knows (did you mean 'is even'?): see the list of tests in docs/templates.md")]),
    Case("mistake-endif-missing", [para("Hello"), para("{%p if pupil.eal %}"), para("EAL")],
         [_where("paragraph 2 ('{%p if pupil.eal %}')", "{% if %} is never closed with {% endif %}")]),
    Case("mistake-endfor-for-an-if", [para("{% for n in pupil.needs %}{% if n %}{% endfor %}")],
         [_where("paragraph 1 ('{% for n in pupil.needs %}{% if n %}{% endfor %}')", "{% if %} is never closed with {% endif %} (a {% endfor %} comes first)")]),
    Case("mistake-row-loop-closed-in-text", [_loop_table(["A", "B"], ["{{ o.description }}", "x"], "o in cycle.outcomes").replace("{%tr endfor %}", "y"), para("{%p endfor %}")],
         [_where("table 1, row 2, cell 1 ('{%tr for o in cycle.outcomes %}')", "{% for %} is in a table but its {% endfor %} is outside any table or content control: a block must open and close in the same place (the same paragraph, table cell, row or content control, or both outside them); when filled in, the document would be damaged")]),
    Case("mistake-rich-text-tag", [para("{{r pupil.full_name }}")],
         [_where("paragraph 1 ('{{r pupil.full_name }}')", "{{r pupil.full_name }} is for formatted text, and senforms gives plain text, so the value would be lost: write {{ pupil.full_name }} instead (format the tag itself in Word to make the value bold or larger)")]),
    Case("mistake-safe", [para("{{ school.name|safe }}")],
         [_where("paragraph 1 ('{{ school.name|safe }}')", "'|safe' is not allowed: senforms always prints a record's text exactly as typed, so remove '|safe'")]),
    Case("mistake-include", [para("{% include 'letterhead' %}")],
         [_where("paragraph 1 ('{% include 'letterhead' %}')", "a template cannot include, import or extend another template: copy the text you need into this template instead")]),
    Case("mistake-autoescape-off", [para("{% autoescape false %}{{ school.name }}{% endautoescape %}")],
         [_where("paragraph 1 ('{% autoescape false %}{{ school.name }}{% endau…')", "{% autoescape %} is not allowed: senforms always prints a record's text exactly as typed, so remove the block's tags")]),
    Case("mistake-reaching-inside-values", [para("{{ cycler.__init__.__globals__ }}")],
         [_where("paragraph 1 ('{{ cycler.__init__.__globals__ }}')", "'cycler.__init__' is not allowed: a template may not reach inside values (names starting with _)")]),
    Case("mistake-curly-apostrophe", [para("{{ pupil.middle_name|default('Alex’s') }}")],
         [_where("paragraph 1 ('{{ pupil.middle_name|default('Alex’s') }}')", "the tag {{ pupil.middle_name|default('Alex’s') }} has an apostrophe inside text in single quotes, which ends the text early: put that text in double quotes instead, e.g. \"Alex’s plan\"")]),
    Case("mistake-in-a-footnote", [para("Hello")], [_where("the footnotes, footnote 1, paragraph 1 ('See {{ pupil.knwn_as }}')", f"'pupil.knwn_as' {UNKNOWN}")],
         options={"footnotes": [para("See {{ pupil.knwn_as }}")]}),
    Case("mistake-in-the-subject", [para("Hello")], [_where("the document's Subject property (File › Info › Properties)", f"'pupil.ful_name' {UNKNOWN}")],
         options={"subject": "Plan for {{ pupil.ful_name }}"}),
    Case("word-comment-mentioning-a-tag", [para("Hello {{ pupil.known_as }}")],
         [_where("the comments, comment 1, paragraph 1 ('Should this be {{ pupil.full_name }}?')", "senforms does not fill in tags in the comments, so {{ pupil.full_name }} would print as typed: move it into the text or a footnote", "warning")],
         options={"comments": [para("Should this be {{ pupil.full_name }}?")]}, prints=["Hello Alex"]),
    Case("mistake-words-before-a-joining-tag", [para("Languages: English"), para("and {%- if pupil.eal %} more{% endif %}")],
         [_where("paragraph 2 ('and {%- if pupil.eal %} more{% endif %}')", "{%- joins this paragraph to the end of the one before, so 'and' before it will never print: put {%- if pupil.eal %} at the start of the paragraph, or write {% without the -", "warning")]),
    Case("mistake-words-beside-a-row-tag", [table(row(cell(para("{%tr for o in cycle.outcomes %}")), cell(para("Outcomes"))), row(cell(para("{{ o.description }}")), cell(para("x"))), row(cell(para("{%tr endfor %}")), cell(para(""))))],
         [_where("table 1, row 1, cell 1 ('{%tr for o in cycle.outcomes %}')", "the table row holding {%tr for o in cycle.outcomes %} is removed when the document is filled in, so 'Outcomes' beside it will never print: put {%tr for o in cycle.outcomes %} alone in a row of its own", "warning"),
          _where("table 1, row 1, cell 1 ('{%tr for o in cycle.outcomes %}')", NO_HEADER_ROW.format(number=1), "warning")]),
    Case("mistake-words-beside-a-paragraph-tag", [para("Note: {%p if pupil.eal %}"), para("EAL"), para("{%p endif %}")],
         [_where("paragraph 1 ('Note: {%p if pupil.eal %}')", "the paragraph holding {%p if pupil.eal %} is removed when the document is filled in, so 'Note:' beside it will never print: put {%p if pupil.eal %} in a paragraph of its own", "warning")]),
]

CASES: list[Case] = FEATURES + WORD_TYPED + MISTAKES


def shipped_in_pieces(kind: str) -> Callable[[Path], Path]:
    """A shipped template with every tag cut into two runs of the same formatting: what Word does
    when spell-check or an edit touches the middle of a tag."""

    def write(path: Path) -> Path:
        with zipfile.ZipFile(TEMPLATES / f"{kind}.docx") as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
            for info in old.infolist():
                data = old.read(info.filename)
                if re.fullmatch(r"word/(document|header\d+|footer\d+)\.xml", info.filename):
                    data = _cut_tags(data.decode("utf-8")).encode("utf-8")
                new.writestr(info, data)
        return path

    return write


def _cut_tags(xml: str) -> str:
    def cut_run(match: re.Match) -> str:
        run, properties, text = match.group(0), match.group(1) or "", match.group(2)
        tags = list(re.finditer(r"\{\{.*?\}\}|\{%.*?%\}", text))
        if not tags:
            return run
        pieces, last = [], 0
        for tag in tags:
            middle = (tag.start() + tag.end()) // 2
            pieces += [text[last:middle]]
            last = middle
        pieces.append(text[last:])
        return "".join(f'<w:r>{properties}<w:t xml:space="preserve">{piece}</w:t></w:r>' for piece in pieces if piece)

    return re.sub(r"<w:r>(<w:rPr>(?:(?!</w:rPr>).)*</w:rPr>)?<w:t(?: [^>]*)?>([^<]*)</w:t></w:r>", cut_run, xml)
