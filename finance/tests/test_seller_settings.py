"""The seller's NIP, REGON and bank account are checked as the customers' are, and the demo
ISPs have complete, valid seller data, so every export of a demo invoice works."""

import io
import re
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from schwifty import IBAN
from stdnum.pl import nip, regon

from core.models import ActionLog, Tenant, TenantSetting
from core.services import tenant_setting_set
from core.tenancy import tenant_context
from customers.demo import DEMO_TENANTS
from finance import ksef
from finance.ksef_ledger import document_ksef_xml
from finance.models import FinanceDocument, Kind
from finance.printing import document_pdf
from finance.seller import seller_get

VALID_NRB = "61109010140000071219812874"


def stored(key):
    return TenantSetting.objects.filter(key=key).values_list("value", flat=True).first()


def refused(staff, key, value) -> str:
    with pytest.raises(ValidationError) as caught:
        tenant_setting_set(actor=staff, key=key, raw_value=value)
    assert stored(key) is None
    return " ".join(caught.value.message_dict["value"])


# --------------------------------------------------------------------------- NIP

@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(digits=st.from_regex(r"\d{10}", fullmatch=True))
def test_any_ten_digits_are_a_nip_only_when_the_checksum_holds(in_tenant, staff, digits):
    TenantSetting.objects.filter(key="finance.seller_nip").delete()
    if nip.is_valid(digits) and re.fullmatch(r"[1-9]((\d[1-9])|([1-9]\d))\d{7}", digits):
        tenant_setting_set(actor=staff, key="finance.seller_nip", raw_value=digits)
        assert stored("finance.seller_nip") == digits
    else:
        assert "is not a valid NIP" in refused(staff, "finance.seller_nip", digits)


@pytest.mark.parametrize("typed", ["526-025-09-95", "526 025 09 95", "PL5260250995",
                                   " 5260250995 ", "５２６０２５０９９５"])
def test_a_nip_typed_with_separators_or_the_country_prefix_is_stored_as_ten_digits(
        in_tenant, staff, typed):
    tenant_setting_set(actor=staff, key="finance.seller_nip", raw_value=typed)
    assert stored("finance.seller_nip") == "5260250995"


@pytest.mark.parametrize("typed", ["5260250996", "0000000000", "526025099", "52602509950",
                                   "DE5260250995", "526025099X", "5260250995 5260250995"])
def test_a_wrong_nip_is_refused_and_changes_nothing(in_tenant, staff, typed):
    assert "is not a valid NIP" in refused(staff, "finance.seller_nip", typed)
    assert not ActionLog.objects.filter(kind="setting.change").exists()


def test_an_empty_nip_falls_back_to_the_tenants_own(in_tenant, staff):
    tenant_setting_set(actor=staff, key="finance.seller_nip", raw_value="")
    assert seller_get().nip == in_tenant.nip


# --------------------------------------------------------------------------- REGON

@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(digits=st.from_regex(r"\d{9}|\d{14}", fullmatch=True))
def test_a_regon_is_accepted_only_with_its_checksum(in_tenant, staff, digits):
    TenantSetting.objects.filter(key="finance.seller_regon").delete()
    if regon.is_valid(digits):
        tenant_setting_set(actor=staff, key="finance.seller_regon", raw_value=digits)
        assert stored("finance.seller_regon") == digits
    else:
        assert "is not a valid REGON" in refused(staff, "finance.seller_regon", digits)


# --------------------------------------------------------------------------- account

@pytest.mark.parametrize("typed", [VALID_NRB, "PL" + VALID_NRB,
                                   "pl61 1090 1014 0000 0712 1981 2874",
                                   "61 1090 1014 0000 0712 1981 2874"])
def test_the_sellers_account_is_stored_as_its_nrb(in_tenant, staff, typed):
    tenant_setting_set(actor=staff, key="finance.seller_bank_account", raw_value=typed)
    assert stored("finance.seller_bank_account") == VALID_NRB


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(0, 25), digit=st.integers(1, 9))
def test_one_wrong_digit_in_the_account_is_refused(in_tenant, staff, position, digit):
    wrong = list(VALID_NRB)
    wrong[position] = str((int(wrong[position]) + digit) % 10)
    wrong = "".join(wrong)
    try:
        IBAN("PL" + wrong)
    except ValueError:
        pass
    else:  # pragma: no cover - a single changed digit always breaks mod 97
        pytest.fail(f"{wrong} passes the checksum")
    assert "is not a valid bank account" in refused(staff, "finance.seller_bank_account", wrong)


def test_a_foreign_iban_is_refused_for_the_sellers_account(in_tenant, staff):
    message = refused(staff, "finance.seller_bank_account", "DE89370400440532013000")
    assert "is not a Polish bank account" in message


# --------------------------------------------------------------------------- the page

def test_the_settings_page_shows_why_a_nip_is_refused_and_stores_nothing(staff_client,
                                                                      in_tenant):
    response = staff_client.post(reverse("tenant_settings"),
                                 {"key": "finance.seller_nip", "value": "1234567890"})
    assert response.status_code == 400
    assert "“1234567890” is not a valid NIP number." in response.content.decode()
    assert stored("finance.seller_nip") is None
    response = staff_client.post(reverse("tenant_settings"),
                                 {"key": "finance.seller_bank_account",
                                  "value": "61109010140000071219812875"})
    assert "is not a valid bank account number (IBAN)" in response.content.decode()
    assert stored("finance.seller_bank_account") is None
    response = staff_client.post(reverse("tenant_settings"),
                                 {"key": "finance.seller_nip", "value": "526-025-09-95"})
    assert response.status_code == 302 and stored("finance.seller_nip") == "5260250995"


# --------------------------------------------------------------------------- the demo

@pytest.mark.django_db
def test_every_demo_isp_has_valid_seller_data_and_its_invoices_export():
    call_command("load_demo", customers=12, stdout=StringIO())
    assert {tenant.slug for tenant in Tenant.objects.all()} >= {t.slug for t in DEMO_TENANTS}
    for spec in DEMO_TENANTS:
        tenant = Tenant.objects.get(slug=spec.slug)
        with tenant_context(tenant):
            seller = seller_get()
            assert nip.is_valid(seller.nip) and regon.is_valid(seller.regon)
            IBAN("PL" + seller.bank_account)  # raises on a bad checksum
            assert seller.street and seller.postal_code and seller.city
            invoices = FinanceDocument.objects.filter(kind=Kind.INVOICE).order_by("id")
            assert invoices.exists()
            for invoice in (invoices.first(), invoices.last()):
                assert invoice.parties["seller"]["nip"] == seller.nip
                xml = document_ksef_xml(invoice)  # validated against the XSD inside
                assert ksef.validate(xml) == []
                assert f"<NIP>{seller.nip}</NIP>".encode() in xml
                text = " ".join("\n".join(page.extract_text() for page in PdfReader(
                    io.BytesIO(document_pdf(invoice))).pages).split())
                assert seller.street in text and seller.address_line2 in text
                assert f"NIP: {seller.nip}" in text
