"""The JPK_V7M(3) file of a month: built from the ledger only, valid against the official
XSD, its control sums equal to the ledger's, corrections in their own month."""

from datetime import date, datetime
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import xmlschema
from django.core.exceptions import ValidationError
from lxml import etree

from accounting import jpk
from accounting.models import JpkFiling
from accounting.purchases import purchase_create
from accounting.tests.fixtures_jpk import jpk_correction, jpk_invoice, jpk_line
from core.actionlog import ActionLog
from core.document_hooks import _KSEF_REFERENCE, register_ksef_reference
from core.services import tenant_setting_set
from core.tenancy import tenant_context

D = Decimal
NS = {"j": jpk.NS}
MARCH = date(2026, 3, 10)


@pytest.fixture(scope="module")
def schema():
    # An independent validator beside jpk.validate (lxml): xmlschema.
    return xmlschema.XMLSchema(str(jpk.xsd_path()))


def build(staff, schema, year=2026, month=3):
    filing = jpk.jpk_filing_create(actor=staff, year=year, month=month)
    schema.validate(filing.xml.encode())
    return filing, etree.fromstring(filing.xml.encode())


def texts(root, path):
    return [e.text for e in root.iterfind(path, NS)]


def test_invoices_of_a_month_make_a_valid_file_with_the_ledgers_vat(
        jpk_tenant, staff, company, customer, schema):
    jpk_invoice(staff, company, [jpk_line("100.00"), jpk_line("50.00", "8"),
                                 jpk_line("20.00", "zw", gtu="GTU_12")], MARCH)
    jpk_invoice(staff, customer, [jpk_line("33.33"), jpk_line("33.33")], MARCH)

    filing, root = build(staff, schema)

    assert texts(root, "j:Naglowek/j:CelZlozenia") == ["1"]
    assert texts(root, "j:Naglowek/j:KodUrzedu") == ["1008"]
    assert texts(root, "j:Podmiot1/j:OsobaNiefizyczna/j:NIP") == ["5260001246"]
    rows = root.findall("j:Ewidencja/j:SprzedazWiersz", NS)
    assert len(rows) == 2
    assert rows[0].findtext("j:NrKontrahenta", namespaces=NS) == "5260250274"
    assert rows[0].findtext("j:GTU_12", namespaces=NS) == "1"
    assert rows[0].findtext("j:BFK", namespaces=NS) == "1"  # no KSeF app answered
    assert [rows[0].findtext(k, namespaces=NS) for k in ("j:K_10", "j:K_17", "j:K_18",
                                                          "j:K_19", "j:K_20")] == \
        ["20.00", "50.00", "4.00", "100.00", "23.00"]
    # The consumer has no NIP: "brak"; VAT on 66.66 rounded once: 15.33 (not 2 × 7.67).
    assert rows[1].findtext("j:NrKontrahenta", namespaces=NS) == "brak"
    assert rows[1].findtext("j:K_20", namespaces=NS) == "15.33"
    assert texts(root, "j:Ewidencja/j:SprzedazCtrl/j:PodatekNalezny") == ["42.33"]
    assert filing.output_vat == D("42.33") and filing.sales_rows == 2
    p = {e.tag.split("}")[1]: int(e.text)
         for e in root.find("j:Deklaracja/j:PozycjeSzczegolowe", NS)}
    assert p["P_10"] == 20 and p["P_17"] == 50 and p["P_18"] == 4
    assert p["P_19"] == 167 and p["P_20"] == 38  # 166.66 → 167, 38.33 → 38
    assert p["P_37"] == 237 and p["P_38"] == 42 and p["P_51"] == 42
    assert ActionLog.objects.filter(kind="jpk.build").count() == 1


def test_half_a_zloty_rounds_up_in_the_declaration(jpk_tenant, staff, company, schema):
    jpk_invoice(staff, company, [jpk_line("10.50", "0")], MARCH)
    _filing, root = build(staff, schema)
    assert texts(root, "j:Deklaracja/j:PozycjeSzczegolowe/j:P_13") == ["11"]


def test_month_boundary_follows_the_local_date(jpk_tenant, staff, company, schema):
    warsaw = ZoneInfo("Europe/Warsaw")
    # 23:59 on 31 March in Warsaw is 21:59 UTC; half a minute after midnight on 1 April
    # is still 31 March in UTC: the local date decides the month.
    with mock.patch("django.utils.timezone.now",
                    return_value=datetime(2026, 3, 31, 23, 59, tzinfo=warsaw)):
        last_of_march = jpk_invoice(staff, company, [jpk_line("10.00")], None)
    with mock.patch("django.utils.timezone.now",
                    return_value=datetime(2026, 4, 1, 0, 0, 30, tzinfo=warsaw)):
        first_of_april = jpk_invoice(staff, company, [jpk_line("20.00")], None)

    _filing, march = build(staff, schema, 2026, 3)
    _filing, april = build(staff, schema, 2026, 4)

    assert texts(march, "j:Ewidencja/j:SprzedazWiersz/j:DowodSprzedazy") == \
        [last_of_march.number]
    assert texts(april, "j:Ewidencja/j:SprzedazWiersz/j:DowodSprzedazy") == \
        [first_of_april.number]


def test_correction_of_an_earlier_month_goes_in_its_own_month(jpk_tenant, staff, company,
                                                              schema):
    invoice = jpk_invoice(staff, company, [jpk_line("100.00"), jpk_line("10.00", "8")],
                          date(2026, 2, 27))
    correction = jpk_correction(staff, invoice, [jpk_line("80.00"), jpk_line("10.00", "8")],
                                MARCH)

    _filing, february = build(staff, schema, 2026, 2)
    _filing, march = build(staff, schema, 2026, 3)

    assert texts(february, "j:Ewidencja/j:SprzedazWiersz/j:DowodSprzedazy") == [invoice.number]
    [row] = march.findall("j:Ewidencja/j:SprzedazWiersz", NS)
    assert row.findtext("j:DowodSprzedazy", namespaces=NS) == correction.number
    # Only what changed: the 23% line, down by 20.00 net and 4.60 VAT; no 8% fields.
    assert row.findtext("j:K_19", namespaces=NS) == "-20.00"
    assert row.findtext("j:K_20", namespaces=NS) == "-4.60"
    assert row.find("j:K_17", NS) is None
    assert texts(march, "j:Ewidencja/j:SprzedazCtrl/j:PodatekNalezny") == ["-4.60"]
    assert correction.credit == D("24.60")
    p = march.find("j:Deklaracja/j:PozycjeSzczegolowe", NS)
    assert p.findtext("j:P_38", namespaces=NS) == "-5"
    assert p.findtext("j:P_51", namespaces=NS) == "0"


def test_second_correction_is_measured_against_the_first(jpk_tenant, staff, company, schema):
    invoice = jpk_invoice(staff, company, [jpk_line("100.00")], MARCH)
    jpk_correction(staff, invoice, [jpk_line("150.00")], MARCH)
    jpk_correction(staff, invoice, [], MARCH)  # to zero

    filing, root = build(staff, schema)

    assert texts(root, "j:Ewidencja/j:SprzedazWiersz/j:K_19") == ["100.00", "50.00",
                                                                 "-150.00"]
    assert filing.output_vat == D("0.00")


def test_data_only_correction_is_not_a_row(jpk_tenant, staff, company, schema):
    invoice = jpk_invoice(staff, company, [jpk_line("100.00")], MARCH)
    jpk_correction(staff, invoice, [jpk_line("100.00", name="Internet 1 Gb/s")], MARCH)
    filing, _root = build(staff, schema)
    assert filing.sales_rows == 1


def test_another_tenants_documents_are_never_included(jpk_tenant, staff, company, schema,
                                                      other_tenant, other_staff):
    from customers.services import customer_create

    jpk_invoice(staff, company, [jpk_line("100.00")], MARCH)
    with tenant_context(other_tenant):
        stranger = customer_create(actor=other_staff, first_name="Obcy", last_name="Beta",
                                   pesel="44051401458", status="connected")
        jpk_invoice(other_staff, stranger, [jpk_line("999.00")], MARCH)

    filing, root = build(staff, schema)

    assert filing.sales_rows == 1 and filing.output_vat == D("23.00")
    assert b"Beta" not in filing.xml.encode()


def test_ksef_number_or_marker_from_the_hook(jpk_tenant, staff, company, schema):
    sent = jpk_invoice(staff, company, [jpk_line("100.00")], MARCH)
    offline = jpk_invoice(staff, company, [jpk_line("50.00")], MARCH)
    number = "5260001246-20260310-0100A0B0C0D0-1F"
    saved = list(_KSEF_REFERENCE)
    register_ksef_reference(lambda ids: {sent.pk: number, offline.pk: "OFF"})
    try:
        _filing, root = build(staff, schema)
    finally:
        _KSEF_REFERENCE[:] = saved
    rows = root.findall("j:Ewidencja/j:SprzedazWiersz", NS)
    assert rows[0].findtext("j:NrKSeF", namespaces=NS) == number
    assert rows[1].findtext("j:OFF", namespaces=NS) == "1"
    assert rows[1].find("j:NrKSeF", NS) is None


def test_purchases_fill_input_vat_and_carry_the_excess(jpk_tenant, staff, company, schema):
    jpk_invoice(staff, company, [jpk_line("100.00")], MARCH)
    purchase_create(actor=staff, supplier_name="Hurt Sieci Sp. z o.o.",
                    supplier_nip="5260250274", number="FV/1/03/2026",
                    issue_date=date(2026, 3, 2), receipt_date=date(2026, 3, 3),
                    period=date(2026, 3, 1), category="fixed_asset", net="1000.00",
                    vat_rate="23")
    purchase_create(actor=staff, supplier_name="Biuro", supplier_nip="7740001454",
                    number="12/2026", issue_date=date(2026, 3, 5), receipt_date=None,
                    period=date(2026, 3, 1), category="other", net="10.00", vat="2.30")

    filing, root = build(staff, schema)

    assert texts(root, "j:Ewidencja/j:ZakupCtrl/j:PodatekNaliczony") == ["232.30"]
    assert texts(root, "j:Ewidencja/j:ZakupWiersz/j:K_41") == ["230.00"]
    p = filing.declaration
    assert (p["P_38"], p["P_41"], p["P_43"], p["P_48"]) == (23, 230, 2, 232)
    assert p["P_51"] == 0 and p["P_53"] == 209 and p["P_62"] == 209

    april = jpk.jpk_filing_create(actor=staff, year=2026, month=4)
    assert april.declaration["P_39"] == 209 and april.declaration["P_53"] == 209


def test_second_build_is_a_correction_showing_the_difference(jpk_tenant, staff, company,
                                                             schema):
    from accounting.selectors_jpk import filing_difference

    jpk_invoice(staff, company, [jpk_line("100.00")], MARCH)
    first, _root = build(staff, schema)
    jpk_invoice(staff, company, [jpk_line("200.00")], date(2026, 3, 31))
    second, root = build(staff, schema)

    assert (first.purpose, second.purpose) == (1, 2)
    assert second.previous == first and second.sequence == 1
    assert texts(root, "j:Naglowek/j:CelZlozenia") == ["2"]
    # The correction holds the month's whole state, not only the new invoice.
    assert second.sales_rows == 2 and second.output_vat == D("69.00")
    changes = {c["field"]: (c["before"], c["after"]) for c in filing_difference(second)}
    assert changes["P_20"] == (23, 69) and changes["sales_rows"] == (1, 2)
    assert JpkFiling.objects.count() == 2


def test_missing_settings_are_named(in_tenant, staff, customer):
    with pytest.raises(ValidationError) as error:
        jpk.jpk_filing_create(actor=staff, year=2026, month=3)
    text = " ".join(error.value.messages)
    assert "tax office code" in text and "e-mail" in text and "NIP" in text


@pytest.mark.parametrize(("year", "month", "message"), [
    (2026, 1, "February 2026"), (2026, 13, "1 to 12"), (2099, 1, "not started")])
def test_months_outside_the_form_are_refused(jpk_tenant, staff, year, month, message):
    with pytest.raises(ValidationError, match=message):
        jpk.jpk_filing_create(actor=staff, year=year, month=month)


def test_a_file_the_schema_refuses_is_not_stored(jpk_tenant, staff, company):
    sent = jpk_invoice(staff, company, [jpk_line("100.00")], MARCH)
    saved = list(_KSEF_REFERENCE)
    register_ksef_reference(lambda ids: {sent.pk: "not-a-ksef-number"})
    try:
        with pytest.raises(ValidationError, match="schema"):
            jpk.jpk_filing_create(actor=staff, year=2026, month=3)
    finally:
        _KSEF_REFERENCE[:] = saved
    assert not JpkFiling.objects.exists()


def test_tax_office_code_outside_the_schemas_list_is_refused(jpk_tenant, staff):
    with pytest.raises(ValidationError, match="not the code of a tax office"):
        tenant_setting_set(actor=staff, key="accounting.tax_office_code", raw_value="0000")


def test_empty_month_is_a_valid_file(jpk_tenant, staff, schema):
    filing, root = build(staff, schema)
    assert filing.sales_rows == 0
    assert texts(root, "j:Ewidencja/j:SprzedazCtrl/j:LiczbaWierszySprzedazy") == ["0"]
    assert filing.declaration["P_51"] == 0
