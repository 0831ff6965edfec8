"""Reads of the bank import: the imports, their lines, the queue of unidentified lines."""

from django.db.models import Q, QuerySet

from ..models import BankImport, BankLine


def bank_import_list() -> QuerySet:
    return BankImport.objects.select_related("imported_by").order_by("-imported_at", "-id")


def bank_import_get(*, pk) -> BankImport:
    return bank_import_list().get(pk=pk)


def bank_line_list(*, bank_import=None, status: str = "", query: str = "") -> QuerySet:
    """Lines with the customer and the document each became (no query per row).

    ``query`` matches the title, the payer's name or account, or the amount typed as
    written on the statement (``12,50`` or ``12.50``)."""
    lines = BankLine.objects.select_related("customer", "document", "bank_import")
    if bank_import is not None:
        lines = lines.filter(bank_import=bank_import)
    if status:
        lines = lines.filter(status=status)
    for term in (query or "").split():
        condition = (Q(title__icontains=term) | Q(counterparty_name__icontains=term)
                     | Q(counterparty_account__contains=term.replace(" ", "")))
        amount = term.replace(",", ".")
        if amount.replace(".", "", 1).isdigit():
            condition |= Q(amount=amount)
        lines = lines.filter(condition)
    return lines.order_by("booking_date", "id")


def bank_line_get(*, pk) -> BankLine:
    return BankLine.objects.select_related("customer", "document", "bank_import").get(pk=pk)
