"""A Word template prepared once per batch, then filled in for each document of the batch.

docxtpl loads, patches and compiles every part of the template again for every document, and
re-serialises and re-compresses every member of the zip (styles, theme, fonts…). Here
that is done once: `CompiledTemplate.load` reads the template with docxtpl and python-docx,
patches each part senforms fills in (the main text, headers, footers, footnotes, and the
document properties that hold tags) exactly as docxtpl does, and compiles each with senforms'
sandboxed environment; `render` runs only those compiled templates, then repeats docxtpl's
post-processing (joining paragraphs, reserved markers, line breaks and tabs, table grids, picture
ids) and copies every other member already compressed. The logo's drawing is made once per part.

The result is byte for byte what docxtpl gives with the same environment
(tests/documents/test_compiled_render.py checks every shipped document kind), with two
deliberate differences that only a school's own template could show: footnotes are filled in
once (docxtpl fills them once per section, re-reading the filled-in text as a template), and
`{{ school_logo }}` in a document property prints nothing (docxtpl adds the picture to whichever
part it filled in last, though the property itself is then replaced by senforms' fixed ones).

Not thread-safe: one CompiledTemplate serves one batch at a time.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx import Document
from docx.opc.oxml import serialize_part_xml
from docx.oxml.parser import parse_xml
from docx.shared import Mm
from docxtpl import DocxTemplate
from jinja2 import Template
from jinja2.exceptions import SecurityError, TemplateError

from senforms.documents.package import Member, compress, write_package
from senforms.documents.templating import (
    _FOOTNOTES_TYPE,
    _RENDERED_PROPERTIES,
    MAX_RANGE_PER_DOCUMENT,
    DamageError,
    _budgeted_range,
    _describe,
    _Docx,
    _template_text,
    check_logo,
    damage_in,
    fixed_core_xml,
    make_environment,
    mismatched_blocks,
    part_label,
)
from senforms.errors import SenformsError, TemplateProblemError

_DOCX_IDS_START = 1000  # docxtpl numbers the main text's pictures from 1001 (render_init)
_WP_NS = {"wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"}
_LISTING = ("\t", "\a", "\n", "\f")  # what docxtpl's resolve_listing turns into Word markup


@dataclass
class _Part:
    """One part senforms fills in: where it goes, its compiled template, or the problem it has."""

    member: str  # zip member name ("word/header1.xml"); "" for a document property
    partname: str  # "/word/header1.xml", for labels and the logo
    kind: str  # "body", "story" (header or footer), "footnotes" or "property"
    template: Template | None = None
    problem: Exception | None = None  # raised when this part's turn comes, as docxtpl would


@dataclass
class _Logo:
    """The school's logo as each part prints it, made once per part and batch.

    Jinja prints it through __html__, so it records which parts of this document used it: only
    those get the picture's relationship, and only a document that used it gets the picture.
    """

    path: Path
    description: str
    template: bytes
    part: str = ""  # the partname being filled in now ("" for a document property)
    used: set[str] = field(default_factory=set)
    _drawings: dict[str, str] = field(default_factory=dict)
    _probe: Any = None

    def __html__(self) -> str:
        if not self.part:
            return ""
        if self.part not in self._drawings:
            if self._probe is None:
                self._probe = Document(io.BytesIO(self.template))
            self._drawings[self.part] = _add_logo(_part_named(self._probe, self.part), self.path, self.description)
        self.used.add(self.part)
        return self._drawings[self.part]

    __str__ = __html__


def _part_named(document: Any, partname: str) -> Any:
    return next(part for part in document.part.package.iter_parts() if str(part.partname) == partname)


def _add_logo(part: Any, logo: Path, description: str) -> str:
    """The logo added to `part` (16 mm high, described for screen readers); the run's XML to print."""
    inline = part.new_pic_inline(str(logo), None, Mm(16))
    for element in inline.xpath(".//wp:docPr | .//pic:cNvPr"):
        element.set("descr", description)  # lxml escapes it
    return f'</w:t></w:r><w:r><w:drawing>{inline.xml}</w:drawing></w:r><w:r><w:t xml:space="preserve">'


class CompiledTemplate:
    """A Word template loaded, patched and compiled once, to fill in for many records."""

    def __init__(self, template: Path, data: bytes, parts: list[_Part], root: Any, body: Any, core_xml: bytes, logo: _Logo | None) -> None:
        self.template = template
        self._data = data
        self._parts = parts
        self._root = root  # the main text's <w:document>, whose <w:body> each document replaces
        self._body = body
        self._text = ""
        self._core = compress("docProps/core.xml", core_xml)
        self._logo = logo
        self._skeletons: dict[frozenset[str], tuple[list[Member], dict[str, int]]] = {}

    @classmethod
    def load(cls, template: Path, *, title: str = "", logo: Path | None = None, school_name: str = "") -> CompiledTemplate:
        """Read and compile `template` for a batch whose documents carry `title` and the school's `logo`.

        Raises TemplateProblemError naming the template when it cannot be read, and
        UnreadableFileError when the logo is not an image.
        """
        try:
            data = Path(template).read_bytes()
            source = _Docx(io.BytesIO(data))
            source.init_docx()
            environment = make_environment()
            parts = [_compiled(environment, "body", str(source.docx.part.partname), source.patch_xml(source.get_xml()))]
            for uri in (DocxTemplate.HEADER_URI, DocxTemplate.FOOTER_URI):
                for _, part in source.get_headers_footers(uri):
                    parts.append(_compiled(environment, "story", str(part.partname), source.patch_xml(source.get_part_xml(part))))
            properties = source.docx.core_properties
            for name in _RENDERED_PROPERTIES:
                value = getattr(properties, name) or ""
                if "{" in value:  # text without a tag renders as itself and cannot fail
                    parts.append(_compiled(environment, "property", "", value, check=False))
            for part in source.docx.part.package.parts:
                if part.content_type == _FOOTNOTES_TYPE:
                    blob = part.blob.decode("utf-8") if isinstance(part.blob, bytes) else part.blob
                    parts.append(_compiled(environment, "footnotes", str(part.partname), source.patch_xml(blob)))
            root = source.docx.element
            body = root.body
        except SenformsError:
            raise
        except Exception as exc:  # a corrupt template file: python-docx and lxml raise many types
            raise TemplateProblemError(f"template {template.name} could not be filled in ({type(exc).__name__})", fix="check the template with `senforms templates check`") from exc
        described = None
        if check_logo(logo):
            assert logo is not None  # check_logo says so
            described = _Logo(logo, f"{school_name} logo" if school_name else "School logo", data)
        compiled = cls(Path(template), data, parts, root, body, fixed_core_xml(title), described)
        compiled._text = _template_text(source)  # for naming the tag a record cannot fill
        return compiled

    def render(self, context: dict[str, Any]) -> bytes:
        """The DOCX bytes of this template filled in with `context`.

        Raises TemplateProblemError naming the template and what is wrong when it cannot be
        filled in for this record (the same messages as templating.render_docx).
        """
        try:
            return self._render(context)
        except DamageError as exc:
            raise TemplateProblemError(
                f"template {self.template.name} could not be filled in: {exc}",
                fix="check the template with `senforms templates check`; nothing was written for this document",
            ) from None
        except (TemplateError, SecurityError) as exc:
            raise TemplateProblemError(
                f"template {self.template.name} could not be filled in: {_describe(exc, self._text)}",
                fix="check the template with `senforms templates check`",
            ) from None
        except SenformsError:
            raise
        except Exception as exc:  # broken XML after rendering…
            raise TemplateProblemError(f"template {self.template.name} could not be filled in ({type(exc).__name__})", fix="check the template with `senforms templates check`") from exc

    def _render(self, context: dict[str, Any]) -> bytes:
        logo = self._logo
        if logo is not None:
            logo.used = set()
        # The range() budget is per document, shared by every part (a fresh environment in docxtpl).
        values = {**context, "school_logo": logo if logo is not None else "", "range": _budgeted_range(MAX_RANGE_PER_DOCUMENT)}
        filled: dict[str, bytes] = {}
        for part in self._parts:
            if part.problem is not None:
                raise part.problem
            assert part.template is not None
            if logo is not None:
                logo.part = part.partname if part.kind != "property" else ""
            xml = part.template.render(values)
            if part.kind == "property":
                continue  # rendered only for its errors: documents carry senforms' fixed properties
            xml = _after_jinja(xml)
            damage = damage_in(xml)
            if damage:
                raise DamageError(f"{part_label(part.partname)}: {damage}")
            if part.kind == "body":
                filled[part.member] = self._main_text(xml)
            elif part.kind == "story":
                filled[part.member] = serialize_part_xml(parse_xml(xml.encode("utf-8")))
            else:
                filled[part.member] = xml.encode("utf-8")
        members, places = self._skeleton(frozenset(logo.used) if logo is not None else frozenset())
        members = list(members)
        for name, content in filled.items():
            members[places[name]] = compress(name, content)
        return write_package(members)

    def _main_text(self, xml: str) -> bytes:
        tree = DocxTemplate.fix_tables(None, xml)  # uses no state
        for number, element in enumerate(tree.xpath("//wp:docPr", namespaces=_WP_NS), start=_DOCX_IDS_START + 1):
            element.attrib["id"] = str(number)
        self._root.replace(self._body, tree)
        self._body = tree
        return serialize_part_xml(self._root)

    def _skeleton(self, logo_parts: frozenset[str]) -> tuple[list[Member], dict[str, int]]:
        """Every member of the package as python-docx saves the template (with the logo's picture
        and relationships when `logo_parts` used it), compressed once; and where each one is."""
        if logo_parts not in self._skeletons:
            document = Document(io.BytesIO(self._data))
            assert self._logo is not None or not logo_parts
            for partname in sorted(logo_parts):
                _add_logo(_part_named(document, partname), self._logo.path, self._logo.description)  # type: ignore[union-attr]
            saved = io.BytesIO()
            document.save(saved)
            members: list[Member] = []
            with zipfile.ZipFile(saved) as package:
                for info in package.infolist():
                    if info.filename == "docProps/core.xml":
                        members.append(self._core)
                    else:
                        members.append(compress(info.filename, package.read(info.filename)))
            self._skeletons[logo_parts] = (members, {member.name: n for n, member in enumerate(members)})
        return self._skeletons[logo_parts]


def _compiled(environment: Any, kind: str, partname: str, source: str, *, check: bool = True) -> _Part:
    """A part's patched source compiled, or the error filling it in would raise (in docxtpl's order:
    blocks crossing containers first, then a broken tag)."""
    part = _Part(partname.lstrip("/"), partname, kind)
    if check:
        mismatched = mismatched_blocks(source)
        if mismatched:
            part.problem = DamageError(mismatched[0].message)
            return part
        source = re.sub(r"<w:p([ >])", r"\n<w:p\1", source)  # as docxtpl's render_xml_part does
    try:
        part.template = environment.from_string(source)
    except TemplateError as exc:
        part.problem = exc
    return part


def _after_jinja(xml: str) -> str:
    """docxtpl's post-processing of a filled-in part (render_xml_part), skipping what cannot apply."""
    xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
    if "_" in xml:
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
    if any(character in xml for character in _LISTING):
        xml = DocxTemplate.resolve_listing(None, xml)  # uses no state
    return xml

