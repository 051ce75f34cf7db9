"""A school's own Word letter for a document to one parent (`render parent-notification --template`,
`invite --template`): a Word mail-merge letter made on the Mailings ribbon, filled field by field,
or a senforms template given as a file.

The letter is read once, before anything is made: a field senforms cannot fill is listed by name and
place (so the office sees it before letters go out), `strict` refuses the run over one, and a NEXT,
NEXTIF or SKIPIF field is always refused, because one letter per parent cannot move on to the next
record without carrying another family's details.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from senforms.deliver.mailmerge import LetterFields, MergeReport, fill_mail_merge, letter_fields, record_moving_problem
from senforms.deliver.merge_values import is_known_field, merge_values
from senforms.documents.catalogue import KINDS, Job
from senforms.errors import TemplateProblemError


@dataclass(frozen=True)
class OwnLetter:
    """The school's letter, read: a mail-merge letter (with its fields) or a senforms template."""

    path: Path
    kind: str
    fields: LetterFields

    @property
    def mail_merge(self) -> bool:
        return bool(self.fields.fields)

    @property
    def cannot_fill(self) -> list[str]:
        """Each field senforms cannot fill, with where it is: "«Teacher_Notes» (the body, paragraph 4)"."""
        return [self.fields.describe([use]) for use in self.fields.cannot_fill]

    def fill(self, job: Job, out: Path, *, overwrite: bool) -> MergeReport:
        return fill_mail_merge(self.path, merge_values(job.context), out, overwrite=overwrite)


def per_parent_kinds() -> list[str]:
    return [name for name, kind in KINDS.items() if kind.to_parent]


def read_own_letter(path: Path | str, kind: str, *, strict: bool = False) -> OwnLetter:
    """Read the school's letter for `kind`; refuses what cannot make one letter per parent."""
    path = Path(path)
    fields = letter_fields(path, known=is_known_field)
    letter = OwnLetter(path, kind, fields)
    if not letter.mail_merge:
        return letter  # a senforms template: render_documents checks it like any other
    if not KINDS[kind].to_parent:
        raise TemplateProblemError(
            f"{path.name} is a Word mail-merge letter, and a {KINDS[kind].title.lower()} is not a letter to one parent",
            fix="mail-merge letters work for: " + ", ".join(per_parent_kinds()),
        )
    moving = record_moving_problem(path, fields)
    if moving is not None:
        raise moving
    if strict and fields.cannot_fill:
        raise TemplateProblemError(
            f"{path.name} has mail-merge fields senforms cannot fill: {fields.describe(fields.cannot_fill)}",
            fix="rename or remove them in Word (the field names senforms fills are in `senforms invite --help`), "
            "or leave out --strict to make the letters with those fields showing their names",
        )
    return letter
