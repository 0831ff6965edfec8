"""Tenant A's catalogue for the isolation walk (tests/isolation_parts.py): a warehouse,
a supplier and a product, each with a name ending in "Alfa"."""

from warehouse import catalog


def build(objects: dict, *, tenant, staff, customer) -> None:
    objects["warehouse"] = catalog.warehouse_create(actor=staff, name="MagazynAlfa")
    objects["supplier"] = catalog.supplier_create(actor=staff, name="HurtowniaAlfa",
                                                  tax_id="5260250274")
    objects["product"] = catalog.product_create(actor=staff, name="ProduktAlfa", kind="ont")
