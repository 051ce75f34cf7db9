"""The school settings file as the web app edits it: the same file, read the same way, as the CLI's `--config`.

Changes are checked by the CLI's own readers (`settings_from` for [smtp], `profile_from_table` for
[local_authority]) before anything is written, so the page shows exactly the CLI's errors. The file
is rewritten atomically (0600: it may hold the SMTP password) with tomlkit, which keeps the school's
comments and every table the page does not edit. The SMTP password is never read back to a page.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit

from senforms.config.la_profile import profile_from_table
from senforms.config.settings import SETTINGS_TIP, read_settings, settings_table
from senforms.deliver.smtp import ENV, settings_from
from senforms.errors import SenformsError
from senforms.model import LocalAuthority
from senforms.outputs.atomic import write_atomic

DEFAULT_FILE = "settings.toml"  # in the data folder, when `serve` was not given --config
DEFAULT_RETENTION_DAYS = 30
# Two years: long enough to answer who made, downloaded or sent what through an EHC needs assessment,
# its appeal and the next annual review; no longer, as the trail names staff (docs/deployment.md).
DEFAULT_AUDIT_RETENTION_DAYS = 730
MAX_DAYS = 3650
SMTP_KEYS = ("host", "port", "security", "user", "from")  # shown and edited; the password apart
LA_TEXT_KEYS = ("name", "send_team_name", "send_team_email", "local_offer_url")
LA_NUMBER_KEYS = ("expected_cycles", "max_report_age_months", "max_attainment_age_months", "email_size_limit_mb", "portal_file_limit_mb")


@dataclass(frozen=True)
class SmtpView:
    """What the settings page may show of [smtp]: everything but the password, which is only 'set' or not."""

    values: dict[str, str]
    password_set: bool
    password_from_environment: bool


def _load(path: Path) -> Any:
    """The file as an editable document (a tomlkit document, or a dict for a JSON file)."""
    if not path.exists():
        return {} if path.suffix.lower() == ".json" else tomlkit.document()
    if path.suffix.lower() == ".json":
        return read_settings(path)
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8-sig"))
    except (tomlkit.exceptions.TOMLKitError, UnicodeDecodeError) as exc:
        raise SenformsError(f"{path.name} is not a TOML settings file ({exc})", fix=SETTINGS_TIP) from None


def _save(path: Path, document: Any) -> None:
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n" if path.suffix.lower() == ".json" else tomlkit.dumps(document)
    write_atomic(path, text.encode("utf-8"), overwrite=True)  # a temporary file of mode 0600, then renamed


def update_table(path: Path, name: str, values: Mapping[str, Any], *, remove: tuple[str, ...] = ()) -> None:
    """Set `values` and drop `remove` in the table `name`; nothing else in the file changes."""
    document = _load(path)
    table = document.get(name)
    if table is None:
        table = tomlkit.table() if isinstance(document, tomlkit.TOMLDocument) else {}
        document[name] = table
    elif not isinstance(table, dict):
        raise SenformsError(f"{path.name}: '{name}' must be a table of settings, not a single value", fix=SETTINGS_TIP)
    for key in remove:
        table.pop(key, None)
    for key, value in values.items():
        table[key] = value
    if not table:
        del document[name]
    _save(path, document)


# --- [smtp] --------------------------------------------------------------------------------------


def smtp_view(path: Path | None, environ: Mapping[str, str] = os.environ) -> SmtpView:
    table = settings_table(path, "smtp") if path is not None and path.exists() else {}
    values = {key: "" if table.get(key) is None else str(table[key]) for key in SMTP_KEYS}
    from_environment = bool(environ.get(ENV["password"], "").strip())
    return SmtpView(values, bool(str(table.get("password") or "").strip()), from_environment)


def save_smtp(path: Path, form: Mapping[str, str], *, forget_password: bool = False, environ: Mapping[str, str] = os.environ) -> None:
    """Check the page's [smtp] values as `invite --send` would, then write them. A blank password keeps
    the one in the file; `forget_password` removes it."""
    current = settings_table(path, "smtp") if path.exists() else {}
    table: dict[str, Any] = {k: v for k, v in current.items() if k not in SMTP_KEYS and k != "password"}
    for key in SMTP_KEYS:
        value = form.get(key, "").strip()
        if value:
            table[key] = int(value) if key == "port" and value.isdigit() else value
    new_password = form.get("password", "")
    if new_password:
        table["password"] = new_password
    elif current.get("password") and not forget_password:
        table["password"] = current["password"]
    if any(table.get(k) for k in ("host", "from", "user", "password")):
        settings_from(table, environ)  # DeliveryError with the CLI's own words when it would not send
    remove = tuple(k for k in (*SMTP_KEYS, "password") if k not in table)
    update_table(path, "smtp", {k: table[k] for k in (*SMTP_KEYS, "password") if k in table}, remove=remove)


# --- [local_authority] ---------------------------------------------------------------------------


def la_values(path: Path | None) -> dict[str, str]:
    table = settings_table(path, "local_authority") if path is not None and path.exists() else {}
    shown = {key: "" if table.get(key) is None else str(table[key]) for key in (*LA_TEXT_KEYS, *LA_NUMBER_KEYS, "email_body", "form", "form_map")}
    shown["allowed_domains"] = ", ".join(table.get("allowed_domains") or [])
    shown["keep_own_request"] = "yes" if table.get("keep_own_request") else ""
    return shown


def _number(text: str) -> int | float | str:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text  # the profile's check names the key and says it must be a number


def save_la(path: Path, form: Mapping[str, str], base: LocalAuthority | None) -> None:
    """Check the page's [local_authority] values over the register's LA (`base`), as `bundle` would, then write them."""
    values: dict[str, Any] = {}
    for key in LA_TEXT_KEYS:
        if form.get(key, "").strip():
            values[key] = form[key].strip()
    for key in LA_NUMBER_KEYS:
        if form.get(key, "").strip():
            values[key] = _number(form[key].strip())
    domains = [d.strip() for d in form.get("allowed_domains", "").split(",") if d.strip()]
    if domains:
        values["allowed_domains"] = domains
    if form.get("email_body", "").strip():
        values["email_body"] = form["email_body"].strip()
    values["keep_own_request"] = bool(form.get("keep_own_request"))
    edited = (*LA_TEXT_KEYS, *LA_NUMBER_KEYS, "allowed_domains", "email_body", "keep_own_request")
    current = settings_table(path, "local_authority") if path.exists() else {}
    kept = {k: v for k, v in current.items() if k not in edited}
    profile_from_table(base, {**kept, **values}, path)  # InputError naming each key, as `bundle` would
    update_table(path, "local_authority", values, remove=tuple(k for k in edited if k not in values))


def set_la_form(path: Path, form: Path, form_map: Path) -> None:
    update_table(path, "local_authority", {"form": str(form), "form_map": str(form_map)})


# --- [web] and [templates] ----------------------------------------------------------------------


def _days_setting(path: Path | None, key: str, default: int, example: int) -> int:
    value = settings_table(path, "web").get(key, default) if path is not None and path.exists() else default
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
        raise SenformsError(
            f"{path.name if path else 'the settings file'}: [web] {key} must be a whole number of days from 1 to {MAX_DAYS}, not {value!r}",
            fix=f"set e.g. {key} = {example} in the [web] table",
        )
    return value


def retention_days(path: Path | None) -> int:
    """[web] retention_days: how long uploads and outputs are kept (default 30)."""
    return _days_setting(path, "retention_days", DEFAULT_RETENTION_DAYS, DEFAULT_RETENTION_DAYS)


def audit_retention_days(path: Path | None) -> int:
    """[web] audit_retention_days: how long rows of the audit trail are kept (default 730: two years)."""
    return _days_setting(path, "audit_retention_days", DEFAULT_AUDIT_RETENTION_DAYS, DEFAULT_AUDIT_RETENTION_DAYS)


def _typed_days(text: str, what: str, example: int) -> int:
    try:
        days = int(text.strip())
    except ValueError:
        raise SenformsError(f"{what}: '{text}' is not a number of days", fix=f"give a whole number from 1 to {MAX_DAYS}, e.g. {example}") from None
    if not 1 <= days <= MAX_DAYS:
        raise SenformsError(f"{what}: {days} days is not allowed", fix=f"give a whole number from 1 to {MAX_DAYS}, e.g. {example}")
    return days


def save_retention_days(path: Path, text: str, audit_text: str | None = None) -> int:
    """The page's retention periods, checked, written to [web]. `audit_text` None (a form without the
    box) leaves audit_retention_days as it is."""
    days = _typed_days(text, "Days to keep uploads and made documents", DEFAULT_RETENTION_DAYS)
    values = {"retention_days": days}
    if audit_text is not None:
        values["audit_retention_days"] = _typed_days(audit_text, "Days to keep the audit trail", DEFAULT_AUDIT_RETENTION_DAYS)
    update_table(path, "web", values)
    return days


def templates_folder(path: Path | None, root: Path) -> Path:
    """[templates] folder (relative to the settings file's folder), else `templates` in the data folder.
    The CLI uses the same folder with `--templates`."""
    named = settings_table(path, "templates").get("folder") if path is not None and path.exists() else None
    if isinstance(named, str) and named.strip():
        folder = Path(named.strip()).expanduser()
        return folder if folder.is_absolute() else path.parent / folder  # type: ignore[union-attr]
    return root / "templates"


def school_templates(path: Path | None, root: Path) -> Path | None:
    """The folder to render with: the school's templates folder when it exists, else None (the shipped ones)."""
    folder = templates_folder(path, root)
    return folder if folder.is_dir() else None
