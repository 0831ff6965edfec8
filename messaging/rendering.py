"""Message templates: the variables a template may use and the sandboxed render.

Templates are written by tenant admins, so they render in the documents' sandbox
(``documents.rendering``: no file includes, no tag libraries, plain dicts only, a time
budget). SMS and e-mail bodies are plain text: rendered without HTML escaping.

Personalisation is per recipient: ``contexts_for`` builds one context per customer from
rows fetched for that customer alone — set-based (a few queries for a whole batch) and
keyed by the customer's id, so a bulk send can never hand one customer another's data.
The same pure ``_context`` builds the context for one customer and for a batch.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format

from documents.rendering import TemplateError, render_html

__all__ = ["TemplateError", "Rendered", "context_for", "contexts_for", "message_render",
           "VARIABLES"]

# Shown on the template editor (name, what it holds).
VARIABLES = [
    ("customer.name", "imię i nazwisko lub nazwa firmy / name or company"),
    ("customer.first_name", "imię / first name"),
    ("customer.number", "numer klienta / customer number"),
    ("customer.account", "rachunek do wpłat / account for transfers"),
    ("balance.amount", "saldo, np. -120,00 / balance"),
    ("balance.debt", "kwota do zapłaty, np. 120,00 / amount owed"),
    ("balance.overdue", "zaległość po terminie / overdue amount"),
    ("invoices", "otwarte faktury: number, left, due / open invoices"),
    ("tenant.name", "nazwa dostawcy / ISP name"),
    ("today", "data / date"),
]


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def _money(value: Decimal) -> str:
    """1234.5 → "1 234,50" (Polish, as customers read it; no currency sign)."""
    sign = "-" if value < 0 else ""
    whole, frac = f"{abs(value):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{' '.join(groups)},{frac}"


def _context(*, tenant, customer, balance: Decimal, invoices: list, today) -> dict:
    from customers.validators import format_account

    overdue = sum((i["left"] for i in invoices if i["due"] and i["due"] < today), Decimal(0))
    return {
        "tenant": {"name": tenant.name},
        "customer": {
            "number": customer.number, "name": customer.display_name,
            "first_name": customer.first_name, "last_name": customer.last_name,
            "company_name": customer.company_name,
            "account": format_account(customer.virtual_account)
            if customer.virtual_account else "",
        },
        "balance": {"amount": _money(balance), "debt": _money(max(-balance, Decimal(0))),
                    "overdue": _money(overdue)},
        "invoices": [{"number": i["number"], "left": _money(i["left"]),
                      "due": date_format(i["due"], "d.m.Y") if i["due"] else ""}
                     for i in invoices],
        "today": date_format(today, "d.m.Y"),
    }


def contexts_for(customers, *, tenant) -> dict[int, dict]:
    """Each customer's context by id; three queries for any number of customers."""
    from finance.models import Allocation, CustomerAccount, FinanceDocument

    ids = [c.pk for c in customers]
    balances = dict(CustomerAccount.objects.filter(customer_id__in=ids)
                    .values_list("customer_id", "balance"))
    paid = (Allocation.objects.filter(receivable=OuterRef("pk")).values("receivable")
            .annotate(s=Sum("amount")).values("s"))
    invoices: dict[int, list] = {}
    rows = (FinanceDocument.objects.filter(customer_id__in=ids, debit__gt=0)
            .annotate(left=F("debit") - Coalesce(Subquery(paid), Decimal(0)),
                      due=Coalesce("due_date", "issue_date"))
            .filter(left__gt=0).order_by("customer_id", "due", "id")
            .values("customer_id", "number", "left", "due"))
    for row in rows:
        invoices.setdefault(row["customer_id"], []).append(row)
    today = timezone.localdate()
    return {c.pk: _context(tenant=tenant, customer=c, balance=balances.get(c.pk, Decimal(0)),
                           invoices=invoices.get(c.pk, []), today=today)
            for c in customers}


def context_for(customer) -> dict:
    return contexts_for([customer], tenant=customer.tenant)[customer.pk]


def message_render(*, subject: str, body: str, context: dict) -> Rendered:
    """Render a template's subject and body for one recipient; raises ``TemplateError``."""
    return Rendered(
        subject=" ".join(render_html(subject, context, autoescape=False).split())
        if subject else "",
        body=render_html(body, context, autoescape=False).strip())
