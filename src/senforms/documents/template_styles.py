"""Styles a Word template defines but never uses, and a copy of the template without them.

python-docx's blank document, from which the shipped templates began, defines 177 styles and the
list of Word's 276 built-in ones (`w:latentStyles`); a template uses about 25. LibreOffice reads
every definition for every document it turns into a PDF, which was a third of each PDF's time
(`benchmarks/bench_register.py`: 0.078 s a document with them, 0.051 s without). Word knows its
built-in styles without a definition and adds one when a style is first applied, so dropping the
unused ones changes nothing a school sees. Kept: every style the template's parts name, the
defaults, Heading 1 and 2, the school's and senforms' own (custom) styles, and whatever those are based on, linked
to or followed by.
"""

from __future__ import annotations

import io
import zipfile

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
STYLES_PART = "word/styles.xml"
# Elements whose w:val names a style, in any part (settings.xml names the default table style).
REFERENCES = ("pStyle", "rStyle", "tblStyle", "numStyleLink", "styleLink", "clickAndTypeStyle", "defaultTableStyle")
CHAINS = ("basedOn", "link", "next")  # a kept style keeps these
# docs/templates.md asks for these headings: a school that adds one in Word gets the house style.
HEADINGS = {"Heading1", "Heading2"}
_NAMED = " | ".join(f".//w:{name}/@w:val" for name in REFERENCES)
_CHAINED = " | ".join(f"w:{name}/@w:val" for name in CHAINS)


def _attribute(element: etree._Element, name: str) -> str:
    return element.get(f"{{{W}}}{name}") or ""


def _own_style(style: etree._Element) -> bool:
    """A house style, not Word's: custom, and not the character half Word pairs with a paragraph style."""
    return _attribute(style, "customStyle") == "1" and style.find(f"{{{W}}}link") is None


def _named_styles(root: etree._Element) -> set[str]:
    return {str(value) for value in root.xpath(_NAMED, namespaces={"w": W})}


def _kept_style_ids(parts: dict[str, bytes]) -> tuple[etree._Element, set[str]]:
    """The parsed styles part and the ids of the styles it must keep."""
    styles = etree.fromstring(parts[STYLES_PART])
    keep: set[str] = set(HEADINGS)
    for name, data in parts.items():
        if name != STYLES_PART and name.startswith("word/") and name.endswith(".xml"):
            keep |= _named_styles(etree.fromstring(data))
    defined = {_attribute(style, "styleId"): style for style in styles.iterfind(f"{{{W}}}style")}
    keep |= {sid for sid, style in defined.items() if _attribute(style, "default") == "1" or _own_style(style)}
    waiting = list(keep)
    while waiting:
        style = defined.get(waiting.pop())
        if style is None:
            continue
        for sid in {str(v) for v in style.xpath(_CHAINED, namespaces={"w": W})} | _named_styles(style):
            if sid not in keep:
                keep.add(sid)
                waiting.append(sid)
    return styles, keep


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {info.filename: package.read(info.filename) for info in package.infolist()}


def unused_styles(data: bytes) -> list[str]:
    """Ids of the styles the .docx in `data` defines and never uses, with "latentStyles" when it lists Word's own."""
    parts = _parts(data)
    if STYLES_PART not in parts:
        return []
    styles, keep = _kept_style_ids(parts)
    unused = [_attribute(s, "styleId") for s in styles.iterfind(f"{{{W}}}style") if _attribute(s, "styleId") not in keep]
    return unused + (["latentStyles"] if styles.find(f"{{{W}}}latentStyles") is not None else [])


def drop_unused_styles(data: bytes) -> bytes:
    """The .docx in `data` without the styles it never uses (every other member as it was)."""
    parts = _parts(data)
    if STYLES_PART not in parts:
        return data
    styles, keep = _kept_style_ids(parts)
    for style in list(styles.iterfind(f"{{{W}}}style")):
        if _attribute(style, "styleId") not in keep:
            styles.remove(style)
    for latent in styles.findall(f"{{{W}}}latentStyles"):
        styles.remove(latent)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == STYLES_PART:
                content = etree.tostring(styles, xml_declaration=True, encoding="UTF-8", standalone=True)
            target.writestr(info, content)
    return out.getvalue()
