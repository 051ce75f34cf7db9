"""The SENCo's dashboard: what is due, from the register's own rules, each item linked to what clears it."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import senforms
from senforms.model.agenda import agenda
from senforms.ukformat import money

from .conftest import ROOT, SAMPLE, Browser, named_like_a_script, sample_json_with

SAMPLE_LOADED = senforms.load_register(SAMPLE)


def section(page: str, element_id: str) -> str:
    found = re.search(rf'<(ul|table) id="{element_id}".*?</\1>', page, re.S)
    assert found, f"no {element_id} on the page"
    return html.unescape(found.group(0))


def name(pupil) -> str:
    return f"{pupil.known_as} {pupil.legal_surname}"


def test_a_senco_lands_on_the_dashboard_and_the_office_on_home(app) -> None:
    from .conftest import OFFICE

    senco = Browser(app.test_client())
    assert senco.sign_in().headers["Location"] == "/dashboard"
    office = Browser(app.test_client())
    assert office.sign_in(OFFICE).headers["Location"] == "/"
    assert office.get("/dashboard").status_code == 403


def test_without_a_register_it_says_so_and_links_to_the_upload(senco: Browser) -> None:
    page = senco.get("/dashboard")
    assert page.status_code == 200
    assert "No register has been uploaded yet" in page.text and 'href="/register">Upload the register' in page.text


def test_every_warning_of_the_samples_is_an_item_with_its_action(with_register: Browser) -> None:
    page = with_register.get("/dashboard").text
    meetings, letters = section(page, "few-meetings"), section(page, "not-notified")
    register = SAMPLE_LOADED.register
    due = [w for w in SAMPLE_LOADED.warnings if "meeting" in w.message or "formally told" in w.message or "due for review" in w.message]
    assert len(due) == len(SAMPLE_LOADED.warnings) >= 4  # every warning the samples have is a dashboard item
    for warning in due:
        upn = re.search(r"pupil ([A-Z0-9]{13})", warning.message).group(1)
        pupil = register.pupil(upn)
        if "due for review" in warning.message:  # from 12 December 2026, when the samples' open cycles fall due
            assert f"{name(pupil)}: cycle" in section(page, "overdue-reviews")
        elif "meeting" in warning.message:
            held = re.search(r"has had (\d+) meeting", warning.message).group(1)
            assert f"{name(pupil)}: {held} meeting" in meetings
        else:
            assert name(pupil) in letters
            assert f'href="/documents?kind=parent-notification&upn={upn}"' in letters
    assert meetings.count('href="/meetings"') == sum("meeting" in w.message and "due for review" not in w.message for w in due)
    # the letter link ticks only that pupil on the documents page
    link = re.search(r'href="(/documents\?kind=parent-notification&amp;upn=[A-Z0-9]+)"', page).group(1)
    documents = with_register.get(html.unescape(link)).text
    assert re.findall(r'name="upn" value="([^"]+)" id="[^"]+" checked', documents) == [letters.split("upn=")[1][:13]]


def test_ehc_requests_show_their_checklist_and_link_to_the_pack(with_register: Browser) -> None:
    page = with_register.get("/dashboard").text
    table = section(page, "ehc-requests")
    requesting = [p for p in SAMPLE_LOADED.register.pupils if p.requests_ehc_assessment]
    assert len(requesting) == 3
    for pupil in requesting:
        assert f'href="/ehc/{pupil.upn}">Open the EHC pack' in table
        assert name(pupil) in table
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(\d+)</td>\s*<td>(.*?)</td>", table, re.S)
    assert [r[0] for r in rows] == [name(p) for p in requesting]
    # nothing uploaded yet: the professional reports the Evidence sheet lists are not in the pack
    assert all(r[1] == "0" and "missing" in r[2] for r in rows)


def test_an_overdue_review_is_listed_with_the_review_record_to_make(with_register: Browser, tmp_path) -> None:
    data = json.loads((ROOT / "samples" / "register.json").read_text(encoding="utf-8"))
    pupil = next(p for p in data["pupils"] if p["upn"] == "F881999919005")
    past = dt.date.today() - dt.timedelta(days=10)
    pupil["cycles"][-1]["review_date"] = past.isoformat()
    path = tmp_path / "late.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert with_register.upload(path).status_code == 200
    page = with_register.get("/dashboard").text
    overdue = section(page, "overdue-reviews")
    from senforms.ukformat import long_date

    assert f"was due for review on {long_date(past)}" in overdue and "F881999919005" in overdue
    assert 'href="/documents?kind=review&upn=F881999919005"' in overdue
    # the same pupil the register's warning names
    warnings = senforms.load_register(path).warnings
    assert any("F881999919005" in w.message and "due for review" in w.message for w in warnings)


def test_the_cost_chart_is_svg_with_a_title_a_description_and_a_table(with_register: Browser) -> None:
    page = with_register.get("/dashboard").text
    svg = re.search(r'<svg class="cost-chart" role="img" aria-labelledby="cost-title cost-desc".*?</svg>', page, re.S)
    assert svg, "the chart is an SVG image with a name"
    svg_text = svg.group(0)
    assert '<title id="cost-title">Provision cost per pupil against the notional £6,000</title>' in svg_text
    assert '<desc id="cost-desc">' in svg_text
    due = agenda(SAMPLE_LOADED.register, dt.date.today())
    assert svg_text.count("<rect ") == len(due.costs) == 13
    assert 'class="threshold-line"' in svg_text
    # the text alternative: every pupil's figure, the library's own
    table = section(page, "costs")
    for cost in due.costs:
        figure = money(SAMPLE_LOADED.register.provision_costs(cost.pupil, dt.date.today()).total)
        assert re.search(rf"<td>{re.escape(name(cost.pupil))}</td><td>{re.escape(figure)}</td><td>(Below|At or above)</td>", table), name(cost.pupil)
    below = sum(c.below_threshold for c in due.costs)
    assert table.count("<td>Below</td>") == below and 0 < below < 13
    assert f"{below} below the notional £6,000" in svg_text


def test_a_pupil_named_like_a_script_is_shown_as_typed(with_register: Browser, tmp_path) -> None:
    assert with_register.upload(sample_json_with(tmp_path, named_like_a_script(3))).status_code == 200  # one with too few meetings
    page = with_register.get("/dashboard").text
    assert "<script>alert(1)</script>" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # the meetings item, the chart and its table
