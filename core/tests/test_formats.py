"""One date, time and money format per language, on screens and in PDFs (config/formats,
core.templatetags.money), and date inputs that keep their value in Polish."""

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import formats, translation
from pypdf import PdfReader

from core.forms import DateField
from core.templatetags.money import money_format
from customers.models import Consent
from finance import printing, services

NBSP = "\xa0"


# --------------------------------------------------------------------------- money

@pytest.mark.parametrize("value,polish,english", [
    (Decimal("72"), "72,00 zł", "PLN 72.00"),
    (Decimal("1234.56"), "1 234,56 zł", "PLN 1,234.56"),
    (Decimal("-1234.56"), "-1 234,56 zł", "PLN -1,234.56"),
    (Decimal("0"), "0,00 zł", "PLN 0.00"),
    (Decimal("-0.00"), "0,00 zł", "PLN 0.00"),  # never "-0,00"
    (Decimal("-0.004"), "0,00 zł", "PLN 0.00"),
    (Decimal("0.005"), "0,01 zł", "PLN 0.01"),  # half-up to the grosz
    (Decimal("123456789012.34"), "123 456 789 012,34 zł", "PLN 123,456,789,012.34"),
    (0, "0,00 zł", "PLN 0.00"),
    (15.5, "15,50 zł", "PLN 15.50"),
    ("12,5", "12,50 zł", "PLN 12.50"),
])
def test_money_in_polish_and_english(value, polish, english):
    # The spaces are non-breaking: an amount never wraps between its digits and "zł".
    with translation.override("pl"):
        assert money_format(value) == polish.replace(" ", NBSP)
    with translation.override("en"):
        assert money_format(value) == english.replace(" ", NBSP)


@pytest.mark.parametrize("value", [None, ""])
def test_money_of_nothing_is_empty_so_default_applies(value):
    template = Template('{{ value|money|default:"—" }}')
    assert template.render(Context({"value": value})) == "—"


def test_money_that_is_not_a_number_is_shown_as_it_is():
    assert money_format("n/a") == "n/a"
    assert money_format(Decimal("NaN")) == "NaN"


def test_money_in_another_currency_is_named_by_its_code():
    with translation.override("pl"):
        assert money_format(Decimal("12"), "EUR") == f"12,00{NBSP}EUR"
    with translation.override("en"):
        assert money_format(Decimal("12"), "EUR") == f"EUR{NBSP}12.00"


def test_money_filters_need_no_load_and_escape():
    template = Template('{{ a|money }} {{ a|amount }} {{ b|money:"EUR" }}')
    with translation.override("pl"):
        text = template.render(Context({"a": Decimal("-1234.5"), "b": 3}))
    assert text == f"-1{NBSP}234,50{NBSP}zł -1{NBSP}234,50 3,00{NBSP}EUR"
    assert Template("{{ a|money }}").render(Context({"a": "<b>"})) == "&lt;b&gt;"


def test_language_can_be_forced_for_documents():
    with translation.override("en"):
        assert money_format(Decimal("1234.5"), language="pl", symbol=False) == \
            f"1{NBSP}234,50"


# --------------------------------------------------------------------------- dates

def test_one_date_and_time_format_per_language():
    moment = datetime(2026, 12, 3, 14, 5)
    with translation.override("pl"):
        assert formats.date_format(moment.date()) == "03.12.2026"
        assert formats.date_format(moment.date(), "SHORT_DATE_FORMAT") == "03.12.2026"
        assert formats.date_format(moment, "DATETIME_FORMAT") == "03.12.2026 14:05"
        assert formats.date_format(moment, "SHORT_DATETIME_FORMAT") == "03.12.2026 14:05"
    with translation.override("en"):
        assert formats.date_format(moment.date()) == "2026-12-03"
        assert formats.date_format(moment.date(), "SHORT_DATE_FORMAT") == "2026-12-03"
        assert formats.date_format(moment, "SHORT_DATETIME_FORMAT") == "2026-12-03 14:05"


@pytest.mark.parametrize("language", ["pl", "en"])
@pytest.mark.parametrize("typed", ["2026-12-03", "03.12.2026"])
def test_date_field_takes_iso_and_polish_form_and_renders_iso(language, typed):
    field = DateField()
    with translation.override(language):
        assert field.clean(typed) == date(2026, 12, 3)
        html = field.widget.render("d", date(2026, 12, 3))
    assert 'type="date"' in html and 'value="2026-12-03"' in html


# --------------------------------------------------------------------------- screens

def _client(language) -> Client:
    return Client(headers={"accept-language": language})


@pytest.fixture
def billed(customer, staff):
    """An invoice of 1 234,56 zł gross issued on 2 November 2026."""
    return services.invoice_issue(
        actor=staff, customer=customer, issue_date=date(2026, 11, 2),
        due_date=date(2026, 11, 16),
        lines=[{"name": "Internet", "quantity": Decimal("1"),
                "net_unit_price": Decimal("1003.71"), "vat_rate": "23"}])


@pytest.mark.parametrize("language,day,balance,row", [
    ("pl", "02.11.2026", "-1 234,56 zł", "1 234,56"),
    ("en", "2026-11-02", "PLN -1,234.56", "1,234.56"),
])
def test_card_history_shows_the_languages_date_and_money(staff, billed, language, day,
                                                         balance, row):
    client = _client(language)
    client.force_login(staff)
    response = client.get(reverse("finance:history", args=[billed.customer_id]))
    assert response.status_code == 200
    page = response.content.decode()
    assert day in page
    assert balance.replace(" ", NBSP) in page
    assert row.replace(" ", NBSP) in page
    assert "2026-11-02" not in page or language == "en"
    # Neither the other language's currency form nor a bare decimal point in Polish.
    assert ("PLN" not in page.replace("(PLN)", "")) if language == "pl" else ("zł" not in page)


def test_document_page_in_polish_has_no_iso_date_and_no_pln(staff, billed):
    client = _client("pl")
    client.force_login(staff)
    page = client.get(reverse("finance:document", args=[billed.pk])).content.decode()
    assert "02.11.2026" in page and "16.11.2026" in page
    assert "2026-11-02" not in page
    assert f"1{NBSP}234,56{NBSP}zł" in page
    assert "1234.56" not in page and "1234,56" not in page


# --------------------------------------------------------------------------- PDF

def _pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def test_invoice_pdf_is_polish_whatever_the_readers_language(billed):
    with translation.override("en"):
        text = _pdf_text(printing.document_pdf(billed))
    assert "data wystawienia: 02.11.2026" in text
    assert "Termin płatności: 16.11.2026" in text
    assert "Do zapłaty: 1 234,56 zł" in text
    assert "2026-11-02" not in text and "PLN" not in text


# --------------------------------------------------------------------------- date input

def _consent_post(client, customer, **data):
    return client.post(reverse("customers:consent_set", args=[customer.pk]),
                       {"kind": "marketing", "granted": "on", **data},
                       headers={"hx-request": "true"})


def test_polish_consent_form_keeps_its_date_when_refused(staff, customer):
    client = _client("pl")
    client.force_login(staff)
    response = _consent_post(client, customer, kind="no-such-kind", given_on="2026-12-03")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="given_on"' in page
    assert 'value="2026-12-03"' in page  # what <input type="date"> can show
    assert not Consent.objects.exists()


@pytest.mark.parametrize("typed", ["2026-12-03", "03.12.2026"])
def test_polish_consent_form_saves_iso_and_polish_dates(staff, customer, typed):
    client = _client("pl")
    client.force_login(staff)
    response = _consent_post(client, customer, given_on=typed)
    assert response.status_code == 200
    consent = Consent.objects.get()
    assert consent.given_on == date(2026, 12, 3)
    assert "03.12.2026" in response.content.decode()
