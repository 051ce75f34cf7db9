"""Value types that every input goes through: UK dates, UPNs, money and clean text.

Each raises a PydanticCustomError whose context carries a `fix`, so a reader can tell the user
exactly what to type instead.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

MAX_TEXT = 10_000  # a paste accident (a whole email thread in a notes cell) is caught, not printed

_MONTHS = {
    name.lower(): number
    for number, names in enumerate(
        [
            ("January", "Jan"), ("February", "Feb"), ("March", "Mar"), ("April", "Apr"),
            ("May", "May"), ("June", "Jun"), ("July", "Jul"), ("August", "Aug"),
            ("September", "Sep", "Sept"), ("October", "Oct"), ("November", "Nov"), ("December", "Dec"),
        ],
        start=1,
    )
    for name in names
}
_NUMERIC_DATE = re.compile(r"^(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})$")
_LONG_DATE = re.compile(r"^(?:[A-Za-z]+,?\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})$")
_ISO_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]00:00(?::00(?:\.0+)?)?$")


def _date_error(value: object, message: str, fix: str = "use dd/mm/yyyy, e.g. 03/03/2015") -> PydanticCustomError:
    return PydanticCustomError("uk_date", "'{value}' " + message, {"value": str(value), "fix": fix})


def _real_date(year: int, month: int, day: int, original: object) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise _date_error(original, "is not a real date") from None


def parse_uk_date(value: Any) -> dt.date | None:
    """A date from dd/mm/yyyy, yyyy-mm-dd, '3 March 2015' or a real date; never guessed in US order."""
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if not isinstance(value, str):
        raise _date_error(value, "is not a date")
    text = value.strip()
    if not text:
        return None
    if match := _ISO_DATETIME.match(text):
        text = match.group(1)
    if match := _NUMERIC_DATE.match(text):
        first, second, third = match.groups()
        if len(first) == 4:  # ISO yyyy-mm-dd
            return _real_date(int(first), int(second), int(third), value)
        if len(third) != 4:
            raise _date_error(value, "has a two-digit year", "write the year in full: dd/mm/yyyy")
        day, month = int(first), int(second)
        if month > 12 and day <= 12:
            raise _date_error(value, "looks like a US-style date (month first)", "UK order is day/month/year: dd/mm/yyyy")
        return _real_date(int(third), month, day, value)
    if match := _LONG_DATE.match(text):
        day_text, month_name, year = match.groups()
        long_month = _MONTHS.get(month_name.lower())
        if long_month is None:
            raise _date_error(value, "has a month senforms does not recognise", "write it as 3 March 2015 or 03/03/2015")
        return _real_date(int(year), long_month, int(day_text), value)
    raise _date_error(value, "is not a date senforms can read")


def parse_time(value: Any) -> dt.time | None:
    """A time from '15:30', '3:30pm', '10am' or a real time."""
    if value is None or isinstance(value, dt.time):
        return value
    if isinstance(value, dt.datetime):
        return value.time()
    text = str(value).strip().lower().replace(".", ":")
    if not text:
        return None
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?(?::\d{2})?\s*(am|pm)?", text)
    if match:
        hour, minute, meridiem = int(match.group(1)), int(match.group(2) or 0), match.group(3)
        if meridiem == "pm" and hour < 12:
            hour += 12
        if meridiem == "am" and hour == 12:
            hour = 0
        if hour < 24 and minute < 60:
            return dt.time(hour, minute)
    raise PydanticCustomError("uk_time", "'{value}' is not a time", {"value": str(value), "fix": "use 24-hour hh:mm, e.g. 15:30"})


# --- UPN (DfE Unique Pupil Number) -------------------------------------------------------------

UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: I, O and S are never used


def upn_check_letter(body: str) -> str:
    """The check letter for the 12 characters after it (digits, or 11 digits + a letter)."""
    total = 0
    for weight, char in enumerate(body, start=2):
        total += (UPN_ALPHABET.index(char) if char.isalpha() else int(char)) * weight
    return UPN_ALPHABET[total % 23]


def validate_upn(value: Any) -> str:
    """A 13-character UPN with a correct check letter (permanent or temporary form)."""
    if isinstance(value, (int, float)):
        raise PydanticCustomError(
            "upn", "UPN '{value}' was stored as a number", {"value": str(value), "fix": "format the column as Text"}
        )
    text = str(value).strip().upper()
    fix = "a UPN is 13 characters: a letter, then 12 digits (or 11 digits and a letter); copy it from the school information system"
    if not re.fullmatch(r"[A-Z]\d{11}[0-9A-Z]", text):
        raise PydanticCustomError("upn", "'{value}' is not a UPN", {"value": text, "fix": fix})
    if text[-1].isalpha() and text[-1] not in UPN_ALPHABET or text[0] not in UPN_ALPHABET:
        raise PydanticCustomError("upn", "'{value}' is not a UPN", {"value": text, "fix": fix})
    if upn_check_letter(text[1:]) != text[0]:
        raise PydanticCustomError(
            "upn", "UPN '{value}' has the wrong check letter", {"value": text, "fix": "check the UPN for a typing mistake"}
        )
    return text


# --- text --------------------------------------------------------------------------------------

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_DOCXTPL_MARKERS = re.compile(r"\{_[{%]|[}%]_\}")


def clean_text(value: Any) -> Any:
    """Normalise text for Word: NFC, one kind of line break, no characters Word's XML forbids.

    Refuses lone surrogates and docxtpl's reserved `{_{ … }_}` markers rather than silently
    altering them.
    """
    if not isinstance(value, str):
        return value
    if _SURROGATE.search(value):
        raise PydanticCustomError("text", "contains invalid text (a broken character)", {"fix": "retype the text"})
    if _DOCXTPL_MARKERS.search(value):
        raise PydanticCustomError(
            "text", "contains the reserved sequence '{_' or '_}'", {"fix": "remove the underscore next to the brace"}
        )
    text = value.replace("\r\n", "\n").replace("\r", "\n").replace("\a", "")
    text = _ILLEGAL_XML.sub(lambda m: "\n" if m.group() in "\x0b\x0c" else "", text)
    text = unicodedata.normalize("NFC", text).strip()
    if len(text) > MAX_TEXT:
        raise PydanticCustomError(
            "text", "is {length} characters long", {"length": f"{len(text):,}", "fix": f"keep it under {MAX_TEXT:,} characters"}
        )
    return text


def _empty_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def parse_money(value: Any) -> Any:
    """Pounds as a Decimal from 1250, '1,250.00' or '£1,250'."""
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(str(round(value, 2)))
    if isinstance(value, int):
        return Decimal(value)
    text = str(value).strip().replace("£", "").replace(",", "")
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise PydanticCustomError(
            "money", "'{value}' is not an amount of money", {"value": str(value), "fix": "type pounds as a number, e.g. 1250.00"}
        ) from None


def parse_bool(value: Any) -> Any:
    """Yes/No, Y/N, True/False, 1/0."""
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().lower()
    if text in {"yes", "y", "true", "1", "x", "✓"}:
        return True
    if text in {"no", "n", "false", "0", ""}:
        return False
    raise PydanticCustomError("yes_no", "'{value}' is not Yes or No", {"value": str(value), "fix": "type Yes or No"})


def parse_list(value: Any) -> Any:
    """A list from a cell holding items separated by ';' or new lines."""
    if isinstance(value, str):
        return [item.strip() for item in re.split(r"[;\n]", value) if item.strip()]
    return value


def parse_address(value: Any) -> Any:
    """Address lines, each cleaned like any other text; a line holding a line break becomes two,
    and lines left blank are dropped."""
    if not isinstance(value, list):
        return value
    lines: list[Any] = []
    for line in value:
        if isinstance(line, str):
            lines.extend(part.strip() for part in clean_text(line).split("\n") if part.strip())
        else:
            lines.append(line)
    return lines


UkDate = Annotated[dt.date, BeforeValidator(parse_uk_date)]
OptionalUkDate = Annotated[dt.date | None, BeforeValidator(parse_uk_date)]
OptionalTime = Annotated[dt.time | None, BeforeValidator(parse_time)]
Upn = Annotated[str, BeforeValidator(validate_upn)]
Text = Annotated[str, BeforeValidator(clean_text), Field(min_length=1)]
OptionalText = Annotated[str | None, BeforeValidator(clean_text), BeforeValidator(_empty_to_none)]
# Written out rather than left to pydantic, whose schema for Decimal changes between
# releases; the committed schema must not depend on which pydantic CI installs.
_MONEY_JSON_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "string", "pattern": r"^\s*£?\s*[0-9][0-9,]*(\.[0-9]{1,2})?\s*$"},
    ],
    "description": "Pounds, as a number or text such as '1250.00' or '£1,250'.",
}
Money = Annotated[
    Decimal,
    BeforeValidator(parse_money),
    Field(ge=0, max_digits=12, decimal_places=2),
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json"),
    WithJsonSchema(_MONEY_JSON_SCHEMA, mode="validation"),
]
OptionalMoney = Annotated[
    Decimal | None,
    BeforeValidator(parse_money),
    BeforeValidator(_empty_to_none),
    PlainSerializer(lambda d: None if d is None else f"{d:.2f}", return_type=str | None, when_used="json"),
    WithJsonSchema({"anyOf": [*_MONEY_JSON_SCHEMA["anyOf"], {"type": "null"}]}, mode="validation"),
]
YesNo = Annotated[bool, BeforeValidator(parse_bool)]
TextList = Annotated[list[Text], BeforeValidator(parse_list)]
Address = Annotated[list[str], BeforeValidator(parse_address)]


def _strip_str(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


Email = Annotated[
    str | None,
    BeforeValidator(_empty_to_none),
    BeforeValidator(_strip_str),
    AfterValidator(lambda v: _check_email(v)),
]


def _check_email(value: str | None) -> str | None:
    if value is None:
        return None
    if not re.fullmatch(r"[^@\s<>,;\"]+@[A-Za-z0-9](?:[A-Za-z0-9\-.]*[A-Za-z0-9])?\.[A-Za-z]{2,}", value):
        raise PydanticCustomError("email", "'{value}' is not an email address", {"value": value, "fix": "check the address"})
    return value


def _check_phone(value: Any) -> Any:
    if isinstance(value, (int, float)):
        raise PydanticCustomError(
            "phone",
            "phone number was stored as a number, so its leading zero is lost",
            {"fix": "format the column as Text and type the number again"},
        )
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d+(?:\.\d+)?[eE]\+?\d+", text):
            raise PydanticCustomError(
                "phone",
                "'{value}' is a phone number in scientific notation",
                {"value": text, "fix": "format the column as Text and type the number again"},
            )
        if text and not re.fullmatch(r"[+\d][\d\s()\-]{5,}(?:\s*(?:ext\.?|x)\s*\d+)?", text):
            raise PydanticCustomError("phone", "'{value}' is not a phone number", {"value": text, "fix": "use digits, e.g. 01632 960123"})
        return text or None
    return value


Phone = Annotated[str | None, BeforeValidator(_check_phone)]
