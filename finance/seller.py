"""The seller on the tenant's financial documents: one place for invoices (PDF), KSeF XML
and the EDI++ export.

The data come from the tenant settings ``finance.seller_*`` (registered in
``finance.apps``); an empty name or NIP falls back to the tenant's own.
"""

from dataclasses import dataclass

from core.tenancy import current_tenant
from core.tenant_settings import settings_list

from .ksef import Party


@dataclass(frozen=True)
class Seller:
    name: str
    nip: str
    street: str
    postal_code: str
    city: str
    exemption_basis: str
    bank_account: str = ""

    @property
    def address_line2(self) -> str:
        return f"{self.postal_code} {self.city}".strip()


def seller_get(tenant=None) -> Seller:
    """The active (or given) tenant's seller data, in one query."""
    tenant = tenant or current_tenant()
    values = {d.key: value for d, value, _changed in settings_list(tenant=tenant)}

    def get(key):
        return str(values.get(f"finance.{key}") or "").strip()

    return Seller(name=get("seller_name") or tenant.name, nip=get("seller_nip") or tenant.nip,
                  street=get("seller_street"), postal_code=get("seller_postal_code"),
                  city=get("seller_city"), exemption_basis=get("vat_exemption_basis"),
                  bank_account=get("seller_bank_account"))


def seller_party(tenant=None) -> Party:
    """The seller as a KSeF ``Party`` (Podmiot1)."""
    seller = seller_get(tenant)
    return Party(name=seller.name, nip=seller.nip, address_line1=seller.street,
                 address_line2=seller.address_line2)
