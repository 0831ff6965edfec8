"""Tenant A's scheduler objects for the isolation walk, built through the services."""

import datetime

from django.utils import timezone

from helpdesk.services import schedule as services


def build(objects: dict, *, tenant, staff, customer) -> None:
    types = services.event_types_seed()
    objects["eventtype"] = services.event_type_create(actor=staff, name="TypAlfa",
                                                      color="#123456", default_minutes=30)
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=1)
    objects["event"] = services.event_create(
        actor=staff, event_type=types[0], title="WizytaAlfa", starts_at=start,
        staff=[staff], customer=customer, description="OpisAlfa")
    closed = services.event_create(actor=staff, event_type=types[1], title="ZamknietaAlfa",
                                   starts_at=start, staff=[staff], customer=customer)
    objects["closed_event"] = services.event_close(actor=staff, event=closed,
                                                   note="NotatkaAlfa")
    services.calendar_feed_issue(actor=staff, user=staff)
