"""The card's "Rachunek" and "Odsetki ustawowe" sections and the finance PDF pages."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from conftest import make_staff
from core.models import ActionLog
from core.roles import Role
from core.tenancy import tenant_context
from customers import services as customer_services
from customers.validators import format_account
from finance import services
from finance.models import FinanceDocument, InterestWaiver, Kind
from finance.views.account import account_section_context, interest_section_context


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    return " ".join(text.split())


def section(client, customer, key):
    return client.get(reverse("customers:section", args=[customer.pk, key]),
                      headers={"HX-Request": "true"})


def invoice(staff, customer, net="100.00", *, due=date(2025, 10, 31), issued=None):
    return services.invoice_issue(
        actor=staff, customer=customer, issue_date=issued or due.replace(day=1),
        due_date=due, lines=[{"name": "Abonament", "quantity": Decimal(1),
                              "net_unit_price": Decimal(net), "vat_rate": "23"}])


def client_of(client, tenant, role, name):
    client.force_login(make_staff(tenant, name, role))
    return client


# --------------------------------------------------------------------------- Rachunek

def test_account_section_shows_the_account_debt_and_the_slip_button(staff_client, staff,
                                                                     customer):
    invoice(staff, customer)
    html = section(staff_client, customer, "account").content.decode()
    assert format_account(customer.virtual_account) in html
    assert 'data-copy-target="#virtual-account-text"' in html
    assert "Debt: PLN\xa0123.00" in html
    assert reverse("finance:payment_slip", args=[customer.pk]) in html


def test_no_slip_button_when_the_balance_is_not_negative(staff_client, staff, customer):
    html = section(staff_client, customer, "account").content.decode()
    assert "Settled: PLN\xa00.00" in html
    assert reverse("finance:payment_slip", args=[customer.pk]) not in html
    services.bank_transfer_record(actor=staff, customer=customer, amount=Decimal("10.00"),
                                  booking_date=date(2026, 11, 2), title="Zaliczka",
                                  bank_reference="R1")
    html = section(staff_client, customer, "account").content.decode()
    assert "Credit: PLN\xa010.00" in html
    assert reverse("finance:payment_slip", args=[customer.pk]) not in html


def test_payment_slip_page_is_the_pdf_for_the_amount_owed(staff_client, staff, customer):
    invoice(staff, customer)
    response = staff_client.get(reverse("finance:payment_slip", args=[customer.pk]))
    assert response.status_code == 200
    text = pdf_text(response)
    assert "Druk wpłat" in text and "123,00" in text
    assert format_account(customer.virtual_account) in text


def test_payment_slip_for_a_customer_who_owes_nothing_says_so(staff_client, customer):
    response = staff_client.get(reverse("finance:payment_slip", args=[customer.pk]))
    assert response.status_code == 302
    assert response["Location"].endswith(f"/customers/{customer.pk}/?sekcja=rachunek#rachunek")
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == ["The customer owes nothing: there is no payment slip to print."]


# --------------------------------------------------------------------------- PDFs

def test_document_pdf_of_an_invoice(staff_client, staff, customer):
    document = invoice(staff, customer)
    response = staff_client.get(reverse("finance:document_pdf", args=[document.pk]))
    assert response.status_code == 200
    assert f"Faktura VAT nr {document.number}" in pdf_text(response)
    assert document.number.replace("/", "_") + ".pdf" in response["Content-Disposition"]


def test_other_tenants_document_and_customer_are_404(client, staff, customer, other_tenant):
    document = invoice(staff, customer)
    client = client_of(client, other_tenant, Role.ADMIN, "bartek")
    assert client.get(reverse("finance:document_pdf", args=[document.pk])).status_code == 404
    for name in ("customer_history_pdf", "payment_slip"):
        assert client.get(reverse(f"finance:{name}", args=[customer.pk])).status_code == 404
    response = client.post(reverse("finance:interest_note_issue", args=[customer.pk]),
                           {"receivable": [document.pk]})
    assert response.status_code == 404
    response = client.post(reverse("finance:interest_waive", args=[customer.pk, document.pk]),
                           {"reason": "x"})
    assert response.status_code == 404
    with tenant_context(customer.tenant):
        assert not FinanceDocument.objects.filter(kind=Kind.INTEREST_NOTE).exists()
        assert not InterestWaiver.objects.exists()


def test_a_technician_may_not_print_finance_documents(client, tenant, staff, customer):
    document = invoice(staff, customer)
    client = client_of(client, tenant, Role.TECHNICIAN, "tadek")
    # The account number stays on the card; the debt and the slip are finance's.
    html = section(client, customer, "account").content.decode()
    assert customer.virtual_account[-4:] in html.replace(" ", "")
    assert "Debt" not in html and "payment-slip" not in html
    assert client.get(reverse("finance:document_pdf", args=[document.pk])).status_code == 403
    assert client.get(reverse("finance:payment_slip", args=[customer.pk])).status_code == 403


def test_history_pdf_applies_the_history_filters(staff_client, staff, customer):
    first = invoice(staff, customer, due=date(2026, 10, 15))
    transfer = services.bank_transfer_record(actor=staff, customer=customer,
                                             amount=Decimal("50.00"),
                                             booking_date=date(2026, 10, 20), title="Wpłata",
                                             bank_reference="R7")
    second = invoice(staff, customer, "10.00", due=date(2026, 11, 15))
    url = reverse("finance:customer_history_pdf", args=[customer.pk])

    text = pdf_text(staff_client.get(url))
    assert first.number in text and transfer.number in text and second.number in text

    text = pdf_text(staff_client.get(url, {"kind": "invoice", "date_from": "2026-11-01"}))
    assert second.number in text and first.number not in text and transfer.number not in text
    assert "Filtr: faktura, od 2026-11-01" in text
    assert "12,30 -85,30" in text  # the balance after it, over the whole ledger

    # The card's history spells its filters with a prefix.
    text = pdf_text(staff_client.get(url, {"h-kind": "bank_transfer"}))
    assert transfer.number in text and first.number not in text and second.number not in text

    response = staff_client.get(url, {"date_from": "2026-11-02", "date_to": "2026-11-01"})
    assert response.status_code == 400
    assert "The start date is after the end date." in response.content.decode()


# --------------------------------------------------------------------------- Odsetki

@pytest.fixture
def overdue(staff, customer):
    """Two overdue invoices, unpaid: both accrue interest until today."""
    return [invoice(staff, customer, due=date(2025, 10, 31)),
            invoice(staff, customer, "50.00", due=date(2026, 3, 31))]


def test_interest_section_lists_overdue_invoices(staff_client, customer, overdue):
    html = section(staff_client, customer, "interest").content.decode()
    for document in overdue:
        assert document.number in html
        assert f'name="receivable" value="{document.pk}"' in html
    assert "2025-10-31" in html and "2025-11-01" in html
    assert "Issue interest note" in html
    assert "This cannot be undone." in html and "Deleting interest is irreversible." in html


def test_interest_section_query_count_does_not_grow_with_the_list(staff_client, staff,
                                                                   customer, overdue):
    section(staff_client, customer, "interest")  # the first request caches permissions
    # Queries: session, user, membership, role, the card's customer with its prefetches,
    # reference rates, waivers, interest charged, overdue invoices, their payments.
    with CaptureQueriesContext(connection) as two:
        section(staff_client, customer, "interest")
    invoice(staff, customer, "20.00", due=date(2026, 1, 31))
    invoice(staff, customer, "30.00", due=date(2026, 2, 27))
    with CaptureQueriesContext(connection) as four:
        html = section(staff_client, customer, "interest").content.decode()
    assert html.count('class="interest-row"') == 4
    assert len(four) == len(two)


def test_section_contexts_run_a_fixed_number_of_queries(rf, staff, customer, overdue,
                                                        django_assert_num_queries):
    request = rf.get("/")
    request.user = staff
    # Reference rates, waivers, interest already charged, overdue invoices, their payments.
    with django_assert_num_queries(5):
        context = interest_section_context(customer, request)
    assert [r["receivable"] for r in context["interest_rows"]] == overdue
    # The cached balance.
    with django_assert_num_queries(1):
        context = account_section_context(customer, request)
    assert context["finance_account"]["debt"] == sum(d.debit for d in overdue)


def test_issuing_an_interest_note_charges_the_ticked_invoices(staff_client, staff, customer,
                                                              overdue):
    first, second = overdue
    response = staff_client.post(reverse("finance:interest_note_issue", args=[customer.pk]),
                                 {"receivable": [first.pk]}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    note = FinanceDocument.objects.get(kind=Kind.INTEREST_NOTE)
    assert note.items.get().receivable == first and note.debit > 0
    html = response.content.decode()
    assert f"Interest note {note.number} issued: PLN\xa0{note.debit}." in html
    assert f'value="{first.pk}"' not in html and f'value="{second.pk}"' in html
    assert services.ledger_balance(customer) == -(first.debit + second.debit + note.debit)
    assert ActionLog.objects.filter(customer=customer, kind="finance.interest_note").exists()

    history = pdf_text(staff_client.get(reverse("finance:customer_history_pdf",
                                                args=[customer.pk])))
    assert f"nota odsetkowa {note.number}" in history


def test_issuing_with_nothing_ticked_writes_nothing(staff_client, customer, overdue):
    response = staff_client.post(reverse("finance:interest_note_issue", args=[customer.pk]),
                                 {}, headers={"HX-Request": "true"})
    assert "Select the invoices to charge interest for." in response.content.decode()
    response = staff_client.post(reverse("finance:interest_note_issue", args=[customer.pk]),
                                 {"receivable": ["abc"]}, headers={"HX-Request": "true"})
    assert "Select the invoices to charge interest for." in response.content.decode()
    assert not FinanceDocument.objects.filter(kind=Kind.INTEREST_NOTE).exists()


def test_an_invoice_of_another_customer_is_refused(staff_client, staff, customer, overdue):
    other = customer_services.customer_create(actor=staff, last_name="Nowak")
    foreign = invoice(staff, other)
    response = staff_client.post(reverse("finance:interest_note_issue", args=[customer.pk]),
                                 {"receivable": [overdue[0].pk, foreign.pk]},
                                 headers={"HX-Request": "true"})
    assert "Some selected invoices have no interest to charge." in response.content.decode()
    assert not FinanceDocument.objects.filter(kind=Kind.INTEREST_NOTE).exists()


def test_waiving_removes_the_row_for_good_and_is_logged(staff_client, customer, overdue):
    first, second = overdue
    url = reverse("finance:interest_waive", args=[customer.pk, first.pk])
    response = staff_client.post(url, {"reason": "Reklamacja uznana"},
                                 headers={"HX-Request": "true"})
    html = response.content.decode()
    assert f"The interest on {first.number} was deleted from the list." in html
    assert f'value="{first.pk}"' not in html and f'value="{second.pk}"' in html
    assert InterestWaiver.objects.get().receivable == first
    entry = ActionLog.objects.get(customer=customer, kind="finance.interest_waive")
    assert "Reklamacja uznana" in entry.text
    # Gone for good: a second deletion is refused, the list stays without it.
    html = staff_client.post(url, {"reason": "Jeszcze raz"},
                             headers={"HX-Request": "true"}).content.decode()
    assert "was already waived" in html
    assert InterestWaiver.objects.count() == 1


def test_waiving_without_a_reason_writes_nothing(staff_client, customer, overdue):
    url = reverse("finance:interest_waive", args=[customer.pk, overdue[0].pk])
    html = staff_client.post(url, {"reason": "  "}, headers={"HX-Request": "true"}) \
        .content.decode()
    assert "Say why the interest is waived." in html
    assert not InterestWaiver.objects.exists()


def test_an_operator_sees_interest_but_may_not_charge_or_delete_it(client, tenant, customer,
                                                                    overdue):
    client = client_of(client, tenant, Role.OPERATOR, "olek")
    html = section(client, customer, "interest").content.decode()
    assert overdue[0].number in html
    assert "Issue interest note" not in html and "Delete for good" not in html
    response = client.post(reverse("finance:interest_note_issue", args=[customer.pk]),
                           {"receivable": [overdue[0].pk]})
    assert response.status_code == 403
    response = client.post(reverse("finance:interest_waive",
                                   args=[customer.pk, overdue[0].pk]), {"reason": "x"})
    assert response.status_code == 403
    assert not FinanceDocument.objects.filter(kind=Kind.INTEREST_NOTE).exists()
    assert not InterestWaiver.objects.exists()
