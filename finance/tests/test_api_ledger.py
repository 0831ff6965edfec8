"""The ledger's REST API as a client sees it: figures, statuses, refusals, roles, tenants."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from conftest import make_staff, token_client
from core.models import ActionLog, TenantSetting
from core.roles import Role
from core.services import tenant_setting_set
from core.tenancy import tenant_context
from customers import services as customer_services
from finance import services
from finance.models import Allocation, CashRegister, FinanceDocument, InterestWaiver

D = Decimal
TODAY = timezone.localdate()


def line(net="100.00", rate="23", quantity="1", **extra):
    return {"name": "Internet 300 Mb/s", "quantity": quantity, "net_unit_price": net,
            "vat_rate": rate, **extra}


def docs(customer, suffix=""):
    return f"/api/v1/customers/{customer.pk}/finance-documents/{suffix}"


def doc_url(document, suffix=""):
    return f"/api/v1/customers/{document.customer_id}/finance-documents/{document.pk}/{suffix}"


def account(api, customer) -> dict:
    response = api.get(f"/api/v1/customers/{customer.pk}/finance-account/")
    assert response.status_code == 200
    return response.json()


def invoice(staff, customer, net="100.00", days_ago=30, **kwargs):
    """123.00 PLN gross by default, due 14 days after it was issued."""
    issued = TODAY - timedelta(days=days_ago)
    return services.invoice_issue(actor=staff, customer=customer, lines=[
        {"name": "Abonament", "quantity": D(1), "net_unit_price": D(net), "vat_rate": "23"}],
        issue_date=issued, due_date=issued + timedelta(days=14), **kwargs)


def transfer(staff, customer, amount, ref=""):
    return services.bank_transfer_record(actor=staff, customer=customer, amount=D(amount),
                                         booking_date=TODAY, title="wpłata", bank_reference=ref)


def nothing_written():
    return not FinanceDocument.objects.exists() and not Allocation.objects.exists() and \
        not ActionLog.objects.filter(kind__startswith="finance.").exclude(
            kind="finance.cash_register").exists()


@pytest.fixture
def register(in_tenant, staff):
    return services.cash_register_create(actor=staff, name="Kasa główna", symbol="k1")


@pytest.fixture
def role_client(tenant, in_tenant):
    def make(role):
        return token_client(make_staff(tenant, f"user-{role}", role=role), tenant)
    return make


@pytest.fixture
def foreign(other_tenant, other_staff):
    """Another tenant's customer with an invoice and a cash register."""
    with tenant_context(other_tenant):
        customer = customer_services.customer_create(actor=other_staff, first_name="Piotr",
                                                     last_name="Betowski")
        return {"customer": customer, "invoice": invoice(other_staff, customer),
                "register": services.cash_register_create(actor=other_staff, name="Kasa B",
                                                          symbol="b1")}


# --------------------------------------------------------------------------- invoices

def test_invoice_vat_per_rate_on_net_totals(api_client, customer):
    response = api_client.post(docs(customer, "invoice/"), {"lines": [
        line("0.33"), line("0.33"), line("0.33"), line("10.00", rate="8", gtu="GTU_01"),
        line("5.00", rate="zw", unit="usł.", annex15=True)]}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    # 23 %: 0.99 net → 0.23 VAT (not 3 × 0.08); 8 %: 10.00 → 0.80; zw: 5.00.
    assert body["debit"] == "17.02" and body["credit"] == "0.00"
    assert body["number"] == f"FV/{TODAY:%Y}/{TODAY:%m}/1"
    assert body["kind"] == "invoice" and body["status"] == "unsettled"
    assert body["due_date"] == str(TODAY + timedelta(days=14))
    assert body["vat_summary"] == [
        {"vat_rate": "23", "net": "0.99", "vat": "0.23", "gross": "1.22"},
        {"vat_rate": "8", "net": "10.00", "vat": "0.80", "gross": "10.80"},
        {"vat_rate": "zw", "net": "5.00", "vat": "0.00", "gross": "5.00"}]
    assert [(li["gtu"], li["unit"], li["annex15"]) for li in body["lines"]][3:] == [
        ("GTU_01", "szt.", False), ("", "usł.", True)]
    assert account(api_client, customer)["balance"] == "-17.02"
    assert ActionLog.objects.filter(customer=customer, kind="finance.invoice").exists()


@pytest.mark.parametrize("payload,field", [
    ({"lines": [line("0.00")]}, "lines"),                   # a total of zero
    ({"lines": [line("-5.00")]}, "lines"),
    ({"lines": [line("1.005")]}, "lines"),                  # three decimal places
    ({"lines": [line(rate="22")]}, "lines"),                # no such VAT rate
    ({"lines": [line(quantity="0")]}, "lines"),
    ({"lines": [line(gtu="GTU_99")]}, "lines"),
    ({"lines": [{**line(), "name": ""}]}, "lines"),
    ({"lines": []}, "lines"),
    ({}, "lines"),
    ({"lines": [line()], "issue_date": str(TODAY), "due_date": str(TODAY - timedelta(1))},
     "due_date"),
])
def test_bad_invoice_is_400_and_nothing_written(api_client, customer, payload, field):
    response = api_client.post(docs(customer, "invoice/"), payload, format="json")
    assert response.status_code == 400
    assert field in {key.split(".")[0] for key in response.json()["errors"]}
    assert nothing_written()


# --------------------------------------------------------------------------- KP, KW, transfers

def test_kp_settles_the_ticked_invoice(api_client, customer, staff, register):
    older = invoice(staff, customer, days_ago=60)
    ticked = invoice(staff, customer, days_ago=30)
    response = api_client.post(docs(customer, "kp/"), {
        "cash_register": register.pk, "invoices": [ticked.pk, ticked.pk]}, format="json")
    assert response.status_code == 201, response.json()
    kp = response.json()
    assert kp["credit"] == "123.00" and kp["number"] == f"KP/K1/{TODAY:%Y}/1"
    assert kp["cash_register"] == register.pk and kp["unallocated"] == "0.00"
    assert [(a["receivable"], a["amount"]) for a in kp["allocations_out"]] == [
        (ticked.pk, "123.00")]
    assert api_client.get(doc_url(ticked)).json()["status"] == "settled"
    assert api_client.get(doc_url(older)).json()["status"] == "unsettled"
    assert account(api_client, customer)["balance"] == "-123.00"


def test_kp_of_part_of_an_invoice(api_client, customer, staff, register):
    owed = invoice(staff, customer)
    response = api_client.post(docs(customer, "kp/"), {
        "cash_register": register.pk, "invoices": [owed.pk], "amount": "100.00",
        "title": "Wpłata w kasie"}, format="json")
    assert response.status_code == 201
    detail = api_client.get(doc_url(owed)).json()
    assert (detail["status"], detail["paid"], detail["owed"]) == (
        "partially_settled", "100.00", "123.00")
    assert [a["payment_number"] for a in detail["allocations_in"]] == [response.json()["number"]]


@pytest.mark.parametrize("payload,field", [
    ({"amount": "0"}, "amount"),
    ({"amount": "-10.00"}, "amount"),
    ({"amount": "10.001"}, "amount"),
    ({"amount": "dużo"}, "amount"),
    ({}, "amount"),                                         # neither amount nor invoices
    ({"amount": "10.00", "cash_register": None}, "cash_register"),
    ({"amount": "10.00", "cash_register": 999999}, "cash_register"),
])
def test_bad_kp_is_400_and_nothing_written(api_client, customer, register, payload, field):
    response = api_client.post(docs(customer, "kp/"), {"cash_register": register.pk, **payload},
                               format="json")
    assert response.status_code == 400 and field in response.json()["errors"]
    assert nothing_written()


def test_amount_errors_say_what_is_wrong(api_client, customer, register):
    def error(amount):
        response = api_client.post(docs(customer, "kp/"), {
            "cash_register": register.pk, "amount": amount}, format="json")
        assert response.status_code == 400
        return response.json()["errors"]["amount"][0]

    assert error("0.00") == "The amount must be above zero."
    assert error("-5") == "The amount must be above zero."
    assert error("1.999") == "At most 2 decimal places."
    assert error("") == "A valid number is required."


def test_another_tenants_register_or_invoice_in_a_kp_is_refused(api_client, customer,
                                                               register, foreign):
    response = api_client.post(docs(customer, "kp/"), {
        "cash_register": foreign["register"].pk, "amount": "10.00"}, format="json")
    assert response.status_code == 400
    assert "does not exist" in response.json()["errors"]["cash_register"][0]
    response = api_client.post(docs(customer, "kp/"), {
        "cash_register": register.pk, "invoices": [foreign["invoice"].pk]}, format="json")
    assert response.status_code == 400 and "invoices" in response.json()["errors"]
    assert nothing_written()
    assert "Betowski" not in response.content.decode()


def test_another_customers_invoice_in_a_kp_is_refused(api_client, customer, staff, register):
    neighbour = customer_services.customer_create(actor=staff, first_name="Ewa",
                                                  last_name="Nowak")
    theirs = invoice(staff, neighbour)
    response = api_client.post(docs(customer, "kp/"), {
        "cash_register": register.pk, "invoices": [theirs.pk]}, format="json")
    assert response.status_code == 400 and "invoices" in response.json()["errors"]
    assert not FinanceDocument.objects.filter(kind="kp").exists()


def test_kw_refunds_credit(api_client, customer, staff, register):
    transfer(staff, customer, "50.00")
    assert account(api_client, customer)["credit"] == "50.00"
    response = api_client.post(docs(customer, "kw/"), {
        "cash_register": register.pk, "amount": "50.00", "title": "Zwrot nadpłaty"},
        format="json")
    assert response.status_code == 201
    kw = response.json()
    assert kw["debit"] == "50.00" and kw["number"] == f"KW/K1/{TODAY:%Y}/1"
    assert kw["status"] == "settled"                        # paid by the overpayment
    state = account(api_client, customer)
    assert (state["balance"], state["credit"], state["open_receivables"]) == (
        "0.00", "0.00", "0.00")


def test_kw_needs_a_positive_amount_and_a_register(api_client, customer, register):
    for payload in ({"cash_register": register.pk, "amount": "-1"},
                    {"cash_register": register.pk}, {"amount": "5.00"}):
        assert api_client.post(docs(customer, "kw/"), payload,
                               format="json").status_code == 400
    assert nothing_written()


def test_bank_transfer_settles_the_oldest_invoice_first(api_client, customer, staff):
    older = invoice(staff, customer, days_ago=60)
    newer = invoice(staff, customer, days_ago=20)
    response = api_client.post(docs(customer, "bank-transfer/"), {
        "amount": "150.00", "booking_date": str(TODAY), "title": "abonament",
        "bank_reference": "MB170119012058", "counterparty_account":
        "61109010140000071219812874"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["number"] == "MB170119012058"
    assert api_client.get(doc_url(older)).json()["status"] == "settled"
    newer_state = api_client.get(doc_url(newer)).json()
    assert (newer_state["status"], newer_state["paid"]) == ("partially_settled", "27.00")
    state = account(api_client, customer)
    assert (state["balance"], state["open_receivables"], state["overdue"]) == (
        "-96.00", "96.00", "96.00")                       # both were due


def test_the_same_bank_reference_is_refused(api_client, customer, staff):
    transfer(staff, customer, "10.00", ref="REF1")
    response = api_client.post(docs(customer, "bank-transfer/"), {
        "amount": "10.00", "booking_date": str(TODAY), "bank_reference": "REF1"},
        format="json")
    assert response.status_code == 400
    assert "already recorded" in response.json()["detail"]
    assert FinanceDocument.objects.count() == 1


@pytest.mark.parametrize("payload", [
    {"amount": "0.00", "booking_date": str(TODAY)},
    {"amount": "10.00"},
    {"amount": "10.00", "booking_date": str(TODAY), "counterparty_account": "12 34"},
])
def test_bad_bank_transfer_is_400(api_client, customer, payload):
    assert api_client.post(docs(customer, "bank-transfer/"), payload,
                           format="json").status_code == 400
    assert nothing_written()


def test_debit_note(api_client, customer):
    response = api_client.post(docs(customer, "debit-note/"), {
        "amount": "40.00", "title": "Wezwanie do zapłaty"}, format="json")
    assert response.status_code == 201
    note = response.json()
    assert (note["kind"], note["debit"], note["status"]) == ("debit_note", "40.00", "unsettled")
    assert note["number"] == f"NO/{TODAY:%Y}/1"
    assert account(api_client, customer)["balance"] == "-40.00"


@pytest.mark.parametrize("payload,field", [
    ({"amount": "40.00", "title": ""}, "title"),
    ({"amount": "40.00"}, "title"),
    ({"amount": "0", "title": "Opłata"}, "amount"),
])
def test_bad_debit_note_is_400(api_client, customer, payload, field):
    response = api_client.post(docs(customer, "debit-note/"), payload, format="json")
    assert response.status_code == 400 and field in response.json()["errors"]
    assert nothing_written()


def test_technical_charge_and_credit(api_client, customer):
    charge = api_client.post(docs(customer, "technical/"), {
        "amount": "30.00", "direction": "charge", "reason": "Opłata za monit"}, format="json")
    assert charge.status_code == 201
    assert (charge.json()["debit"], charge.json()["reason"]) == ("30.00", "Opłata za monit")
    credit = api_client.post(docs(customer, "technical/"), {
        "amount": "10.00", "direction": "credit", "reason": "Rekompensata"}, format="json")
    assert credit.json()["credit"] == "10.00"
    assert account(api_client, customer)["balance"] == "-20.00"


@pytest.mark.parametrize("payload,field", [
    ({"amount": "30.00", "direction": "charge", "reason": " "}, "reason"),
    ({"amount": "30.00", "direction": "charge"}, "reason"),
    ({"amount": "30.00", "direction": "gift", "reason": "x"}, "direction"),
    ({"amount": "-30.00", "direction": "credit", "reason": "x"}, "amount"),
])
def test_bad_technical_transaction_is_400(api_client, customer, payload, field):
    response = api_client.post(docs(customer, "technical/"), payload, format="json")
    assert response.status_code == 400 and field in response.json()["errors"]
    assert nothing_written()


# --------------------------------------------------------------------------- edit, correct

def test_invoice_edit_only_in_the_statuses_of_edycja_faktur(api_client, customer, staff):
    owed = invoice(staff, customer)
    response = api_client.post(doc_url(owed, "update/"), {"lines": [line("50.00")]},
                               format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["number"], response.json()["debit"]) == (owed.number, "61.50")
    transfer(staff, customer, "10.00")
    response = api_client.post(doc_url(owed, "update/"), {"lines": [line("40.00")]},
                               format="json")
    assert response.status_code == 400
    assert "edycja_faktur" in response.json()["detail"]
    owed.refresh_from_db()
    assert owed.debit == D("61.50")
    TenantSetting.objects.create(key="finance.edycja_faktur", value="partially_settled")
    response = api_client.post(doc_url(owed, "update/"), {"lines": [line("40.00")]},
                               format="json")
    assert response.status_code == 200 and response.json()["debit"] == "49.20"


def test_only_an_invoice_can_be_edited(api_client, customer, staff):
    payment = transfer(staff, customer, "10.00")
    response = api_client.post(doc_url(payment, "update/"), {"lines": [line()]},
                               format="json")
    assert response.status_code == 400


def test_downward_correction_releases_the_payment_into_credit(api_client, customer, staff):
    owed = invoice(staff, customer)                         # 123.00
    transfer(staff, customer, "123.00")
    response = api_client.post(doc_url(owed, "correct/"), {
        "lines": [line("80.00")], "reason": "Rabat za awarię"}, format="json")
    assert response.status_code == 201, response.json()
    correction = response.json()
    assert correction["kind"] == "correction" and correction["credit"] == "24.60"
    assert correction["corrects"]["id"] == owed.pk and correction["warnings"] == []
    assert correction["reason"] == "Rabat za awarię"
    corrected = api_client.get(doc_url(owed)).json()
    assert corrected["corrected"] is True and corrected["status"] == "settled"
    assert corrected["owed"] == "98.40"
    assert [c["id"] for c in corrected["corrections"]] == [correction["id"]]
    state = account(api_client, customer)
    assert (state["balance"], state["credit"]) == ("24.60", "24.60")


def test_upward_correction_reopens_the_invoice(api_client, customer, staff):
    owed = invoice(staff, customer)
    transfer(staff, customer, "123.00")
    response = api_client.post(doc_url(owed, "correct/"), {
        "lines": [line("120.00")], "reason": "Błędna cena"}, format="json")
    assert response.json()["debit"] == "24.60"
    detail = api_client.get(doc_url(owed)).json()
    assert (detail["status"], detail["owed"], detail["paid"]) == (
        "partially_settled", "147.60", "123.00")


def test_correction_to_zero_warns_about_the_cycle_counter(api_client, customer, staff):
    owed = invoice(staff, customer)
    response = api_client.post(doc_url(owed, "correct/"), {"lines": [], "reason": "Anulowanie"},
                               format="json")
    assert response.status_code == 201
    assert "cycle counter" in response.json()["warnings"][0]
    assert account(api_client, customer)["balance"] == "0.00"


@pytest.mark.parametrize("payload", [
    {"lines": [line("80.00")], "reason": ""},
    {"lines": [line("80.00")]},
    {"lines": [line("80.00", rate="7")], "reason": "x"},
    {"reason": "x"},
])
def test_bad_correction_is_400(api_client, customer, staff, payload):
    owed = invoice(staff, customer)
    response = api_client.post(doc_url(owed, "correct/"), payload, format="json")
    assert response.status_code == 400
    assert not FinanceDocument.objects.filter(kind="correction").exists()


def test_only_an_invoice_can_be_corrected(api_client, customer, staff):
    payment = transfer(staff, customer, "10.00")
    response = api_client.post(doc_url(payment, "correct/"), {"lines": [], "reason": "x"},
                               format="json")
    assert response.status_code == 400
    assert not FinanceDocument.objects.filter(kind="correction").exists()


def test_correcting_another_tenants_invoice_is_404(api_client, customer, foreign,
                                                  other_tenant):
    theirs = foreign["invoice"]
    for url in (f"{docs(customer)}{theirs.pk}/correct/", doc_url(theirs, "correct/")):
        response = api_client.post(url, {"lines": [], "reason": "x"}, format="json")
        assert response.status_code == 404
    with tenant_context(other_tenant):
        assert not FinanceDocument.objects.filter(kind="correction").exists()


# --------------------------------------------------------------------------- links

def test_remove_links_then_link_by_hand(api_client, customer, staff):
    owed = invoice(staff, customer)
    payment = transfer(staff, customer, "123.00")          # settles the invoice at once
    response = api_client.post(doc_url(payment, "remove-links/"))
    assert response.status_code == 200 and response.json() == {"removed": 1}
    assert api_client.get(doc_url(owed)).json()["status"] == "unsettled"
    assert account(api_client, customer)["credit"] == "123.00"

    response = api_client.post(doc_url(owed, "link/"), {"payment": payment.pk,
                                                        "amount": "23.00"}, format="json")
    assert response.status_code == 201, response.json()
    link = response.json()
    assert (link["payment"], link["receivable"], link["amount"], link["rule"]) == (
        payment.pk, owed.pk, "23.00", "manual")
    assert link["receivable_number"] == owed.number
    assert api_client.get(doc_url(owed)).json()["status"] == "partially_settled"

    # From the payment's side, without an amount: as much as both have left.
    response = api_client.post(doc_url(payment, "link/"), {"receivable": owed.pk},
                               format="json")
    assert response.json()["amount"] == "100.00"
    assert api_client.get(doc_url(owed)).json()["status"] == "settled"


def test_bad_links_are_400(api_client, customer, staff, foreign):
    owed = invoice(staff, customer)
    payment = transfer(staff, customer, "50.00")
    api_client.post(doc_url(payment, "remove-links/"))
    neighbour = customer_services.customer_create(actor=staff, first_name="Ewa",
                                                  last_name="Nowak")
    for payload in ({"payment": payment.pk, "amount": "60.00"},    # more than the payment
                    {"payment": payment.pk, "amount": "0.00"},
                    {"payment": payment.pk, "receivable": owed.pk},
                    {},
                    {"payment": transfer(staff, neighbour, "5.00").pk},
                    {"payment": foreign["invoice"].pk}):
        response = api_client.post(doc_url(owed, "link/"), payload, format="json")
        assert response.status_code == 400, payload
    assert not Allocation.objects.filter(receivable=owed).exists()


# --------------------------------------------------------------------------- reading

def test_list_filters_and_pages(api_client, customer, staff, register):
    paid = invoice(staff, customer, days_ago=40)
    part = invoice(staff, customer, days_ago=20)
    open_ = invoice(staff, customer, days_ago=5)
    services.kp_issue(actor=staff, customer=customer, register=register, invoices=[paid])
    services.kp_issue(actor=staff, customer=customer, register=register, invoices=[part],
                      amount="10.00")

    def numbers(**params):
        response = api_client.get(docs(customer), params)
        assert response.status_code == 200
        return [row["number"] for row in response.json()["results"]]

    assert len(numbers()) == 5
    assert numbers(kind="invoice") == [open_.number, part.number, paid.number]  # newest first
    assert numbers(status="settled") == [paid.number]
    assert numbers(status="partially_settled") == [part.number]
    assert numbers(status="unsettled") == [open_.number]
    assert numbers(kind="invoice", date_from=str(TODAY - timedelta(days=30)),
                   date_to=str(TODAY - timedelta(days=10))) == [part.number]
    assert numbers(number=paid.number.lower()) == [paid.number]
    assert api_client.get(docs(customer), {"status": "paid"}).status_code == 400
    assert api_client.get(docs(customer), {"kind": "receipt"}).status_code == 400
    assert api_client.get(docs(customer), {"date_from": "wczoraj"}).status_code == 400
    page = api_client.get(docs(customer), {"page_size": 2, "page": 2}).json()
    assert page["count"] == 5 and len(page["results"]) == 2
    rows = {row["number"]: row for row in api_client.get(docs(customer)).json()["results"]}
    # In date order: three invoices of 123.00, then today's KPs of 123.00 and 10.00.
    assert [rows[n]["running_balance"] for n in (paid.number, part.number, open_.number)] \
        == ["-123.00", "-246.00", "-369.00"]
    assert api_client.get(docs(customer), {"kind": "kp"}).json()["results"][0][
        "running_balance"] == "-236.00"


def test_list_runs_the_same_queries_for_1_and_20_documents(api_client, customer, staff,
                                                            django_assert_num_queries):
    invoice(staff, customer)

    def count_queries():
        # token, membership, token's last use, customer, permissions (role), page count,
        # the page with its status, running balance and "K" annotations
        with django_assert_num_queries(7) as captured:
            assert api_client.get(docs(customer)).status_code == 200
        return len(captured)

    one = count_queries()
    for days_ago in range(19):
        invoice(staff, customer, days_ago=days_ago)
    assert api_client.get(docs(customer)).json()["count"] == 20
    assert count_queries() == one


def test_detail_runs_the_same_queries_for_1_and_10_lines(api_client, customer, staff,
                                                        django_assert_num_queries):
    small = invoice(staff, customer)
    big = services.invoice_issue(actor=staff, customer=customer, lines=[
        {"name": f"Usługa {n}", "quantity": D(1), "net_unit_price": D(n),
         "vat_rate": "23" if n % 2 else "8"} for n in range(1, 11)])
    services.bank_transfer_record(actor=staff, customer=customer, amount=D("500.00"),
                                  booking_date=TODAY, title="")

    def count_queries(document):
        # token, membership, token's last use, customer, permissions (role), the document
        # with its annotations, the customer's addresses (selectors.document_get), its
        # lines, its corrections, its allocations
        with django_assert_num_queries(10) as captured:
            assert api_client.get(doc_url(document)).status_code == 200
        return len(captured)

    assert count_queries(small) == count_queries(big)
    detail = api_client.get(doc_url(big)).json()
    assert len(detail["lines"]) == 10
    assert [row["vat_rate"] for row in detail["vat_summary"]] == ["23", "8"]


def test_another_customers_document_is_404_under_this_customer(api_client, customer, staff):
    neighbour = customer_services.customer_create(actor=staff, first_name="Ewa",
                                                  last_name="Nowak")
    theirs = invoice(staff, neighbour)
    assert api_client.get(f"{docs(customer)}{theirs.pk}/").status_code == 404
    assert api_client.post(f"{docs(customer)}{theirs.pk}/remove-links/").status_code == 404
    assert api_client.get(doc_url(theirs)).status_code == 200


def test_another_tenants_customer_and_documents_are_404(api_client, customer, foreign):
    theirs = foreign["customer"]
    for url in (docs(theirs), doc_url(foreign["invoice"]),
                f"/api/v1/customers/{theirs.pk}/finance-account/",
                f"/api/v1/customers/{theirs.pk}/interest/",
                f"/api/v1/cash-registers/{foreign['register'].pk}/"):
        assert api_client.get(url).status_code == 404, url
    response = api_client.post(docs(theirs, "invoice/"), {"lines": [line()]}, format="json")
    assert response.status_code == 404


def test_finance_account(api_client, customer, staff):
    invoice(staff, customer, days_ago=30)                   # overdue
    invoice(staff, customer, days_ago=1)                    # not yet due
    transfer(staff, customer, "200.00")
    state = account(api_client, customer)
    assert state == {"balance": "-46.00", "virtual_account": customer.virtual_account,
                     "open_receivables": "46.00", "overdue": "0.00", "credit": "0.00"}
    assert len(state["virtual_account"]) == 26


# --------------------------------------------------------------------------- interest

@pytest.fixture
def late_invoice(in_tenant, staff, customer):
    """1000.00 PLN due 2025-10-31, paid in full on 2026-03-31: 39.38 PLN of interest."""
    owed = services.invoice_issue(
        actor=staff, customer=customer, issue_date=date(2025, 10, 17),
        due_date=date(2025, 10, 31), lines=[{"name": "Abonament", "quantity": D(1),
                                              "net_unit_price": D("813.01"),
                                              "vat_rate": "23"}])
    services.bank_transfer_record(actor=staff, customer=customer, amount=D("1000.00"),
                                  booking_date=date(2026, 3, 31), title=owed.number,
                                  bank_reference="T1")
    return owed


def test_interest_list_and_note(api_client, customer, late_invoice):
    url = f"/api/v1/customers/{customer.pk}/interest/"
    response = api_client.get(url, {"until": "2026-11-23"})
    assert response.status_code == 200
    assert response.json()["results"] == [{
        "receivable": late_invoice.pk, "receivable_number": late_invoice.number,
        "principal": "1000.00", "due_date": "2025-10-31", "since": "2025-11-01",
        "until": "2026-03-31", "paid": True, "amount": "39.38"}]
    assert api_client.get(url, {"until": "jutro"}).status_code == 400

    response = api_client.post(url + "issue-note/", {"receivables": [late_invoice.pk]},
                               format="json")
    assert response.status_code == 201, response.json()
    note = response.json()
    assert (note["kind"], note["debit"]) == ("interest_note", "39.38")
    assert note["number"].startswith("NOD/")
    assert api_client.get(url).json()["results"] == []
    response = api_client.post(url + "issue-note/", {"receivables": [late_invoice.pk]},
                               format="json")
    assert response.status_code == 400                      # charged once only


def test_interest_waiver(api_client, customer, late_invoice):
    url = f"/api/v1/customers/{customer.pk}/interest/"
    response = api_client.post(url + "waive/", {"receivable": late_invoice.pk, "reason": ""},
                               format="json")
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    response = api_client.post(url + "waive/", {"receivable": late_invoice.pk,
                                                "reason": "Reklamacja uznana"}, format="json")
    assert response.status_code == 201
    assert (response.json()["receivable"], response.json()["reason"]) == (
        late_invoice.pk, "Reklamacja uznana")
    assert api_client.get(url, {"until": "2026-11-23"}).json()["results"] == []
    response = api_client.post(url + "waive/", {"receivable": late_invoice.pk,
                                                "reason": "Jeszcze raz"}, format="json")
    assert response.status_code == 400


def test_interest_on_another_tenants_invoice_is_refused(api_client, customer, foreign):
    url = f"/api/v1/customers/{customer.pk}/interest/"
    for action, payload in (("waive/", {"receivable": foreign["invoice"].pk, "reason": "x"}),
                            ("issue-note/", {"receivables": [foreign["invoice"].pk]}),
                            ("issue-note/", {"receivables": []})):
        response = api_client.post(url + action, payload, format="json")
        assert response.status_code == 400
    assert not InterestWaiver.all_tenants.exists()
    assert nothing_written()


# --------------------------------------------------------------------------- cash registers

def test_cash_registers(api_client, in_tenant, foreign):
    response = api_client.post("/api/v1/cash-registers/", {"name": "Kasa 2", "symbol": "k2"},
                               format="json")
    assert response.status_code == 201
    created = response.json()
    assert (created["name"], created["symbol"]) == ("Kasa 2", "k2")
    response = api_client.post("/api/v1/cash-registers/", {"name": "Druga", "symbol": "k2"},
                               format="json")
    assert response.status_code == 400 and "symbol" in response.json()["errors"]
    response = api_client.post("/api/v1/cash-registers/", {"name": "Zła", "symbol": "k 3"},
                               format="json")
    assert response.status_code == 400 and "symbol" in response.json()["errors"]
    assert CashRegister.objects.count() == 1
    listed = api_client.get("/api/v1/cash-registers/").json()
    assert [r["symbol"] for r in listed["results"]] == ["k2"]   # not the other tenant's
    assert api_client.get(f"/api/v1/cash-registers/{created['id']}/").json() == created


# --------------------------------------------------------------------------- print, KSeF

def test_pdf_of_an_invoice(api_client, customer, staff):
    owed = invoice(staff, customer)
    response = api_client.get(doc_url(owed, "pdf/"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert owed.number.replace("/", "-") in response["Content-Disposition"]


def test_ksef_xml_or_the_reasons(api_client, customer, staff):
    owed = invoice(staff, customer)
    response = api_client.get(doc_url(owed, "ksef/"))
    assert response.status_code == 400
    assert "Enter the seller's NIP in the tenant settings." in response.json()["detail"]
    for key, value in (("finance.seller_nip", "5260250274"),
                       ("finance.seller_street", "ul. Alfowa 1"),
                       ("finance.seller_postal_code", "00-950"),
                       ("finance.seller_city", "Warszawa")):
        tenant_setting_set(actor=staff, key=key, raw_value=value)
    customer_services.address_add(actor=staff, customer=customer, kind="residence",
                                  street="Źródlana", building_no="3", postal_code="05-500",
                                  city="Piaseczno")
    # Issued without the seller's data, the invoice keeps them so; the next one has them.
    assert api_client.get(doc_url(owed, "ksef/")).status_code == 400
    owed = invoice(staff, customer)
    response = api_client.get(doc_url(owed, "ksef/"))
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    assert b"<P_2>" + owed.number.encode() + b"</P_2>" in response.content
    payment = transfer(staff, customer, "5.00")
    assert api_client.get(doc_url(payment, "ksef/")).status_code == 400


# --------------------------------------------------------------------------- roles

def test_technician_sees_nothing_of_finance(role_client, customer, register):
    tech = role_client(Role.TECHNICIAN)
    for url in (docs(customer), f"/api/v1/customers/{customer.pk}/finance-account/",
                f"/api/v1/customers/{customer.pk}/interest/", "/api/v1/cash-registers/"):
        assert tech.get(url).status_code == 403, url
    response = tech.post(docs(customer, "kp/"), {"cash_register": register.pk,
                                                 "amount": "10.00"}, format="json")
    assert response.status_code == 403
    assert nothing_written()


def test_operator_takes_cash_and_invoices_but_does_not_rewrite_the_ledger(
        role_client, customer, staff, register):
    operator = role_client(Role.OPERATOR)
    owed = invoice(staff, customer)
    assert operator.get(docs(customer)).status_code == 200
    assert operator.post(docs(customer, "invoice/"), {"lines": [line()]},
                         format="json").status_code == 201
    assert operator.post(docs(customer, "kp/"), {"cash_register": register.pk,
                                                 "invoices": [owed.pk]},
                         format="json").status_code == 201
    refused = [
        (doc_url(owed, "update/"), {"lines": [line()]}),
        (doc_url(owed, "correct/"), {"lines": [], "reason": "x"}),
        (doc_url(owed, "remove-links/"), {}),
        (doc_url(owed, "link/"), {"payment": owed.pk}),
        (docs(customer, "technical/"), {"amount": "1.00", "direction": "charge",
                                        "reason": "x"}),
        (f"/api/v1/customers/{customer.pk}/interest/waive/", {"receivable": owed.pk,
                                                              "reason": "x"}),
        (f"/api/v1/customers/{customer.pk}/interest/issue-note/", {"receivables": [owed.pk]}),
        ("/api/v1/cash-registers/", {"name": "Kasa 3", "symbol": "k3"}),
    ]
    for url, payload in refused:
        assert operator.post(url, payload, format="json").status_code == 403, url
    assert operator.get("/api/v1/cash-registers/").status_code == 200


def test_accountant_may_correct_and_adjust(role_client, customer, staff):
    accountant = role_client(Role.ACCOUNTANT)
    owed = invoice(staff, customer)
    assert accountant.post(doc_url(owed, "correct/"), {"lines": [], "reason": "Anulowanie"},
                           format="json").status_code == 201
    assert accountant.post(docs(customer, "technical/"), {
        "amount": "1.00", "direction": "credit", "reason": "Zaokrąglenie"},
        format="json").status_code == 201
    assert accountant.post("/api/v1/cash-registers/", {"name": "Kasa 3", "symbol": "k3"},
                           format="json").status_code == 201
