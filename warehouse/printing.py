"""Warehouse documents on paper (PZ, WZ, ZW, MM, RW, INW) as PDFs through the documents
engine, as finance prints its own: the layout in ``templates/warehouse/print/`` is rendered
by the engine's sandbox from plain dicts built here, and turned into A4 by
``documents.rendering.render_pdf``, which puts the Code 128 of ``StockDocument.code``
(``MAG000000123``, read at the approval station) and the number in every page's footer.
Warehouse documents are Polish paperwork: printed in Polish whatever the reader's
language."""

from decimal import Decimal
from functools import cache
from pathlib import Path

from django.utils import translation
from django.utils.formats import date_format

from documents import rendering
from finance.money import round_grosz
from finance.printing import money_text, quantity_text
from finance.seller import buyer_get, seller_get

from .models import StockDocument, StockDocumentLine
from .selectors import document_get

LAYOUTS = Path(__file__).parent / "templates" / "warehouse" / "print"
LANGUAGE = "pl"
Kind = StockDocument.Kind

TITLES = {
    Kind.PZ: "Przyjęcie zewnętrzne PZ",
    Kind.WZ: "Wydanie zewnętrzne WZ",
    Kind.ZW: "Zwrot od klienta ZW",
    Kind.MM: "Przesunięcie międzymagazynowe MM",
    Kind.RW: "Rozchód wewnętrzny RW",
    Kind.INW: "Inwentaryzacja INW",
}
# (the warehouse's label, the left and the right signature)
ROLES = {
    Kind.PZ: ("Magazyn przyjmujący", "dostarczył", "przyjął"),
    Kind.WZ: ("Magazyn wydający", "wydał", "odebrał"),
    Kind.ZW: ("Magazyn przyjmujący", "zwrócił", "przyjął"),
    Kind.MM: ("Magazyn wydający", "wydał", "przyjął"),
    Kind.RW: ("Magazyn wydający", "wydał", "zatwierdził"),
    Kind.INW: ("Magazyn", "komisja inwentaryzacyjna", "zatwierdził"),
}
SETTLEMENTS = {"sale": "sprzedaż (faktura)", "lease": "dzierżawa", "deposit": "kaucja"}
RETURN_STATES = {"working": "sprawny", "faulty": "uszkodzony", "scrap": "do złomowania"}
PRICED = (Kind.PZ, Kind.WZ)
# A page holds about forty lines: a long PZ may take more pages than a contract does.
LINES_PER_PAGE = 40


@cache
def _layout(name: str) -> str:
    return (LAYOUTS / name).read_text(encoding="utf-8")


def _date(value) -> str:
    with translation.override(LANGUAGE):
        return date_format(value, "SHORT_DATE_FORMAT")


def _identity(line: StockDocumentLine) -> str:
    item = line.item
    if item is None:
        return ""
    return " / ".join(value for value in (item.mac, item.gpon_serial) if value)


def _line(position: int, line: StockDocumentLine) -> dict:
    value = round_grosz(line.quantity * line.unit_price)
    expected = line.expected if line.expected is not None else Decimal(0)
    return {"position": position, "name": line.product.name,
            "serial": line.item.serial if line.item_id else "", "identity": _identity(line),
            "quantity": quantity_text(line.quantity), "unit": line.product.unit,
            "state": RETURN_STATES.get(line.return_state, ""),
            "unit_price": money_text(line.unit_price), "value": money_text(value),
            "expected": quantity_text(expected),
            "difference": quantity_text(line.quantity - expected)}


def _customer(document: StockDocument) -> dict | None:
    if document.customer_id is None:
        return None
    buyer = buyer_get(document.customer)
    return {"name": buyer.name, "number": buyer.number, "address": buyer.address,
            "installation": str(document.address) if document.address_id else ""}


def _supplier(document: StockDocument) -> dict | None:
    supplier = document.supplier
    if supplier is None:
        return None
    return {"name": supplier.name, "address": supplier.address, "tax_id": supplier.tax_id,
            "document": document.supplier_document}


def _finance_number(document: StockDocument) -> str:
    if document.invoice_id:
        return document.invoice.number
    if document.subscription_id:
        return str(document.subscription.tariff.name)
    return ""


def _document(document: StockDocument, seller) -> dict:
    warehouse_label, left, right = ROLES[document.kind]
    creator = document.created_by
    return {
        "number": document.number, "title": TITLES[document.kind],
        "date": _date(document.issued_on), "place": seller.city,
        "warehouse": document.warehouse.name, "warehouse_label": warehouse_label,
        "target_warehouse": document.target_warehouse.name
        if document.target_warehouse_id else "",
        "issuer_label": "Wystawca",
        "customer_label": "Odbiorca" if document.kind == Kind.WZ else "Zwracający",
        "settlement": SETTLEMENTS.get(document.settlement, ""),
        "finance_number": _finance_number(document), "note": document.note,
        "created_by": (creator.get_full_name() or creator.get_username()) if creator else "",
        "left_signature": left, "right_signature": right,
    }


def document_context(document: StockDocument) -> dict:
    """Everything the layout prints of ``document``, as plain dicts and text."""
    document = document_get(pk=document.pk)
    seller = seller_get()
    lines = list(document.lines.all())
    priced = document.kind in PRICED
    context = {
        "seller": {"name": seller.name, "nip": seller.nip, "street": seller.street,
                   "city_line": seller.address_line2},
        "document": _document(document, seller),
        "supplier": _supplier(document), "customer": _customer(document),
        "lines": [_line(i, line) for i, line in enumerate(lines, start=1)],
        "inventory": document.kind == Kind.INW,
        "show_state": document.kind == Kind.ZW, "show_prices": priced,
        "total_span": 7, "total": money_text(sum(
            (round_grosz(line.quantity * line.unit_price) for line in lines), Decimal("0"))),
    }
    if document.kind == Kind.INW:
        moves = list(document.moves.all())
        context["lost"] = [m.item.serial for m in moves if m.state_after == "lost"]
        context["found"] = [m.item.serial for m in moves if m.state_after == "in_stock"]
    return context


def document_pdf(document: StockDocument) -> bytes:
    """The PDF of a warehouse document; another tenant's is ``DoesNotExist``."""
    context = document_context(document)
    lines = len(context["lines"]) + len(context.get("lost", [])) // 8
    pages = max(1, lines // LINES_PER_PAGE + 1)
    with translation.override(LANGUAGE), rendering.render_budget(
            seconds=max(10.0, pages * 0.5), max_pages=max(20, pages * 2)):
        html = rendering.render_html(_layout("document.html"), context)
        return rendering.render_pdf(html_body=html, css=_layout("warehouse.css"),
                                    number=document.number, code=document.code)
