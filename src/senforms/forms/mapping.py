"""The map of an LA's form (TOML): which template value fills which field, checked against the form.

A map is written once per form by `forms map` and edited by the SENCo. Its values are templates
in the same sandboxed language and variables as the Word templates; register values only ever
reach them as data, never as template source.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import TemplateError
from jinja2.exceptions import SecurityError, TemplateSyntaxError

from senforms.documents.templating import BrokenTagError, describe_error, make_text_environment, unknown_names
from senforms.errors import FormError, UnreadableFileError
from senforms.forms.fields import Field, FormInventory

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_SHA = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class FormMap:
    """A form's map: the form it was made from (name and SHA-256) and each field's template."""

    path: Path
    form: str
    form_sha256: str
    fields: tuple[tuple[str, str], ...]

    @property
    def values(self) -> dict[str, str]:
        return dict(self.fields)


def read_map(path: Path | str) -> FormMap:
    """The map at `path`; FormError naming the map and what is wrong when it cannot be used."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFileError(f"{path.name} is not a text file (a map is TOML text in UTF-8)", fix="make a new one with `senforms forms map FORM -o MAP.toml`") from None
    except OSError as exc:
        raise UnreadableFileError(f"{path} cannot be read ({exc.strerror or exc})", fix="check the map's name and that you may open it") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FormError(f"{path.name} is not a valid map: {exc}", fix="put each value in double quotes, one field a line, e.g. \"Text1\" = \"{{ pupil.full_name }}\"") from None
    form, sha = data.get("form"), data.get("form_sha256")
    if not isinstance(form, str) or not isinstance(sha, str) or not _SHA.match(sha.lower()):
        raise FormError(f"{path.name} does not say which form it was made for (it needs form = \"…\" and form_sha256 = \"…\" at the top)", fix="make a new one with `senforms forms map FORM -o MAP.toml`")
    fields = data.get("fields")
    if not isinstance(fields, dict):
        raise FormError(f"{path.name} has no [fields] table", fix="make a new one with `senforms forms map FORM -o MAP.toml`")
    pairs = []
    for name, value in fields.items():
        if not isinstance(value, str):
            raise FormError(f"{path.name}: the value of field '{name}' is not text", fix=f'put it in double quotes, e.g. "{name}" = "{{{{ pupil.eal }}}}"')
        pairs.append((name, value))
    return FormMap(path, form, sha.lower(), tuple(pairs))


def check_map(form_map: FormMap, inventory: FormInventory) -> None:
    """Refuse a map made from another version of the form, naming a field the form lacks, or with a broken tag."""
    if form_map.form_sha256 != inventory.sha256:
        raise FormError(
            f"{form_map.path.name} was made from a different version of {inventory.path.name} (its SHA-256 has changed: the LA may have published a new form)",
            fix=f"make a new map with `senforms forms map {inventory.path.name} -o NEW.toml`, copy your values across and check each field",
        )
    names = [f.name for f in inventory.fields]
    for name, value in form_map.fields:
        if name not in names:
            hint = _closest(name, names)
            raise FormError(
                f"{form_map.path.name} fills a field called '{name}', which {inventory.path.name} does not have",
                fix=(f"did you mean '{hint}'? " if hint else "") + "see the form's fields with `senforms forms inspect`",
            )
        try:
            make_text_environment().parse(value)
        except TemplateSyntaxError as exc:
            raise FormError(f"{form_map.path.name}: the value of field '{name}' has a broken tag: {exc.message}", fix="write variables as {{ pupil.full_name }} (see docs/templates.md)") from None


def check_variables(form_map: FormMap, context: dict[str, Any]) -> None:
    """Refuse a map whose values use a variable senforms does not provide, naming the field and the variable."""
    for name, value in form_map.fields:
        try:
            unknown = unknown_names(value, context)
        except BrokenTagError as exc:
            raise FormError(f"{form_map.path.name}: the value of field '{name}' has a broken tag: {exc}", fix="see docs/templates.md") from None
        if unknown:
            raise FormError(
                f"{form_map.path.name}: field '{name}' uses {', '.join(unknown)}, which senforms does not provide",
                fix="use one of the variables in docs/templates.md (the same as the Word templates)",
            )


def evaluate(form_map: FormMap, context: dict[str, Any], *, who: str) -> dict[str, str]:
    """Each field's text for one record; FormError naming the field and the variable the record lacks."""
    environment = make_text_environment()
    values = {}
    for name, source in form_map.fields:
        try:
            values[name] = environment.from_string(source).render(context)
        except (TemplateError, SecurityError) as exc:
            raise FormError(f"field '{name}' could not be filled for {who}: {describe_error(exc, source)}", fix=f"change the value of '{name}' in {form_map.path.name}, or guard it with {{% if … %}}") from None
    return values


def _closest(name: str, choices: list[str]) -> str | None:
    from rapidfuzz import fuzz, process

    found = process.extractOne(name, choices, scorer=fuzz.ratio, score_cutoff=60)
    return found[0] if found else None


# What a label on an LA's form usually means, in the variables of docs/templates.md (a test keeps
# every one documented there). Kinds: text, long (several lines), date, flag (yes/no).
VOCABULARY: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("pupil.full_name", "text", ("child's full name", "name of child", "pupil name", "child name", "full name of child or young person", "name")),
    ("pupil.legal_forename", "text", ("forename", "first name", "given name")),
    ("pupil.legal_surname", "text", ("surname", "last name", "family name")),
    ("pupil.known_as", "text", ("known as", "preferred name")),
    ("pupil.upn", "text", ("upn", "unique pupil number")),
    ("pupil.date_of_birth", "date", ("date of birth", "dob", "birth date")),
    ("pupil.gender", "text", ("gender", "sex")),
    ("pupil.year_group", "text", ("year group", "national curriculum year", "nc year", "year")),
    ("pupil.address|lines(', ')", "text", ("home address", "address of child", "child's address")),
    ("pupil.primary_need", "text", ("primary need", "primary type of need", "main need")),
    ("pupil.secondary_need", "text", ("secondary need",)),
    ("pupil.broad_areas|join(', ')", "text", ("area of need", "broad areas of need", "primary area of need")),
    ("pupil.first_language", "text", ("first language", "home language", "language spoken at home")),
    ("pupil.eal", "flag", ("english as an additional language", "eal")),
    ("pupil.looked_after", "flag", ("looked after", "child looked after", "lac", "cla", "in care")),
    ("pupil.pupil_premium", "flag", ("pupil premium", "free school meals", "fsm")),
    ("pupil.attendance_percent", "text", ("attendance", "attendance percentage", "attendance %")),
    ("pupil.strengths", "long", ("strengths", "strengths and interests", "what people like and admire")),
    ("pupil.pupil_views", "long", ("child's views", "views of the child", "pupil views", "the child's views", "young person's views")),
    ("pupil.parent_views", "long", ("parents' views", "parent views", "views of parents or carers", "parent carer views")),
    ("pupil.attainment", "long", ("attainment", "current attainment", "progress and attainment")),
    ("pupil.health_and_care", "long", ("health", "health and social care", "medical needs")),
    ("pupil.outcomes_sought", "long", ("outcomes sought", "desired outcomes", "aspirations and outcomes")),
    ("school.name", "text", ("school", "name of school", "school name", "setting", "educational setting", "current setting")),
    ("school.urn", "text", ("urn", "school urn", "dfe number")),
    ("school.phone", "text", ("school telephone", "school phone")),
    ("school.email", "text", ("school email",)),
    ("school.senco.name", "text", ("senco", "senco name", "name of senco", "name of person completing the form")),
    ("school.senco.email", "text", ("senco email",)),
    ("school.head_teacher.name", "text", ("head teacher", "headteacher", "name of head teacher")),
    ("la.name", "text", ("local authority", "la")),
    ("document_date", "date", ("date", "date of request", "date completed", "date of referral")),
    ("parents_agree", "flag", ("parents agree", "parental consent", "consent given", "parents consent to the request")),
    ("completed_cycles", "text", ("number of apdr cycles", "cycles of assess plan do review")),
    ("provision_map.current_annual_cost|money", "text", ("cost of provision", "annual cost", "cost of sen support")),
)


def _normal(text: str) -> str:
    return re.sub(r"[^a-z0-9' %]+", " ", text.casefold().replace("’", "'")).strip()


def suggest(field: Field, *, word_date_control: bool = False) -> str:
    """A starting value for a field whose label (or name) matches a variable; "" when none does well enough."""
    from rapidfuzz import fuzz

    wanted = _normal(field.label or field.name)
    if not wanted:
        return ""
    yes_no = field.kind == "radio" and {"yes", "no"} <= {c.casefold() for c in field.choices}
    best, best_score = None, 0.0
    for expression, kind, phrases in VOCABULARY:
        if (field.kind == "checkbox" or yes_no) != (kind == "flag"):
            continue
        if field.kind == "date" and kind != "date":
            continue
        score = max(fuzz.ratio(wanted, phrase) for phrase in phrases)
        if score > best_score:
            best, best_score = (expression, kind), score
    if best is None or best_score < 80:
        return ""
    expression, kind = best
    if kind == "date" and not word_date_control:
        expression += "|short_date"
    if yes_no:
        expression += "|yes_no"
    if field.choices and "|join" in expression:  # one choice, not a list
        expression = expression.split("|", 1)[0] + "[0]"
    return "{{ " + expression + " }}"


def _toml_string(text: str) -> str:
    # A JSON string is a valid TOML basic string (the same escapes), except that TOML has no "\/".
    return json.dumps(text, ensure_ascii=False)


def map_text(inventory: FormInventory) -> str:
    """A starting map for the form: every field, a suggested value where the label matches a variable."""
    lines = [
        f"# The map of {inventory.path.name}: each field's value is a template, as in the Word templates",
        "# (variables and filters: docs/templates.md). An empty value leaves the field blank.",
        "# Checkboxes are ticked when the value is true, Yes, 1 or x; choices must be one of the field's options.",
        f"form = {_toml_string(inventory.path.name)}",
        f'form_sha256 = "{inventory.sha256}"  # if the LA publishes a new form, make a new map',
        "",
        "[fields]",
    ]
    for number, field in enumerate(inventory.fields, start=1):
        where = f"page {field.page}, " if field.page else ""
        about = "; ".join(part for part in (f"{number}. {where}{field.kind}", field.label and f"label: {field.label}", field.limits) if part)
        lines.append(f"# {about}")
        value = suggest(field, word_date_control=field.kind == "date")
        lines.append(f"{_toml_string(field.name)} = {_toml_string(value)}")
    return "\n".join(lines) + "\n"


def make_form_map(form: Path | str, out: Path | str, *, overwrite: bool = False) -> Path:
    """Write a starting map of `form` to `out` (never over an existing file unless `overwrite`); return its path."""
    from senforms.forms.inventory import inspect_form
    from senforms.outputs.atomic import write_atomic

    inventory = inspect_form(form)
    if not inventory.fields:
        raise FormError(f"{inventory.path.name} has no fields a map could fill", fix="check it is the LA's fillable form, not a printed or scanned copy")
    return write_atomic(Path(out), map_text(inventory).encode("utf-8"), overwrite=overwrite)
