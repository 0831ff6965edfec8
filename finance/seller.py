"""The parties of the tenant's financial documents — the seller and the buyer — and the
snapshot of them that an issued document keeps.

The seller's data come from the tenant settings ``finance.seller_*`` (registered in
``finance.apps``, validated there with the customers' validators); an empty name or NIP
falls back to the tenant's own. The buyer is the customer.

An issued document must not change afterwards (a reprint of an old invoice after the
customer moved must show the old address), so the parties *as they were at issue* are
stored with the document (``FinanceDocument.parties``, written by ``party_snapshot`` when
the document enters the ledger, and in bulk by the billing run and the bank statement
import with ``party_snapshots``; both build it with the one function ``buyer_snapshot``).
The PDF, the KSeF XML and the EDI++ export read them back with ``document_parties``.
Every path writes a snapshot; only a legacy row without one (none are left after
migration 0010 filled them) would fall back to the current data.
"""

from collections import defaultdict, namedtuple
from dataclasses import asdict, dataclass, fields

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.sql import column_any
from core.tenancy import current_tenant
from core.tenant_settings import settings_list
from customers.models import Address, Customer
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


def buyer_snapshot(customer, addresses) -> dict:
    """The buyer's part of a document's snapshot: the one rule of what a document keeps
    of its customer, for a single document and for the bulk paths alike. Reads nothing
    from the database.

    ``customer`` is a ``Customer`` or a row with its fields and ``display_name``;
    ``addresses`` are its addresses (models or rows with their fields and ``str()``) in
    the order of ``Address.Meta.ordering`` (kind, id). ``address`` is the printed line of
    the residence (else correspondence) address; ``street`` … ``country`` the structured
    main address of KSeF and EDI++ (residence, else correspondence, else the last
    installation address).
    """
    first, last = {}, {}
    for address in addresses:
        first.setdefault(address.kind, address)
        last[address.kind] = address
    printed = first.get("residence") or first.get("correspondence")
    main = last.get("residence") or last.get("correspondence") or last.get("installation")
    street = postal_code = city = ""
    country = "PL"
    if main is not None:
        number = main.building_no + (f"/{main.apartment_no}" if main.apartment_no else "")
        street = f"{main.street or main.city} {number}".strip()
        postal_code, city, country = main.postal_code, main.city, main.country or "PL"
    return {"number": str(customer.number), "name": customer.display_name,
            "nip": customer.nip or "", "pesel": "" if customer.nip else (customer.pesel or ""),
            "account": customer.virtual_account or "",
            "address": str(printed) if printed is not None else "",
            "street": street, "postal_code": postal_code, "city": city, "country": country}


def buyer_get(customer) -> Buyer:
    """The customer as a buyer now, from ``customer.addresses.all()`` (prefetched: no
    query here)."""
    return Buyer(**buyer_snapshot(customer, customer.addresses.all()))


def _snapshot(seller: dict, buyer: dict) -> dict:
    return {"version": SNAPSHOT_VERSION, "seller": seller, "buyer": buyer}


def party_snapshot(*, customer, seller: Seller | None = None) -> dict:
    """The parties of a document issued now to ``customer``, as stored on it
    (``finance.numbering.document_create`` for the interactive services);
    ``party_snapshots`` gives the same for many customers at once."""
    seller = seller or seller_get()
    return _snapshot(asdict(seller), buyer_snapshot(customer, customer.addresses.all()))


# Rows of the bulk snapshot: plain tuples that read the models' own rules
# (``Customer.display_name``, ``Address.__str__``), so ``buyer_snapshot`` sees the same
# values as from model instances without building one per row.
class _CustomerRow(namedtuple("_CustomerRow", ("id", "number", "kind", "company_name",
                                               "first_name", "last_name", "nip", "pesel",
                                               "virtual_account"))):
    __slots__ = ()
    Kind = Customer.Kind
    display_name = Customer.display_name


class _AddressRow(namedtuple("_AddressRow", ("customer_id", "kind", "street", "building_no",
                                             "apartment_no", "postal_code", "city",
                                             "country"))):
    __slots__ = ()
    __str__ = Address.__str__


def party_snapshots(customer_ids) -> dict[int, dict]:
    """``party_snapshot`` of many customers of the active tenant at once, for set-based
    issuing (the billing run, the bank statement import): three queries — the seller's
    settings, the customers, their addresses — and no model instance per row."""
    ids = list(customer_ids)
    if not ids:
        return {}
    seller = asdict(seller_get())
    addresses = defaultdict(list)
    for row in (Address.objects.filter(column_any(Address, "customer", ids, "bigint"))
                .order_by("customer_id", *Address._meta.ordering)
                .values_list(*_AddressRow._fields)):
        addresses[row[0]].append(_AddressRow._make(row))
    return {row[0]: _snapshot(dict(seller),
                              buyer_snapshot(_CustomerRow._make(row), addresses.get(row[0], ())))
            for row in (Customer.objects.filter(column_any(Customer, "id", ids, "bigint"))
                        .order_by()
                        .values_list(*_CustomerRow._fields))}


def _from(cls, data: dict):
    names = {f.name for f in fields(cls)}
    return cls(**{key: value for key, value in data.items() if key in names})


def document_parties(document, *, customer=None) -> tuple[Seller, Buyer]:
    """The seller and buyer of ``document`` as they were when it was issued.

    ``customer`` (with its addresses prefetched) is read only for a legacy document that
    has no snapshot (every path that writes documents stores one; migration 0010 filled
    the rows from before it); otherwise nothing is queried.
    """
    snapshot = document.parties
    if snapshot:
        return _from(Seller, snapshot["seller"]), _from(Buyer, snapshot["buyer"])
    if customer is None:
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


def seller_nip_clean(value: str) -> str:
    """The customers' NIP rule (checksum and the FA(3) shape); empty: the tenant's NIP."""
    return clean_nip(value.strip()) if value else ""


def seller_regon_clean(value: str) -> str:
    return clean_regon(value) if value else ""


def seller_account_clean(value: str) -> str:
    return _polish_account(value)
