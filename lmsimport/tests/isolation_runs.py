"""Tenant A's LMS import run for the isolation walk (tests/isolation_parts.py).

A real run needs an LMS database the walk does not have, so the run is written as the
runner leaves a finished one: its report with a problem line, the DSN already wiped."""

from django.utils import timezone

from lmsimport.models import ImportRun


def build(objects: dict, *, tenant, staff, customer) -> None:
    objects["importrun"] = ImportRun.all_tenants.create(
        tenant=tenant, status=ImportRun.Status.DONE, finished_at=timezone.now(),
        created_by=staff, dsn_host="lms-alfa.example:5432", dsn_name="lms_alfa",
        report={"dry_run": False, "reconciliation": None, "stages": [
            {"name": "customers",
             "counts": {"customer": {"read": 1, "created": 0, "updated": 0, "unchanged": 0,
                                     "deleted": 0, "skipped": 1, "flagged": 0}},
             "problems": [{"lms_id": 7, "kind": "customer", "action": "skipped",
                           "message": "ImportAlfa: no name"}]}]})
