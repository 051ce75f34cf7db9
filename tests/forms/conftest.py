"""Shared helpers for the LA-form tests: a register with awkward names and long views, and PDF readers."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject

from ..conftest import AS_OF, SAMPLES

# Names and notes with markup, template syntax, quotes and Latin-extended letters; trimmed, single-spaced.
AWKWARD = st.text(alphabet=st.sampled_from(list("abcXYZ &<>\"'{}%#ŁżółćíéÑØßœ-.,/\\")), min_size=1, max_size=60).filter(lambda s: s.strip() == s and "  " not in s)
LONG_VIEWS = " ".join(f"Sentence {n} of what I think about school, my friends and the things that help me learn." for n in range(1, 80)) + " The very last words."


@pytest.fixture
def awkward_register(tmp_path: Path):
    """The sample register with a Polish and an Irish name and one pupil's views far too long for a box."""
    from senforms.inputs import load_register

    data = json.loads((SAMPLES / "register.json").read_text(encoding="utf-8"))
    requesting = [p for p in data["pupils"] if p["upn"] in ("Z881999919001", "N881999919002")]
    requesting[0]["legal_forename"], requesting[0]["legal_surname"] = "Łukasz", "Żółć"
    requesting[0]["pupil_views"] = LONG_VIEWS
    requesting[1]["legal_forename"], requesting[1]["legal_surname"] = "Siobhán", "Ní Bhriain"
    requesting[1]["strengths"] = "Loves {{ 7*7 }} puzzles & <drawing>"
    path = tmp_path / "register.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return load_register(path, as_of=AS_OF).register


def pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def appearance_text(annotation: DictionaryObject) -> str:
    """The text a widget's normal appearance stream draws, read back through its font's ToUnicode map."""
    writer = PdfWriter()
    page = writer.add_blank_page(600, 800)
    stream = annotation["/AP"]["/N"].get_object()
    reference = writer._add_object(stream.clone(writer))
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): DictionaryObject({NameObject("/Fm0"): reference})})
    from pypdf.generic import DecodedStreamObject

    content = DecodedStreamObject()
    content.set_data(b"q /Fm0 Do Q")
    page[NameObject("/Contents")] = writer._add_object(content)
    buffer = io.BytesIO()
    writer.write(buffer)
    return PdfReader(buffer).pages[0].extract_text()


def widgets_by_name(data: bytes) -> dict[str, list[DictionaryObject]]:
    from senforms.forms.pdf_inspect import widgets

    found: dict[str, list[DictionaryObject]] = {}
    for widget in widgets(PdfReader(io.BytesIO(data))):
        found.setdefault(widget.name, []).append(widget.annotation)
    return found
