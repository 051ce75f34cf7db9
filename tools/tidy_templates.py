"""Tidy Word templates after editing them in Word: fixed document properties, no unused styles.

Run: python tools/tidy_templates.py templates/docx/*.docx

Word stamps your name, the time and a revision number into a file each time you save it.
senforms' rendered documents must carry no personal data and be byte-identical run to run, and
they inherit these properties from the template, so the committed templates carry exactly what
`senforms.documents.templating.set_fixed_properties` sets (tests/documents/test_template_files.py checks this).
This rewrites docProps/core.xml with those values, keeping each template's title, drops the
styles the template never uses (`senforms.documents.template_styles`: they slow every PDF), and
gives the zip members a fixed time; nothing else in the file changes.
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from senforms.documents.template_styles import drop_unused_styles  # noqa: E402
from senforms.documents.templating import fixed_core_xml, normalise_docx  # noqa: E402

SUBJECT = "senforms template"
COMMENTS = "A senforms template: see docs/templates.md before editing."
CORE = "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}coreProperties"


def core_xml(title: str) -> bytes:
    return fixed_core_xml(title, subject=SUBJECT, comments=COMMENTS)


def fix(path: Path) -> bool:
    """Rewrite `path` in place; True when it changed."""
    from lxml import etree

    data = path.read_bytes()
    source = zipfile.ZipFile(io.BytesIO(data))
    root = etree.fromstring(source.read("docProps/core.xml"))
    assert root.tag == CORE, f"{path}: docProps/core.xml is not a core properties part"
    title = root.findtext("{http://purl.org/dc/elements/1.1/}title") or path.stem
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = core_xml(title) if info.filename == "docProps/core.xml" else source.read(info.filename)
            target.writestr(info.filename, content)
    fixed = normalise_docx(drop_unused_styles(out.getvalue()))
    if fixed == data:
        return False
    path.write_bytes(fixed)
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("templates", nargs="+", type=Path, help="the .docx files to fix")
    args = parser.parse_args(argv)
    for path in args.templates:
        print(f"{'fixed' if fix(path) else 'already right'}: {path}")


if __name__ == "__main__":
    main()
