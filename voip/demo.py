"""The demo ISPs' telephony (``manage.py load_demo``): a range of 1,000 numbers, billing
groups and a price list, phones of a few customers with free minutes, a limit and a
threshold, and last month's and this month's calls rated through the CDR path.

Built through the services (the same validation and action log as the staff pages).
Runs inside the active tenant; running it again adds nothing (returns 0). There is no
exchange in the demo: the phones are never written to Asterisk (not even with
``ASTERISK_DATABASE_URL`` set), and the phone window says no AMI is configured.
"""

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from customers.models import Customer

from . import catalog, cdr, services
from .asterisk import provisioning_paused
from .models import NumberRange

GROUPS = (("mobile", "Komórkowe"), ("landline", "Stacjonarne PL"),
          ("intl1", "Międzynarodowe strefa 1"))
# prefix, group, net price per minute, increments (first/next), connection fee
RULES = (("48", "landline", "0.09", 60, 60, "0"), ("4850", "mobile", "0.15", 1, 1, "0"),
         ("4851", "mobile", "0.15", 1, 1, "0"), ("4853", "mobile", "0.15", 1, 1, "0"),
         ("4860", "mobile", "0.15", 1, 1, "0"), ("4866", "mobile", "0.15", 1, 1, "0"),
         ("4869", "mobile", "0.15", 1, 1, "0"), ("4872", "mobile", "0.15", 1, 1, "0"),
         ("4878", "mobile", "0.15", 1, 1, "0"), ("4879", "mobile", "0.15", 1, 1, "0"),
         ("4880", "mobile", "0.15", 1, 1, "0"), ("49", "intl1", "0.39", 30, 6, "0.10"),
         ("44", "intl1", "0.39", 30, 6, "0.10"), ("420", "intl1", "0.39", 30, 6, "0.10"))
DESTINATIONS = ("48221234567", "48501234567", "48601765432", "48791222333", "48126543210",
                "4930123456", "442071234567")
PHONES = 8


def voip_demo_build(*, admin, seed: int, index: int) -> int:
    """The telephony of the active (demo) tenant; ``index`` keeps the tenants' number
    ranges apart (a number is unique on the platform). Returns the phones made. Nothing
    is written to an exchange (examples, not a real ISP's phones)."""
    if NumberRange.objects.exists():
        return 0
    with provisioning_paused():
        return _build(admin=admin, seed=seed, index=index)


def _build(*, admin, seed: int, index: int) -> int:
    rnd = random.Random(seed)
    first = 48_223_000_000 + index * 10_000
    numbers = services.number_range_create(actor=admin, name="Warszawa 22",
                                           first=f"+{first}", last=f"+{first + 999}")
    groups = {code: catalog.billing_group_create(actor=admin, name=name, code=code)
              for code, name in GROUPS}
    today = timezone.localdate()
    prices = catalog.price_list_create(actor=admin, name="Cennik podstawowy",
                                       valid_from=today.replace(year=today.year - 1))
    for prefix, group, price, first_inc, next_inc, fee in RULES:
        catalog.price_rule_set(actor=admin, price_list=prices, prefix=prefix,
                               billing_group=groups[group], price_per_minute=Decimal(price),
                               first_increment=first_inc, next_increment=next_inc,
                               connection_fee=Decimal(fee))
    phones = []
    for customer in Customer.objects.order_by("pk")[:PHONES]:
        phone, _password = services.phone_create(
            actor=admin, customer=customer, numbers_range=numbers, free_minutes=60,
            free_minute_groups=[groups["landline"].pk, groups["mobile"].pk],
            amount_limit=Decimal("150.00"), notify_threshold=Decimal("5.00"),
            context="abonenci", voicemail_email="")
        phones.append(phone)
    cdrs = []
    month = today.replace(day=1)
    last_month = (month - dt.timedelta(days=1)).replace(day=1)
    for phone in phones:
        for n in range(rnd.randint(10, 30)):
            day = last_month + dt.timedelta(days=rnd.randint(0, 27))
            if n % 4 == 0 and today.day > 1:  # some of this month's too
                day = month + dt.timedelta(days=rnd.randint(0, today.day - 2))
            start = timezone.make_aware(dt.datetime.combine(
                day, dt.time(rnd.randint(8, 21), rnd.randint(0, 59), rnd.randint(0, 59))))
            seconds = rnd.choice((0, 15, 47, 60, 61, 125, 300, 914))
            cdrs.append(cdr.Cdr(
                unique_id=f"demo-{phone.pk}-{n}.{rnd.randint(1000, 9999)}",
                accountcode=f"abonent-{phone.tenant_id}-{phone.pk}",
                caller=str(phone.number.number), destination=rnd.choice(DESTINATIONS),
                start=start, end=start + dt.timedelta(seconds=seconds + 5), seconds=seconds))
    if cdrs:
        cdr.calls_rate(tenant=phones[0].tenant, cdrs=cdrs)
    return len(phones)
