"""Small builders for the catalogue's tests (warehouse.catalog): the catalogue through its
services, and the stock a document would leave, written directly (the stock documents'
services are tested in their own files; here only "this product has stock" matters)."""

import datetime
from decimal import Decimal

from warehouse import catalog
from warehouse.models import StockDocument, StockItem, StockLevel


def a_warehouse(actor, name="Magazyn główny", **kw):
    return catalog.warehouse_create(actor=actor, name=name, **kw)


def a_supplier(actor, name="Dasan Polska", **kw):
    return catalog.supplier_create(actor=actor, name=name, **kw)


def a_product(actor, name="ONT Dasan H660GM", kind="ont", **kw):
    return catalog.product_create(actor=actor, name=name, kind=kind, **kw)


def a_receipt(*, warehouse, supplier, number="PZ/1/2026") -> StockDocument:
    """A PZ row as the stock services post it (no lines needed to name its parties)."""
    return StockDocument.objects.create(kind=StockDocument.Kind.PZ, number=number,
                                        issued_on=datetime.date(2026, 3, 2),
                                        warehouse=warehouse, supplier=supplier)


def a_serial(*, product, warehouse, serial="DSNW12345678") -> StockItem:
    return StockItem.objects.create(product=product, warehouse=warehouse, serial=serial)


def a_level(*, product, warehouse, quantity="100") -> StockLevel:
    return StockLevel.objects.create(product=product, warehouse=warehouse,
                                     quantity=Decimal(quantity))
