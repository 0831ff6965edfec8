"""The mail part's kinds of action log entries (core/actionlog.py)."""

from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds

register_log_kinds({
    "helpdeskmailbox.create": _("Helpdesk mailbox set up"),
    "helpdeskmailbox.update": _("Helpdesk mailbox changed"),
}, model="helpdesk.HelpdeskMailbox")
