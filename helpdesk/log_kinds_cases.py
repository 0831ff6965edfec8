"""The cases part's kinds of action log entries (core/actionlog.py)."""

from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds

register_log_kinds({
    "case.create": _("Case created"),
    "case.update": _("Case changed"),
    "case.send": _("Case sent to a queue"),
    "case.take": _("Case taken"),
    "case.return": _("Case returned to its creator"),
    "case.complete": _("Case completed by its creator"),
    "case.status": _("Case status changed"),
    "case.comment": _("Case comment added"),
    "case.attach": _("File attached to a case"),
}, model="helpdesk.Case")
register_log_kinds({
    "casetype.create": _("Case type created"),
    "casetype.update": _("Case type changed"),
}, model="helpdesk.CaseType")
register_log_kinds({
    "casefield.create": _("Case field added"),
    "casefield.update": _("Case field changed"),
}, model="helpdesk.CaseField")
register_log_kinds({
    "queue.create": _("Queue created"),
    "queue.update": _("Queue changed"),
    "queue.members": _("Queue members changed"),
}, model="helpdesk.Queue")
