"""KSeF e-invoice XML in the FA(3) structure (schema 1-0E), built from plain dataclasses.

KSeF = Krajowy System e-Faktur, the national e-invoicing system; FA(3) is the logical
structure of an invoice sent to it. This module only writes and validates the XML;
sending it to KSeF is a separate step.

Representation choices (the schema allows several):

* A correction (``kind="KOR"``) carries the *differences* as its lines: a line that lowers
  the quantity has a negative quantity, a price cut has a negative net unit price. The
  per-rate totals (P_13_x/P_14_x) and P_15 are the differences too, as FA(3) asks for
  corrections: given the invoice's whole state before and after (``Invoice.before`` and
  ``Invoice.after``), each is the after total less the before total of the rate, the VAT
  of each state rounded on that state's net total of the rate (``finance.money``) — so the
  VAT difference is the ledger's to the grosz, where VAT computed on the net difference
  can be a grosz away. Without the states, the totals are those of the difference lines.
  The before/after form of the lines (FaWiersz/StanPrzed) is not used.
* ``"0"`` is the domestic 0 % rate ("0 KR", P_13_6_1); intra-EU supply and export (0 WDT,
  0 EX) are not an ISP's business and are not offered.
* ``"zw"`` (exempt) goes to P_13_7 and needs the legal basis of the exemption
  (``Invoice.exemption_basis``, written to Adnotacje/Zwolnienie/P_19A).
* ``"np"`` (outside the scope of Polish VAT) is "np I", P_13_8: supply outside the country.
  Services to an EU taxable person under art. 100 ust. 1 pkt 4 of the VAT act are
  ``"np II"`` (P_13_9) and must be chosen explicitly.
* Amounts are PLN only: an invoice in a foreign currency needs the exchange rate and the
  VAT in PLN (P_14_xW), which these dataclasses do not carry yet.
"""

import functools
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal, NamedTuple

from lxml import etree

from finance.money import RateTotal, line_net, net_from_gross, round_grosz
from finance.money import vat_summary as money_vat_summary

NAMESPACE = "http://crd.gov.pl/wzor/2025/06/25/13775/"
SYSTEM_INFO = "Abonent"


class _Rate(NamedTuple):
    factor: Decimal  # VAT = round_grosz(net_total * factor)
    code: str  # P_12 value (TStawkaPodatku)
    net_field: str  # P_13_x
    vat_field: str | None  # P_14_x, only for rates that carry tax


# In FA(3) field order: Fa lists the per-rate totals in exactly this sequence.
RATES: dict[str, _Rate] = {
    "23": _Rate(Decimal("0.23"), "23", "P_13_1", "P_14_1"),
    "8": _Rate(Decimal("0.08"), "8", "P_13_2", "P_14_2"),
    "5": _Rate(Decimal("0.05"), "5", "P_13_3", "P_14_3"),
    "0": _Rate(Decimal("0"), "0 KR", "P_13_6_1", None),
    "zw": _Rate(Decimal("0"), "zw", "P_13_7", None),
    "np": _Rate(Decimal("0"), "np I", "P_13_8", None),
    "np II": _Rate(Decimal("0"), "np II", "P_13_9", None),
}

# ISO country code -> VAT prefix (TKodyKrajowUE): a buyer from these countries is identified
# by KodUE + NrVatUE. Greece is GR in an address but EL in a VAT number.
# fmt: off
EU_VAT_PREFIX = {code: code for code in (
    "AT", "BE", "BG", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "HR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PT", "RO", "SK", "SI", "ES", "SE", "XI",
)} | {"GR": "EL"}
# fmt: on
PAYMENT_TRANSFER = "6"  # TFormaPlatnosci: przelew


@dataclass(frozen=True)
class Party:
    """Seller (Podmiot1) or buyer (Podmiot2). A buyer with an empty ``nip`` is a private
    person and is marked BrakID ("no tax identifier")."""

    name: str
    nip: str
    address_line1: str
    address_line2: str
    country: str = "PL"
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class InvoiceLine:
    """One FaWiersz. ``vat_rate`` is a key of RATES; ``gtu`` is "GTU_01" … "GTU_13"."""

    name: str
    quantity: Decimal
    unit: str
    net_unit_price: Decimal
    vat_rate: str
    gtu: str | None = None
    # On an invoice computed from gross (finance.money): the line's gross value, printed
    # as P_9B/P_11A instead of P_9A/P_11; every line of such an invoice has one.
    gross: Decimal | None = None

    @property
    def net(self) -> Decimal:
        if not isinstance(self.quantity, Decimal):
            raise TypeError(f"quantity must be Decimal, not {type(self.quantity).__name__}")
        if self.gross is not None:
            return net_from_gross(self.gross, self.vat_rate)
        return line_net(self.quantity, self.net_unit_price)

    @property
    def gross_unit_price(self) -> Decimal:
        return round_grosz(self.gross / self.quantity) if self.quantity else self.gross


@dataclass(frozen=True)
class CorrectedInvoice:
    """The invoice a correction refers to; ``ksef_number`` is None when it never went
    through KSeF."""

    number: str
    issue_date: date
    ksef_number: str | None = None


@dataclass(frozen=True, kw_only=True)
class Invoice:
    """An invoice (``kind="VAT"``) or a correction (``kind="KOR"``, with ``corrected`` and
    ``correction_reason``; its lines are the differences, and ``before``/``after`` — every
    line of the invoice as it stood before the correction and as it stands after, unchanged
    ones too — give its per-rate totals). Keyword arguments only."""

    number: str
    issue_date: date
    sale_date: date
    place: str
    seller: Party
    buyer: Party
    lines: list[InvoiceLine]
    currency: str = "PLN"
    payment_due: date | None = None
    bank_account: str | None = None
    split_payment: bool = False
    kind: Literal["VAT", "KOR"] = "VAT"
    corrected: CorrectedInvoice | None = None
    correction_reason: str = ""
    exemption_basis: str = ""  # legal basis of a "zw" exemption (P_19A)
    before: list[InvoiceLine] | None = None
    after: list[InvoiceLine] | None = None

    @property
    def totals(self) -> dict[str, "RateTotal"]:
        """Per rate: an invoice's totals; a correction's differences — of the two states'
        totals when they are given (only the rates its lines change)."""
        if self.before is None or self.after is None:
            return vat_summary(self.lines)
        before, after = vat_summary(self.before), vat_summary(self.after)
        zero = RateTotal(Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
        changed = {line.vat_rate for line in self.lines}
        return {rate: RateTotal(*(a - b for a, b in zip(after.get(rate, zero),
                                                        before.get(rate, zero), strict=True)))
                for rate in RATES if rate in changed}


def vat_summary(lines: list[InvoiceLine]) -> dict[str, RateTotal]:
    """Net, VAT and gross per rate, in FA(3) field order (``finance.money.vat_summary``)."""
    for line in lines:
        if line.vat_rate not in RATES:
            raise ValueError(f"unknown VAT rate {line.vat_rate!r}; expected one of {list(RATES)}")
    return money_vat_summary((line.vat_rate, line.net, line.gross) for line in lines)


def invoice_xml(invoice: Invoice, *, created_at: datetime | None = None) -> bytes:
    """The FA(3) document for ``invoice`` as UTF-8 bytes. Raises ValueError for what the
    schema cannot catch (a correction without its reference or reason, an exempt line
    without the legal basis, a foreign currency); everything else is left to validate()."""
    _check(invoice)
    created_at = created_at or datetime.now(UTC)
    if created_at.tzinfo is None:
        raise ValueError("created_at must be timezone-aware")

    root = etree.Element(f"{{{NAMESPACE}}}Faktura", nsmap={None: NAMESPACE})
    header = _sub(root, "Naglowek")
    form = _sub(header, "KodFormularza", "FA")
    form.set("kodSystemowy", "FA (3)")
    form.set("wersjaSchemy", "1-0E")
    _sub(header, "WariantFormularza", "3")
    _sub(header, "DataWytworzeniaFa", created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    _sub(header, "SystemInfo", SYSTEM_INFO)

    _seller(root, invoice.seller)
    _buyer(root, invoice.buyer)
    _fa(root, invoice)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def xsd_path() -> Path:
    """fa3_local.xsd: the official FA(3) schema with its imports resolved from a local
    ``bazowe/`` folder, so validation never touches the network. Found beside the project
    (BASE_DIR/../shared/data/ksef), else at the KSEF_XSD environment variable."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        candidate = Path(settings.BASE_DIR).parent / "shared" / "data" / "ksef" / "fa3_local.xsd"
    except (ImproperlyConfigured, AttributeError):  # used outside Django: only the env var
        candidate = None
    if candidate is not None and candidate.is_file():
        return candidate
    if env := os.environ.get("KSEF_XSD"):
        return Path(env)
    raise FileNotFoundError("FA(3) schema not found; set KSEF_XSD to fa3_local.xsd")


def validate(xml: bytes) -> list[str]:
    """Schema errors of an FA(3) document, empty when it is valid."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        document = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    schema = _schema(str(xsd_path()))
    if schema.validate(document):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]


@functools.cache
def _schema(path: str) -> etree.XMLSchema:
    # Parsing the schema takes most of a second: do it once per process.
    return etree.XMLSchema(etree.parse(path))


def _check(invoice: Invoice) -> None:
    if invoice.currency != "PLN":
        raise ValueError("only PLN invoices are supported: FA(3) needs the VAT in PLN too")
    if invoice.kind == "KOR":
        if invoice.corrected is None:
            raise ValueError("a correction must reference the corrected invoice")
        if not invoice.correction_reason.strip():
            raise ValueError("a correction must state its reason")
    elif invoice.kind == "VAT":
        if invoice.corrected is not None:
            raise ValueError("only a correction (KOR) references a corrected invoice")
    else:
        raise ValueError(f"unknown invoice kind {invoice.kind!r}")
    if (invoice.before is None) != (invoice.after is None) or (
            invoice.before is not None and invoice.kind != "KOR"):
        raise ValueError("only a correction has the states before and after, and both")
    if invoice.before is not None:
        lines, before, after = (_nets(x) for x in (invoice.lines, invoice.before, invoice.after))
        for rate in RATES:
            if lines.get(rate, 0) != after.get(rate, 0) - before.get(rate, 0):
                raise ValueError(f"the lines at {rate!r} do not add up to the difference of "
                                 "the states before and after")
    if "zw" in invoice.totals and not invoice.exemption_basis.strip():
        raise ValueError("an exempt (zw) line needs Invoice.exemption_basis, e.g. the article")


def _nets(lines: list[InvoiceLine]) -> dict[str, Decimal]:
    return {rate: total.net for rate, total in vat_summary(lines).items()}


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _amount(value: Decimal) -> str:
    value = round_grosz(value)
    return f"{abs(value) if value == 0 else value:f}"  # never "-0.00"


def _plain(value: Decimal) -> str:
    return f"{value:f}"


def _nip(value: str) -> str:
    digits = value.replace("-", "").replace(" ", "").upper()
    return digits.removeprefix("PL")


def _address(parent: etree._Element, tag: str, party: Party) -> None:
    address = _sub(parent, tag)
    _sub(address, "KodKraju", party.country)
    _sub(address, "AdresL1", party.address_line1)
    if party.address_line2:
        _sub(address, "AdresL2", party.address_line2)


def _contact(parent: etree._Element, party: Party) -> None:
    if party.email or party.phone:
        contact = _sub(parent, "DaneKontaktowe")
        if party.email:
            _sub(contact, "Email", party.email)
        if party.phone:
            _sub(contact, "Telefon", party.phone)


def _seller(root: etree._Element, seller: Party) -> None:
    podmiot = _sub(root, "Podmiot1")
    ident = _sub(podmiot, "DaneIdentyfikacyjne")
    _sub(ident, "NIP", _nip(seller.nip))
    _sub(ident, "Nazwa", seller.name)
    _address(podmiot, "Adres", seller)
    _contact(podmiot, seller)


def _buyer(root: etree._Element, buyer: Party) -> None:
    podmiot = _sub(root, "Podmiot2")
    ident = _sub(podmiot, "DaneIdentyfikacyjne")
    tax_id = buyer.nip.strip()
    if not tax_id:
        _sub(ident, "BrakID", "1")  # a private person: no tax identifier on the invoice
    elif buyer.country == "PL":
        _sub(ident, "NIP", _nip(tax_id))
    elif prefix := EU_VAT_PREFIX.get(buyer.country):
        _sub(ident, "KodUE", prefix)
        _sub(ident, "NrVatUE", tax_id.replace(" ", "").upper().removeprefix(prefix))
    else:
        _sub(ident, "KodKraju", buyer.country)
        _sub(ident, "NrID", tax_id)
    _sub(ident, "Nazwa", buyer.name)
    _address(podmiot, "Adres", buyer)
    _contact(podmiot, buyer)
    _sub(podmiot, "JST", "2")  # not a subordinate unit of local government
    _sub(podmiot, "GV", "2")  # not a member of a VAT group


def _fa(root: etree._Element, invoice: Invoice) -> None:
    fa = _sub(root, "Fa")
    _sub(fa, "KodWaluty", invoice.currency)
    _sub(fa, "P_1", invoice.issue_date.isoformat())
    if invoice.place:
        _sub(fa, "P_1M", invoice.place)
    _sub(fa, "P_2", invoice.number)
    # The law asks for the sale date only when it differs from the issue date.
    if invoice.sale_date != invoice.issue_date:
        _sub(fa, "P_6", invoice.sale_date.isoformat())

    totals = invoice.totals
    for rate, total in totals.items():
        spec = RATES[rate]
        _sub(fa, spec.net_field, _amount(total.net))
        if spec.vat_field:
            _sub(fa, spec.vat_field, _amount(total.vat))
    _sub(fa, "P_15", _amount(sum((t.gross for t in totals.values()), Decimal("0.00"))))

    _annotations(fa, invoice)
    _sub(fa, "RodzajFaktury", invoice.kind)
    if invoice.kind == "KOR":
        _correction(fa, invoice)

    for number, line in enumerate(invoice.lines, start=1):
        row = _sub(fa, "FaWiersz")
        _sub(row, "NrWierszaFa", str(number))
        _sub(row, "P_7", line.name)
        _sub(row, "P_8A", line.unit)
        _sub(row, "P_8B", _plain(line.quantity))
        if line.gross is None:
            _sub(row, "P_9A", _plain(line.net_unit_price))
            _sub(row, "P_11", _amount(line.net))
        else:  # computed from gross (VAT act art. 106e ust. 7 and 8)
            _sub(row, "P_9B", _plain(line.gross_unit_price))
            _sub(row, "P_11A", _amount(line.gross))
        _sub(row, "P_12", RATES[line.vat_rate].code)
        if line.gtu:
            _sub(row, "GTU", line.gtu)

    _payment(fa, invoice)


def _annotations(fa: etree._Element, invoice: Invoice) -> None:
    """Adnotacje: every flag is mandatory; "1" means the remark applies, "2" it does not."""
    notes = _sub(fa, "Adnotacje")
    _sub(notes, "P_16", "2")  # metoda kasowa (cash accounting)
    _sub(notes, "P_17", "2")  # samofakturowanie (self-billing)
    _sub(notes, "P_18", "2")  # odwrotne obciążenie (reverse charge)
    _sub(notes, "P_18A", "1" if invoice.split_payment else "2")  # MPP, split payment
    exemption = _sub(notes, "Zwolnienie")
    if "zw" in invoice.totals:
        _sub(exemption, "P_19", "1")
        _sub(exemption, "P_19A", invoice.exemption_basis)
    else:
        _sub(exemption, "P_19N", "1")
    _sub(_sub(notes, "NoweSrodkiTransportu"), "P_22N", "1")  # no new means of transport
    _sub(notes, "P_23", "2")  # not a simplified triangular procedure
    _sub(_sub(notes, "PMarzy"), "P_PMarzyN", "1")  # not a margin scheme


def _correction(fa: etree._Element, invoice: Invoice) -> None:
    corrected = invoice.corrected
    _sub(fa, "PrzyczynaKorekty", invoice.correction_reason)
    reference = _sub(fa, "DaneFaKorygowanej")
    _sub(reference, "DataWystFaKorygowanej", corrected.issue_date.isoformat())
    _sub(reference, "NrFaKorygowanej", corrected.number)
    if corrected.ksef_number:
        _sub(reference, "NrKSeF", "1")
        _sub(reference, "NrKSeFFaKorygowanej", corrected.ksef_number)
    else:
        _sub(reference, "NrKSeFN", "1")  # the corrected invoice was issued outside KSeF


def _payment(fa: etree._Element, invoice: Invoice) -> None:
    if invoice.payment_due is None and not invoice.bank_account:
        return
    payment = _sub(fa, "Platnosc")
    if invoice.payment_due is not None:
        _sub(_sub(payment, "TerminPlatnosci"), "Termin", invoice.payment_due.isoformat())
    if invoice.bank_account:
        _sub(payment, "FormaPlatnosci", PAYMENT_TRANSFER)
        account = _sub(payment, "RachunekBankowy")
        _sub(account, "NrRB", invoice.bank_account.replace(" ", ""))
