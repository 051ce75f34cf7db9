"""The fields of a form as frozen values: what `forms inspect` lists and what a map may fill."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

FormType = Literal["pdf", "docx"]

# The kinds a field may be; "cell" is an empty Word table cell beside a label, which a map may fill too.
KINDS = ("text", "multiline", "checkbox", "radio", "combo", "list", "date", "dropdown", "rich text", "cell")
TICKED = frozenset({"true", "yes", "y", "1", "x", "on", "ticked", "✓"})


@dataclass(frozen=True)
class Field:
    """One place a person could fill in a form. `name` is the key a map uses for it."""

    name: str
    kind: str
    label: str = ""
    source: str = ""  # where it comes from: "AcroForm", "content control (block)", "legacy FORMTEXT"…
    page: int | None = None  # PDF page, from 1
    max_length: int | None = None
    multiline: bool = False
    choices: tuple[str, ...] = ()  # what a radio group, list or drop-down allows (display text)
    on_value: str = ""  # a PDF checkbox's own "on" name (/Yes, /On, /Ja…)
    date_format: str = ""  # a Word date control's format, e.g. "dd/MM/yyyy"
    bound: bool = False  # a Word content control bound to a custom XML part
    read_only: bool = False

    @property
    def limits(self) -> str:
        """Its limits and choices in words, for a map's comment and the inspect listing."""
        parts = (
            self.max_length and f"at most {self.max_length} characters",
            self.multiline and "several lines",
            self.on_value and f"ticked value /{self.on_value}",
            self.choices and "one of: " + ", ".join(self.choices),
            self.date_format and f"date shown as {self.date_format}",
            self.bound and "bound to the form's data",
            self.read_only and "read-only",
        )
        return "; ".join(part for part in parts if part)


@dataclass(frozen=True)
class FormInventory:
    """Every field of a form, in page or document order, with the form's SHA-256."""

    path: Path
    form_type: FormType
    sha256: str
    fields: tuple[Field, ...] = field(default=())

    def get(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def as_json(self) -> dict[str, Any]:
        return {
            "form": self.path.name,
            "type": self.form_type,
            "sha256": self.sha256,
            "fields": [{k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(f).items()} for f in self.fields],
        }


def is_ticked(value: str) -> bool:
    """Whether a map value ticks a checkbox: true, Yes, 1, x (what the register's yes/no values print as)."""
    return value.strip().casefold() in TICKED
