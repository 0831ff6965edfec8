"""Reads of the telephony's staff pages; each a fixed number of queries, paged in SQL
where a list can be long (a range holds up to 100,000 numbers, a price list thousands of
rules)."""

from django.db.models import Count, OuterRef, Q, Subquery

from core.paging import SlicePage, page_number, slice_page  # noqa: F401  (page_number: the views)

from ..models import (
    BillingGroup,
    ExchangeServer,
    NumberRange,
    PhoneNumber,
    PriceList,
    PriceRule,
    VoipPhone,
)

PER_PAGE = 50


def _slice(queryset, page: int, per_page: int = PER_PAGE) -> SlicePage:
    return slice_page(queryset, page, per_page)


def range_list():
    """The ranges with how many of their numbers are free, assigned, quarantined (one
    query)."""
    state = PhoneNumber.State
    return NumberRange.objects.annotate(
        free=Count("numbers", filter=Q(numbers__state=state.FREE)),
        assigned=Count("numbers", filter=Q(numbers__state=state.ASSIGNED)),
        quarantined=Count("numbers", filter=Q(numbers__state=state.QUARANTINED)),
    ).order_by("first")


def range_numbers_page(*, numbers_range: NumberRange, state: str = "", start: int | None = None,
                       page: int = 1) -> SlicePage:
    """A page of the range's numbers, each with its phone and customer (one query)."""
    numbers = (PhoneNumber.objects.filter(range=numbers_range)
               .select_related("phone__customer").order_by("number"))
    if state:
        numbers = numbers.filter(state=state)
    if start is not None:
        numbers = numbers.filter(number__gte=start)
    return _slice(numbers, page)


def billing_group_list():
    """The groups with how many price rules name them (one query)."""
    rules = (PriceRule.objects.filter(billing_group=OuterRef("pk")).order_by()
             .values("billing_group").annotate(n=Count("pk")).values("n"))
    return BillingGroup.objects.annotate(rule_count=Subquery(rules)).order_by("name")


def price_list_list():
    """The price lists, newest first, with their number of rules (one query)."""
    return PriceList.objects.annotate(rule_count=Count("rules")).order_by("-valid_from")


def rule_page(*, price_list: PriceList, query: str = "", page: int = 1) -> SlicePage:
    """A page of the list's rules whose prefix starts with ``query`` (one query)."""
    rules = (PriceRule.objects.filter(price_list=price_list).select_related("billing_group")
             .order_by("prefix"))
    if query:
        rules = rules.filter(prefix__startswith=query)
    return _slice(rules, page)


def rule_for_number(*, price_list: PriceList, number: str) -> PriceRule | None:
    """The rule that prices a call to ``number`` (its longest prefix), as rating finds it."""
    if not (number.isascii() and number.isdigit()):
        return None
    prefixes = [number[:n] for n in range(1, min(len(number), 15) + 1)]
    rules = list(PriceRule.objects.filter(price_list=price_list, prefix__in=prefixes)
                 .select_related("billing_group"))
    return max(rules, key=lambda r: len(r.prefix), default=None)


def tariff_script_page(*, query: str = "", page: int = 1) -> SlicePage:
    """Tariffs by name, each with its subtariff script if it has one (one query)."""
    from finance.models import Tariff

    tariffs = Tariff.objects.select_related("voip_script").order_by("name", "pk")
    if query:
        tariffs = tariffs.filter(name__icontains=query)
    return _slice(tariffs, page)


def exchange_list():
    """The exchanges with their phones' count (one query)."""
    phones = (VoipPhone.objects.filter(server=OuterRef("pk")).order_by()
              .values("server").annotate(n=Count("pk")).values("n"))
    return ExchangeServer.objects.annotate(phone_count=Subquery(phones)).order_by("name")
