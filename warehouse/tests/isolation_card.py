"""Tenant A's customer equipment for the isolation walk (tests/isolation_parts.py): an
ONT received by a PZ and issued to A's customer by a WZ — the card's routes name the
customer, the item at that customer (``stockitem``) and the customer's WZ
(``stockdocument``)."""

from warehouse import catalog, services


def build(objects: dict, *, tenant, staff, customer) -> None:
    store = catalog.warehouse_create(actor=staff, name="MagazynKartaAlfa")
    supplier = catalog.supplier_create(actor=staff, name="HurtowniaKartaAlfa")
    product = catalog.product_create(actor=staff, name="ProduktKartaAlfa", kind="ont",
                                     features=["mac"])
    services.receipt_post(actor=staff, supplier=supplier, warehouse=store, lines=[
        {"product": product.pk, "serials": [{"serial": "SNKARTAALFA1",
                                             "mac": "02:00:00:00:0a:1f"}]}])
    wz = services.issue_post(actor=staff, warehouse=store, customer=customer,
                             lines=["SNKARTAALFA1"])
    objects["stockdocument"] = wz
    objects["stockitem"] = wz.lines.get().item
