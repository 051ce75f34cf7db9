"""Hostile and awkward input files for the reliability tests (reliability.md §7.1), made by code.

Nothing binary is checked in: every test builds what it needs in its own tmp_path with these
functions, and `python -m tests.corpus.make OUTDIR` writes the whole corpus to a folder for
trying by hand (or for an atheris seed corpus).

Each function writes one file at the path it is given and returns that path. The number in
brackets after a section heading is the item in reliability.md §7.1 the files are for.
All people in these files are invented.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import struct
import sys
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
SAMPLE_XLSX = SAMPLES / "register.xlsx"
SAMPLE_JSON = SAMPLES / "register.json"
SAMPLE_CSV = SAMPLES / "mis-export" / "pupils.csv"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

# A UPN with a correct check letter that no sample pupil has.
SPARE_UPN = "B801200005001"


# --- editing the parts of an OOXML zip -------------------------------------------------------

def rewrite_parts(path: Path, edit: Callable[[str, bytes], bytes | None], extra: Iterable[tuple[str, bytes]] = ()) -> Path:
    """Rewrite a zip in place: `edit(name, data)` returns new bytes (or None to keep them)."""
    source = zipfile.ZipFile(path)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            changed = edit(info.filename, data)
            target.writestr(info, data if changed is None else changed)
        for name, data in extra:
            target.writestr(name, data)
    source.close()
    path.write_bytes(out.getvalue())
    return path


def excel_escaped(path: Path, marker: str, escaped: str) -> Path:
    """Replace `marker` in every XML part with raw OOXML text such as `_x000B_`.

    openpyxl refuses to write control characters, but Excel stores them (a Word soft return pasted
    into a cell, for instance) as `_xHHHH_` escapes; this makes such a file.
    """
    return rewrite_parts(path, lambda name, data: data.replace(marker.encode(), escaped.encode()) if name.endswith(".xml") else None)


def small_workbook(path: Path) -> Path:
    """A workbook with one nearly empty Pupils sheet: the base for hostile variants."""
    workbook = openpyxl.Workbook()
    workbook.active.title = "Pupils"
    workbook.active["A1"] = "UPN"
    workbook.save(path)
    return path


def column_of(sheet, header: str) -> int:
    """The column number of a heading on row 1."""
    return next(cell.column for cell in sheet[1] if cell.value == header)


def edited_sample(path: Path, edit: Callable[[openpyxl.Workbook], None]) -> Path:
    """The sample register workbook, changed by `edit` and saved by openpyxl."""
    workbook = openpyxl.load_workbook(SAMPLE_XLSX)
    edit(workbook)
    workbook.save(path)
    return path


def set_cells(path: Path, sheet: str, values: dict[tuple[int, str], object]) -> Path:
    """The sample workbook with {(row, heading): value} set on one sheet."""

    def edit(workbook: openpyxl.Workbook) -> None:
        ws = workbook[sheet]
        for (row, header), value in values.items():
            ws.cell(row, column_of(ws, header)).value = value

    return edited_sample(path, edit)


def sample_data() -> dict:
    return json.loads(SAMPLE_JSON.read_text(encoding="utf-8"))


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8", newline: str = "\r\n") -> Path:
    """Rows as a CSV file the way Excel writes one: quoted where needed, CRLF line ends."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=newline).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


# --- wrong types [28, 27] --------------------------------------------------------------------

def ole_file(path: Path) -> Path:
    """An OLE compound file header and nothing else: what every old .xls or encrypted .xlsx starts with."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[0x18:0x1C] = b"\x3e\x00\x03\x00"  # minor/major version 3
    header[0x1C:0x1E] = b"\xfe\xff"  # little-endian
    header[0x1E:0x20] = b"\x09\x00"  # 512-byte sectors
    path.write_bytes(bytes(header) + b"\xff" * 1024)
    return path


def old_xls(path: Path) -> Path:
    """A real (if empty) Excel 97–2003 workbook: an OLE file whose Workbook stream starts with BIFF8 BOF/EOF.

    Laid out by hand: header, one FAT sector, one directory sector, then the 4,096-byte stream
    (big enough to live in ordinary sectors, so no mini stream is needed).
    """
    endofchain, freesect, fatsect, nostream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF

    def record(kind: int, data: bytes = b"") -> bytes:
        return struct.pack("<HH", kind, len(data)) + data

    stream = (record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0x000100C1, 0x406)) + record(0x000A)).ljust(4096, b"\0")
    header = bytearray(512)
    struct.pack_into(
        "<8s16sHHHHH6sIIIIIIIII", header, 0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", bytes(16), 0x3E, 3, 0xFFFE, 9, 6, bytes(6),
        0, 1, 1, 0, 4096, endofchain, 0, endofchain, 0,
    )
    struct.pack_into("<109I", header, 76, 0, *[freesect] * 108)
    sectors = len(stream) // 512
    fat = [fatsect, endofchain, *range(3, 2 + sectors), endofchain]
    fat += [freesect] * (128 - len(fat))

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le") if name else b""
        return struct.pack("<64sHBBIII16sIQQIQ", encoded, len(encoded), kind, 1 if name else 0, nostream, nostream, child, bytes(16), 0, 0, 0, start, size)

    directory = entry("Root Entry", 5, 1, endofchain, 0) + entry("Workbook", 2, nostream, 2, len(stream)) + entry("", 0, nostream, 0, 0) * 2
    path.write_bytes(bytes(header) + struct.pack("<128I", *fat) + directory + stream)
    return path


def xlsb_file(path: Path) -> Path:
    """A zip laid out like an Excel binary workbook (.xlsb): xl/workbook.bin, no workbook.xml."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                         '<Override PartName="/xl/workbook.bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>')
        archive.writestr("xl/workbook.bin", b"\x83\x01\x00\x80\x01\x00" * 10)
        archive.writestr("xl/worksheets/sheet1.bin", b"\x81\x01\x00" * 10)
    return path


def csv_named_xlsx(path: Path) -> Path:
    shutil.copyfile(SAMPLE_CSV, path)
    return path


def docx_named_xlsx(path: Path) -> Path:
    from docx import Document

    Document().save(path)
    return path


def empty_file(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def damaged_xlsx(path: Path) -> Path:
    """The sample workbook with 100 bytes of one sheet's compressed data flipped (a bad disk or download)."""
    data = bytearray(SAMPLE_XLSX.read_bytes())
    with zipfile.ZipFile(SAMPLE_XLSX) as archive:
        info = next(i for i in archive.infolist() if i.filename.startswith("xl/worksheets/") and i.compress_size > 400)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 100
    data[start : start + 100] = bytes(b ^ 0xFF for b in data[start : start + 100])
    path.write_bytes(bytes(data))
    return path


def encrypted_xlsx(path: Path, password: str, source: Path = SAMPLE_XLSX) -> Path:
    """`source` encrypted as Excel's File › Protect › Encrypt with Password does (ECMA-376 agile)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    with open(source, "rb") as handle:
        out = io.BytesIO()
        OOXMLFile(handle).encrypt(password, out)
    path.write_bytes(out.getvalue())
    return path


# --- hostile workbooks [29] ------------------------------------------------------------------

def billion_laughs_xlsx(path: Path) -> Path:
    """A worksheet whose DTD expands one entity to 10⁹ copies of 'lol'."""
    small_workbook(path)
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE worksheet [{entities}]>'
        f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    return rewrite_parts(path, lambda name, data: sheet.encode() if name == "xl/worksheets/sheet1.xml" else None)


def _replace_sheet_streaming(path: Path, write_sheet: Callable[[io.BufferedIOBase], None]) -> Path:
    """`small_workbook` with its sheet part written in pieces by `write_sheet` (never all in memory)."""
    small_workbook(path)
    with zipfile.ZipFile(path) as source:
        parts = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in parts:
            if name == "xl/worksheets/sheet1.xml":
                with archive.open(name, "w", force_zip64=True) as member:
                    write_sheet(member)
            else:
                archive.writestr(name, data)
    return path


def zero_bomb_xlsx(path: Path, megabytes: int = 300) -> Path:
    """A workbook whose sheet part inflates to `megabytes` of zeros (about 300 kB on disk)."""
    chunk = b"\0" * (1024 * 1024)

    def write(member: io.BufferedIOBase) -> None:
        for _ in range(megabytes):
            member.write(chunk)

    return _replace_sheet_streaming(path, write)


def row_bomb_xlsx(path: Path, rows: int = 1_500_000) -> Path:
    """A sheet of `rows` small rows: modest on disk and in zip ratio, huge once openpyxl builds it."""

    def write(member: io.BufferedIOBase) -> None:
        member.write(f'<?xml version="1.0"?><worksheet xmlns="{MAIN_NS}"><sheetData>'.encode())
        step = 50_000
        for start in range(1, rows + 1, step):
            member.write(b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (r, r, r) for r in range(start, min(start + step, rows + 1))))
        member.write(b"</sheetData></worksheet>")

    return _replace_sheet_streaming(path, write)


def many_members_xlsx(path: Path, members: int = 10_000) -> Path:
    """A workbook padded with `members` tiny extra parts."""
    small_workbook(path)
    return rewrite_parts(path, lambda name, data: None, ((f"xl/media/pad{i}.bin", b"x") for i in range(members)))


# --- awkward workbooks [3, 15, 20–23] --------------------------------------------------------

CONTROL_MARKERS = {"QQVT": "_x000B_", "QQFF": "_x000C_", "QQNUL": "_x0000_", "QQESC": "_x001B_", "QQBEL": "_x0007_", "QQCR": "_x000D_"}


def control_characters_xlsx(path: Path) -> Path:
    """Pupils row 2: Strengths holding a soft return, form feed, NUL, ESC and BEL; Home address with CR LF.

    Written as Excel writes them (`_x000B_` …), which openpyxl reads back as literal text.
    """
    set_cells(path, "Pupils", {
        (2, "Strengths"): "KindQQVTcuriousQQFFandQQNUL funQQESC to be withQQBEL",
        (2, "Home address"): "11 Meadow RoadQQCR\nEastmere",
    })
    for marker, escaped in CONTROL_MARKERS.items():
        excel_escaped(path, marker, escaped)
    return path


def three_kinds_of_date_xlsx(path: Path) -> Path:
    """Admission date on Pupils rows 2–4 as a date cell, a bare serial number and text: all 13 April 2015."""

    def edit(workbook: openpyxl.Workbook) -> None:
        ws = workbook["Pupils"]
        column = column_of(ws, "Admission date")
        ws.cell(2, column).value = dt.datetime(2015, 4, 13)
        ws.cell(2, column).number_format = "dd/mm/yyyy"
        ws.cell(3, column).value = 42107  # 13 April 2015 in Excel's 1900 date system
        ws.cell(3, column).number_format = "General"
        ws.cell(4, column).value = "13/04/2015"

    return edited_sample(path, edit)


def hidden_sheet_and_rows_xlsx(path: Path) -> Path:
    """Pupils row 5 hidden, and a hidden sheet Leavers holding a pupil."""

    def edit(workbook: openpyxl.Workbook) -> None:
        workbook["Pupils"].row_dimensions[5].hidden = True
        leavers = workbook.create_sheet("Leavers")
        leavers.append(["UPN", "Legal forename", "Legal surname"])
        leavers.append([SPARE_UPN, "Tomasz", "Leaver"])
        leavers.sheet_state = "hidden"

    return edited_sample(path, edit)


def uncalculated_formulas_xlsx(path: Path) -> Path:
    """Pupils row 2: Attendance % and Class as formulas, saved by openpyxl, so with no results stored."""
    return set_cells(path, "Pupils", {(2, "Attendance %"): "=90+5", (2, "Class"): '=UPPER("willow")'})


def calculated_formulas_xlsx(path: Path) -> Path:
    """The same formulas with their results stored, as Excel or LibreOffice save them."""
    uncalculated_formulas_xlsx(path)
    results = {b"<f>90+5</f><v></v>": b"<f>90+5</f><v>95</v>", b'<f>UPPER("willow")</f><v></v>': b'<f>UPPER("willow")</f><v>WILLOW</v>'}

    def edit(name: str, data: bytes) -> bytes | None:
        if not name.startswith("xl/worksheets/"):
            return None
        for formula, calculated in results.items():
            data = data.replace(formula, calculated)
        # A cell holding text from a formula says so: t="str".
        return re.sub(rb'(<c r="H2")([^>]*>)(<f>UPPER)', rb'\1 t="str"\2\3', data)

    return rewrite_parts(path, edit)


def error_cells_xlsx(path: Path) -> Path:
    """Pupils row 2 Attendance % shows #N/A; row 3 Class shows #REF!."""
    return set_cells(path, "Pupils", {(2, "Attendance %"): "#N/A", (3, "Class"): "#REF!"})


def formatted_to_row_5000_xlsx(path: Path) -> Path:
    """The sample with borders and bold on empty Pupils cells down to row 5,000."""

    def edit(workbook: openpyxl.Workbook) -> None:
        ws = workbook["Pupils"]
        bold = openpyxl.styles.Font(bold=True)
        for row in range(ws.max_row + 1, 5001):
            ws.cell(row, 3).font = bold
            ws.cell(row, 5).number_format = "dd/mm/yyyy"

    return edited_sample(path, edit)


def pupil_after_a_gap_xlsx(path: Path, row: int = 3000) -> Path:
    """The last pupil moved from row 14 down to `row`, with formatted empty rows in between."""

    def edit(workbook: openpyxl.Workbook) -> None:
        ws = workbook["Pupils"]
        last = max(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value)
        for column in range(1, ws.max_column + 1):
            ws.cell(row, column).value = ws.cell(last, column).value
            ws.cell(row, column).number_format = ws.cell(last, column).number_format
            ws.cell(last, column).value = None
        for empty in range(last, row):
            ws.cell(empty, 3).font = openpyxl.styles.Font(bold=True)

    return edited_sample(path, edit)


# --- CSV exports [5, 16, 24, 26] -------------------------------------------------------------

CSV_HEADER = ["UPN", "Legal Surname", "Forename", "DOB", "NC Year", "SEN Status", "SEN Need 1", "Strengths"]
# Status N: a pupils-only CSV with a pupil on SEN support is refused (no parent with parental responsibility).
CSV_PUPIL = [SPARE_UPN, "O’Brien", "Renée", "03/04/2015", "3", "N", "SPLD", "Saves £5 a week for the café"]


def csv_in(path: Path, encoding: str) -> Path:
    """One pupil with ’ £ é in `encoding`: utf-8-sig (Excel's CSV UTF-8), cp1252, utf-16 (with BOM)
    or utf-16-le (no BOM)."""
    return write_csv(path, [CSV_HEADER, CSV_PUPIL], encoding)


def csv_windows_line_breaks(path: Path) -> Path:
    """A cell typed with Alt+Enter, exported on Windows: CR LF inside quotes, CR LF between rows."""
    return write_csv(path, [CSV_HEADER, [*CSV_PUPIL[:-1], "Line one\r\nLine two\r\nLine three"]])


def csv_us_dates(path: Path) -> Path:
    """A DOB column written month first: 03/04/2015 (really 4 March) beside 04/13/2015."""
    from senforms.model.values import upn_check_letter

    second = [upn_check_letter("801200005002") + "801200005002", "Nowak", "Łucja", "04/13/2015", "3", "K", "MLD", ""]
    return write_csv(path, [CSV_HEADER, CSV_PUPIL, second])


def csv_duplicate_headers(path: Path) -> Path:
    """Two columns that both mean Legal surname: csv.DictReader would keep the second silently."""
    return write_csv(path, [[*CSV_HEADER, "Surname"], [*CSV_PUPIL, "Smith"]])


def csv_ragged(path: Path) -> Path:
    """An unquoted £6,000 splits a row into one value more than the header."""
    path.write_text(",".join(CSV_HEADER) + "\r\n" + ",".join(CSV_PUPIL[:-1]) + ",£6,000\r\n", encoding="utf-8")
    return path


# --- JSON [6, 30] and registers of awkward text [1, 2, 7, 13, 40] ------------------------------

def json_lone_surrogate(path: Path) -> Path:
    """Valid JSON whose text decodes to a lone surrogate (\\ud800) in pupils[0].strengths."""
    data = sample_data()
    data["pupils"][0]["strengths"] = "PLACEHOLDER"
    path.write_text(json.dumps(data).replace("PLACEHOLDER", "Kind \\ud800 and curious"), encoding="utf-8")
    return path


def json_oversized(path: Path) -> Path:
    """A JSON file one byte over senforms' 50 MB cap (sparse: it takes no disk space)."""
    from senforms.inputs.jsonfile import MAX_JSON_BYTES

    with open(path, "wb") as handle:
        handle.write(b'{"pupils": [')
        handle.truncate(MAX_JSON_BYTES + 1)
    return path


def json_deeply_nested(path: Path, depth: int = 100_000) -> Path:
    path.write_text("[" * depth + "]" * depth, encoding="utf-8")
    return path


# Text that breaks naive Word templating: XML specials, an XML-injection attempt, Jinja, docxtpl.
AWKWARD_TEXT = {
    "legal_surname": "Smith & Jones <Unknown> a>b",
    "legal_forename": "{{ 7*7 }}",
    "preferred_name": "{% include 'x' %}",
    "strengths": "</w:t></w:r><w:r><w:t>INJECTED",
}

# Names from reliability.md §7.1 item 13: O'Brien, Irish, Polish, Arabic, Chinese, emoji and a
# decomposed (NFD) é that must come out composed.
NAMES = ["O'Brien", "Ní Bhriain", "Łukasz Żółć", "محمد العلي", "李雷", "Joy 😀", "Rene\u0301e"]


def awkward_text_register(path: Path) -> Path:
    """The sample register with pupils[0]'s names and strengths set to AWKWARD_TEXT."""
    data = sample_data()
    data["pupils"][0].update(AWKWARD_TEXT)
    return write_json(path, data)


def many_scripts_register(path: Path) -> Path:
    """The sample register with pupils[0..6] surnamed after NAMES."""
    data = sample_data()
    for pupil, name in zip(data["pupils"], NAMES):
        pupil["legal_surname"] = name
    return write_json(path, data)


# File-name hazards from reliability.md §7.1 item 40 (one surname per pupil).
FILE_NAME_HAZARDS = ["../../etc/x", "CON", "AUX.txt", "x.", "م" * 130, "Zo\u00eb", "Zoe\u0308", "Smith", "SMITH"]


def file_name_hazards_register(path: Path) -> Path:
    data = sample_data()
    for pupil, name in zip(data["pupils"], FILE_NAME_HAZARDS):
        pupil["legal_surname"] = name
    return write_json(path, data)


# --- evidence files [33, 36–38] --------------------------------------------------------------

def evidence_pdf(path: Path, tag: str = "EVIDENCE", pages: int = 1) -> Path:
    """A plain PDF whose page k says "<tag> page k"."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=True)
    for number in range(1, pages + 1):
        pdf.setFont("Helvetica", 14)
        pdf.drawString(72, 420, f"{tag} page {number}")
        pdf.showPage()
    pdf.save()
    return path


def truncated_pdf(path: Path, keep: float) -> Path:
    """A six-page PDF cut to the first `keep` fraction of its bytes (a download that stopped)."""
    evidence_pdf(path, "CUT", 6)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def circular_prev_pdf(path: Path) -> Path:
    """An incremental update whose trailer's /Prev points at itself (CVE-2026-27628's loop)."""
    evidence_pdf(path, "LOOP", 2)
    data = path.read_bytes()
    trailer = re.findall(rb"trailer\s*(<<.*?>>)\s*startxref", data, re.DOTALL)[-1]
    size = re.search(rb"/Size (\d+)", trailer).group(1)
    root = re.search(rb"/Root (\d+ \d+ R)", trailer).group(1)
    offset = str(len(data)).encode()
    update = (
        b"xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size " + size + b" /Root " + root + b" /Prev " + offset
        + b" >>\nstartxref\n" + offset + b"\n%%EOF\n"
    )
    path.write_bytes(data + update)
    return path


def cyclic_outline_pdf(path: Path) -> Path:
    """Two bookmarks whose /Next and /Prev point at each other in a loop (CVE-2026-24688)."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject

    evidence_pdf(path, "OUTLINE", 2)
    writer = PdfWriter(clone_from=path)
    first = writer.add_outline_item(title="First", page_number=0)
    second = writer.add_outline_item(title="Second", page_number=1)
    second.get_object()[NameObject("/Next")] = first
    first.get_object()[NameObject("/Prev")] = second
    writer.write(path)
    return path


def xfa_form_pdf(path: Path) -> Path:
    """A PDF with an XFA form carrying a script."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

    evidence_pdf(path, "FORM", 1)
    writer = PdfWriter(clone_from=path)
    xfa = DecodedStreamObject()
    xfa.set_data(b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template><script>app.alert("XFA-SCRIPT")</script></template></xdp:xdp>')
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject(), NameObject("/XFA"): writer._add_object(xfa)}
    )
    writer.write(path)
    return path


def heic_photo(path: Path) -> Path:
    """The start of an iPhone HEIC photo (ISO base media 'ftyp' box, brand heic)."""
    path.write_bytes(struct.pack(">I", 24) + b"ftypheic" + b"\0\0\0\0" + b"mif1heic" + b"\0" * 200)
    return path


CORPUS: dict[str, Callable[[Path], Path]] = {
    # wrong types
    "old-style.xls": old_xls,
    "ole-header-only.xlsx": ole_file,
    "binary.xlsb": xlsb_file,
    "csv-renamed.xlsx": csv_named_xlsx,
    "docx-renamed.xlsx": docx_named_xlsx,
    "empty.xlsx": empty_file,
    "damaged.xlsx": damaged_xlsx,
    "encrypted-password-is-s3cret.xlsx": lambda p: encrypted_xlsx(p, "s3cret"),
    # hostile workbooks
    "billion-laughs.xlsx": billion_laughs_xlsx,
    "zero-bomb-300mb.xlsx": zero_bomb_xlsx,
    "row-bomb-1.5m.xlsx": row_bomb_xlsx,
    "10000-members.xlsx": many_members_xlsx,
    # awkward workbooks
    "control-characters.xlsx": control_characters_xlsx,
    "three-kinds-of-date.xlsx": three_kinds_of_date_xlsx,
    "hidden-sheet-and-rows.xlsx": hidden_sheet_and_rows_xlsx,
    "uncalculated-formulas.xlsx": uncalculated_formulas_xlsx,
    "calculated-formulas.xlsx": calculated_formulas_xlsx,
    "error-cells.xlsx": error_cells_xlsx,
    "formatted-to-row-5000.xlsx": formatted_to_row_5000_xlsx,
    "pupil-after-a-gap.xlsx": pupil_after_a_gap_xlsx,
    # CSV
    "utf8-bom.csv": lambda p: csv_in(p, "utf-8-sig"),
    "windows-1252.csv": lambda p: csv_in(p, "cp1252"),
    "utf16.csv": lambda p: csv_in(p, "utf-16"),
    "utf16-no-bom.csv": lambda p: csv_in(p, "utf-16-le"),
    "windows-line-breaks.csv": csv_windows_line_breaks,
    "us-dates.csv": csv_us_dates,
    "duplicate-headers.csv": csv_duplicate_headers,
    "ragged.csv": csv_ragged,
    # JSON
    "lone-surrogate.json": json_lone_surrogate,
    "oversized.json": json_oversized,
    "deeply-nested.json": json_deeply_nested,
    "awkward-text.json": awkward_text_register,
    "many-scripts.json": many_scripts_register,
    "file-name-hazards.json": file_name_hazards_register,
    # evidence
    "truncated-99.pdf": lambda p: truncated_pdf(p, 0.99),
    "truncated-50.pdf": lambda p: truncated_pdf(p, 0.5),
    "circular-prev.pdf": circular_prev_pdf,
    "cyclic-outline.pdf": cyclic_outline_pdf,
    "xfa-form.pdf": xfa_form_pdf,
    "iphone-photo.heic": heic_photo,
}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.corpus.make OUTDIR", file=sys.stderr)
        return 2
    folder = Path(argv[0])
    folder.mkdir(parents=True, exist_ok=True)
    for name, make in CORPUS.items():
        print(make(folder / name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
