"""The demo ISP's accounting settings: a tax office and the taxpayer's contact, so that
*Finance → JPK_V7M* builds a file at once (``customers.demo`` calls it in each tenant)."""

from core.services import tenant_setting_set

# Pierwszy Mazowiecki Urząd Skarbowy w Warszawie: a code from the JPK schema's list.
DEMO_TAX_OFFICE = "1471"


def accounting_demo_build(*, admin, email: str = "ksiegowosc@example.pl") -> None:
    tenant_setting_set(actor=admin, key="accounting.tax_office_code", raw_value=DEMO_TAX_OFFICE)
    tenant_setting_set(actor=admin, key="accounting.taxpayer_email", raw_value=email)
