"""Tenant A's OLT part for the isolation walk (tests/isolation_parts.py): an OLT with a
default ONT profile, an ONT issued to the customer, and one recorded ONT action — a
registration tried against a closed loopback port (refused at once: no OLT is needed),
so that every route of warehouse.urls_olt and warehouse.api.ont has A's object to try.
Names end in "Alfa"."""

import socket

from warehouse import catalog, ont, services


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def build(objects: dict, *, tenant, staff, customer) -> None:
    olt = ont.olt_create(actor=staff, name="OltAlfa", vendor="huawei", host="127.0.0.1",
                         ssh_port=_closed_port(), username="alfa", password="haslo-olt-alfa")
    objects["olt"] = olt
    objects["ontprofile"] = ont.ont_profile_set(actor=staff, olt=olt, line_profile="LP-Alfa",
                                                service_profile="SP-Alfa", vlan=100)
    store = catalog.warehouse_create(actor=staff, name="MagazynOntAlfa")
    product = catalog.product_create(actor=staff, name="OntAlfaHG8245", kind="ont")
    supplier = catalog.supplier_create(actor=staff, name="HurtowniaOntAlfa")
    services.receipt_post(actor=staff, supplier=supplier, warehouse=store, lines=[{
        "product": product.pk,
        "serials": [{"serial": "ONTALFA0001", "gpon_serial": "HWTCA1FA0001"}]}])
    services.issue_post(actor=staff, warehouse=store, customer=customer,
                        lines=["ONTALFA0001"])
    item = product.items.get()
    objects["stockitem"] = item
    objects["ontaction"] = ont.ont_register(actor=staff, item=item, olt=olt, port="0/1/0",
                                            ont_id=1)
