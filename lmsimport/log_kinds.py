"""The LMS import's kinds of action log entries, by name (core/actionlog.py)."""

from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds

register_log_kinds({
    "lmsimport.start": _("Import from LMS started"),
    "lmsimport.finish": _("Import from LMS ended"),
}, model="lmsimport.ImportRun")
