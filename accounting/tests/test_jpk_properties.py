"""Hypothesis over random ledgers: the JPK always validates, and its control sums equal the
ledger's to the grosz.

Each example is a fresh tenant with invoices of mixed rates and quantities (zero lines
included) in February and March 2026 and corrections in March that lower, raise, zero or
leave unchanged the amounts. The oracle is kept beside the ledger in plain Python: each
invoice's current lines, its VAT per rate by ``finance.money.vat_summary``, and the
ledger's own debit and credit of every document.
"""

import itertools
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from accounting import jpk
from accounting.tests.fixtures_jpk import JPK_SETTINGS, jpk_correction, jpk_invoice
from conftest import make_staff
from core.models import Tenant
from core.services import tenant_setting_set
from core.tenancy import tenant_context
from customers.services import customer_create
from finance.money import VAT_RATES, line_net, vat_summary

NS = {"j": jpk.NS}
ZERO = Decimal("0.00")
_counter = itertools.count()

lines_st = st.lists(st.fixed_dictionaries({
    "name": st.sampled_from(["Internet", "Telewizja", "Router", "Instalacja"]),
    "quantity": st.decimals(min_value=0, max_value=50, places=3),
    "net_unit_price": st.decimals(min_value=0, max_value=5000, places=2),
    "vat_rate": st.sampled_from(list(VAT_RATES)),
    "gtu": st.sampled_from(["", "", "GTU_06", "GTU_12"]),
}), min_size=1, max_size=4)

invoice_st = st.fixed_dictionaries({
    "lines": lines_st,
    "day": st.integers(min_value=1, max_value=28),
    "february": st.booleans(),
    "corrections": st.lists(st.one_of(st.none(), lines_st), max_size=2),  # None: to zero
})


def _vat(lines) -> dict:
    return vat_summary((line["vat_rate"], line_net(line["quantity"], line["net_unit_price"]))
                       for line in lines)


def _difference(after: dict, before: dict) -> tuple[Decimal, bool]:
    """The VAT a correction adds, and whether it changed any rate's net or VAT."""
    vat = sum((t.vat for t in after.values()), ZERO) - \
        sum((t.vat for t in before.values()), ZERO)
    zero = (ZERO, ZERO, ZERO)
    changed = any(after.get(r, zero)[:2] != before.get(r, zero)[:2] for r in {*after, *before})
    return vat, changed


def _tenant():
    n = next(_counter)
    tenant = Tenant.objects.create(name=f"Sieć {n}", slug=f"jpk-prop-{n}")
    staff = make_staff(tenant, f"jpk{n}")
    with tenant_context(tenant):
        for key, value in JPK_SETTINGS.items():
            tenant_setting_set(actor=staff, key=key, raw_value=value)
        customer = customer_create(actor=staff, first_name="Jan", last_name="Kowalski",
                                   pesel="44051401458", status="connected")
    return tenant, staff, customer


def _ledger(staff, customer, invoices) -> tuple[int, Decimal, Decimal]:
    """Issue the invoices and corrections; return the March rows, output VAT and the
    ledger's debit − credit of March by the oracle."""
    rows, vat, balance = 0, ZERO, ZERO
    for spec in invoices:
        when = date(2026, 2 if spec["february"] else 3, spec["day"])
        try:
            invoice = jpk_invoice(staff, customer, spec["lines"], when)
        except ValidationError:  # a total of zero: not an invoice
            continue
        state = _vat(spec["lines"])
        if not spec["february"]:
            rows += 1
            vat += sum((t.vat for t in state.values()), ZERO)
            balance += invoice.debit
        for lines in spec["corrections"]:
            correction = jpk_correction(staff, invoice, lines or [], date(2026, 3, 28))
            after = _vat(lines or [])
            difference, changed = _difference(after, state)
            rows += changed
            vat += difference
            balance += correction.debit - correction.credit
            state = after
    return rows, vat, balance


@pytest.mark.django_db
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(invoices=st.lists(invoice_st, min_size=0, max_size=5))
def test_control_sums_equal_the_ledger_and_the_file_validates(invoices):
    tenant, staff, customer = _tenant()
    with tenant_context(tenant):
        rows, vat, balance = _ledger(staff, customer, invoices)
        preview = jpk.jpk_preview(year=2026, month=3)
        xml = jpk.jpk_xml(preview.register, purpose=preview.purpose, fields=preview.fields,
                          taxpayer=jpk.taxpayer_get())

    assert jpk.validate(xml) == []
    root = etree.fromstring(xml)
    control = root.find("j:Ewidencja/j:SprzedazCtrl", NS)
    assert int(control.findtext("j:LiczbaWierszySprzedazy", namespaces=NS)) == rows
    assert Decimal(control.findtext("j:PodatekNalezny", namespaces=NS)) == vat
    # Every row's nets (K_12 is "of which" K_11) and VAT add up to the ledger's amounts.
    gross = sum((Decimal(e.text) for e in root.iterfind("j:Ewidencja/j:SprzedazWiersz/*", NS)
                 if e.tag.split("}")[1].startswith("K_") and e.tag.split("}")[1] != "K_12"),
                ZERO)
    assert gross == balance
    declared = preview.fields
    assert declared["P_38"] == sum(declared.get(k, 0) for k in ("P_16", "P_18", "P_20"))
    assert abs(declared["P_38"] - vat) <= Decimal("1.5")  # whole złoty per field
