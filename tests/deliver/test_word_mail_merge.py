"""A school's own Word mail-merge letter, built with the field XML Word's Mailings ribbon writes
(both `w:fldSimple` and `w:fldChar` runs, instrText split over runs, fields nested in an IF),
filled for real parents from the sample register, and read back."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import docx
import pytest
from click.testing import CliRunner
from docx.oxml import parse_xml

import senforms
from senforms.cli import cli
from senforms.deliver.mailmerge import fill_mail_merge, letter_fields
from senforms.deliver.merge_codes import MergeValue, compare, format_picture
from senforms.deliver.merge_values import is_known_field, merge_values
from senforms.documents.catalogue import plan_jobs
from senforms.documents.own_letter import read_own_letter
from senforms.errors import TemplateProblemError

from ..conftest import SAMPLES

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
REGISTER = senforms.load_register(SAMPLES / "register.xlsx").register
LETTER_DATE = dt.date(2026, 11, 23)
# The switches Word's Insert Address Block and Greeting Line dialogs write (\r between lines).
ADDRESS_BLOCK = (' ADDRESSBLOCK \\f "<<_TITLE0_ >><<_FIRST0_>><< _LAST0_>><< _SUFFIX0_>>\r<<_COMPANY_\r>>'
                 '<<_STREET1_\r>><<_STREET2_\r>><<_CITY_>><<, _STATE_>><< _POSTAL_>><<\r_COUNTRY_>>" '
                 '\\l 2057 \\c 2 \\e "United Kingdom" \\d ')
GREETING = ' GREETINGLINE \\f "<<_BEFORE_ Dear >><<_TITLE0_ >><<_LAST0_>><<_AFTER_ ,>>" \\l 2057 \\e "Dear Parent or Carer," '


def _run(inner: str, rpr: str = "") -> str:
    return f"<w:r {W}>{rpr}{inner}</w:r>"


def _instr(text: str) -> str:
    return _run(f'<w:instrText xml:space="preserve">{escape(text)}</w:instrText>')


def _char(kind: str) -> str:
    return _run(f'<w:fldChar w:fldCharType="{kind}"/>')


def complex_field(*code: str | list[str], shown: str) -> list[str]:
    """begin · instrText runs (a list is a nested field) · separate · «shown» · end, as Word writes it."""
    runs = [_char("begin")]
    for piece in code:
        runs += complex_field(*piece, shown="x") if isinstance(piece, list) else [_instr(piece)]
    return runs + [_char("separate"), _run(f"<w:t>{escape(shown)}</w:t>", "<w:rPr><w:noProof/></w:rPr>"), _char("end")]


def simple_field(instr: str, shown: str) -> list[str]:
    return [f'<w:fldSimple {W} w:instr="{escape(instr, {chr(34): "&quot;", chr(13): "&#13;"})}">'
            f'<w:r><w:rPr><w:noProof/></w:rPr><w:t>{escape(shown)}</w:t></w:r></w:fldSimple>']


def build_letter(path: Path, paragraphs: list[list[str | list[str]]], header: list[str | list[str]] | None = None) -> Path:
    """Each paragraph: plain text (str) or a field's runs (list of XML)."""
    document = docx.Document()
    for parts in paragraphs:
        _fill_paragraph(document.add_paragraph(), parts)
    if header:
        _fill_paragraph(document.sections[0].header.paragraphs[0], header)
    document.settings.element.append(parse_xml(
        f'<w:mailMerge {W}><w:mainDocumentType w:val="formLetters"/><w:dataType w:val="native"/></w:mailMerge>'))
    document.save(path)
    return path


def _fill_paragraph(paragraph, parts: list[str | list[str]]) -> None:  # noqa: ANN001
    for part in parts:
        if isinstance(part, str):
            paragraph.add_run(part)
        else:
            for xml in part:
                paragraph._p.append(parse_xml(xml))


def ribbon_letter(path: Path, *, simple: bool) -> Path:
    """A letter as Word's Mailings ribbon makes it: every field in one of Word's two forms."""
    def fld(instr: str, shown: str) -> list[str]:
        if simple:
            return simple_field(instr, shown)
        # Word splits a long code over runs where it was edited.
        middle = len(instr) // 2
        return complex_field(instr[:middle], instr[middle:], shown=shown)

    def if_field(*parts: str | list[str], shown: str) -> list[str]:
        return complex_field(*parts, shown=shown)  # an IF holding a field is always fldChar runs

    return build_letter(path, [
        [fld(ADDRESS_BLOCK, "«AddressBlock»")],
        [fld(GREETING, "«GreetingLine»")],
        ["Letter of ", fld(' MERGEFIELD LetterDate \\@ "dddd d MMMM yyyy" ', "«LetterDate»")],
        ["We would like to meet on ", fld(' MERGEFIELD Meeting_Date \\@ "dddd, d MMM yy" \\* Upper ', "«Meeting_Date»"),
         " at ", fld(' MERGEFIELD MeetingTime \\@ "h:mm am/pm" ', "«MeetingTime»"),
         " (", fld(' MERGEFIELD MeetingTime \\@ "HH:mm" ', "«MeetingTime»"), ")."],
        ["About ", fld(' MERGEFIELD ChildFirstName \\* Upper \\b "your child " \\f "!" ', "«ChildFirstName»"),
         fld(' MERGEFIELD OnlineLink \\b " Join at " ', "«OnlineLink»"), "."],
        ["School: ", fld(' MERGEFIELD SchoolName \\* Lower ', "«SchoolName»"), " / ",
         fld(' MERGEFIELD "School Name" \\* Caps ', "«School Name»")],
        [if_field(" IF ", [" MERGEFIELD Title "], ' = "Dr" "Dear Doctor" "We look forward to seeing you, ', [" MERGEFIELD Title "], ' ',
                  [" MERGEFIELD LastName "], '." \\* MERGEFORMAT ', shown="We look forward")],
        [if_field(" IF ", [" MERGEFIELD Location "], ' <> "" "Where: ', [" MERGEFIELD Location "], '" "Online" ', shown="Where")],
        [if_field(" IF ", [" MERGEFIELD MeetingDay "], ' = "T*" "A T-day." "Not a T-day." ', shown="A T-day.")],
    ], header=["Ref: ", fld(" MERGEFIELD UPN ", "«UPN»")])


def _invitation_job():
    jobs = plan_jobs(REGISTER, "invitation", on=LETTER_DATE)
    return next(job for job in jobs if job.contact is not None and job.context["recipient"]["title"] == "Mrs")


def _all_text(path: Path) -> str:
    document = docx.Document(str(path))
    body = "\n".join(p.text for p in document.paragraphs)
    return body + "\n" + "\n".join(p.text for p in document.sections[0].header.paragraphs)


def _xml(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return b"".join(archive.read(n) for n in archive.namelist() if n.startswith("word/") and n.endswith(".xml"))


@pytest.mark.parametrize("simple", [True, False], ids=["fldSimple", "fldChar"])
def test_a_ribbon_letter_is_filled_exactly(tmp_path: Path, simple: bool) -> None:
    letter = ribbon_letter(tmp_path / "letter.docx", simple=simple)
    job = _invitation_job()
    recipient, pupil, meeting = job.context["recipient"], job.pupil, job.meeting
    assert meeting is not None and job.contact is not None
    out = tmp_path / "made.docx"
    report = fill_mail_merge(letter, merge_values(job.context), out)
    assert report.unfilled == [] and report.notes == []

    text = _all_text(out)
    surname = recipient["name"].split()[-1]
    address = "\n".join(recipient["address"])
    start = dt.datetime.combine(meeting.date, meeting.start_time)
    lines = text.split("\n")
    # ADDRESSBLOCK: the name and then the address as held, the postcode on its own line (\d, UK).
    assert text.startswith(f"Mrs {recipient['name']}\n{address}\n")
    assert lines[len(recipient["address"]) + 1] == f"Dear Mrs {surname},"
    assert "Letter of Monday 23 November 2026" in text
    assert f"We would like to meet on {start.strftime('%A').upper()}, {meeting.date.day} {start.strftime('%b').upper()} {meeting.date:%y}" in text
    twelve = start.hour % 12 or 12
    assert f" at {twelve}:{start.minute:02d} {'am' if start.hour < 12 else 'pm'} ({start.hour:02d}:{start.minute:02d})." in text
    assert f"About your child {pupil.known_as.upper()}!." in text  # no online link: its \b text is left out
    assert "School: hollybrook primary school / Hollybrook Primary School" in text
    assert f"We look forward to seeing you, Mrs {surname}." in text
    assert f"Where: {meeting.location}" in text
    assert ("A T-day." if start.strftime("%A").startswith("T") else "Not a T-day.") in text
    assert f"Ref: {pupil.upn}" in text
    assert "«" not in text and "»" not in text
    xml = _xml(out)
    assert b"instrText" not in xml and b"fldChar" not in xml and b"fldSimple" not in xml and b"mailMerge" not in xml


def test_greeting_falls_back_and_a_young_person_is_greeted_by_name(tmp_path: Path) -> None:
    letter = build_letter(tmp_path / "g.docx", [[complex_field(GREETING, shown="«GreetingLine»")],
                                                 [complex_field(" GREETINGLINE \\f \"<<_BEFORE_ To >><<_FIRST0_>><<_AFTER_ :>>\" ", shown="x")]])
    out = tmp_path / "a.docx"
    fill_mail_merge(letter, {"Title": "", "FirstName": "", "LastName": ""}, out)
    assert [p.text for p in docx.Document(str(out)).paragraphs] == ["Dear Parent or Carer,", "«GreetingLine»"]
    fill_mail_merge(letter, {"Title": "", "FirstName": "Kai", "LastName": "Nowak"}, out, overwrite=True)
    assert [p.text for p in docx.Document(str(out)).paragraphs] == ["Dear Kai Nowak,", "To Kai:"]


def test_an_address_block_previewed_over_several_paragraphs_is_replaced_whole(tmp_path: Path) -> None:
    """Word's preview leaves the block's result as paragraphs: begin in the first, end in the last."""
    begin = [_char("begin"), _instr(" ADDRESSBLOCK \\f \"<<_FIRST0_>><< _LAST0_>>\r<<_STREET1_\r>><<_CITY_>><< _POSTAL_>>\" \\l 2057 "), _char("separate"),
             _run("<w:t>Old Name</w:t>")]
    end = [_run("<w:t>OLD1 1AA</w:t>"), _char("end"), _run("<w:t> (after)</w:t>")]
    letter = build_letter(tmp_path / "a.docx", [[begin], ["1 Old Street"], [end], ["Next paragraph"]])
    out = tmp_path / "b.docx"
    fill_mail_merge(letter, {"FirstName": "Grace", "LastName": "Okafor", "Address": "4 Elm Road\nAldwick\nNR99 1AB", "Postcode": "NR99 1AB"}, out)
    # The custom format (no \d) is followed: town and postcode on one line, as the format says.
    assert [p.text for p in docx.Document(str(out)).paragraphs] == ["Grace Okafor\n4 Elm Road\nAldwick NR99 1AB (after)", "Next paragraph"]


def test_date_pictures_and_comparisons_follow_word() -> None:
    at = dt.datetime(2027, 3, 4, 9, 5)
    assert format_picture(at, "dddd d MMMM yyyy") == "Thursday 4 March 2027"
    assert format_picture(at, "ddd dd/MM/yy 'at' H:mm") == "Thu 04/03/27 at 9:05"
    assert format_picture(at, "MMM d, h:mm AM/PM") == "Mar 4, 9:05 AM"
    assert format_picture(dt.datetime(2027, 3, 4, 15, 30), "hh:mm am/pm") == "03:30 pm"
    assert compare("10", ">", "9") and not compare("10", ">", "9a")  # numbers as numbers, else text
    assert compare("Mrs", "=", "M*") and not compare("mrs", "=", "Mrs") and compare("Mr", "<>", "Mrs")


def test_a_plain_text_date_still_takes_a_picture(tmp_path: Path) -> None:
    letter = build_letter(tmp_path / "d.docx", [[simple_field(' MERGEFIELD Due \\@ "d MMM yyyy" ', "«Due»")],
                                                [simple_field(' MERGEFIELD Code \\@ "d MMM yyyy" ', "«Code»")]])
    out = tmp_path / "o.docx"
    report = fill_mail_merge(letter, {"Due": "03/12/2026", "Code": MergeValue("ABC")}, out)
    assert [p.text for p in docx.Document(str(out)).paragraphs] == ["3 Dec 2026", "ABC"]
    assert report.notes == ["«Code» is not a date, so its \\@ picture was not used"]


def test_fields_senforms_cannot_fill_are_listed_with_their_place(tmp_path: Path) -> None:
    letter = build_letter(tmp_path / "u.docx", [
        ["Dear ", simple_field(" MERGEFIELD Title ", "«Title»")],
        ["Notes: ", complex_field(" MERGEFIELD Teacher", "_Notes ", shown="«Teacher_Notes»")],
        [complex_field(' ASK Reason "Why?" ', shown="")],
        ["Page ", complex_field(" PAGE ", shown="1")],
        [complex_field(" IF ", [" PAGE "], ' > "1" "(continued)" "" ', shown="")],
    ], header=[simple_field(" MERGEFIELD Form_Tutor ", "«Form_Tutor»")])
    found = letter_fields(letter, known=is_known_field)
    assert found.describe(found.cannot_fill) == (
        "«Teacher_Notes» (the body, paragraph 2); a ASK field (the body, paragraph 3); «Form_Tutor» (a header, paragraph 1)")
    out = tmp_path / "made.docx"
    report = fill_mail_merge(letter, merge_values(_invitation_job().context), out)
    assert report.unfilled == ["Teacher_Notes", "ASK", "Form_Tutor"]
    paragraphs = [p.text for p in docx.Document(str(out)).paragraphs]
    assert paragraphs[0] == "Dear Mrs" and paragraphs[1] == "Notes: «Teacher_Notes»"
    xml = _xml(out)
    assert xml.count(b'fldCharType="begin"') == 4  # ASK (listed), PAGE, and the IF on PAGE with its PAGE: Word's to keep
    with pytest.raises(TemplateProblemError, match=r"cannot fill: «Teacher_Notes» \(the body, paragraph 2\)"):
        read_own_letter(letter, "parent-notification", strict=True)


def test_next_record_fields_are_refused_by_name(tmp_path: Path) -> None:
    letter = build_letter(tmp_path / "n.docx", [["Dear ", simple_field(" MERGEFIELD Title ", "«Title»")],
                                                [complex_field(" NEXTIF ", [" MERGEFIELD Year "], ' = "5" ', shown="")]])
    with pytest.raises(TemplateProblemError) as refused:
        read_own_letter(letter, "invitation")
    assert "has a NEXTIF field" in refused.value.message and "(a NEXTIF field (the body, paragraph 2))" in refused.value.message
    assert "another family's details" in refused.value.message and "Mailings › Rules" in refused.value.fix
    with pytest.raises(TemplateProblemError, match="NEXTIF"):
        fill_mail_merge(letter, {}, tmp_path / "out.docx")
    assert not (tmp_path / "out.docx").exists()


def _cli(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_render_parent_notification_with_a_ribbon_letter(tmp_path: Path) -> None:
    letter = build_letter(tmp_path / "notice.docx", [
        [complex_field(ADDRESS_BLOCK, shown="«AddressBlock»")],
        [complex_field(GREETING, shown="«GreetingLine»")],
        ["We are writing about ", complex_field(" MERGEFIELD ChildFirstName ", shown="«ChildFirstName»"),
         ", whose plan is reviewed on ", complex_field(' MERGEFIELD ReviewDate \\@ "d MMMM yyyy" ', shown="«ReviewDate»"), "."],
        [complex_field(" IF ", [" MERGEFIELD MeetingDate "], ' = "" "" "Meeting!" ', shown="")],
        ["Signed ", simple_field(" MERGEFIELD SENCo ", "«SENCo»")],
    ])
    out = tmp_path / "letters"
    result = _cli("render", "parent-notification", SAMPLES / "register.xlsx", "-o", out, "--date", "23/11/2026", "--template", letter, "--all")
    assert result.exit_code == 0, result.output
    made = sorted(out.glob("*.docx"))
    jobs = plan_jobs(REGISTER, "parent-notification", on=LETTER_DATE)
    assert len(made) == len(jobs) and f"{len(jobs)} made" in result.output
    job = jobs[0]
    text = _all_text(out / f"{job.pupil.upn}-parent-notification-{job.contact.id if job.contact else 'pupil'}.docx")
    recipient = job.context["recipient"]
    assert text.startswith(f"{(recipient['title'] + ' ' + recipient['name']).strip()}\n{recipient['address'][0]}\n")
    review = job.cycle.review_date if job.cycle else None
    assert f"We are writing about {job.pupil.known_as}, whose plan is reviewed on " + (f"{review.day} {review:%B %Y}." if review else ".") in text
    assert "Meeting!" not in text and "«" not in text
    assert f"Signed {REGISTER.school.senco.name}" in text


def test_strict_refuses_before_anything_is_made(tmp_path: Path) -> None:
    letter = build_letter(tmp_path / "own.docx", [["Dear ", complex_field(" MERGEFIELD Salutation ", shown="x")],
                                                  ["Your key worker: ", simple_field(" MERGEFIELD Key_Worker ", "«Key_Worker»")]])
    out = tmp_path / "letters"
    refused = _cli("render", "parent-notification", SAMPLES / "register.xlsx", "-o", out, "--template", letter, "--strict", "--all")
    assert refused.exit_code != 0
    assert "own.docx has mail-merge fields senforms cannot fill: «Key_Worker» (the body, paragraph 2)" in refused.output
    assert not out.exists()
    listed = _cli("render", "parent-notification", SAMPLES / "register.xlsx", "-o", out, "--template", letter, "--all", "--date", "23/11/2026")
    assert listed.exit_code == 0, listed.output
    first = listed.output.index("«Key_Worker» (the body, paragraph 2)")
    assert first < listed.output.index("made")  # listed before the batch's summary
    invite = _cli("invite", SAMPLES / "register.xlsx", "-o", tmp_path / "inv", "--template", letter, "--strict")
    assert invite.exit_code != 0 and "«Key_Worker»" in invite.output and not (tmp_path / "inv").exists()


def test_a_letter_whose_only_fields_are_words_own_is_not_a_mail_merge_letter(tmp_path: Path) -> None:
    letter = build_letter(tmp_path / "plain.docx", [["{{ pupil.full_name }}"], [complex_field(" IF ", [" PAGE "], ' > "1" "(continued)" "" ', shown="")]])
    assert not read_own_letter(letter, "support-plan").mail_merge


def test_a_mail_merge_letter_is_refused_for_a_document_that_is_not_a_letter_to_a_parent(tmp_path: Path) -> None:
    letter = build_letter(tmp_path / "plan.docx", [[simple_field(" MERGEFIELD Title ", "«Title»")]])
    result = _cli("render", "support-plan", SAMPLES / "register.xlsx", "-o", tmp_path / "o", "--template", letter)
    assert result.exit_code != 0
    assert "plan.docx is a Word mail-merge letter, and a sen support plan is not a letter to one parent" in result.output
    assert "parent-notification, invitation" in result.output
