"""A Word document's headings as a screen reader lists them, and the one rule for their order.

A screen reader's list of headings, Word's navigation pane and a tagged PDF's H1…H6 all come from
each paragraph's heading level: Word's built-in Heading N styles are level N, and any other
paragraph takes the outline level set on it or on its style (Paragraph › Outline level). The rule,
PDF/UA's (Matterhorn 14-002 and 14-003): the first heading is level 1, and going down no level is
skipped (a Heading 3 straight after a Heading 1 tells a listener a part is missing). It is written
once, here: `senforms templates check` warns a school by it, and the tests hold the shipped
templates and the PDFs made from them to it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
BODY_TEXT = 9  # w:outlineLvl 9 is Word's "Body Text": not a heading
_BUILT_IN = re.compile(r"heading ([1-9])")  # the w:name of Word's own heading styles, in every language
# A school's template is untrusted: no entities, no network, no huge trees.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _w(name: str) -> str:
    return f"{{{W}}}{name}"


@dataclasses.dataclass(frozen=True)
class OrderProblem:
    """One break of the rule. `kind` "none": there is no heading at all; "first": heading `index`
    (the first, 0) is at `level`, not 1; "skipped": heading `index` is at `level` straight after
    one at `before`, more than one level up."""

    kind: Literal["none", "first", "skipped"]
    index: int = -1
    level: int = 0
    before: int = 0


def order_problems(levels: Sequence[int]) -> list[OrderProblem]:
    """What is wrong with headings at these levels, in reading order (none when they keep the rule).
    Going back up any number of levels is fine: a Heading 1 after a Heading 3 starts a new part."""
    if not levels:
        return [OrderProblem("none")]
    problems = [] if levels[0] == 1 else [OrderProblem("first", 0, levels[0])]
    problems += [OrderProblem("skipped", n + 1, b, a) for n, (a, b) in enumerate(zip(levels, levels[1:])) if b > a + 1]
    return problems


def _outline(properties: Any) -> int | None:
    """The heading level a w:pPr's w:outlineLvl gives (1–9), 0 for Body Text, None when it sets none."""
    outline = properties.find(_w("outlineLvl")) if properties is not None else None
    value = outline.get(_w("val")) if outline is not None else None
    if value is None or not value.isdigit():
        return None
    return int(value) + 1 if int(value) < BODY_TEXT else 0


@dataclasses.dataclass(frozen=True)
class HeadingStyles:
    """A document's paragraph styles that make a heading: `levels` by style id, and which of them are
    Word's own "heading N" styles (Word fixes their level: a paragraph in one cannot change it)."""

    levels: Mapping[str, int] = dataclasses.field(default_factory=dict)
    built_in: frozenset[str] = frozenset()
    default: str = ""  # the style of a paragraph that names none (Normal)

    def level_of(self, paragraph: Any) -> int | None:
        """The heading level of a w:p (1–9), or None when it is not a heading: its style's, or an
        outline level set on the paragraph itself (0, Body Text, makes it no heading)."""
        properties = paragraph.find(_w("pPr"))
        style = properties.find(_w("pStyle")) if properties is not None else None
        style_id = (style.get(_w("val")) or "") if style is not None else self.default
        own = _outline(properties)
        if own is not None and style_id not in self.built_in:
            return own or None
        return self.levels.get(style_id)


def heading_styles(styles_xml: bytes | None) -> HeadingStyles:
    """The heading styles in a styles part (word/styles.xml): Word's "heading N" styles by their
    name, in every language Word is set to; any other paragraph style by its own outline level or
    that of the style it is based on."""
    if not styles_xml:
        return HeadingStyles()
    root = etree.fromstring(styles_xml, _PARSER)
    styles = {s.get(_w("styleId")) or "": s for s in root.iterfind(_w("style")) if s.get(_w("type"), "paragraph") == "paragraph"}

    def built_in(style: Any) -> int | None:
        name = style.find(_w("name"))
        match = _BUILT_IN.fullmatch((name.get(_w("val")) or "").lower()) if name is not None else None
        return int(match.group(1)) if match else None

    levels: dict[str, int] = {}
    for style_id in styles:
        seen: set[str] = set()
        current = style_id
        while current in styles and current not in seen:  # up the w:basedOn chain, never round a loop
            seen.add(current)
            level = built_in(styles[current])
            level = level if level is not None else _outline(styles[current].find(_w("pPr")))
            if level is not None:
                if level:
                    levels[style_id] = level
                break
            based = styles[current].find(_w("basedOn"))
            current = (based.get(_w("val")) or "") if based is not None else ""
    default = next((sid for sid, style in styles.items() if style.get(_w("default")) in ("1", "true")), "")
    return HeadingStyles(levels, frozenset(sid for sid, style in styles.items() if built_in(style) is not None), default)
