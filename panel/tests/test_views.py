"""The customer's self-service panel: login (password, one-time PIN, locks), the home page
with the balance and the history, and the PDFs of the customer's own documents."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from core.tenancy import tenant_context
from customers import services as customer_services
from customers.validators import format_account
from finance import services as finance_services

PASSWORD = "Haslo-Bardzo-Tajne-1"
LOGIN_URL = reverse("panel:login")
HOME_URL = reverse("panel:home")
PASSWORD_URL = reverse("panel:password_change")


def pdf_url(document) -> str:
    return reverse("panel:document_pdf", args=[document.pk])


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    return " ".join(text.split())


def invoice(staff, customer, net="100.00"):
    return finance_services.invoice_issue(
        actor=staff, customer=customer, issue_date=date(2026, 3, 1), due_date=date(2026, 3, 15),
        lines=[{"name": "Abonament Internet", "quantity": Decimal(1),
                "net_unit_price": Decimal(net), "vat_rate": "23"}])


def log_in(client, login="jkowalski", secret=PASSWORD, url=LOGIN_URL):
    return client.post(url, {"login": login, "secret": secret})


@pytest.fixture
def panel_account(in_tenant, staff, customer):
    return customer_services.panel_credentials_set(actor=staff, customer=customer,
                                                   login="jkowalski", password=PASSWORD)


@pytest.fixture
def panel_client(client, panel_account):
    response = log_in(client)
    assert response.status_code == 302 and response["Location"] == HOME_URL
    return client


# --------------------------------------------------------------------------- login

def test_password_login_opens_the_home_page(client, panel_account, customer):
    response = log_in(client)
    assert response.status_code == 302 and response["Location"] == HOME_URL
    html = client.get(HOME_URL).content.decode()
    assert "Jan Kowalski" in html and str(customer.number) in html
    assert format_account(customer.virtual_account) in html


def test_pin_login_forces_a_new_password_before_anything_else(client, panel_account, staff,
                                                              customer):
    document = invoice(staff, customer)
    pin = customer_services.panel_pin_generate(actor=staff, customer=customer)
    response = log_in(client, secret=pin)
    assert response.status_code == 302 and response["Location"] == PASSWORD_URL
    page = client.get(PASSWORD_URL).content.decode()
    assert "set your own password" in page and "Current password" not in page
    for url in (HOME_URL, pdf_url(document)):
        assert client.get(url)["Location"] == PASSWORD_URL

    mismatch = client.post(PASSWORD_URL, {"new_password": "Nowe-Haslo-2026!",
                                          "new_password_again": "Inne-Haslo-2026!"})
    assert mismatch.status_code == 400 and "The two passwords differ." in mismatch.content.decode()
    too_short = client.post(PASSWORD_URL, {"new_password": "krotkie",
                                           "new_password_again": "krotkie"})
    assert too_short.status_code == 400 and "too short" in too_short.content.decode()

    done = client.post(PASSWORD_URL, {"new_password": "Nowe-Haslo-2026!",
                                      "new_password_again": "Nowe-Haslo-2026!"})
    assert done.status_code == 302 and done["Location"] == HOME_URL
    assert client.get(HOME_URL).status_code == 200
    # The PIN worked once; the new password works from another browser.
    other_browser = Client(headers={"accept-language": "en"})
    assert "Wrong login or password." in log_in(other_browser, secret=pin).content.decode()
    assert log_in(other_browser, secret="Nowe-Haslo-2026!")["Location"] == HOME_URL


def test_wrong_password_and_unknown_login_say_the_same(client, panel_account):
    for login, secret in (("jkowalski", "zgaduje"), ("nikt-taki", PASSWORD)):
        response = log_in(client, login=login, secret=secret)
        assert response.status_code == 200
        assert "Wrong login or password." in response.content.decode()
    assert client.get(HOME_URL)["Location"].startswith(LOGIN_URL)


def test_locked_account_answers_as_a_wrong_password(client, panel_account):
    for _ in range(5):
        log_in(client, secret="zgaduje")
    # Locked now: even the right password gets the words of a wrong one, so nobody learns
    # that the login exists (staff see the lock on the card).
    response = log_in(client)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Wrong login or password." in html and "locked" not in html
    assert client.get(HOME_URL)["Location"].startswith(LOGIN_URL)


def test_too_many_failures_from_one_address_say_so_with_429(client, panel_account, settings):
    settings.PANEL_LOGIN_ADDRESS_FAILURE_LIMIT = 3
    for login in ("nikt-taki", "ktos-inny", "jkowalski"):
        assert log_in(client, login=login, secret="zgaduje").status_code == 200
    refused = log_in(client)
    assert refused.status_code == 429
    assert "Too many failed logins from your address" in refused.content.decode()
    assert client.get(HOME_URL)["Location"].startswith(LOGIN_URL)
    assert log_in(Client(REMOTE_ADDR="198.51.100.7"))["Location"] == HOME_URL


def test_address_behind_a_trusted_proxy_is_the_forwarded_one(panel_account, settings):
    settings.PANEL_LOGIN_ADDRESS_FAILURE_LIMIT = 2
    settings.TRUSTED_PROXY_COUNT = 1

    def from_client(address, secret="zgaduje"):
        # The proxy (10.0.0.1) appends the address it saw; what the client sent is ignored.
        browser = Client(REMOTE_ADDR="10.0.0.1",
                         HTTP_X_FORWARDED_FOR=f"203.0.113.99, {address}")
        return log_in(browser, secret=secret)

    from_client("192.0.2.1")
    from_client("192.0.2.1")
    assert from_client("192.0.2.1", secret=PASSWORD).status_code == 429
    assert from_client("192.0.2.2", secret=PASSWORD)["Location"] == HOME_URL


def test_not_logged_in_goes_to_the_login_page(client, panel_account, staff, customer):
    document = invoice(staff, customer)
    for url in (HOME_URL, PASSWORD_URL, pdf_url(document)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN_URL)


def test_staff_login_does_not_open_the_panel_nor_the_reverse(staff_client, panel_account):
    assert staff_client.get(HOME_URL)["Location"].startswith(LOGIN_URL)
    customer_browser = Client()
    log_in(customer_browser)
    staff_page = customer_browser.get(reverse("customers:list"))
    assert staff_page.status_code == 302 and staff_page["Location"].startswith(reverse("login"))


def test_logout_is_a_post_and_ends_the_panel_session(panel_client):
    assert panel_client.get(reverse("panel:logout")).status_code == 405
    response = panel_client.post(reverse("panel:logout"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN_URL)
    assert panel_client.get(HOME_URL)["Location"].startswith(LOGIN_URL)


def test_csrf_is_checked_on_login(panel_account):
    browser = Client(enforce_csrf_checks=True)
    assert log_in(browser).status_code == 403


def test_password_change_ends_the_other_sessions(panel_client, panel_account):
    other_browser = Client()
    log_in(other_browser)
    assert other_browser.get(HOME_URL).status_code == 200
    wrong = panel_client.post(PASSWORD_URL, {"current_password": "zle", "new_password":
                                             "Nowe-Haslo-2026!",
                                             "new_password_again": "Nowe-Haslo-2026!"})
    assert "The current password is wrong." in wrong.content.decode()
    panel_client.post(PASSWORD_URL, {"current_password": PASSWORD,
                                     "new_password": "Nowe-Haslo-2026!",
                                     "new_password_again": "Nowe-Haslo-2026!"})
    assert panel_client.get(HOME_URL).status_code == 200
    assert other_browser.get(HOME_URL)["Location"].startswith(LOGIN_URL)


# --------------------------------------------------------------------------- tenant

def test_the_login_link_or_the_host_chooses_the_provider(client, panel_account, other_tenant,
                                                         settings):
    # Two tenants and a host that names none: the address opens no provider's panel.
    response = log_in(client)
    assert "This address opens no provider" in response.content.decode()
    assert log_in(client, url=f"{LOGIN_URL}?isp=beta").content.decode().count(
        "Wrong login or password.") == 1
    assert log_in(client, url=f"{LOGIN_URL}?isp=alfa")["Location"] == HOME_URL
    settings.PANEL_TENANT_HOSTS = {"panel.alfa.example": "alfa"}
    settings.ALLOWED_HOSTS = ["panel.alfa.example"]
    other_browser = Client(HTTP_HOST="panel.alfa.example")
    assert log_in(other_browser)["Location"] == HOME_URL


def test_same_login_in_another_tenant_opens_only_its_own_account(client, panel_account,
                                                                 other_tenant, other_staff):
    with tenant_context(other_tenant):
        piotr = customer_services.customer_create(actor=other_staff, first_name="Piotr",
                                                  last_name="Betowski")
        customer_services.panel_credentials_set(actor=other_staff, customer=piotr,
                                                login="jkowalski", password="Haslo-Beta-123")
    log_in(client, secret="Haslo-Beta-123", url=f"{LOGIN_URL}?isp=beta")
    html = client.get(HOME_URL).content.decode()
    assert "Piotr Betowski" in html and "Kowalski" not in html


# --------------------------------------------------------------------------- home

def test_history_shows_the_invoice_and_the_technical_transaction_with_its_reason(
        panel_client, staff, customer):
    document = invoice(staff, customer)
    technical = finance_services.technical_issue(
        actor=staff, customer=customer, amount=Decimal("20.00"), charge=False,
        reason="Rekompensata za awarię łącza 3-5 marca")
    html = panel_client.get(HOME_URL).content.decode()
    assert document.number in html and technical.number in html
    assert "Invoice" in html and "Technical transaction" in html
    assert "Reason: Rekompensata za awarię łącza 3-5 marca" in html
    # 123.00 owed, 20.00 credited and settled against it: partially settled, 103.00 to pay.
    assert "partially settled" in html
    assert "To pay: PLN\xa0103.00" in html
    assert pdf_url(document) in html and pdf_url(technical) in html


def test_history_is_paged_25_rows_a_page(panel_client, staff, customer):
    for i in range(26):
        finance_services.technical_issue(actor=staff, customer=customer, amount="1.00",
                                         charge=True, reason=f"Opłata {i}")
    first = panel_client.get(HOME_URL).content.decode()
    assert first.count('id="panel-row-') == 25 and "?page=2" in first
    second = panel_client.get(HOME_URL, {"page": 2}).content.decode()
    assert second.count('id="panel-row-') == 1 and "Opłata 0" in second


def test_home_page_in_polish_by_default(panel_client, staff, customer):
    invoice(staff, customer)
    html = panel_client.get(HOME_URL, headers={"accept-language": "pl"}).content.decode()
    assert "Saldo" in html and "Faktura" in html


def test_home_page_query_count(panel_client, staff, customer, django_assert_num_queries):
    invoice(staff, customer)
    finance_services.technical_issue(actor=staff, customer=customer, amount="5.00",
                                     charge=True, reason="Opłata za duplikat umowy")
    # The session, the tenant, the panel account with its customer, the page of the
    # history (statuses and running balance are annotations), the cached balance, the
    # unread device messages (messaging.notices).
    with django_assert_num_queries(6):
        response = panel_client.get(HOME_URL)
    assert response.status_code == 200


# --------------------------------------------------------------------------- PDFs

def test_own_invoice_pdf(panel_client, staff, customer):
    document = invoice(staff, customer)
    response = panel_client.get(pdf_url(document))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    text = pdf_text(response)
    assert document.number in text and "Jan Kowalski" in text


def test_another_customers_or_tenants_document_is_404(panel_client, staff, other_tenant,
                                                      other_staff):
    neighbour = customer_services.customer_create(actor=staff, first_name="Anna",
                                                  last_name="Sąsiadka")
    theirs = invoice(staff, neighbour)
    with tenant_context(other_tenant):
        stranger = customer_services.customer_create(actor=other_staff, first_name="Piotr",
                                                     last_name="Betowski")
        foreign = invoice(other_staff, stranger)
    for document in (theirs, foreign):
        assert panel_client.get(pdf_url(document)).status_code == 404
    for raw in ("abc", "99999999999999999999999"):
        assert panel_client.get(f"/panel/documents/{raw}/pdf/").status_code == 404


def test_bank_transfer_has_no_pdf_in_the_panel(panel_client, staff, customer):
    transfer = finance_services.bank_transfer_record(
        actor=staff, customer=customer, amount=Decimal("50.00"), booking_date=date(2026, 3, 2),
        title="Wpłata", bank_reference="REF-1")
    assert pdf_url(transfer) not in panel_client.get(HOME_URL).content.decode()
    assert panel_client.get(pdf_url(transfer)).status_code == 404
