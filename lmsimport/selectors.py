"""Reads of the LMS import: the runs, one run's report as the page shows it."""

from django.db.models import QuerySet

from .models import ImportRun
from .report import COUNTERS


def import_run_list() -> QuerySet:
    """The tenant's runs, newest first, with who started each (one query)."""
    return ImportRun.objects.select_related("created_by").order_by("-started_at", "-id")


def import_run_get(*, pk) -> ImportRun:
    return import_run_list().get(pk=pk)


def import_run_active() -> ImportRun | None:
    """The tenant's run still queued or running, if any."""
    return import_run_list().filter(status__in=ImportRun.ACTIVE).first()


def stage_counts(run: ImportRun) -> list[dict]:
    """Per stage, per kind of LMS row, the report's counters in ``COUNTERS`` order."""
    rows = []
    for stage in (run.report or {}).get("stages", []):
        for kind, counts in stage.get("counts", {}).items():
            rows.append({"stage": stage["name"], "kind": kind,
                         "counts": [counts.get(c, 0) for c in COUNTERS]})
    return rows


def problem_list(run: ImportRun, *, kind: str = "", action: str = "",
                 stage: str = "") -> list[dict]:
    """The report's problem lines (thousands in a big LMS), each with its stage, in the
    report's order; ``kind``, ``action`` and ``stage`` filter them when given."""
    lines = []
    for part in (run.report or {}).get("stages", []):
        if stage and part["name"] != stage:
            continue
        for problem in part.get("problems", []):
            if kind and problem["kind"] != kind:
                continue
            if action and problem["action"] != action:
                continue
            lines.append({"stage": part["name"], **problem})
    return lines


def problem_filters(run: ImportRun) -> dict:
    """What the problem lines can be filtered by: the kinds, actions and stages present."""
    kinds, actions, stages = set(), set(), []
    for part in (run.report or {}).get("stages", []):
        if part.get("problems"):
            stages.append(part["name"])
        for problem in part.get("problems", []):
            kinds.add(problem["kind"])
            actions.add(problem["action"])
    return {"kinds": sorted(kinds), "actions": sorted(actions), "stages": stages}


def differences_count(reconciliation: dict | None) -> int | None:
    """How many differences the reconciliation found (its list may be capped, with the
    total beside it); None when it did not run."""
    if not reconciliation:
        return None
    for key in ("differences_total", "total_differences", "differences_count"):
        if isinstance(reconciliation.get(key), int):
            return reconciliation[key]
    return len(reconciliation.get("differences") or [])
