"""The card's "Historia połączeń telefonicznych" (call history) and the playing of a
call's recording through its signed link.

The section lists the customer's calls newest first (filters: phone, month; pages by
htmx as the table alone, ``calls``), each with what priced it and, for a user who may
listen (``voip.view_recording``), a player of its recordings whose link is made when the
row is shown and expires after ``voip.recording_link_minutes``.
"""

import datetime

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from core.paging import page_number
from core.sections import card_section_anchor
from core.views import staff_view
from customers.models import Customer

from . import recordings, selectors_calls
from .models import Recording

SECTION = "calls"
PREFIX = "c-"  # the section's parameters: c-phone, c-month, c-page


def register_sections() -> None:
    """The card section, the recordings' log kinds and Celery tasks (the worker finds
    ``tasks.py`` modules only); called from VoipConfig.ready."""
    from core.sections import CardSection, register_card_section

    from . import log_kinds_recordings, tasks_recordings  # noqa: F401  (registrations)

    register_card_section(CardSection(
        SECTION, _("Phone call history"), 115, "voip/card/calls.html", "voip.view_call",
        context=calls_section_context, lazy=True, anchor="historia-polaczen"))


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _month(value) -> datetime.date | None:
    """``YYYY-MM`` (what ``<input type="month">`` sends) as the month's first day."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return datetime.date(year, month, 1)
    except (TypeError, ValueError):
        return None


def calls_context(customer, request) -> dict:
    """One page of the customer's calls under the request's filters. Queries: the
    customer's phones (the filter), the page of calls with their numbers, the page's
    recordings (each on its channel's answered call: a failed Dial's row shows none), the
    billing groups' names."""
    phones = selectors_calls.customer_phone_choices(customer_id=customer.pk)
    phone_id = _int(request.GET.get(PREFIX + "phone"))
    if phone_id not in {phone.pk for phone in phones}:
        phone_id = None
    month = _month(request.GET.get(PREFIX + "month"))
    page = selectors_calls.customer_call_page(
        customer_id=customer.pk, phone_id=phone_id, month=month,
        page_number=page_number(request.GET.get(PREFIX + "page")))
    found = recordings.recordings_of_calls(calls=page.rows)
    groups = selectors_calls.billing_group_names() if page.rows else {}
    can_listen = request.user.has_perm("voip.view_recording")
    for call in page.rows:
        code = (call.priced_by or {}).get("group", "")
        call.group_name = groups.get(code, code)
        call.reason_label = recordings.REASON_LABELS.get(call.reason, call.reason)
        call.recording_links = [
            (recording, recordings.recording_link(recording=recording, user=request.user)
             if can_listen else None)
            for recording in found.get(call.pk, [])]
    filters = {PREFIX + "phone": phone_id or "",
               PREFIX + "month": month.strftime("%Y-%m") if month else ""}
    return {
        "calls": page,
        "calls_phones": phones,
        "calls_phone": phone_id,
        "calls_month": filters[PREFIX + "month"],
        "calls_query": urlencode(filters),
        "calls_can_listen": can_listen,
    }


def calls_section_context(customer, request) -> dict:
    """The card section (``core.sections``): see ``calls_context``."""
    return calls_context(customer, request)


@staff_view("voip.view_call")
@require_GET
def calls(request, customer_id):
    """The call table alone (htmx: filters, pages); without htmx the card open at it."""
    customer = get_object_or_404(Customer, pk=customer_id)
    if request.htmx:
        return render(request, "voip/calls/_table.html",
                      {"customer": customer, **calls_context(customer, request)})
    anchor = card_section_anchor(SECTION)
    wanted = {k: v for k, v in request.GET.items() if k.startswith(PREFIX)}
    return redirect(reverse("customers:card", kwargs={"customer_id": customer.pk}) + "?"
                    + urlencode({"sekcja": anchor, **wanted}) + "#" + anchor)


@staff_view("voip.view_recording")
@require_GET
def recording_play(request, recording_id):
    """The recording's file for a valid link of this user (``?s=``): another tenant's
    recording is a 404, an expired or altered link a 403 page saying so."""
    recording = get_object_or_404(
        Recording.objects.select_related("call__customer", "call__phone__customer"),
        pk=recording_id)
    try:
        real = recordings.recording_access(recording=recording, user=request.user,
                                           signature=request.GET.get("s", ""))
    except recordings.LinkRefused as refused:
        return render(request, "voip/calls/link_refused.html",
                      {"message": str(refused), "expired": refused.expired}, status=403)
    except ValidationError:
        return render(request, "voip/calls/recording_gone.html", {"recording": recording},
                      status=404)
    return recordings.recording_file_response(request, recording=recording, real=real)
