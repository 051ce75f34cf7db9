"""Fill the MERGEFIELDs of a Word mail-merge letter with plain text, without Word.

Both field forms are handled, in the body, headers, footers, footnotes and endnotes:

* simple: ``<w:fldSimple w:instr=" MERGEFIELD Parent_Name ">…result runs…</w:fldSimple>``
* complex: runs holding ``fldChar begin`` · ``instrText`` (often split over several runs) ·
  ``fldChar separate`` · result runs · ``fldChar end``.

Each field, code and all, becomes a plain run of text (keeping the formatting of its displayed result),
so Word has nothing left to re-merge; a field with no value becomes the text «Name» and is reported.
The mail-merge data-source link is removed from the settings, so Word does not ask for the data file.
"""

from __future__ import annotations

import copy
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lxml import etree

from senforms.errors import TemplateProblemError
from senforms.filetypes import zip_bomb
from senforms.outputs.atomic import atomic_path

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


R, RPR, T, BR, TAB = _w("r"), _w("rPr"), _w("t"), _w("br"), _w("tab")
FLDSIMPLE, FLDCHAR, INSTR = _w("fldSimple"), _w("fldChar"), _w("instrText")
FLDCHARTYPE, INSTR_ATTR = _w("fldCharType"), _w("instr")
# Zero-width markers that may sit among a field's runs; they are kept, everything else there goes.
_MARKERS = {_w(t) for t in ("bookmarkStart", "bookmarkEnd", "commentRangeStart", "commentRangeEnd",
                            "permStart", "permEnd")}

# Parts whose text can hold fields, by content type (WordprocessingML main, header, footer, notes;
# .docx, .docm, .dotx and .dotm all share these suffixes).
_STORY_TYPES = (".main+xml", ".header+xml", ".footer+xml", ".footnotes+xml", ".endnotes+xml")
_SETTINGS_TYPE = "wordprocessingml.settings+xml"
_MAIL_MERGE_RELS = ("/mailMergeSource", "/mailMergeHeaderSource", "/recipientData")

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')
# XML 1.0 forbids C0 controls (other than tab/newline/CR), lone surrogates and U+FFFE/FFFF.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class MergeReport:
    """Field names as written in the letter, in order of first appearance."""

    filled: list[str] = field(default_factory=list)
    unfilled: list[str] = field(default_factory=list)


def field_key(name: str) -> str:
    """How field names are compared: case, spaces, underscores and punctuation ignored.

    «Parent_Name», "parent name" and "ParentName" are the same field.
    """
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", name).casefold())


def merge_fields(docx_path: Path | str) -> list[str]:
    """The names of every MERGEFIELD in the document (body, headers, footers, notes), each once."""
    package = _Package.read(Path(docx_path))
    names: list[str] = []
    for root in package.stories():
        for found in _find_fields(root):
            if found.name not in names:
                names.append(found.name)
    return names


def fill_mail_merge(
    docx_path: Path | str, values: Mapping[str, str], out_path: Path | str, overwrite: bool = False
) -> MergeReport:
    """Write a copy of the letter at `out_path` with every MERGEFIELD replaced by its value.

    Values are plain text: control characters are stripped, a newline becomes a line break and a tab
    a tab. Names match case- and space-insensitively. A field with no value (or None) is left
    showing «Name» and listed in `MergeReport.unfilled`. The write is atomic and never replaces an
    existing file unless `overwrite`.
    """
    lookup: dict[str, str | None] = {}
    for name, value in values.items():
        key = field_key(name)
        text = None if value is None else _clean(str(value))
        if key in lookup and lookup[key] != text:
            raise ValueError(f"merge values {name!r} and another name both mean the field {key!r}")
        lookup[key] = text

    package = _Package.read(Path(docx_path))
    filled: list[str] = []
    unfilled: list[str] = []
    for part_name, root in package.story_items():
        fields = _find_fields(root)
        outcomes: list[tuple[str, bool]] = []
        for found in reversed(fields):  # last first, so inner fields go before the fields around them
            replacement = lookup.get(field_key(found.name))
            if not found.fillable:
                outcomes.append((found.name, False))
            elif replacement is None:
                found.replace(f"«{found.name}»", placeholder=True)
                outcomes.append((found.name, False))
            else:
                outcomes.append((found.name, found.replace(replacement)))
        for name, done in reversed(outcomes):
            (filled if done else unfilled).append(name)
        if fields:
            package.changed(part_name)
    package.drop_mail_merge_link()
    package.write(Path(out_path), overwrite=overwrite)
    return MergeReport(filled=_unique_in_order(filled), unfilled=_unique_in_order(unfilled))


def _unique_in_order(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _ILLEGAL.sub("", text)


# ---------------------------------------------------------------------------------------------------
# Field instructions


@dataclass
class _Instruction:
    name: str
    before: str = ""  # \b: text put before a non-empty value
    after: str = ""  # \f: text put after a non-empty value
    case: str = ""  # \* Upper | Lower | FirstCap | Caps

    def apply(self, value: str, *, placeholder: bool) -> str:
        if placeholder or not value:
            return value
        if self.case == "upper":
            value = value.upper()
        elif self.case == "lower":
            value = value.lower()
        elif self.case == "firstcap":
            value = value[:1].upper() + value[1:]
        elif self.case == "caps":
            value = " ".join(word[:1].upper() + word[1:] for word in value.split(" "))
        return f"{self.before}{value}{self.after}"


def _parse_instruction(text: str) -> _Instruction | None:
    """`MERGEFIELD "Parent Name" \\b "Dear " \\* MERGEFORMAT` → name and switches.

    None when the code is not a MERGEFIELD.
    """
    tokens = [(m.group(1) if m.group(1) is not None else m.group(2), m.group(1) is not None)
              for m in _TOKEN.finditer(text or "")]
    if len(tokens) < 2 or tokens[0][1] or tokens[0][0].upper() != "MERGEFIELD":
        return None
    name = tokens[1][0].replace('\\"', '"').strip()
    if not name:
        return None
    instruction = _Instruction(name)
    rest = iter(tokens[2:])
    for token, quoted in rest:
        if quoted or not token.startswith("\\"):
            continue
        switch = token[1:].lower()
        if switch in ("b", "f", "*", "@", "#"):
            argument = next(rest, ("", False))[0].replace('\\"', '"')
            if switch == "b":
                instruction.before = _clean(argument)
            elif switch == "f":
                instruction.after = _clean(argument)
            elif switch == "*" and argument.lower() in ("upper", "lower", "firstcap", "caps"):
                instruction.case = argument.lower()
    return instruction


# ---------------------------------------------------------------------------------------------------
# Finding and replacing fields in one XML part


@dataclass
class _Field:
    """One MERGEFIELD found in a part, simple or complex, and how to replace it with text."""

    instruction: _Instruction
    simple: etree._Element | None = None
    begin: etree._Element | None = None
    separate: etree._Element | None = None
    end: etree._Element | None = None
    code: list[str] = field(default_factory=list)
    result_rpr: etree._Element | None = None
    inside_code: bool = False  # nested in another field's code (e.g. an IF): left alone

    @property
    def name(self) -> str:
        return self.instruction.name

    @property
    def fillable(self) -> bool:
        return not self.inside_code and (self.simple is not None or self.end is not None)

    def replace(self, value: str, *, placeholder: bool = False) -> bool:
        """Put `value` (after the field's switches) in place of the field; False if it cannot."""
        text = self.instruction.apply(value, placeholder=placeholder)
        if self.simple is not None:
            return _replace_simple(self.simple, text)
        return _replace_complex(self, text)


def _find_fields(root: etree._Element) -> list[_Field]:
    """Every MERGEFIELD in document order (by where each starts)."""
    found: list[_Field] = []
    stack: list[_Field] = []  # open complex fields of any kind; only MERGEFIELDs end up in `found`
    for el in root.iter(FLDSIMPLE, FLDCHAR, INSTR, T):
        if el.tag == FLDSIMPLE:
            instruction = _parse_instruction(el.get(INSTR_ATTR, ""))
            if instruction:
                found.append(_Field(instruction, simple=el, inside_code=_in_code(stack)))
        elif el.tag == FLDCHAR:
            kind = el.get(FLDCHARTYPE)
            if kind == "begin":
                frame = _Field(_Instruction(""), begin=el, inside_code=_in_code(stack))
                stack.append(frame)
            elif kind == "separate" and stack:
                _close_code(stack[-1], found)
                stack[-1].separate = el
            elif kind == "end" and stack:
                frame = stack.pop()
                if frame.separate is None:
                    _close_code(frame, found)
                frame.end = el
        elif el.tag == INSTR and stack and stack[-1].separate is None:
            stack[-1].code.append(el.text or "")
        elif el.tag == T and stack and stack[-1].separate is not None and stack[-1].result_rpr is None:
            rpr = el.getparent().find(RPR) if el.getparent() is not None else None
            stack[-1].result_rpr = rpr if rpr is not None else etree.Element(RPR)
    return _in_document_order(root, found)


def _in_code(stack: list[_Field]) -> bool:
    return any(frame.separate is None for frame in stack)


def _close_code(frame: _Field, found: list[_Field]) -> None:
    """The field's code is complete: if it is a MERGEFIELD, record it."""
    instruction = _parse_instruction("".join(frame.code))
    if instruction and not frame.instruction.name:
        frame.instruction = instruction
        found.append(frame)


def _in_document_order(root: etree._Element, fields: list[_Field]) -> list[_Field]:
    position = {el: i for i, el in enumerate(root.iter(FLDSIMPLE, FLDCHAR))}
    return sorted(fields, key=lambda f: position.get(f.simple if f.simple is not None else f.begin, 0))


def _make_run(rpr: etree._Element | None, text: str) -> etree._Element:
    """A w:r with a copy of `rpr` holding `text`; newlines become w:br and tabs w:tab."""
    run = etree.Element(R)
    if rpr is not None and len(rpr) + len(rpr.attrib):
        run.append(copy.deepcopy(rpr))
    for number, line in enumerate(text.split("\n")):
        if number:
            etree.SubElement(run, BR)
        for index, piece in enumerate(line.split("\t")):
            if index:
                etree.SubElement(run, TAB)
            if piece:
                t = etree.SubElement(run, T)
                t.text = piece
                t.set(XML_SPACE, "preserve")
    return run


def _replace_simple(element: etree._Element, text: str) -> bool:
    parent = element.getparent()
    if parent is None:
        return False
    runs_with_text = [t.getparent() for t in element.iter(T)]
    first = runs_with_text[0] if runs_with_text else element.find(R)
    parent.replace(element, _make_run(first.find(RPR) if first is not None else None, text))
    return True


def _replace_complex(found: _Field, text: str) -> bool:
    if found.begin is None or found.end is None:  # not a complete complex field
        return False
    begin_run, end_run = found.begin.getparent(), found.end.getparent()
    if begin_run is None or end_run is None or begin_run.tag != R or end_run.tag != R:
        return False
    container = begin_run.getparent()
    if container is None or end_run.getparent() is not container:
        return False  # a field spanning paragraphs: leave it rather than guess
    between: list[etree._Element] = []
    if begin_run is not end_run:
        sibling = begin_run.getnext()
        while sibling is not None and sibling is not end_run:
            between.append(sibling)
            sibling = sibling.getnext()
        if sibling is None:
            return False
    pre = [c for c in _children_before(begin_run, found.begin) if c.tag != RPR]
    post = list(_children_after(end_run, found.end))

    new: list[etree._Element] = []
    if pre:
        new.append(_run_like(begin_run, pre))
    new.append(_make_run(found.result_rpr if found.result_rpr is not None else begin_run.find(RPR), text))
    new.extend(el for el in between if el.tag in _MARKERS)
    if post:
        new.append(_run_like(end_run, post))
    index = container.index(begin_run)
    for el in [begin_run, *between, end_run] if begin_run is not end_run else [begin_run]:
        container.remove(el)
    for offset, el in enumerate(new):
        container.insert(index + offset, el)
    return True


def _children_before(run: etree._Element, stop: etree._Element) -> Iterator[etree._Element]:
    for child in run:
        if child is stop:
            return
        yield child


def _children_after(run: etree._Element, start: etree._Element) -> Iterator[etree._Element]:
    seen = False
    for child in run:
        if seen:
            yield child
        seen = seen or child is start


def _run_like(run: etree._Element, children: list[etree._Element]) -> etree._Element:
    """A new run with `run`'s formatting holding `children` (moved, not copied)."""
    new = etree.Element(R, attrib=dict(run.attrib))
    rpr = run.find(RPR)
    if rpr is not None:
        new.append(copy.deepcopy(rpr))
    for child in children:
        new.append(child)
    return new


# ---------------------------------------------------------------------------------------------------
# The .docx package


class _Package:
    """A .docx read into memory: its members, in order, and the parsed parts we change."""

    def __init__(self, path: Path, infos: list[zipfile.ZipInfo], data: dict[str, bytes]) -> None:
        self.path = path
        self.infos = infos
        self.data = data
        self.parsed: dict[str, etree._Element] = {}
        self.dirty: set[str] = set()
        self.story_names, self.settings_names = self._classify()

    @classmethod
    def read(cls, path: Path) -> _Package:
        try:
            with path.open("rb") as handle:
                head = handle.read(8)
        except OSError as exc:
            raise TemplateProblemError(f"{path.name}: cannot be opened ({exc.strerror})") from None
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise TemplateProblemError(
                f"{path.name} is password-protected or an old-style .doc file",
                fix="open it in Word and save it as a .docx without a password",
            )
        try:
            with zipfile.ZipFile(path) as archive:
                infos = archive.infolist()
                if zip_bomb(infos):
                    raise TemplateProblemError(f"{path.name} is too large or too compressed to be a letter")
                data = {i.filename: archive.read(i) for i in infos}
        except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError):
            raise TemplateProblemError(
                f"{path.name} is not a Word .docx file", fix="save the letter from Word as a .docx"
            ) from None
        if "[Content_Types].xml" not in data:
            raise TemplateProblemError(f"{path.name} is not a Word .docx file (no content types)")
        return cls(path, infos, data)

    def _parse(self, name: str) -> etree._Element:
        if name not in self.parsed:
            raw = self.data[name]
            if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
                raise TemplateProblemError(
                    f"{self.path.name}: part {name} contains a DTD, which Word never writes"
                )
            try:
                self.parsed[name] = etree.fromstring(raw, _PARSER)
            except etree.XMLSyntaxError:
                raise TemplateProblemError(f"{self.path.name}: part {name} is damaged XML") from None
        return self.parsed[name]

    def _classify(self) -> tuple[list[str], list[str]]:
        types = self._parse("[Content_Types].xml")
        stories, settings = [], []
        for override in types.iter(f"{{{_CT_NS}}}Override"):
            name = override.get("PartName", "").lstrip("/")
            content_type = override.get("ContentType", "")
            if name not in self.data or "wordprocessingml" not in content_type:
                continue
            if content_type.endswith(_STORY_TYPES):
                stories.append(name)
            elif content_type.endswith(_SETTINGS_TYPE):
                settings.append(name)
        # The main document first, then headers, footers and notes in name order.
        stories.sort(key=lambda n: (not n.endswith("document.xml"), n))
        if not stories:
            raise TemplateProblemError(f"{self.path.name} has no Word document inside")
        return stories, settings

    def stories(self) -> Iterator[etree._Element]:
        for name in self.story_names:
            yield self._parse(name)

    def story_items(self) -> Iterator[tuple[str, etree._Element]]:
        for name in self.story_names:
            yield name, self._parse(name)

    def changed(self, name: str) -> None:
        self.dirty.add(name)

    def drop_mail_merge_link(self) -> None:
        """Remove <w:mailMerge> and its data-source relationships (they can name the school's files)."""
        for name in self.settings_names:
            root = self._parse(name)
            for element in root.findall(_w("mailMerge")):
                root.remove(element)
                self.dirty.add(name)
            rels_name = str(PurePosixPath(name).parent / "_rels" / (PurePosixPath(name).name + ".rels"))
            if rels_name in self.data:
                rels = self._parse(rels_name)
                for rel in list(rels.iter(f"{{{_REL_NS}}}Relationship")):
                    if rel.get("Type", "").endswith(_MAIL_MERGE_RELS):
                        rels.remove(rel)
                        self.dirty.add(rels_name)

    def write(self, out_path: Path, *, overwrite: bool) -> None:
        with atomic_path(out_path, overwrite=overwrite, suffix=".docx") as temp:
            with zipfile.ZipFile(temp, "w") as archive:
                for info in self.infos:
                    if info.filename in self.dirty:
                        root = self.parsed[info.filename]
                        body = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
                    else:
                        body = self.data[info.filename]
                    out_info = copy.copy(info)
                    out_info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(out_info, body)
