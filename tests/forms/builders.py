"""Forms written the way PDF and Word editors write them (not the way senforms' own tools do).

The PDF is put together object by object as Acrobat saves one: a field tree with a parent
carrying the name and kids for widgets, a checkbox whose "on" appearance is /Ja, a radio group
with one kid per choice, a combo box with export values, /DA with an automatic font size and
Helvetica (WinAnsi only) in /DR. The Word form is XML as Word 2016 writes it: placeholder text
with showingPlcHdr, a w14:checkbox with MS Gothic glyphs, a date control with its format, a
control bound to a custom XML part, and legacy fields split across runs with bookmarks.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from pypdf import PdfWriter
from pypdf.generic import ArrayObject, BooleanObject, DecodedStreamObject, DictionaryObject, FloatObject, NameObject, NumberObject, TextStringObject


def _stream(writer: PdfWriter, content: bytes, width: float, height: float):
    stream = DecodedStreamObject()
    stream.set_data(content)
    stream.update({NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Form"), NameObject("/BBox"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(width), FloatObject(height)])})
    return writer._add_object(stream)


def _rect(x: float, y: float, w: float, h: float) -> ArrayObject:
    return ArrayObject([FloatObject(x), FloatObject(y), FloatObject(x + w), FloatObject(y + h)])


def acrobat_pdf(path: Path, *, comb_upn: bool = False) -> Path:
    """A one-page A4 form with text, multiline, nested, checkbox (/Ja), radio and combo fields."""
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    helv = writer._add_object(DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"), NameObject("/BaseFont"): NameObject("/Helvetica"), NameObject("/Encoding"): NameObject("/WinAnsiEncoding")}))
    page[NameObject("/Contents")] = writer._add_object(_content(b"BT /F1 10 Tf 50 800 Td (Request for an EHC needs assessment: Wyvernshire) Tj ET"))
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): helv})})
    annots = ArrayObject()
    fields = ArrayObject()

    def widget(rect: ArrayObject, **entries) -> DictionaryObject:
        annotation = DictionaryObject({NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"), NameObject("/Rect"): rect, NameObject("/F"): NumberObject(4), NameObject("/P"): page.indirect_reference})
        annotation.update(entries)
        return annotation

    def add(annotation: DictionaryObject, top: bool = True):
        reference = writer._add_object(annotation)
        if "/Subtype" in annotation:
            annots.append(reference)
        if top:
            fields.append(reference)
        return reference

    da = TextStringObject("/Helv 0 Tf 0 g")
    add(widget(_rect(150, 740, 300, 20), **{NameObject("/FT"): NameObject("/Tx"), NameObject("/T"): TextStringObject("Text1"), NameObject("/TU"): TextStringObject("Child's full name"), NameObject("/DA"): da}))
    # A parent holding the name and a kid widget, as Acrobat writes "pupil.dob".
    parent = DictionaryObject({NameObject("/T"): TextStringObject("pupil"), NameObject("/Kids"): ArrayObject()})
    parent_ref = add(parent)
    dob = DictionaryObject({NameObject("/FT"): NameObject("/Tx"), NameObject("/T"): TextStringObject("dob"), NameObject("/TU"): TextStringObject("Date of birth"), NameObject("/DA"): TextStringObject("/Helv 10 Tf 0 g"), NameObject("/Parent"): parent_ref, NameObject("/MaxLen"): NumberObject(10), NameObject("/Kids"): ArrayObject()})
    dob_ref = add(dob, top=False)
    parent["/Kids"].append(dob_ref)
    dob_widget = add(widget(_rect(150, 710, 100, 20), **{NameObject("/Parent"): dob_ref}), top=False)
    dob["/Kids"].append(dob_widget)
    add(widget(_rect(150, 680, 150, 20), **{NameObject("/FT"): NameObject("/Tx"), NameObject("/T"): TextStringObject("UPN"), NameObject("/TU"): TextStringObject("Unique pupil number"), NameObject("/DA"): da,
                   **({NameObject("/Ff"): NumberObject(1 << 24), NameObject("/MaxLen"): NumberObject(13)} if comb_upn else {})}))
    add(widget(_rect(50, 480, 495, 180), **{NameObject("/FT"): NameObject("/Tx"), NameObject("/T"): TextStringObject("Views"), NameObject("/TU"): TextStringObject("The child's views"), NameObject("/Ff"): NumberObject(4096), NameObject("/DA"): TextStringObject("/Helv 10 Tf 0 g")}))
    box = 12
    on = _stream(writer, b"0 g BT /ZaDb 10 Tf 1 2 Td (4) Tj ET", box, box)
    zadb = writer._add_object(DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"), NameObject("/BaseFont"): NameObject("/ZapfDingbats")}))
    on.get_object()[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/ZaDb"): zadb})})
    off = _stream(writer, b"", box, box)
    add(widget(_rect(150, 450, box, box), **{NameObject("/FT"): NameObject("/Btn"), NameObject("/T"): TextStringObject("Check Box1"), NameObject("/TU"): TextStringObject("English as an additional language"), NameObject("/V"): NameObject("/Off"), NameObject("/AS"): NameObject("/Off"), NameObject("/AP"): DictionaryObject({NameObject("/N"): DictionaryObject({NameObject("/Ja"): on, NameObject("/Off"): off})})}))
    radio = DictionaryObject({NameObject("/FT"): NameObject("/Btn"), NameObject("/T"): TextStringObject("Consent"), NameObject("/TU"): TextStringObject("Parents agree"), NameObject("/Ff"): NumberObject((1 << 15) | (1 << 14)), NameObject("/V"): NameObject("/Off"), NameObject("/Kids"): ArrayObject()})
    radio_ref = add(radio)
    for index, choice in enumerate(("Yes", "No")):
        kid = widget(_rect(150 + index * 60, 420, box, box), **{NameObject("/Parent"): radio_ref, NameObject("/AS"): NameObject("/Off"), NameObject("/AP"): DictionaryObject({NameObject("/N"): DictionaryObject({NameObject(f"/{choice}"): on, NameObject("/Off"): off})})})
        radio["/Kids"].append(add(kid, top=False))
    options = ArrayObject([ArrayObject([TextStringObject(code), TextStringObject(label)]) for code, label in (("CI", "Communication and interaction"), ("CL", "Cognition and learning"), ("SEMH", "Social, emotional and mental health"), ("SP", "Sensory and/or physical"))])
    add(widget(_rect(150, 390, 250, 20), **{NameObject("/FT"): NameObject("/Ch"), NameObject("/T"): TextStringObject("Dropdown1"), NameObject("/TU"): TextStringObject("Primary area of need"), NameObject("/Ff"): NumberObject(1 << 17), NameObject("/Opt"): options, NameObject("/DA"): da}))
    page[NameObject("/Annots")] = annots
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject({
        NameObject("/Fields"): fields, NameObject("/NeedAppearances"): BooleanObject(False), NameObject("/DA"): da,
        NameObject("/DR"): DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/Helv"): helv, NameObject("/ZaDb"): zadb})}),
    })
    with open(path, "wb") as handle:
        writer.write(handle)
    return path


def _content(data: bytes) -> DecodedStreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream


W_NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="w14"'
)
STORE_ID = "{5A1E0B47-2C3D-4E5F-8A9B-0C1D2E3F4A5B}"
DATA_NS = "urn:wyvernshire:ehcna"


def _sdt(pr: str, content: str, *, block: bool) -> str:
    return f"<w:sdt><w:sdtPr>{pr}</w:sdtPr><w:sdtEndPr/><w:sdtContent>{content}</w:sdtContent></w:sdt>"


_PLACEHOLDER_RUN = '<w:r><w:rPr><w:rStyle w:val="PlaceholderText"/></w:rPr><w:t>Click or tap here to enter text.</w:t></w:r>'


def word_form_xml() -> str:
    """document.xml of a Word form with every kind of control and legacy field Word writes."""
    body = []
    body.append('<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Request for statutory assessment</w:t></w:r></w:p>')
    # inline plain text control, showing its placeholder
    body.append('<w:p><w:r><w:t xml:space="preserve">Child\'s name: </w:t></w:r>' + _sdt(
        '<w:alias w:val="Child\'s full name"/><w:tag w:val="child_name"/><w:id w:val="-1"/><w:placeholder><w:docPart w:val="DefaultPlaceholder_-1854013440"/></w:placeholder><w:showingPlcHdr/><w:text/>',
        _PLACEHOLDER_RUN, block=False) + "</w:p>")
    # inline date control with its format
    body.append('<w:p><w:r><w:t xml:space="preserve">Date of birth: </w:t></w:r>' + _sdt(
        '<w:alias w:val="Date of birth"/><w:tag w:val="dob"/><w:id w:val="2"/><w:showingPlcHdr/><w:date><w:dateFormat w:val="dd/MM/yyyy"/><w:lid w:val="en-GB"/><w:storeMappedDataAs w:val="dateTime"/><w:calendar w:val="gregorian"/></w:date>',
        '<w:r><w:rPr><w:rStyle w:val="PlaceholderText"/></w:rPr><w:t>Click or tap to enter a date.</w:t></w:r>', block=False) + "</w:p>")
    # checkbox control as Word 2010+ writes it
    body.append('<w:p>' + _sdt(
        '<w:alias w:val="EAL"/><w:tag w:val="eal"/><w:id w:val="3"/><w14:checkbox><w14:checked w14:val="0"/><w14:checkedState w14:val="2612" w14:font="MS Gothic"/><w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/></w14:checkbox>',
        '<w:r><w:rPr><w:rFonts w:ascii="MS Gothic" w:eastAsia="MS Gothic" w:hAnsi="MS Gothic" w:hint="eastAsia"/></w:rPr><w:t>☐</w:t></w:r>', block=False)
        + '<w:r><w:t xml:space="preserve"> English is an additional language</w:t></w:r></w:p>')
    # drop-down list
    body.append('<w:p><w:r><w:t xml:space="preserve">Primary need: </w:t></w:r>' + _sdt(
        '<w:alias w:val="Primary need"/><w:tag w:val="primary_need"/><w:id w:val="4"/><w:showingPlcHdr/><w:dropDownList><w:listItem w:value=""  w:displayText="Choose an item."/><w:listItem w:displayText="Speech, language and communication needs" w:value="SLCN"/><w:listItem w:displayText="Autistic spectrum disorder" w:value="ASD"/><w:listItem w:displayText="Moderate learning difficulty" w:value="MLD"/></w:dropDownList>',
        '<w:r><w:rPr><w:rStyle w:val="PlaceholderText"/></w:rPr><w:t>Choose an item.</w:t></w:r>', block=False) + "</w:p>")
    # block-level rich text control around a paragraph
    body.append(_sdt('<w:alias w:val="The child\'s views"/><w:tag w:val="views"/><w:id w:val="5"/><w:showingPlcHdr/>',
                     '<w:p><w:pPr><w:spacing w:after="120"/></w:pPr>' + _PLACEHOLDER_RUN + "</w:p>", block=True))
    # a plain text control bound to the custom XML part
    body.append('<w:p><w:r><w:t xml:space="preserve">UPN: </w:t></w:r>' + _sdt(
        f'<w:alias w:val="Unique pupil number"/><w:tag w:val="upn"/><w:id w:val="6"/><w:showingPlcHdr/><w:dataBinding w:prefixMappings="xmlns:ns0=\'{DATA_NS}\' " w:xpath="/ns0:request[1]/ns0:upn[1]" w:storeItemID="{STORE_ID}"/><w:text/>',
        _PLACEHOLDER_RUN, block=False) + "</w:p>")
    # legacy fields in a table, bookmarked, the instruction split across runs as Word does
    body.append('<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr><w:tblGrid><w:gridCol w:w="3000"/><w:gridCol w:w="6000"/></w:tblGrid>')
    body.append('<w:tr><w:tc><w:p><w:r><w:t>School</w:t></w:r></w:p></w:tc><w:tc><w:p>' + _formtext("School", 40) + "</w:p></w:tc></w:tr>")
    body.append('<w:tr><w:tc><w:p><w:r><w:t>Year group</w:t></w:r></w:p></w:tc><w:tc><w:p>' + _formtext("YearGroup", 8) + "</w:p></w:tc></w:tr>")
    body.append('<w:tr><w:tc><w:p><w:r><w:t>Looked after</w:t></w:r></w:p></w:tc><w:tc><w:p>' + _formcheck("LAC") + "</w:p></w:tc></w:tr>")
    body.append('<w:tr><w:tc><w:p><w:r><w:t>Key stage</w:t></w:r></w:p></w:tc><w:tc><w:p>' + _formdrop("KeyStage", ("KS1", "KS2", "KS3", "KS4")) + "</w:p></w:tc></w:tr>")
    body.append('<w:tr><w:tc><w:p><w:r><w:t>Signed by the SENCo</w:t></w:r></w:p></w:tc><w:tc><w:p/></w:tc></w:tr>')
    body.append("</w:tbl>")
    body.append('<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1134" w:right="1134" w:bottom="1134" w:left="1134" w:header="708" w:footer="708" w:gutter="0"/></w:sectPr>')
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document {W_NS}><w:body>{"".join(body)}</w:body></w:document>'


_bookmark_ids = iter(range(100, 10_000))


def _field(name: str, ff_inner: str, instruction: str, result: str) -> str:
    number = next(_bookmark_ids)
    return (
        f'<w:bookmarkStart w:id="{number}" w:name="{name}"/>'
        f'<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="{name}"/><w:enabled/><w:calcOnExit w:val="0"/>{ff_inner}</w:ffData></w:fldChar></w:r>'
        f'<w:r><w:instrText xml:space="preserve"> {instruction[:4]}</w:instrText></w:r><w:r><w:instrText xml:space="preserve">{instruction[4:]} </w:instrText></w:r>'
        + ('<w:r><w:fldChar w:fldCharType="separate"/></w:r>' + result if result else "")
        + f'<w:r><w:fldChar w:fldCharType="end"/></w:r><w:bookmarkEnd w:id="{number}"/>'
    )


def _formtext(name: str, max_length: int) -> str:
    blank = '<w:r><w:rPr><w:noProof/></w:rPr><w:t>     </w:t></w:r>'
    return _field(name, f'<w:textInput><w:maxLength w:val="{max_length}"/></w:textInput>', "FORMTEXT", blank)


def _formcheck(name: str) -> str:
    return _field(name, '<w:checkBox><w:sizeAuto/><w:default w:val="0"/></w:checkBox>', "FORMCHECKBOX", "")


def _formdrop(name: str, entries: tuple[str, ...]) -> str:
    listed = "".join(f'<w:listEntry w:val="{e}"/>' for e in entries)
    return _field(name, f"<w:ddList>{listed}</w:ddList>", "FORMDROPDOWN", "")


CUSTOM_XML = f'<?xml version="1.0" standalone="no"?><request xmlns="{DATA_NS}"><upn></upn></request>'
ITEM_PROPS = f'<?xml version="1.0" encoding="UTF-8" standalone="no"?><ds:datastoreItem ds:itemID="{STORE_ID}" xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml"><ds:schemaRefs><ds:schemaRef ds:uri="{DATA_NS}"/></ds:schemaRefs></ds:datastoreItem>'
SETTINGS = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:documentProtection w:edit="forms" w:enforcement="1"/><w:defaultTabStop w:val="720"/></w:settings>'


def word_docx(path: Path, document_xml: str | None = None) -> Path:
    """Save a .docx package around `document_xml` with settings (forms protection) and a custom XML part."""
    files = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/><Override PartName="/customXml/itemProps1.xml" ContentType="application/vnd.openxmlformats-officedocument.customXmlProperties+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        "word/_rels/document.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml" Target="../customXml/item1.xml"/></Relationships>',
        "word/document.xml": document_xml or word_form_xml(),
        "word/settings.xml": SETTINGS,
        "customXml/item1.xml": CUSTOM_XML,
        "customXml/itemProps1.xml": ITEM_PROPS,
        "customXml/_rels/item1.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXmlProps" Target="itemProps1.xml"/></Relationships>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, text in files.items():
            package.writestr(name, text)
    path.write_bytes(buffer.getvalue())
    return path
