"""The PDF bundle engine: evidence intake, and one indexed, bookmarked, stamped PDF from a plan.

Typical use::

    clean = intake(Path("report.pdf"), work_dir)             # once per evidence file
    spec = BundleSpec(title=..., sections=(BundleSection(...),), ...)
    result = build_bundle(spec, out / "bundle.pdf", manifest_csv=out / "bundle.csv")
    write_sections(spec, result, out / "sections")           # for portal uploads
    split_by_size(result.path, 9.5, out / "parts").parts     # for email size caps
"""

from senforms.bundle.assemble import BundleResult, IndexEntry, SectionRange, build_bundle
from senforms.bundle.evidence import IntakeResult, intake, sniff
from senforms.bundle.protect import generate_passphrase
from senforms.bundle.ranges import SplitResult, split_by_size, write_sections
from senforms.bundle.spec import BundleDocument, BundleSection, BundleSpec

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
