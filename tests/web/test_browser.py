"""End-to-end tests in a real browser: Debian's chromium driven by Selenium against a real
`senforms serve` (waitress and its job consumer) and a real SMTP server on loopback.

Nothing here downloads a browser: Selenium is pointed at /usr/bin/chromium and /usr/bin/chromedriver
(installed by .ci/run and scripts/setup.sh), so Selenium Manager never runs. Every page the tests
visit is checked with axe-core (vendored in tests/web/vendor/) for serious and critical
accessibility problems, and the browser's console for anything the Content-Security-Policy blocked.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pypdf import PdfReader
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from ..smtp_server import LoopbackController, Recorder

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REPO = Path(__file__).resolve().parents[2]
SAMPLE_XLSX = REPO / "samples" / "register.xlsx"
SAMPLE_JSON = REPO / "samples" / "register.json"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SENCO = ("senco@hollybrook-primary.example", "purple kettle meadow")
OFFICE = ("office@hollybrook-primary.example", "quiet lantern orchard")
SCHOOL_FROM = "office@hollybrook-primary.example"
WAIT = 120  # seconds: a batch of letters goes through LibreOffice

pytestmark = [
    pytest.mark.browser,
    pytest.mark.libreoffice,
    pytest.mark.timeout(600),
    pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()), reason="needs Debian's chromium and chromium-driver (installed by .ci/run)"),
]



# --- the server, the mail server and the browser ----------------------------------------------------


@dataclass
class Server:
    url: str
    data: Path
    log: Path
    mail: Recorder

    def get(self, path: str, cookies: dict[str, str] | None = None, data: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        """A plain HTTP request (no browser), with the browser's cookies when given."""
        request = urllib.request.Request(self.url + path, data=data)
        if cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _senforms(*args: str | Path, **kwargs) -> subprocess.CompletedProcess:  # noqa: ANN003
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    return subprocess.run([sys.executable, "-m", "senforms", *map(str, args)], env=env, capture_output=True, text=True, timeout=60, **kwargs)


@pytest.fixture(scope="module")
def mail() -> Iterator[Recorder]:
    recorder = Recorder()
    controller = LoopbackController(recorder)
    controller.start()
    recorder.port = controller.port  # type: ignore[attr-defined]
    yield recorder
    controller.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, mail: Recorder) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("serve")
    data = home / "data"
    settings = home / "school-settings.toml"
    settings.write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {mail.port}\nsecurity = "none"\nfrom = "Hollybrook Primary <{SCHOOL_FROM}>"\n'  # type: ignore[attr-defined]
        "rate_per_minute = 6000\ntimeout = 10\n",
        encoding="utf-8",
    )
    for (email, password), role in ((SENCO, "senco"), (OFFICE, "office")):
        made = _senforms("users", "add", email, "--role", role, "--data", data, input=password + "\n")
        assert made.returncode == 0, made.stdout + made.stderr
    port = _free_port()
    log = home / "serve.log"
    # Its own send log: the server outlives any one test, so the per-test log of tests/conftest.py
    # does not reach it, and the user's real log must never be touched by tests.
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), PYTHONUNBUFFERED="1", SENFORMS_SEND_LOG=str(home / "send-log.jsonl"))
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "senforms", "serve", "--port", str(port), "--data", str(data), "--config", str(settings)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    running = Server(url, data, log, mail)
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, f"senforms serve stopped at once:\n{log.read_text(errors='replace')}"
        try:
            if running.get("/health")[2] == b"ok":
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, f"senforms serve did not answer /health:\n{log.read_text(errors='replace')}"
        time.sleep(0.2)
    yield running
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail("senforms serve did not stop on Ctrl+C (SIGINT) within 30 s")


@pytest.fixture(scope="module")
def browser_downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture
def driver(browser_downloads: Path) -> Iterator[webdriver.Chrome]:
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)  # with the driver's path too, Selenium Manager never runs
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=en-GB", "--window-size=1280,1024", "--no-first-run"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option("prefs", {"download.default_directory": str(browser_downloads), "download.prompt_for_download": False})
    chrome = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    chrome.set_page_load_timeout(60)
    yield chrome
    chrome.quit()


# --- what every page must pass: axe-core and the CSP --------------------------------------------------


@dataclass
class Pages:
    """The browser at the server, checking every page it lands on."""

    driver: webdriver.Chrome
    server: Server
    problems: list[str] = field(default_factory=list)
    audited: list[str] = field(default_factory=list)

    def open(self, path: str) -> None:
        self.driver.get(self.server.url + path)
        self.audit()

    def audit(self) -> None:
        """axe-core on this page (serious and critical violations), and the console's CSP complaints."""
        self.wait_for(lambda d: d.execute_script("return document.readyState") == "complete")
        where = self.driver.current_url.removeprefix(self.server.url)
        self.audited.append(where)
        if not self.driver.execute_script("return typeof window.axe !== 'undefined'"):
            self.driver.execute_script(AXE.read_text(encoding="utf-8"))
        self.driver.set_script_timeout(60)
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']}).then(r => done(JSON.stringify(r.violations))).catch(e => done(JSON.stringify({error: String(e)})));"
        )
        violations = json.loads(result)
        assert not isinstance(violations, dict), f"axe-core failed on {where}: {violations}"
        for violation in violations:
            if os.environ.get("SENFORMS_AXE_ALL"):
                print(where, violation["impact"], violation["id"], [" ".join(map(str, n["target"])) for n in violation["nodes"]][:5])
            if violation.get("impact") in ("serious", "critical"):
                targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
                self.problems.append(f"{where}: axe {violation['impact']} {violation['id']} ({violation['help']}) at {targets}")
        self.check_console(where)

    def check_console(self, where: str) -> None:
        for entry in self.driver.get_log("browser"):
            message = entry.get("message", "")
            if "Content Security Policy" in message or "Content-Security-Policy" in message or "Refused to" in message:
                self.problems.append(f"{where}: console: {message}")

    def assert_clean(self) -> None:
        self.check_console(self.driver.current_url.removeprefix(self.server.url))
        if os.environ.get("SENFORMS_AXE_ALL"):
            print("pages checked:", self.audited)
        assert self.audited, "no page was checked"
        assert not self.problems, "Accessibility or CSP problems:\n" + "\n".join(self.problems)

    def wait_for(self, condition, timeout: float = 30, message: str = ""):  # noqa: ANN001, ANN201
        # A page being replaced can answer "node does not belong to the document" for a moment: try again.
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1, ignored_exceptions=(WebDriverException,)).until(condition, message)

    def find(self, css: str):  # noqa: ANN201
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str):  # noqa: ANN201
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def h1(self) -> str:
        return self.find("h1").text

    def submit(self, button_text: str) -> None:
        """Press the button with this text and check the page it leads to."""
        button = self.driver.find_element(By.XPATH, f"//button[normalize-space()={_xpath_literal(button_text)}]")
        old = self.find("html")
        button.click()
        self.wait_for(EC.staleness_of(old), message=f"pressing {button_text!r} did not load a page")
        self.audit()

    def follow(self, link_text: str) -> None:
        link = self.driver.find_element(By.PARTIAL_LINK_TEXT, link_text)
        old = self.find("html")
        link.click()
        self.wait_for(EC.staleness_of(old), message=f"following {link_text!r} did not load a page")
        self.audit()

    def sign_in(self, account: tuple[str, str]) -> None:
        self.open("/sign-in")
        self.find("#email").send_keys(account[0])
        self.find("#password").send_keys(account[1])
        self.submit("Sign in")
        assert account[0] in self.find(".who").text, self.h1()

    def set_date(self, css: str, iso: str) -> None:
        # A date input's typed format depends on the browser's locale; its value is always ISO.
        self.driver.execute_script("arguments[0].value = arguments[1]", self.find(css), iso)

    def cookies(self) -> dict[str, str]:
        return {c["name"]: c["value"] for c in self.driver.get_cookies()}

    def table(self, css: str) -> list[list[str]]:
        return [[cell.text for cell in row.find_elements(By.CSS_SELECTOR, "td")] for row in self.find_all(f"{css} tbody tr")]

    def wait_for_job(self) -> None:
        """On a job's page: the progress bar moves, then htmx swaps in the finished page."""
        assert re.search(r"/jobs/[^/]+$", self.driver.current_url), self.driver.current_url
        seen: set[str] = set()

        def finished(d) -> bool:  # noqa: ANN001
            bars = d.find_elements(By.ID, "progress-bar")
            if bars:
                try:
                    seen.add(bars[0].get_attribute("value") or "")
                except Exception:  # noqa: BLE001 - swapped out between the find and the read
                    pass
                return False
            return d.execute_script("return document.readyState") == "complete" and not d.find_elements(By.ID, "progress")

        self.wait_for(finished, timeout=WAIT, message="the job did not finish")
        self.progress_seen = seen
        if os.environ.get("SENFORMS_AXE_ALL"):
            print("progress values seen:", sorted(seen))
        self.audit()


def _xpath_literal(text: str) -> str:
    return f'"{text}"' if '"' not in text else "concat('" + "', '\"', '".join(text.split('"')) + "')"


@pytest.fixture
def pages(driver: webdriver.Chrome, server: Server) -> Pages:
    return Pages(driver, server)


def _ensure_register(pages: Pages) -> None:
    """The sample workbook is the register in use (uploaded through the page if not yet)."""
    pages.open("/register")
    if "In use now" not in pages.find("main").text:
        pages.find("#register-file").send_keys(str(SAMPLE_XLSX))
        pages.submit("Upload and check")


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text))


def _sample_pupils() -> list[dict]:
    return json.loads(SAMPLE_JSON.read_text(encoding="utf-8"))["pupils"]


# --- the tests -----------------------------------------------------------------------------------------


def test_signed_out_pages_lead_to_sign_in_and_back(pages: Pages) -> None:
    pages.open("/documents")
    assert pages.driver.current_url.startswith(pages.server.url + "/sign-in"), pages.driver.current_url
    assert pages.h1() == "Sign in to senforms"
    pages.find("#email").send_keys(SENCO[0])
    pages.find("#password").send_keys("not the password at all")
    pages.submit("Sign in")
    assert pages.find("#sign-in-problem").is_displayed()
    # With the keyboard alone: the skip link first, then the form in reading order, Enter to send.
    pages.open("/sign-in?next=/documents")
    order = []
    for _ in range(4):
        ActionChains(pages.driver).send_keys(Keys.TAB).perform()
        active = pages.driver.switch_to.active_element
        order.append(active.get_attribute("id") or active.text)
    assert order == ["Skip to main content", "email", "password", "Sign in"], order
    ActionChains(pages.driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    assert pages.driver.switch_to.active_element.get_attribute("id") == "email"
    old = pages.find("html")
    ActionChains(pages.driver).send_keys(SENCO[0], Keys.TAB, SENCO[1], Keys.ENTER).perform()
    pages.wait_for(EC.staleness_of(old))
    pages.audit()
    assert pages.driver.current_url.startswith(pages.server.url + "/documents"), "signing in goes back to the page asked for"
    pages.submit("Sign out")
    assert pages.h1() == "Sign in to senforms"
    pages.assert_clean()


def test_senco_uploads_the_sample_workbook_and_sees_its_warnings(pages: Pages) -> None:
    pages.sign_in(SENCO)
    assert pages.h1() == "What is due", "a SENCo lands on the dashboard"
    if "No register has been uploaded yet" in pages.find("main").text:
        pages.follow("Upload the register")
    assert pages.h1() == "The SEN register"
    pages.open("/register")
    pages.find("#register-file").send_keys(str(SAMPLE_XLSX))
    pages.submit("Upload and check")
    assert "register.xlsx is now the register in use" in pages.find(".notice-success").text
    assert not pages.find_all("#errors")
    warnings = pages.table("#warnings")
    assert warnings, "the sample register's warnings are shown as a table"
    assert all(len(row) == 6 and row[0] == "register.xlsx" for row in warnings), warnings
    assert any("meeting" in row[4] and "3" in row[4] for row in warnings), warnings  # the three-a-year expectation
    headers = [th.text for th in pages.find_all("#warnings thead th")]
    assert headers == ["File", "Sheet", "Row", "Column", "Problem", "How to fix it"]
    summary = pages.find("dl.summary").text
    assert "13" in summary
    pages.open("/")
    assert "register.xlsx" in pages.find("main").text
    pages.assert_clean()


def test_parent_letters_as_one_merged_pdf_with_every_pupils_letter(pages: Pages) -> None:
    pages.sign_in(SENCO)
    _ensure_register(pages)
    pages.open("/documents?kind=parent-notification")
    Select(pages.find("#kind")).select_by_value("parent-notification")
    boxes = pages.find_all("input[type=checkbox][name=upn]")
    assert len(boxes) == 13 and all(box.is_selected() for box in boxes)
    # "Untick all" and "Tick all" (senforms.js) work under the CSP
    pages.driver.find_element(By.XPATH, "//button[normalize-space()='Untick all']").click()
    assert not any(box.is_selected() for box in boxes)
    pages.driver.find_element(By.XPATH, "//button[normalize-space()='Tick all']").click()
    assert all(box.is_selected() for box in boxes)
    pages.find("#output-pdf").click()
    pages.find("#all").click()  # the first pupil's family was told already: preview their letter anyway
    pages.submit("Preview the first document")
    assert pages.find("#preview-heading").text.startswith("Preview:")
    assert Select(pages.find("#kind")).first_selected_option.get_attribute("value") == "parent-notification"

    pages.find("#output-pdf").click()
    if not pages.find("#all").is_selected():  # every family, told already or not (issue 10: only those still due by default)
        pages.find("#all").click()
    pages.submit("Make the documents")
    assert pages.h1() == "Making documents"
    pages.wait_for_job()
    assert pages.progress_seen, "the page showed a progress bar while the letters were made"
    assert "Finished." in pages.find("main").text
    links = pages.find_all("ul.downloads a")
    assert len(links) == 1, [a.text for a in links]
    href = links[0].get_attribute("href")
    assert re.fullmatch(re.escape(pages.server.url) + r"/files/[A-Za-z0-9_-]{16,}", href), href

    status, headers, body = pages.server.get(href.removeprefix(pages.server.url), cookies=pages.cookies())
    assert status == 200 and body.startswith(b"%PDF"), (status, headers)
    assert headers.get("Cache-Control") == "no-store"
    assert pages.server.get(href.removeprefix(pages.server.url))[0] in (302, 303, 401, 403), "the file needs a signed-in user"
    text = _normalised("\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages))
    on_support = [p for p in _sample_pupils() if p["sen_status"] == "K"]
    assert len(on_support) == 12
    missing = [f"{p['legal_forename']} {p['legal_surname']}" for p in on_support if _normalised(p["legal_surname"]) not in text or _normalised(p["legal_forename"]) not in text]
    assert not missing, f"letters missing from the merged PDF: {missing}"
    pages.assert_clean()


def test_invitations_sent_through_the_confirmation_page_reach_exactly_its_recipients(pages: Pages, server: Server) -> None:
    pages.sign_in(OFFICE)
    pages.open("/register")
    if "In use now" not in pages.find("main").text:
        pages.sign_in(SENCO)
        _ensure_register(pages)
    pages.open("/invitations")
    pages.set_date("#from", "2026-12-01")
    pages.set_date("#to", "2026-12-10")
    pages.set_date("#on", "2026-11-30")
    pages.submit("Make the invitations")
    if pages.find_all("#progress"):
        pages.wait_for_job()
    assert pages.h1() == "Check the invitations", pages.find("main").text
    review = pages.driver.current_url.removeprefix(server.url)
    rows = pages.table("table.invitations")
    assert rows, "the review lists who is invited"
    emails = [row for row in rows if "Email" in row[3]]
    posted = [row for row in rows if row[3] == "Post"]
    assert emails and posted, rows
    pages.follow("Email")
    assert pages.find("h1").text, "the email preview has a heading"
    pages.driver.back()
    pages.audit()

    # The print pile: one PDF with a letter for everyone invited by post.
    pile = pages.find_all("a[href^='/files/']")
    pile_link = next(a for a in pile if a.text == "Download the letters to post").get_attribute("href")
    status, _, body = server.get(pile_link.removeprefix(server.url), cookies=pages.cookies())
    assert status == 200 and body.startswith(b"%PDF")
    pile_text = _normalised("\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages))
    missing = [row[1] for row in posted if _normalised(row[1].splitlines()[0]) not in pile_text]
    assert not missing, f"no letter to post for {missing}"

    pages.follow("Send the emails")
    confirm = pages.table("table.confirm")
    assert len(confirm) == len(emails), (confirm, emails)
    addresses = sorted(row[1] for row in confirm)
    before = len(server.mail.envelopes)
    pages.submit(f"Send {len(confirm)} email{'s' if len(confirm) != 1 else ''} now")
    pages.wait_for_job()
    assert pages.h1() == "Sending invitations"
    results = pages.table("table.results")
    assert sorted(row[1] for row in results) == addresses
    assert {row[2] for row in results} == {"Sent"}, results
    arrived = server.mail.envelopes[before:]
    assert sorted(r for _, rcpts, _ in arrived for r in rcpts) == addresses, "the mail server got exactly the confirmation page's recipients"
    assert all(len(rcpts) == 1 for _, rcpts, _ in arrived), "each email goes to one person"
    assert {sender for sender, _, _ in arrived} == {SCHOOL_FROM}

    # The send ledger applies: the same invitations have nothing left to send.
    pages.open(review + "/send")
    assert pages.h1() == "Send 0 emails?"
    assert "Nothing to send" in pages.find("main").text
    pages.assert_clean()


def test_office_is_refused_the_register_upload_but_uses_the_rest(pages: Pages, server: Server, browser_downloads: Path) -> None:
    downloads = browser_downloads
    pages.sign_in(OFFICE)
    pages.open("/register")
    assert not pages.find_all("#register-file"), "the office sees no upload form"
    assert "Only the SENCo can upload a new register." in pages.find("main").text
    # The server refuses it too, whatever the page shows: post the upload form by hand, with a valid token.
    token = pages.find("form.sign-out input[name=csrf_token]").get_attribute("value")
    pages.driver.execute_script(
        "const form = document.createElement('form'); form.method = 'post'; form.action = '/register'; form.enctype = 'multipart/form-data';"
        "const token = document.createElement('input'); token.type = 'hidden'; token.name = 'csrf_token'; token.value = arguments[0]; form.append(token);"
        "const file = document.createElement('input'); file.type = 'file'; file.name = 'register'; file.id = 'smuggled'; form.append(file);"
        "const go = document.createElement('button'); go.type = 'submit'; go.textContent = 'Smuggle'; form.append(go);"
        "document.querySelector('main').append(form);",
        token,
    )
    pages.find("#smuggled").send_keys(str(SAMPLE_XLSX))
    pages.submit("Smuggle")
    assert pages.h1() == "You cannot use this page"
    boundary = "senformsboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"register\"; filename=\"register.json\"\r\nContent-Type: application/json\r\n\r\n").encode() \
        + SAMPLE_JSON.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(server.url + "/register", data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Cookie": "; ".join(f"{k}={v}" for k, v in pages.cookies().items())})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 403

    pages.open("/meetings")
    assert pages.h1().startswith("Meetings with parents")
    assert pages.table("table.meetings")
    before = set(downloads.iterdir())
    pages.driver.find_element(By.XPATH, "//button[normalize-space()='Download the register with these meetings added']").click()
    workbook = pages.wait_for(lambda d: next((f for f in set(downloads.iterdir()) - before if f.suffix == ".xlsx"), None), timeout=60, message="the workbook was not downloaded")
    assert workbook.read_bytes()[:2] == b"PK", "an .xlsx is a zip file"
    assert pages.h1().startswith("Meetings with parents"), "downloading leaves the page where it was"
    pages.open("/documents")
    assert pages.find_all("input[name=upn]")
    pages.open("/no-such-page")
    assert pages.h1() == "Page not found"
    pages.assert_clean()


def test_senco_checks_a_template_saves_settings_and_reads_the_audit(pages: Pages, server: Server, tmp_path: Path) -> None:
    from docx import Document

    from senforms.resources import docx_templates_dir

    broken = tmp_path / "our-plan.docx"
    document = Document(str(docx_templates_dir() / "support-plan.docx"))
    document.add_paragraph("{% if pupil.upn %}never closed")
    document.save(str(broken))
    pages.sign_in(SENCO)
    pages.follow("Templates")
    Select(pages.find("#template-kind")).select_by_value("support-plan")
    pages.find("#template-file").send_keys(str(broken))
    pages.submit("Check and use")
    assert "our-plan.docx was not used" in pages.find(".notice-error").text
    assert "is never closed" in pages.find("#findings").text
    pages.follow("Settings")
    assert "The password is not set" in pages.find("main").text
    pages.submit("Save")
    assert "Saved the [web] settings" in pages.find(".notice-success").text
    assert "retention_days = 30" in (server.data.parent / "school-settings.toml").read_text(encoding="utf-8")
    pages.follow("Audit")
    Select(pages.find("#action")).select_by_value("template uploaded")
    pages.submit("Show")
    rows = pages.table("#audit")
    assert rows and rows[0][2] == "template uploaded" and rows[0][4] == "refused: 1 error(s)"
    pages.follow("Delete old files now")
    assert pages.h1() == "Delete old files"
def test_the_dashboard_shows_the_samples_warnings_as_items(pages: Pages) -> None:
    import senforms

    pages.sign_in(SENCO)
    _ensure_register(pages)
    pages.open("/dashboard")
    assert pages.h1() == "What is due"
    loaded = senforms.load_register(SAMPLE_XLSX)
    items = [li.text for li in pages.find_all("#overdue-reviews li, #few-meetings li, #not-notified li")]
    assert len(loaded.warnings) == len(items) >= 4, (items, [w.message for w in loaded.warnings])
    for warning in loaded.warnings:
        pupil = loaded.register.pupil(re.search(r"pupil ([A-Z0-9]{13})", warning.message).group(1))
        assert any(f"{pupil.known_as} {pupil.legal_surname}" in item for item in items), warning.message
    chart = pages.find("svg.cost-chart")
    assert chart.get_attribute("role") == "img" and len(pages.find_all("svg.cost-chart rect")) == len(pages.table("#costs")) == 13
    pages.driver.find_element(By.CSS_SELECTOR, "#not-notified a").click()
    pages.wait_for(lambda d: "/documents" in d.current_url)
    pages.audit()
    ticked = [box.get_attribute("value") for box in pages.find_all("input[name=upn]") if box.is_selected()]
    assert ticked == [w for w in re.findall(r"pupil ([A-Z0-9]{13})", " ".join(w.message for w in loaded.warnings if "formally told" in w.message))]
    pages.assert_clean()


def test_senco_builds_an_ehc_pack_with_an_uploaded_report_and_sends_it_to_the_la(pages: Pages, server: Server, tmp_path: Path) -> None:
    pages.sign_in(SENCO)
    _ensure_register(pages)
    pages.open("/dashboard")
    pages.driver.find_element(By.CSS_SELECTOR, "a[href='/ehc/Z881999919001']").click()
    pages.wait_for(lambda d: d.current_url.endswith("/ehc/Z881999919001"))
    pages.audit()
    assert pages.h1() == "EHC request pack: Amara Okafor"

    def checklist_state(label: str) -> str:
        return next(row[1] for row in pages.table("#checklist") if row[0] == label)

    assert checklist_state("Advice from external professionals") == "Missing"
    # Two files chosen at once: the script sends them one by one, and each is answered as it arrives.
    notes = tmp_path / "notes from mum.pdf"
    notes.write_text("Just some notes, not a PDF.\n", encoding="utf-8")
    pages.find("#evidence-files").send_keys(f"{REPO / 'samples' / 'evidence' / '01-ep-report.pdf'}\n{notes}")
    pages.driver.find_element(By.XPATH, "//button[normalize-space()='Upload and check']").click()
    pages.wait_for(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#upload-log .arrival")) >= 2, timeout=WAIT, message="the uploads were not answered")
    log = pages.find("#upload-log").text
    assert "01-ep-report.pdf: taken in as report from an external professional" in log, log
    assert "Not added: notes from mum.pdf: this is a plain text file, not a PDF" in log, log
    pages.wait_for(lambda d: checklist_state("Advice from external professionals") == "OK", message="the checklist did not change")
    assert pages.driver.current_url.endswith("/ehc/Z881999919001"), "htmx changed the page in place"
    # A file dropped on the box goes the same way.
    pages.driver.execute_script(
        "const data = new DataTransfer(); data.items.add(new File(['<html>not a report</html>'], 'dropped.pdf', {type: 'application/pdf'}));"
        "const zone = document.querySelector('.drop-zone');"
        "zone.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true}));"
    )
    pages.wait_for(lambda d: "dropped.pdf: this is a web page (HTML)" in d.find_element(By.ID, "upload-log").text, timeout=60, message="the dropped file was not named")
    pages.audit()

    pages.set_date("#pack-on", "2026-11-23")
    pages.find("#protect").click()
    pages.submit("Make the pack")
    assert pages.h1() == "Making the EHC request pack"
    pages.wait_for_job()
    assert "Finished." in pages.find("main").text, pages.find("main").text
    passphrase = pages.find("#passphrase").text
    assert re.fullmatch(r"[a-z]+(-[a-z]+){3}-\d{4}", passphrase), passphrase
    zip_link = next(a for a in pages.find_all("ul.downloads a") if a.text == "The whole pack, in a zip file").get_attribute("href")
    status, _, body = server.get(zip_link.removeprefix(server.url), cookies=pages.cookies())
    assert status == 200
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(body))
    bundle = PdfReader(io.BytesIO(archive.read(next(n for n in archive.namelist() if n.endswith("-bundle.pdf")))))
    assert bundle.is_encrypted and bundle.decrypt(passphrase)
    text = "\n".join(page.extract_text() or "" for page in bundle.pages)
    assert "Educational psychology report" in text and "Amara" in text
    pages.open(pages.driver.current_url.removeprefix(server.url))
    assert not pages.find_all("#passphrase") and passphrase not in pages.find("main").text, "the passphrase is shown once"

    pages.follow("Send it to the local authority")
    assert pages.h1() == "Send the pack to Northshire County Council?"
    assert "send.requests@northshire-council.example" in pages.find("#recipient").text
    attached = pages.table("#attachments")
    assert len(attached) == 1 and "bundle.pdf" in attached[0][1] and "cover-letter.pdf" in attached[0][1]
    before = len(server.mail.envelopes)
    pages.submit("Send to Northshire County Council now")
    pages.wait_for_job()
    assert [row[3] for row in pages.table("table.results")] == ["Sent"]
    arrived = server.mail.envelopes[before:]
    assert [rcpts for _, rcpts, _ in arrived] == [["send.requests@northshire-council.example"]]
    assert passphrase.encode() not in arrived[0][2]
    pages.assert_clean()


def test_server_log_holds_no_pupil_data(server: Server) -> None:
    log = server.log.read_text(encoding="utf-8", errors="replace")
    assert "senforms is running" in log
    for pupil in _sample_pupils():
        for value in (pupil["upn"], pupil["legal_surname"]):
            assert value not in log, f"the server's log quotes {value!r}"


def test_nothing_downloaded_a_browser() -> None:
    assert not (Path.home() / ".cache" / "selenium").exists() or not any((Path.home() / ".cache" / "selenium").rglob("chromedriver*")), "Selenium Manager fetched a driver"
    assert shutil.which("chromium") or CHROMIUM.exists()


def test_the_page_checks_catch_what_they_look_for(pages: Pages) -> None:
    """The checks above are alive: an image without words and an inline script are both caught."""
    pages.open("/sign-in")
    assert not pages.problems
    pages.driver.execute_script(
        "const img = document.createElement('img'); img.src = '/static/none.png'; document.querySelector('main').append(img);"
        "const s = document.createElement('script'); s.textContent = 'window.ran = 1'; document.body.append(s);"
    )
    pages.audit()
    assert not pages.driver.execute_script("return window.ran"), "the CSP let an inline script run"
    assert any("image-alt" in p for p in pages.problems), pages.problems
    assert any("console" in p and "inline script" in p for p in pages.problems), pages.problems
