"""Sending drafts over SMTP: checked first, one connection, one message per recipient, journalled.

Only `send_all` talks to a server. Every draft is built and checked before the connection opens, so a
draft addressed to someone not on its pupil's record stops the whole batch with nothing sent.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Literal

from senforms.deliver.ledger import Ledger
from senforms.deliver.messages import Draft, build_message, message_bytes, normalise_address
from senforms.errors import DeliveryError

Security = Literal["starttls", "ssl", "none"]
Status = Literal["sent", "failed", "unknown", "queued", "skipped"]
SECURITY_CHOICES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
RETRY_BASE_SECONDS = 5.0  # backoff after a 4xx reply: 5 s, 10 s, 20 s, …

ENV = {
    "host": "SENFORMS_SMTP_HOST",
    "port": "SENFORMS_SMTP_PORT",
    "security": "SENFORMS_SMTP_SECURITY",
    "user": "SENFORMS_SMTP_USER",
    "password": "SENFORMS_SMTP_PASSWORD",
    "from": "SENFORMS_FROM",
}


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the school's mail server. The password is never shown in `repr`."""

    host: str
    port: int
    security: Security
    user: str | None
    password: str | None = field(repr=False)
    from_address: str
    from_name: str
    rate_per_minute: int = 60
    max_retries: int = 3
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if not self.host or any(ch.isspace() for ch in self.host):
            raise DeliveryError("the SMTP host is not set or is not valid")
        if self.security not in SECURITY_CHOICES:
            raise DeliveryError(
                f"the SMTP security setting must be one of {', '.join(SECURITY_CHOICES)}",
                fix="use starttls (port 587) or ssl (port 465) for a real mail server",
            )
        if not isinstance(self.port, int) or not 0 < self.port < 65536:
            raise DeliveryError("the SMTP port must be a number from 1 to 65535")
        if self.security == "none" and not _is_loopback(self.host):
            # Pupil data must never cross a network in clear text.
            raise DeliveryError(
                "SMTP security 'none' is only allowed for a server on this computer",
                fix="use starttls or ssl for the school's mail server",
            )
        if bool(self.user) != bool(self.password):
            missing = "password" if self.user else "user name"
            raise DeliveryError(
                f"the SMTP {missing} is missing (give both a user name and a password, or neither)"
            )
        normalise_address(self.from_address, what="sender address (from)")
        if self.rate_per_minute < 1:
            raise DeliveryError("the sending rate must be at least 1 message a minute")
        if self.max_retries < 0:
            raise DeliveryError("the number of retries cannot be negative")


def settings_from(
    config: Mapping[str, object] | None, environ: Mapping[str, str] = os.environ
) -> SmtpSettings:
    """SMTP settings from a config dict (keys host, port, security, user, password, from), each
    overridden by its environment variable (SENFORMS_SMTP_HOST, …, SENFORMS_FROM) when that is set.

    `from` may be ``senco@school.sch.uk`` or ``Oakfield SEN <senco@school.sch.uk>``. Optional config
    keys: from_name, rate_per_minute, max_retries, timeout.
    """
    config = dict(config or {})

    def value(key: str) -> str:
        env = environ.get(ENV[key])
        if env is not None and env.strip():
            return env.strip()
        raw = config.get(key)
        return "" if raw is None else str(raw).strip()

    missing = [f"{key} (or {ENV[key]})" for key in ("host", "from") if not value(key)]
    if missing:
        raise DeliveryError(
            f"SMTP settings are incomplete: {' and '.join(missing)} not set; nothing was sent",
            fix="add them to the smtp section of the settings file or set the environment variables",
        )
    security = (value("security") or "starttls").lower()
    if security not in SECURITY_CHOICES:
        raise DeliveryError(
            f"SMTP security must be one of {', '.join(SECURITY_CHOICES)} (security or {ENV['security']})"
        )
    port_text = value("port")
    try:
        port = int(port_text) if port_text else DEFAULT_PORTS[security]
    except ValueError:
        raise DeliveryError(f"the SMTP port must be a number (port or {ENV['port']})") from None
    user, password = value("user") or None, value("password") or None
    if user and not password:
        raise DeliveryError(f"the SMTP password is missing: set password (or {ENV['password']})")
    if password and not user:
        raise DeliveryError(f"the SMTP user name is missing: set user (or {ENV['user']})")
    from_name, from_address = parseaddr(value("from"))
    if not from_address:
        raise DeliveryError(f"the sender address is not valid (from or {ENV['from']})")
    try:
        settings = SmtpSettings(
            host=value("host"),
            port=port,
            security=security,  # type: ignore[arg-type]
            user=user,
            password=password,
            from_address=normalise_address(from_address, what=f"sender address (from or {ENV['from']})"),
            from_name=from_name or str(config.get("from_name") or ""),
            rate_per_minute=int(config.get("rate_per_minute", 60)),  # type: ignore[call-overload]
            max_retries=int(config.get("max_retries", 3)),  # type: ignore[call-overload]
            timeout=float(config.get("timeout", 30.0)),  # type: ignore[arg-type]
        )
    except (TypeError, ValueError):
        raise DeliveryError("rate_per_minute, max_retries and timeout must be numbers") from None
    if not 1 <= settings.timeout <= 600:  # also refuses nan and inf, which compare false
        raise DeliveryError(f"the SMTP timeout must be between 1 and 600 seconds, not {config.get('timeout')}", fix="set timeout in the [smtp] table of the settings file, e.g. timeout = 30")
    return settings


@dataclass(frozen=True)
class SendResult:
    """What happened to one draft (also passed to `on_event` as each state changes).

    status: sent · failed (the server refused it; `detail` quotes the reply) · unknown (may have been
    delivered; not resent without resend_unknown) · queued (not attempted: the batch stopped) ·
    skipped (sent by an earlier run). `on_event` also sees "sending" and "retrying".
    """

    key: str
    recipient: str
    status: str
    detail: str = ""


@dataclass
class SendReport:
    """Per-draft outcomes, in the order the drafts were given."""

    results: list[SendResult]

    def with_status(self, status: str) -> list[SendResult]:
        return [r for r in self.results if r.status == status]

    @property
    def sent(self) -> list[SendResult]:
        return self.with_status("sent")

    @property
    def failed(self) -> list[SendResult]:
        return self.with_status("failed")

    @property
    def unknown(self) -> list[SendResult]:
        return self.with_status("unknown")

    @property
    def queued(self) -> list[SendResult]:
        return self.with_status("queued")

    @property
    def skipped(self) -> list[SendResult]:
        return self.with_status("skipped")

    @property
    def complete(self) -> bool:
        """True when every draft has been delivered, in this run or an earlier one."""
        return all(r.status in ("sent", "skipped") for r in self.results)

    def summary(self) -> str:
        """'3 sent, 1 failed, 1 already sent' – counts only, safe to log."""
        names = {"skipped": "already sent", "queued": "not yet sent"}
        counts = [
            f"{len(self.with_status(s))} {names.get(s, s)}"
            for s in ("sent", "failed", "unknown", "queued", "skipped")
            if self.with_status(s)
        ]
        return ", ".join(counts) or "nothing to send"


@dataclass
class _Outcome:
    kind: Literal["sent", "temporary", "permanent", "lost", "unknown"]
    reply: str


def send_all(
    drafts: Iterable[Draft],
    settings: SmtpSettings,
    ledger: Ledger,
    *,
    resend_unknown: bool = False,
    on_event: Callable[[SendResult], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> SendReport:
    """Send each draft as its own message over one SMTP connection, journalling every step.

    Before connecting, every draft is built and checked (recipient on the pupil's record, no header
    injection, attachments of the same pupil, unique keys); any failure raises DeliveryError and
    nothing is sent. Drafts the ledger has as `sent` are skipped; `unknown` ones (or ones a crash left
    `sending`) are resent only with `resend_unknown=True`. A 4xx reply is retried with backoff; a 5xx
    fails that draft and the rest go on; a lost connection stops the batch (the rest stay `queued`
    for the next run). Connection and login problems raise DeliveryError before anything is sent.
    """
    drafts = list(drafts)
    seen: set[str] = set()
    for draft in drafts:
        if draft.key in seen:
            raise DeliveryError(f"two drafts share the key {draft.key!r}; nothing was sent")
        seen.add(draft.key)
    built = [(draft, build_message(draft)) for draft in drafts]

    def emit(draft: Draft, status: str, detail: str = "") -> SendResult:
        result = SendResult(draft.key, normalise_address(draft.to_address), status, detail)
        if on_event is not None:
            on_event(result)
        return result

    results: dict[str, SendResult] = {}
    with ledger.locked():
        todo: list[tuple[Draft, EmailMessage]] = []
        for draft, msg in built:
            state = ledger.status(draft.key)
            if ledger.would_send(draft.key, resend_unknown=resend_unknown):
                todo.append((draft, msg))
            elif state == "sent":
                results[draft.key] = emit(draft, "skipped", "already sent; not sent again")
            else:
                if state == "sending":  # an earlier run stopped mid-send: it may have arrived
                    ledger.mark(draft.key, "unknown", detail="the run stopped while sending")
                results[draft.key] = emit(
                    draft,
                    "unknown",
                    "may already have been delivered, so it was not sent again: ask the recipient whether it arrived",
                )
        if todo:
            _send_batch(todo, settings, ledger, results, emit, sleep, clock)
    return SendReport([results[draft.key] for draft in drafts])


def _send_batch(
    todo: list[tuple[Draft, EmailMessage]],
    settings: SmtpSettings,
    ledger: Ledger,
    results: dict[str, SendResult],
    emit: Callable[..., SendResult],
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> None:
    """Connect, mark every draft `queued`, then send them one by one (see `send_all`)."""
    conn = _connect(settings)
    try:
        for draft, msg in todo:
            ledger.mark(
                draft.key,
                "queued",
                message_id=str(msg["Message-ID"]),
                recipient=normalise_address(draft.to_address),
                case_id=draft.case_id,
                attachments_sha256=[a.sha256 for a in draft.attachments],
            )
        interval, last_start = 60.0 / settings.rate_per_minute, None
        stopped: str | None = None
        for draft, msg in todo:
            if stopped:
                results[draft.key] = emit(draft, "queued", stopped)
                continue
            data = _smtp_data(message_bytes(msg))
            attempt = 0
            while True:
                attempt += 1
                if last_start is not None:
                    wait = last_start + interval - clock()
                    if wait > 0:
                        sleep(wait)
                last_start = clock()
                ledger.mark(draft.key, "sending", attempt=attempt)
                emit(draft, "sending")
                outcome = _transaction(conn, settings.from_address, normalise_address(draft.to_address), data)
                if outcome.kind == "sent":
                    ledger.mark(draft.key, "sent", reply=outcome.reply)
                    results[draft.key] = emit(draft, "sent", outcome.reply)
                elif outcome.kind == "permanent":
                    ledger.mark(draft.key, "failed", reply=outcome.reply)
                    results[draft.key] = emit(draft, "failed", f"refused by the server: {outcome.reply}")
                    _reset(conn)
                elif outcome.kind == "temporary" and attempt <= settings.max_retries:
                    detail = "temporarily refused; retrying"
                    ledger.mark(draft.key, "queued", reply=outcome.reply, detail=detail)
                    emit(draft, "retrying", outcome.reply)
                    _reset(conn)
                    sleep(RETRY_BASE_SECONDS * 2 ** (attempt - 1))
                    continue
                elif outcome.kind == "temporary":
                    detail = f"temporarily refused {attempt} times ({outcome.reply}); try again later"
                    ledger.mark(draft.key, "failed", reply=outcome.reply, detail=detail)
                    results[draft.key] = emit(draft, "failed", detail)
                    _reset(conn)
                elif outcome.kind == "lost":
                    # The server never had the whole message, so sending it again later is safe.
                    stopped = f"not sent: the connection to the mail server was lost ({outcome.reply})"
                    detail = "connection lost before the message was handed over"
                    ledger.mark(draft.key, "queued", detail=detail)
                    results[draft.key] = emit(draft, "queued", stopped)
                else:
                    stopped = "not sent: the connection to the mail server was lost"
                    detail = (
                        "the connection was lost after the message was handed over, before the server "
                        "confirmed it: it may have been delivered"
                    )
                    ledger.mark(draft.key, "unknown", detail=detail)
                    results[draft.key] = emit(draft, "unknown", detail)
                break
    finally:
        _quit(conn)


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    """Open, secure and log in; DeliveryError (with nothing sent) on any failure."""
    where = f"{settings.host}:{settings.port}"
    context = ssl.create_default_context()
    conn: smtplib.SMTP | None = None
    try:
        if settings.security == "ssl":
            conn = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
        else:
            conn = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        conn.ehlo()
        if settings.security == "starttls":
            if not conn.has_extn("starttls"):
                raise DeliveryError(
                    f"the mail server at {where} does not offer STARTTLS; nothing was sent",
                    fix="check the port (587 for starttls, 465 for ssl) with the school's IT support",
                )
            conn.starttls(context=context)
            conn.ehlo()
        if settings.user:
            conn.login(settings.user, settings.password or "")
        return conn
    except DeliveryError:
        _quit(conn)
        raise
    except smtplib.SMTPAuthenticationError:
        _quit(conn)
        raise DeliveryError(
            f"the mail server at {where} refused the user name or password; nothing was sent"
        ) from None
    except ssl.SSLCertVerificationError as exc:
        _quit(conn)
        raise DeliveryError(
            f"the mail server at {where} has a certificate that could not be checked ({exc.verify_message}); "
            "nothing was sent"
        ) from None
    except (OSError, smtplib.SMTPException) as exc:
        _quit(conn)
        raise DeliveryError(
            f"could not connect to the mail server at {where} ({type(exc).__name__}: {exc}); nothing was sent"
        ) from None


def _transaction(conn: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> _Outcome:
    """MAIL, RCPT, DATA by hand, so a drop before the end-of-data mark (safe to resend) can be told
    apart from a drop while waiting for the server's answer (ambiguous: `unknown`)."""
    handed_over = False
    try:
        for command, argument, expected in (
            (conn.mail, sender, (250,)),
            (conn.rcpt, recipient, (250, 251)),
            (conn.docmd, "DATA", (354,)),
        ):
            code, reply = command(argument)
            if code not in expected:
                return _refusal(code, reply)
        conn.send(data)
        handed_over = True
        code, reply = conn.getreply()
        return _Outcome("sent", _reply_text(code, reply)) if code == 250 else _refusal(code, reply)
    except OSError as exc:  # smtplib's own errors are OSErrors too
        return _Outcome("unknown" if handed_over else "lost", type(exc).__name__)


def _refusal(code: int, reply: bytes | str) -> _Outcome:
    text = _reply_text(code, reply)
    if code == 421:  # the server is closing the connection; nothing was accepted
        return _Outcome("lost", text)
    return _Outcome("temporary" if 400 <= code < 500 else "permanent", text)


def _reply_text(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {' '.join(text.split())}"[:300]


def _smtp_data(message: bytes) -> bytes:
    """The DATA payload: CRLF line ends, leading dots doubled, then the end-of-data mark."""
    body = re.sub(rb"\r?\n|\r", b"\r\n", message)
    body = re.sub(rb"(?m)^\.", b"..", body)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body + b".\r\n"


def _reset(conn: smtplib.SMTP) -> None:
    try:
        conn.rset()
    except OSError:
        pass  # a dead connection shows up on the next command, which handles it


def _quit(conn: smtplib.SMTP | None) -> None:
    if conn is None:
        return
    try:
        conn.quit()
    except OSError:
        pass
    finally:
        conn.close()


def as_sent_by(draft: Draft, settings: SmtpSettings) -> Draft:
    """The draft as the school's mail account sends it.

    Mail servers refuse to send "From" an address the account may not use, so when the account's
    address differs from the SENCo's, the message comes from the account and replies go to the SENCo.
    """
    if draft.from_address.casefold() == settings.from_address.casefold():
        return draft
    return dataclasses.replace(
        draft,
        from_address=settings.from_address,
        from_name=settings.from_name or draft.from_name,
        reply_to=draft.reply_to or draft.from_address,
    )


def load_smtp_settings(config_path: Path | None, environ: Mapping[str, str] | None = None) -> SmtpSettings:
    """The [smtp] table of the school settings file, with SENFORMS_SMTP_* and SENFORMS_FROM over it."""
    from senforms.config.settings import settings_table

    return settings_from(settings_table(config_path, "smtp"), os.environ if environ is None else environ)
