"""The WZ's settlement as its forms offer it — the staff page's and the card's "Wydaj z
magazynu": only what the user may charge by (``settlement_allowed``: a sale issues an
invoice, a deposit a debit note, a lease a subscription), "no charge" always; the tariff
and the deposit fields only with their settlement. A settlement not offered, sent anyway,
is refused by the form and nothing is written: no WZ, no finance document, the stock as it
was."""

import json
import uuid
from decimal import Decimal

import lxml.html
import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_staff
from core.models import TenantSetting
from core.roles import ROLE_PERMISSIONS, Role
from finance.billing import tariff_create
from finance.models import FinanceDocument, Subscription
from warehouse.models import StockDocument, StockItem, StockLevel
from warehouse.tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
NOT_OFFERED = "You may not charge the customer by “{}”: choose one of the settlements offered."


@pytest.fixture
def stock(in_tenant, staff):
    TenantSetting.objects.create(key="finance.seller_name", value="Sieć Alfa sp. z o.o.")
    stock = factories.Stock()
    factories.receive(staff, warehouse=stock.main, product=stock.ont,
                      serials=["ONT1", "ONT2"])
    factories.receive(staff, warehouse=stock.main, product=stock.cable, quantity=30)
    return stock


@pytest.fixture
def tariff(staff, in_tenant):
    return tariff_create(actor=staff, name="Dzierżawa ONT", net_price="5.00", vat_rate="23")


def _user_client(tenant, monkeypatch, role: Role, *extra_perms: str) -> Client:
    """A member of ``role``, the role granted ``extra_perms`` as well (a tenant that gives
    its technicians the right to lease or to take deposits)."""
    if extra_perms:
        monkeypatch.setitem(ROLE_PERMISSIONS, role, (*ROLE_PERMISSIONS[role], *extra_perms))
    client = Client(headers={"accept-language": "en"})
    client.force_login(make_staff(tenant, f"user-{role}", role=role))
    return client


# (the role, what it is granted besides, the settlements offered)
WHO = [
    (Role.TECHNICIAN, (), ["none"]),  # warehouse rights, none in finance
    (Role.OPERATOR, (), ["none", "sale"]),  # invoices by hand, no debit notes or leases
    (Role.TECHNICIAN, ("finance.add_subscription",), ["none", "lease"]),
    (Role.TECHNICIAN, ("finance.add_debit_note",), ["none", "deposit"]),
    (Role.ADMIN, (), ["none", "sale", "lease", "deposit"]),
]
WHO_IDS = ["technician", "operator", "lease-only", "deposit-only", "admin"]


def _page(response):
    return lxml.html.fromstring(response.content.decode())


def _settlements(form) -> list[str]:
    return [option.get("value") for option in
            form.xpath(".//select[@name='settlement']/option")]


def _has_field(form, name) -> bool:
    return bool(form.xpath(f".//*[@name='{name}']"))


def _wz_nothing_written(stock):
    assert not StockDocument.objects.filter(kind="WZ").exists()
    assert not FinanceDocument.objects.exists() and not Subscription.objects.exists()
    assert StockItem.objects.get(serial="ONT1").state == "in_stock"
    assert StockLevel.objects.get(product=stock.cable).quantity == Decimal("30")


# --------------------------------------------------------------------------- staff page

def _staff_post(client, stock, customer, **fields):
    rows = [{"serial": "ONT1", "unit_price": "199"},
            {"product": str(stock.cable.pk), "quantity": "10", "unit_price": "1"}]
    return client.post(reverse("warehouse:document_new_wz"), {
        "request_token": str(uuid.uuid4()), "warehouse": stock.main.pk,
        "customer": customer.pk, **fields, "line": [json.dumps(row) for row in rows]})


@pytest.mark.parametrize(("role", "perms", "offered"), WHO, ids=WHO_IDS)
def test_the_wz_page_offers_only_the_settlements_the_user_may_charge_by(
        tenant, stock, tariff, monkeypatch, role, perms, offered):
    client = _user_client(tenant, monkeypatch, role, *perms)
    response = client.get(reverse("warehouse:document_new_wz"))
    assert response.status_code == 200
    form = _page(response).xpath("//form[@id='document-form']")[0]
    assert _settlements(form) == offered
    assert _has_field(form, "lease_tariff") == ("lease" in offered)
    assert _has_field(form, "deposit") == ("deposit" in offered)
    if "lease" in offered:
        assert "Dzierżawa ONT" in form.xpath(".//select[@name='lease_tariff']")[0] \
            .text_content()


@pytest.mark.parametrize(("role", "settlement", "extra"), [
    (Role.TECHNICIAN, "sale", {}),
    (Role.TECHNICIAN, "deposit", {"deposit": "100"}),
    (Role.OPERATOR, "lease", {"lease_tariff": "tariff"}),
    (Role.OPERATOR, "deposit", {"deposit": "100"}),
], ids=["technician-sale", "technician-deposit", "operator-lease", "operator-deposit"])
def test_a_forged_settlement_on_the_wz_page_is_refused_and_nothing_written(
        tenant, stock, customer, tariff, monkeypatch, role, settlement, extra):
    client = _user_client(tenant, monkeypatch, role)
    if extra.get("lease_tariff"):
        extra = {"lease_tariff": tariff.pk}
    response = _staff_post(client, stock, customer, settlement=settlement, **extra)
    assert response.status_code == 400
    page = _page(response)
    label = {"sale": "sale (invoice)", "lease": "lease (monthly)",
             "deposit": "deposit"}[settlement]
    errors = [" ".join(e.text_content().split()) for e in
              page.xpath("//select[@name='settlement']/../div[contains(@class, "
                         "'invalid-feedback')]")]
    assert errors == [NOT_OFFERED.format(label)]
    # shown again offering what it offered, the lines kept
    assert settlement not in _settlements(page)
    assert "ONT1" in response.content.decode()
    _wz_nothing_written(stock)


def test_an_unknown_settlement_is_refused_as_no_choice(staff_client, stock, customer):
    response = _staff_post(staff_client, stock, customer, settlement="gift")
    assert response.status_code == 400
    assert "Select a valid choice. gift is not one of the available choices." in \
        response.content.decode()
    _wz_nothing_written(stock)


def test_an_operator_sells_from_the_wz_page(tenant, stock, customer, monkeypatch):
    client = _user_client(tenant, monkeypatch, Role.OPERATOR)
    response = _staff_post(client, stock, customer, settlement="sale")
    assert response.status_code == 302, response.content.decode()[-2000:]
    wz = StockDocument.objects.get(kind="WZ")
    assert wz.settlement == "sale" and wz.invoice.created_by.username == "user-operator"
    assert StockItem.objects.get(serial="ONT1").state == "issued"


def test_a_tariff_or_deposit_sent_without_its_field_is_not_taken(tenant, stock, customer,
                                                                 tariff, monkeypatch):
    """A technician's form has neither field: a tariff or an amount sent with "no charge"
    is dropped, the WZ issues with no charge."""
    client = _user_client(tenant, monkeypatch, Role.TECHNICIAN)
    response = _staff_post(client, stock, customer, settlement="none",
                           lease_tariff=tariff.pk, deposit="100")
    assert response.status_code == 302, response.content.decode()[-2000:]
    wz = StockDocument.objects.get(kind="WZ")
    assert (wz.settlement, wz.invoice_id, wz.subscription_id) == ("none", None, None)
    assert not FinanceDocument.objects.exists() and not Subscription.objects.exists()


# --------------------------------------------------------------------------- the card

def _card_section(client, customer):
    return client.get(reverse("customers:section", kwargs={"customer_id": customer.pk,
                                                           "key": "equipment"}),
                      headers=HTMX)


def _card_post(client, stock, customer, **fields):
    return client.post(
        reverse("warehouse:card_issue", kwargs={"customer_id": customer.pk}),
        {"warehouse": stock.main.pk, "lines": "ONT1", "settlement": "none",
         "lease_tariff": "", "deposit": "", "address": "", "issued_on": "", "note": "",
         "request_token": str(uuid.uuid4()), **fields}, headers=HTMX)


@pytest.mark.parametrize(("role", "perms", "offered"), WHO, ids=WHO_IDS)
def test_the_cards_issue_form_offers_only_the_settlements_the_user_may_charge_by(
        tenant, stock, customer, tariff, monkeypatch, role, perms, offered):
    client = _user_client(tenant, monkeypatch, role, *perms)
    response = _card_section(client, customer)
    assert response.status_code == 200
    form = _page(response).xpath("//*[@id='equipment-issue']//form")[0]
    assert _settlements(form) == offered
    assert _has_field(form, "lease_tariff") == ("lease" in offered)
    assert _has_field(form, "deposit") == ("deposit" in offered)


@pytest.mark.parametrize(("role", "settlement", "extra"), [
    (Role.TECHNICIAN, "sale", {}),
    (Role.TECHNICIAN, "lease", {"lease_tariff": "tariff"}),
    (Role.OPERATOR, "deposit", {"deposit": "100"}),
], ids=["technician-sale", "technician-lease", "operator-deposit"])
def test_a_forged_settlement_from_the_card_is_refused_and_nothing_written(
        tenant, stock, customer, tariff, monkeypatch, role, settlement, extra):
    client = _user_client(tenant, monkeypatch, role)
    if extra.get("lease_tariff"):
        extra = {"lease_tariff": tariff.pk}
    response = _card_post(client, stock, customer, settlement=settlement, **extra)
    assert response.status_code == 200  # the section again, the form open with why
    label = {"sale": "sale (invoice)", "lease": "lease (monthly)",
             "deposit": "deposit"}[settlement]
    form = _page(response).xpath("//*[@id='equipment-issue']//form")[0]
    errors = [" ".join(e.text_content().split()) for e in
              form.xpath(".//select[@name='settlement']/../div[contains(@class, "
                         "'invalid-feedback')]")]
    assert errors == [NOT_OFFERED.format(label)]
    assert settlement not in _settlements(form)
    _wz_nothing_written(stock)


def test_a_technician_issues_from_the_card_with_no_charge(tenant, stock, customer,
                                                          monkeypatch):
    client = _user_client(tenant, monkeypatch, Role.TECHNICIAN)
    response = _card_post(client, stock, customer, deposit="100")
    assert response.status_code == 200 and "posted" in response.content.decode()
    wz = StockDocument.objects.get(kind="WZ")
    assert wz.settlement == "none" and not FinanceDocument.objects.exists()
