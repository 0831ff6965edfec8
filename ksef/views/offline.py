"""Staff pages of the offline part: KSeF outages (declare, end, the invoices issued in
one with their deadlines) and the tenant's KSeF offline certificate (KOD II)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import form_write
from core.views import staff_view

from .. import offline
from ..forms_offline import OfflineCertificateForm, OutageDeclareForm, OutageEndForm
from ..models import KsefOutage, OfflineCertificate

PER_PAGE = 25
INVOICES_PER_PAGE = 50


def _permission_or_403(request, permission):
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _outage_or_404(pk) -> KsefOutage:
    try:
        return offline.outage_get(pk)
    except KsefOutage.DoesNotExist:
        raise Http404 from None


@staff_view("ksef.view_ksefoutage")
@require_http_methods(["GET", "POST"])
def outages(request):
    """The tenant's declared outages, paged; declaring one. Queries: the count and the
    page (outages with who declared them)."""
    form = OutageDeclareForm(request.POST or None)
    if request.method == "POST":
        _permission_or_403(request, "ksef.add_ksefoutage")
        outage = form_write(form, lambda data: offline.outage_declare(actor=request.user,
                                                                      **data))
        if outage is not None:
            messages.success(request, _("Outage declared."))
            return redirect("ksef:outage", ksefoutage_id=outage.pk)
    page = Paginator(offline.outage_list(), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "ksef/offline/outages.html", {"form": form, "page": page},
                  status=400 if form.errors else 200)


@staff_view("ksef.view_ksefoutage")
@require_http_methods(["GET", "POST"])
def outage(request, ksefoutage_id):
    """One outage: ending it, and the invoices issued offline in it with the deadline
    for sending each, paged. Queries: the outage, the count, the page of submissions
    with their documents, and the tenant's failures (they may move the deadlines)."""
    outage = _outage_or_404(ksefoutage_id)
    form = OutageEndForm(request.POST or None, initial={"ends_at": outage.ends_at})
    if request.method == "POST":
        _permission_or_403(request, "ksef.change_ksefoutage")
        if form_write(form, lambda data: offline.outage_end(
                actor=request.user, outage=outage, **data)) is not None:
            messages.success(request, _("The end of the outage is saved: the deadlines "
                                        "for sending its invoices run from it."))
            return redirect("ksef:outage", ksefoutage_id=outage.pk)
    page = Paginator(offline.outage_submissions(outage), INVOICES_PER_PAGE).get_page(
        request.GET.get("page"))
    failures = offline.failures_list(request.tenant)
    rows = [{"submission": s, "deadline": offline.submission_deadline(
        s, outage=outage, failures=failures)} for s in page]
    return render(request, "ksef/offline/outage.html", {
        "outage": outage, "form": form, "page": page, "rows": rows,
    }, status=400 if form.errors else 200)


@staff_view("ksef.view_offlinecertificate")
@require_http_methods(["GET", "POST"])
def certificate(request):
    """The tenant's KSeF "Offline" certificate (never its key) and the upload of a new
    one, checked: the key matches, the certificate is valid today."""
    form = OfflineCertificateForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        _permission_or_403(request, "ksef.add_offlinecertificate")
        stored = form_write(form, lambda data: offline.offline_certificate_upload(
            actor=request.user, **data))
        if stored is not None:
            messages.success(request, _("Offline certificate %(serial)s saved.")
                             % {"serial": stored.serial})
            return redirect("ksef:offline_certificate")
    current = OfflineCertificate.objects.defer("private_key_pem").first()
    return render(request, "ksef/offline/certificate.html", {
        "form": form, "current": current,
    }, status=400 if form.errors else 200)


@staff_view("ksef.delete_offlinecertificate")
@require_POST
def certificate_delete(request):
    current = OfflineCertificate.objects.first()
    if current is None:
        raise Http404
    offline.offline_certificate_delete(actor=request.user, certificate=current)
    messages.success(request, _("Offline certificate removed: invoices issued offline "
                                "from now on carry KOD I only."))
    return redirect("ksef:offline_certificate")
