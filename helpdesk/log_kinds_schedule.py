"""Kinds of action log entries of the scheduler ("Terminarz"), registered by
helpdesk.setup_schedule (autodiscovery finds only ``log_kinds`` modules)."""

from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds

register_log_kinds({
    "event.create": _("Scheduler event added"),
    "event.update": _("Scheduler event changed"),
    "event.move": _("Scheduler event moved"),
    "event.close": _("Scheduler event closed"),
    "event.reopen": _("Scheduler event reopened"),
}, model="helpdesk.Event")
register_log_kinds({
    "eventtype.create": _("Scheduler event type added"),
    "eventtype.update": _("Scheduler event type changed"),
}, model="helpdesk.EventType")
register_log_kinds({
    "calendarfeed.create": _("Calendar feed address created"),
    "calendarfeed.rotate": _("Calendar feed address renewed"),
}, model="helpdesk.CalendarFeed")
