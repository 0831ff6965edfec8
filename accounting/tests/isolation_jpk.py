"""Tenant A's jpk objects for the isolation walk, built through the jpk services: a
purchase invoice of "DostawcaAlfa" and the JPK_V7M file of a month with it."""

from datetime import date

from accounting import jpk, purchases
from core.services import tenant_setting_set


def build(objects: dict, *, tenant, staff, customer) -> None:
    for key, value in {"finance.seller_nip": "5260001246",
                       "accounting.tax_office_code": "1008",
                       "accounting.taxpayer_email": "jpk@siec-alfa.pl"}.items():
        tenant_setting_set(actor=staff, key=key, raw_value=value)
    objects["purchasedocument"] = purchases.purchase_create(
        actor=staff, supplier_name="DostawcaAlfa", supplier_nip="5260250274",
        number="FV/ZakupAlfa/1", issue_date=date(2026, 3, 2), receipt_date=None,
        period=date(2026, 3, 1), category="other", net="100.00", vat="23.00")
    objects["jpkfiling"] = jpk.jpk_filing_create(actor=staff, year=2026, month=3)
