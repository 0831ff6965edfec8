"""Staff pages of the bank import: upload and the imports, one import's lines, the
progress of a big file imported by a worker, and the queue of unidentified lines."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.forms import apply_service_errors
from core.views import staff_view
from customers.models import Customer
from customers.selectors import customer_get, customer_list

from ..bank import jobs, selectors
from ..bank.forms import BankAssignForm, BankUploadForm
from ..bank.importer import bank_line_assign, bank_statement_import
from ..models import BankImport, BankLine

PER_PAGE = 50


def _page(request, queryset):
    return Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))


def _import_or_404(pk) -> BankImport:
    try:
        return selectors.bank_import_get(pk=pk)
    except BankImport.DoesNotExist:
        raise Http404 from None


def _line_or_404(pk) -> BankLine:
    try:
        return selectors.bank_line_get(pk=pk)
    except BankLine.DoesNotExist:
        raise Http404 from None


@staff_view("finance.view_bankimport")
@require_http_methods(["GET", "POST"])
def bank_imports(request):
    """The imports, newest first, and the upload form. A small file is imported at once;
    a big one by a worker, whose progress page the user is sent to."""
    form = BankUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not request.user.has_perm("finance.add_bankimport"):
            raise PermissionDenied
        if form.is_valid():
            upload = form.cleaned_data["file"]
            data, choice = upload.read(), form.cleaned_data["format"]
            try:
                if len(data) > jobs.SYNC_MAX_BYTES:
                    job_id = jobs.bank_job_start(actor=request.user, data=data,
                                                 file_name=upload.name, choice=choice)
                    return redirect(reverse("finance:bank_job") + "?" + urlencode({"job": job_id}))
                batch = bank_statement_import(actor=request.user, data=data,
                                              file_name=upload.name,
                                              **jobs.import_options(choice))
            except ValidationError as e:
                apply_service_errors(form, e)
            else:
                messages.success(request, _("Statement imported."))
                return redirect("finance:bank_import", bankimport_id=batch.pk)
    return render(request, "finance/bank/imports.html", {
        "form": form, "page": _page(request, selectors.bank_import_list()),
    }, status=400 if form.errors else 200)


@staff_view("finance.view_bankimport")
@require_GET
def bank_import(request, bankimport_id):
    batch = _import_or_404(bankimport_id)
    status = request.GET.get("status", "")
    if status not in BankLine.Status.values:
        status = ""
    return render(request, "finance/bank/import.html", {
        "batch": batch, "status": status, "statuses": BankLine.Status.choices,
        "query_string": urlencode({"status": status}) + "&" if status else "",
        "page": _page(request, selectors.bank_line_list(bank_import=batch, status=status)),
    })


@staff_view("finance.view_bankimport")
@require_GET
def bank_job(request):
    """The progress of a statement a worker imports (``?job=<id>``); htmx polls
    ``bank_job_progress``."""
    job = jobs.bank_job_get(request.GET.get("job", ""))
    if job is None:
        raise Http404
    return render(request, "finance/bank/job.html", {"job": job})


@staff_view("finance.view_bankimport")
@require_GET
def bank_job_progress(request):
    job = jobs.bank_job_get(request.GET.get("job", ""))
    if job is None:
        raise Http404
    return render(request, "finance/bank/_job_progress.html", {"job": job})


@staff_view("finance.view_bankline")
@require_GET
def bank_unidentified(request):
    query = request.GET.get("q", "").strip()
    lines = selectors.bank_line_list(status=BankLine.Status.UNIDENTIFIED, query=query)
    return render(request, "finance/bank/unidentified.html", {
        "q": query, "page": _page(request, lines),
        "query_string": urlencode({"q": query}) + "&" if query else "",
    })


@staff_view("finance.change_bankline")
@require_http_methods(["GET", "POST"])
def bank_line_assign_view(request, bankline_id):
    """Find the customer (by name, number, account…) and book the line to them."""
    line = _line_or_404(bankline_id)
    form = BankAssignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = customer_get(pk=form.cleaned_data["customer_id"])
        except Customer.DoesNotExist:
            raise Http404 from None
        try:
            bank_line_assign(actor=request.user, line=line, customer=customer)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("The transfer was booked to %(customer)s.")
                             % {"customer": customer.display_name})
            return redirect("finance:bank_unidentified")
    query = request.GET.get("q", "").strip() or line.counterparty_name
    candidates = list(customer_list(query=query)[:20]) if query else []
    return render(request, "finance/bank/assign.html", {
        "line": line, "form": form, "q": query, "candidates": candidates,
    }, status=400 if form.errors else 200)

