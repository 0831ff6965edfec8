"""Finance documents on paper: invoices, corrections, KP/KW, notes, the payment slip and
the printed transaction history, all as PDFs through the documents engine.

The layouts in ``print_templates/`` are Polish legal documents (a VAT invoice is printed in
Polish whatever the operator's language), rendered by the engine's sandbox
(``documents.rendering.render_html``) from the plain dicts built here, and turned into A4
by ``documents.rendering.render_pdf``, which puts the barcode and the number in every
page's footer. Money reaches the templates as already formatted text: the figures are
those of the ledger (``finance.money``), never recomputed in a template.

"Druk wpłat" is the Polish bank transfer / cash deposit slip ("polecenie przelewu /
wpłata gotówkowa"); its QR code follows the Polish banks' 2D recommendation (ZBP, 2013):
``NIP|PL|account|amount in grosz|recipient|title|||``.
"""

import base64
from datetime import timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core.document_hooks import print_appendices, print_marks
from core.templatetags.money import money_format
from customers.models import Customer
from customers.validators import format_account
from documents import rendering

from .interest import working_day_on_or_after
from .models import (
    Allocation,
    CashPosition,
    CustomerAccount,
    FinanceDocument,
    InterestNoteItem,
    Kind,
)
from .money import VAT_RATES, round_grosz, vat_summary
from .selectors import correction_lines_before
from .seller import Buyer, Seller, buyer_get, document_parties, seller_get

LAYOUTS = Path(__file__).parent / "print_templates"
LANGUAGE = "pl"
ZERO = Decimal("0.00")
# Art. 106e ust. 1 pkt 18a of the VAT act: Annex 15 goods above this gross total.
SPLIT_PAYMENT_THRESHOLD = Decimal("15000.00")
QR_NAME_MAX, QR_TITLE_MAX = 20, 32


@cache
def _layout(name: str) -> str:
    return (LAYOUTS / name).read_text(encoding="utf-8")


def _render(layout: str, context: dict, *, number: str, code: str) -> bytes:
    with translation.override(LANGUAGE):
        html = rendering.render_html(_layout(f"{layout}.html"), context)
        return rendering.render_pdf(html_body=html, css=_layout("finance.css"), number=number,
                                    code=code)


def _barcode_code(number: str, fallback: str) -> str:
    """Code 128 carries ASCII only: the number itself when it is, else ``fallback``."""
    return number if number.isascii() and number.isprintable() and number else fallback


# --------------------------------------------------------------------------- formatting

def money_text(value: Decimal) -> str:
    """``1234.5`` → ``1 234,50`` (non-breaking spaces), as amounts are written in Poland:
    the one money format (``core.templatetags.money``), without the currency."""
    return money_format(round_grosz(value), language=LANGUAGE, symbol=False)


def quantity_text(value: Decimal) -> str:
    text = f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}".rstrip("0")
    return text.replace(".", ",")


def amount_in_words(value: Decimal) -> str:
    """"Słownie": ``1234.56`` → "tysiąc dwieście trzydzieści cztery złote pięćdziesiąt
    sześć groszy" (num2words picks the grammatical forms of złoty and grosz)."""
    from num2words import num2words

    words = num2words(round_grosz(abs(value)), lang="pl", to="currency", currency="PLN")
    return words.replace(",", "")


def account_text(account: str) -> str:
    return format_account(account) if account else ""


def vat_rate_text(rate: str) -> str:
    return f"{rate}%" if rate.isdigit() else rate


def _date(value) -> str:
    """``03.12.2026``: the Polish date format (config/formats/pl)."""
    if not value:
        return ""
    with translation.override(LANGUAGE):
        return date_format(value, "SHORT_DATE_FORMAT")


# --------------------------------------------------------------------------- parties

def _seller(seller: Seller | None = None) -> dict:
    """The seller as printed: ``seller`` (a document's snapshot), else as it is now."""
    seller = seller or seller_get()
    return {"name": seller.name, "nip": seller.nip, "regon": seller.regon,
            "street": seller.street, "city_line": seller.address_line2, "city": seller.city,
            "exemption_basis": seller.exemption_basis,
            "bank_account": account_text(seller.bank_account)}


def _buyer(customer: Customer | None = None, *, buyer: Buyer | None = None) -> dict:
    """The buyer as printed: ``buyer`` (a document's snapshot), else the customer as it is
    now, with the addresses prefetched (``_customer_get``): no query here."""
    buyer = buyer or buyer_get(customer)
    return {"number": buyer.number, "name": buyer.name, "address": buyer.address,
            "nip": buyer.nip, "pesel": buyer.pesel, "account": account_text(buyer.account)}


def _customer_get(pk) -> Customer:
    return Customer.objects.prefetch_related("addresses").get(pk=pk)


def _pay_to(buyer: dict, seller: dict) -> str:
    """Payments go to the customer's individual account, else to the tenant's own."""
    return buyer["account"] or seller["bank_account"]


# --------------------------------------------------------------------------- documents

def _lines(lines) -> list[dict]:
    rows = []
    for line in lines:
        # Computed from gross: the line's gross as billed, its VAT the difference.
        gross = line.gross if line.gross is not None \
            else line.net + round_grosz(line.net * VAT_RATES[line.vat_rate])
        rows.append({"position": line.position, "name": line.name, "gtu": line.gtu,
                     "quantity": quantity_text(line.quantity), "unit": line.unit,
                     "net_unit_price": money_text(line.net_unit_price),
                     "net": money_text(line.net), "vat_rate": vat_rate_text(line.vat_rate),
                     "vat": money_text(gross - line.net), "gross": money_text(gross)})
    return rows


def _summary(lines) -> tuple[list[dict], dict, dict]:
    """Per-rate rows (VAT on each rate's net total, as on the ledger), the totals as text
    and as Decimals."""
    summary = vat_summary((line.vat_rate, line.net, line.gross) for line in lines)
    rows = [{"rate": vat_rate_text(rate), "net": money_text(t.net), "vat": money_text(t.vat),
             "gross": money_text(t.gross)} for rate, t in summary.items()]
    totals = {key: sum((getattr(t, key) for t in summary.values()), ZERO)
              for key in ("net", "vat", "gross")}
    return rows, {k: money_text(v) for k, v in totals.items()}, totals


def _base(document: FinanceDocument) -> dict:
    """What every document prints of its parties: as they were when it was issued."""
    frozen_seller, frozen_buyer = document_parties(document)
    seller, buyer = _seller(frozen_seller), _buyer(buyer=frozen_buyer)
    return {
        "seller": seller, "buyer": buyer, "pay_to": _pay_to(buyer, seller),
        "document": {
            "number": document.number, "kind": str(Kind(document.kind).label),
            "issue_date": _date(document.issue_date), "due_date": _date(document.due_date),
            "title": document.title, "reason": document.reason,
            "amount": money_text(document.amount),
            "amount_words": amount_in_words(document.amount),
            "place": seller["city"],
        },
    }


def _marks(document) -> list:
    """What other apps print under the header (``core.document_hooks``), e.g. the KSeF
    KOD I / KOD II codes: HTML they escaped themselves, put in the page as it is."""
    return [mark_safe(html) for html in print_marks(document)]  # noqa: S308


def _appendices(document) -> list:
    """What other apps print after the document (``core.document_hooks``), e.g. an
    invoice's call list: HTML they escaped themselves."""
    return [mark_safe(html) for html in print_appendices(document)]  # noqa: S308


def _invoice_context(document, context) -> dict:
    lines = list(document.lines.all())
    rows, totals, raw = _summary(lines)
    context.update({
        "lines": _lines(lines), "summary": rows, "totals": totals,
        "total_words": amount_in_words(raw["gross"]),
        "split_payment": raw["gross"] > SPLIT_PAYMENT_THRESHOLD
        and any(line.annex15 for line in lines),
        "exempt": any(line.vat_rate == "zw" for line in lines),
        "corrected": [c.number for c in document.corrections.all()],
        "print_marks": _marks(document),
        "print_appendices": _appendices(document),
    })
    return context


def _amounts(lines) -> list:
    return [(line.position, line.quantity, line.net_unit_price, line.vat_rate)
            for line in lines]


def _correction_context(document, context) -> dict:
    invoice = document.corrects
    before, after = correction_lines_before(document), list(document.lines.all())
    before_rows, before_totals, before_raw = _summary(before)
    after_rows, after_totals, after_raw = _summary(after)
    differences = []
    by_position = {line.position: line for line in before}
    for line in after:
        old = by_position.pop(line.position, None)
        old_net = old.net if old else ZERO
        old_vat = round_grosz(old.net * VAT_RATES[old.vat_rate]) if old else ZERO
        vat = round_grosz(line.net * VAT_RATES[line.vat_rate])
        differences.append({
            "position": line.position, "name": line.name,
            "quantity": quantity_text(line.quantity - (old.quantity if old else 0)),
            "net": money_text(line.net - old_net), "vat": money_text(vat - old_vat),
            "gross": money_text(line.net + vat - old_net - old_vat)})
    for old in by_position.values():  # lines removed by the correction
        vat = round_grosz(old.net * VAT_RATES[old.vat_rate])
        differences.append({"position": old.position, "name": old.name,
                             "quantity": quantity_text(-old.quantity),
                             "net": money_text(-old.net), "vat": money_text(-vat),
                             "gross": money_text(-(old.net + vat))})
    change = document.debit - document.credit
    context.update({
        "invoice": {"number": invoice.number, "issue_date": _date(invoice.issue_date)},
        # Same amounts line by line: a correction of data (a name, the buyer) alone.
        "data_only": bool(after) and _amounts(before) == _amounts(after),
        "before": _lines(before), "before_summary": before_rows, "before_totals": before_totals,
        "after": _lines(after), "after_summary": after_rows, "after_totals": after_totals,
        "differences": differences,
        "difference": {"net": money_text(after_raw["net"] - before_raw["net"]) if after else "",
                       "vat": money_text(after_raw["vat"] - before_raw["vat"]) if after else "",
                       "gross": money_text(change)},
        "to_pay": change > 0, "to_refund": change < 0,
        "print_marks": _marks(document),
    })
    return context


def _cash_context(document, context) -> dict:
    # A KP lists its positions; a KP from before positions existed, its named invoices.
    positions = [{"name": p.name, "amount": money_text(p.amount)}
                 for p in document.cash_positions.all()]
    if not positions:
        positions = [{"name": a.receivable.number, "amount": money_text(a.amount)}
                     for a in document.allocations_out.all() if a.rule == "named"]
    if not positions:
        positions = [{"name": document.title or document.reason or "",
                      "amount": money_text(document.amount)}]
    context["positions"] = positions
    context["register"] = document.cash_register.name if document.cash_register else ""
    context["cash_in"] = document.kind == Kind.KP
    return context


def _transfer_context(document, context) -> dict:
    context.update({
        "bank_reference": document.bank_reference,
        "counterparty_account": account_text(document.counterparty_account)
        if len(document.counterparty_account) in (26, 28) else document.counterparty_account,
        "settles": [{"number": a.receivable.number, "amount": money_text(a.amount)}
                    for a in document.allocations_out.all()],
    })
    return context


def _interest_context(document, context) -> dict:
    items = list(document.items.all())
    # Interest charged by earlier notes on the same invoice ends where this item starts.
    charged = {}
    for before in (InterestNoteItem.objects
                   .filter(receivable__in=[i.receivable_id for i in items])
                   .exclude(note=document).values_list("receivable_id", "until")):
        charged.setdefault(before[0], []).append(before[1])
    rows = []
    for item in items:
        receivable = item.receivable
        start = working_day_on_or_after(receivable.due_date) + timedelta(days=1)
        earlier = [until for until in charged.get(item.receivable_id, ()) if until < item.until]
        if earlier:
            start = max(start, max(earlier) + timedelta(days=1))
        rows.append({"invoice": receivable.number, "principal": money_text(receivable.debit),
                     "due_date": _date(receivable.due_date), "since": _date(start),
                     "until": _date(item.until), "days": (item.until - start).days + 1,
                     "amount": money_text(item.amount)})
    context["items"] = rows
    return context


def _simple_context(document, context) -> dict:
    context["charge"] = document.debit > 0
    return context


LAYOUT_OF = {
    Kind.INVOICE: ("invoice", _invoice_context),
    Kind.CORRECTION: ("correction", _correction_context),
    Kind.KP: ("cash", _cash_context),
    Kind.KW: ("cash", _cash_context),
    Kind.BANK_TRANSFER: ("bank_transfer", _transfer_context),
    Kind.INTEREST_NOTE: ("interest_note", _interest_context),
    Kind.DEBIT_NOTE: ("debit_note", _simple_context),
    Kind.TECHNICAL: ("technical", _simple_context),
}


def _document_get(pk) -> FinanceDocument:
    return (FinanceDocument.objects
            .select_related("corrects", "cash_register")
            .prefetch_related(
                "lines",
                Prefetch("cash_positions", queryset=CashPosition.objects.order_by("position")),
                Prefetch("corrects__corrections",
                         queryset=FinanceDocument.objects.order_by("id")
                         .prefetch_related("lines")),
                "corrects__lines",
                Prefetch("corrections", queryset=FinanceDocument.objects.order_by("id")),
                Prefetch("allocations_out",
                         queryset=Allocation.objects.select_related("receivable")),
                Prefetch("items", queryset=InterestNoteItem.objects
                         .select_related("receivable").order_by("id")))
            .get(pk=pk))


def document_context(document: FinanceDocument) -> dict:
    """Everything the layout of ``document``'s kind prints, as plain dicts and text."""
    document = _document_get(document.pk)
    build = LAYOUT_OF[document.kind][1]
    with translation.override(LANGUAGE):
        return build(document, _base(document))


def document_pdf(document: FinanceDocument) -> bytes:
    """The PDF of any finance document; another tenant's is ``DoesNotExist``."""
    context = document_context(document)
    layout = LAYOUT_OF[document.kind][0]
    return _render(layout, context, number=document.number,
                   code=_barcode_code(document.number, f"FIN{document.pk:09d}"))


# --------------------------------------------------------------------------- payment slip

def qr_payload(*, nip: str, account: str, amount: Decimal, recipient: str, title: str) -> str:
    """The ZBP "2D" transfer code: ``NIP|PL|NRB|grosz (6 digits)|name (20)|title (32)|||``.

    The separator cannot appear inside a field, so it is taken out of names and titles.
    The amount field holds at most 999999 grosz: a larger amount is left empty for the
    payer to type (a 7-digit field is refused by banks' readers).
    """
    def clean(text, limit):
        return " ".join(text.replace("|", " ").split())[:limit].strip()

    nip = nip if len(nip) == 10 and nip.isdigit() else ""
    digits = "".join(c for c in account if c.isdigit())
    grosz = int(round_grosz(amount) * 100)
    amount_field = f"{grosz:06d}" if 0 <= grosz <= 999_999 else ""
    return "|".join([nip, "PL", digits, amount_field, clean(recipient, QR_NAME_MAX),
                     clean(title, QR_TITLE_MAX), "", "", ""])


def qr_data_url(payload: str) -> str:
    import segno

    svg = segno.make_qr(payload, error="m").svg_inline(scale=4, border=4)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def account_balance(customer: Customer) -> Decimal:
    """The cached balance (negative: the customer owes); zero before the first document."""
    balance = (CustomerAccount.objects.filter(customer=customer)
               .values_list("balance", flat=True).first())
    return balance if balance is not None else ZERO


def payment_slip_context(customer: Customer) -> dict:
    """The slip for what the customer owes; refused when the balance is not negative."""
    owed = -account_balance(customer)
    if owed <= 0:
        raise ValidationError(_("The customer owes nothing: there is no payment slip to print."))
    customer = _customer_get(customer.pk)
    seller, buyer = _seller(), _buyer(customer)
    pay_to = _pay_to(buyer, seller)
    if not pay_to:
        raise ValidationError(_("Neither the customer's individual account nor the tenant's "
                                "bank account is set: there is no account to pay to."))
    title = f"Nr klienta {customer.number}"
    payload = qr_payload(nip=seller["nip"], account=pay_to, amount=owed,
                         recipient=seller["name"], title=title)
    return {"seller": seller, "buyer": buyer, "account": pay_to,
            "account_digits": "".join(c for c in pay_to if c.isdigit()),
            "amount": money_text(owed), "amount_words": amount_in_words(owed),
            "title": title, "qr": qr_data_url(payload), "qr_payload": payload,
            "parts": ["odcinek dla banku / poczty", "odcinek dla zleceniodawcy"]}


def payment_slip_pdf(customer: Customer) -> bytes:
    """"Druk wpłat": two parts of the Polish transfer/deposit slip and the QR code."""
    context = payment_slip_context(customer)
    number = f"Druk wpłat – klient {customer.number}"
    return _render("payment_slip", context, number=number, code=f"K{customer.number}")


# --------------------------------------------------------------------------- history

def _balances_after(customer) -> dict[int, Decimal]:
    """The balance after each document of the whole ledger: a filtered print still shows
    the customer's real balance on each row (one query over two columns)."""
    balance, after = ZERO, {}
    for pk, debit, credit in (FinanceDocument.objects.filter(customer=customer)
                              .order_by("issue_date", "id").values_list("pk", "debit",
                                                                       "credit")):
        balance += credit - debit
        after[pk] = balance
    return after


def history_context(customer: Customer, documents, *, filters: str = "") -> dict:
    customer = _customer_get(customer.pk)
    after = _balances_after(customer)
    rows, debit, credit = [], ZERO, ZERO
    with translation.override(LANGUAGE):
        for document in documents:
            debit += document.debit
            credit += document.credit
            rows.append({"date": _date(document.issue_date),
                         "kind": str(Kind(document.kind).label), "number": document.number,
                         "title": document.title or document.reason,
                         "debit": money_text(document.debit) if document.debit else "",
                         "credit": money_text(document.credit) if document.credit else "",
                         "balance": money_text(after.get(document.pk, ZERO))})
        return {"seller": _seller(), "buyer": _buyer(customer), "rows": rows,
                "filters": filters,
                "totals": {"debit": money_text(debit), "credit": money_text(credit)},
                "balance": money_text(account_balance(customer)),
                "printed_on": _date(timezone.localdate())}


def history_pdf(customer: Customer, documents, *, filters: str = "") -> bytes:
    """The printed transaction history of ``documents`` with the customer's header."""
    context = history_context(customer, documents, filters=filters)
    return _render("history", context, number=f"Historia transakcji – klient {customer.number}",
                   code=f"K{customer.number}")
