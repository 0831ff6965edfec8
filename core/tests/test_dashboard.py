"""The home page: the day's work in tiles (core.dashboard), each a count — and an amount
where it is money — linking to the list that shows the same things; a tile only for the
users who may open its list; a constant number of queries."""

from datetime import timedelta
from decimal import Decimal

import lxml.html
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import make_staff
from core.models import TenantSetting
from core.roles import Role
from core.tenancy import tenant_context
from customers import services as customer_services
from documents import services as document_services
from finance import services
from finance.bank.csv_profiles import PROFILES
from finance.bank.importer import bank_statement_import
from finance.tests.test_bank_views import UNKNOWN, csv
from finance.tests.test_forms_schedule import polish_catalog  # noqa: F401 (a fixture)
from radius.models import Login
from radius.services import login_block, login_create

D = Decimal
TODAY = timezone.localdate()
TILES = ["finance.bank_unidentified", "radius.reload_failed", "radius.blocked_today",
         "documents.awaiting_approval", "finance.overdue", "finance.payments_today"]


def _invoice(staff, customer, net, days_ago):
    issue = TODAY - timedelta(days=days_ago)
    return services.invoice_issue(actor=staff, customer=customer, issue_date=issue,
                                  due_date=issue + timedelta(days=14), lines=[
        {"name": "Abonament", "quantity": D(1), "net_unit_price": D(net), "vat_rate": "23"}])


def _day(staff, n: int, suffix: str):
    """``n`` of everything that waits: unidentified lines of 20.00, customers overdue by
    123.00 each, KP payments of 10.00 today, logins whose reload failed and logins
    blocked today, documents to approve."""
    lines = [(f"Ktoś {suffix}{i}", UNKNOWN, "?", "20,00", f"{suffix}{i}") for i in range(n)]
    bank_statement_import(actor=staff, data=csv(*lines), csv_profile=PROFILES["generic_pl"])
    register = services.cash_register_create(actor=staff, name=f"Kasa {suffix}",
                                             symbol=f"K{suffix}")
    document_services.document_template_create(
        actor=staff, document_type="contract", name=f"Umowa {suffix}", is_default=True,
        body="<h1>{{ document.number }}</h1>")
    for i in range(n):
        customer = customer_services.customer_create(actor=staff, last_name=f"Nowak{suffix}{i}")
        _invoice(staff, customer, "100.00", days_ago=40)  # due 26 days ago
        _invoice(staff, customer, "100.00", days_ago=1)   # not due yet
        services.kp_issue(actor=staff, customer=customer, register=register,
                          amount=D("10.00"), positions=[], invoices=[], title="Wpłata",
                          issue_date=TODAY)
        failed = login_create(actor=staff, customer=customer, login=f"r{suffix}{i}",
                              password="haslo-123A")
        Login.objects.filter(pk=failed.pk).update(reload_status=Login.ReloadStatus.TIMEOUT)
        blocked = login_create(actor=staff, customer=customer, login=f"b{suffix}{i}",
                               password="haslo-123A")
        login_block(actor=staff, login=blocked, reason="Nie płaci")
        document_services.document_issue(actor=staff, customer=customer,
                                          document_type="contract")


def tiles(response) -> dict:
    tree = lxml.html.fromstring(response.content.decode())
    found = {}
    for card in tree.xpath('//div[@id="dashboard"]//div[@data-tile]'):
        amount = card.xpath('.//span[contains(@class, "tile-amount")]')
        link = card.xpath('.//a[contains(@class, "tile-link")]')
        found[card.get("data-tile")] = {
            "title": card.xpath(".//h2")[0].text_content().strip(),
            "count": int(card.xpath('.//span[contains(@class, "tile-count")]')[0].text),
            "amount": " ".join(amount[0].text_content().split()) if amount else None,
            "url": link[0].get("href") if link else None}
    return found


@pytest.fixture
def busy_day(in_tenant, staff):
    TenantSetting.objects.create(key="finance.virtual_account_prefix", value="0000")
    _day(staff, 2, "A")


def test_home_shows_the_days_work_with_counts_amounts_and_links(staff_client, busy_day):
    response = staff_client.get(reverse("home"))
    assert response.status_code == 200
    found = tiles(response)
    assert list(found) == TILES
    assert found["finance.bank_unidentified"] == {
        "title": "Unidentified payments", "count": 2, "amount": "PLN 40.00",
        "url": reverse("finance:bank_unidentified")}
    assert found["finance.overdue"] == {
        "title": "Overdue customers", "count": 2, "amount": "PLN 226.00",  # 2 × (123 − 10)
        "url": reverse("finance:debtors")}
    assert found["finance.payments_today"] == {
        "title": "Today's payments", "count": 2, "amount": "PLN 20.00",
        "url": reverse("finance:payments")}
    assert found["documents.awaiting_approval"] == {
        "title": "Documents awaiting approval today", "count": 2, "amount": None,
        "url": reverse("documents:approve")}
    assert found["radius.reload_failed"]["count"] == 2
    assert found["radius.reload_failed"]["url"] == reverse("radius:login_list") \
        + "?reload_failed=1"
    assert found["radius.blocked_today"]["count"] == 2
    assert found["radius.blocked_today"]["url"] == reverse("radius:login_list") \
        + "?blocked=1&blocked_since=today"


def test_each_tile_opens_a_list_of_as_many_rows(staff_client, busy_day):
    found = tiles(staff_client.get(reverse("home")))
    expected_rows = {
        "finance.bank_unidentified": "Ktoś A", "finance.overdue": 'class="debtor"',
        "finance.payments_today": 'class="payment"', "radius.reload_failed": ">rA",
        "radius.blocked_today": ">bA", "documents.awaiting_approval": None}
    for key, marker in expected_rows.items():
        page = staff_client.get(found[key]["url"])
        assert page.status_code == 200, key
        if marker:
            assert page.content.decode().count(marker) >= found[key]["count"], key


def test_debtors_and_payments_lists_show_the_amounts(staff_client, busy_day):
    debtors = lxml.html.fromstring(staff_client.get(reverse("finance:debtors")).content)
    rows = debtors.xpath('//tr[@class="debtor"]')
    assert [" ".join(r.xpath('./td[contains(@class, "debtor-overdue")]')[0]
                     .text_content().split()) for r in rows] == ["PLN 113.00", "PLN 113.00"]
    assert "2 customers owe PLN 226.00 past due." in " ".join(
        debtors.get_element_by_id("debtors-summary").text_content().split())
    payments = staff_client.get(reverse("finance:payments"), {"date": "today"}).content.decode()
    assert payments.count('class="payment"') == 2 and "KP/KA/" in payments
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    assert 'class="payment"' not in staff_client.get(
        reverse("finance:payments"), {"date": yesterday}).content.decode()


def test_home_in_polish(staff_client, busy_day, polish_catalog):  # noqa: F811
    found = tiles(staff_client.get(reverse("home"), headers={"accept-language": "pl"}))
    assert found["finance.bank_unidentified"]["title"] == "Wpłaty niezidentyfikowane"
    assert found["finance.bank_unidentified"]["amount"] == "40,00 zł"
    assert found["finance.overdue"]["title"] == "Klienci z zaległościami"


def test_a_user_without_the_permission_does_not_see_the_tile(tenant, busy_day):
    client = Client(headers={"accept-language": "en"})
    client.force_login(make_staff(tenant, "tomek", Role.TECHNICIAN))
    found = tiles(client.get(reverse("home")))
    assert "finance.overdue" not in found and "finance.payments_today" not in found
    assert "radius.reload_failed" in found


def test_home_query_count_does_not_grow_with_the_work(staff_client, tenant, staff,
                                                      django_assert_num_queries):
    with tenant_context(tenant):
        TenantSetting.objects.create(key="finance.virtual_account_prefix", value="0000")
        _day(staff, 1, "A")
    staff_client.get(reverse("home"))

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            staff_client.get(reverse("home"))
        return len(captured)

    few = count()
    with tenant_context(tenant):
        _day(staff, 3, "B")
    assert count() == few
    # The request's own (session, user, membership, tenant, RLS settings: four), then one
    # query per tile (six).
    with django_assert_num_queries(few):
        staff_client.get(reverse("home"))
    assert few - 6 == count_without_tiles(staff_client)


def test_other_tenants_work_is_not_counted(staff_client, busy_day, other_tenant, other_staff):
    with tenant_context(other_tenant):
        TenantSetting.objects.create(key="finance.virtual_account_prefix", value="0000")
        _day(other_staff, 3, "X")
    found = tiles(staff_client.get(reverse("home")))
    assert {key: value["count"] for key, value in found.items()} == dict.fromkeys(TILES, 2)


def count_without_tiles(client) -> int:
    """The queries of a staff page with no tile of its own: the request's overhead."""
    from core import dashboard

    saved = dict(dashboard._TILES)
    dashboard._TILES.clear()
    try:
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("home"))
    finally:
        dashboard._TILES.update(saved)
    return len(captured)


@pytest.mark.parametrize("name", ["finance:debtors", "finance:payments"])
def test_lists_the_tiles_open_cost_the_same_queries_for_more_rows(
        staff_client, tenant, staff, name, django_assert_num_queries):
    with tenant_context(tenant):
        TenantSetting.objects.create(key="finance.virtual_account_prefix", value="0000")
        _day(staff, 1, "A")
    url = reverse(name)
    staff_client.get(url)
    with CaptureQueriesContext(connection) as few:
        staff_client.get(url)
    with tenant_context(tenant):
        _day(staff, 3, "B")
    # The request's own, then: the totals, the page's count, its rows (the debtors: and
    # their customers).
    with django_assert_num_queries(len(few)):
        response = staff_client.get(url)
    assert response.content.decode().count('class="debtor"' if "debtors" in name
                                           else 'class="payment"') == 4
