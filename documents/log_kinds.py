"""Documents' kinds of action log entries, by name (core/actionlog.py)."""

from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds

register_log_kinds({
    "document.issue": _("Document issued"),
    "document.regenerate": _("Document regenerated"),
    "document.tariff_regenerate": _("Tariff documents regenerated"),
    "document.approve": _("Document approved"),
    "document.scan": _("Signed copy added"),
    "document.scan_remove": _("Signed copy removed"),
    "document.batch": _("Bulk generation of documents"),
    "document_template.create": _("Document template created"),
    "document_template.update": _("Document template saved"),
})
