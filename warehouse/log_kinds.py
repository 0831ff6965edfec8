"""The action log's kinds of the warehouse's stock documents and serials
(``warehouse.services``)."""

from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds

register_log_kinds({
    "stockdocument.pz": _("Receipt (PZ) posted"),
    "stockdocument.wz": _("Issue to a customer (WZ) posted"),
    "stockdocument.zw": _("Return from a customer (ZW) posted"),
    "stockdocument.mm": _("Move between warehouses (MM) posted"),
    "stockdocument.rw": _("Internal use or scrap (RW) posted"),
    "stockdocument.inw": _("Inventory (INW) posted"),
    "stockdocument.settle": _("Equipment settlement"),
}, model="warehouse.StockDocument")
register_log_kinds({
    "stockitem.change": _("Equipment description changed"),
    "stockitem.login": _("Equipment bound to a login"),
}, model="warehouse.StockItem")
