"""The routing part's kinds of action log entries (core/actionlog.py)."""

from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds

register_log_kinds({
    "routingrule.create": _("Routing rule created"),
    "routingrule.update": _("Routing rule changed"),
    "routingrule.deactivate": _("Routing rule deactivated"),
    "routingrule.move": _("Routing rule moved"),
    "routingrule.reorder": _("Routing rules reordered"),
}, model="helpdesk.RoutingRule")
