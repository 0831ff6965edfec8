"""Tenant A's SLA objects for the isolation walk: a day off and an SLA target."""

import datetime as dt


def build(objects: dict, *, tenant, staff, customer) -> None:
    from helpdesk.services import sla as services
    from helpdesk.tests.factories import case_type_make

    case_type = objects.get("casetype") or case_type_make("Typ SLA Alfa")
    objects["holiday"] = services.holiday_create(actor=staff, date=dt.date(2025, 6, 10),
                                                 name="Inwentaryzacja Alfa")
    objects["slatarget"] = services.sla_target_create(
        actor=staff, case_type=case_type, priority=1, first_response_minutes=61,
        resolution_minutes=481)
