"""Chromium: an event dragged to another day on the week view is saved there."""

import datetime
import os

import pytest
from django.utils import timezone

from conftest import staff_browser_login
from helpdesk.models import Event
from helpdesk.services import schedule as services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _async_unsafe():
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_drag_event_to_another_day(live_server, browser_page, tenant, staff):
    from core.tenancy import tenant_context

    monday = timezone.localdate() + datetime.timedelta(days=7 - timezone.localdate().weekday())
    start = timezone.make_aware(datetime.datetime.combine(monday, datetime.time(10, 15)))
    with tenant_context(tenant):
        visit_type = services.event_types_seed()[1]
        event = services.event_create(actor=staff, event_type=visit_type, title="Do przesunięcia",
                                      starts_at=start, staff=[staff])
    page = browser_page
    staff_browser_login(page, f"{live_server.url}/login/?next=/helpdesk/schedule/%3Fview%3Dweek"
                              f"%26date%3D{monday.isoformat()}")
    block = page.locator(f"#event-{event.pk}")
    block.wait_for()
    thursday = monday + datetime.timedelta(days=3)
    with page.expect_navigation():
        block.drag_to(page.locator(f"#day-{thursday.isoformat()}"))
    page.locator(f"#day-{thursday.isoformat()} #event-{event.pk}").wait_for()
    event = Event.all_tenants.get(pk=event.pk)
    local = timezone.localtime(event.starts_at)
    assert local.date() == thursday and (local.hour, local.minute) == (10, 15)
