"""The pipeline part's kinds of action log entries (core/actionlog.py)."""

from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds

register_log_kinds({
    "ksefprofile.create": _("KSeF profile set up"),
    "ksefprofile.update": _("KSeF profile changed"),
    "ksefprofile.test": _("KSeF connection tested"),
}, model="ksef.KsefProfile")
register_log_kinds({
    "ksefsubmission.resend": _("Invoice sent to KSeF again"),
}, model="ksef.KsefSubmission")
