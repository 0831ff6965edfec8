"""Staff pages of the LMS import (Settings → Import from LMS): the form and the past runs,
one run's progress (polled by htmx while it runs) and its report."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from core.forms import form_write
from core.views import staff_view

from . import selectors, services
from .forms import ImportStartForm
from .models import ImportRun
from .progress import available_stages, stage_rows
from .report import COUNTERS

RUNS_PER_PAGE = 25
PROBLEMS_PER_PAGE = 50

STAGE_LABELS = {
    "customers": gettext_lazy("Customers"), "tariffs": gettext_lazy("Tariffs"),
    "nodes": gettext_lazy("Nodes and logins"), "documents": gettext_lazy("Documents"),
    "cash": gettext_lazy("Cash ledger"), "helpdesk": gettext_lazy("Helpdesk"),
    "events": gettext_lazy("Events"), "voip": gettext_lazy("VoIP"),
    # Not a stage: lmsimport.reconcile reports its progress under this name.
    "reconciliation": gettext_lazy("Reconciliation"),
}
COUNTER_LABELS = {
    "read": gettext_lazy("read"), "created": gettext_lazy("created"),
    "updated": gettext_lazy("updated"), "unchanged": gettext_lazy("unchanged"),
    "deleted": gettext_lazy("deleted"), "skipped": gettext_lazy("skipped"),
    "flagged": gettext_lazy("flagged"),
}


def _run_or_404(pk) -> ImportRun:
    try:
        return selectors.import_run_get(pk=pk)
    except ImportRun.DoesNotExist:
        raise Http404 from None


def _progress_context(run: ImportRun) -> dict:
    rows = stage_rows(run, available_stages())
    for row in rows:
        row["label"] = STAGE_LABELS.get(row["name"], row["name"])
    return {"run": run, "stages": rows}


@staff_view("lmsimport.view_importrun")
@require_http_methods(["GET", "POST"])
def import_list(request):
    """The runs, newest first, and the form that queues a new one (on PostgreSQL only: the
    stages write with PostgreSQL's SQL)."""
    postgresql = services.import_supported()
    form = ImportStartForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("lmsimport.run_import"):
            raise PermissionDenied
        run = form_write(form, lambda data: services.import_run_start(actor=request.user,
                                                                      **data))
        if run is not None:
            messages.success(request, _("The import was queued."))
            return redirect("lmsimport:detail", importrun_id=run.pk)
    page = Paginator(selectors.import_run_list(), RUNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "lmsimport/list.html", {
        "form": form, "page": page, "postgresql": postgresql,
        "active": selectors.import_run_active(),
    }, status=400 if form.errors else 200)


def _readable(reconciliation: dict | None) -> dict | None:
    """The reconciliation with its compound values (a month's ``{"count", "gross"}``)
    written as "count: 61, gross: 3752.63" rather than as Python's dict."""
    if not reconciliation:
        return reconciliation

    def text(value):
        if isinstance(value, dict):
            return ", ".join(f"{k}: {v}" for k, v in value.items())
        return value

    def rows(items):
        return [{**row, "lms": text(row.get("lms")), "abonent": text(row.get("abonent"))}
                for row in items or []]

    return {**reconciliation, "checks": rows(reconciliation.get("checks")),
            "differences": rows(reconciliation.get("differences")),
            "explained": rows(reconciliation.get("explained"))}


@staff_view("lmsimport.view_importrun")
@require_GET
def import_detail(request, importrun_id):
    """One run: the stages' progress, then its report — counts per stage and kind, the
    problem lines (paged, filtered by kind, action and stage) and the reconciliation."""
    run = _run_or_404(importrun_id)
    filters = selectors.problem_filters(run)
    chosen = {name: request.GET.get(name, "") for name in ("kind", "action", "stage")}
    for name, allowed in (("kind", filters["kinds"]), ("action", filters["actions"]),
                          ("stage", filters["stages"])):
        if chosen[name] not in allowed:
            chosen[name] = ""
    problems = Paginator(selectors.problem_list(run, **chosen), PROBLEMS_PER_PAGE) \
        .get_page(request.GET.get("page"))
    for line in problems:
        line["stage_label"] = STAGE_LABELS.get(line["stage"], line["stage"])
    query = {k: v for k, v in chosen.items() if v}
    reconciliation = _readable((run.report or {}).get("reconciliation"))
    return render(request, "lmsimport/detail.html", {
        **_progress_context(run),
        "finished": run.status in (ImportRun.Status.DONE, ImportRun.Status.FAILED),
        "counters": [COUNTER_LABELS[c] for c in COUNTERS],
        "counts": [{**row, "stage_label": STAGE_LABELS.get(row["stage"], row["stage"])}
                   for row in selectors.stage_counts(run)],
        "problems": problems,
        "problems_total": sum(len(s.get("problems", []))
                              for s in (run.report or {}).get("stages", [])),
        "filters": filters, "chosen": chosen,
        "query_string": urlencode(query) + "&" if query else "",
        "stage_choices": [(s, STAGE_LABELS.get(s, s)) for s in filters["stages"]],
        "reconciliation": reconciliation,
        "differences_total": selectors.differences_count(reconciliation),
        "explained_total": (reconciliation or {}).get("explained_total")
        or len((reconciliation or {}).get("explained") or []),
    })


@staff_view("lmsimport.view_importrun")
@require_GET
def import_progress(request, importrun_id):
    """The progress bars htmx polls; once the run has ended the page reloads to show the
    report."""
    run = _run_or_404(importrun_id)
    response = render(request, "lmsimport/_progress.html", _progress_context(run))
    if run.status in (ImportRun.Status.DONE, ImportRun.Status.FAILED):
        response["HX-Refresh"] = "true"
    return response
