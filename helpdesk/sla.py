"""SLA of cases: deadlines in business time (helpdesk.business_time), paused while the
case waits for the customer, breaches flagged and escalated by a beat job.

Owned by the SLA part. The case services call ``case_sla_refresh`` after every change of
a case's status, type, priority or first response, inside their transaction.
"""


def case_sla_refresh(case, *, now) -> list[str]:
    """Recompute ``case``'s SLA fields for its current state at ``now`` (in memory; the
    caller saves). Returns the names of the fields it changed."""
    return []
