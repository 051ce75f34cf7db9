"""Word mail-merge field codes, evaluated for one record: what a field prints.

The field kinds Word's Mailings ribbon writes into a letter:

* ``MERGEFIELD Name`` with ``\\b``/``\\f`` (text before/after a non-empty value), ``\\*`` Upper,
  Lower, Caps, FirstCap (and Ordinal) and ``\\@ "dddd d MMMM yyyy"`` date and time pictures;
* ``ADDRESSBLOCK`` and ``GREETINGLINE`` with their ``\\f`` formats (``<<_TITLE0_ >><<_LAST0_>>``),
  ``\\e`` (the country left off; the greeting's fallback), ``\\c`` and ``\\d``; ``\\l`` is ignored;
* ``IF left op right "true text" "false text"``, the comparison usually on a nested MERGEFIELD;
* ``NEXT``, ``NEXTIF`` and ``SKIPIF``, which change which record a letter is for: senforms makes
  one letter per parent, so these are refused by name (see `RECORD_MOVING`).

A nested field's value stands as one word in the code around it ("inert": its spaces, quotes and
backslashes are text, never syntax), which is how Word reads ``IF { MERGEFIELD Title } = "Dr"``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from senforms.ukformat import long_date, time_text

# Fields that move a one-per-record letter to another record: refused, never ignored, because a
# letter filled past a NEXT would carry a second family's details.
RECORD_MOVING = ("NEXT", "NEXTIF", "SKIPIF")
# Mail-merge fields senforms does not fill: listed by name, the letter keeps them as they are.
UNSUPPORTED = ("ASK", "FILLIN", "SET", "MERGEREC", "MERGESEQ", "DATABASE")
FILLED = ("MERGEFIELD", "ADDRESSBLOCK", "GREETINGLINE", "IF")
MAIL_MERGE_KINDS = FILLED + RECORD_MOVING + UNSUPPORTED


@dataclass(frozen=True)
class MergeValue:
    """A value for a merge field: its text, and the date or time it is, for a ``\\@`` picture."""

    text: str
    moment: dt.date | dt.datetime | None = None


@dataclass(frozen=True)
class Token:
    text: str
    quoted: bool = False
    switch: bool = False  # an unquoted word starting with a backslash: \b, \*, \@
    inert: bool = False  # wholly a nested field's value


@dataclass
class Outcome:
    """What a field prints; `missing` names merge fields with no value, `notes` switches ignored."""

    text: str | None  # None: senforms cannot fill this field
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


Lookup = Callable[[str], MergeValue | None]


def tokens(pieces: list[tuple[str, bool]]) -> list[Token]:
    """Split a field code, given as (text, inert) pieces, into words the way Word reads it."""
    chars = [(c, inert) for text, inert in pieces for c in text]
    out: list[Token] = []
    i, n = 0, len(chars)
    while i < n:
        c, inert = chars[i]
        if not inert and c.isspace():
            i += 1
            continue
        if not inert and c == '"':
            i += 1
            buf: list[str] = []
            while i < n:
                c, inert = chars[i]
                if not inert and c == "\\" and i + 1 < n and chars[i + 1][0] in '"\\':
                    buf.append(chars[i + 1][0])
                    i += 2
                    continue
                i += 1
                if not inert and c == '"':
                    break
                buf.append(c)
            out.append(Token("".join(buf), quoted=True))
            continue
        start, all_inert = i, True
        buf = []
        while i < n:
            c, inert = chars[i]
            if not inert and (c.isspace() or c == '"'):
                break
            all_inert = all_inert and inert
            buf.append(c)
            i += 1
        word = "".join(buf)
        out.append(Token(word, switch=not chars[start][1] and word.startswith("\\") and len(word) > 1, inert=all_inert))
    return out


def kind_of(words: list[Token]) -> str:
    return words[0].text.upper() if words and not words[0].quoted and not words[0].inert else ""


def merge_field_name(words: list[Token]) -> str:
    """The field name of a MERGEFIELD's words ('' when it has none)."""
    return words[1].text.strip() if len(words) > 1 and not words[1].switch else ""


def switches(words: list[Token]) -> tuple[dict[str, list[str]], list[Token]]:
    """The switches (``\\* Upper`` → {"*": ["Upper"]}) and the words that are not switches."""
    found: dict[str, list[str]] = {}
    plain: list[Token] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word.switch:
            key = word.text[1:].lower()
            # A switch with its argument glued on (\*Upper) is read as Word reads it.
            if len(key) > 1 and key[0] in "*@#":
                found.setdefault(key[0], []).append(word.text[2:])
            elif key in ("d", "c") and (index + 1 >= len(words) or words[index + 1].switch or not words[index + 1].text.isdigit()):
                found.setdefault(key, []).append("")  # \d takes no argument; \c may not
            elif index + 1 < len(words) and not words[index + 1].switch:
                found.setdefault(key, []).append(words[index + 1].text)
                index += 1
            else:
                found.setdefault(key, []).append("")
        else:
            plain.append(word)
        index += 1
    return found, plain


def evaluate(words: list[Token], lookup: Lookup) -> Outcome:
    """What the field whose code is `words` prints for the record `lookup` reads from."""
    kind = kind_of(words)
    found, plain = switches(words)
    if kind == "MERGEFIELD":
        return _merge_field(words, found, lookup)
    if kind == "ADDRESSBLOCK":
        return _address_block(found, lookup)
    if kind == "GREETINGLINE":
        return _greeting_line(found, lookup)
    if kind == "IF":
        return _if_field(plain[1:], found)
    return Outcome(None)


# ---------------------------------------------------------------------------------------------------
# MERGEFIELD and the general switches


def _merge_field(words: list[Token], found: dict[str, list[str]], lookup: Lookup) -> Outcome:
    name = merge_field_name(words)
    value = lookup(name) if name else None
    if value is None:
        return Outcome(None, missing=[name] if name else [])
    outcome = Outcome("")
    text = _formatted(value, found, outcome.notes, name)
    if text:
        text = f"{_first(found, 'b')}{text}{_first(found, 'f')}"
    outcome.text = text
    return outcome


def _first(found: dict[str, list[str]], key: str) -> str:
    return (found.get(key) or [""])[0]


def _formatted(value: MergeValue, found: dict[str, list[str]], notes: list[str], name: str) -> str:
    """A value after the \\@ picture (or \\# note) and then the \\* case switches, as Word applies them."""
    text = value.text
    if "@" in found and text:
        moment = value.moment or parse_uk_date(text)
        if moment is None:
            notes.append(f"«{name}» is not a date, so its \\@ picture was not used")
        else:
            text = format_picture(moment, found["@"][0])
    if "#" in found:
        notes.append(f"«{name}»: number pictures (\\#) are not used; the value is printed as it is")
    return apply_case(text, found.get("*", []), notes, name)


def apply_case(text: str, formats: list[str], notes: list[str] | None = None, name: str = "") -> str:
    for form in formats:
        key = form.lower()
        if key == "upper":
            text = text.upper()
        elif key == "lower":
            text = text.lower()
        elif key == "firstcap":
            text = re.sub(r"^\s*\w", lambda m: m.group(0).upper(), text, count=1)
        elif key == "caps":
            text = re.sub(r"\w+", lambda m: m.group(0)[:1].upper() + m.group(0)[1:].lower(), text)
        elif key == "ordinal":
            text = _ordinal(text)
        elif key not in ("mergeformat", "charformat", "") and notes is not None:
            notes.append(f"«{name}»: the \\* {form} switch is not used")
    return text


def _ordinal(text: str) -> str:
    if not text.strip().isdigit():
        return text
    number = int(text)
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


_UK_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_LONG_DATE = re.compile(r"^\s*(?:[A-Za-z]+,?\s+)?(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})\s*$")
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december"]


def parse_uk_date(text: str) -> dt.date | None:
    """03/12/2026 or 3 December 2026 (the UK way only); None when it is not one."""
    try:
        if m := _UK_DATE.match(text):
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if (m := _LONG_DATE.match(text)) and m.group(2).lower() in _MONTHS:
            return dt.date(int(m.group(3)), _MONTHS.index(m.group(2).lower()) + 1, int(m.group(1)))
    except ValueError:
        return None
    return None


_PICTURE = re.compile(r"'[^']*'|dddd|ddd|dd|d|MMMM|MMM|MM|M|yyyy|yy|HH|H|hh|h|mm|m|ss|s|am/pm|AM/PM|a/p|A/P", re.DOTALL)


def format_picture(moment: dt.date | dt.datetime, picture: str) -> str:
    """A date-time picture (Word's tokens: d dd ddd dddd M MM MMM MMMM yy yyyy H HH h hh m mm am/pm)."""
    at = moment if isinstance(moment, dt.datetime) else dt.datetime.combine(moment, dt.time())
    out: list[str] = []
    last = 0
    for m in _PICTURE.finditer(picture):
        out.append(picture[last:m.start()])
        last = m.end()
        token = m.group(0)
        twelve = at.hour % 12 or 12
        values = {
            "d": str(at.day), "dd": f"{at.day:02d}", "ddd": at.strftime("%a"), "dddd": at.strftime("%A"),
            "M": str(at.month), "MM": f"{at.month:02d}", "MMM": at.strftime("%b"), "MMMM": at.strftime("%B"),
            "yy": f"{at.year % 100:02d}", "yyyy": str(at.year),
            "H": str(at.hour), "HH": f"{at.hour:02d}", "h": str(twelve), "hh": f"{twelve:02d}",
            "m": str(at.minute), "mm": f"{at.minute:02d}", "s": str(at.second), "ss": f"{at.second:02d}",
            "am/pm": "am" if at.hour < 12 else "pm", "AM/PM": "AM" if at.hour < 12 else "PM",
            "a/p": "a" if at.hour < 12 else "p", "A/P": "A" if at.hour < 12 else "P",
        }
        out.append(token[1:-1] if token.startswith("'") else values[token])
    out.append(picture[last:])
    return "".join(out)


# ---------------------------------------------------------------------------------------------------
# ADDRESSBLOCK and GREETINGLINE

# The record's parts the formats' tokens read (names as in merge_values.MERGE_FIELDS).
_NAME_TOKENS = {"_TITLE0_": "Title", "_FIRST0_": "FirstName", "_NICK0_": "FirstName", "_LAST0_": "LastName"}
_GROUP = re.compile(r"<<(.*?)>>", re.DOTALL)
_TOKEN_IN_GROUP = re.compile(r"_[A-Z]+\d?_")
_LINE_BREAKS = re.compile(r"\r\n|\r|\n|\v")


def _text_of(lookup: Lookup, name: str) -> str:
    value = lookup(name)
    return value.text.strip() if value is not None else ""


def fill_format(form: str, value_of: Callable[[str], str]) -> tuple[str, bool]:
    """A Word ADDRESSBLOCK/GREETINGLINE format with its ``<<…>>`` groups filled; a group whose token
    has no value goes whole (its spaces, comma and line break with it). Also: whether any name
    other than a title was filled (a title alone is not a name)."""
    out: list[str] = []
    person = False
    last = 0
    for m in _GROUP.finditer(form):
        out.append(form[last:m.start()])
        last = m.end()
        inner = m.group(1)
        token = _TOKEN_IN_GROUP.search(inner)
        if token is None:
            out.append(inner)
            continue
        if token.group(0) in ("_BEFORE_", "_AFTER_"):  # the greeting's own words; one space separates
            out.append(re.sub(r"^ ", "", inner[token.end():]))
            continue
        value = value_of(token.group(0))
        if not value:
            continue
        person = person or not token.group(0).startswith("_TITLE")
        out.append(inner[:token.start()] + value + inner[token.end():])
    out.append(form[last:])
    return "".join(out), person


def _address_parts(lookup: Lookup) -> dict[str, str]:
    """The record's address as Word's tokens: street lines, town, postcode (UK addresses are held as lines)."""
    lines = [line.strip() for line in _LINE_BREAKS.split(_text_of(lookup, "Address")) if line.strip()]
    postcode = _text_of(lookup, "Postcode")
    if postcode and lines and lines[-1].replace(" ", "").upper() == postcode.replace(" ", "").upper():
        lines = lines[:-1]
    town = lines.pop() if len(lines) > 1 else ""
    return {
        "_STREET1_": lines[0] if lines else "",
        "_STREET2_": "\n".join(lines[1:]),
        "_CITY_": town,
        "_POSTAL_": postcode,
        "_STATE_": "",
        "_COUNTRY_": "",  # UK letters to UK addresses: Word leaves the home country off (\e)
        "_COMPANY_": "",
        "_SUFFIX0_": "",
        "_MIDDLE0_": "",
    }


def _address_block(found: dict[str, list[str]], lookup: Lookup) -> Outcome:
    outcome = Outcome("")
    name = _text_of(lookup, "ParentName")
    address = [line.strip() for line in _LINE_BREAKS.split(_text_of(lookup, "Address")) if line.strip()]
    form = _first(found, "f")
    if not form or "d" in found:
        # No format, or \d (lay the address out as its country does): the UK way, the name and then
        # each line of the address as held, the postcode on a line of its own.
        lines = [name, *address] if name or address else []
        if form and "d" in found and not re.search(r"_(TITLE|FIRST|LAST|NICK)0_", form):
            lines = address  # the format leaves the recipient's name out
    else:
        parts = _address_parts(lookup)
        values = {**parts, **{token: _text_of(lookup, key) for token, key in _NAME_TOKENS.items()}}
        text, _ = fill_format(form, lambda token: values.get(token, ""))
        lines = [line.rstrip() for line in _LINE_BREAKS.split(text) if line.strip()]
    for key in found:
        if key not in ("f", "e", "c", "d", "l"):
            outcome.notes.append(f"ADDRESSBLOCK: the \\{key} switch is not used")
    if not lines:
        return Outcome(None, missing=["AddressBlock"])
    outcome.text = "\n".join(re.sub(r" {2,}", " ", line).strip() for line in lines)
    return outcome


_DEFAULT_GREETING = "<<_BEFORE_ Dear >><<_TITLE0_ >><<_LAST0_>><<_AFTER_ ,>>"


def _greeting_line(found: dict[str, list[str]], lookup: Lookup) -> Outcome:
    """"Dear Mrs Okafor," from the \\f format; the \\e fallback when the record has no name for it.

    A title-and-surname greeting for someone with no title (a young person writing for themselves)
    uses their full name, as senforms's own letters do, rather than "Dear Okafor,".
    """
    form = _first(found, "f") or _DEFAULT_GREETING
    values = {token: _text_of(lookup, key) for token, key in _NAME_TOKENS.items()}
    if not values["_TITLE0_"] and "_TITLE0_" in form and "_FIRST0_" not in form and "_NICK0_" not in form:
        form = form.replace("_LAST0_", "_FIRST0_>><< _LAST0_")
    text, person = fill_format(form, lambda token: values.get(token, ""))
    outcome = Outcome("")
    for key in found:
        if key not in ("f", "e", "l"):
            outcome.notes.append(f"GREETINGLINE: the \\{key} switch is not used")
    if not person:
        fallback = _first(found, "e")
        if not fallback:
            return Outcome(None, missing=["GreetingLine"])
        outcome.text = fallback
        return outcome
    outcome.text = re.sub(r"\s+([,:;.!?])$", r"\1", re.sub(r"\s{2,}", " ", text)).strip()
    return outcome


# ---------------------------------------------------------------------------------------------------
# IF

_OPERATORS = ("<>", "<=", ">=", "=", "<", ">")


def _split_operators(words: list[Token]) -> list[Token]:
    """An operator glued to a word (``x="Yes"`` is rare, ``="Yes"`` less so) becomes its own word."""
    out: list[Token] = []
    for word in words:
        if word.quoted or word.inert or word.text in _OPERATORS:
            out.append(word)
            continue
        rest = word.text
        while rest:
            op = next((o for o in _OPERATORS if rest.startswith(o)), None)
            if op:
                out.append(Token(op))
                rest = rest[len(op):]
                continue
            at = min((rest.find(o) for o in _OPERATORS if o in rest), default=-1)
            if at < 0:
                out.append(Token(rest))
                break
            out.append(Token(rest[:at]))
            rest = rest[at:]
    return out


def compare(left: str, op: str, right: str) -> bool:
    """As Word's IF compares: numbers as numbers, text as text (case counts), ``*``/``?`` wildcards for = and <>."""
    try:
        a, b = float(left), float(right)
        numeric = bool(left.strip() and right.strip())
    except ValueError:
        numeric = False
    if numeric:
        return {"=": a == b, "<>": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
    if op in ("=", "<>") and re.search(r"[*?]", right):
        pattern = "^" + re.escape(right).replace(r"\*", ".*").replace(r"\?", ".") + "$"
        same = re.match(pattern, left, re.DOTALL) is not None
        return same if op == "=" else not same
    return {"=": left == right, "<>": left != right, "<": left < right, ">": left > right,
            "<=": left <= right, ">=": left >= right}[op]


def _if_field(words: list[Token], found: dict[str, list[str]]) -> Outcome:
    words = _split_operators(words)
    outcome = Outcome("")
    if len(words) >= 3 and not words[1].quoted and words[1].text in _OPERATORS:
        chosen = compare(words[0].text, words[1].text, words[2].text)
        texts = words[3:5]
    elif words:  # IF value "true" "false": true unless empty or 0
        chosen = words[0].text.strip() not in ("", "0")
        texts = words[1:3]
    else:
        return Outcome(None)
    pick = texts[0] if chosen and texts else texts[1] if not chosen and len(texts) > 1 else None
    outcome.text = apply_case(pick.text if pick else "", found.get("*", []), outcome.notes, "IF")
    return outcome


def record_lookup(values: Mapping[str, str | MergeValue | None], key: Callable[[str], str]) -> Lookup:
    """A lookup over merge values, field names compared by `key`; plain strings become MergeValues."""
    table: dict[str, MergeValue | None] = {}
    for name, value in values.items():
        folded = key(name)
        made = value if isinstance(value, MergeValue) or value is None else MergeValue(str(value))
        if folded in table and table[folded] != made:
            raise ValueError(f"merge values {name!r} and another name both mean the field {folded!r}")
        table[folded] = made
    return lambda name: table.get(key(name))


def date_value(day: dt.date | None) -> MergeValue:
    return MergeValue(long_date(day), day) if day else MergeValue("")


def time_value(day: dt.date, at: dt.time | None) -> MergeValue:
    return MergeValue(time_text(at), dt.datetime.combine(day, at)) if at else MergeValue("")
