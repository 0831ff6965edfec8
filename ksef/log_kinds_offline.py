"""The offline part's kinds of action log entries (core/actionlog.py)."""

from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds

register_log_kinds({
    "ksefoutage.declare": _("KSeF outage declared"),
    "ksefoutage.end": _("KSeF outage ended"),
}, model="ksef.KsefOutage")
register_log_kinds({
    "offlinecertificate.upload": _("KSeF offline certificate uploaded"),
    "offlinecertificate.delete": _("KSeF offline certificate removed"),
}, model="ksef.OfflineCertificate")
