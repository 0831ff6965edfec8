"""The SLA badge queue views include: due in / overdue by, red when breached, paused."""

from django.template import Context, Template

from helpdesk.models import Case
from helpdesk.sla import sla_badge
from helpdesk.tests.fixtures_sla import waw


def _case(**fields):
    base = {"status": "new", "first_response_at": None,
            "sla_first_response_due": waw(2025, 6, 9, 10),
            "sla_resolution_due": waw(2025, 6, 10, 9), "sla_breached": False}
    return Case(**{**base, **fields})


def _render(case, now):
    return Template("{% load helpdesk_sla %}{% sla_badge case %}").render(
        Context({"case": case, "sla_now": now}))


def test_running_soon_overdue_breached_paused_stopped_none():
    assert sla_badge(_case(), now=waw(2025, 6, 9, 8)).left == "2 h 0 min"
    assert sla_badge(_case(), now=waw(2025, 6, 9, 9, 30)).soon
    late = sla_badge(_case(), now=waw(2025, 6, 9, 10, 5))
    assert (late.state, late.overdue) == ("overdue", "5 min")
    html = _render(_case(sla_breached=True, sla_breached_at=waw(2025, 6, 9, 10)),
                   waw(2025, 6, 11, 10))
    assert "text-bg-danger" in html and "overdue by 2 d 0 h" in html
    assert "paused" in _render(_case(status="waiting"), waw(2025, 6, 20))
    assert "met" in _render(_case(status="resolved"), waw(2025, 6, 20))
    assert sla_badge(_case(sla_first_response_due=None, sla_resolution_due=None),
                     now=waw(2025, 6, 9)).state == "none"
    # Answered: the resolution is what is due next.
    answered = sla_badge(_case(first_response_at=waw(2025, 6, 9, 9)), now=waw(2025, 6, 9, 11))
    assert answered.due == waw(2025, 6, 10, 9) and answered.state == "running"
