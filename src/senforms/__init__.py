"""senforms: a school's SEN register in, correct SEN documents and EHC request packs out.

The public API: what the `senforms` command calls, and what the web app calls too. Each CLI
command is a thin call of the function of the same name (`senforms render` → `render`,
`senforms bundle` → `build_pack`, `senforms invite` → `prepare_invitations` and `send_invitations`…)::

    import senforms
    loaded = senforms.load_register("register.xlsx")
    options = senforms.RenderOptions(out_dir=Path("out"), logo=loaded.logo)
    result = senforms.render(loaded.register, "support-plan", options)

Names load on first use, so `import senforms` stays quick and a command pays only for what it uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name → module that defines it
_API = {
    # reading and checking a register
    "load_register": "senforms.inputs",
    "LoadedRegister": "senforms.inputs",
    "validate": "senforms.inputs",
    "Validation": "senforms.inputs",
    "select_pupils": "senforms.model.selection",
    "register_schema": "senforms.model.schema",
    # documents
    "KINDS": "senforms.documents.catalogue",
    "render": "senforms.documents.batch",
    "RenderOptions": "senforms.documents.batch",
    "BatchResult": "senforms.documents.batch",
    "export_templates": "senforms.documents.template_files",
    "check_template": "senforms.documents.template_files",
    "plan_meetings": "senforms.documents.meetings_plan",
    "save_plan": "senforms.documents.meetings_plan",
    # PDFs
    "convert": "senforms.pdf.convert",
    "ConversionResult": "senforms.pdf.convert",
    # the EHC request pack
    "build_pack": "senforms.bundle.pack",
    "PackOptions": "senforms.bundle.pack",
    "PackResult": "senforms.bundle.pack",
    "generate_passphrase": "senforms.bundle.protect",
    "local_authority_profile": "senforms.config.la_profile",
    # the LA's own forms
    "inspect_form": "senforms.forms.inventory",
    "make_form_map": "senforms.forms.mapping",
    "fill_forms": "senforms.forms.fill",
    "FillOptions": "senforms.forms.fill",
    "FillResult": "senforms.forms.fill",
    # delivery (nothing is sent except by the send_ functions)
    "prepare_invitations": "senforms.deliver.invitations",
    "send_invitations": "senforms.deliver.invitations",
    "InvitationBatch": "senforms.deliver.invitations",
    "prepare_pack_emails": "senforms.deliver.pack_email",
    "send_pack": "senforms.deliver.pack_email",
    "load_smtp_settings": "senforms.deliver.smtp",
    # errors
    "SenformsError": "senforms.errors",
    "InputError": "senforms.errors",
    "UnreadableFileError": "senforms.errors",
    "OutputExistsError": "senforms.errors",
    "OutputFolderError": "senforms.errors",
    "TemplateProblemError": "senforms.errors",
    "ConversionError": "senforms.errors",
    "EvidenceError": "senforms.errors",
    "FormError": "senforms.errors",
    "DeliveryError": "senforms.errors",
    "Location": "senforms.errors",
    "Problem": "senforms.errors",
}
_RENAMED = {"convert": "convert_many"}  # the API name where the module's own name differs

__all__ = [
    "BatchResult",
    "ConversionError",
    "ConversionResult",
    "DeliveryError",
    "EvidenceError",
    "FillOptions",
    "FillResult",
    "FormError",
    "InputError",
    "InvitationBatch",
    "KINDS",
    "LoadedRegister",
    "Location",
    "OutputExistsError",
    "OutputFolderError",
    "PackOptions",
    "PackResult",
    "Problem",
    "RenderOptions",
    "SenformsError",
    "TemplateProblemError",
    "UnreadableFileError",
    "Validation",
    "build_pack",
    "check_template",
    "convert",
    "export_templates",
    "fill_forms",
    "generate_passphrase",
    "inspect_form",
    "load_register",
    "load_smtp_settings",
    "local_authority_profile",
    "make_form_map",
    "plan_meetings",
    "prepare_invitations",
    "prepare_pack_emails",
    "register_schema",
    "render",
    "save_plan",
    "select_pupils",
    "send_invitations",
    "send_pack",
    "validate",
]
assert sorted(_API) == __all__  # one list, kept in step with the table above


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'senforms' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), _RENAMED.get(name, name))
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


if TYPE_CHECKING:  # what type checkers and editors see
    from senforms.bundle.pack import PackOptions, PackResult, build_pack
    from senforms.bundle.protect import generate_passphrase
    from senforms.config.la_profile import local_authority_profile
    from senforms.deliver.invitations import InvitationBatch, prepare_invitations, send_invitations
    from senforms.deliver.pack_email import prepare_pack_emails, send_pack
    from senforms.deliver.smtp import load_smtp_settings
    from senforms.documents.batch import BatchResult, RenderOptions, render
    from senforms.documents.catalogue import KINDS
    from senforms.documents.meetings_plan import plan_meetings, save_plan
    from senforms.documents.template_files import check_template, export_templates
    from senforms.errors import (
        ConversionError,
        DeliveryError,
        EvidenceError,
        FormError,
        InputError,
        Location,
        OutputExistsError,
        OutputFolderError,
        Problem,
        SenformsError,
        TemplateProblemError,
        UnreadableFileError,
    )
    from senforms.forms.fill import FillOptions, FillResult, fill_forms
    from senforms.forms.inventory import inspect_form
    from senforms.forms.mapping import make_form_map
    from senforms.inputs import LoadedRegister, Validation, load_register, validate
    from senforms.model.schema import register_schema
    from senforms.model.selection import select_pupils
    from senforms.pdf.convert import ConversionResult
    from senforms.pdf.convert import convert_many as convert
