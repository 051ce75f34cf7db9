"""One printable Word document from many letters: each starts a new page (a front side with
duplex), numbers its own pages from 1 and keeps its own header and footer.

docxcompose appends bodies but not sections, headers or footers (its known limit), so this
module closes each letter's section itself, carrying that letter's header and footer parts over
under fresh part names, and restarts page numbering in every section.
"""

from __future__ import annotations

import copy
import io
from pathlib import Path

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docxcompose.composer import Composer

from senforms.documents.templating import normalise_docx
from senforms.errors import SenformsError
from senforms.outputs.atomic import write_atomic

_REFERENCE_TAGS = {qn("w:headerReference"): RT.HEADER, qn("w:footerReference"): RT.FOOTER}


def _rename(package, part, template: str) -> None:
    """Give a part (and the images it uses) names not yet taken in the target package."""
    taken = {p.partname for p in package.iter_parts()}
    number = 1
    while PackURI(template % number) in taken:
        number += 1
    part.partname = PackURI(template % number)
    for rel in list(part.rels.values()):
        if rel.is_external:
            continue
        target = rel.target_part
        if target.partname.startswith("/word/media/"):
            extension = target.partname.ext
            taken = {p.partname for p in package.iter_parts()} | {part.partname}
            number = 1
            while PackURI(f"/word/media/merged{number}.{extension}") in taken:
                number += 1
            target.partname = PackURI(f"/word/media/merged{number}.{extension}")


def _section_properties(master, source, duplex: bool, first: bool):
    """The source letter's section properties, its headers and footers re-related to the master."""
    sect_pr = copy.deepcopy(source.element.body.sectPr)
    for reference in list(sect_pr):
        rel_type = _REFERENCE_TAGS.get(reference.tag)
        if rel_type is None:
            continue
        part = source.part.related_parts[reference.get(qn("r:id"))]
        kind = "header" if rel_type == RT.HEADER else "footer"
        _rename(master.part.package, part, f"/word/{kind}%d.xml")
        reference.set(qn("r:id"), master.part.relate_to(part, rel_type))
    for old in sect_pr.findall(qn("w:pgNumType")) + sect_pr.findall(qn("w:type")):
        sect_pr.remove(old)
    numbering = OxmlElement("w:pgNumType")
    numbering.set(qn("w:start"), "1")
    _insert_in_order(sect_pr, numbering)
    if not first:
        break_type = OxmlElement("w:type")
        break_type.set(qn("w:val"), "oddPage" if duplex else "nextPage")
        sect_pr.insert(_after_references(sect_pr), break_type)
    return sect_pr


def _after_references(sect_pr) -> int:
    index = 0
    for position, child in enumerate(sect_pr):
        if child.tag in _REFERENCE_TAGS or child.tag in (qn("w:footnotePr"), qn("w:endnotePr")):
            index = position + 1
    return index


def _insert_in_order(sect_pr, numbering) -> None:
    # Schema order: … pgSz, pgMar, paperSrc, pgBorders, lnNumType, pgNumType, cols …
    for tag in ("w:cols", "w:formProt", "w:vAlign", "w:noEndnote", "w:titlePg", "w:textDirection", "w:bidi", "w:rtlGutter", "w:docGrid"):
        found = sect_pr.find(qn(tag))
        if found is not None:
            found.addprevious(numbering)
            return
    sect_pr.append(numbering)


def _close_section(master) -> None:
    """End the current last section with a section-break paragraph holding its properties."""
    body = master.element.body
    paragraph = OxmlElement("w:p")
    properties = OxmlElement("w:pPr")
    properties.append(copy.deepcopy(body.sectPr))
    paragraph.append(properties)
    body.sectPr.addprevious(paragraph)


def _section_page_totals(master) -> None:
    """'Page 2 of 3' must count the letter's pages, not the whole print run."""
    parts = [master.part] + [rel.target_part for rel in master.part.rels.values() if rel.reltype in (RT.HEADER, RT.FOOTER)]
    for part in parts:
        element = part.element if hasattr(part, "element") else None
        if element is None:
            continue
        for instr in element.iter(qn("w:instrText")):
            if instr.text and "NUMPAGES" in instr.text:
                instr.text = instr.text.replace("NUMPAGES", "SECTIONPAGES")
        for simple in element.iter(qn("w:fldSimple")):
            instruction = simple.get(qn("w:instr")) or ""
            if "NUMPAGES" in instruction:
                simple.set(qn("w:instr"), instruction.replace("NUMPAGES", "SECTIONPAGES"))


def merge_documents(paths: list[Path], out: Path, *, duplex: bool = False, overwrite: bool = False) -> Path:
    """Merge Word documents into one for printing; write it atomically to `out`."""
    if not paths:
        raise SenformsError("there is nothing to merge", fix="check that the render made at least one document")
    master = Document(str(paths[0]))
    master.element.body.sectPr.getparent().replace(master.element.body.sectPr, _section_properties(master, master, duplex, first=True))
    composer = Composer(master)
    for path in paths[1:]:
        source = Document(str(path))
        _close_section(master)
        composer.append(source)
        new_properties = _section_properties(master, source, duplex, first=False)
        body = master.element.body
        body.replace(body.sectPr, new_properties)
    _section_page_totals(master)
    properties = master.core_properties
    properties.title = "Merged for printing"
    buffer = io.BytesIO()
    composer.save(buffer)
    return write_atomic(out, normalise_docx(buffer.getvalue()), overwrite=overwrite)
