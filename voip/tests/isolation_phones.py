"""Tenant A's VoIP objects for the isolation walk (tests/isolation_parts.py): a range, a
phone with a free number, a tariff script, a rated call."""

import datetime
from decimal import Decimal

from django.utils import timezone

from voip import services
from voip.models import BillingGroup, Call, ExchangeServer, PriceList, PriceRule, Recording


def build(objects: dict, *, tenant, staff, customer) -> None:
    objects["numberrange"] = services.number_range_create(
        actor=staff, name="ZakresAlfa", first="+48223450000", last="+48223450009")
    group = BillingGroup.objects.create(name="GrupaAlfa", code="alfa")
    objects["billinggroup"] = group
    phone, _password = services.phone_create(
        actor=staff, customer=customer, numbers_range=objects["numberrange"],
        context="KontekstAlfa", free_minutes=10, free_minute_groups=[group.pk],
        free_numbers_count=1, free_numbers=["+48600700800"])
    objects["voipphone"] = phone
    objects["phonenumber"] = phone.number
    prices = PriceList.objects.create(name="CennikAlfa", valid_from=datetime.date(2026, 1, 1))
    objects["pricelist"] = prices
    objects["pricerule"] = PriceRule.objects.create(price_list=prices, prefix="48",
                                                    billing_group=group,
                                                    price_per_minute=Decimal("0.10"))
    objects["call"] = Call.objects.create(
        phone=phone, unique_id="PolaczenieAlfa.1", caller=str(phone.number.number),
        destination="48600100200", started_at=timezone.now(), seconds=61, billed_seconds=120,
        free_seconds=0, amount=Decimal("0.20"), reason="priced",
        period=timezone.localdate().replace(day=1), rule=objects["pricerule"],
        priced_by={"prefix": "48"})
    objects["exchangeserver"] = ExchangeServer.objects.create(
        name="CentralaAlfa", ami_host="127.0.0.1", ami_port=5038, ami_username="alfa",
        ami_secret="SekretAlfa")
    objects["recording"] = Recording.objects.create(
        unique_id="PolaczenieAlfa.1", call=objects["call"], path="alfa/NagranieAlfa.wav",
        size=44, recorded_at=timezone.now())
    tariff = objects.get("tariff")
    if tariff is not None:
        objects["tariffscript"] = services.tariff_script_set(
            actor=staff, tariff=tariff, text='Voip_Context = "SkryptAlfa";')
