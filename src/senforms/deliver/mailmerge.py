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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lxml import etree

from senforms.deliver.merge_codes import (
    FILLED,
    MAIL_MERGE_KINDS,
    RECORD_MOVING,
    UNSUPPORTED,
    Lookup,
    MergeValue,
    Token,
    evaluate,
    kind_of,
    merge_field_name,
    record_lookup,
    tokens,
)
from senforms.errors import TemplateProblemError
from senforms.filetypes import zip_bomb
from senforms.outputs.atomic import atomic_path

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


R, RPR, T, BR, TAB, P = _w("r"), _w("rPr"), _w("t"), _w("br"), _w("tab"), _w("p")
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
# XML 1.0 forbids C0 controls (other than tab/newline/CR), lone surrogates and U+FFFE/FFFF.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class MergeReport:
    """Field names as written in the letter, in order of first appearance."""

    filled: list[str] = field(default_factory=list)
    unfilled: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # switches senforms does not use, each once


@dataclass(frozen=True)
class FieldUse:
    """One mail-merge field in a letter: its kind, its name (a MERGEFIELD's field name, else the
    kind) and where it is ("the body, paragraph 3")."""

    kind: str
    name: str
    where: str


@dataclass(frozen=True)
class LetterFields:
    """Every mail-merge field of a letter, and those senforms cannot fill for a set of field names."""

    fields: list[FieldUse]
    cannot_fill: list[FieldUse]  # an unknown MERGEFIELD name, or a kind senforms does not fill
    record_moving: list[FieldUse]  # NEXT, NEXTIF, SKIPIF: refused in one-letter-per-parent batches

    def describe(self, uses: list[FieldUse]) -> str:
        """«Teacher_Notes» (the body, paragraph 4); ASK (a header, paragraph 1)"""
        return "; ".join(f"{_shown(use)} ({use.where})" for use in uses)


def _shown(use: FieldUse) -> str:
    return f"«{use.name}»" if use.kind == "MERGEFIELD" else f"a {use.kind} field"


def field_key(name: str) -> str:
    """How field names are compared: case, spaces, underscores and punctuation ignored.

    «Parent_Name», "parent name" and "ParentName" are the same field.
    """
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", name).casefold())


def merge_fields(docx_path: Path | str) -> list[str]:
    """The names of every MERGEFIELD in the document (body, headers, footers, notes), each once."""
    return list(dict.fromkeys(use.name for use in letter_fields(docx_path).fields if use.kind == "MERGEFIELD"))


def is_mail_merge(docx_path: Path | str) -> bool:
    """The letter has mail-merge fields (MERGEFIELD, ADDRESSBLOCK, GREETINGLINE, IF on a field…)."""
    return bool(letter_fields(docx_path).fields)


def letter_fields(docx_path: Path | str, known: Callable[[str], bool] | None = None) -> LetterFields:
    """Every mail-merge field in the letter with its place, and (given `known`, which says whether a
    MERGEFIELD name has a value) the ones senforms cannot fill. Nothing is written."""
    package = _Package.read(Path(docx_path))
    uses: list[FieldUse] = []
    cannot: list[FieldUse] = []
    moving: list[FieldUse] = []
    for part_name, root in package.story_items():
        paragraphs = {p: i for i, p in enumerate(root.iter(P), start=1)}
        for node in _walk(_find_fields(root)):
            kind = node.kind
            if kind not in MAIL_MERGE_KINDS or (kind == "IF" and not _reads_the_record(node)):
                continue  # Word's own fields (PAGE, an IF on the page number) stay Word's
            name = merge_field_name(node.words) if kind == "MERGEFIELD" else kind
            use = FieldUse(kind, name, _where(part_name, paragraphs, node.anchor))
            uses.append(use)
            if kind in RECORD_MOVING:
                moving.append(use)
            elif kind in UNSUPPORTED or (kind == "MERGEFIELD" and known is not None and not (name and known(name))):
                cannot.append(use)
            elif kind == "IF" and _under_unfillable(node):
                cannot.append(use)
    return LetterFields(uses, cannot, moving)


def _where(part_name: str, paragraphs: dict[etree._Element, int], anchor: etree._Element | None) -> str:
    base = PurePosixPath(part_name).name
    story = ("the body" if base.startswith("document") else "a header" if base.startswith("header")
             else "a footer" if base.startswith("footer") else "the footnotes" if base.startswith("footnotes")
             else "the endnotes" if base.startswith("endnotes") else part_name)
    paragraph = next((a for a in anchor.iterancestors(P)), None) if anchor is not None else None
    return f"{story}, paragraph {paragraphs[paragraph]}" if paragraph is not None and paragraph in paragraphs else story


def _reads_the_record(node: _Node) -> bool:
    """An IF on a merge field (Mailings › Rules), not one on a PAGE or a bookmark."""
    return any(inner.kind in ("MERGEFIELD", "ADDRESSBLOCK", "GREETINGLINE") for inner in node.code_fields())


def _under_unfillable(node: _Node) -> bool:
    """An IF whose comparison reads a field senforms does not fill (a PAGE, an ASK): left for Word."""
    return any(child.kind not in FILLED for child in node.code_fields())


def fill_mail_merge(
    docx_path: Path | str,
    values: Mapping[str, str | MergeValue | None],
    out_path: Path | str,
    overwrite: bool = False,
) -> MergeReport:
    """Write a copy of the letter at `out_path` with every mail-merge field replaced by its text.

    Values are plain text (or MergeValue, for a date a ``\\@`` picture can format): control
    characters are stripped, a newline becomes a line break and a tab a tab. Names match case- and
    space-insensitively. ADDRESSBLOCK and GREETINGLINE read the values Title, FirstName, LastName,
    ParentName, Address and Postcode. A MERGEFIELD with no value (or None) is left showing «Name»
    and listed in `MergeReport.unfilled`; fields senforms does not fill (ASK, FILLIN…) are left as
    they are and listed too. A letter with NEXT, NEXTIF or SKIPIF is refused. The write is atomic
    and never replaces an existing file unless `overwrite`.
    """
    cleaned = {name: _clean_value(value) for name, value in values.items()}
    lookup = record_lookup(cleaned, field_key)

    package = _Package.read(Path(docx_path))
    filled: list[str] = []
    unfilled: list[str] = []
    notes: list[str] = []
    for part_name, root in package.story_items():
        roots = _find_fields(root)
        moving = [n for n in _walk(roots) if n.kind in RECORD_MOVING]
        if moving:
            what, fix = _record_moving_message(Path(docx_path).name, moving[0].kind)
            raise TemplateProblemError(what, fix=fix)
        changed = False
        part_filled: list[str] = []
        part_unfilled: list[str] = []
        for node in reversed(roots):
            changed = _fill(node, lookup, part_filled, part_unfilled, notes) or changed
        filled.extend(reversed(part_filled))  # filled last first (inner fields before outer ones)
        unfilled.extend(reversed(part_unfilled))
        if changed:
            package.changed(part_name)
    package.drop_mail_merge_link()
    package.write(Path(out_path), overwrite=overwrite)
    return MergeReport(filled=_unique(filled), unfilled=_unique(unfilled), notes=_unique(notes))


def _record_moving_message(letter: str, kind: str) -> tuple[str, str]:
    return (
        f"{letter} has a {kind} field, which moves a Word merge on to the next person's record: "
        "senforms makes one letter per parent, so that letter would carry another family's details",
        "remove the field (in Word: Mailings › Rules, the Next Record or Skip Record rule) and give the letter again",
    )


def record_moving_problem(letter: Path, fields: LetterFields) -> TemplateProblemError | None:
    """The refusal for a letter with NEXT, NEXTIF or SKIPIF, naming the field and where it is."""
    if not fields.record_moving:
        return None
    what, fix = _record_moving_message(letter.name, fields.record_moving[0].kind)
    return TemplateProblemError(f"{what} ({fields.describe(fields.record_moving)})", fix=fix)


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _clean_value(value: str | MergeValue | None) -> str | MergeValue | None:
    if value is None:
        return None
    if isinstance(value, MergeValue):
        return MergeValue(_clean(value.text), value.moment)
    return _clean(str(value))


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _ILLEGAL.sub("", text)


# ---------------------------------------------------------------------------------------------------
# The fields of one XML part, as a tree (a field's code can hold fields, as an IF holds a MERGEFIELD)


@dataclass(eq=False)
class _Node:
    simple: etree._Element | None = None
    begin: etree._Element | None = None
    separate: etree._Element | None = None
    end: etree._Element | None = None
    code: list[str | _Node] = field(default_factory=list)  # instruction text and fields nested in it
    result: list[_Node] = field(default_factory=list)  # fields inside the displayed result
    result_rpr: etree._Element | None = None
    words: list[Token] = field(default_factory=list)  # the code read without nested values (for its kind)

    @property
    def anchor(self) -> etree._Element | None:
        return self.simple if self.simple is not None else self.begin

    @property
    def kind(self) -> str:
        return kind_of(self.words)

    @property
    def in_code(self) -> bool:
        return self.simple is None and self.separate is None and self.end is None

    def code_fields(self) -> Iterator[_Node]:
        for piece in self.code:
            if isinstance(piece, _Node):
                yield piece
                yield from piece.code_fields()

    def read_code(self) -> None:
        self.words = tokens([(p, False) if isinstance(p, str) else ("\x00", True) for p in self.code])


def _find_fields(root: etree._Element) -> list[_Node]:
    """The outermost fields of a part, in document order, each with the fields inside it."""
    top: list[_Node] = []
    stack: list[_Node] = []  # open complex fields; a field whose separate has not come is in its code

    def attach(node: _Node) -> None:
        if not stack:
            top.append(node)
        elif stack[-1].separate is None:
            stack[-1].code.append(node)
        else:
            stack[-1].result.append(node)

    for el in root.iter(FLDSIMPLE, FLDCHAR, INSTR, T):
        if el.tag == FLDSIMPLE:
            node = _Node(simple=el, code=[el.get(INSTR_ATTR, "")])
            node.read_code()
            attach(node)
        elif el.tag == FLDCHAR:
            kind = el.get(FLDCHARTYPE)
            if kind == "begin":
                stack.append(_Node(begin=el))
            elif kind == "separate" and stack and stack[-1].separate is None:
                stack[-1].separate = el
                stack[-1].read_code()
            elif kind == "end" and stack:
                node = stack.pop()
                if node.separate is None:
                    node.read_code()
                node.end = el
                attach(node)
        elif el.tag == INSTR and stack and stack[-1].separate is None:
            stack[-1].code.append(el.text or "")
        elif el.tag == T and stack and stack[-1].separate is not None and stack[-1].result_rpr is None:
            parent = el.getparent()
            rpr = parent.find(RPR) if parent is not None else None
            stack[-1].result_rpr = rpr if rpr is not None else etree.Element(RPR)
    return top


def _walk(nodes: list[_Node]) -> Iterator[_Node]:
    """Every field, in document order, the ones inside a field's code and result too."""
    for node in nodes:
        yield node
        yield from _walk([p for p in node.code if isinstance(p, _Node)])
        yield from _walk(node.result)


def _evaluate(node: _Node, lookup: Lookup, missing: list[str], notes: list[str]) -> str | None:
    """What `node` prints, its nested fields evaluated first; None when senforms cannot fill it."""
    pieces: list[tuple[str, bool]] = []
    for piece in node.code:
        if isinstance(piece, str):
            pieces.append((piece, False))
            continue
        value = _evaluate(piece, lookup, missing, notes)
        if value is None:
            return None
        pieces.append((value, True))
    words = tokens(pieces)
    outcome = evaluate(words, lookup)
    notes.extend(outcome.notes)
    if outcome.text is None and node.kind == "MERGEFIELD":
        name = merge_field_name(words)
        missing.append(name)
        return f"«{name}»"  # shown, and listed, so nobody posts it unnoticed
    if outcome.text is None and node.kind in ("ADDRESSBLOCK", "GREETINGLINE"):
        missing.append(outcome.missing[0] if outcome.missing else node.kind)
        return f"«{outcome.missing[0] if outcome.missing else node.kind}»"
    return outcome.text


def _fill(node: _Node, lookup: Lookup, filled: list[str], unfilled: list[str], notes: list[str]) -> bool:
    """Replace `node` by its text when it is a mail-merge field senforms fills, else fill the fields
    in its result; True when the part changed."""
    if node.kind in FILLED and (node.kind != "IF" or _reads_the_record(node)):
        missing: list[str] = []
        text = _evaluate(node, lookup, missing, notes)
        names = _names(node)
        if text is not None and _replace(node, text):
            unfilled.extend(reversed(missing))
            filled.extend(reversed([n for n in names if n not in missing]))
            return True
        unfilled.extend(reversed(names))
        return False
    if node.kind in UNSUPPORTED:
        unfilled.append(node.kind)
        return False
    changed = False
    for child in reversed(node.result):
        changed = _fill(child, lookup, filled, unfilled, notes) or changed
    for inner in node.code_fields():  # a MERGEFIELD in a PAGE's or a HYPERLINK's code: left, listed
        if inner.kind == "MERGEFIELD":
            unfilled.append(merge_field_name(inner.words))
    return changed


def _names(node: _Node) -> list[str]:
    """The fields a field fills, in document order: a MERGEFIELD's name, ADDRESSBLOCK…"""
    names: list[str] = []
    for each in [node, *node.code_fields()]:
        if each.kind == "MERGEFIELD":
            names.append(merge_field_name(each.words))
        elif each.kind in ("ADDRESSBLOCK", "GREETINGLINE"):
            names.append({"ADDRESSBLOCK": "AddressBlock", "GREETINGLINE": "GreetingLine"}[each.kind])
    return [n for n in names if n]


def _replace(node: _Node, text: str) -> bool:
    if node.simple is not None:
        return _replace_simple(node.simple, text)
    return _replace_complex(node, text)


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


def _replace_complex(found: _Node, text: str) -> bool:
    if found.begin is None or found.end is None:  # not a complete complex field
        return False
    begin_run, end_run = found.begin.getparent(), found.end.getparent()
    if begin_run is None or end_run is None or begin_run.tag != R or end_run.tag != R:
        return False
    container, end_container = begin_run.getparent(), end_run.getparent()
    if container is None or end_container is None:
        return False
    if end_container is not container:
        # A result over several paragraphs (an ADDRESSBLOCK Word has previewed): the paragraphs
        # after the first are folded into it, so the field's text replaces the whole result.
        if not _fold_paragraphs(container, end_container):
            return False
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


def _fold_paragraphs(first: etree._Element, last: etree._Element) -> bool:
    """Move the runs of the paragraphs after `first` up to `last` into `first` and drop those
    paragraphs; False (nothing changed) unless both are paragraphs of one story or cell."""
    if first.tag != P or last.tag != P or first.getparent() is None or first.getparent() is not last.getparent():
        return False
    siblings: list[etree._Element] = []
    sibling = first.getnext()
    while sibling is not None and sibling is not last:
        if sibling.tag != P:
            return False
        siblings.append(sibling)
        sibling = sibling.getnext()
    if sibling is None:
        return False
    for paragraph in [*siblings, last]:
        for child in list(paragraph):
            if child.tag != _w("pPr"):
                first.append(child)
        paragraph.getparent().remove(paragraph)
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
