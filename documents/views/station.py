""""Zatwierdź dokument": the approval station of a USB barcode reader.

The reader types a document's code and Enter (or a person types the document's number,
or the code printed under the barcode); each one is posted by htmx and answered with one
line, prepended to the list, and today's documents awaiting approval listed again.
"""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.views import staff_view

from .. import selectors, services
from ..forms import ApproveCodeForm


def _line(result) -> dict:
    if result.ok:
        tone = "success"
    elif result.document is not None:  # known, but already approved
        tone = "warning"
    else:  # unknown code, another tenant's document
        tone = "danger"
    return {"result": result, "tone": tone, "at": timezone.now()}


@staff_view("documents.change_document")
@require_http_methods(["GET", "POST"])
def approve_station(request):
    """GET: the page; POST: approve one code (htmx gets the line, a plain form the page)."""
    lines = []
    if request.method == "POST":
        form = ApproveCodeForm(request.POST)
        code = form.cleaned_data["code"] if form.is_valid() else ""
        line = _line(services.document_approve_by_code(actor=request.user, code=code))
        if request.htmx:
            # The line, and today's list again (out of band): the approved one leaves it.
            return render(request, "documents/_approve_line.html", {
                **line, "awaiting": selectors.documents_awaiting_approval_today(),
                "oob": True})
        lines = [line]
    return render(request, "documents/approve.html", {
        "lines": lines, "awaiting": selectors.documents_awaiting_approval_today()})
