"""Reads of the customer card; these own every select_related / prefetch_related."""

import re

from django.db.models import Case, Prefetch, Q, QuerySet, When

from core.models import ActionLog

from .models import (
    Address,
    Annotation,
    AttributeValue,
    BankAccount,
    Customer,
    Folder,
    GroupMembership,
    Scan,
)


def normalize_query(query: str) -> list[str]:
    """Search terms as stored in ``search_text``.

    A query that is a number written with spaces, dashes or a leading + (a phone, NIP,
    account) becomes its bare digits; otherwise each word is one lower-cased term.
    """
    query = (query or "").strip().lower()
    if not query:
        return []
    if re.fullmatch(r"[+\d][\d\s\-()/]*", query):
        digits = re.sub(r"\D", "", query)
        if digits.startswith("48") and len(digits) == 11:
            digits = digits[2:]
        return [digits]
    return query.split()


SEARCH_MIN_LENGTH = 3


def account_digits(query: str) -> str | None:
    """The 26 digits of an account number (NRB, or a Polish IBAN with spaces), else None."""
    compact = re.sub(r"[\s-]", "", query or "").upper()
    match = re.fullmatch(r"(?:PL)?(\d{26})", compact)
    return match.group(1) if match else None


def customer_list(*, query: str = "", status: str = "", group_id=None,
                  also_ids=()) -> QuerySet:
    """Customers of the active tenant matching every term of ``query``, or one of
    ``also_ids`` (the customers other apps found by a login, an IP, an invoice number...,
    ``core.search``; listed first).

    A 26-digit term is an account — the individual one or the customer's own (exact,
    indexed); a query whose terms are all shorter than three characters matches a customer
    number exactly, or nothing, because the trigram index cannot serve it and a scan of
    every customer is too slow.
    """
    customers = Customer.objects.all()
    terms = normalize_query(query)
    account = account_digits(query)
    if account:
        match = Q(virtual_account=account) | Q(pk__in=BankAccount.objects.filter(
            iban="PL" + account).values("customer_id"))
    elif terms and all(len(t) < SEARCH_MIN_LENGTH for t in terms):
        match = Q(number=int(terms[0])) if len(terms) == 1 and terms[0].isdigit() else None
    else:
        match = Q()
        for term in terms:
            match &= Q(search_text__contains=term)
    also_ids = list(also_ids)
    if also_ids:
        match = Q(pk__in=also_ids) if match is None else match | Q(pk__in=also_ids)
    elif match is None:
        return customers.none()
    customers = customers.filter(match)
    if status:
        customers = customers.filter(status=status)
    if group_id:
        customers = customers.filter(group_memberships__group_id=group_id)
    if also_ids:
        return customers.order_by(Case(When(pk__in=also_ids, then=0), default=1), "number")
    return customers.order_by("number")


def customer_get(*, pk) -> Customer:
    return Customer.objects.get(pk=pk)


def customer_card_get(*, pk) -> Customer:
    """The customer with everything the customers app's card sections show.

    One query per related table, whatever their sizes.
    """
    return (
        Customer.objects.prefetch_related(
            "phones", "emails", "consents",
            Prefetch("addresses", queryset=Address.objects.order_by("kind", "id")),
            Prefetch("attributes",
                     queryset=AttributeValue.objects.select_related("attribute_type")),
            Prefetch("folders", queryset=Folder.objects.order_by("name")),
            Prefetch("scans", queryset=Scan.objects.select_related("folder")),
            "bank_accounts",
            Prefetch("group_memberships",
                     queryset=GroupMembership.objects.select_related("group")),
            Prefetch("annotations",
                     queryset=Annotation.objects.select_related("created_by")),
        )
        .select_related("panel_account")
        .get(pk=pk)
    )


def action_log_list(*, customer, kind: str = "", actor: str = "") -> QuerySet:
    """The customer's action log, newest first, optionally by kind and actor name."""
    entries = ActionLog.objects.filter(customer=customer)
    if kind:
        entries = entries.filter(Q(kind=kind) | Q(kind__startswith=kind + "."))
    if actor:
        entries = entries.filter(actor_name__icontains=actor)
    return entries.order_by("-at", "-id")


def action_log_kinds(*, customer) -> list[tuple[str, str]]:
    """The kinds in the customer's log as ``(code, name)``, by name in the active language."""
    from core.actionlog import kind_label

    codes = (ActionLog.objects.filter(customer=customer).order_by("kind")
             .values_list("kind", flat=True).distinct())
    return sorted(((code, kind_label(code)) for code in codes), key=lambda k: k[1].lower())


def customer_clipboard_text(customer: Customer) -> str:
    """"Kopiuj dane do schowka": the data staff paste into letters and e-mails."""
    from .validators import format_account, format_phone

    lines = [customer.display_name, f"Nr klienta: {customer.number}"]
    if customer.pesel:
        lines.append(f"PESEL: {customer.pesel}")
    if customer.nip:
        lines.append(f"NIP: {customer.nip}")
    for address in customer.addresses.all():
        lines.append(f"{address.get_kind_display()}: {address}")
    lines += [format_phone(p.number) for p in customer.phones.all()]
    lines += [e.address for e in customer.emails.all()]
    if customer.virtual_account:
        lines.append(f"Rachunek: {format_account(customer.virtual_account)}")
    return "\n".join(lines)
