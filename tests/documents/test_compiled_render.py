"""The batch renderer (a template compiled once) gives exactly what docxtpl gives, errors included (#15 item 1).

The reference is senforms' renderer before #15: docxtpl's DocxTemplate.render with senforms'
sandboxed environment, its checks for damaged output and its described logo, saved by
python-docx and normalised. Every shipped kind is rendered both ways for every sample record, and
the two are compared member by member (each part's XML), then as whole files.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.shared import Mm
from docxtpl import InlineImage
from jinja2 import TemplateError
from jinja2.exceptions import SecurityError

import senforms
from senforms.documents.catalogue import KINDS, plan_jobs
from senforms.documents.compiled import CompiledTemplate
from senforms.documents.render import RenderRequest, render_documents, template_for
from senforms.documents.templating import (
    DamageError,
    _describe,
    _Docx,
    _template_text,
    damage_in,
    fixed_core_xml,
    make_environment,
    mismatched_blocks,
    normalise_docx,
    part_label,
)
from senforms.errors import TemplateProblemError

from ..conftest import SAMPLES

LOADED = senforms.load_register(SAMPLES / "register.xlsx")
ON = dt.date(2026, 12, 1)


class _Reference(_Docx):
    """docxtpl as senforms drove it before #15: refusing damaged output part by part."""

    def render_xml_part(self, src_xml, part, context, jinja_env=None):  # noqa: ANN001, ANN201
        mismatched = mismatched_blocks(src_xml)
        if mismatched:
            raise DamageError(mismatched[0].message)
        xml = super().render_xml_part(src_xml, part, context, jinja_env)
        damage = damage_in(xml)
        if damage:
            raise DamageError(f"{part_label(str(part.partname))}: {damage}")
        return xml


def _reference_logo(document: _Docx, logo: Path | None, school_name: str) -> Any:
    if logo is None or not logo.is_file():
        return ""

    class DescribedImage(InlineImage):
        def _insert_image(self) -> str:
            inline = self.tpl.current_rendering_part.new_pic_inline(self.image_descriptor, self.width, self.height)
            for element in inline.xpath(".//wp:docPr | .//pic:cNvPr"):
                element.set("descr", f"{school_name} logo" if school_name else "School logo")
            return f'</w:t></w:r><w:r><w:drawing>{inline.xml}</w:drawing></w:r><w:r><w:t xml:space="preserve">'

    return DescribedImage(document, str(logo), height=Mm(16))


def docxtpl_render(template: Path, context: dict[str, Any], *, title: str = "", logo: Path | None = None) -> bytes:
    """The document plain docxtpl makes with senforms' environment (the renderer before #15)."""
    document = None
    try:
        document = _Reference(str(template))
        school = str((context.get("school") or {}).get("name") or "")
        document.render({**context, "school_logo": _reference_logo(document, logo, school)}, jinja_env=make_environment(), autoescape=True)
    except DamageError as exc:
        raise TemplateProblemError(f"template {template.name} could not be filled in: {exc}", fix="") from None
    except (TemplateError, SecurityError) as exc:
        raise TemplateProblemError(f"template {template.name} could not be filled in: {_describe(exc, _template_text(document))}", fix="") from None
    buffer = io.BytesIO()
    document.save(buffer)
    return normalise_docx(buffer.getvalue(), core_xml=fixed_core_xml(title))


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert package.testzip() is None
        return {name: package.read(name) for name in package.namelist()}


def assert_same_document(new: bytes, old: bytes, what: str) -> None:
    ours, theirs = members(new), members(old)
    assert list(ours) == list(theirs), what
    for name in theirs:
        assert ours[name].decode("utf-8", "replace") == theirs[name].decode("utf-8", "replace"), f"{what}: {name} differs"
    assert new == old, what  # then the zip around them too


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("with_logo", [True, False], ids=["logo", "no-logo"])
def test_every_kind_renders_exactly_as_docxtpl_did(kind: str, with_logo: bool) -> None:
    jobs = plan_jobs(LOADED.register, kind, on=ON)
    assert jobs
    template, title = template_for(kind), KINDS[kind].title
    logo = LOADED.logo if with_logo else None
    assert logo is None or logo.is_file()
    school = LOADED.register.school.name
    compiled = CompiledTemplate.load(template, title=title, logo=logo, school_name=school)
    for job in jobs:
        new = compiled.render(job.context)
        assert_same_document(new, docxtpl_render(template, job.context, title=title, logo=logo), job.description)
    if with_logo:
        assert b"word/media/" in new and f'descr="{school} logo"'.encode() in members(new)["word/header1.xml"]


def _template_with(tmp_path: Path, *paragraphs: str) -> Path:
    document = Document(str(template_for("support-plan")))
    body = document.element.body
    for child in [c for c in body if not c.tag.endswith("sectPr")]:
        body.remove(child)
    for text in paragraphs:
        document.add_paragraph(text)
    path = tmp_path / "support-plan.docx"
    document.save(path)
    return path


def _both_errors(template: Path, context: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(TemplateProblemError) as new:
        CompiledTemplate.load(template, title="t").render(context)
    with pytest.raises(TemplateProblemError) as old:
        docxtpl_render(template, context, title="t")
    return new.value.message, old.value.message


CONTEXT = plan_jobs(LOADED.register, "support-plan", on=ON)[0].context


@pytest.mark.parametrize("paragraphs, expected", [
    (("Hello", "Born {{ pupil.date_of_birth | }}"), "template support-plan.docx could not be filled in: a tag is broken: "),
    (("{{ pupil.full_name }} {{ pupil.shoe_size }}",), "template support-plan.docx could not be filled in: it uses pupil.shoe_size, which this record does not have"),
    (("{{ cycler.__init__ }}",), "template support-plan.docx could not be filled in: it does something templates may not do"),
    (("{{r pupil.full_name }}",), "template support-plan.docx could not be filled in: the main text: the value 'Amara Okafor' would be lost"),
])
def test_errors_are_those_docxtpl_gave(tmp_path: Path, paragraphs: tuple[str, ...], expected: str) -> None:
    new, old = _both_errors(_template_with(tmp_path, *paragraphs), CONTEXT)
    assert new == old
    assert new.startswith(expected), new


def test_a_missing_value_is_named_and_later_documents_still_render(tmp_path: Path) -> None:
    template = _template_with(tmp_path, "Plan for {{ pupil.full_name }}", "Reviewed {{ cycle.review.date|uk_date }}")
    compiled = CompiledTemplate.load(template)
    with pytest.raises(TemplateProblemError) as failed:
        compiled.render({**CONTEXT, "cycle": {**CONTEXT["cycle"], "review": {}}})
    assert failed.value.message == "template support-plan.docx could not be filled in: it uses cycle.review.date, which this record does not have"
    reviewed = {**CONTEXT, "cycle": {**CONTEXT["cycle"], "review": {"date": dt.date(2026, 3, 3)}}}
    text = "\n".join(p.text for p in Document(io.BytesIO(compiled.render(reviewed))).paragraphs)
    assert f"Plan for {CONTEXT['pupil']['full_name']}" in text and "Reviewed 3 March 2026" in text


def test_the_range_budget_is_per_document_not_per_batch(tmp_path: Path) -> None:
    template = _template_with(tmp_path, "{% for i in range(60000) %}{% endfor %}counted")
    compiled = CompiledTemplate.load(template)
    for _ in range(3):  # 180,000 numbers in all: more than one document's budget
        assert "counted" in "\n".join(p.text for p in Document(io.BytesIO(compiled.render(CONTEXT))).paragraphs)


def test_a_damaged_template_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "review.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(TemplateProblemError) as failed:
        CompiledTemplate.load(broken)
    assert failed.value.message == "template review.docx could not be filled in (BadZipFile)"


def test_a_rerun_gives_byte_identical_files_and_the_same_manifest(tmp_path: Path) -> None:
    jobs = plan_jobs(LOADED.register, "review", on=ON)
    first = render_documents(jobs, RenderRequest("review", tmp_path / "a", logo=LOADED.logo))
    second = render_documents(jobs, RenderRequest("review", tmp_path / "b", logo=LOADED.logo))
    assert first.count("written") == len(jobs) == second.count("written")
    for one, two in zip(first.documents, second.documents, strict=True):
        assert one.path.read_bytes() == two.path.read_bytes() and one.sha256 == two.sha256
    rows = (tmp_path / "a" / "manifest.csv").read_text(encoding="utf-8")
    assert all(d.path.name in rows and d.sha256 in rows for d in first.documents)


def test_members_compressed_once_make_the_zip_zipfile_makes() -> None:
    from senforms.documents.package import compress, write_package

    contents = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>" * 500, "word/média/ü.png": bytes(range(256))}
    ours = write_package([compress(name, content) for name, content in contents.items()])
    theirs = io.BytesIO()
    with zipfile.ZipFile(theirs, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in contents.items():
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o600 << 16
            package.writestr(info, content)
    assert ours == theirs.getvalue()
    assert members(ours) == contents
