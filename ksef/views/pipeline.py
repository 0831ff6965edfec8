"""Staff pages of the KSeF pipeline: the queue ("KSeF" in the Finance menu), the tenant's
KSeF profile (administrators only), the UPO download, resending a rejected invoice, and
the KSeF panel on an invoice's page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import form_write
from core.views import staff_view

from .. import pipeline, selectors
from ..forms_pipeline import ProfileForm, QueueFilterForm
from ..models import KsefSubmission

PER_PAGE = 50


def _next(request, default: str) -> str:
    """The page to go back to: the form's ``next`` when it is on this site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def _submission_or_404(submission_id) -> KsefSubmission:
    try:
        return selectors.submission_get(pk=submission_id)
    except KsefSubmission.DoesNotExist:
        raise Http404 from None


def document_panel_context(request, document) -> dict | None:
    """The KSeF panel on an invoice's or a correction's page; None (no panel) for other
    documents and for documents never queued while the tenant does not send to KSeF."""
    from finance.models import Kind

    if document.kind not in (Kind.INVOICE, Kind.CORRECTION):
        return None
    submission = selectors.submission_for_document(document.pk)
    if submission is None:
        return None
    return {"submission": submission,
            "can_resend": request.user.has_perm("ksef.resend_ksefsubmission")}


@staff_view("ksef.view_ksefsubmission")
@require_GET
def queue(request):
    """The submissions, filtered by state and document number, paged; the deadline of each
    invoice issued offline. Queries: the state counts, the count, the page (with the
    documents and customers)."""
    form = QueueFilterForm(request.GET or None)
    state = search = ""
    if form.is_valid():
        state, search = form.cleaned_data["state"], form.cleaned_data["q"]
    rows = selectors.submission_list(state=state, search=search)
    counts = selectors.state_counts()
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "ksef/pipeline/queue.html", {
        "form": form, "page": page, "state": state, "q": search,
        "states": [(value, label, counts.get(value, 0))
                   for value, label in KsefSubmission.State.choices],
        "can_resend": request.user.has_perm("ksef.resend_ksefsubmission"),
    })


@staff_view("ksef.resend_ksefsubmission")
@require_POST
def queue_resend(request):
    """Bulk "send again" of the rejected submissions ticked on the queue page."""
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    count = pipeline.submissions_resend(actor=request.user, ids=ids)
    if count:
        messages.success(request, _("%(n)s invoice(s) queued for KSeF again.") % {"n": count})
    else:
        messages.warning(request, _("No rejected invoice was selected."))
    return redirect(_next(request, reverse("ksef:queue")))


@staff_view("ksef.resend_ksefsubmission")
@require_POST
def resend(request, ksefsubmission_id):
    submission = _submission_or_404(ksefsubmission_id)
    try:
        pipeline.submission_resend(actor=request.user, submission=submission)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Invoice %(n)s queued for KSeF again.")
                         % {"n": submission.document.number})
    return redirect(_next(request, reverse("finance:document", args=[submission.document_id])))


@staff_view("ksef.view_ksefsubmission")
@require_GET
def upo_download(request, ksefsubmission_id):
    """The UPO (Urzędowe Poświadczenie Odbioru) of an accepted invoice, as KSeF gave it."""
    submission = _submission_or_404(ksefsubmission_id)
    if not submission.upo:
        raise Http404
    response = HttpResponse(submission.upo.encode("utf-8"),
                            content_type="application/xml; charset=utf-8")
    name = f"UPO-{submission.ksef_number or submission.pk}.xml"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_view("ksef.change_ksefprofile")
@require_http_methods(["GET", "POST"])
def profile_edit(request):
    """The tenant's KSeF profile (administrators only: it holds the KSeF token)."""
    profile = pipeline.profile_get()
    initial = {"environment": "test", "send_after_billing": True, "send_on_issue": True}
    if profile is not None:
        initial = {name: getattr(profile, name) for name in pipeline.PROFILE_LOGGED}
    form = ProfileForm(request.POST or None, initial=initial,
                       has_token=bool(profile and profile.token))
    if request.method == "POST":
        saved = form_write(form, lambda data: pipeline.profile_save(actor=request.user, **data))
        if saved is not None:
            messages.success(request, _("The KSeF profile is saved."))
            return redirect("ksef:profile")
    return render(request, "ksef/pipeline/profile.html", {"form": form, "profile": profile},
                  status=400 if form.errors else 200)


@staff_view("ksef.change_ksefprofile")
@require_POST
def profile_test(request):
    """"Test connection": authenticates with the stored token and says what KSeF answered."""
    profile = pipeline.profile_get()
    if profile is None or not profile.token:
        messages.error(request, _("Save the profile with a KSeF token first."))
        return redirect("ksef:profile")
    try:
        pipeline.profile_connection_test(actor=request.user, profile=profile)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("KSeF accepted the token: the connection works."))
    return redirect("ksef:profile")
