"""The SLA part's kinds of action log entries (core/actionlog.py); imported by
``helpdesk.setup_sla.ready``."""

from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds

register_log_kinds({
    "businesshours.update": _("Business hours changed"),
}, model="helpdesk.BusinessDay")
register_log_kinds({
    "holiday.create": _("Day off added"),
    "holiday.update": _("Day off changed"),
    "holiday.delete": _("Day off removed"),
}, model="helpdesk.Holiday")
register_log_kinds({
    "slatarget.create": _("SLA target set"),
    "slatarget.update": _("SLA target changed"),
    "slatarget.delete": _("SLA target removed"),
}, model="helpdesk.SlaTarget")
register_log_kinds({
    "case.sla_breached": _("Case's SLA breached"),
    "case.escalate": _("Case escalated"),
}, model="helpdesk.Case")
