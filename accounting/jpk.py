"""JPK_V7M(3): the monthly VAT file — the declaration VAT-7 (Deklaracja) and the VAT
registers (Ewidencja) — built from the ledger and the purchase register only.

* Sales (SprzedazWiersz): every invoice and correction issued in the month
  (``selectors_jpk.sales_register``); a correction of an invoice from an earlier month
  goes in the correction's month with the differences it made. Amounts per rate are those
  ``finance.money.vat_summary`` gives the ledger, so the control sums equal the ledger's
  to the grosz. Buyer without a NIP (a consumer): NrKontrahenta "brak".
* KSeF: the KSeF number of each document, or the marker that stands for it (OFF: issued
  offline and not yet in KSeF, BFK: issued outside KSeF, DI: another document), from
  ``core.document_hooks.ksef_references``; a document no app knows is BFK.
* Rates → fields: 23% K_19/K_20, 8% K_17/K_18, 5% K_15/K_16, 0% K_13, exempt ("zw")
  K_10, outside the country ("np") K_11, and services of art. 100 ust. 1 pkt 4
  ("np II") K_11 with the same amount in K_12 ("w tym").
* Declaration (P_10…P_62): each P field is the register's column total rounded to whole
  złoty (Ordynacja podatkowa art. 63 § 1); P_37/P_38 the totals of those, P_39 the excess
  carried from the previous month's last file (its P_62), P_48 the input VAT, P_51 the tax
  to pay or P_53/P_62 the excess carried forward.
* A file for a month already filed is a correction (CelZlozenia 2) holding the month's
  whole corrected state, both parts — what the Ministry's rules ask of a corrected JPK.

The file is validated against the official XSD before it is stored: what the schema
refuses is a ``ValidationError``, never a broken file.
"""

import functools
import re
from dataclasses import dataclass
from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from lxml import etree
from stdnum.pl import nip as stdnum_nip

from core.actionlog import action_log, money
from core.document_hooks import ksef_references
from core.tenancy import current_tenant
from core.tenant_settings import setting_get
from finance.seller import seller_get

from . import selectors_jpk as selectors
from .models import JpkFiling, PurchaseDocument

NS = "http://crd.gov.pl/wzor/2025/12/19/14090/"
ZERO = Decimal("0.00")
FIRST_MONTH = (2026, 2)  # JPK_V7M(3) applies from the February 2026 settlement
MARKERS = ("OFF", "BFK", "DI")
SYSTEM_NAME = "Abonent"

# VAT rate of an invoice line → (net field, VAT field or None, "w tym" field or None).
RATE_FIELDS = {
    "zw": ("K_10", None, None),
    "np": ("K_11", None, None),
    "np II": ("K_11", None, "K_12"),
    "0": ("K_13", None, None),
    "5": ("K_15", "K_16", None),
    "8": ("K_17", "K_18", None),
    "23": ("K_19", "K_20", None),
}
SALE_FIELDS = ("K_10", "K_11", "K_12", "K_13", "K_14", "K_15", "K_16", "K_17", "K_18",
               "K_19", "K_20")
SALE_PAIRS = {"K_15": "K_16", "K_17": "K_18", "K_19": "K_20"}
OUTPUT_VAT_FIELDS = ("K_16", "K_18", "K_20")
# Purchase category → (net field or None, VAT field).
PURCHASE_FIELDS = {
    PurchaseDocument.Category.FIXED_ASSET: ("K_40", "K_41"),
    PurchaseDocument.Category.OTHER: ("K_42", "K_43"),
    PurchaseDocument.Category.FIXED_ASSET_ADJUSTMENT: (None, "K_44"),
    PurchaseDocument.Category.OTHER_ADJUSTMENT: (None, "K_45"),
    PurchaseDocument.Category.BAD_DEBT_89B1: (None, "K_46"),
    PurchaseDocument.Category.BAD_DEBT_89B4: (None, "K_47"),
}
PURCHASE_ORDER = ("K_40", "K_41", "K_42", "K_43", "K_44", "K_45", "K_46", "K_47")


@dataclass
class Register:
    """A month's registers: the rows of both sides, each as its K fields."""

    year: int
    month: int
    sales: list  # of (SaleRow, {K field: amount})
    purchases: list  # of (PurchaseDocument, {K field: amount})
    # Sales rows marked BFK because KSeF has not yet answered for them (see register_build).
    unresolved: int = 0

    @functools.cached_property
    def totals(self) -> dict[str, Decimal]:
        """Each K field's column total over its side's rows (one pass)."""
        totals: dict[str, Decimal] = {}
        for _row, fields in (*self.sales, *self.purchases):
            for key, value in fields.items():
                totals[key] = totals.get(key, ZERO) + value
        return totals

    @property
    def output_vat(self) -> Decimal:
        """PodatekNalezny: Σ K_16 + K_18 + K_20 over the rows."""
        return sum((self.totals.get(k, ZERO) for k in OUTPUT_VAT_FIELDS), ZERO)

    @property
    def input_vat(self) -> Decimal:
        """PodatekNaliczony: Σ K_41 + K_43 + K_44 … K_47 over the rows."""
        return sum((self.totals.get(k, ZERO) for k in PURCHASE_ORDER
                    if k not in ("K_40", "K_42")), ZERO)

    def total(self, key: str) -> Decimal:
        return self.totals.get(key, ZERO)


def sale_fields(rates: dict) -> dict[str, Decimal]:
    """The K fields of one sales row from its per-rate amounts."""
    fields: dict[str, Decimal] = {}
    for rate, total in rates.items():
        net_key, vat_key, of_which = RATE_FIELDS[rate]
        fields[net_key] = fields.get(net_key, ZERO) + total.net
        if of_which:
            fields[of_which] = fields.get(of_which, ZERO) + total.net
        if vat_key:
            fields[vat_key] = fields.get(vat_key, ZERO) + total.vat
    for net_key, vat_key in SALE_PAIRS.items():  # the schema wants both of a pair
        if net_key in fields or vat_key in fields:
            fields.setdefault(net_key, ZERO)
            fields.setdefault(vat_key, ZERO)
    return fields


def purchase_fields(document: PurchaseDocument) -> dict[str, Decimal]:
    net_key, vat_key = PURCHASE_FIELDS[document.category]
    fields = {vat_key: document.vat}
    if net_key:
        fields[net_key] = document.net
    return fields


def register_build(year: int, month: int) -> Register:
    """The active tenant's registers for the month, from the ledger and the purchase
    register, with each sales row's KSeF number or marker."""
    sales = selectors.sales_register(year, month)
    references = ksef_references(row.document_id for row in sales)
    unresolved = 0
    for row in sales:
        row.reference = references.get(row.document_id) or "BFK"
        # An answer that names some documents but not this one: it is still on its way
        # to KSeF (the ksef app leaves those out); BFK until it has its number.
        unresolved += bool(references) and row.document_id not in references
    purchases = selectors.purchase_register(year, month)
    return Register(year, month, [(row, sale_fields(row.rates)) for row in sales],
                    [(doc, purchase_fields(doc)) for doc in purchases], unresolved)


# ------------------------------------------------------------------------ declaration

def whole_zloty(amount: Decimal) -> int:
    """A declaration amount: half-up to whole złoty (Ordynacja podatkowa art. 63 § 1)."""
    return int(amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def declaration(register: Register, *, carried_over: int = 0) -> dict[str, int]:
    """The VAT-7 fields of the month (only those with a value, besides the required
    P_38 and P_51). ``carried_over``: P_39, the previous month's P_62."""
    p = {f"P_{k[2:]}": whole_zloty(register.total(k))
         for k in (*SALE_FIELDS, *PURCHASE_ORDER)}
    p = {key: value for key, value in p.items() if value}
    for net_key, vat_key in (("P_15", "P_16"), ("P_17", "P_18"), ("P_19", "P_20"),
                             ("P_40", "P_41"), ("P_42", "P_43")):
        if net_key in p or vat_key in p:
            p.setdefault(net_key, 0)
            p.setdefault(vat_key, 0)
    if "P_12" in p:
        p.setdefault("P_11", 0)
    p["P_37"] = sum(p.get(k, 0) for k in ("P_10", "P_11", "P_13", "P_15", "P_17", "P_19"))
    p["P_38"] = sum(p.get(k, 0) for k in ("P_16", "P_18", "P_20"))
    if carried_over:
        p["P_39"] = carried_over
    p["P_48"] = sum(p.get(k, 0) for k in ("P_39", "P_41", "P_43", "P_44", "P_45", "P_46",
                                           "P_47"))
    p["P_51"] = max(p["P_38"] - p["P_48"], 0)
    if p["P_51"] == 0 and p["P_48"] - p["P_38"] > 0:
        p["P_53"] = p["P_48"] - p["P_38"]
        p["P_62"] = p["P_53"]
    if not p["P_37"]:
        del p["P_37"]
    return p


P_ORDER = ("P_10", "P_11", "P_12", "P_13", "P_14", "P_15", "P_16", "P_17", "P_18", "P_19",
           "P_20", "P_37", "P_38", "P_39", "P_40", "P_41", "P_42", "P_43", "P_44", "P_45",
           "P_46", "P_47", "P_48", "P_51", "P_53", "P_62")


# ------------------------------------------------------------------------------- XML

@dataclass(frozen=True)
class Taxpayer:
    nip: str
    name: str
    email: str
    phone: str
    tax_office: str


def taxpayer_get(tenant=None) -> Taxpayer:
    """Podmiot1 and the tax office, from the seller and JPK tenant settings; what is
    missing is a ``ValidationError`` naming the setting."""
    tenant = tenant or current_tenant()
    seller = seller_get(tenant)
    office = str(setting_get("accounting.tax_office_code", tenant=tenant) or "").strip()
    email = str(setting_get("accounting.taxpayer_email", tenant=tenant) or "").strip()
    phone = str(setting_get("accounting.taxpayer_phone", tenant=tenant) or "").strip()
    problems = []
    if not stdnum_nip.is_valid(seller.nip or ""):
        problems.append(_("Enter the seller's valid NIP in the tenant settings."))
    if not office:
        problems.append(_("Enter the tax office code (kod urzędu skarbowego) in the tenant "
                          "settings."))
    if not email:
        problems.append(_("Enter the taxpayer's e-mail for the JPK in the tenant settings."))
    if problems:
        raise ValidationError(problems)
    return Taxpayer(stdnum_nip.compact(seller.nip), seller.name, email, phone, office)


# The file is written as text, not as an element tree: 100,000 rows of ten elements each
# are a million nodes, and lxml's tree costs seconds the text does not. Every value that
# comes from a person (names, numbers) passes through ``_text``; the result is parsed and
# validated against the XSD before anyone gets it.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value) -> str:
    """A value as XML character data: characters XML 1.0 cannot hold dropped, escaped."""
    return xml_escape(_NOT_XML.sub("", str(value)))


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _header(out: list, *, register: Register, purpose: int, taxpayer: Taxpayer,
            now) -> None:
    created = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out.append(
        "<Naglowek>"
        '<KodFormularza kodSystemowy="JPK_V7M (3)" wersjaSchemy="1-0E">JPK_VAT</KodFormularza>'
        f"<WariantFormularza>3</WariantFormularza>"
        f"<DataWytworzeniaJPK>{created}</DataWytworzeniaJPK>"
        f"<NazwaSystemu>{SYSTEM_NAME}</NazwaSystemu>"
        f'<CelZlozenia poz="P_7">{int(purpose)}</CelZlozenia>'
        f"<KodUrzedu>{_text(taxpayer.tax_office)}</KodUrzedu>"
        f"<Rok>{register.year}</Rok><Miesiac>{register.month}</Miesiac>"
        "</Naglowek>"
        '<Podmiot1 rola="Podatnik"><OsobaNiefizyczna>'
        f"<NIP>{_text(taxpayer.nip)}</NIP><PelnaNazwa>{_text(taxpayer.name[:240])}</PelnaNazwa>"
        f"<Email>{_text(taxpayer.email)}</Email>"
        + (f"<Telefon>{_text(taxpayer.phone[:16])}</Telefon>" if taxpayer.phone else "")
        + "</OsobaNiefizyczna></Podmiot1>")


def _declaration(out: list, fields: dict[str, int]) -> None:
    out.append(
        "<Deklaracja><Naglowek>"
        '<KodFormularzaDekl kodSystemowy="VAT-7 (23)" kodPodatku="VAT" rodzajZobowiazania="Z" '
        'wersjaSchemy="1-0E">VAT-7</KodFormularzaDekl>'
        "<WariantFormularzaDekl>23</WariantFormularzaDekl></Naglowek><PozycjeSzczegolowe>")
    out.extend(f"<{key}>{int(fields[key])}</{key}>" for key in P_ORDER if key in fields)
    out.append("</PozycjeSzczegolowe><Pouczenia>1</Pouczenia></Deklaracja>")


def _sale_row(number: int, row, fields: dict) -> str:
    parts = [f"<SprzedazWiersz><LpSprzedazy>{number}</LpSprzedazy>"]
    if row.buyer_nip and row.buyer_country not in ("", "PL"):
        parts.append(f"<KodKrajuNadaniaTIN>{_text(row.buyer_country)}</KodKrajuNadaniaTIN>")
    parts.append(f"<NrKontrahenta>{_text(row.buyer_nip or 'brak')}</NrKontrahenta>"
                 f"<NazwaKontrahenta>{_text((row.buyer_name or 'brak')[:512])}"
                 f"</NazwaKontrahenta><DowodSprzedazy>{_text(row.number)}</DowodSprzedazy>"
                 f"<DataWystawienia>{row.issue_date.isoformat()}</DataWystawienia>")
    if row.reference in MARKERS:
        parts.append(f"<{row.reference}>1</{row.reference}>")
    else:
        parts.append(f"<NrKSeF>{_text(row.reference)}</NrKSeF>")
    parts.extend(f"<{code}>1</{code}>" for code in row.gtu)
    parts.extend(f"<{key}>{fields[key]:.2f}</{key}>" for key in SALE_FIELDS if key in fields)
    parts.append("</SprzedazWiersz>")
    return "".join(parts)


def _purchase_row(number: int, document: PurchaseDocument, fields: dict) -> str:
    parts = [f"<ZakupWiersz><LpZakupu>{number}</LpZakupu>"
             f"<NrDostawcy>{_text(document.supplier_nip)}</NrDostawcy>"
             f"<NazwaDostawcy>{_text(document.supplier_name)}</NazwaDostawcy>"
             f"<DowodZakupu>{_text(document.number)}</DowodZakupu>"
             f"<DataZakupu>{document.issue_date.isoformat()}</DataZakupu>"]
    if document.receipt_date:
        parts.append(f"<DataWplywu>{document.receipt_date.isoformat()}</DataWplywu>")
    if document.ksef_number:
        parts.append(f"<NrKSeF>{_text(document.ksef_number)}</NrKSeF>")
    else:
        parts.append(f"<{document.ksef_marker}>1</{document.ksef_marker}>")
    if document.document_type:
        parts.append(f"<DokumentZakupu>{document.document_type}</DokumentZakupu>")
    parts.extend(f"<{key}>{fields[key]:.2f}</{key}>" for key in PURCHASE_ORDER
                 if key in fields)
    parts.append("</ZakupWiersz>")
    return "".join(parts)


def jpk_xml(register: Register, *, purpose: int, fields: dict[str, int],
            taxpayer: Taxpayer, now=None) -> bytes:
    """The JPK_V7M(3) document of ``register`` with the declaration ``fields``."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n', f'<JPK xmlns="{NS}">']
    _header(out, register=register, purpose=purpose, taxpayer=taxpayer,
            now=now or timezone.now())
    _declaration(out, fields)
    out.append("<Ewidencja>")
    out.extend(_sale_row(number, row, row_fields)
               for number, (row, row_fields) in enumerate(register.sales, start=1))
    out.append(f"<SprzedazCtrl><LiczbaWierszySprzedazy>{len(register.sales)}"
               f"</LiczbaWierszySprzedazy><PodatekNalezny>{_amount(register.output_vat)}"
               f"</PodatekNalezny></SprzedazCtrl>")
    out.extend(_purchase_row(number, document, row_fields)
               for number, (document, row_fields) in enumerate(register.purchases, start=1))
    out.append(f"<ZakupCtrl><LiczbaWierszyZakupow>{len(register.purchases)}"
               f"</LiczbaWierszyZakupow><PodatekNaliczony>{_amount(register.input_vat)}"
               f"</PodatekNaliczony></ZakupCtrl>")
    out.append("</Ewidencja></JPK>")
    return "".join(out).encode()


def xsd_path() -> Path:
    """The official JPK_V7M(3) schema with its imports beside it (BASE_DIR/../shared/
    data/jpk), else at the JPK_XSD environment variable."""
    import os

    candidate = Path(settings.BASE_DIR).parent / "shared" / "data" / "jpk" / "jpk_v7m" / \
        "jpk_v7m.xsd"
    if candidate.is_file():
        return candidate
    if env := os.environ.get("JPK_XSD"):
        return Path(env)
    raise FileNotFoundError("JPK_V7M(3) schema not found; set JPK_XSD to jpk_v7m.xsd")


@functools.cache
def _schema(path: str) -> etree.XMLSchema:
    # Parsing the schema takes a while: once per process.
    return etree.XMLSchema(etree.parse(path))


@functools.cache
def tax_offices() -> dict[str, str]:
    """Code → name of every tax office the schema knows (KodyUrzedowSkarbowych.xsd)."""
    xs = "{http://www.w3.org/2001/XMLSchema}"
    tree = etree.parse(str(xsd_path().with_name("KodyUrzedowSkarbowych.xsd")))
    return {item.get("value"): " ".join(item.findtext(f".//{xs}documentation", "").split())
            for item in tree.iter(f"{xs}enumeration")}


def validate(xml: bytes) -> list[str]:
    """Schema errors of a JPK_V7M(3) file, empty when it is valid."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        document = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    schema = _schema(str(xsd_path()))
    if schema.validate(document):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]


# --------------------------------------------------------------------------- services

@dataclass
class Preview:
    register: Register
    fields: dict[str, int]
    purpose: int
    last: JpkFiling | None


def _check_month(year: int, month: int) -> None:
    if not 1 <= month <= 12:
        raise ValidationError({"month": [_("Choose a month from 1 to 12.")]})
    if (year, month) < FIRST_MONTH:
        raise ValidationError({"month": [_("JPK_V7M(3) applies from February 2026; earlier "
                                           "months are filed on the previous form.")]})


def _carried_over(year: int, month: int) -> int:
    """P_39: the excess of input VAT the previous month's last file carried forward."""
    previous = (year, month - 1) if month > 1 else (year - 1, 12)
    last = selectors.filing_last(*previous)
    return int(last.declaration.get("P_62", 0)) if last else 0


def jpk_preview(*, year: int, month: int) -> Preview:
    """The month's registers and declaration as a file built now would hold them, and
    whether it would be the first filing or a correction. Writes nothing."""
    _check_month(year, month)
    register = register_build(year, month)
    last = selectors.filing_last(year, month)
    fields = declaration(register, carried_over=_carried_over(year, month))
    return Preview(register, fields, JpkFiling.Purpose.CORRECTION if last
                   else JpkFiling.Purpose.FIRST, last)


def _lock_month(year: int, month: int) -> None:
    """Two builds of the same tenant's month wait for each other, so the second becomes
    the correction of the first rather than a second "first filing". (SQLite, the
    embedded default of ``make run``, writes one transaction at a time anyway.)"""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                       [current_tenant().pk, 16_0000 + year * 100 + month])


def jpk_filing_create(*, actor, year: int, month: int) -> JpkFiling:
    """Build, validate and store the month's JPK_V7M(3) file: the first filing, or — when
    the month was filed — a correction (CelZlozenia 2) with the month's whole corrected
    state, linked to the file it corrects. Takes the month's advisory lock; logs it."""
    _check_month(year, month)
    start, _end = selectors.month_bounds(year, month)
    if start > timezone.localdate().replace(day=1):
        raise ValidationError({"month": [_("The month has not started yet.")]})
    taxpayer = taxpayer_get()
    try:
        with transaction.atomic(durable=True):
            _lock_month(year, month)
            preview = jpk_preview(year=year, month=month)
            xml = jpk_xml(preview.register, purpose=preview.purpose, fields=preview.fields,
                          taxpayer=taxpayer)
            if errors := validate(xml):
                raise ValidationError([_("The JPK file does not match the schema: %(e)s")
                                       % {"e": error} for error in errors[:10]])
            filing = JpkFiling.objects.create(
                year=year, month=month, purpose=preview.purpose,
                sequence=preview.last.sequence + 1 if preview.last else 0,
                previous=preview.last, xml=xml.decode(),
                sales_rows=len(preview.register.sales), output_vat=preview.register.output_vat,
                purchase_rows=len(preview.register.purchases),
                input_vat=preview.register.input_vat, declaration=preview.fields,
                created_by=actor)
            action_log(actor=actor, kind="jpk.build",
                       message=N_("JPK_V7M for %(period)s built (%(purpose)s): output VAT "
                                  "%(output)s, input VAT %(input)s"),
                       params={"period": f"{month:02d}/{year}",
                               "purpose": JpkFiling.Purpose(filing.purpose).label,
                               "output": money(filing.output_vat),
                               "input": money(filing.input_vat)})
    except IntegrityError:  # the lock makes this unreachable on PostgreSQL
        raise ValidationError(_("Another file for this month was built at the same "
                                "time: build again to make a correction.")) from None
    return filing
