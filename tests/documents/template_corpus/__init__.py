"""Templates for `templates check`, made by code: docxtpl's features re-created with our own tools,
templates typed the way Word types them, and planted mistakes, each with its expected findings.

`CASES` lists them; `python -m tests.documents.template_corpus OUTDIR` writes them all to a folder
to open in Word or to try with `senforms templates check` by hand.
"""

from __future__ import annotations

from tests.documents.template_corpus.cases import CASES, Case

__all__ = ["CASES", "Case"]
