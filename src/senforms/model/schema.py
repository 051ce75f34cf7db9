"""The JSON Schema of the register, generated from the model so the two cannot disagree."""

from __future__ import annotations

import json
from typing import Any

from senforms.model import Register

SCHEMA_ID = "https://senforms.example/schema/register.schema.json"


def register_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) a register JSON file must satisfy."""
    schema = Register.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "senforms SEN register",
        **schema,
    }


def schema_text() -> str:
    return json.dumps(register_schema(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"
