"""Generate the fictional local authorities' forms in samples/la-forms/ and their maps.

- wyvernshire-ehcna-request.pdf: a fillable PDF made with reportlab's AcroForm (text, multiline,
  checkbox, radio and combo fields), as an LA's forms team might publish it.
- eastmere-ehcna-request.docx: a Word form with content controls (plain and rich text, date,
  checkbox, drop-down, one bound to a custom XML part) and legacy fields, written with lxml the
  way Word writes them, under forms protection.
- a .toml map for each, from `forms map` with the values a SENCo would settle on.

Every authority, school and person here is invented. Run: python tools/make_la_forms.py
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from lxml import etree  # noqa: E402

from senforms.documents.templating import normalise_docx  # noqa: E402
from senforms.forms.inventory import inspect_form  # noqa: E402
from senforms.forms.mapping import map_text  # noqa: E402
from senforms.model.codes import NeedCode  # noqa: E402

OUT = ROOT / "samples" / "la-forms"
PDF_FORM = OUT / "wyvernshire-ehcna-request.pdf"
WORD_FORM = OUT / "eastmere-ehcna-request.docx"
AREAS = ("Communication and interaction", "Cognition and learning", "Social, emotional and mental health", "Sensory and/or physical")

# What the SENCo settles on after `forms map` (the rest keep the suggested value).
PDF_VALUES = {
    "child_forename": "{{ pupil.legal_forename }}",
    "child_surname": "{{ pupil.legal_surname }}",
    "area_of_need": "{{ pupil.broad_areas[0] }}",
    "parents_agree": "{{ parents_agree|yes_no }}",
    "date_completed": "{{ document_date|short_date }}",
    "cycles": "{{ completed_cycles }}",
}
WORD_VALUES = {
    "primary_need": "{{ pupil.primary_need }}",
    "YearGroup": "{{ pupil.year_group }}",
    "Consent": "{{ parents_agree|yes_no }}",
    "senco": "{{ school.senco.name }}",
}


def make_pdf(path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    page = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    page.setTitle("Wyvernshire Council: request for an EHC needs assessment (school)")
    page.setAuthor("Wyvernshire Council SEND Statutory Team")
    form = page.acroForm
    width, height = A4
    page.setFont("Helvetica-Bold", 14)
    page.drawString(40, height - 50, "Wyvernshire Council")
    page.setFont("Helvetica", 12)
    page.drawString(40, height - 68, "Request for an Education, Health and Care needs assessment: school request")
    page.setFont("Helvetica", 9)
    y = height - 110

    def label(text: str, at: float) -> None:
        page.drawString(40, at + 6, text)

    for name, text, tip, box_width, maxlen in (
        ("child_forename", "Forename(s)", "Child's forename", 220, 0),
        ("child_surname", "Surname", "Child's surname", 220, 0),
        ("dob", "Date of birth (dd/mm/yyyy)", "Date of birth", 90, 10),
        ("upn", "UPN", "Unique pupil number", 130, 13),
        ("school", "School or setting", "Name of school", 300, 0),
        ("year_group", "Year group", "Year group", 90, 0),
    ):
        label(text, y)
        form.textfield(name=name, tooltip=tip, x=200, y=y, width=box_width, height=18, fontName="Helvetica", fontSize=0, borderWidth=1, maxlen=maxlen or None)
        y -= 26
    label("Primary area of need", y)
    form.choice(name="area_of_need", tooltip="Primary area of need", value=AREAS[0], options=list(AREAS), x=200, y=y, width=260, height=18, fieldFlags="combo", fontName="Helvetica", fontSize=10)
    y -= 26
    for name, text in (("eal", "English as an additional language"), ("looked_after", "Child looked after")):
        label(text, y)
        form.checkbox(name=name, tooltip=text, x=200, y=y + 2, size=14, checked=False, buttonStyle="check")
        y -= 24
    label("Parents agree to the request", y)
    for index, choice in enumerate(("Yes", "No")):
        form.radio(name="parents_agree", tooltip="Parents agree to the request", value=choice, selected=False, x=200 + index * 60, y=y + 2, size=14, buttonStyle="circle")
        page.drawString(218 + index * 60, y + 6, choice)
    y -= 30
    label("Completed APDR cycles", y)
    form.textfield(name="cycles", tooltip="Number of APDR cycles", x=200, y=y, width=40, height=18, fontName="Helvetica", fontSize=0, borderWidth=1, maxlen=None)
    y -= 40
    # Boxes of a fixed size, as LA forms have: long views go on the addendum.
    for name, text, tip, box_height in (("child_views", "The child's views", "The child's views", 70), ("parent_views", "Parents' views", "Parents' views", 70), ("strengths", "Strengths", "Strengths and interests", 50)):
        page.drawString(40, y, text)
        y -= box_height + 6
        form.textfield(name=name, tooltip=tip, x=40, y=y, width=515, height=box_height, fontName="Helvetica", fontSize=10, borderWidth=1, fieldFlags="multiline", maxlen=None)
        y -= 20
    label("Completed by (SENCo)", y)
    form.textfield(name="senco", tooltip="Name of SENCo", x=200, y=y, width=220, height=18, fontName="Helvetica", fontSize=0, borderWidth=1, maxlen=None)
    y -= 26
    label("Date completed", y)
    form.textfield(name="date_completed", tooltip="Date completed", x=200, y=y, width=90, height=18, fontName="Helvetica", fontSize=0, borderWidth=1, maxlen=None)
    page.showPage()
    page.save()


# --- the Word form, element by element as Word writes it --------------------------------------------

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
STORE = "{6B2F1C58-3D4E-4F60-9BAC-1D2E3F4A5B6C}"
DATA = "urn:eastmere:ehcna-request"


def q(tag: str, ns: str = W) -> str:
    return f"{{{ns}}}{tag}"


def el(tag: str, *children, ns: str = W, **attributes) -> etree._Element:
    node = etree.Element(q(tag, ns), {q(k, ns): v for k, v in attributes.items()})
    for child in children:
        if isinstance(child, str):
            node.text = child
        else:
            node.append(child)
    return node


def text_run(text: str, *properties) -> etree._Element:
    t = el("t", text)
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return el("r", el("rPr", *properties), t) if properties else el("r", t)


def placeholder() -> etree._Element:
    return text_run("Click or tap here to enter text.", el("rStyle", val="PlaceholderText"))


def control(tag: str, alias: str, kind: list, content: list, identifier: int) -> etree._Element:
    properties = el("sdtPr", el("alias", val=alias), el("tag", val=tag), el("id", val=str(identifier)), *kind)
    return el("sdt", properties, el("sdtContent", *content))


def legacy(name: str, data: etree._Element, instruction: str, result: bool, bookmark: int) -> list[etree._Element]:
    runs = [el("bookmarkStart", id=str(bookmark), name=name), el("r", el("fldChar", el("ffData", el("name", val=name), el("enabled"), el("calcOnExit", val="0"), data), fldCharType="begin"))]
    instr = el("instrText", f" {instruction} ")
    instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    runs.append(el("r", instr))
    if result:
        runs += [el("r", el("fldChar", fldCharType="separate")), text_run("\u2002" * 5, el("noProof"))]
    runs += [el("r", el("fldChar", fldCharType="end")), el("bookmarkEnd", id=str(bookmark))]
    return runs


def row(label: str, *content) -> etree._Element:
    return el("tr", el("tc", el("tcPr", el("tcW", w="3400", type="dxa")), el("p", text_run(label, el("b")))), el("tc", el("tcPr", el("tcW", w="6200", type="dxa")), el("p", *content)))


def word_document() -> bytes:
    needs = [el("listItem", displayText="Choose an item.", value="")] + [el("listItem", displayText=code.label, value=code.value) for code in NeedCode]
    unchecked = etree.Element(q("checkbox", W14))
    for child in (("checked", {"val": "0"}), ("checkedState", {"val": "2612", "font": "MS Gothic"}), ("uncheckedState", {"val": "2610", "font": "MS Gothic"})):
        etree.SubElement(unchecked, q(child[0], W14), {q(k, W14): v for k, v in child[1].items()})
    gothic = el("rFonts", ascii="MS Gothic", eastAsia="MS Gothic", hAnsi="MS Gothic", hint="eastAsia")
    table = el(
        "tbl", el("tblPr", el("tblStyle", val="TableGrid"), el("tblW", w="9600", type="dxa")), el("tblGrid", el("gridCol", w="3400"), el("gridCol", w="6200")),
        row("Child's full name", control("child_name", "Child's full name", [el("showingPlcHdr"), el("text")], [placeholder()], 101)),
        row("Date of birth", control("dob", "Date of birth", [el("showingPlcHdr"), el("date", el("dateFormat", val="d MMMM yyyy"), el("lid", val="en-GB"), el("storeMappedDataAs", val="dateTime"), el("calendar", val="gregorian"))], [text_run("Click or tap to enter a date.", el("rStyle", val="PlaceholderText"))], 102)),
        row("Unique pupil number", control("upn", "Unique pupil number", [el("showingPlcHdr"), el("dataBinding", prefixMappings=f"xmlns:ns0='{DATA}'", xpath="/ns0:request[1]/ns0:upn[1]", storeItemID=STORE), el("text")], [placeholder()], 103)),
        row("School", *legacy("School", el("textInput", el("maxLength", val="60")), "FORMTEXT", True, 1)),
        row("Year group", *legacy("YearGroup", el("textInput", el("maxLength", val="10")), "FORMTEXT", True, 2)),
        row("Primary need", control("primary_need", "Primary need", [el("showingPlcHdr"), el("dropDownList", *needs)], [text_run("Choose an item.", el("rStyle", val="PlaceholderText"))], 104)),
        row("English as an additional language", control("eal", "EAL", [unchecked], [el("r", el("rPr", gothic), el("t", "☐"))], 105)),
        row("Looked after", *legacy("LookedAfter", el("checkBox", el("sizeAuto"), el("default", val="0")), "FORMCHECKBOX", False, 3)),
        row("Parents agree to the request", *legacy("Consent", el("ddList", el("listEntry", val="Yes"), el("listEntry", val="No")), "FORMDROPDOWN", False, 4)),
        row("SENCo", control("senco", "Name of SENCo", [el("showingPlcHdr"), el("text")], [placeholder()], 106)),
    )
    views = [
        el("p", el("pPr", el("pStyle", val="Heading2")), text_run("The child's views")),
        control("child_views", "The child's views", [el("showingPlcHdr")], [el("p", placeholder())], 107),
        el("p", el("pPr", el("pStyle", val="Heading2")), text_run("Parents' views")),
        control("parent_views", "Parents' views", [el("showingPlcHdr")], [el("p", placeholder())], 108),
    ]
    body = el(
        "body",
        el("p", el("pPr", el("pStyle", val="Heading1")), text_run("Eastmere Borough Council: request for an EHC needs assessment")),
        el("p", text_run("Please complete every box. Send the form with the evidence listed in section 4.")),
        table, *views,
        el("sectPr", el("pgSz", w="11906", h="16838"), el("pgMar", top="1134", right="1134", bottom="1134", left="1134", header="708", footer="708", gutter="0")),
    )
    document = etree.Element(q("document"), nsmap={"w": W, "w14": W14, "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006"})
    document.set("{http://schemas.openxmlformats.org/markup-compatibility/2006}Ignorable", "w14")
    document.append(body)
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8", standalone=True)


def styles() -> bytes:
    root = el("styles")
    for style_id, name, size in (("Normal", "Normal", "22"), ("Heading1", "heading 1", "32"), ("Heading2", "heading 2", "26")):
        style = el("style", el("name", val=name), type="paragraph", styleId=style_id)
        style.append(el("rPr", el("rFonts", ascii="Arial", hAnsi="Arial"), el("sz", val=size)))
        root.append(style)
    root.append(el("style", el("name", val="Placeholder Text"), el("rPr", el("color", val="808080")), type="character", styleId="PlaceholderText"))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def make_docx(path: Path) -> None:
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/><Override PartName="/customXml/itemProps1.xml" ContentType="application/vnd.openxmlformats-officedocument.customXmlProperties+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="word/document.xml"/></Relationships>',
        "word/_rels/document.xml.rels": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/styles" Target="styles.xml"/><Relationship Id="rId2" Type="{rel}/settings" Target="settings.xml"/><Relationship Id="rId3" Type="{rel}/customXml" Target="../customXml/item1.xml"/></Relationships>',
        "word/document.xml": word_document(),
        "word/styles.xml": styles(),
        "word/settings.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:settings xmlns:w="{W}"><w:documentProtection w:edit="forms" w:enforcement="1"/><w:defaultTabStop w:val="720"/><w:themeFontLang w:val="en-GB"/></w:settings>',
        "customXml/item1.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<request xmlns="{DATA}"><upn/></request>',
        "customXml/itemProps1.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<ds:datastoreItem ds:itemID="{STORE}" xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml"><ds:schemaRefs><ds:schemaRef ds:uri="{DATA}"/></ds:schemaRefs></ds:datastoreItem>',
        "customXml/_rels/item1.xml.rels": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/customXmlProps" Target="itemProps1.xml"/></Relationships>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in parts.items():
            package.writestr(name, content)
    path.write_bytes(normalise_docx(buffer.getvalue()))


def write_map(form: Path, values: dict[str, str]) -> Path:
    inventory = inspect_form(form)
    lines = map_text(inventory).splitlines()
    for index, line in enumerate(lines):
        key = line.split(" = ", 1)[0].strip('"')
        if key in values and " = " in line and not line.startswith("#"):
            lines[index] = f'"{key}" = "{values[key]}"'
    target = form.with_suffix(".toml")
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    make_pdf(PDF_FORM)
    make_docx(WORD_FORM)
    for form, values in ((PDF_FORM, PDF_VALUES), (WORD_FORM, WORD_VALUES)):
        print(f"wrote {form.relative_to(ROOT)} and {write_map(form, values).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
