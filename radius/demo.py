"""The demo ISP's network: a NAS, a pool, a login per connected customer, traffic.

Built through the services after the finance demo (each login belongs to its customer's
internet subscription, so it carries the tariff's speed). Accounting is fed as
FreeRADIUS would report it: a Start and a day of interims for a few logins, so the card's
"Komputery" shows sessions online and the login window draws its charts.
"""

import datetime
import random

from django.utils import timezone

from customers.models import Customer
from finance.models import Subscription

from . import services
from .services import Accounting, accounting_record

DEMO_NAS_IP = "192.0.2.1"


def _no_progress(step: str, done: int, total: int) -> None:
    pass


def radius_demo_build(*, admin, seed: int, now: datetime.datetime | None = None,
                      progress=_no_progress) -> int:
    """Returns how many logins were made; ``progress(step, done, total)`` is told how far
    it is."""
    rng = random.Random(seed)
    now = now or timezone.now()
    nas = services.nas_create(actor=admin, name="BRAS Centrum", ip=DEMO_NAS_IP,
                              secret="demo-secret-only", kind="mikrotik")
    pool = services.pool_create(actor=admin, name="Abonenci", network="100.64.0.0/22",
                                range_start="100.64.0.10", range_end="100.64.3.250",
                                gateway="100.64.0.1")
    internet = {s.customer_id: s for s in Subscription.objects.filter(
        tariff__download_kbps__isnull=False).order_by("customer_id", "id")}
    logins = []
    customers = list(Customer.objects.filter(status="connected").order_by("number"))
    for customer in customers:
        progress("logins", len(logins), len(customers))
        logins.append(services.login_create(
            actor=admin, customer=customer, pool=pool, nases=[nas],
            subscription=internet.get(customer.pk)))
    progress("logins", len(logins), len(customers))
    online = logins[: max(1, len(logins) // 3)]
    for done, login in enumerate(online):
        progress("traffic", done, len(online))
        _traffic(login, rng, now)
    progress("traffic", len(online), len(online))
    return len(logins)


def _traffic(login, rng, now) -> None:
    """A session started a day ago with an interim every 15 minutes."""
    started = now - datetime.timedelta(hours=24)
    unique_id = f"demo-{login.pk}"
    common = {"nas_ip": DEMO_NAS_IP, "username": login.login, "unique_id": unique_id,
              "acct_session_id": f"81a{login.pk:05x}", "framed_ip": login.ip}
    accounting_record(Accounting(status="Start", event_at=started, **common))
    down = up = 0
    for step in range(1, 97):
        hour = (started + datetime.timedelta(minutes=15 * step)).hour
        busy = 3.0 if 18 <= hour <= 23 else 0.4 if hour < 7 else 1.0
        down += int(rng.uniform(20, 120) * busy * 1e6)
        up += int(rng.uniform(2, 15) * busy * 1e6)
        accounting_record(Accounting(status="Interim-Update",
                                     event_at=started + datetime.timedelta(minutes=15 * step),
                                     session_time=900 * step, input_bytes=up,
                                     output_bytes=down, **common))
