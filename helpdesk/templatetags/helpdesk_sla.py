"""The SLA badge of a case for queue views and the case page (no queries):

    {% load helpdesk_sla %}{% sla_badge case %}

or ``case|sla_state`` for the state alone ("running", "overdue", "breached", "paused",
"stopped", "none"), e.g. to colour a row."""

from django import template
from django.utils import timezone

from ..sla import sla_badge as badge_of

register = template.Library()


@register.inclusion_tag("helpdesk/sla/_badge.html", takes_context=True)
def sla_badge(context, case):
    # A view may pass ``sla_now`` so that every row is measured against the same moment.
    now = context.get("sla_now") or timezone.now()
    return {"sla": badge_of(case, now=now)}


@register.filter
def sla_state(case) -> str:
    return badge_of(case, now=timezone.now()).state
