"""Invoices computed from gross: gross-priced tariffs keep their price with VAT to the grosz
(LMS's way, and most Polish ISPs'), through billing, corrections, print, KSeF and JPK."""

from datetime import date
from decimal import Decimal

import pytest
import xmlschema
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from accounting.registers import register_summary
from finance import billing, services
from finance.exports import document_totals
from finance.ksef import NAMESPACE, xsd_path
from finance.ksef_ledger import document_ksef_get, document_ksef_xml
from finance.models import FinanceDocument, InvoiceLine, Tariff
from finance.money import VAT_RATES, line_net, net_from_gross, round_grosz, vat_summary
from finance.printing import _lines
from finance.tests.test_exports import address_add, seller_set

D = Decimal
NS = {"fa": NAMESPACE}
TAXED = [rate for rate, factor in VAT_RATES.items() if factor]


def net_method_gross(gross: Decimal, rate: str) -> Decimal:
    """What the net method makes of a price quoted with VAT: its net rounded, then VAT."""
    net = round_grosz(gross / (1 + VAT_RATES[rate]))
    return vat_summary([(rate, net)])[rate].gross


# --------------------------------------------------------------------------- the rule

@given(grosze=st.integers(min_value=1, max_value=10_000_000), rate=st.sampled_from(TAXED))
def test_a_gross_amount_is_kept_to_the_grosz(grosze, rate):
    gross = D(grosze) / 100
    total = vat_summary([(rate, net_from_gross(gross, rate), gross)])[rate]
    assert total.gross == gross
    assert total.net + total.vat == gross
    assert total.vat == round_grosz(gross * VAT_RATES[rate] / (1 + VAT_RATES[rate]))


def test_some_gross_prices_no_net_price_reproduces():
    """Why the gross method exists: about one gross amount in five at 23 % has no net price
    in grosze that gives it back."""
    lost = [g for g in (D(n) / 100 for n in range(5000, 8000))
            if net_method_gross(g, "23") != g]
    assert D("0.10") < D(len(lost)) / 3000 < D("0.30")
    assert all(vat_summary([("23", net_from_gross(g, "23"), g)])["23"].gross == g
               for g in lost)


def test_one_line_without_gross_makes_the_invoice_net():
    mixed = vat_summary([("23", D("48.77"), D("59.99")), ("23", D("10.00"), None)])
    assert mixed["23"] == (D("58.77"), round_grosz(D("58.77") * D("0.23")),
                           D("58.77") + round_grosz(D("58.77") * D("0.23")))
    per_rate = vat_summary([("23", D("48.77"), D("59.99")), ("8", D("27.69"), D("29.90"))])
    assert (per_rate["23"].gross, per_rate["8"].gross) == (D("59.99"), D("29.90"))
    assert per_rate["8"].vat == D("2.21")  # 29.90 × 8/108 = 2.2148


# --------------------------------------------------------------------------- tariffs

def gross_tariff(staff, gross="59.99", rate="23", name="Internet brutto"):
    return billing.tariff_create(actor=staff, name=name, gross_price=D(gross), vat_rate=rate,
                                 download_kbps=100_000, upload_kbps=20_000)


def test_gross_tariff_keeps_its_net_part_and_validates(in_tenant, staff):
    tariff = gross_tariff(staff)
    assert (tariff.gross_price, tariff.net_price) == (D("59.99"), D("48.77"))
    for bad in ("0", "-1.00", "abc"):
        with pytest.raises(ValidationError) as error:
            billing.tariff_create(actor=staff, name=f"Zła {bad}", gross_price=bad,
                                  vat_rate="23")
        assert "gross_price" in error.value.message_dict
    with pytest.raises(ValidationError) as error:  # neither price
        billing.tariff_create(actor=staff, name="Bez ceny", vat_rate="23")
    assert "net_price" in error.value.message_dict
    # A net price typed later makes it a net-priced tariff again.
    billing.tariff_update(actor=staff, tariff=tariff, net_price=D("50.00"))
    tariff.refresh_from_db()
    assert (tariff.gross_price, tariff.net_price) == (None, D("50.00"))


def test_gross_below_net_is_refused_by_the_database(in_tenant, staff):
    tariff = gross_tariff(staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        Tariff.objects.filter(pk=tariff.pk).update(net_price=D("70.00"))


# --------------------------------------------------------------------------- billing

def month_invoice(staff, customer, day=date(2026, 3, 1)):
    billing.billing_run(run_date=day, actor=staff)
    return FinanceDocument.objects.get(customer=customer, kind="invoice")


@pytest.mark.parametrize(("gross", "discount", "expected"), [
    ("59.99", 0, "59.99"), ("50.01", 0, "50.01"), ("59.99", 10, "53.99"),
    ("79.00", 15, "67.15"), ("29.90", 0, "29.90"),
])
def test_billing_a_gross_tariff_invoices_its_gross_exactly(in_tenant, staff, customer, gross,
                                                           discount, expected):
    tariff = gross_tariff(staff, gross, "8" if gross == "29.90" else "23")
    billing.subscription_add(actor=staff, customer=customer, tariff=tariff,
                             start_date=date(2026, 3, 1), discount=discount)
    invoice = month_invoice(staff, customer)
    assert invoice.debit == D(expected)
    (only,) = invoice.lines.all()
    assert only.gross == D(expected)
    assert only.net == net_from_gross(D(expected), tariff.vat_rate)
    assert customer.finance_account.balance == -D(expected)


def test_gross_tariff_pro_rata_is_a_share_of_the_gross(in_tenant, staff, customer):
    tariff = gross_tariff(staff, "62.00")
    billing.subscription_add(actor=staff, customer=customer, tariff=tariff,
                             start_date=date(2026, 4, 16))  # 15 of April's 30 days
    invoice = month_invoice(staff, customer, date(2026, 4, 16))
    assert invoice.debit == D("31.00")


def test_a_net_tariff_beside_a_gross_one_joins_the_gross_method(in_tenant, staff, customer):
    billing.subscription_add(actor=staff, customer=customer, tariff=gross_tariff(staff),
                             start_date=date(2026, 3, 1))
    tv = billing.tariff_create(actor=staff, name="TV netto", net_price=D("24.31"),
                               vat_rate="23")
    billing.subscription_add(actor=staff, customer=customer, tariff=tv,
                             start_date=date(2026, 3, 1))
    invoice = month_invoice(staff, customer)
    grosses = sorted(line.gross for line in invoice.lines.all())
    assert grosses == [D("29.90"), D("59.99")]  # 24.31 × 1.23 = 29.9013
    assert invoice.debit == D("89.89")


def test_net_tariffs_still_bill_from_net(in_tenant, staff, customer):
    tariff = billing.tariff_create(actor=staff, name="Netto", net_price=D("48.78"),
                                   vat_rate="23")
    billing.subscription_add(actor=staff, customer=customer, tariff=tariff,
                             start_date=date(2026, 3, 1))
    invoice = month_invoice(staff, customer)
    assert invoice.lines.get().gross is None
    assert invoice.debit == vat_summary([("23", D("48.78"))])["23"].gross == D("60.00")


def test_schedule_shows_the_gross_of_a_gross_tariff(in_tenant, staff, customer):
    subscription = billing.subscription_add(actor=staff, customer=customer,
                                            tariff=gross_tariff(staff, "59.98"),
                                            start_date=date(2026, 3, 1), discount=0)
    entries = billing.schedule(subscription, date(2026, 5, 31))
    assert [e.gross for e in entries] == [D("59.98")] * 3


# --------------------------------------------------------------------------- documents

def gross_invoice(staff, customer, lines):
    return services.invoice_issue(
        actor=staff, customer=customer, issue_date=date(2026, 1, 10),
        due_date=date(2026, 1, 24),
        lines=[{"name": name, "quantity": D("1"), "vat_rate": rate, "gross": D(gross),
                "net_unit_price": net_from_gross(D(gross), rate)} for name, gross, rate in lines])


LINES = [("Internet 300 Mb/s", "59.99", "23"), ("Telewizja", "29.90", "8"),
         ("Router", "50.01", "23")]


def test_an_invoice_typed_with_gross_values_sums_them(in_tenant, staff, customer):
    invoice = gross_invoice(staff, customer, LINES)
    assert invoice.debit == D("139.90")
    rows = _lines(invoice.lines.order_by("position"))
    assert [r["gross"] for r in rows] == ["59,99", "29,90", "50,01"]
    totals = document_totals(invoice)
    assert (totals["23"].gross, totals["8"].gross) == (D("110.00"), D("29.90"))
    with pytest.raises(ValidationError) as error:
        services.invoice_issue(actor=staff, customer=customer, lines=[
            {"name": "a", "quantity": D("1"), "net_unit_price": D("10"), "vat_rate": "23",
             "gross": D("12.30")},
            {"name": "b", "quantity": D("1"), "net_unit_price": D("10"), "vat_rate": "23"}])
    assert "every line" in str(error.value)


def current_lines(invoice):
    return [{"name": line.name, "quantity": line.quantity,
             "net_unit_price": line.net_unit_price, "vat_rate": line.vat_rate}
            for line in invoice.lines.order_by("position")]


def test_correcting_one_line_of_a_gross_invoice_moves_only_that_line(in_tenant, staff,
                                                                      customer):
    invoice = gross_invoice(staff, customer, LINES)
    lines = current_lines(invoice)
    same, _warnings = services.correction_issue(actor=staff, invoice=invoice, lines=lines,
                                                reason="Zmiana adresu nabywcy")
    assert (same.debit, same.credit) == (0, 0)
    lines[2]["quantity"] = D("0")  # the router returned
    down, _warnings = services.correction_issue(actor=staff, invoice=invoice, lines=lines,
                                                reason="Zwrot routera")
    assert down.credit == D("50.01")
    assert sorted(line.gross for line in down.lines.all()) == [D("0.00"), D("29.90"),
                                                               D("59.99")]
    assert services.ledger_balance(customer) == -D("89.89")


def test_ksef_xml_of_a_gross_invoice_has_gross_lines_and_validates(in_tenant, staff,
                                                                   customer):
    seller_set(staff)
    address_add(staff, customer)
    invoice = gross_invoice(staff, customer, LINES)
    xml = document_ksef_xml(document_ksef_get(invoice.pk))
    xmlschema.XMLSchema(str(xsd_path())).validate(xml)
    fa = etree.fromstring(xml).find("fa:Fa", NS)
    rows = fa.findall("fa:FaWiersz", NS)
    assert [row.findtext("fa:P_11A", namespaces=NS) for row in rows] == \
        ["59.99", "29.90", "50.01"]
    assert [row.findtext("fa:P_9B", namespaces=NS) for row in rows] == \
        ["59.99", "29.90", "50.01"]
    assert all(row.find("fa:P_11", NS) is None and row.find("fa:P_9A", NS) is None
               for row in rows)
    # 110.00 gross at 23 %: VAT 20.57, net 89.43; 29.90 at 8 %: VAT 2.21, net 27.69.
    assert [fa.findtext(f"fa:{f}", namespaces=NS) for f in
            ("P_13_1", "P_14_1", "P_13_2", "P_14_2", "P_15")] == \
        ["89.43", "20.57", "27.69", "2.21", "139.90"]


def test_the_vat_register_sums_gross_invoices_from_gross(in_tenant, staff, customer):
    address_add(staff, customer)
    gross_invoice(staff, customer, LINES)
    summary = register_summary(month=date(2026, 1, 1))
    assert summary.totals["23"].gross == D("110.00")
    assert summary.totals["8"].gross == D("29.90")


def test_lines_of_a_gross_invoice_keep_a_net_that_adds_up(in_tenant, staff, customer):
    invoice = gross_invoice(staff, customer, LINES)
    for stored in InvoiceLine.objects.filter(document=invoice):
        assert stored.net + (stored.gross - stored.net) == stored.gross
        assert stored.net == net_from_gross(stored.gross, stored.vat_rate)
        assert line_net(stored.quantity, stored.net_unit_price) == stored.net


# --------------------------------------------------------------------------- API and page

def test_gross_tariff_through_the_api(api_client, in_tenant):
    created = api_client.post("/api/v1/tariffs/", {
        "name": "Światłowód brutto", "gross_price": "59.99", "vat_rate": "23"}, format="json")
    assert created.status_code == 201, created.json()
    tariff = created.json()
    assert (tariff["gross_price"], tariff["net_price"]) == ("59.99", "48.77")
    renamed = api_client.post(f"/api/v1/tariffs/{tariff['id']}/update/",
                              {"name": "Światłowód 300 brutto"}, format="json")
    assert renamed.json()["gross_price"] == "59.99"  # a rename keeps the gross price
    bad = api_client.post("/api/v1/tariffs/", {"name": "Zła", "gross_price": "0",
                                              "vat_rate": "23"}, format="json")
    assert bad.status_code == 400 and "gross_price" in bad.json()["errors"]


def test_gross_tariff_typed_on_the_page_and_listed(staff_client, in_tenant):
    from django.urls import reverse

    response = staff_client.post(reverse("finance:tariffs"), {
        "name": "Internet 59,99", "net_price": "", "gross_price": "59.99", "vat_rate": "23",
        "period": "monthly", "billing": "advance"}, follow=True)
    row = response.content.decode().split('id="tariff-')[1].split("</tr>")[0]
    assert "48.77" in row and "59.99" in row and "gross" in row
    assert Tariff.objects.get().gross_price == D("59.99")
