"""Reads of the staff pages: the selectors' rows, made ready to show (no further queries)."""

from django.db.models import Count, Prefetch
from django.urls import reverse

from core.paging import SlicePage

from . import selectors
from .models import Address, AttributeType, Customer, CustomerGroup, Phone
from .validators import format_account, format_phone

LIST_PAGE_SIZE = 50


STATUS_BADGES = {
    Customer.Status.CONNECTED: "text-bg-success",
    Customer.Status.INTERESTED: "text-bg-info",
    Customer.Status.SUSPENDED: "text-bg-warning",
    Customer.Status.DEBT_COLLECTION: "text-bg-danger",
}


class ListPage(SlicePage):
    """One page of customers. ``count`` is known only when the whole result is on page 1;
    otherwise the page asks ``customer_count`` separately, so a broad search is not kept
    waiting while every match is counted."""


def customer_list_page(*, query: str = "", status: str = "", group_id=None,
                       page_number=1, per_page: int = LIST_PAGE_SIZE,
                       hits: dict[int, list[str]] | None = None) -> ListPage:
    """One page of ``selectors.customer_list`` with each customer's first phone and city
    and, when searched, ``reasons``: why it matched — ``hits`` (customer id → reasons,
    what the other apps found: ``core.search.search_hits``) and its own data.

    Queries: the page (one row more than shown, to know whether a next page exists), its
    phones, its residence addresses; searched: its phones, e-mails, addresses and bank
    accounts instead.
    """
    from .search import customer_match_reasons, customer_search_prefetch

    try:
        number = max(1, int(page_number or 1))
    except (TypeError, ValueError):
        number = 1
    hits = hits or {}
    customers = selectors.customer_list(query=query, status=status, group_id=group_id,
                                        also_ids=hits).defer("search_text")
    searched = bool(query.strip())
    if searched:
        customers = customer_search_prefetch(customers)
    else:
        customers = customers.prefetch_related(
            Prefetch("phones", queryset=Phone.objects.order_by("id")),
            Prefetch("addresses", to_attr="residences",
                     queryset=Address.objects.filter(kind=Address.Kind.RESIDENCE)),
        )
    offset = (number - 1) * per_page
    rows = list(customers[offset:offset + per_page + 1])
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    # One reverse() for the page, not two per row.
    card_url = reverse("customers:card", kwargs={"customer_id": 0})[:-2] + "{}/"
    for customer in rows:
        customer.card_url = card_url.format(customer.pk)
        customer.status_badge = STATUS_BADGES.get(customer.status, "text-bg-secondary")
        phones = list(customer.phones.all())
        customer.first_phone = format_phone(phones[0].number) if phones else ""
        if searched:
            customer.residences = [a for a in customer.addresses.all()
                                   if a.kind == Address.Kind.RESIDENCE]
            customer.reasons = hits.get(customer.pk, []) + [
                r for r in customer_match_reasons(customer, query)
                if r not in hits.get(customer.pk, [])]
        customer.city = customer.residences[0].city if customer.residences else ""
    count = len(rows) if number == 1 and not has_next else None
    return ListPage(rows=rows, number=number, has_next=has_next, count=count)


def customer_count(*, query: str = "", status: str = "", group_id=None, also_ids=()) -> int:
    return selectors.customer_list(query=query, status=status, group_id=group_id,
                                   also_ids=also_ids).count()


def group_list():
    """The tenant's customer groups with their number of customers (one query)."""
    return list(CustomerGroup.objects.annotate(customer_count=Count("memberships"))
                .order_by("name"))


def attribute_type_list():
    return list(AttributeType.objects.order_by("name"))


def customer_card_display(*, pk) -> Customer:
    """``selectors.customer_card_get`` with the formatted numbers the card shows."""
    customer = selectors.customer_card_get(pk=pk)
    for phone in customer.phones.all():
        phone.display = format_phone(phone.number)
    for account in customer.bank_accounts.all():
        account.display = format_account(account.iban)
    customer.account_display = (format_account(customer.virtual_account)
                                if customer.virtual_account else "")
    try:
        customer.panel = customer.panel_account
    except Customer.panel_account.RelatedObjectDoesNotExist:
        customer.panel = None
    customer.main_address = main_address(customer.addresses.all())
    customer.pinned_annotations = [a for a in customer.annotations.all() if a.pinned]
    customer.member_group_ids = {m.group_id for m in customer.group_memberships.all()}
    customer.clipboard_text = selectors.customer_clipboard_text(customer)
    return customer


# The address the card's header shows: where the customer lives, else where the service is
# installed, else where letters go.
MAIN_ADDRESS_ORDER = (Address.Kind.RESIDENCE, Address.Kind.INSTALLATION,
                      Address.Kind.CORRESPONDENCE)


def main_address(addresses) -> Address | None:
    """Of ``addresses`` (already fetched), the one the card's header shows."""
    rank = {kind: i for i, kind in enumerate(MAIN_ADDRESS_ORDER)}
    return min(addresses, key=lambda a: (rank.get(a.kind, len(rank)), a.pk), default=None)
