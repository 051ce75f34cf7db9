"""The jobs the app runs: each a call of the library API, as the CLI command of the same name makes it."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Callable
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import senforms
from senforms.deliver import pending, school_ledger
from senforms.deliver.invitations import InvitationBatch
from senforms.documents.catalogue import ANNUAL_REVIEW_ROUTE, held_back_for_ehc_plan
from senforms.errors import DeliveryError, SenformsError
from senforms.model import Register
from senforms.ukformat import long_date
from senforms.web.files import zip_folder
from senforms.web.jobs import JobBody, JobContext
from senforms.web.registers import load_current
from senforms.web.school_settings import school_templates

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MIME = "application/pdf"
ZIP_MIME = "application/zip"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _register(context: JobContext) -> Register:
    _, loaded = load_current(context.db, context.root, context.settings_path)
    return loaded.register


def _pupils(register: Register, upns: list[str]):
    chosen = [register.pupil(upn) for upn in upns]
    missing = [upn for upn, pupil in zip(upns, chosen) if pupil is None]
    if missing:
        raise SenformsError("some of the pupils chosen are no longer in the register (it was uploaded again)", fix="choose the pupils again")
    return chosen


def make_documents(context: JobContext) -> dict[str, Any]:
    """Options: kind, upns, on (ISO date), output ('zip' or 'pdf'), duplex, all (letters for families already told too)."""
    options = context.options
    kind = options["kind"]
    register = _register(context)
    pupils = _pupils(register, options["upns"])
    on = dt.date.fromisoformat(options["on"])
    as_pdf = options["output"] == "pdf"
    folder = context.folder
    title = senforms.KINDS[kind].title
    # Steps for the bar: each document made, then (for one PDF) each one converted, then the zip or the merge.
    state = {"documents": 0, "made": 0, "converted": 0}

    def total() -> int:
        return state["documents"] * (2 if as_pdf else 1) + 1

    def started(documents: int) -> None:
        state["documents"] = documents
        context.progress(0, total(), f"Making {title.lower()}s")

    def made(_document: object) -> None:
        state["made"] += 1
        context.progress(state["made"], total(), f"Made {state['made']} of {state['documents']}")

    def converted(_conversion: object) -> None:
        state["converted"] += 1
        context.progress(state["made"] + state["converted"], total(), f"Turned {state['converted']} of {state['documents']} into PDF")

    # One PDF: the Word files are only a step (pdf_only), so no merged Word file is made on the way.
    render_options = senforms.RenderOptions(
        out_dir=folder / "documents", on=on, pdf_only=as_pdf, merge_to=folder / "print.docx" if as_pdf else None, duplex=bool(options.get("duplex")),
        include_notified=bool(options.get("all")), templates_dir=school_templates(context.settings_path, context.root),
    )
    with context.pdf_converter() if as_pdf else contextlib.nullcontext() as converter:
        result = senforms.render(register, kind, render_options, pupils, on_progress=made, on_start=started, on_converted=converted, converter=converter)
    report = result.report
    failures = [f"{item.path.name}: {item.error}" for item in report.documents if item.status == "failed"]
    failures += [f"PDF of {c.source.name}: {c.error}" for c in result.pdfs if c.status == "failed"]
    held_back = held_back_for_ehc_plan(kind, pupils)
    notes = []
    if held_back:
        why = ANNUAL_REVIEW_ROUTE if senforms.KINDS[kind].not_for_ehc_plans else "SEN support documents are not for them"
        notes.append(f"Left out {len(held_back)} pupil(s) with an EHC plan: {why}.")
    told = [item.pupil.upn for item in result.left_out if item.reason == "notified"]
    if told:
        notes.append(f"Left out {len(told)} pupil(s) whose families were already told about SEN support: tick 'also for families already told' to make their letters again.")
    others = [item for item in result.left_out if item.reason != "notified" and item.pupil not in held_back]
    if others:
        notes.append(f"Left out {len(others)} pupil(s) not on SEN support: {'; '.join(item.detail for item in others[:3])}.")
    context.keep("report.json", {"failures": failures, "notes": notes})
    files = []
    stem = f"{kind}-{on.isoformat()}"
    context.progress(total() - 1, total(), "Putting them together")
    if as_pdf:
        if result.merged_pdf is not None:
            files.append({"id": context.offer(result.merged_pdf, f"{stem}.pdf", PDF_MIME), "label": f"One PDF of every {title.lower()}, to print", "name": f"{stem}.pdf"})
    elif report.paths:
        archive = zip_folder(folder / "documents", folder / f"{stem}.zip", suffixes=(".docx",))
        files.append({"id": context.offer(archive, f"{stem}.zip", ZIP_MIME), "label": f"Every {title.lower()} as a Word document, in a zip file", "name": f"{stem}.zip"})
    context.progress(total(), total(), "Finished")
    return {"made": report.count("written"), "failed": len(failures), "files": files}


# --- invitations --------------------------------------------------------------------------------


def _prepare(context: JobContext, register: Register) -> InvitationBatch:
    options = context.options
    with context.pdf_converter() as converter:
        return senforms.prepare_invitations(
            register,
            context.folder,
            on=dt.date.fromisoformat(options["on"]),
            date_from=dt.date.fromisoformat(options["from"]) if options.get("from") else None,
            date_to=dt.date.fromisoformat(options["to"]) if options.get("to") else None,
            on_start=lambda steps: context.progress(0, steps, "Making the letters, emails and calendar invitations"),
            on_progress=lambda _name: context.advance(),
            templates_dir=school_templates(context.settings_path, context.root),
            converter=converter,
        )


def recipients_digest(pairs: list[tuple[str, str]]) -> str:
    """One value for "exactly these messages to exactly these addresses", put in the confirmation form."""
    text = "\n".join(f"{key}\t{address.casefold()}" for key, address in sorted(pairs))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def prepare_invitations(context: JobContext) -> dict[str, Any]:
    """Options: on, from, to (ISO dates; from/to may be empty). Makes every file; sends nothing."""
    register = _register(context)
    context.progress(0, 0, "Making the letters, emails and calendar invitations")
    batch = _prepare(context, register)
    rows = []
    for number, inv in enumerate(batch.invitations):
        pupil = register.pupil(inv.upn)
        row = {
            "number": number,
            "key": inv.draft.key if inv.draft else "",
            "upn": inv.upn,
            "pupil": f"{pupil.known_as} {pupil.legal_surname}" if pupil else inv.upn,
            "recipient": inv.recipient_name,
            "address": inv.draft.to_address if inv.draft else "",
            "meeting": long_date(inv.meeting_date),
            "channel": inv.channel,
            "failed": inv.failed,
            "subject": inv.draft.subject if inv.draft else "",
            "attachments": [a.filename for a in inv.draft.attachments] if inv.draft else [],
            "letter": context.offer(inv.letter_pdf, inv.letter_pdf.name, PDF_MIME) if inv.letter_pdf else "",
            "email": inv.eml.relative_to(context.folder).as_posix() if inv.eml else "",
        }
        rows.append(row)
    print_id = context.offer(batch.print_pdf, "letters-to-post.pdf", PDF_MIME) if batch.print_pdf else ""
    context.keep("invitations.json", {"rows": rows, "warnings": batch.warnings, "failures": batch.failures})
    emails = sum(1 for r in rows if r["channel"] == "email" and not r["failed"])
    return {"invitations": len(rows), "emails": emails, "posted": len(rows) - emails, "print": print_id}


def _confirmed_sending(context: JobContext, todo: list, why_changed: str, fix: str) -> Callable[[Any], None]:
    """Refuse unless `todo` is exactly what the person confirmed (options' digest); then the bar's
    callback, one step per email as it is sent, failed or found sent before."""
    if recipients_digest([(d.key, d.to_address) for d in todo]) != context.options["digest"]:
        raise DeliveryError(f"the emails ready to send are not the ones you confirmed ({why_changed}): nothing was sent", fix=fix)
    total = len(todo)
    state = {"done": 0}

    def event(result) -> None:
        if result.status in ("sent", "failed", "unknown", "skipped"):
            state["done"] += 1
            context.progress(state["done"], total, f"Sent {state['done']} of {total}")

    context.progress(0, total, "Sending")
    return event


def pending_emails(settings_path: Path | None, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The prepared emails a send now would send: not sent before, by the school's one send log
    (the same log `senforms invite --send` keeps, so nothing goes twice whichever sent it)."""
    ledger = school_ledger(settings_path)
    return [r for r in rows if r["channel"] == "email" and r["key"] and not r["failed"] and ledger.would_send(r["key"])]


def send_invitations(context: JobContext) -> dict[str, Any]:
    """Options: prepared (the preparing job's id), digest (what the person confirmed), plus its on/from/to.

    The drafts are made again from the register as it is now; if that changes who gets what since
    the confirmation page, nothing is sent.
    """
    register = _register(context)
    settings = senforms.load_smtp_settings(context.settings_path)
    preparing = JobContext(context.root, context.options["prepared"], context.user_id, context.options, context.db, context.settings_path)
    batch = _prepare(preparing, register)
    ledger = school_ledger(context.settings_path)
    event = _confirmed_sending(context, pending(batch.drafts, ledger), "the register or the send log changed since", "make the invitations again and check the list")
    report = senforms.send_invitations(batch, settings, ledger, on_event=event)
    names = {inv.draft.key: inv.recipient_name for inv in batch.invitations if inv.draft}
    results = [{"recipient": names.get(r.key, ""), "address": r.recipient, "status": r.status, "detail": r.detail} for r in report.results]
    context.keep("results.json", results)
    return {"sent": len(report.sent), "failed": len(report.failed), "total": len(report.results)}


def email_preview(root: Path, job_id: str, relative: str) -> dict[str, Any]:
    """The headers and text of a prepared .eml draft, as the recipient will read it."""
    path = (root / "outputs" / job_id / relative).resolve()
    if not path.is_relative_to((root / "outputs" / job_id).resolve()) or path.suffix != ".eml":
        raise SenformsError("that email is not part of this batch")
    message = BytesParser(policy=policy.default).parse(path.open("rb"))
    body = message.get_body(preferencelist=("plain",))
    return {
        "to": str(message["To"]),
        "from": str(message["From"]),
        "subject": str(message["Subject"]),
        "text": body.get_content() if body is not None else "",
        "attachments": [part.get_filename() for part in message.iter_attachments()],
    }


# --- the EHC request pack -------------------------------------------------------------------------

PACK = "pack"  # the pack's folder inside its job's folder, as `senforms bundle -o` makes it


def pack_folder(root: Path, job_id: str) -> Path:
    """Where a finished pack job's pack is (see make_pack)."""
    return root / "outputs" / job_id / PACK


def make_pack(context: JobContext) -> dict[str, Any]:
    """Options: upn, on (ISO date), and a sealed passphrase when the pack is to be protected.

    The pack is `senforms bundle`'s, made from the pupil's uploaded evidence (see web.evidence) with
    the LA's profile from the register and the settings file, its own form filled when it names one.
    """
    from senforms.web import evidence
    from senforms.web.passphrases import SEALED, unseal

    options = context.options
    _, loaded = load_current(context.db, context.root, context.settings_path)
    upn = options["upn"]
    taken = evidence.uploads(context.root, upn)
    register = evidence.with_uploads(loaded.register, upn, taken)
    la = senforms.local_authority_profile(loaded.register.local_authority, context.settings_path)
    password = None
    if options.get("protect"):
        password = unseal(context.root, options.get(SEALED) or "")
        if password is None:
            raise SenformsError("this pack's passphrase was shown already, so the pack cannot be made again with it", fix="make a new pack from the pupil's page")
    steps = 3
    context.progress(1, steps, f"Making the request, the covering letter and the bundle from {len(taken)} evidence file{'s' if len(taken) != 1 else ''}")
    logo = loaded.logo if loaded.logo is not None and loaded.logo.is_file() else None
    pack_options = senforms.PackOptions(
        # Made in the job's own (staging) folder: it is put in place, at pack_folder, only when complete.
        out_dir=context.folder / PACK, on=dt.date.fromisoformat(options["on"]), password=password,
        local_authority=la, base_dir=loaded.base_dir, logo=logo,
    )
    with context.pdf_converter() as converter:
        result = senforms.build_pack(register, upn, pack_options, converter=converter)
    context.progress(2, steps, "Putting the pack in a zip file")
    stem = result.files["bundle"].name.removesuffix("-bundle.pdf")
    archive = zip_folder(pack_options.out_dir, context.folder / f"{stem}-ehc-request-pack.zip", suffixes=(".pdf", ".docx", ".txt", ".csv", ".json"))
    files = [{"id": context.offer(archive, archive.name, ZIP_MIME, senco_only=True), "label": "The whole pack, in a zip file", "name": archive.name}]
    files.append({"id": context.offer(result.files["bundle"], result.files["bundle"].name, PDF_MIME, senco_only=True), "label": "The evidence bundle (PDF)", "name": result.files["bundle"].name})
    if "la_form" in result.files:
        form = result.files["la_form"]
        files.append({"id": context.offer(form, form.name, PDF_MIME if form.suffix == ".pdf" else DOCX_MIME, senco_only=True), "label": f"{la.name if la else 'The LA'}'s own form, filled in", "name": form.name})
    context.keep("pack.json", {
        "checklist": [{"label": i.label, "ok": i.ok, "advisory": i.advisory, "detail": i.detail} for i in result.checklist],
        "warnings": result.warnings,
    })
    context.progress(steps, steps, "Finished")
    return {
        "upn": upn, "files": files, "pages": result.bundle.pages, "missing": len(result.missing),
        "encrypted": password is not None, "la_form": "la_form" in result.files,
    }


def pack_drafts_now(root: Path, pack_job_id: str, register: Register, settings_path: Path | None):
    """The email(s) `senforms send-pack` would make for the pack now, written nowhere: for the confirmation page."""
    from senforms.deliver.pack_email import Addressing, pack_drafts, read_pack

    addressing = Addressing.of(register, settings_path)
    pack = read_pack(pack_folder(root, pack_job_id))
    if register.pupil(pack.description.upn) is None:
        raise DeliveryError(f"the pack is for UPN {pack.description.upn}, who is not in the register now; nothing was sent", fix="upload the register the pack was made from")
    return pack, addressing, pack_drafts(pack, addressing)


def send_pack(context: JobContext) -> dict[str, Any]:
    """Options: pack (the pack job's id), digest (what the SENCo confirmed). The `send-pack` command's path:
    drafts made and saved in the pack's emails/ folder, each checked against the saved one, the school's
    one send log, the LA's allow-list from the register and the settings file."""
    register = _register(context)
    settings = senforms.load_smtp_settings(context.settings_path)
    folder = pack_folder(context.root, context.options["pack"])
    emails = senforms.prepare_pack_emails(folder, register, "la", settings=context.settings_path)
    ledger = school_ledger(context.settings_path)
    todo = pending(emails.drafts, ledger)
    event = _confirmed_sending(context, todo, "the register, the settings or the send log changed since", "open the pack's page and check the confirmation again")
    report = senforms.send_pack(emails.drafts, settings, ledger, drafts_folder=emails.folder, on_event=event)
    subjects = {d.key: d.subject for d in emails.drafts}
    results = [{"recipient": emails.addressing.team, "address": r.recipient, "status": r.status, "detail": r.detail, "subject": subjects.get(r.key, "")} for r in report.results]
    context.keep("results.json", results)
    context.progress(len(todo), len(todo), "Finished")
    return {"sent": len(report.sent), "failed": len(report.failed), "total": len(report.results), "pack": context.options["pack"]}


BODIES: dict[str, JobBody] = {
    "documents": make_documents,
    "prepare-invitations": prepare_invitations,
    "send-invitations": send_invitations,
    "ehc-pack": make_pack,
    "send-pack": send_pack,
}
# Run again, unasked, when the worker running them dies: the same input makes the same files, and
# nothing leaves the school. A send is never repeated without a person confirming it again.
REPEATABLE = frozenset({"documents", "prepare-invitations", "ehc-pack"})

