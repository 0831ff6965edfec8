"""Reads of the VoIP app for the card and the forms (each a fixed number of queries)."""

from .models import BillingGroup, NumberRange, VoipPhone


def phone_card_list(*, customer_id: int) -> list[VoipPhone]:
    """The customer's phones with their numbers, free-minute groups and free numbers.
    Queries: the phones with numbers, their groups, their free numbers."""
    return list(VoipPhone.objects.filter(customer_id=customer_id).select_related("number")
                .prefetch_related("free_minute_groups", "free_numbers"))


def range_choices() -> list[NumberRange]:
    return list(NumberRange.objects.order_by("name"))


def billing_group_choices() -> list[BillingGroup]:
    return list(BillingGroup.objects.order_by("name"))


def script_tariff_choices() -> list:
    """Tariffs with a subtariff script: the add form can start from their values."""
    from finance.models import Tariff

    return list(Tariff.objects.filter(voip_script__isnull=False).exclude(voip_script__text="")
                .order_by("name").only("pk", "name"))
