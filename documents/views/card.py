"""The "Documents" section of the customer card and what its buttons do.

Writes come back as the section re-rendered (htmx) or the card (a plain form), as the
other sections of the card do; files are served as downloads and recorded in
"Historia pobrań".
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.forms import apply_service_errors
from core.http import client_ip
from core.sections import CardDocument, card_document_order, card_documents_for
from core.views import staff_view
from customers.models import Customer
from customers.views.base import card_url, section_call, section_done

from .. import selectors, services
from ..forms import DocumentIssueForm, DocumentScanForm, LetterForm, RegenerateForm
from ..models import Document, DocumentFile, DocumentScan
from .jobs import job_progress

SECTION = "documents"


@dataclass
class DocumentRow:
    """A row of the list: one of this app's documents or another app's (``other``)."""

    date: date
    at: datetime | None
    document: Document | None = None
    other: CardDocument | None = None


def document_rows(documents: list[Document], others: list[CardDocument]) -> list[DocumentRow]:
    """This app's documents and the other apps' (a WZ, a ZW: ``core.sections``) in one
    list, newest first by date, at most as many as the card shows."""
    rows = [DocumentRow(timezone.localdate(d.issued_at), d.issued_at, document=d)
            for d in documents]
    rows += [DocumentRow(o.date, o.at, other=o) for o in others]
    rows.sort(key=card_document_order, reverse=True)  # stable: each list keeps its order
    return rows[:selectors.CARD_DOCUMENTS_LIMIT]


def documents_section_context(customer, request):
    """The card's "Documents" section: a constant number of queries whatever it holds.

    Queries: the newest documents and their files, scans and children
    (``selectors.customer_document_list``); the other apps' documents of the customer
    (``core.sections.card_documents_for``: the warehouse's WZ and ZW, one query); for a
    user who may issue, the tenant's templates and the customer's contracts, which fill
    the forms' choices.
    """
    can_issue = request.user.has_perm("documents.add_document")
    templates = selectors.template_list() if can_issue else []
    contracts = selectors.customer_contract_choices(customer=customer) if can_issue else []
    documents = selectors.customer_document_list(customer=customer)
    return {
        "documents": documents,
        "document_rows": document_rows(documents, card_documents_for(
            customer, request, limit=selectors.CARD_DOCUMENTS_LIMIT)),
        "issue_form": DocumentIssueForm(templates=templates, contracts=contracts,
                                        auto_id="document_issue_%s"),
        "letter_form": LetterForm(templates=templates, auto_id="letter_%s"),
    }


def _issue(request, customer, name, form, start, done):
    """Start an issue in a worker (``services.document_issue_start``). Finished at once
    (eager mode, a quick worker): the section with the outcome, as any write; else the
    job's page, which polls until the document is there."""
    if form.is_valid():
        try:
            job = start(form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            if job["status"] == "failed":
                apply_service_errors(form, ValidationError(job["field_errors"] or job["errors"]))
            elif job["status"] == "done":
                return section_done(request, customer.pk, SECTION, forms={name: form},
                                    message=done % {"n": job["number"]})
            else:
                url = reverse("documents:issue_job") + "?" + urlencode({"job": job["id"]})
                if request.htmx:
                    return HttpResponse(headers={"HX-Redirect": url})
                return redirect(url)
    return section_done(request, customer.pk, SECTION, forms={name: form})


@staff_view("documents.add_document")
@require_POST
def document_issue(request, customer_id):
    customer = get_object_or_404(Customer, pk=customer_id)
    form = DocumentIssueForm(request.POST, templates=selectors.template_list(),
                             contracts=selectors.customer_contract_choices(customer=customer),
                             auto_id="document_issue_%s")

    def start(data):
        parent = None
        if data["parent"] is not None:
            parent = selectors.document_get(pk=data["parent"], customer_id=customer.pk)
        return services.document_issue_start(
            actor=request.user, customer=customer, document_type=data["document_type"],
            template=form.templates.get(data["template"]), parent=parent, title=data["title"])

    return _issue(request, customer, "document_issue", form, start,
                  _("Document %(n)s issued."))


@staff_view("documents.add_document")
@require_POST
def letter_issue(request, customer_id):
    """"Wygeneruj pismo": a letter from the chosen letter template."""
    customer = get_object_or_404(Customer, pk=customer_id)
    form = LetterForm(request.POST, templates=selectors.template_list(), auto_id="letter_%s")

    def start(data):
        return services.document_issue_start(
            actor=request.user, customer=customer, document_type="letter",
            template=form.templates[data["template"]], title=data["title"])

    return _issue(request, customer, "letter", form, start, _("Letter %(n)s generated."))


def _issue_job_or_404(request) -> dict:
    job = services.document_issue_job_get(actor=request.user,
                                          job_id=request.GET.get("job", ""))
    if job is None:
        raise Http404
    return job


@staff_view("documents.add_document")
@require_GET
def issue_job(request):
    """A document being issued by a worker (``?job=<id>``): once it is there, the card
    with the message; refused, the reasons; until then a page that polls."""
    job = _issue_job_or_404(request)
    if job["status"] == "done":
        messages.success(request, _("Document %(n)s issued.") % {"n": job["number"]})
        return redirect(card_url(job["customer_id"], SECTION))
    return render(request, "documents/issue_job.html", {"job": job},
                  status=400 if job["status"] == "failed" else 200)


@staff_view("documents.add_document")
@require_GET
def issue_progress(request):
    """Polled by htmx; once the job is finished the page reloads to show the outcome."""
    return job_progress(request, _issue_job_or_404(request), "documents/_issue_progress.html")


@staff_view("documents.change_document")
@require_POST
def document_regenerate(request, customer_id):
    """Regenerate the chosen documents; each keeps its earlier files as versions."""
    customer = get_object_or_404(Customer, pk=customer_id)
    form = RegenerateForm(request.POST, customer=customer)
    done = []
    if form.is_valid():
        for document in form.cleaned_data["document"]:
            try:
                services.document_regenerate(actor=request.user, document=document)
            except ValidationError as e:
                for text in e.messages:
                    messages.error(request, f"{document.number}: {text}")
            else:
                done.append(document.number)
    else:
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
    message = _("Regenerated: %(numbers)s.") % {"numbers": ", ".join(done)} if done else None
    return section_done(request, customer.pk, SECTION, message=message)


@staff_view("documents.change_document")
@require_POST
def document_approve(request, document_id):
    """The padlock."""
    document = get_object_or_404(Document, pk=document_id)
    return section_call(
        request, document.customer_id, SECTION,
        lambda: services.document_approve(actor=request.user, document=document),
        _("Document %(n)s approved.") % {"n": document.number})


@staff_view("documents.add_documentscan")
@require_POST
def scan_add(request, document_id):
    """The signed copy; a refused file is said in a message above the card."""
    document = get_object_or_404(Document.objects.select_related("customer"), pk=document_id)
    form = DocumentScanForm(request.POST, request.FILES)
    message = None
    try:
        if not form.is_valid():
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        services.document_scan_add(actor=request.user, document=document,
                                   uploaded_file=form.cleaned_data["file"])
    except ValidationError as e:
        for text in e.messages:
            messages.error(request, f"{document.number}: {text}")
    else:
        message = _("Signed copy added to %(n)s.") % {"n": document.number}
    return section_done(request, document.customer_id, SECTION, message=message)


@staff_view("documents.delete_documentscan")
@require_POST
def scan_remove(request, document_id, documentscan_id):
    """Remove a signed copy (a wrong or unreadable one); recorded in the action log."""
    scan = get_object_or_404(DocumentScan.objects.select_related("document__customer"),
                             pk=documentscan_id, document_id=document_id)
    return section_call(
        request, scan.document.customer_id, SECTION,
        lambda: services.document_scan_remove(actor=request.user, scan=scan),
        _("Signed copy “%(f)s” removed from %(n)s.")
        % {"f": scan.original_name, "n": scan.document.number})


# --------------------------------------------------------------------------- files

def _pdf_name(document: Document, suffix: str = "") -> str:
    return f"{document.number.replace('/', '_')}{suffix}.pdf"


def _record_download(request, document):
    services.document_download_record(document=document, via="staff", ip=client_ip(request),
                                      user=request.user)


def _open(field):
    try:
        return field.open("rb")
    except FileNotFoundError:
        raise Http404 from None


@staff_view("documents.view_document")
@require_GET
def document_download(request, document_id):
    """The current PDF, recorded in the download history."""
    document = get_object_or_404(Document, pk=document_id)
    current = selectors.document_file_current(document=document)
    if current is None:
        raise Http404
    handle = _open(current.file)
    _record_download(request, document)
    return FileResponse(handle, as_attachment=True, filename=_pdf_name(document),
                        content_type="application/pdf")


@staff_view("documents.view_document")
@require_GET
def file_download(request, document_id, documentfile_id):
    """An earlier (or the current) file version; a download like any other."""
    stored = get_object_or_404(DocumentFile.objects.select_related("document"),
                               pk=documentfile_id, document_id=document_id)
    handle = _open(stored.file)
    _record_download(request, stored.document)
    return FileResponse(handle, as_attachment=True,
                        filename=_pdf_name(stored.document, f"-v{stored.version}"),
                        content_type="application/pdf")


@staff_view("documents.view_document")
@require_GET
def document_print(request, document_id):
    """The PDF followed by its signed copies, shown in the browser to print it."""
    document = get_object_or_404(Document, pk=document_id)
    try:
        pdf = services.document_print_pdf(document=document)
    except (ValidationError, FileNotFoundError):
        raise Http404 from None
    _record_download(request, document)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, _pdf_name(document))
    return response


@staff_view("documents.view_document")
@require_GET
def scan_download(request, document_id, documentscan_id):
    scan = get_object_or_404(DocumentScan, pk=documentscan_id, document_id=document_id)
    return FileResponse(_open(scan.file), as_attachment=True, filename=scan.original_name,
                        content_type=scan.content_type)


@staff_view("documents.view_documentdownload")
@require_GET
def download_history(request, document_id):
    """"Historia pobrań": loaded into the card by htmx, or a page of its own."""
    document = get_object_or_404(Document.objects.select_related("customer"), pk=document_id)
    template = "documents/card/_downloads.html" if request.htmx else "documents/downloads.html"
    return render(request, template, {
        "document": document, "customer": document.customer,
        "downloads": selectors.document_download_list(document=document),
    })
