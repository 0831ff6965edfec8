"""Reads of the card's "Historia połączeń telefonicznych" (call history) and of the
recordings' API, each a fixed number of queries whatever the number of rows."""

import datetime

from core.paging import SlicePage, slice_page

from .models import BillingGroup, Call, Recording, VoipPhone
from .recordings import with_call

CALLS_PAGE_SIZE = 25


def customer_phone_choices(*, customer_id: int) -> list[VoipPhone]:
    """The customer's phones for the filter, with their numbers. One query."""
    return list(VoipPhone.objects.filter(customer_id=customer_id).select_related("number")
                .order_by("number__number"))


def customer_call_page(*, customer_id: int, phone_id: int | None = None,
                       month: datetime.date | None = None, page_number: int = 1,
                       per_page: int = CALLS_PAGE_SIZE) -> SlicePage:
    """One page of the customer's calls, newest first, of one phone and one month (its
    billing period) if given; a removed phone's calls stay the customer's (``Call.customer``).
    One query (a row more than shown says a next page exists)."""
    calls = Call.objects.filter(customer_id=customer_id)
    if phone_id:
        calls = calls.filter(phone_id=phone_id)
    if month:
        calls = calls.filter(period=month)
    return slice_page(calls.select_related("phone__number").order_by("-started_at", "-id"),
                      max(1, page_number), per_page)


def billing_group_names() -> dict[str, str]:
    """code → name of the tenant's billing groups (a call keeps its group's code). One
    query."""
    return dict(BillingGroup.objects.values_list("code", "name"))


def recording_list(*, unique_id: str = "", recorded_from: datetime.datetime | None = None,
                   recorded_to: datetime.datetime | None = None):
    """The tenant's recordings, newest first, each with ``linked_call_id``. One query
    (a page of it)."""
    recordings = with_call(Recording.objects.all())
    if unique_id:
        recordings = recordings.filter(unique_id=unique_id)
    if recorded_from:
        recordings = recordings.filter(recorded_at__gte=recorded_from)
    if recorded_to:
        recordings = recordings.filter(recorded_at__lt=recorded_to)
    return recordings.order_by("-recorded_at", "-id")
