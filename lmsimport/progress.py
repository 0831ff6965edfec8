"""Live progress of an import, per stage, where the staff page can see it during the run.

The import runs in ONE transaction (``lmsimport.runner``): whatever it writes through the
default database connection — the ImportRun row included — stays invisible to the page
until the commit at the very end. So the progress goes to Django's cache instead, as the
bank import's does (``finance.bank.jobs``): Redis in production, shared by the web
processes and the Celery workers and outside any transaction; the embedded default (no
Redis) runs Celery eagerly in the web process itself, whose local-memory cache every
thread of that process shares. A second database connection would do too, but it needs
its own tenant scope (row-level security) and a connection held open per running import
for nothing but a few numbers.

The cache is only the live view: when the run ends, ``ImportRun.progress`` and its report
hold the outcome for good, and a progress entry lost from the cache (a Redis restart)
only leaves the bars at "waiting" until then.
"""

import time

from django.core.cache import cache
from django.utils import timezone

from .stages import STAGE_NAMES

PROGRESS_TTL = 7 * 24 * 3600
WRITE_EVERY = 0.5  # seconds between two cache writes of one stage's count

WAITING, RUNNING, DONE, FAILED = "waiting", "running", "done", "failed"
NOT_RUN = "notrun"


def _key(run_id: int) -> str:
    return f"lmsimport:progress:{run_id}"


def progress_get(run_id: int) -> dict:
    """``{"stages": {name: {"state", "done", "total"}}, "beat": iso moment}`` or {}."""
    return cache.get(_key(run_id)) or {}


def progress_clear(run_id: int) -> None:
    cache.delete(_key(run_id))


class ProgressWriter:
    """The runner's ``progress(stage, done, total)`` callback for one run.

    A stage that reports for the first time ends the ones before it: the runner calls
    ``advance(0)`` as each stage starts, so every stage the run reaches is seen."""

    def __init__(self, run_id: int):
        self.run_id = run_id
        self.state: dict = {"stages": {}, "beat": None}
        self._written = 0.0

    def __call__(self, stage: str, done: int, total: int | None = None) -> None:
        stages = self.state["stages"]
        before = stages.get(stage)
        if before is None:
            for other in stages.values():
                if other["state"] == RUNNING:
                    other["state"] = DONE
                    if other["total"] is not None:
                        other["done"] = other["total"]
        total = None if total is None else int(total)
        stages[stage] = {"state": RUNNING, "done": int(done), "total": total}
        # A stage reporting every row must not cost a cache write each: at most one per
        # WRITE_EVERY seconds, but always a new stage, a new total and a stage's end.
        now = time.monotonic()
        if before is not None and before["total"] == total and now - self._written \
                < WRITE_EVERY and not (total is not None and done >= total):
            return
        self._write(now)

    def _write(self, now: float) -> None:
        self._written = now
        self.state["beat"] = timezone.now().isoformat()
        cache.set(_key(self.run_id), self.state, PROGRESS_TTL)

    def finish(self, *, failed: bool = False) -> None:
        """The run ended: its last stage is done, or the stage it stopped in failed."""
        for other in self.state["stages"].values():
            if other["state"] == RUNNING:
                other["state"] = FAILED if failed else DONE
        self._write(time.monotonic())


def available_stages() -> list[str]:
    """The stages this version runs (a stage without its module is left out)."""
    from .stages import STAGES

    return [name for name, _run in STAGES]


def stage_rows(run, available: list[str]) -> list[dict]:
    """One row per stage in the import's order for the page's progress bars.

    ``state``: "waiting", "running", "done", "failed" (the stage a failed run stopped in),
    "notrun" (an ended run never reached it) or "absent" (its module is not in this
    version: a run leaves it out). ``percent``
    is None when the total is unknown."""
    live = progress_get(run.pk).get("stages", {})
    finished = run.status in (run.Status.DONE, run.Status.FAILED)
    names = list(STAGE_NAMES) + [n for n in (*live, *run.progress) if n not in STAGE_NAMES]
    rows = []
    for name in names:
        entry = live.get(name) or {}
        state = entry.get("state", WAITING)
        if run.progress.get(name) == DONE:
            state = DONE
        if finished and state == RUNNING:
            state = FAILED if run.status == run.Status.FAILED else DONE
        if name not in available and state == WAITING:
            state = "absent"
        elif finished and state == WAITING:
            state = NOT_RUN  # after the stage a run failed in, or added since the run
        done, total = entry.get("done", 0), entry.get("total")
        if state == DONE:
            percent = 100
        elif total:
            percent = min(100, int(done * 100 / total))
        else:
            percent = None
        rows.append({"name": name, "state": state, "done": done, "total": total,
                     "percent": percent})
    return rows

