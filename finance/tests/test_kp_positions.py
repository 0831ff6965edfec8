"""KP with several positions: free ones typed at the desk and the invoices ticked as paid;
the credit is their sum, the ticked invoices are settled, the PDF and the document page
list them; bad input writes nothing — through the service, the staff form and the API."""

import io
from datetime import timedelta
from decimal import Decimal

import lxml.html
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from core.models import ActionLog
from core.tenancy import tenant_context
from customers import services as customer_services
from finance import printing, selectors, services
from finance.models import Allocation, CashPosition, FinanceDocument, Kind

D = Decimal
TODAY = timezone.localdate()


def line(net="100.00", rate="23", name="Internet 300 Mb/s"):
    return {"name": name, "quantity": D("1"), "net_unit_price": D(net), "vat_rate": rate}


def invoice(staff, customer, net="100.00", days_ago=30):
    issue = TODAY - timedelta(days=days_ago)
    return services.invoice_issue(actor=staff, customer=customer, lines=[line(net)],
                                  issue_date=issue, due_date=issue + timedelta(days=14))


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def written() -> tuple:
    """What a refused KP must leave as it was."""
    return (FinanceDocument.objects.filter(kind=Kind.KP).count(),
            CashPosition.objects.count(), Allocation.objects.count(),
            ActionLog.objects.filter(kind="finance.kp").count())


def positions_of(kp) -> list[tuple]:
    return list(CashPosition.objects.filter(document=kp).order_by("position")
                .values_list("position", "name", "amount"))


@pytest.fixture
def register(in_tenant, staff):
    return services.cash_register_create(actor=staff, name="Kasa główna", symbol="k1")


# --------------------------------------------------------------------------- the service

def test_several_positions_sum_to_the_credit_and_print_on_the_pdf(staff, customer, register):
    kp = services.kp_issue(actor=staff, customer=customer, register=register, positions=[
        ("Instalacja", D("150.00")), ("Router Wi-Fi", "89,99"), ("Kabel 10 m", D("12.50"))])
    assert kp.credit == D("252.49")
    assert positions_of(kp) == [(1, "Instalacja", D("150.00")), (2, "Router Wi-Fi", D("89.99")),
                                (3, "Kabel 10 m", D("12.50"))]
    assert selectors.customer_balance(customer=customer) == D("252.49")   # all credit
    log = ActionLog.objects.get(kind="finance.kp")
    assert kp.number in log.text and "Router Wi-Fi: PLN\xa089.99" in log.text

    text = pdf_text(printing.document_pdf(kp))
    assert "1 Instalacja 150,00" in text
    assert "2 Router Wi-Fi 89,99" in text
    assert "3 Kabel 10 m 12,50" in text
    assert "Razem 252,49" in text
    assert "Słownie: dwieście pięćdziesiąt dwa złote czterdzieści dziewięć groszy" in text


def test_ticked_invoices_and_free_positions_settle_the_invoices_and_leave_credit(
        staff, customer, register):
    older = invoice(staff, customer, days_ago=60)                      # 123.00
    newer = invoice(staff, customer, net="50.00", days_ago=20)         # 61.50
    services.bank_transfer_record(actor=staff, customer=customer, amount=D("20.00"),
                                  booking_date=TODAY, title="wpłata")  # 20.00 of the older
    kp = services.kp_issue(actor=staff, customer=customer, register=register,
                           invoices=[newer, older], positions=[("Opłata za montaż", D("30"))])
    # Each ticked invoice is a position for what it still owes, oldest due first.
    assert positions_of(kp) == [(1, f"Zapłata za {older.number}", D("103.00")),
                                (2, f"Zapłata za {newer.number}", D("61.50")),
                                (3, "Opłata za montaż", D("30.00"))]
    assert kp.credit == D("194.50")
    assert services.invoice_settlement(older).status == "settled"
    assert services.invoice_settlement(newer).status == "settled"
    assert sorted(Allocation.objects.filter(payment=kp).values_list("receivable", "amount")) \
        == sorted([(older.pk, D("103.00")), (newer.pk, D("61.50"))])
    assert selectors.customer_balance(customer=customer) == D("30.00")    # the rest: credit
    assert kp.title == f"{older.number}, {newer.number}, Opłata za montaż"


def test_an_amount_instead_of_positions_still_pays_part_of_the_ticked_invoice(
        staff, customer, register):
    owed = invoice(staff, customer)                                    # 123.00
    kp = services.kp_issue(actor=staff, customer=customer, register=register,
                           amount=D("100.00"), invoices=[owed], title="Wpłata w kasie")
    assert kp.credit == D("100.00")
    assert positions_of(kp) == [(1, f"Zapłata za {owed.number}", D("100.00"))]
    assert services.invoice_settlement(owed).status == "partially_settled"

    kp = services.kp_issue(actor=staff, customer=customer, register=register,
                           amount=D("40.00"), invoices=[owed])         # 23.00 left on it
    assert positions_of(kp) == [(1, f"Zapłata za {owed.number}", D("23.00")),
                                (2, "Wpłata", D("17.00"))]
    assert services.invoice_settlement(owed).status == "settled"


@pytest.mark.parametrize("kwargs,field,message", [
    ({"positions": [("", D("10"))]}, "positions", "Position 1: enter what was paid for."),
    ({"positions": [("Router", D("10")), ("   ", D("5"))]}, "positions",
     "Position 2: enter what was paid for."),
    ({"positions": [("Router", D("0"))]}, "positions",
     "Position 1: the amount must be above zero."),
    ({"positions": [("Router", D("-5.00"))]}, "positions",
     "Position 1: the amount must be above zero."),
    ({"positions": [("Router", "dużo")]}, "positions",
     "Position 1: “dużo” is not an amount (e.g. 12.50 or 12,50)."),
    ({"positions": [("Router", "12,345")]}, "positions",
     "Position 1: At most 2 decimal places."),
    ({}, "positions", "Add a position or tick the invoices paid."),
    ({"amount": D("10"), "positions": [("Router", D("10"))]}, "amount",
     "Enter either the amount or the positions, not both."),
])
def test_bad_positions_are_refused_and_nothing_is_written(staff, customer, register, kwargs,
                                                          field, message):
    invoice(staff, customer)
    before = written()
    with pytest.raises(ValidationError) as refused:
        services.kp_issue(actor=staff, customer=customer, register=register, **kwargs)
    assert message in refused.value.message_dict[field]
    assert written() == before


def test_ticking_only_paid_invoices_without_positions_is_refused(staff, customer, register):
    paid = invoice(staff, customer)
    services.kp_issue(actor=staff, customer=customer, register=register, invoices=[paid])
    before = written()
    with pytest.raises(ValidationError) as refused:
        services.kp_issue(actor=staff, customer=customer, register=register, invoices=[paid])
    assert "already paid" in refused.value.message_dict["positions"][0]
    assert written() == before


def test_another_tenants_invoice_ticked_is_refused(staff, customer, register, other_tenant,
                                                    other_staff):
    with tenant_context(other_tenant):
        theirs_customer = customer_services.customer_create(
            actor=other_staff, first_name="Piotr", last_name="Betowski")
        theirs = invoice(other_staff, theirs_customer)
    before = written()
    with pytest.raises(ValidationError) as refused:
        services.kp_issue(actor=staff, customer=customer, register=register, invoices=[theirs],
                          positions=[("Router", D("10"))])
    assert "invoices" in refused.value.message_dict
    assert written() == before
    with tenant_context(other_tenant):
        assert services.invoice_settlement(theirs).status == "unsettled"


# --------------------------------------------------------------------------- the staff form

def rows(*positions, extra=3):
    data = {"positions-TOTAL_FORMS": str(max(extra, len(positions))),
            "positions-INITIAL_FORMS": "0"}
    for index, (name, amount) in enumerate(positions):
        data[f"positions-{index}-name"] = name
        data[f"positions-{index}-amount"] = amount
    return data


def test_staff_form_takes_positions_with_the_ticked_invoice(staff_client, staff, customer,
                                                            register):
    owed = invoice(staff, customer)
    url = reverse("finance:kp_create", args=[customer.pk])
    page = lxml.html.fromstring(staff_client.get(url).content)
    assert len(page.xpath('//table[@id="kp-positions"]//input[contains(@name, "-name")]')) == 3

    response = staff_client.post(url, {
        "register": register.pk, "invoices": [owed.pk], "amount": "", "title": "",
        "issue_date": TODAY.isoformat(), **rows(("Router", "89,99"), ("Kabel", "10"))},
        follow=True)
    kp = FinanceDocument.objects.get(kind=Kind.KP)
    assert f"KP {kp.number}: PLN\xa0222.99." in response.content.decode()
    assert positions_of(kp) == [(1, f"Zapłata za {owed.number}", D("123.00")),
                                (2, "Router", D("89.99")), (3, "Kabel", D("10.00"))]
    assert services.invoice_settlement(owed).status == "settled"

    page = lxml.html.fromstring(staff_client.get(
        reverse("finance:document", args=[kp.pk])).content)
    shown = [[td.text_content().strip() for td in tr.xpath("td")]
             for tr in page.xpath('//table[@id="document-positions"]/tbody/tr')]
    assert shown == [["1", f"Zapłata za {owed.number}", "123.00"], ["2", "Router", "89.99"],
                     ["3", "Kabel", "10.00"]]


def test_staff_form_adds_rows_and_takes_any_number_of_positions(staff_client, customer,
                                                                register):
    url = reverse("finance:kp_create", args=[customer.pk])
    page = lxml.html.fromstring(staff_client.get(url).content)
    [button] = page.xpath('//button[@id="kp-position-add"]')
    assert button.text_content().strip() == "Add a position"
    assert button.get("data-formset-add") == "positions"
    # The row it adds: the formset's empty form, numbered by the script.
    [template] = page.xpath(f'//template[@id="{button.get("data-template")}"]')
    assert page.xpath('//input[@id="id_positions-TOTAL_FORMS"]/@value') == ["3"]
    assert sorted(template.xpath(".//input/@name")) == [
        "positions-__prefix__-amount", "positions-__prefix__-name"]

    five = [("Instalacja", "150"), ("Router Wi-Fi", "89,99"), ("Kabel 20 m", "25.50"),
            ("Gniazdko RJ45", "12"), ("Dojazd", "30")]
    response = staff_client.post(url, {
        "register": register.pk, "amount": "", "title": "", "issue_date": TODAY.isoformat(),
        **rows(*five)}, follow=True)
    kp = FinanceDocument.objects.get(kind=Kind.KP)
    assert f"KP {kp.number}: PLN\xa0307.49." in response.content.decode()
    assert positions_of(kp) == [(1, "Instalacja", D("150.00")), (2, "Router Wi-Fi", D("89.99")),
                                (3, "Kabel 20 m", D("25.50")), (4, "Gniazdko RJ45", D("12.00")),
                                (5, "Dojazd", D("30.00"))]


@pytest.mark.parametrize("positions,message", [
    ((("Router", "0"),), "Position 1: the amount must be above zero."),
    ((("Instalacja", "1"), ("Router", "2"), ("Kabel", "3"), ("Dojazd", "-4")),
     "Position 4: the amount must be above zero."),
    ((("", "10"),), "This field is required."),
    ((), "Tick the documents paid or enter an amount."),
])
def test_staff_form_refuses_bad_positions_and_writes_nothing(staff_client, customer, register,
                                                             positions, message):
    before = written()
    response = staff_client.post(reverse("finance:kp_create", args=[customer.pk]), {
        "register": register.pk, "amount": "", "issue_date": TODAY.isoformat(),
        **rows(*positions)})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert written() == before


# --------------------------------------------------------------------------- the API

def docs(customer, suffix=""):
    return f"/api/v1/customers/{customer.pk}/finance-documents/{suffix}"


def test_api_creates_a_kp_with_positions(api_client, staff, customer, register):
    owed = invoice(staff, customer)
    response = api_client.post(docs(customer, "kp/"), {
        "cash_register": register.pk, "invoices": [owed.pk],
        "positions": [{"name": "Router", "amount": "89.99"},
                      {"name": "Kabel", "amount": "10.00"}]}, format="json")
    assert response.status_code == 201, response.json()
    kp = response.json()
    assert kp["credit"] == "222.99" and kp["unallocated"] == "99.99"
    assert kp["positions"] == [
        {"position": 1, "name": f"Zapłata za {owed.number}", "amount": "123.00"},
        {"position": 2, "name": "Router", "amount": "89.99"},
        {"position": 3, "name": "Kabel", "amount": "10.00"}]
    assert api_client.get(docs(customer, f"{owed.pk}/")).json()["status"] == "settled"
    assert api_client.get(docs(customer, f"{kp['id']}/")).json()["positions"] == \
        kp["positions"]
    assert api_client.get(docs(customer, f"{owed.pk}/")).json()["positions"] == []


@pytest.mark.parametrize("positions", [
    [{"name": "", "amount": "10.00"}],
    [{"name": "Router", "amount": "0"}],
    [{"name": "Router", "amount": "-1.00"}],
    [{"name": "Router"}],
])
def test_api_refuses_bad_positions_and_writes_nothing(api_client, customer, register,
                                                      positions):
    before = written()
    response = api_client.post(docs(customer, "kp/"), {
        "cash_register": register.pk, "positions": positions}, format="json")
    assert response.status_code == 400
    assert "positions" in {key.split(".")[0] for key in response.json()["errors"]}
    assert written() == before


def test_api_refuses_another_tenants_invoice_in_a_kp(api_client, customer, register,
                                                     other_tenant, other_staff):
    with tenant_context(other_tenant):
        theirs = invoice(other_staff, customer_services.customer_create(
            actor=other_staff, first_name="Piotr", last_name="Betowski"))
    before = written()
    response = api_client.post(docs(customer, "kp/"), {
        "cash_register": register.pk, "invoices": [theirs.pk],
        "positions": [{"name": "Router", "amount": "10.00"}]}, format="json")
    assert response.status_code == 400 and "invoices" in response.json()["errors"]
    assert "Betowski" not in response.content.decode()
    assert written() == before
