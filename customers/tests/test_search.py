"""The one search box of the customer list: a customer found by anything staff are told on
the phone — and the list says why it matched (core.search and each app's search.py)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from conftest import make_staff
from core.roles import Role
from core.tenancy import tenant_context
from customers import services as customer_services
from customers.tests.factories import VALID_IBAN
from finance.models import FinanceDocument, Kind
from radius import services as radius_services

LIST = reverse("customers:list")


def found(client, query, **params) -> str:
    response = client.get(LIST, {"q": query, **params})
    assert response.status_code == 200
    return response.content.decode()


def rows(html: str) -> str:
    """The list's table body only (not the query echoed in the search box)."""
    return html.split('id="customer-list"', 1)[1].split("</table>", 1)[0]


@pytest.fixture
def pool(in_tenant, staff):
    return radius_services.pool_create(actor=staff, name="Klienci", network="10.0.0.0/24",
                                       range_start="10.0.0.2", range_end="10.0.0.254",
                                       gateway="10.0.0.1")


def person(staff, first, last, **fields):
    return customer_services.customer_create(actor=staff, first_name=first, last_name=last,
                                             status="connected", **fields)


def login_add(staff, customer, login, **fields):
    return radius_services.login_create(actor=staff, customer=customer, login=login,
                                        password="Tajne-haslo1", **fields)


def ledger_document(customer, number, kind=Kind.INVOICE):
    """A document imported from the previous system, with the number it bore there."""
    return FinanceDocument.objects.create(customer=customer, kind=kind, number=number,
                                          issue_date=date(2026, 5, 1), debit=Decimal("10.00"))


# --------------------------------------------------------------------------- customers' data

def test_name_phone_email_and_address_find_the_customer_and_say_why(staff_client, staff,
                                                                    customer):
    customer_services.phone_add(actor=staff, customer=customer, number="601 234 567")
    customer_services.email_add(actor=staff, customer=customer, address="jan@example.pl")
    customer_services.address_add(actor=staff, customer=customer, kind="residence",
                                  street="Długa", building_no="5", postal_code="80-001",
                                  city="Gdańsk")
    page = rows(found(staff_client, "Kowalski"))
    assert "Jan Kowalski" in page and "name: Jan Kowalski" in page
    assert "phone: +48 601 234 567" in rows(found(staff_client, "601-234-567"))
    assert "e-mail: jan@example.pl" in rows(found(staff_client, "jan@example"))
    assert "address: Długa 5, 80-001 Gdańsk" in rows(found(staff_client, "długa 5"))
    assert f"PESEL: {customer.pesel}" in rows(found(staff_client, customer.pesel))


def test_accounts_find_the_customer(staff_client, staff, customer):
    customer_services.bank_account_add(actor=staff, customer=customer, iban=VALID_IBAN)
    spaced = "61 1090 1014 0000 0712 1981 2874"
    page = rows(found(staff_client, spaced))
    assert "Jan Kowalski" in page and f"account: PL {spaced}" in page
    own = rows(found(staff_client, customer.virtual_account))
    assert "Jan Kowalski" in own and "account: " in own


# --------------------------------------------------------------------------- logins

def test_login_finds_the_customer_whatever_the_case(staff_client, staff, customer, pool):
    login_add(staff, customer, "jan.kowalski", pool=pool)
    person(staff, "Anna", "Nowak")
    page = rows(found(staff_client, "JAN.Kowalski"))
    assert "Jan Kowalski" in page and "login: jan.kowalski" in page
    assert "Anna Nowak" not in page
    assert "login: jan.kowalski" in rows(found(staff_client, "jan.ko"))


def test_login_wildcards_are_plain_characters(staff_client, staff, customer, pool):
    other = person(staff, "Anna", "Nowak")
    login_add(staff, customer, "jan_k1", pool=pool)
    login_add(staff, other, "janxk1", pool=pool)
    page = rows(found(staff_client, "jan_k"))
    assert "login: jan_k1" in page and "janxk1" not in page
    assert "Jan Kowalski" not in rows(found(staff_client, "jan%"))
    assert "Jan Kowalski" not in rows(found(staff_client, "ja\\n_k"))


def test_ipv4_exact_does_not_find_longer_addresses(staff_client, staff, customer, pool):
    other = person(staff, "Anna", "Nowak")
    login_add(staff, customer, "jan", pool=pool, ip="10.0.0.5")
    login_add(staff, other, "anna", pool=pool, ip="10.0.0.50")
    page = rows(found(staff_client, "10.0.0.5"))
    assert "IP 10.0.0.5" in page and "Jan Kowalski" in page
    assert "Anna Nowak" not in page
    both = rows(found(staff_client, "10.0.0."))
    assert "IP 10.0.0.5" in both and "IP 10.0.0.50" in both
    assert "No customers match." in rows(found(staff_client, "10.0.0.6"))


@pytest.mark.parametrize("notation", ["aa:bb:cc:dd:ee:f0", "AA-BB-CC-DD-EE-F0",
                                      "aabb.ccdd.eef0", "AABBCCDDEEF0", "aa:bb:cc"])
def test_mac_in_any_notation_finds_the_customer(staff_client, staff, customer, pool, notation):
    login_add(staff, customer, "jan", pool=pool, auth_type="dhcp", mac="aa:bb:cc:dd:ee:f0")
    page = rows(found(staff_client, notation))
    assert "Jan Kowalski" in page and "MAC AA:BB:CC:DD:EE:F0" in page


def test_logins_are_skipped_for_users_without_the_permission(client, tenant, staff, customer,
                                                            pool):
    login_add(staff, customer, "jan.kowalski", pool=pool)
    accountant = make_staff(tenant, "ksiegowa", role=Role.ACCOUNTANT)
    client.force_login(accountant)
    assert "No customers match." in rows(found(client, "jan.kowalski"))


# --------------------------------------------------------------------------- documents

def test_invoice_number_exact_match_wins_over_longer_numbers(staff_client, staff, customer):
    other = person(staff, "Anna", "Nowak")
    third = person(staff, "Ewa", "Lis")
    ledger_document(customer, "FV/1/2026")
    ledger_document(other, "FV/1/2026/K")
    ledger_document(third, "FV/10/2026")
    page = rows(found(staff_client, "FV/1/2026"))
    assert "Jan Kowalski" in page and "invoice FV/1/2026" in page
    assert "Anna Nowak" not in page and "Ewa Lis" not in page
    assert "invoice FV/1/2026" in rows(found(staff_client, "fv/1/2026"))


def test_invoice_number_prefix_finds_the_documents_starting_with_it(staff_client, staff,
                                                                    customer):
    other = person(staff, "Anna", "Nowak")
    ledger_document(customer, "FV/12/2026")
    ledger_document(other, "FV/13/2026")
    page = rows(found(staff_client, "FV/1"))
    assert "invoice FV/12/2026" in page and "invoice FV/13/2026" in page
    corr = ledger_document(other, "FK/7/2026", kind=Kind.CORRECTION)
    assert f"correction {corr.number}" in rows(found(staff_client, "FK/7/2026"))


def test_invoice_number_with_wildcards_matches_only_itself(staff_client, staff, customer):
    other = person(staff, "Anna", "Nowak")
    ledger_document(customer, "FV_1%/2026")
    ledger_document(other, "FVX1Y/2026")
    ledger_document(other, "FV\\1/2026")
    page = rows(found(staff_client, "FV_1%/"))
    assert "FV_1%/2026" in page and "Anna Nowak" not in page
    assert "No customers match." in rows(found(staff_client, "FV\\1%/"))
    assert "Anna Nowak" in rows(found(staff_client, "FV\\1/"))


def test_document_number_and_barcode_code_find_the_customer(staff_client, staff, customer):
    from documents import services as document_services

    document_services.document_template_create(
        actor=staff, document_type="contract", name="Umowa",
        body="<h1>Umowa {{ document.number }}</h1>", is_default=True)
    document = document_services.document_issue(actor=staff, customer=customer,
                                                 document_type="contract")
    page = rows(found(staff_client, document.number))
    assert "Jan Kowalski" in page and f"contract {document.number}" in page
    page = rows(found(staff_client, document.code.lower()))
    assert "Jan Kowalski" in page and f"document code {document.code}" in page
    assert "No customers match." in rows(found(staff_client, "ABN999999999"))


# --------------------------------------------------------------------------- tenants, language

def test_other_tenants_logins_ips_and_invoices_are_never_found(staff_client, staff, customer,
                                                               other_tenant, other_staff):
    with tenant_context(other_tenant):
        theirs = customer_services.customer_create(actor=other_staff, first_name="Obcy",
                                                   last_name="Klient")
        their_pool = radius_services.pool_create(
            actor=other_staff, name="B", network="10.9.0.0/24", range_start="10.9.0.2",
            range_end="10.9.0.254")
        login_add(other_staff, theirs, "obcy.login", pool=their_pool, ip="10.9.0.7",
                  auth_type="dhcp", mac="02:00:00:00:00:07")
        ledger_document(theirs, "FV/99/2026")
    for query in ("obcy.login", "10.9.0.7", "10.9.0.", "02:00:00:00:00:07", "FV/99/2026",
                  "Obcy"):
        assert "No customers match." in rows(found(staff_client, query)), query


def test_reasons_are_in_the_readers_language(staff_client, staff, customer, pool):
    login_add(staff, customer, "jan.kowalski", pool=pool, ip="10.0.0.9")
    ledger_document(customer, "FV/5/2026")
    with translation.override("pl"):
        response = staff_client.get(LIST, {"q": "FV/5/2026"}, headers={"accept-language": "pl"})
        assert "faktura FV/5/2026" in rows(response.content.decode())
        response = staff_client.get(LIST, {"q": "jan.kowalski"},
                                    headers={"accept-language": "pl"})
        assert "login: jan.kowalski" in rows(response.content.decode())


def test_found_by_login_and_filtered_by_status(staff_client, staff, customer, pool):
    login_add(staff, customer, "jan.kowalski", pool=pool)
    assert "Jan Kowalski" in rows(found(staff_client, "jan.kowalski", status="connected"))
    assert "No customers match." in rows(found(staff_client, "jan.kowalski",
                                               status="interested"))


def test_count_includes_what_other_apps_found(staff_client, staff, customer, pool):
    login_add(staff, customer, "jan.kowalski", pool=pool)
    response = staff_client.get(reverse("customers:count"), {"q": "jan.kowalski"})
    assert response.status_code == 200 and "1" in response.content.decode()


def test_search_page_query_count(staff_client, staff, customer, pool,
                                 django_assert_num_queries):
    for n in range(5):
        someone = person(staff, "Jan", f"Kowalski{n}")
        login_add(staff, someone, f"kowalski{n}", pool=pool)
        customer_services.phone_add(actor=staff, customer=someone, number=f"60123456{n}")
    # session, user, membership with the role (permissions); radius: the login exactly and by its
    # start (finance and documents ask nothing: "kowalski" has no digit); the page of
    # customers, their phones, e-mails, addresses and bank accounts; the groups of the
    # filter; the session saved (savepoint, update, release) — whatever the number of rows.
    with django_assert_num_queries(14):
        page = rows(found(staff_client, "kowalski"))
    assert page.count("login: kowalski") == 5


def test_api_search_finds_by_login_and_invoice_number_as_the_list_does(api_client, staff,
                                                                       customer, pool):
    login_add(staff, customer, "jan.kowalski", pool=pool)
    ledger_document(customer, "FV/7/2026")
    other = person(staff, "Anna", "Nowak")
    ledger_document(other, "FV/7/2026/K", kind=Kind.CORRECTION)
    for query in ("jan.kowalski", "FV/7/2026"):
        response = api_client.get("/api/v1/customers/", {"search": query})
        assert response.status_code == 200
        assert [row["id"] for row in response.json()["results"]] == [customer.pk], query
    response = api_client.get("/api/v1/customers/", {"search": "no-such-login-x"})
    assert response.json()["results"] == []
