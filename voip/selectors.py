"""Reads of the VoIP app for the card and the forms (each a fixed number of queries)."""

from django.utils.translation import gettext as _

from .models import BillingGroup, Call, NumberRange, PhoneUsage, PrepaidEntry, VoipPhone


def phone_card_list(*, customer_id: int) -> list[VoipPhone]:
    """The customer's phones with their numbers, free-minute groups and free numbers.
    Queries: the phones with numbers, their groups, their free numbers."""
    return list(VoipPhone.objects.filter(customer_id=customer_id).select_related("number")
                .prefetch_related("free_minute_groups", "free_numbers"))


def range_choices() -> list[NumberRange]:
    return list(NumberRange.objects.order_by("name"))


def billing_group_choices() -> list[BillingGroup]:
    return list(BillingGroup.objects.order_by("name"))


def exchange_choices() -> list:
    from .models import ExchangeServer

    return list(ExchangeServer.objects.filter(is_active=True).order_by("name"))


def script_tariff_choices() -> list:
    """Tariffs with a subtariff script: the add form can start from their values."""
    from finance.models import Tariff

    return list(Tariff.objects.filter(voip_script__isnull=False).exclude(voip_script__text="")
                .order_by("name").only("pk", "name"))


# --------------------------------------------------------------------------- call lists

def customer_call_invoices(*, customer_id: int) -> list[dict]:
    """The customer's invoices that bill calls, newest first, with the calls' count and
    net amount. Queries: one."""
    from django.db.models import Count, Max, Sum

    return list(Call.objects.filter(customer_id=customer_id, invoice__isnull=False)
                .values("invoice_id", "invoice__number", "invoice__issue_date")
                .annotate(calls=Count("id"), amount=Sum("amount"), last=Max("started_at"))
                .order_by("-invoice__issue_date", "-invoice_id")[:60])


def phone_usage_get(*, phone: VoipPhone, period):
    """The phone's usage of ``period`` (None before its first rated call). One query."""
    return PhoneUsage.objects.filter(phone=phone, period=period).first()


def prepaid_entries_page(*, phone: VoipPhone, page: int, per_page: int = 20):
    """A prepaid phone's top-ups and corrections, newest first (a page and whether
    another follows). One query."""
    from core.paging import slice_page

    return slice_page(PrepaidEntry.objects.filter(phone=phone)
                      .select_related("created_by", "invoice"), page, per_page)


def customer_phone_usage(*, customer_id: int, period) -> list:
    """The customer's phones with their usage of ``period`` (amount, free minutes used).
    Queries: two."""
    phones = list(VoipPhone.objects.filter(customer_id=customer_id).select_related("number"))
    usage = {u.phone_id: u for u in PhoneUsage.objects.filter(
        phone_id__in=[p.pk for p in phones], period=period)}
    for phone in phones:
        phone.period_usage = usage.get(phone.pk)
    return phones


# --------------------------------------------------------------------------- the exchange

def phone_exchange(phone: VoipPhone):
    """The exchange whose AMI shows ``phone``: its own, else the tenant's only active one
    (None when there is none, or several and the phone names none). Queries: one."""
    from .models import ExchangeServer

    if phone.server_id:
        return ExchangeServer.objects.filter(pk=phone.server_id, is_active=True).first()
    servers = list(ExchangeServer.objects.filter(is_active=True)[:2])
    return servers[0] if len(servers) == 1 else None


def phone_live_status(phone: VoipPhone) -> dict:
    """The phone's registration and current calls as its exchange's AMI says them:
    ``{"status": PhoneStatus}`` or ``{"error": message}`` (no exchange, unreachable,
    refused…); never raises for the exchange's sake."""
    from . import ami

    server = phone_exchange(phone)
    if server is None:
        return {"error": _("No exchange with an AMI is set for this phone: an administrator "
                           "adds one under Telephony → Exchanges.")}
    try:
        status = ami.phone_status(host=server.ami_host, port=server.ami_port,
                                  username=server.ami_username, secret=server.ami_secret,
                                  endpoint=str(phone.number.number), timeout=5.0)
    except ami.AmiError as exc:
        return {"error": str(exc), "server": server}
    return {"status": status, "server": server}
