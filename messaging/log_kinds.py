"""The messaging app's kinds of action log entries (core/actionlog.py)."""

from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds

register_log_kinds({
    "message.queue": _("Message sent"),
    "message.retry": _("Message sent again"),
}, model="messaging.Message")
