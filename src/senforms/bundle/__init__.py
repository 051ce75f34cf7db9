"""The PDF bundle engine: evidence intake, and one indexed, bookmarked, stamped PDF from a plan.

Typical use::

    clean = intake(Path("report.pdf"), work_dir)             # once per evidence file
    spec = BundleSpec(title=..., sections=(BundleSection(...),), ...)
    result = build_bundle(spec, out / "bundle.pdf", manifest_csv=out / "bundle.csv")
    write_sections(spec, result, out / "sections")           # for portal uploads
    split_by_size(result.path, 9.5, out / "parts").parts     # for email size caps

Names load on first use, as in `senforms`: the evidence child process imports
`senforms.bundle.evidence_worker`, and must not pay for reportlab and the typesetting on every file.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "BundleResult": "assemble",
    "IndexEntry": "assemble",
    "SectionRange": "assemble",
    "build_bundle": "assemble",
    "IntakeResult": "evidence",
    "intake": "evidence",
    "sniff": "evidence",
    "generate_passphrase": "protect",
    "SplitResult": "ranges",
    "split_by_size": "ranges",
    "write_sections": "ranges",
    "BundleDocument": "spec",
    "BundleSection": "spec",
    "BundleSpec": "spec",
}
__all__ = [
    "BundleDocument",
    "BundleResult",
    "BundleSection",
    "BundleSpec",
    "IndexEntry",
    "IntakeResult",
    "SectionRange",
    "SplitResult",
    "build_bundle",
    "generate_passphrase",
    "intake",
    "sniff",
    "split_by_size",
    "write_sections",
]
assert sorted(_WHERE) == __all__  # one list, kept in step with the table above


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'senforms.bundle' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"senforms.bundle.{module}"), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from senforms.bundle.assemble import BundleResult, IndexEntry, SectionRange, build_bundle
    from senforms.bundle.evidence import IntakeResult, intake, sniff
    from senforms.bundle.protect import generate_passphrase
    from senforms.bundle.ranges import SplitResult, split_by_size, write_sections
    from senforms.bundle.spec import BundleDocument, BundleSection, BundleSpec
