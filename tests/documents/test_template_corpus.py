"""The template corpus (tests/documents/template_corpus): `templates check` finds exactly what each
template holds, no more and no less, and every template it passes renders as expected.

Also the shipped templates, whole and with every tag cut in two by Word: no finding, and the cut
copy prints the same text as the original.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from docx import Document
from docx.oxml.ns import qn
from lxml import etree
from PIL import Image

from senforms.documents.catalogue import KINDS
from senforms.documents.template_files import check_template, example_context
from senforms.documents.templating import paragraph_text, render_docx
from tests.documents.template_corpus import CASES
from tests.documents.template_corpus.cases import shipped_in_pieces
from tests.documents.template_corpus.word import TEMPLATES


def _findings(path, kind="support-plan") -> list[str]:
    return [f"{f.severity}: {f.within_file}" for f in check_template(path, kind)]


def _texts(data: bytes) -> list[str]:
    """Every paragraph of a filled-in document, at every level, then its headers' and footnotes'."""
    texts = [paragraph_text(p) for p in Document(io.BytesIO(data)).element.body.iter(qn("w:p"))]
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name in sorted(package.namelist()):
            if name.startswith(("word/header", "word/footer", "word/footnotes")):
                texts += [paragraph_text(p) for p in etree.fromstring(package.read(name)).iter(qn("w:p"))]
    return texts


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_each_corpus_template_gets_exactly_its_findings(case, tmp_path):
    path = case.write(tmp_path / "support-plan.docx")
    assert _findings(path) == case.findings


@pytest.mark.parametrize("case", [c for c in CASES if c.valid], ids=lambda case: case.name)
def test_each_template_the_check_passes_renders(case, tmp_path):
    path = case.write(tmp_path / "support-plan.docx")
    logo = None
    if case.logo:
        logo = tmp_path / "logo.png"
        Image.new("RGB", (40, 20), "navy").save(logo)
    data = render_docx(path, example_context("support-plan"), logo=logo)
    text = "\n".join(_texts(data))
    for expected in case.prints:
        assert expected in text, f"{expected!r} not in {text!r}"
    assert "{{" not in text and "{%" not in text and "{#" not in text
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        body = package.read("word/document.xml").decode()
        headers = "".join(package.read(n).decode() for n in package.namelist() if n.startswith("word/header"))
    for expected in case.xml:
        assert expected in body
    if case.logo:
        assert "<w:drawing>" in headers or "<wp:inline" in headers


@pytest.mark.parametrize("kind", list(KINDS))
def test_shipped_templates_with_every_tag_cut_in_two_have_no_finding_and_print_the_same(kind, tmp_path):
    assert _findings(TEMPLATES / f"{kind}.docx", kind) == []
    cut = shipped_in_pieces(kind)(tmp_path / f"{kind}.docx")
    with zipfile.ZipFile(cut) as package, zipfile.ZipFile(TEMPLATES / f"{kind}.docx") as original:
        runs = [p.read("word/document.xml").count(b"<w:r>") for p in (package, original)]
    assert runs[0] > runs[1] + 20  # the tags really are in pieces
    assert _findings(cut, kind) == []
    context = example_context(kind)
    assert _texts(render_docx(cut, context)) == _texts(render_docx(TEMPLATES / f"{kind}.docx", context))



# --- "a template that passes never fails to render", for every record of the sample register --------
# Each part's Jinja source is filled in exactly as the renderer fills it (the same environment, the
# same preprocessing) and its XML checked whole; the zip and the Word file around it, which no
# record can change, are left out so every record of the register can be tried.


@pytest.fixture(scope="module")
def sample_register():
    import datetime as dt

    from senforms.inputs import load_register
    from tests.conftest import SAMPLES

    return load_register(SAMPLES / "register.xlsx", as_of=dt.date(2026, 11, 23)).register


def _every_job(register, kind):
    import datetime as dt

    from senforms.documents.catalogue import plan_jobs

    jobs = plan_jobs(register, kind, on=dt.date(2026, 11, 23), all_cycles=True, include_ehc_plans=True)
    return [{**job.context, "school_logo": ""} for job in jobs], [job.description for job in jobs]


def _fills_in_for_all(path, contexts, names) -> None:
    from senforms.documents.templating import damage_in, make_environment, template_sources

    environment = make_environment()
    compiled = [environment.from_string(source) for source in template_sources(path)]
    for context, name in zip(contexts, names):
        for template in compiled:
            xml = template.render(context)  # an error here names the record in the traceback
            assert damage_in(xml) is None, name


def test_the_sample_register_calls_for_a_plan_for_every_pupil_and_cycle(sample_register):
    contexts, _ = _every_job(sample_register, "support-plan")
    assert len(contexts) == sum(len(p.cycles) for p in sample_register.pupils) == 25
    assert {c["pupil"]["upn"] for c in contexts} == {p.upn for p in sample_register.pupils}


@pytest.mark.parametrize("case", [c for c in CASES if c.valid], ids=lambda case: case.name)
def test_each_template_the_check_passes_fills_in_for_every_sample_record(case, sample_register, tmp_path):
    path = case.write(tmp_path / "support-plan.docx")
    assert _findings(path) == case.findings
    _fills_in_for_all(path, *_every_job(sample_register, "support-plan"))


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_shipped_templates_whole_and_cut_fill_in_for_every_sample_record(kind, sample_register, tmp_path):
    contexts, names = _every_job(sample_register, kind)
    assert contexts, f"the samples call for no {kind}"
    _fills_in_for_all(TEMPLATES / f"{kind}.docx", contexts, names)
    _fills_in_for_all(shipped_in_pieces(kind)(tmp_path / f"{kind}.docx"), contexts, names)
