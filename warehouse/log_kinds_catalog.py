"""The action log's kinds of the warehouse's catalogue (warehouse.catalog): registered by
``warehouse.ready_ui`` (the log discovers only ``log_kinds.py`` modules)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds

from .models import Product

register_log_kinds({
    "warehouse.add": _("Warehouse added"),
    "warehouse.change": _("Warehouse changed"),
    "warehouse.delete": _("Warehouse deleted"),
}, model="warehouse.Warehouse")
register_log_kinds({
    "supplier.add": _("Supplier added"),
    "supplier.change": _("Supplier changed"),
    "supplier.delete": _("Supplier deleted"),
}, model="warehouse.Supplier")
register_log_kinds({
    "product.add": _("Product added"),
    "product.change": _("Product changed"),
    "product.delete": _("Product deleted"),
}, model="warehouse.Product", fields={
    # a list of Feature values: shown by their names
    "features": models.CharField(_("features"), choices=Product.Feature.choices)})
