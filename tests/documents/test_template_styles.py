"""Templates define only the styles they use (each unused definition slows every PDF LibreOffice makes)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from senforms.documents.catalogue import KINDS
from senforms.documents.template_styles import drop_unused_styles, unused_styles

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "docx"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WORD_OWN = (  # as Word and python-docx write them: a built-in style nobody uses, its linked character half, and the latent list
    f'<w:style xmlns:w="{W}" w:type="paragraph" w:styleId="IntenseQuote"><w:name w:val="Intense Quote"/>'
    '<w:basedOn w:val="Normal"/><w:link w:val="IntenseQuoteChar"/></w:style>',
    f'<w:style xmlns:w="{W}" w:type="character" w:customStyle="1" w:styleId="IntenseQuoteChar"><w:name w:val="Intense Quote Char"/>'
    '<w:link w:val="IntenseQuote"/></w:style>',
    f'<w:latentStyles xmlns:w="{W}" w:defQFormat="0"><w:lsdException w:name="Normal" w:qFormat="1"/></w:latentStyles>',
)


def _style_ids(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        root = etree.fromstring(package.read("word/styles.xml"))
    return [s.get(f"{{{W}}}styleId") for s in root.iterfind(f"{{{W}}}style")]


def _with_styles(template: Path, *extra: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "word/styles.xml":
                root = etree.fromstring(content)
                for xml in extra:
                    root.append(etree.fromstring(xml))
                content = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            target.writestr(info, content)
    return out.getvalue()


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_shipped_template_defines_only_styles_it_uses(kind):
    data = (TEMPLATES / f"{kind}.docx").read_bytes()
    assert unused_styles(data) == []
    ids = _style_ids(data)
    assert {"Normal", "Heading1", "Heading2", "TableText", "Marking"} <= set(ids)  # defaults, house headings, house styles
    assert len(ids) < 45  # python-docx's blank document defines 177


def test_word_s_unused_styles_are_found_and_dropped_and_nothing_used_goes():
    template = TEMPLATES / "support-plan.docx"
    bloated = _with_styles(template, *WORD_OWN)
    assert unused_styles(bloated) == ["IntenseQuote", "IntenseQuoteChar", "latentStyles"]

    tidy = drop_unused_styles(bloated)
    assert _style_ids(tidy) == _style_ids(template.read_bytes())
    assert b"latentStyles" not in zipfile.ZipFile(io.BytesIO(tidy)).read("word/styles.xml")
    with zipfile.ZipFile(io.BytesIO(tidy)) as after, zipfile.ZipFile(template) as before:
        assert after.namelist() == before.namelist()
        assert all(after.read(n) == before.read(n) for n in before.namelist() if n != "word/styles.xml")


def test_a_style_used_only_through_another_is_kept():
    """Used → based on → linked: every style in the chain stays, even a built-in one."""
    template = TEMPLATES / "support-plan.docx"
    chain = (
        f'<w:style xmlns:w="{W}" w:type="paragraph" w:styleId="Quote"><w:name w:val="Quote"/><w:basedOn w:val="BodyText"/></w:style>',
        f'<w:style xmlns:w="{W}" w:type="paragraph" w:styleId="BodyText"><w:name w:val="Body Text"/><w:link w:val="BodyTextChar"/></w:style>',
        f'<w:style xmlns:w="{W}" w:type="character" w:customStyle="1" w:styleId="BodyTextChar"><w:name w:val="Body Text Char"/>'
        '<w:link w:val="BodyText"/></w:style>',
    )
    bloated = _with_styles(template, *chain)
    assert {"Quote", "BodyText", "BodyTextChar"} <= set(unused_styles(bloated))
    with zipfile.ZipFile(io.BytesIO(bloated)) as package:
        document = package.read("word/document.xml").replace(b'w:pStyle w:val="Lead"', b'w:pStyle w:val="Quote"', 1)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(bloated)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, document if info.filename == "word/document.xml" else source.read(info.filename))
    kept = _style_ids(drop_unused_styles(out.getvalue()))
    assert {"Quote", "BodyText", "BodyTextChar"} <= set(kept)
