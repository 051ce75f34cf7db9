"""`senforms templates check`: the whole message a SENCo sees, and the exit status (issue 17)."""

from __future__ import annotations

from click.testing import CliRunner

from senforms.cli import cli
from tests.documents.template_corpus.word import cell, para, row, support_plan, table

from ..conftest import SAMPLES


def check(path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["templates", "check", str(path)])
    return result.exit_code, result.output


def test_a_warning_alone_passes_and_an_error_fails_with_its_place(tmp_path):
    folder = tmp_path / "ours"
    folder.mkdir()
    warned = support_plan(folder / "support-plan.docx", [para("Note: {%p if pupil.eal %}"), para("EAL"), para("{%p endif %}")])
    assert check(warned) == (0, (
        "support-plan.docx:\n"
        "  ! paragraph 1 ('Note: {%p if pupil.eal %}'): the paragraph holding {%p if pupil.eal %} is removed when the document is "
        "filled in, so 'Note:' beside it will never print: put {%p if pupil.eal %} in a paragraph of its own\n"
    ))
    broken = support_plan(folder / "support-plan.docx", [table(row(cell(para("{{ pupil.nmae }}")), cell(para("{{ pupil.upn|uk_dat }}"))))])
    assert check(broken) == (1, (
        "support-plan.docx:\n"
        "  ✗ table 1, row 1, cell 1 ('{{ pupil.nmae }}'): 'pupil.nmae' is not a variable senforms provides: check its spelling against docs/templates.md\n"
        "  ✗ table 1, row 1, cell 2 ('{{ pupil.upn|uk_dat }}'): '|uk_dat' is not a filter senforms knows (did you mean 'uk_date'?): "
        "see the list of filters in docs/templates.md\n"
    ))
    out = tmp_path / "out"
    rendered = CliRunner().invoke(cli, ["render", "support-plan", str(SAMPLES / "register.xlsx"), "-o", str(out), "--templates", str(folder)])
    assert rendered.exit_code == 1
    assert "template support-plan.docx cannot be used: table 1, row 1, cell 1 ('{{ pupil.nmae }}'): 'pupil.nmae' is not a variable" in rendered.output
    assert not out.exists() or not list(out.glob("*.docx"))
