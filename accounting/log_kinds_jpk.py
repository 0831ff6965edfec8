"""The jpk part's kinds of action log entries (core/actionlog.py)."""

from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds

register_log_kinds({
    "jpk.build": _("JPK_V7M file built"),
}, model="accounting.JpkFiling")
register_log_kinds({
    "purchase.create": _("Purchase document entered"),
    "purchase.update": _("Purchase document changed"),
    "purchase.delete": _("Purchase document deleted"),
}, model="accounting.PurchaseDocument")
