"""Delivery: email drafts, calendar invitations, safe SMTP sending with a ledger, mail-merge letters.

Building a draft never opens a connection; only `send_all` sends, and it checks every draft first.
"""

from senforms.deliver.ics import calendar_attachment as calendar_attachment
from senforms.deliver.ics import meeting_invitation as meeting_invitation
from senforms.deliver.la import check_la_recipient as check_la_recipient
from senforms.deliver.la import passphrase_is_absent as passphrase_is_absent
from senforms.deliver.ledger import Ledger as Ledger
from senforms.deliver.ledger import pending as pending
from senforms.deliver.ledger import school_ledger as school_ledger
from senforms.deliver.ledger import send_log_path as send_log_path
from senforms.deliver.mailmerge import MergeReport as MergeReport
from senforms.deliver.mailmerge import fill_mail_merge as fill_mail_merge
from senforms.deliver.mailmerge import merge_fields as merge_fields
from senforms.deliver.messages import Attachment as Attachment
from senforms.deliver.messages import Draft as Draft
from senforms.deliver.messages import build_message as build_message
from senforms.deliver.messages import check_draft as check_draft
from senforms.deliver.messages import check_recipient as check_recipient
from senforms.deliver.messages import draft_filename as draft_filename
from senforms.deliver.messages import message_bytes as message_bytes
from senforms.deliver.messages import normalise_address as normalise_address
from senforms.deliver.messages import recipients_in as recipients_in
from senforms.deliver.messages import text_to_html as text_to_html
from senforms.deliver.messages import write_draft as write_draft
from senforms.deliver.saved import SavedDraft as SavedDraft
from senforms.deliver.saved import check_saved_drafts as check_saved_drafts
from senforms.deliver.smtp import SendReport as SendReport
from senforms.deliver.smtp import SendResult as SendResult
from senforms.deliver.smtp import SmtpSettings as SmtpSettings
from senforms.deliver.smtp import send_all as send_all
from senforms.deliver.smtp import settings_from as settings_from

__all__ = [
    "Attachment",
    "Draft",
    "Ledger",
    "MergeReport",
    "SavedDraft",
    "SendReport",
    "SendResult",
    "SmtpSettings",
    "build_message",
    "calendar_attachment",
    "check_draft",
    "check_la_recipient",
    "check_recipient",
    "check_saved_drafts",
    "draft_filename",
    "fill_mail_merge",
    "meeting_invitation",
    "merge_fields",
    "message_bytes",
    "normalise_address",
    "passphrase_is_absent",
    "pending",
    "recipients_in",
    "school_ledger",
    "send_all",
    "send_log_path",
    "settings_from",
    "text_to_html",
    "write_draft",
]
