"""The card's "Transaction history" and the staff forms that create financial documents."""

from datetime import timedelta
from decimal import Decimal

import lxml.html
import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_staff
from core.models import ActionLog, TenantSetting
from core.roles import Role
from core.tenancy import tenant_context
from customers import services as customer_services
from finance import selectors, services
from finance.models import Allocation, CashRegister, FinanceDocument, Kind

D = Decimal
TODAY = timezone.localdate()


def line(net, rate="23", quantity="1", name="Internet 300 Mb/s"):
    return {"name": name, "quantity": D(quantity), "net_unit_price": D(net), "vat_rate": rate}


def invoice(staff, customer, net="100.00", days_ago=30):
    issue = TODAY - timedelta(days=days_ago)
    return services.invoice_issue(actor=staff, customer=customer, lines=[line(net)],
                                  issue_date=issue, due_date=issue + timedelta(days=14))


@pytest.fixture
def register(in_tenant, staff):
    return services.cash_register_create(actor=staff, name="Kasa główna", symbol="main")


@pytest.fixture
def operator_client(tenant, in_tenant):
    from django.test import Client

    client = Client(headers={"accept-language": "en"})
    client.force_login(make_staff(tenant, "olek", Role.OPERATOR))
    return client


def history_rows(html: str) -> dict:
    """{number: {column: text}} of the history table."""
    tree = lxml.html.fromstring(html)
    rows = {}
    for tr in tree.xpath('//table[@id="history"]/tbody/tr[contains(@class, "history-row")]'):
        def cell(css, tr=tr):
            found = tr.xpath(f'.//td[contains(@class, "{css}")]')
            return " ".join(found[0].text_content().split()) if found else ""
        number = tr.xpath('.//a[@class="history-number"]')[0].text_content().strip()
        rows[number] = {
            "balance": cell("running-balance"), "status": cell("history-status"),
            "debit": cell("history-debit"), "credit": cell("history-credit"),
            "k": bool(tr.xpath('.//span[contains(@class, "k-marker")]')),
            "tickable": bool(tr.xpath('.//input[@name="invoices"]')),
        }
    return rows


def row_text(tr) -> str:
    return " ".join(" ".join(td.text_content().split()) for td in tr.xpath("./td"))


def card(client, customer, **params):
    """The card as a browser shows it: with filters the history is in the page; without,
    the page carries the history's tab, which loads the section by htmx."""
    response = client.get(reverse("customers:card", args=[customer.pk]), params)
    if params or response.status_code != 200:
        return response
    url = reverse("customers:section", args=[customer.pk, "history"])
    assert f'data-url="{url}"' in response.content.decode()
    return client.get(url, headers={"HX-Request": "true"})


def history_url(customer):
    return reverse("finance:history", args=[customer.pk])


# --------------------------------------------------------------------------- history

def test_history_shows_balance_status_and_k_marker_after_a_realistic_sequence(
        staff_client, staff, customer, register):
    fv = invoice(staff, customer)                                      # 123.00 owed
    kp = services.kp_issue(actor=staff, customer=customer, register=register,
                           amount=D("50.00"), issue_date=TODAY - timedelta(days=20))
    transfer = services.bank_transfer_record(actor=staff, customer=customer, amount=D("20.00"),
                                             booking_date=TODAY - timedelta(days=10),
                                             title="wpłata")
    correction, _ = services.correction_issue(actor=staff, invoice=fv, lines=[line("80.00")],
                                              reason="rabat")           # 98.40: −24.60

    response = card(staff_client, customer)
    assert response.status_code == 200
    rows = history_rows(response.content.decode())
    assert list(rows) == [correction.number, transfer.number, kp.number, fv.number]
    assert rows[fv.number]["balance"] == "-123.00"
    assert rows[kp.number]["balance"] == "-73.00"
    assert rows[transfer.number]["balance"] == "-53.00"
    assert rows[correction.number]["balance"] == "-28.40"
    # 70.00 paid of 98.40: the correction's own credit is not a payment.
    assert rows[fv.number]["status"] == "partially settled"
    assert rows[fv.number]["k"] and not rows[kp.number]["k"]
    assert rows[fv.number]["tickable"] and not rows[kp.number]["tickable"]
    assert "Balance: PLN -28.40" in " ".join(
        lxml.html.fromstring(response.content.decode()).text_content().split())

    services.bank_transfer_record(actor=staff, customer=customer, amount=D("28.40"),
                                  booking_date=TODAY, title="reszta")
    rows = history_rows(card(staff_client, customer).content.decode())
    assert rows[fv.number]["status"] == "settled"
    assert not rows[fv.number]["tickable"]


def test_history_status_agrees_with_the_service_for_every_receivable(
        in_tenant, staff, customer, register):
    first = invoice(staff, customer, days_ago=60)
    second = invoice(staff, customer, days_ago=30)
    third = invoice(staff, customer, days_ago=5)
    services.kp_issue(actor=staff, customer=customer, register=register, amount=D("150.00"))
    services.correction_issue(actor=staff, invoice=third, lines=[line("200.00")],
                              reason="wyższa stawka")                  # upward: +123.00
    statuses = {row.pk: row.settlement_status
                for row in selectors.customer_history(customer=customer)}
    for document in (first, second, third):
        assert statuses[document.pk] == services.invoice_settlement(document).status
    assert [statuses[first.pk], statuses[second.pk], statuses[third.pk]] == \
        ["settled", "partially_settled", "unsettled"]


def test_filters_by_type_and_status_keep_the_ledger_balance(staff_client, staff, customer,
                                                            register):
    paid = invoice(staff, customer, days_ago=40)
    services.kp_issue(actor=staff, customer=customer, register=register, invoices=[paid],
                      issue_date=TODAY - timedelta(days=30))
    open_invoice = invoice(staff, customer, days_ago=10)

    response = staff_client.get(history_url(customer), {"h-kind": "invoice"},
                                headers={"HX-Request": "true"})
    rows = history_rows(response.content.decode())
    assert list(rows) == [open_invoice.number, paid.number]
    # The balance after each row is the ledger's, not the filtered rows' sum.
    assert rows[open_invoice.number]["balance"] == "-123.00"
    assert "<html" not in response.content.decode()  # htmx gets the table alone

    response = staff_client.get(history_url(customer), {"h-status": "unsettled"},
                                headers={"HX-Request": "true"})
    assert list(history_rows(response.content.decode())) == [open_invoice.number]
    response = staff_client.get(history_url(customer), {"h-status": "settled",
                                                        "h-kind": "invoice"})
    assert list(history_rows(response.content.decode())) == [paid.number]
    # Nonsense filters are no filters.
    response = staff_client.get(history_url(customer), {"h-kind": "nonsense", "h-page": "x"})
    assert len(history_rows(response.content.decode())) == 3


def test_history_pages(staff_client, staff, customer):
    for days_ago in range(selectors.HISTORY_PAGE_SIZE + 2, 0, -1):
        invoice(staff, customer, net="1.00", days_ago=days_ago)
    first = history_rows(staff_client.get(history_url(customer)).content.decode())
    second = history_rows(staff_client.get(history_url(customer),
                                           {"h-page": 2}).content.decode())
    assert len(first) == selectors.HISTORY_PAGE_SIZE and len(second) == 2
    assert not set(first) & set(second)
    assert list(second.values())[-1]["balance"] == "-1.23"


@pytest.mark.parametrize("documents", [1, 20])
def test_history_runs_the_same_queries_however_many_rows(
        documents, staff_client, staff, customer, register, django_assert_num_queries):
    for i in range(documents):
        fv = invoice(staff, customer, days_ago=40 - i)
        services.kp_issue(actor=staff, customer=customer, register=register,
                          amount=D("10.00"), invoices=[fv])
        services.correction_issue(actor=staff, invoice=fv, lines=[line("90.00")], reason="x")
    staff_client.get(history_url(customer))  # the first request also saves the session
    # session, user, membership (tenant, with the role: permission), customer, the page of
    # documents with their status, running balance and K marker, the cached balance.
    with django_assert_num_queries(6):
        response = staff_client.get(history_url(customer), headers={"HX-Request": "true"})
    assert len(history_rows(response.content.decode())) == min(3 * documents,
                                                               selectors.HISTORY_PAGE_SIZE)


def test_click_on_a_row_shows_what_it_paid_and_what_paid_it(staff_client, staff, customer,
                                                             register):
    fv = invoice(staff, customer)
    kp = services.kp_issue(actor=staff, customer=customer, register=register,
                           amount=D("100.00"), invoices=[fv])
    services.bank_transfer_record(actor=staff, customer=customer, amount=D("50.00"),
                                  booking_date=TODAY, title=f"zapłata {fv.number}")

    response = staff_client.get(reverse("finance:document_allocations", args=[fv.pk]),
                                headers={"HX-Request": "true"})
    # Decoded first: a fragment has no <meta charset> and the amounts' spaces are
    # non-breaking.
    tree = lxml.html.fromstring(response.content.decode())
    paid_by = [row_text(tr)
               for tr in tree.xpath('//table[contains(@class, "links-paid-by")]/tbody/tr')]
    assert len(paid_by) == 2
    assert paid_by[0].startswith(f"{kp.number} PLN 100.00 named in the title")
    assert paid_by[1].startswith("BANK/") and "PLN 23.00" in paid_by[1]

    response = staff_client.get(reverse("finance:document_allocations", args=[kp.pk]),
                                headers={"HX-Request": "true"})
    assert f"{fv.number}" in response.content.decode()
    assert "PLN\xa0100.00" in response.content.decode()


def test_gear_menu_leaves_out_exports_that_do_not_exist_yet(staff_client, customer):
    html = card(staff_client, customer).content.decode()
    assert reverse("finance:allocation_link", args=[customer.pk]) in html
    assert reverse("finance:allocation_remove", args=[customer.pk]) in html
    try:
        export = reverse("finance:customer_history_export",
                         kwargs={"customer_id": customer.pk})
    except Exception:  # the exports part has not landed: no link, no error
        assert "format=csv" not in html
    else:
        assert f"{export}?format=csv" in html and f"{export}?format=xlsx" in html


def test_operator_sees_the_history_but_not_the_accountants_actions(operator_client,
                                                                   customer):
    html = card(operator_client, customer).content.decode()
    assert 'id="section-history"' in html
    assert reverse("finance:kp_create", args=[customer.pk]) in html
    assert reverse("finance:technical_create", args=[customer.pk]) not in html
    assert reverse("finance:allocation_link", args=[customer.pk]) not in html


# --------------------------------------------------------------------------- invoices

def line_post(rows, prefix="lines", initial=0, total=None):
    data = {f"{prefix}-TOTAL_FORMS": str(total or len(rows)),
            f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = value
    return data


def test_invoice_by_hand_is_issued_with_per_rate_vat(staff_client, customer):
    url = reverse("finance:invoice_create", args=[customer.pk])
    assert staff_client.get(url).status_code == 200
    data = {"issue_date": TODAY.isoformat(), "due_date": "",
            **line_post([
                {"name": "Abonament", "quantity": "1", "unit": "szt.",
                 "net_unit_price": "100,00", "vat_rate": "23", "gtu": "GTU_07"},
                {"name": "Instalacja", "quantity": "2", "unit": "usł.",
                 "net_unit_price": "10.00", "vat_rate": "8", "annex15": "on"},
                {"quantity": "1", "unit": "szt.", "vat_rate": "23"},  # untouched blank row
            ])}
    response = staff_client.post(url, data, follow=True)
    fv = FinanceDocument.objects.get(customer=customer, kind=Kind.INVOICE)
    assert fv.debit == D("123.00") + D("21.60")
    assert [(ln.name, ln.gtu, ln.annex15) for ln in fv.lines.all()] == [
        ("Abonament", "GTU_07", False), ("Instalacja", "", True)]
    assert f"Invoice {fv.number} issued: PLN\xa0144.60." in response.content.decode()
    assert ActionLog.objects.filter(customer=customer, kind="finance.invoice").exists()


@pytest.mark.parametrize("row,message", [
    ({"name": "Abonament", "quantity": "0", "net_unit_price": "10", "vat_rate": "23"},
     "the quantity must be positive"),
    ({"name": "Abonament", "quantity": "1", "net_unit_price": "-10", "vat_rate": "23"},
     "the price not negative"),
    ({"name": "Abonament", "quantity": "1", "net_unit_price": "abc", "vat_rate": "23"},
     "“abc” is not an amount (e.g. 12.50 or 12,50)."),
])
def test_bad_invoice_lines_write_nothing(staff_client, customer, row, message):
    url = reverse("finance:invoice_create", args=[customer.pk])
    response = staff_client.post(url, {"issue_date": TODAY.isoformat(),
                                       **line_post([{"unit": "szt.", **row}])})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not FinanceDocument.objects.exists()


def test_invoice_without_lines_is_refused(staff_client, customer):
    url = reverse("finance:invoice_create", args=[customer.pk])
    response = staff_client.post(url, {"issue_date": TODAY.isoformat(), **line_post([])})
    assert response.status_code == 400
    assert "An invoice needs at least one line." in response.content.decode()
    assert not FinanceDocument.objects.exists()


def test_invoice_edit_keeps_the_number(staff_client, staff, customer):
    fv = invoice(staff, customer)
    url = reverse("finance:invoice_edit", args=[fv.pk])
    assert "Internet 300 Mb/s" in staff_client.get(url).content.decode()
    response = staff_client.post(url, {"issue_date": "1999-01-01", **line_post(
        [{"name": "Internet 600 Mb/s", "quantity": "1", "unit": "szt.",
          "net_unit_price": "200.00", "vat_rate": "23"}], initial=1)})
    assert response.status_code == 302
    fv.refresh_from_db()
    assert fv.debit == D("246.00") and fv.issue_date == TODAY - timedelta(days=30)
    assert FinanceDocument.objects.count() == 1


def test_invoice_edit_forbidden_by_edycja_faktur_shows_why(staff_client, staff, customer,
                                                           register):
    fv = invoice(staff, customer)
    services.kp_issue(actor=staff, customer=customer, register=register, invoices=[fv])
    url = reverse("finance:invoice_edit", args=[fv.pk])
    response = staff_client.post(url, line_post(
        [{"name": "Internet", "quantity": "1", "unit": "szt.", "net_unit_price": "200.00",
          "vat_rate": "23"}], initial=1))
    assert response.status_code == 400
    assert "cannot be edited any more" in response.content.decode()
    fv.refresh_from_db()
    assert fv.debit == D("123.00")

    TenantSetting.objects.create(key="finance.edycja_faktur", value="settled")
    response = staff_client.post(url, line_post(
        [{"name": "Internet", "quantity": "1", "unit": "szt.", "net_unit_price": "200.00",
          "vat_rate": "23"}], initial=1))
    assert response.status_code == 302


def test_correction_prefills_lines_and_needs_a_reason(staff_client, staff, customer):
    fv = invoice(staff, customer)
    url = reverse("finance:correction_create", args=[fv.pk])
    page = lxml.html.fromstring(staff_client.get(url).content)
    assert page.xpath('//input[@name="lines-0-name"]/@value') == ["Internet 300 Mb/s"]
    assert page.xpath('//input[@name="lines-0-net_unit_price"]/@value') == ["100.00"]
    assert "check the cycle counter" in page.text_content()

    rows = [{"name": "Internet 300 Mb/s", "quantity": "1", "unit": "szt.",
             "net_unit_price": "50.00", "vat_rate": "23"}]
    response = staff_client.post(url, {"issue_date": TODAY.isoformat(), "reason": " ",
                                       **line_post(rows, initial=1)})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not FinanceDocument.objects.filter(kind=Kind.CORRECTION).exists()

    response = staff_client.post(url, {"issue_date": TODAY.isoformat(), "reason": "rabat",
                                       **line_post(rows, initial=1)}, follow=True)
    correction = FinanceDocument.objects.get(kind=Kind.CORRECTION)
    assert correction.credit == D("61.50") and correction.corrects == fv
    html = response.content.decode()
    assert f"Correction {correction.number} of invoice {fv.number} issued." in html
    assert "cycle counter" not in html.split('id="form-note"')[0].split("alert")[-1]


def test_correction_to_zero_warns_about_the_cycle_counter(staff_client, staff, customer):
    fv = invoice(staff, customer)
    url = reverse("finance:correction_create", args=[fv.pk])
    rows = [{"name": "Internet 300 Mb/s", "quantity": "0", "unit": "szt.",
             "net_unit_price": "100.00", "vat_rate": "23"}]
    response = staff_client.post(url, {"issue_date": TODAY.isoformat(), "reason": "rezygnacja",
                                       **line_post(rows, initial=1)}, follow=True)
    assert ("Line “Internet 300 Mb/s” was corrected to 0: check the cycle counter of the "
            "payment schedule.") in response.content.decode()
    correction = FinanceDocument.objects.get(kind=Kind.CORRECTION)
    assert correction.credit == D("123.00")
    assert services.invoice_settlement(fv).status == "settled"


def test_correction_of_another_tenants_invoice_is_404(staff_client, staff, customer,
                                                      other_tenant, other_staff):
    with tenant_context(other_tenant):
        theirs = customer_services.customer_create(actor=other_staff, first_name="Piotr",
                                                   last_name="Betowski")
        fv = invoice(other_staff, theirs)
    for name in ("finance:correction_create", "finance:invoice_edit", "finance:document",
                 "finance:document_allocations"):
        assert staff_client.get(reverse(name, args=[fv.pk])).status_code == 404
    response = staff_client.post(reverse("finance:correction_create", args=[fv.pk]),
                                 {"reason": "x", **line_post([])})
    assert response.status_code == 404
    with tenant_context(other_tenant):
        assert FinanceDocument.objects.count() == 1


def test_correcting_a_kp_is_refused_with_a_message(staff_client, staff, customer, register):
    kp = services.kp_issue(actor=staff, customer=customer, register=register,
                           amount=D("10.00"))
    response = staff_client.get(reverse("finance:correction_create", args=[kp.pk]),
                                follow=True)
    assert f"{kp.number} is not an invoice." in response.content.decode()


# --------------------------------------------------------------------------- cash, bank, notes

def test_kp_settles_the_documents_ticked_in_the_history(staff_client, staff, customer,
                                                        register):
    older = invoice(staff, customer, days_ago=60)
    newer = invoice(staff, customer, days_ago=10)
    url = reverse("finance:kp_create", args=[customer.pk])
    page = lxml.html.fromstring(staff_client.get(url, {"invoices": [newer.pk]}).content)
    assert page.xpath('//input[@name="invoices"][@checked]/@value') == [str(newer.pk)]

    response = staff_client.post(url, {"register": register.pk, "invoices": [newer.pk],
                                       "amount": "", "title": "",
                                       "issue_date": TODAY.isoformat()})
    assert response.status_code == 302
    kp = FinanceDocument.objects.get(kind=Kind.KP)
    assert kp.credit == D("123.00") and kp.title == newer.number
    assert services.invoice_settlement(newer).status == "settled"
    assert services.invoice_settlement(older).status == "unsettled"
    rows = history_rows(card(staff_client, customer).content.decode())
    assert rows[newer.number]["status"] == "settled"


def test_kp_offers_what_is_left_after_payments_and_a_correction(staff_client, staff, customer,
                                                                register):
    fv = invoice(staff, customer)
    services.kp_issue(actor=staff, customer=customer, register=register, amount=D("70.00"))
    services.correction_issue(actor=staff, invoice=fv, lines=[line("80.00")], reason="rabat")
    page = lxml.html.fromstring(staff_client.get(
        reverse("finance:kp_create", args=[customer.pk])).content)
    offered = [" ".join(label.text_content().split())
               for label in page.xpath('//input[@name="invoices"]/..')]
    assert offered == [f"{fv.number} · Invoice · PLN 28.40"]
    response = staff_client.post(reverse("finance:kp_create", args=[customer.pk]), {
        "register": register.pk, "invoices": [fv.pk], "issue_date": TODAY.isoformat()})
    assert response.status_code == 302
    assert FinanceDocument.objects.filter(kind=Kind.KP).latest("id").credit == D("28.40")
    assert services.invoice_settlement(fv).status == "settled"


@pytest.mark.parametrize("amount,message", [
    ("0", "The amount must be above zero."),
    ("-5", "The amount must be above zero."),
    ("", "Tick the documents paid or enter an amount."),
])
def test_kp_with_a_bad_amount_writes_nothing(staff_client, customer, register, amount,
                                             message):
    response = staff_client.post(reverse("finance:kp_create", args=[customer.pk]), {
        "register": register.pk, "amount": amount, "issue_date": TODAY.isoformat()})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not FinanceDocument.objects.exists()


def test_kp_cannot_tick_another_customers_invoice(staff_client, staff, customer, register):
    other = customer_services.customer_create(actor=staff, first_name="Ewa", last_name="Nowak")
    theirs = invoice(staff, other)
    response = staff_client.post(reverse("finance:kp_create", args=[customer.pk]), {
        "register": register.pk, "invoices": [theirs.pk], "issue_date": TODAY.isoformat()})
    assert response.status_code == 400
    assert not FinanceDocument.objects.filter(kind=Kind.KP).exists()


def test_kw_charges_the_balance(staff_client, customer, register):
    response = staff_client.post(reverse("finance:kw_create", args=[customer.pk]), {
        "register": register.pk, "amount": "12,50", "title": "zwrot nadpłaty",
        "issue_date": TODAY.isoformat()}, follow=True)
    kw = FinanceDocument.objects.get(kind=Kind.KW)
    assert kw.debit == D("12.50") and kw.number.startswith("KW/MAIN/")
    assert f"KW {kw.number}: PLN\xa012.50." in response.content.decode()
    assert selectors.customer_balance(customer=customer) == D("-12.50")


def test_bank_transfer_by_hand_settles_the_oldest_invoice(staff_client, staff, customer):
    older = invoice(staff, customer, days_ago=60)
    newer = invoice(staff, customer, days_ago=10)
    response = staff_client.post(reverse("finance:transfer_create", args=[customer.pk]), {
        "amount": "123.00", "booking_date": TODAY.isoformat(), "title": "opłata",
        "bank_reference": "REF-1", "counterparty_account": ""})
    assert response.status_code == 302
    assert services.invoice_settlement(older).status == "settled"
    assert services.invoice_settlement(newer).status == "unsettled"
    # The same bank reference again: refused, nothing written.
    response = staff_client.post(reverse("finance:transfer_create", args=[customer.pk]), {
        "amount": "123.00", "booking_date": TODAY.isoformat(), "title": "opłata",
        "bank_reference": "REF-1"})
    assert response.status_code == 400
    assert "already recorded" in response.content.decode()
    assert FinanceDocument.objects.filter(kind=Kind.BANK_TRANSFER).count() == 1


@pytest.mark.parametrize("note_kind,title,expected", [
    ("plain", "Zniszczony router", "Zniszczony router"),
    ("termination", "", "Termination of the contract through the customer's fault"),
    ("payment_demand", "WEZ/2026/1", "Fee for a payment demand: WEZ/2026/1"),
])
def test_debit_note_kinds(staff_client, customer, note_kind, title, expected):
    response = staff_client.post(reverse("finance:debit_note_create", args=[customer.pk]), {
        "note_kind": note_kind, "amount": "40", "title": title, "due_date": ""})
    assert response.status_code == 302
    note = FinanceDocument.objects.get(kind=Kind.DEBIT_NOTE)
    assert note.title == expected and note.debit == D("40.00")


def test_plain_debit_note_needs_a_title(staff_client, customer):
    response = staff_client.post(reverse("finance:debit_note_create", args=[customer.pk]), {
        "note_kind": "plain", "amount": "40", "title": ""})
    assert response.status_code == 400
    assert "A debit note needs its title." in response.content.decode()
    assert not FinanceDocument.objects.exists()


def test_technical_transaction_warns_and_needs_a_reason(staff_client, customer):
    url = reverse("finance:technical_create", args=[customer.pk])
    assert "Not recommended" in staff_client.get(url).content.decode()
    response = staff_client.post(url, {"direction": "credit", "amount": "15", "reason": ""})
    assert response.status_code == 400
    assert "A technical transaction needs its reason." in response.content.decode()
    assert not FinanceDocument.objects.exists()
    response = staff_client.post(url, {"direction": "credit", "amount": "15",
                                       "reason": "Błąd migracji salda"})
    assert response.status_code == 302
    document = FinanceDocument.objects.get(kind=Kind.TECHNICAL)
    assert document.credit == D("15.00") and document.reason == "Błąd migracji salda"
    assert ActionLog.objects.filter(customer=customer, kind="finance.technical").exists()


@pytest.mark.parametrize("name,data", [
    ("finance:technical_create", {"direction": "charge", "amount": "15", "reason": "x"}),
    ("finance:allocation_link", {}),
    ("finance:allocation_remove", {}),
])
def test_operator_without_permission_gets_403(operator_client, customer, name, data):
    url = reverse(name, args=[customer.pk])
    assert operator_client.get(url).status_code == 403
    assert operator_client.post(url, data).status_code == 403
    assert not FinanceDocument.objects.exists()


def test_operator_may_take_a_kp(operator_client, customer, register):
    response = operator_client.post(reverse("finance:kp_create", args=[customer.pk]), {
        "register": register.pk, "amount": "30", "issue_date": TODAY.isoformat()})
    assert response.status_code == 302
    assert FinanceDocument.objects.get(kind=Kind.KP).credit == D("30.00")


def test_forms_of_another_tenants_customer_are_404(staff_client, other_tenant, other_staff):
    with tenant_context(other_tenant):
        theirs = customer_services.customer_create(actor=other_staff, first_name="Piotr",
                                                   last_name="Betowski")
    for name in ("finance:invoice_create", "finance:kp_create", "finance:kw_create",
                 "finance:transfer_create", "finance:debit_note_create",
                 "finance:technical_create", "finance:allocation_link",
                 "finance:allocation_remove", "finance:history"):
        assert staff_client.get(reverse(name, args=[theirs.pk])).status_code == 404, name


# --------------------------------------------------------------------------- links

def test_link_and_remove_links_by_hand(staff_client, staff, customer, register):
    kp = services.kp_issue(actor=staff, customer=customer, register=register,
                           amount=D("200.00"))                          # credit, nothing owed
    fv = invoice(staff, customer)                                      # settled by the credit
    services.allocations_remove(actor=staff, document=fv)
    assert services.invoice_settlement(fv).status == "unsettled"

    link_url = reverse("finance:allocation_link", args=[customer.pk])
    response = staff_client.post(link_url, {"payment": kp.pk, "receivable": fv.pk,
                                            "amount": "500"})
    assert response.status_code == 400
    assert "At most 123.00 PLN can be linked" in response.content.decode()
    response = staff_client.post(link_url, {"payment": kp.pk, "receivable": fv.pk,
                                            "amount": "23"})
    assert response.status_code == 302
    assert Allocation.objects.get(receivable=fv).rule == "manual"
    assert services.invoice_settlement(fv).status == "partially_settled"

    unlink_url = reverse("finance:allocation_remove", args=[customer.pk])
    page = staff_client.get(unlink_url, {"document": fv.pk}).content.decode()
    assert "data-confirm" in page
    response = staff_client.post(unlink_url, {"document": fv.pk}, follow=True)
    assert f"Links of {fv.number} removed: 1." in response.content.decode()
    assert not Allocation.objects.exists()
    assert ActionLog.objects.filter(kind="finance.unlink").exists()


def test_link_refuses_another_customers_document(staff_client, staff, customer, register):
    other = customer_services.customer_create(actor=staff, first_name="Ewa", last_name="Nowak")
    kp = services.kp_issue(actor=staff, customer=other, register=register, amount=D("50"))
    fv = invoice(staff, customer)
    response = staff_client.post(reverse("finance:allocation_link", args=[customer.pk]),
                                 {"payment": kp.pk, "receivable": fv.pk})
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert not Allocation.objects.exists()


# --------------------------------------------------------------------------- document page

def test_document_page_shows_lines_vat_links_and_corrections(
        staff_client, staff, customer, register):
    fv = services.invoice_issue(actor=staff, customer=customer, lines=[
        line("0.33"), line("0.33"), line("0.33"), line("10.00", rate="8")])
    kp = services.kp_issue(actor=staff, customer=customer, register=register,
                           amount=D("5.00"), invoices=[fv])
    correction, _ = services.correction_issue(actor=staff, invoice=fv, lines=[
        line("0.33"), line("0.33"), line("0.33"), line("5.00", rate="8")], reason="rabat")
    response = staff_client.get(reverse("finance:document", args=[fv.pk]))
    tree = lxml.html.fromstring(response.content)
    vat = [row_text(tr) for tr in tree.xpath('//table[@id="vat-summary"]/tbody/tr')]
    assert vat == ["23 % 0.99 0.23 1.22", "8 % 10.00 0.80 10.80"]   # VAT per rate, not line
    assert tree.xpath('//span[contains(@class, "k-marker")]')
    assert tree.xpath('//ul[@id="document-corrections"]//a/text()') == [correction.number]
    assert kp.number in tree.xpath('//table[contains(@class, "links-paid-by")]')[0] \
        .text_content()
    assert tree.xpath('//span[@id="document-status"]/text()') == ["partially settled"]
    assert reverse("finance:invoice_edit", args=[fv.pk]) in response.content.decode()

    page = staff_client.get(reverse("finance:document", args=[correction.pk])).content
    tree = lxml.html.fromstring(page)
    assert tree.xpath('//a[@class="document-corrects"]/text()') == [fv.number]
    assert tree.xpath('//dd[contains(@class, "document-reason")]/text()') == ["rabat"]


# --------------------------------------------------------------------------- cash registers

def test_cash_registers_list_and_add(staff_client, operator_client, in_tenant):
    url = reverse("finance:cash_registers")
    response = staff_client.post(url, {"name": "Kasa 2", "symbol": "K2"}, follow=True)
    assert "Cash register Kasa 2 added." in response.content.decode()
    assert CashRegister.objects.get().symbol == "k2"
    response = staff_client.post(url, {"name": "Kasa bis", "symbol": "k2"})
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert CashRegister.objects.count() == 1
    assert "Kasa 2" in operator_client.get(url).content.decode()
    assert operator_client.post(url, {"name": "X", "symbol": "x"}).status_code == 403


def test_document_page_queries_do_not_grow_with_lines_and_links(staff_client, staff, customer,
                                                                register):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = services.invoice_issue(actor=staff, customer=customer, lines=[line("10.00")])
    services.kp_issue(actor=staff, customer=customer, register=register, invoices=[small])
    big = services.invoice_issue(actor=staff, customer=customer,
                                 lines=[line("10.00", name=f"Pozycja {i}") for i in range(8)])
    for _ in range(5):
        services.kp_issue(actor=staff, customer=customer, register=register,
                          amount=D("1.00"), invoices=[big])
    services.correction_issue(actor=staff, invoice=big, lines=[line("10.00")], reason="x")
    staff_client.get(reverse("finance:document", args=[small.pk]))  # session saved once

    counts = []
    for document in (small, big):
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(reverse("finance:document",
                                            args=[document.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
