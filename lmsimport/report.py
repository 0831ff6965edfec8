"""The import report: per stage what was read and done, and one line per problem row.

A problem row is never fatal: it is imported as is with a warning (``flagged``) or left
out with the reason (``skipped``), and either way it is a line here with its LMS id, so
nothing disappears silently.
"""

from dataclasses import asdict, dataclass, field

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

    def add(self, kind: str, counter: str, n: int = 1) -> None:
        per_kind = self.counts.setdefault(kind, dict.fromkeys(COUNTERS, 0))
        per_kind[counter] += n

    def problem(self, *, lms_id: int, kind: str, action: str, message: str) -> None:
        self.problems.append(Problem(lms_id=lms_id, kind=kind, action=action,
                                     message=str(message)))
        self.add(kind, action)


@dataclass
class Report:
    dry_run: bool = False
    stages: list[StageReport] = field(default_factory=list)

    def stage(self, name: str) -> StageReport:
        stage = StageReport(name=name)
        self.stages.append(stage)
        return stage

    def as_dict(self) -> dict:
        return {"dry_run": self.dry_run, "stages": [asdict(s) for s in self.stages]}


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
    if report.get("dry_run"):
        lines += ["", "DRY RUN: nothing was written."]
    return "\n".join(lines)
