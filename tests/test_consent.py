"""Issue 10, item 1: every sentence about agreement to an EHC request comes from consents that count.

A consent counts when it covers the request and is given by the right person: for a child, a
parent or carer with parental responsibility; over compulsory school age, the young person.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document

from senforms.bundle.checklist import build_checklist
from senforms.cli import cli
from senforms.errors import InputError
from senforms.inputs import load_register
from tests.conftest import AS_OF

DATE = "23/11/2026"
AMARA, ZOE = "Z881999919001", "C881999919003"


def _register(samples: Path, tmp_path: Path, upn: str, change) -> Path:
    data = json.loads((samples / "register.json").read_text(encoding="utf-8"))
    pupil = next(p for p in data["pupils"] if p["upn"] == upn)
    change(pupil)
    path = tmp_path / "register.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _reason(pupil: dict, text: str = "Amara's parents could not be reached before the panel date.") -> None:
    reviews = [c["review"] for c in pupil["cycles"] if c.get("review")]
    max(reviews, key=lambda r: r["date"])["no_consent_reason"] = text


def _text(path: Path) -> str:
    document = Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _render(path: Path, tmp_path: Path, upn: str) -> dict[str, str]:
    texts = {}
    for kind in ("ehc-request", "la-cover-letter"):
        out = tmp_path / kind
        result = CliRunner().invoke(cli, ["render", kind, str(path), "-o", str(out), "--pupil", upn, "--date", DATE], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        (made,) = out.glob("*.docx")
        texts[kind] = _text(made)
    return texts


def _errors(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_register(path, as_of=AS_OF)
    return [str(p) for p in caught.value.problems]


def _checklist_line(path: Path, upn: str):
    register = load_register(path, as_of=AS_OF).register
    pupil = next(p for p in register.pupils if p.upn == upn)
    assert register.local_authority is not None
    costs = register.provision_costs(pupil, AS_OF)
    return next(i for i in build_checklist(pupil, register.local_authority, AS_OF, costs) if i.label == "Agreement of parents or the young person")


def _never_claims_agreement(texts: dict[str, str]) -> None:
    for text in texts.values():
        assert "agree to it" not in text and "agrees to it" not in text
        assert "This request has the agreement of" not in text and "knowledge and agreement" not in text


# --- only information-sharing consent -----------------------------------------------------------

def _sharing_only(pupil: dict) -> None:
    pupil["consents"][0]["scope"] = "information_sharing"


def test_information_sharing_alone_is_not_agreement_and_blocks_a_school_request(samples, tmp_path):
    errors = _errors(_register(samples, tmp_path, AMARA, _sharing_only))
    assert any("pupils[0]:" in e and AMARA in e and "no agreement to the request" in e and "Consent sheet" in e for e in errors), errors


def test_information_sharing_alone_is_missing_in_the_checklist_and_never_agreement_in_the_letter(samples, tmp_path):
    path = _register(samples, tmp_path, AMARA, lambda p: (_sharing_only(p), _reason(p)))
    item = _checklist_line(path, AMARA)
    assert not item.ok and "no consent to the request from a parent or carer with parental responsibility" in item.detail
    texts = _render(path, tmp_path, AMARA)
    _never_claims_agreement(texts)
    assert "We have not yet recorded the family's agreement to this request." in texts["la-cover-letter"]
    assert "We are making the request without it, for this reason: Amara's parents could not be reached" in texts["la-cover-letter"]
    assert "No agreement to this request has been recorded yet (see section 4)." in texts["ehc-request"]


# --- consent from a contact without parental responsibility ------------------------------------

def _by_marcus(pupil: dict) -> None:
    pupil["consents"][0].update(contact_id="C2", given_by=None)  # Marcus Bell: no parental responsibility


def test_consent_from_a_contact_without_parental_responsibility_blocks_the_request(samples, tmp_path):
    errors = _errors(_register(samples, tmp_path, ZOE, _by_marcus))
    assert any("pupils[2].consents[0]:" in e and "Marcus Bell does not have parental responsibility for Zoë" in e for e in errors), errors


def test_consent_from_a_contact_without_parental_responsibility_is_described_truthfully(samples, tmp_path):
    path = _register(samples, tmp_path, ZOE, lambda p: (_by_marcus(p), _reason(p, "Zoë's mother is in hospital.")))
    assert not _checklist_line(path, ZOE).ok
    texts = _render(path, tmp_path, ZOE)
    _never_claims_agreement(texts)
    assert "Marcus Bell agreed to it on 30 March 2026, but Marcus Bell does not have parental responsibility for Zoë." in texts["la-cover-letter"]
    assert "No agreement to this request from anyone with parental responsibility for Zoë has been recorded yet" in texts["ehc-request"]
    assert "The school is making the request without it, for this reason: Zoë's mother is in hospital." in texts["ehc-request"]


def test_an_unknown_contact_id_is_an_error_at_its_cell(samples, tmp_path):
    errors = _errors(_register(samples, tmp_path, ZOE, lambda p: p["consents"][0].update(contact_id="C9")))
    assert any("consents[0].contact_id" in e and "no contact with ID C9" in e for e in errors), errors


# --- a young person whose mother signed ---------------------------------------------------------

def _young_person(pupil: dict) -> None:
    pupil["date_of_birth"] = "2009-05-14"  # compulsory school age ended on 26 June 2026
    pupil["year_group"] = 12


def test_a_young_person_whose_mother_signed_is_refused(samples, tmp_path):
    errors = _errors(_register(samples, tmp_path, AMARA, _young_person))
    assert any("pupils[0].consents[0]:" in e for e in errors), errors
    assert any("Amara is over compulsory school age, so the agreement must be Amara's own" in e for e in errors), errors


def test_a_young_person_whose_mother_signed_says_who_consented_and_not_that_the_young_person_agrees(samples, tmp_path):
    path = _register(samples, tmp_path, AMARA, lambda p: (_young_person(p), _reason(p, "Amara asked her mother to sign for her.")))
    item = _checklist_line(path, AMARA)
    assert not item.ok and "Grace Okafor" in item.detail and "over compulsory school age" in item.detail
    texts = _render(path, tmp_path, AMARA)
    _never_claims_agreement(texts)
    request, letter = texts["ehc-request"], texts["la-cover-letter"]
    assert "Grace Okafor agreed to this request on 2 November 2026, but Amara is over compulsory school age, so the agreement must be Amara's own." in request
    assert "No agreement to this request from Amara has been recorded yet (see section 4)." in request
    assert "We have not yet recorded Amara's own agreement to this request." in letter
    assert "Grace Okafor agreed to it on 2 November 2026" in letter


def test_a_young_persons_own_consent_is_their_agreement(samples, tmp_path):
    def own(pupil: dict) -> None:
        _young_person(pupil)
        pupil["consents"][0].update(young_person=True, given_by=None)

    path = _register(samples, tmp_path, AMARA, own)
    item = _checklist_line(path, AMARA)
    assert item.ok and "Amara Okafor (the young person)" in item.detail
    texts = _render(path, tmp_path, AMARA)
    assert "Amara knows about this request and agrees to it (see section 4)." in texts["ehc-request"]
    assert "made with the knowledge and agreement of the young person." in texts["ehc-request"]
    assert "Amara knows about this request and agrees to it. Their consent is recorded" in texts["la-cover-letter"]
    assert "Grace Okafor" not in texts["la-cover-letter"]


# --- the right consent, by name (older registers) or by Contact ID -------------------------------

@pytest.mark.parametrize("by_id", [False, True])
def test_a_parent_with_parental_responsibility_is_named_as_agreeing(samples, tmp_path, by_id):
    change = (lambda p: p["consents"][0].update(contact_id="C1", given_by=None)) if by_id else (lambda p: None)
    path = _register(samples, tmp_path, AMARA, change)
    assert _checklist_line(path, AMARA).ok
    texts = _render(path, tmp_path, AMARA)
    assert "This request has the agreement of Grace Okafor (mother), with parental responsibility for Amara (see section 4)." in texts["ehc-request"]
    assert "made with the knowledge and agreement of Grace Okafor (mother), with parental responsibility for Amara." in texts["ehc-request"]
    assert "This request has the agreement of Grace Okafor (mother), with parental responsibility for Amara." in texts["la-cover-letter"]


def test_in_the_workbook_the_error_is_at_the_consent_row(sample_copy):
    import openpyxl

    path = sample_copy / "register.xlsx"
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Consent"]
    headers = {c.value: c.column for c in sheet[1]}
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, headers["Given by"]).value == "Siobhán Ní Bhriain")
    sheet.cell(row, headers["Given by"]).value = "Marcus Bell"
    workbook.save(path)
    errors = _errors(path)
    assert any(f"Consent › row {row}" in e and "Marcus Bell does not have parental responsibility" in e for e in errors), errors
