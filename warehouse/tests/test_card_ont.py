"""An ONT's remote actions from the card's "Sprzęt kliencki", against the loopback Huawei
OLT peer: registered on a port, its status read, a refusal by the OLT shown with what was
taken back, a port typed wrong refused before any connection."""

import lxml.html
import pytest
from django.urls import reverse

from warehouse.models import OntAction

from .conftest import a_profile, an_issued_ont, an_olt

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("olt_settings")]

HTMX = {"HX-Request": "true"}


@pytest.fixture
def setup(huawei_peer, staff, customer):
    olt = an_olt(staff, huawei_peer, name="OLT Centrum")
    a_profile(staff, olt, line="LP-100M", service="SP-1ETH", vlan=100)
    item = an_issued_ont(staff, customer, gpon_serial="HWTCC0FFEE01", model="HG8245H")
    return huawei_peer, olt, item


def _url(name, customer, item, **kw):
    return reverse(f"warehouse:{name}", kwargs={"customer_id": customer.pk,
                                                "stockitem_id": item.pk, **kw})


def _olt_text(response, item) -> str:
    tree = lxml.html.fromstring(response.content.decode())
    cell = tree.xpath(f"//tr[@id='equipment-{item.pk}']/following-sibling::tr[1]"
                      "//*[contains(@class, 'equipment-olt')]")
    return " ".join(cell[0].text_content().split())


def test_an_ont_is_registered_and_its_status_read_from_the_card(staff_client, setup, customer):
    peer, olt, item = setup
    response = staff_client.post(_url("card_ont_register", customer, item),
                                 {"olt": olt.pk, "port": "0/1/0", "ont_id": "5"}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Registered at 0/1/0 as ONT 5" in html and "VLAN 100" in html
    item.refresh_from_db()
    assert (item.olt_id, item.olt_port, item.ont_id) == (olt.pk, "0/1/0", 5)
    assert _olt_text(response, item) == "OLT Centrum, port 0/1/0, ONT 5"

    response = staff_client.post(_url("card_ont_status", customer, item),
                                 headers=HTMX)
    record = OntAction.objects.get(action="status")
    assert record.outcome == "ok" and record.created_by.username == "anna"
    assert record.message in response.content.decode()
    history = staff_client.get(_url("card_item", customer, item), headers=HTMX)
    assert "read status" in history.content.decode()


def test_a_refusal_by_the_olt_is_shown_and_the_place_given_back(staff_client, setup,
                                                                customer):
    peer, olt, item = setup
    peer.vlans.discard(100)  # the service port's VLAN is not on the OLT
    response = staff_client.post(_url("card_ont_register", customer, item),
                                 {"olt": olt.pk, "port": "0/1/0", "ont_id": "5"}, headers=HTMX)
    html = response.content.decode()
    assert "refused by the device" in html and "Taken back" in html
    item.refresh_from_db()
    assert item.olt_id is None


def test_a_port_typed_wrong_is_refused_before_connecting(staff_client, setup, customer):
    peer, olt, item = setup
    peer.received.clear()
    response = staff_client.post(_url("card_ont_register", customer, item),
                                 {"olt": olt.pk, "port": "0/1/0; reboot", "ont_id": "5"},
                                 headers=HTMX)
    tree = lxml.html.fromstring(response.content.decode())
    form = tree.xpath("//form[contains(@class, 'equipment-ont-register')]")[0]
    assert form.xpath(".//*[contains(@class, 'invalid-feedback')]"
                      " | .//*[contains(@class, 'alert-danger')]")
    assert form.xpath(".//input[@name='port']/@value") == ["0/1/0; reboot"]
    assert peer.received == [] and not OntAction.objects.exists()


def test_an_unregistered_ont_has_no_actions_and_an_unknown_action_is_404(staff_client, setup,
                                                                        customer):
    peer, olt, item = setup
    response = staff_client.post(_url("card_ont_reset", customer, item),
                                 headers=HTMX)
    assert "is not registered on an OLT" in response.content.decode()
    assert staff_client.post(_url("card_item", customer, item) + "ont/reboot/"
                             ).status_code == 404
