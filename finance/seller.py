"""The parties of the tenant's financial documents — the seller and the buyer — and the
snapshot of them that an issued document keeps.

The seller's data come from the tenant settings ``finance.seller_*`` (registered in
``finance.apps``, validated there with the customers' validators); an empty name or NIP
falls back to the tenant's own. The buyer is the customer.

An issued document must not change afterwards (a reprint of an old invoice after the
customer moved must show the old address), so the parties *as they were at issue* are
stored with the document (``FinanceDocument.parties``, written by ``party_snapshot`` when
the document enters the ledger, and in bulk by the billing run with
``party_snapshots``). The PDF, the KSeF XML and the EDI++ export read them back with
``document_parties``; only a document without a snapshot (a bank transfer booked by the
statement importer, which prints the bank's data) falls back to the current data.
"""

import re
from dataclasses import asdict, dataclass, fields

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.tenancy import current_tenant
from core.tenant_settings import settings_list
from customers.validators import clean_iban, clean_nip, clean_regon

from .ksef import Party

SNAPSHOT_VERSION = 1


@dataclass(frozen=True)
class Seller:
    name: str
    nip: str
    street: str
    postal_code: str
    city: str
    exemption_basis: str
    bank_account: str = ""
    regon: str = ""

    @property
    def address_line2(self) -> str:
        return f"{self.postal_code} {self.city}".strip()


@dataclass(frozen=True)
class Buyer:
    """The customer on a document. ``address`` is the printed line of the residence
    (else correspondence) address; ``street`` … ``country`` the structured main address
    of KSeF and EDI++ (residence, else correspondence, else installation)."""

    number: str
    name: str
    nip: str
    pesel: str
    account: str  # the customer's individual (virtual) account, "" if none
    address: str
    street: str
    postal_code: str
    city: str
    country: str = "PL"

    @property
    def address_line2(self) -> str:
        return f"{self.postal_code} {self.city}".strip()


def seller_get(tenant=None) -> Seller:
    """The active (or given) tenant's seller data as they are now, in one query."""
    tenant = tenant or current_tenant()
    values = {d.key: value for d, value, _changed in settings_list(tenant=tenant)}

    def get(key):
        return str(values.get(f"finance.{key}") or "").strip()

    return Seller(name=get("seller_name") or tenant.name, nip=get("seller_nip") or tenant.nip,
                  street=get("seller_street"), postal_code=get("seller_postal_code"),
                  city=get("seller_city"), exemption_basis=get("vat_exemption_basis"),
                  bank_account=get("seller_bank_account"), regon=get("seller_regon"))


def seller_party(tenant=None) -> Party:
    """The seller as a KSeF ``Party`` (Podmiot1)."""
    seller = seller_get(tenant)
    return Party(name=seller.name, nip=seller.nip, address_line1=seller.street,
                 address_line2=seller.address_line2)


def buyer_address(customer) -> tuple[str, str, str, str]:
    """(street and number, postal code, city, country) of the customer's main address,
    from ``customer.addresses.all()`` (prefetch it for many customers)."""
    by_kind = {a.kind: a for a in customer.addresses.all()}
    address = by_kind.get("residence") or by_kind.get("correspondence") or \
        by_kind.get("installation")
    if address is None:
        return "", "", "", "PL"
    number = address.building_no + (f"/{address.apartment_no}" if address.apartment_no else "")
    street = f"{address.street or address.city} {number}".strip()
    return street, address.postal_code, address.city, address.country or "PL"


def buyer_get(customer) -> Buyer:
    """The customer as a buyer now, from ``customer.addresses.all()`` (prefetched: no
    query here)."""
    by_kind = {}
    for address in customer.addresses.all():
        by_kind.setdefault(address.kind, address)
    printed = by_kind.get("residence") or by_kind.get("correspondence")
    street, postal_code, city, country = buyer_address(customer)
    return Buyer(number=str(customer.number), name=customer.display_name,
                 nip=customer.nip or "", pesel="" if customer.nip else (customer.pesel or ""),
                 account=customer.virtual_account or "",
                 address=str(printed) if printed is not None else "",
                 street=street, postal_code=postal_code, city=city, country=country)


def party_snapshot(*, customer, seller: Seller | None = None) -> dict:
    """The parties of a document issued now to ``customer``, as stored on it: the one
    function every path that issues documents calls (``finance.services.ledger_post``
    for the interactive services, ``party_snapshots`` for the billing run)."""
    seller = seller or seller_get()
    return {"version": SNAPSHOT_VERSION, "seller": asdict(seller),
            "buyer": asdict(buyer_get(customer))}


def party_snapshots(customer_ids) -> dict[int, dict]:
    """``party_snapshot`` of many customers at once (two queries: the customers with
    their addresses, the seller's settings), for set-based issuing."""
    from customers.models import Customer

    seller = seller_get()
    customers = Customer.objects.filter(pk__in=list(customer_ids)).prefetch_related("addresses")
    return {customer.pk: party_snapshot(customer=customer, seller=seller)
            for customer in customers}


def _from(cls, data: dict):
    names = {f.name for f in fields(cls)}
    return cls(**{key: value for key, value in data.items() if key in names})


def document_parties(document, *, customer=None) -> tuple[Seller, Buyer]:
    """The seller and buyer of ``document`` as they were when it was issued.

    ``customer`` (with its addresses prefetched) is read only for a document that has no
    snapshot; otherwise nothing is queried.
    """
    snapshot = document.parties
    if snapshot:
        return _from(Seller, snapshot["seller"]), _from(Buyer, snapshot["buyer"])
    if customer is None:
        from customers.models import Customer

        customer = Customer.objects.prefetch_related("addresses").get(pk=document.customer_id)
    return seller_get(), buyer_get(customer)


def buyer_party(buyer: Buyer) -> Party:
    """The buyer as a KSeF ``Party`` (Podmiot2)."""
    return Party(name=buyer.name, nip=buyer.nip, address_line1=buyer.street,
                 address_line2=buyer.address_line2, country=buyer.country)


# --------------------------------------------------------------------------- validation

def _polish_account(value: str) -> str:
    """The seller's account: a valid Polish IBAN (checked as the customers' accounts are),
    stored as its 26-digit NRB, the form every printout and export expects."""
    if not value:
        return ""
    iban = clean_iban(value)
    if not iban.startswith("PL"):
        raise ValidationError(_("“%(value)s” is not a Polish bank account; enter the 26 "
                                "digits of the NRB or PL and 26 digits.") % {"value": value},
                              code="invalid_iban")
    return iban[2:]


# TNIP of the FA(3) schema: a tax office code (first three digits) is never "000" nor
# starts with 0 — a NIP that passes the checksum but not this goes into no KSeF invoice.
_KSEF_NIP = re.compile(r"[1-9]((\d[1-9])|([1-9]\d))\d{7}", re.ASCII)


def seller_nip_clean(value: str) -> str:
    """A valid NIP (the customers' validator: checksum), as 10 ASCII digits that FA(3)
    accepts; "PL", spaces and dashes as people type them are dropped; empty: the tenant's
    NIP."""
    nip = clean_nip(value.upper().removeprefix("PL").strip()) if value else ""
    if nip and not _KSEF_NIP.fullmatch(nip):
        raise ValidationError(_("“%(value)s” is not a valid NIP number.") % {"value": value},
                              code="invalid_nip")
    return nip


def seller_regon_clean(value: str) -> str:
    return clean_regon(value) if value else ""


def seller_account_clean(value: str) -> str:
    return _polish_account(value)
