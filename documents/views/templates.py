"""The tenant's document templates: list, create, edit (a new version each time), preview."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import apply_service_errors
from core.views import staff_view

from .. import selectors, services
from ..forms import PreviewForm, TemplateForm
from ..models import DocumentTemplate, DocumentType
from .jobs import FINISHED, job_progress

PERMISSION = "documents.change_documenttemplate"

# What each variable of ``rendering.document_context`` holds. The editor lists the names
# the context really has, so a variable added there shows up here (undescribed until
# it is described below).
CONTEXT_HELP = {
    "tenant.name": gettext_lazy("the ISP's name"),
    "tenant.nip": gettext_lazy("the ISP's NIP"),
    "customer.number": gettext_lazy("customer number"),
    "customer.kind": gettext_lazy("person or company"),
    "customer.name": gettext_lazy("full name or company name"),
    "customer.first_name": gettext_lazy("first name"),
    "customer.last_name": gettext_lazy("last name"),
    "customer.company_name": gettext_lazy("company name"),
    "customer.pesel": "PESEL",
    "customer.nip": "NIP",
    "customer.regon": "REGON",
    "customer.id_document": gettext_lazy("ID document number"),
    "customer.spouse_name": gettext_lazy("spouse (co-holder)"),
    "customer.status": gettext_lazy("customer status"),
    "customer.account": gettext_lazy("the customer's bank account for payments"),
    "addresses.residence": gettext_lazy("residence address: .street .building_no "
                                        ".apartment_no .postal_code .city .country .text"),
    "addresses.correspondence": gettext_lazy("correspondence address, the same fields"),
    "addresses.installation": gettext_lazy("list of installation addresses, the same fields"),
    "contacts.phones": gettext_lazy("list of phone numbers"),
    "contacts.emails": gettext_lazy("list of e-mail addresses"),
    "document.number": gettext_lazy("document number"),
    "document.type": gettext_lazy("document type"),
    "document.date": gettext_lazy("date of issue, in words"),
    "document.date_iso": gettext_lazy("date of issue, YYYY-MM-DD"),
    "document.parent_number": gettext_lazy("number of the contract an annex or a "
                                           "termination refers to"),
    "subscriptions": gettext_lazy("list of the customer's tariffs: .tariff .price_net "
                                  ".price_gross .vat_rate .period .discount .start .end"),
}


def context_rows(document_type: str) -> list[dict]:
    """The names a template may use, with what they hold."""
    rows = []
    for group, values in services.sample_context(document_type).items():
        if isinstance(values, list):  # a list of rows: one name, its fields in the help
            rows.append({"name": group, "help": CONTEXT_HELP.get(group, "")})
            continue
        for key in values:
            name = f"{group}.{key}"
            rows.append({"name": name, "help": CONTEXT_HELP.get(name, "")})
    return rows


def _template_or_404(pk) -> DocumentTemplate:
    try:
        return selectors.template_get(pk=pk)
    except DocumentTemplate.DoesNotExist:
        raise Http404 from None


@staff_view(PERMISSION)
@require_GET
def template_list(request):
    return render(request, "documents/templates.html", {
        "templates": selectors.template_list(),
    })


@staff_view(PERMISSION)
@require_http_methods(["GET", "POST"])
def template_create(request):
    form = TemplateForm(request.POST or None, initial={"body": services.SAMPLE_BODY})
    if request.method == "POST" and form.is_valid():
        try:
            template = services.document_template_create(actor=request.user, **form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("Template “%(n)s” created.") % {"n": template.name})
            return redirect("documents:template_edit", documenttemplate_id=template.pk)
    document_type = form.data.get("document_type") if form.is_bound else None
    return render(request, "documents/template_form.html", {
        "form": form, "template": None,
        "context_rows": context_rows(document_type if document_type in DocumentType.values
                                     else DocumentType.CONTRACT),
    }, status=400 if form.errors else 200)


@staff_view(PERMISSION)
@require_http_methods(["GET", "POST"])
def template_edit(request, documenttemplate_id):
    """Every save with a changed body or style is a new version; issued documents keep
    theirs. A template error is shown with its line and nothing is saved."""
    template = _template_or_404(documenttemplate_id)
    current = template.current_version
    form = TemplateForm(request.POST or None, creating=False, initial={
        "name": template.name, "is_default": template.is_default,
        "body": current.body if current else "", "css": current.css if current else ""})
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.document_template_update(actor=request.user, template=template,
                                                      **form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("Template “%(n)s” saved (version %(v)s).")
                             % {"n": saved.name, "v": saved.current_version.version})
            return redirect("documents:template_edit", documenttemplate_id=template.pk)
    return render(request, "documents/template_form.html", {
        "form": form, "template": template,
        "versions": selectors.template_version_list(template=template),
        "context_rows": context_rows(template.document_type),
    }, status=400 if form.errors else 200)


def _preview(request, document_type):
    """Start the preview in a worker. Finished at once (eager mode, a quick worker): the
    PDF or the errors; else the job's page, which polls until it is."""
    form = PreviewForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"body": [_("The template is empty.")]})
        job = services.template_preview_start(actor=request.user, document_type=document_type,
                                              body=form.cleaned_data["body"],
                                              css=form.cleaned_data["css"])
    except ValidationError as e:
        return render(request, "documents/preview_error.html", {"errors": e.messages},
                      status=400)
    if job["status"] in FINISHED:
        return _preview_result(request, job)
    return redirect(reverse("documents:preview_job") + "?" + urlencode({"job": job["id"]}))


def _preview_result(request, job):
    if job["status"] == "failed":
        return render(request, "documents/preview_error.html", {"errors": job["errors"]},
                      status=400)
    pdf = services.template_preview_pdf(actor=request.user, job_id=job["id"])
    if pdf is None:
        raise Http404
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, "preview.pdf")
    return response


def _job_or_404(request) -> dict:
    job = services.template_preview_get(actor=request.user, job_id=request.GET.get("job", ""))
    if job is None:
        raise Http404
    return job


@staff_view(PERMISSION)
@require_GET
def preview_job(request):
    """A preview rendered by a worker (``?job=<id>``): the PDF or the errors once it is
    finished, until then a page that polls ``preview_progress``."""
    job = _job_or_404(request)
    if job["status"] in FINISHED:
        return _preview_result(request, job)
    return render(request, "documents/preview_job.html", {"job": job})


@staff_view(PERMISSION)
@require_GET
def preview_progress(request):
    """Polled by htmx; once the preview is finished the page reloads to show it."""
    return job_progress(request, _job_or_404(request), "documents/_preview_progress.html")


@staff_view(PERMISSION)
@require_POST
def template_preview(request, documenttemplate_id):
    """The unsaved body and style on the sample customer, as a PDF in a new tab."""
    return _preview(request, _template_or_404(documenttemplate_id).document_type)


@staff_view(PERMISSION)
@require_POST
def template_preview_new(request):
    """Preview on the create page: the template does not exist yet, only its type."""
    return _preview(request, request.POST.get("document_type", ""))
