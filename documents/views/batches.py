"""Bulk generation for a customer group: start, watch the progress, get the merged PDF."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.forms import apply_service_errors
from core.views import staff_view

from .. import selectors, services
from ..forms import BatchForm
from ..models import DocumentBatch


def _batch_or_404(pk) -> DocumentBatch:
    try:
        return selectors.batch_get(pk=pk)
    except DocumentBatch.DoesNotExist:
        raise Http404 from None


@staff_view("documents.view_documentbatch")
@require_http_methods(["GET", "POST"])
def batch_list(request):
    """The recent batches and the form that starts one (Celery, queued on commit)."""
    form = BatchForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("documents.add_documentbatch"):
            raise PermissionDenied
        if form.is_valid():
            try:
                batch = services.document_batch_start(actor=request.user, **form.cleaned_data)
            except ValidationError as e:
                apply_service_errors(form, e)
            else:
                messages.success(request, _("Bulk generation started."))
                return redirect("documents:batch", documentbatch_id=batch.pk)
    return render(request, "documents/batches.html", {
        "form": form, "batches": selectors.batch_list(),
    }, status=400 if form.errors else 200)


@staff_view("documents.view_documentbatch")
@require_GET
def batch_detail(request, documentbatch_id):
    return render(request, "documents/batch.html", {"batch": _batch_or_404(documentbatch_id)})


@staff_view("documents.view_documentbatch")
@require_GET
def batch_progress(request, documentbatch_id):
    """Polled by htmx every second; the answer stops polling once the batch is over."""
    return render(request, "documents/_batch_progress.html",
                  {"batch": _batch_or_404(documentbatch_id)})


@staff_view("documents.view_documentbatch")
@require_GET
def batch_download(request, documentbatch_id):
    batch = _batch_or_404(documentbatch_id)
    if not batch.merged_file:
        raise Http404
    try:
        handle = batch.merged_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=f"batch-{batch.pk}.pdf",
                        content_type="application/pdf")
