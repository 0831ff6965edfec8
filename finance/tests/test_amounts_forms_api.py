"""Amounts typed into staff forms and sent to the API are read by the one parser of amounts
(``core.amounts.amount_parse``): "12,50", "12.50" and "1 234,56" as before; an exponent
("1e3" is a typo, not a thousand), NaN, infinity or a fraction of a grosz is refused with
the parser's reason, and nothing is written."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.models import ActionLog
from finance import services
from finance.forms import AmountField, InvoiceLineForm
from finance.models import FinanceDocument, Kind

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = timezone.localdate()
NOT_AN_AMOUNT = ["1e3", "1E+3", "NaN", "nan", "Infinity", "-Infinity", "sNaN", "0x10",
                 "12,50 zł", "1.2.3", "１２"]


def _nothing_written() -> bool:
    return not FinanceDocument.objects.exists() and not ActionLog.objects.filter(
        kind__startswith="finance.").exclude(kind="finance.cash_register").exists()


@pytest.fixture
def register(in_tenant, staff):
    return services.cash_register_create(actor=staff, name="Kasa główna", symbol="main")


def _kw(staff_client, customer, register, amount: str):
    return staff_client.post(reverse("finance:kw_create", args=[customer.pk]), {
        "register": register.pk, "amount": amount, "title": "zwrot nadpłaty",
        "issue_date": TODAY.isoformat()})


@pytest.mark.parametrize("typed,amount", [
    ("12,50", "12.50"), ("12.50", "12.50"), ("1 234,56", "1234.56"),
    ("1\u00a0234,56", "1234.56"), (" 40 ", "40.00"), ("0,5", "0.50"),
])
def test_a_kw_takes_an_amount_as_people_type_it(staff_client, customer, register, typed,
                                                amount):
    response = _kw(staff_client, customer, register, typed)
    assert response.status_code == 302
    assert FinanceDocument.objects.get(kind=Kind.KW).debit == D(amount)


@pytest.mark.parametrize("typed", NOT_AN_AMOUNT)
def test_a_kw_with_an_exponent_nan_or_infinity_is_refused_with_the_reason(
        staff_client, customer, register, typed):
    response = _kw(staff_client, customer, register, typed)
    assert response.status_code == 400
    assert f"“{typed}” is not an amount (e.g. 12.50 or 12,50)." in response.content.decode()
    assert _nothing_written()


@pytest.mark.parametrize("typed,message", [
    ("12,345", "At most 2 decimal places."),
    ("0.001", "At most 2 decimal places."),
    ("1000000000000", "From -999,999,999,999.99 to 999,999,999,999.99."),
])
def test_a_debit_note_with_a_fraction_of_a_grosz_or_too_many_digits_is_refused(
        staff_client, customer, typed, message):
    response = staff_client.post(reverse("finance:debit_note_create", args=[customer.pk]), {
        "note_kind": "plain", "amount": typed, "title": "Kaucja", "due_date": ""})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _nothing_written()


def test_a_negative_or_zero_amount_still_gets_the_services_message(staff_client, customer):
    # The form reads the sign; whether a debit note may be zero or negative is the
    # service's to say.
    response = staff_client.post(reverse("finance:debit_note_create", args=[customer.pk]), {
        "note_kind": "plain", "amount": "-0,00", "title": "Kaucja", "due_date": ""})
    assert response.status_code == 400
    assert "is not an amount" not in response.content.decode()
    assert _nothing_written()


def test_an_invoice_lines_quantity_has_three_places_and_no_exponent():
    def errors(quantity):
        form = InvoiceLineForm(data={"name": "Kabel", "quantity": quantity, "unit": "m",
                                     "net_unit_price": "2,50", "vat_rate": "23"})
        form.is_valid()
        return form.errors.get("quantity"), form.cleaned_data.get("quantity")

    assert errors("1,125") == (None, D("1.125"))
    assert errors("1 000") == (None, D("1000.000"))
    assert errors("1e3")[0] == ["“1e3” is not an amount (e.g. 12.50 or 12,50)."]
    assert errors("0,0001")[0] == ["At most 3 decimal places."]


def test_an_amount_field_left_empty_is_none_or_required():
    assert AmountField(required=False).clean("  ") is None
    assert AmountField(required=False).clean("") is None
    with pytest.raises(ValidationError) as err:
        AmountField().clean(" ")
    assert err.value.messages == ["This field is required."]


# --------------------------------------------------------------------------- API

def _api_kw(api_client, customer, register, amount):
    return api_client.post(f"/api/v1/customers/{customer.pk}/finance-documents/kw/", {
        "cash_register": register.pk, "amount": amount, "title": "zwrot"}, format="json")


@pytest.mark.parametrize("sent", ["1e3", "1E3", "NaN", "Infinity", "-Infinity"])
def test_the_api_refuses_an_exponent_nan_or_infinity_with_the_reason(api_client, customer,
                                                                      register, sent):
    response = _api_kw(api_client, customer, register, sent)
    assert response.status_code == 400
    assert response.json()["errors"]["amount"] == [
        f"“{sent}” is not an amount (e.g. 12.50 or 12,50)."]
    assert _nothing_written()


def test_a_json_number_is_read_through_its_text(api_client, customer, register):
    # JSON 1e3 reaches the API parsed (1000.0): only its text can be read, "1000.0".
    response = _api_kw(api_client, customer, register, 1e3)
    assert response.status_code == 201
    assert response.json()["debit"] == "1000.00"
    response = _api_kw(api_client, customer, register, 1e21)  # JSON 1e+21
    assert response.status_code == 400
    assert response.json()["errors"]["amount"] == [
        "“1e+21” is not an amount (e.g. 12.50 or 12,50)."]
    response = _api_kw(api_client, customer, register, "0.005")
    assert response.json()["errors"]["amount"] == ["At most 2 decimal places."]
    assert FinanceDocument.objects.count() == 1


@pytest.mark.parametrize("sent,debit", [("12,50", "12.50"), ("1 234.56", "1234.56"),
                                        (12, "12.00"), (12.5, "12.50"), ("40", "40.00")])
def test_the_api_takes_amounts_as_before(api_client, customer, register, sent, debit):
    response = _api_kw(api_client, customer, register, sent)
    assert response.status_code == 201
    assert response.json()["debit"] == debit


def test_the_api_keeps_its_messages_for_zero_negative_and_empty(api_client, customer,
                                                                 register):
    def error(sent):
        response = _api_kw(api_client, customer, register, sent)
        assert response.status_code == 400
        return response.json()["errors"]["amount"]

    assert error("0.00") == error("-5") == ["The amount must be above zero."]
    assert error("") == ["A valid number is required."]
    assert error(True) == ["Not an amount."]
    assert _nothing_written()
