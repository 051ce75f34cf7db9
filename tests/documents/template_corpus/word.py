"""Build Word templates the way Word writes them, for the template-check tests and corpus.

Word stores a typed line as runs, each with its own formatting; autocorrect, spell-check and a
change of bold split a tag over several runs, and smart quotes turn " into “ ”. These helpers
write that XML directly (python-docx cannot make content controls or footnotes), into a copy of
a shipped template or into a blank document.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from docx import Document

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "templates" / "docx"
Run = str | tuple[str, str]  # text, or (text, run properties such as "<w:b/>")


def run(piece: Run) -> str:
    text, properties = (piece, "") if isinstance(piece, str) else piece
    rpr = f"<w:rPr>{properties}</w:rPr>" if properties else ""
    return f'<w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def para(*pieces: Run, style: str = "") -> str:
    """A paragraph of runs: para("Name: ", ("{{ pupil.", "<w:b/>"), "full_name }}")."""
    ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{ppr}{''.join(run(p) for p in pieces)}</w:p>"


def control(*content: str, level: str = "block") -> str:
    """A content control (w:sdt) around paragraphs, rows, cells or runs."""
    return f'<w:sdt><w:sdtPr><w:alias w:val="Field"/></w:sdtPr><w:sdtContent>{"".join(content)}</w:sdtContent></w:sdt>'


def cell(*content: str, properties: str = "") -> str:
    return f'<w:tc><w:tcPr><w:tcW w:w="2000" w:type="dxa"/>{properties}</w:tcPr>{"".join(content) or para()}</w:tc>'


def row(*cells: str) -> str:
    return f"<w:tr>{''.join(cells)}</w:tr>"


def table(*rows: str, columns: int = 2) -> str:
    grid = "".join('<w:gridCol w:w="2000"/>' for _ in range(columns))
    return f'<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>{"".join(rows)}</w:tbl>'


def blank() -> bytes:
    """An empty Word document, as python-docx's default template gives it."""
    buffer = io.BytesIO()
    document = Document()
    document.save(buffer)
    return buffer.getvalue()


def build(
    target: Path,
    body: list[str],
    *,
    source: Path | None = None,
    keep_body: bool = False,
    footnotes: list[str] | None = None,
    endnotes: list[str] | None = None,
    subject: str | None = None,
    header: list[str] | None = None,
    comments: list[str] | None = None,
) -> Path:
    """Write a template: `body` paragraphs (XML) replace the body of `source` (a blank document by
    default) or, with keep_body, go at its start; footnotes, endnotes, Word comments, a Subject
    property and a replacement first header can be added."""
    data = source.read_bytes() if source else blank()
    members = {}
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for info in package.infolist():
            members[info.filename] = package.read(info.filename)
    document = members["word/document.xml"].decode("utf-8")
    section = re.search(r"<w:sectPr[ >].*?</w:sectPr>", document, re.S)
    section_xml = section.group() if section else ""
    opening = re.search(r"<w:body>", document).end()
    if keep_body:
        document = document[:opening] + "".join(body) + document[opening:]
    else:
        document = document[:opening] + "".join(body) + section_xml + "</w:body></w:document>"
    members["word/document.xml"] = document.encode("utf-8")
    rels = members["word/_rels/document.xml.rels"].decode("utf-8")
    types = members["[Content_Types].xml"].decode("utf-8")
    for name, notes in (("footnotes", footnotes), ("endnotes", endnotes)):
        if notes is None:
            continue
        singular = name[:-1]
        separators = (f'<w:{singular} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{singular}>'
                      f'<w:{singular} w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:{singular}>')
        xml = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:{name} xmlns:w="{W}">{separators}'
        xml += "".join(f'<w:{singular} w:id="{n}">{p}</w:{singular}>' for n, p in enumerate(notes, start=1)) + f"</w:{name}>"
        members[f"word/{name}.xml"] = xml.encode("utf-8")
        rels = rels.replace("</Relationships>", f'<Relationship Id="rIdSen{name}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/{name}" Target="{name}.xml"/></Relationships>')
        types = types.replace("</Types>", f'<Override PartName="/word/{name}.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.{name}+xml"/></Types>')
    if comments is not None:
        xml = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:comments xmlns:w="{W}">'
        xml += "".join(f'<w:comment w:id="{n}" w:author="A teacher" w:initials="AT">{p}</w:comment>' for n, p in enumerate(comments)) + "</w:comments>"
        members["word/comments.xml"] = xml.encode("utf-8")
        rels = rels.replace("</Relationships>", '<Relationship Id="rIdSencomments" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments" Target="comments.xml"/></Relationships>')
        types = types.replace("</Types>", '<Override PartName="/word/comments.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"/></Types>')
    members["word/_rels/document.xml.rels"] = rels.encode("utf-8")
    members["[Content_Types].xml"] = types.encode("utf-8")
    if subject is not None:
        core = members["docProps/core.xml"].decode("utf-8")
        core = re.sub(r"<dc:subject>.*?</dc:subject>|<dc:subject/>", "", core)
        members["docProps/core.xml"] = core.replace("</cp:coreProperties>", f"<dc:subject>{escape(subject)}</dc:subject></cp:coreProperties>").encode("utf-8")
    if header is not None:
        name = "word/header1.xml"
        xml = members[name].decode("utf-8")
        start = re.search(r"<w:hdr[^>]*>", xml).end()
        members[name] = (xml[:start] + "".join(header) + "</w:hdr>").encode("utf-8")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in members.items():
            package.writestr(name, content)
    return target


def support_plan(target: Path, body: list[str], **options) -> Path:
    """A copy of the shipped support plan with `body` at the start of its main text."""
    return build(target, body, source=TEMPLATES / "support-plan.docx", keep_body=True, **options)
