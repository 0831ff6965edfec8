"""A ledger invoice or correction as a KSeF FA(3) document (``finance.ksef``).

* Both parties as they were when the document was issued: the snapshot stored with it
  (``FinanceDocument.parties``, ``finance.seller.document_parties``), never the current
  data, so the XML of an issued document is the same bytes on every request.
* Seller (Podmiot1): the tenant settings ``finance.seller_*`` (``finance.seller``).
* Buyer (Podmiot2): the customer — identified by NIP when the customer has one (a company,
  or a person trading under a NIP), otherwise a private person (BrakID); the address is the
  residence (a company's seat), else the correspondence, else the installation address.
* Lines: the invoice's lines. A correction's lines in the ledger are the invoice *as it
  should be now*; FA(3) wants the differences, so every line that changed is written twice:
  as it was, with a negative quantity (storno), and as it is now. Unchanged lines are left
  out. "As it was" is the previous correction of the same invoice, else the invoice.
  The per-rate totals (P_13_x/P_14_x, P_15) are the totals of the whole invoice after less
  those before, each state's VAT rounded on its net total of the rate as the ledger rounds
  it — not VAT computed on the difference of the nets, which can be a grosz away — so P_15
  is the correction's amount on the ledger.
* Payment: the due date and the customer's individual account number, else the seller's
  account (``finance.seller_bank_account``), by transfer (przelew).
* Split payment (MPP): an Annex 15 line on an invoice above 15,000 PLN gross.

The XML is validated against the XSD before it is returned: what the schema refuses is a
``ValidationError`` with the reasons, never a broken file.
"""

from collections import Counter
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.pl import nip

from core.document_hooks import ksef_references

from . import ksef
from .models import FinanceDocument, Kind
from .selectors import correction_lines_before
from .seller import buyer_party, document_parties

SPLIT_PAYMENT_THRESHOLD = Decimal("15000.00")


def gtu_code(code: str) -> str | None:
    code = (code or "").strip().upper().removeprefix("GTU_").removeprefix("GTU")
    return f"GTU_{int(code):02d}" if code.isdigit() else None


def _line(line, *, storno: bool = False) -> ksef.InvoiceLine:
    return ksef.InvoiceLine(name=line.name, quantity=-line.quantity if storno else line.quantity,
                            unit=line.unit, net_unit_price=line.net_unit_price,
                            vat_rate=line.vat_rate, gtu=gtu_code(line.gtu),
                            gross=None if line.gross is None
                            else -line.gross if storno else line.gross)


def _key(line):
    return (line.name, line.unit, line.quantity, line.net_unit_price, line.vat_rate, line.gtu,
            line.gross)


def _unmatched(lines, others) -> list:
    """``lines`` without a twin in ``others`` (each twin used once)."""
    left = Counter(_key(line) for line in others)
    unmatched = []
    for line in lines:
        if left[_key(line)] > 0:
            left[_key(line)] -= 1
        else:
            unmatched.append(line)
    return unmatched


def correction_lines(correction: FinanceDocument) -> list[ksef.InvoiceLine]:
    """The differences as FA(3) lines: storno of each changed line, then its new form."""
    before = correction_lines_before(correction)
    after = list(correction.lines.all())
    removed, added = _unmatched(before, after), _unmatched(after, before)
    return [*(_line(line, storno=True) for line in removed), *(_line(line) for line in added)]


def _ksef_number(document_id: int) -> str | None:
    """The corrected invoice's KSeF number, None when it has none (issued outside KSeF,
    or offline and not yet accepted: the JPK markers are not KSeF numbers)."""
    reference = ksef_references([document_id]).get(document_id)
    return reference if reference and reference not in ("OFF", "BFK", "DI") else None


def document_ksef_invoice(document: FinanceDocument) -> ksef.Invoice:
    """The ``finance.ksef.Invoice`` of a ledger invoice or correction, with the parties as
    they were when it was issued (``FinanceDocument.parties``)."""
    if document.kind not in (Kind.INVOICE, Kind.CORRECTION):
        raise ValidationError(_("Only an invoice or a correction goes to KSeF."))
    seller, buyer = document_parties(document, customer=document.customer)
    problems = []
    if not seller.nip:
        problems.append(_("Enter the seller's NIP in the tenant settings."))
    elif not nip.is_valid(seller.nip):
        # The tenant's own NIP (the fallback of an empty setting) is not checked on entry.
        problems.append(_("The seller's NIP %(nip)s is not a valid NIP number: correct it in "
                          "the tenant settings.") % {"nip": seller.nip})
    if not seller.street or not seller.city:
        problems.append(_("Enter the seller's address in the tenant settings."))
    frozen_seller_incomplete = bool(problems) and bool(document.parties)
    if not buyer.street:
        problems.append(_("Customer %(c)s has no address.") % {"c": document.customer})
    if frozen_seller_incomplete:
        problems.append(_("%(n)s keeps the seller's data as they were when it was issued: "
                          "the settings, once complete, apply to the documents issued from "
                          "then on.") % {"n": document.number})
    lines = list(document.lines.all())
    states = {}
    if document.kind == Kind.INVOICE:
        fa_lines = [_line(line) for line in lines]
    else:
        fa_lines = correction_lines(document)
        states = {"before": [_line(line) for line in correction_lines_before(document)],
                  "after": [_line(line) for line in lines]}
    if not fa_lines:
        problems.append(_("Document %(n)s changes no invoice line: there is nothing to send "
                          "to KSeF.") % {"n": document.number})
    if any(line.vat_rate == "zw" for line in fa_lines) and not seller.exemption_basis:
        problems.append(_("The invoice has VAT-exempt lines: enter the legal basis of the "
                          "exemption in the tenant settings."))
    if problems:
        raise ValidationError(problems)
    invoice = document.corrects
    split = any(line.annex15 for line in lines) and \
        (document.debit or document.credit) > SPLIT_PAYMENT_THRESHOLD
    return ksef.Invoice(
        number=document.number, issue_date=document.issue_date, sale_date=document.issue_date,
        place=seller.city, seller=ksef.Party(name=seller.name, nip=seller.nip,
                                             address_line1=seller.street,
                                             address_line2=seller.address_line2),
        buyer=buyer_party(buyer), lines=fa_lines, payment_due=document.due_date,
        bank_account=buyer.account or seller.bank_account or None,
        split_payment=split,
        kind="VAT" if document.kind == Kind.INVOICE else "KOR",
        corrected=ksef.CorrectedInvoice(invoice.number, invoice.issue_date,
                                        _ksef_number(invoice.pk)) if invoice else None,
        correction_reason=document.reason, exemption_basis=seller.exemption_basis, **states)


def document_ksef_xml(document: FinanceDocument) -> bytes:
    """The FA(3) XML of an invoice or correction, valid against the XSD.

    Raises ``ValidationError`` with readable reasons when the data cannot make a valid
    document (no seller NIP, a customer without an address, a schema error)."""
    try:
        # DataWytworzeniaFa is the document's creation, not the moment of the request: the
        # XML of an issued document is the same bytes every time it is fetched.
        xml = ksef.invoice_xml(document_ksef_invoice(document), created_at=document.created_at)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    errors = ksef.validate(xml)
    if errors:
        raise ValidationError([_("The KSeF XML of %(n)s is not valid:") % {"n": document.number},
                               *errors])
    return xml


def document_ksef_get(pk) -> FinanceDocument:
    """An invoice or correction of the active tenant with what the XML needs; other kinds
    and other tenants' documents are DoesNotExist (404)."""
    return (FinanceDocument.objects.filter(kind__in=(Kind.INVOICE, Kind.CORRECTION))
            .select_related("customer", "corrects", "tenant")
            .prefetch_related("lines", "customer__addresses", "corrects__lines",
                              "corrects__corrections__lines")
            .get(pk=pk))
