"""The base every record class shares."""

from pydantic import BaseModel, ConfigDict


class Record(BaseModel):
    """A validated part of the register: unknown fields are errors, values are re-checked on change."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, str_strip_whitespace=True)
