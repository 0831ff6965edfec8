"""Tenant A's objects for the isolation walk, reports and panel parts: the reports have
no objects of their own (they aggregate the cases and interactions other parts build);
tenant A's queue, type and topic names ending in "Alfa" must never show in tenant B's
reports page, which the walk checks. The panel's tickets are under ``panel/``, skipped
by the walk (its own session); ``helpdesk/tests/test_panel_tickets.py`` proves another
customer's and another tenant's tickets are 404s."""


def build(objects, *, tenant, staff, customer) -> None:
    pass
