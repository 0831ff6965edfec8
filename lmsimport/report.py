"""The import report: per stage what was read and done, and one line per problem row.

A problem row is never fatal: it is imported as is with a warning (``flagged``) or left
out with the reason (``skipped``), and either way it is a line here with its LMS id, so
nothing disappears silently.
"""

from dataclasses import asdict, dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

COUNTERS = ("read", "created", "updated", "unchanged", "deleted", "skipped", "flagged")


@dataclass
class Problem:
    lms_id: int
    kind: str      # what the row is in LMS: "customer", "contact", "address" …
    action: str    # "flagged" (imported with a warning) or "skipped"
    message: str   # what is wrong and what was done, in the staff's language


@dataclass
class StageReport:
    name: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # The run's whole report (set by ``Report.stage``): the reconciliation reads every
    # stage's problem lines through it, so a reported skip is not an unexplained difference.
    run: "Report | None" = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict:
        return {"name": self.name, "counts": self.counts,
                "problems": [asdict(p) for p in self.problems]}

    def add(self, kind: str, counter: str, n: int = 1) -> None:
        per_kind = self.counts.get(kind)  # called millions of times: no dict made per call
        if per_kind is None:
            per_kind = self.counts[kind] = dict.fromkeys(COUNTERS, 0)
        per_kind[counter] += n

    def problem(self, *, lms_id: int, kind: str, action: str, message: str) -> None:
        self.problems.append(Problem(lms_id=lms_id, kind=kind, action=action,
                                     message=str(message)))
        self.add(kind, action)


@dataclass
class Report:
    dry_run: bool = False
    stages: list[StageReport] = field(default_factory=list)
    # lmsimport.reconcile's comparison of LMS and Abonent after the stages (None: not run).
    reconciliation: dict | None = None

    def stage(self, name: str) -> StageReport:
        stage = StageReport(name=name, run=self)
        self.stages.append(stage)
        return stage

    def as_dict(self) -> dict:
        return {"dry_run": self.dry_run, "stages": [s.as_dict() for s in self.stages],
                "reconciliation": self.reconciliation}


def report_text(report: dict) -> str:
    """The report as the command prints it: a table of counts, then the problem lines."""
    lines = [f"{'kind':<20}" + "".join(f"{c:>10}" for c in COUNTERS)]
    for stage in report["stages"]:
        lines.append(f"[{stage['name']}]")
        for kind, counts in stage["counts"].items():
            lines.append(f"  {kind:<18}" + "".join(f"{counts[c]:>10}" for c in COUNTERS))
    problems = [p for s in report["stages"] for p in s["problems"]]
    if problems:
        lines.append("")
        lines += [f"{p['kind']} #{p['lms_id']}: {p['action']}: {p['message']}"
                  for p in problems]
    if report.get("reconciliation"):
        lines += ["", *reconciliation_text(report["reconciliation"])]
    if report.get("dry_run"):
        lines += ["", "DRY RUN: nothing was written."]
    return "\n".join(lines)


def _shown(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if isinstance(value, list):
        return " ".join(str(v) for v in value) or "-"
    return str(value)


def _difference_line(d: dict) -> str:
    where = d["check"] + (f" {d['month']}" if d.get("month") else "")
    named = d.get("lms_customer_id") is not None or d.get("abonent_customer_id") is not None
    if named and not d.get("customers"):  # a month lists its customers below instead
        where += " " + _("LMS customer #%(l)s (Abonent #%(a)s)") % {
            "l": d.get("lms_customer_id") or "-", "a": d.get("abonent_customer_id") or "-"}
    elif d.get("lms_id") is not None:
        where += f" LMS #{d['lms_id']}"
    line = f"  {where}: LMS {_shown(d['lms'])} / Abonent {_shown(d['abonent'])}"
    if d.get("explained_by"):
        line += " — " + d["explained_by"]
    for c in d.get("customers") or ():
        line += "\n    " + _("LMS customer #%(l)s (Abonent #%(a)s)") % {
            "l": c["lms_customer_id"] or "-", "a": c["abonent_customer_id"] or "-"} + \
            f": LMS {_shown(c['lms'])} / Abonent {_shown(c['abonent'])}"
    return line


def reconciliation_text(result: dict) -> list[str]:
    """The "Reconciliation" block: each check ok/DIFF, then the differences (those the
    report lines explain apart)."""
    lines = [_("Reconciliation"),
             f"  {'':<14}{'LMS':>34}{'Abonent':>34}"]
    for c in result["checks"]:
        state = "ok" if c["ok"] else "DIFF"
        lines.append(f"  {c['name']:<14}{_shown(c['lms']):>34}{_shown(c['abonent']):>34}"
                     f"  {state}")
    for title, rows, total in (
            (_("Differences (%(n)s):"), result["differences"], result["differences_total"]),
            (_("Explained by report lines (%(n)s):"), result["explained"],
             result["explained_total"])):
        if total:
            lines += ["", title % {"n": total}, *(_difference_line(d) for d in rows)]
        if total > len(rows):
            lines.append("  " + _("… and %(n)s more") % {"n": total - len(rows)})
    n = result["differences_total"]
    lines += ["", _("Reconciliation: no unexplained difference.") if result["ok"] else
              ngettext("Reconciliation: %(n)s unexplained difference.",
                       "Reconciliation: %(n)s unexplained differences.", n) % {"n": n}]
    return lines
