"""Fixtures of the KSeF pipeline's tests (loaded by ksef/tests/conftest.py).

* ``ksef_seller``: the tenant's seller data (NIP 5260001246, address) and the customer's
  address, so an invoice makes valid FA(3) XML;
* ``ksef_profile``: an enabled profile pointing at an address where nothing listens
  (tests that need KSeF take ``peer_profile``: the same profile pointing at h1's local
  peer, ``ksef_peer_clean``, with the token registered there);
* ``issue(staff, customer, n)``: ``n`` invoices issued through finance's service.
"""

from datetime import date
from decimal import Decimal

import pytest

from finance import services as finance_services
from finance.tests.test_exports import address_add, seller_set

SELLER_NIP = "5260001246"
KSEF_TOKEN = "20261204-EC-0123456789-ABCDEF0123-45|nip-5260001246|tokensecret"
NOWHERE = "http://127.0.0.1:9/v2"  # the discard port: connection refused at once


def profile_enable(staff, *, url: str = NOWHERE, **overrides):
    from ksef import pipeline

    data = {"nip": SELLER_NIP, "environment": "custom", "custom_url": url,
            "token": KSEF_TOKEN, "enabled": True, "send_after_billing": True,
            "send_on_issue": True, **overrides}
    return pipeline.profile_save(actor=staff, **data)


def issue(staff, customer, n: int = 1, *, net: str = "100.00", when: date | None = None):
    return [finance_services.invoice_issue(
        actor=staff, customer=customer, issue_date=when,
        lines=[{"name": f"Internet 600 Mb/s nr {i}", "quantity": Decimal("1"),
                "net_unit_price": Decimal(net), "vat_rate": "23"}])
        for i in range(n)]


@pytest.fixture
def ksef_seller(in_tenant, staff, customer):
    seller_set(staff)
    address_add(staff, customer)
    return customer


@pytest.fixture
def ksef_profile(ksef_seller, staff):
    return profile_enable(staff)


@pytest.fixture
def peer_profile(ksef_seller, staff, ksef_peer_clean):
    ksef_peer_clean.token_add(SELLER_NIP, KSEF_TOKEN)
    return profile_enable(staff, url=ksef_peer_clean.url)
