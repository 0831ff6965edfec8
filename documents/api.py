"""REST API of the documents engine.

* ``/api/v1/customers/{customer_pk}/documents/`` — a customer's documents: list, issue,
  download, print (with the signed copies), approve, regenerate, add a signed copy and
  the download history;
* ``/api/v1/documents/approve-code/`` — what a barcode reader at the desk sends;
* ``/api/v1/document-templates/`` — the tenant's templates (every change is a version).

Views parse, call one service or selector, and serialize; every queryset goes through
the scoped managers, so another tenant's customer, document or template is a 404. The
``*_list`` / ``*_get`` functions below are this module's selectors: they own the
annotations and prefetches the serializers rely on.
"""

import io

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import FileResponse
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.reverse import reverse

from core.api import TenantViewSet
from core.http import client_ip
from customers import services as customer_services
from customers.api import CustomerNestedViewSet
from customers.models import CustomerGroup, GroupDefaultTemplate

from . import selectors, serializers, services
from .filters import DocumentFilter, DocumentTemplateFilter
from .models import (
    Document,
    DocumentDownload,
    DocumentTemplate,
)

PDF_RESPONSE = {(200, "application/pdf"): OpenApiTypes.BINARY}


# --------------------------------------------------------------------------- selectors

def _pdf_name(document: Document, suffix: str = "") -> str:
    # Numbers look like "UM/2026/7": slashes are not allowed in a file name.
    return f"{document.number.replace('/', '-')}{suffix}.pdf"


# --------------------------------------------------------------------------- documents

@extend_schema_view(
    create=extend_schema(
        request=serializers.DocumentIssueSerializer,
        responses={201: serializers.DocumentSerializer,
                   202: serializers.DocumentIssueJobSerializer},
        description="Issue a document. The PDF is rendered by a worker: when it is done "
                    "at once the answer is 201 with the document, else 202 with the job, "
                    "whose state `issue-jobs/{job}/` tells (Location header)."),
    issue_job=extend_schema(responses=serializers.DocumentIssueJobSerializer),
)
class DocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CustomerNestedViewSet):
    """A customer's documents; issuing renders the PDF in a worker."""

    model = Document
    serializer_class = serializers.DocumentSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = DocumentFilter
    action_permissions = {
        "approve": ["documents.change_document"],
        "regenerate": ["documents.change_document"],
        "scans": ["documents.add_documentscan"],
        "scan_remove": ["documents.delete_documentscan"],
        "downloads": ["documents.view_documentdownload"],
    }

    def scoped_queryset(self):
        return selectors.document_api_list(customer=self.customer)

    def _fresh(self, document: Document) -> Document:
        return selectors.document_api_list(customer=self.customer).get(pk=document.pk)

    def create(self, request, customer_pk=None):
        data = self.parsed(serializers.DocumentIssueSerializer)
        job = services.document_issue_start(actor=request.user, customer=self.customer,
                                            **data)
        return self._job_answer(job)

    def _job_answer(self, job: dict, *, created: int = status.HTTP_201_CREATED):
        if job["status"] == "failed":
            raise DjangoValidationError(job["field_errors"] or job["errors"])
        if job["status"] == "done":
            document = self._fresh(selectors.document_get(pk=job["document_id"],
                                                          customer_id=self.customer.pk))
            return Response(self.get_serializer(document).data, status=created)
        url = reverse("api:customer-documents-issue-job", request=self.request,
                      kwargs={"customer_pk": self.customer.pk, "job_id": job["id"]})
        return Response(serializers.DocumentIssueJobSerializer(job).data,
                        status=status.HTTP_202_ACCEPTED, headers={"Location": url})

    @action(detail=False, methods=["get"], url_path=r"issue-jobs/(?P<job_id>[0-9a-f]{32})",
            url_name="issue-job")
    def issue_job(self, request, customer_pk=None, job_id=None):
        """An issue's state: 202 while a worker has it, 200 with the document once it is
        issued, 400 with the reasons when it was refused. Another user's job is a 404."""
        job = services.document_issue_job_get(actor=request.user, job_id=job_id)
        if job is None or job["customer_id"] != self.customer.pk:
            raise NotFound()
        return self._job_answer(job, created=status.HTTP_200_OK)

    def _record_download(self, document: Document) -> None:
        services.document_download_record(document=document, via=DocumentDownload.Via.API,
                                          ip=client_ip(self.request), user=self.request.user)

    @extend_schema(responses=PDF_RESPONSE)
    @action(detail=True, methods=["get"])
    def download(self, request, customer_pk=None, pk=None):
        """The current generated PDF; the download is recorded in its history."""
        document = self.get_object()
        stored = selectors.document_file_current(document=document)
        if stored is None:
            raise NotFound(_("The document has no file."))
        self._record_download(document)
        return FileResponse(stored.file.open("rb"), as_attachment=True,
                            filename=_pdf_name(document), content_type="application/pdf")

    @extend_schema(responses=PDF_RESPONSE)
    @action(detail=True, methods=["get"], url_path="print", url_name="print")
    def print_pdf(self, request, customer_pk=None, pk=None):
        """The generated PDF followed by the signed copies; recorded like a download."""
        document = self.get_object()
        pdf = services.document_print_pdf(document=document)
        self._record_download(document)
        return FileResponse(io.BytesIO(pdf), as_attachment=True,
                            filename=_pdf_name(document, "-print"),
                            content_type="application/pdf")

    @extend_schema(request=None, responses=serializers.DocumentSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, customer_pk=None, pk=None):
        """The padlock; an approved document answers 400 with when it was approved."""
        document = services.document_approve(actor=request.user, document=self.get_object())
        return self.respond(self._fresh(document), status.HTTP_200_OK)

    @extend_schema(request=None, responses=serializers.DocumentSerializer)
    @action(detail=True, methods=["post"])
    def regenerate(self, request, customer_pk=None, pk=None):
        """A new file from current customer data; the previous file is kept."""
        document = self.get_object()
        services.document_regenerate(actor=request.user, document=document)
        return self.respond(self._fresh(document), status.HTTP_200_OK)

    @extend_schema(request=serializers.DocumentScanInputSerializer,
                   responses={201: serializers.DocumentScanSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def scans(self, request, customer_pk=None, pk=None):
        """Attach the signed copy (PDF, JPG or PNG, recognised by its content)."""
        document = self.get_object()  # first: another tenant's document is a 404
        data = self.parsed(serializers.DocumentScanInputSerializer)
        scan = services.document_scan_add(actor=request.user, document=document,
                                          uploaded_file=data["file"])
        return Response(serializers.DocumentScanSerializer(scan).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None}, parameters=[
        OpenApiParameter("scan_pk", int, OpenApiParameter.PATH, description="The signed copy.")])
    @action(detail=True, methods=["delete"], url_path=r"scans/(?P<scan_pk>\d+)",
            url_name="scan-remove")
    def scan_remove(self, request, customer_pk=None, pk=None, scan_pk=None):
        """Remove a signed copy; recorded in the action log."""
        document = self.get_object()  # first: another tenant's document is a 404
        scan = document.scans.filter(pk=scan_pk).first()
        if scan is None:
            raise NotFound()
        services.document_scan_remove(actor=request.user, scan=scan)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=serializers.DocumentDownloadSerializer(many=True))
    @action(detail=True, methods=["get"])
    def downloads(self, request, customer_pk=None, pk=None):
        """"Historia pobrań": who downloaded the document, when, from where; newest first."""
        page = self.paginate_queryset(
            selectors.document_download_queryset(document=self.get_object()))
        return self.get_paginated_response(
            serializers.DocumentDownloadSerializer(page, many=True).data)


class DocumentCodeViewSet(TenantViewSet):
    """The desk's barcode reader: one scanned code approves one document."""

    model = Document
    serializer_class = serializers.ApproveCodeResultSerializer
    pagination_class = None
    action_permissions = {"approve_code": ["documents.change_document"]}

    @extend_schema(request=serializers.ApproveCodeInputSerializer,
                   responses=serializers.ApproveCodeResultSerializer)
    @action(detail=False, methods=["post"], url_path="approve-code")
    def approve_code(self, request):
        """Always 200: ``ok`` false (unknown code, already approved, another ISP's) is a
        scan result to show beside the code, not an error of the request."""
        data = self.parsed(serializers.ApproveCodeInputSerializer)
        result = services.document_approve_by_code(actor=request.user, code=data["code"])
        return Response(serializers.ApproveCodeResultSerializer(
            serializers.ApproveCodeResultSerializer.from_result(result)).data)


# --------------------------------------------------------------------------- templates

@extend_schema_view(
    create=extend_schema(request=serializers.DocumentTemplateInputSerializer,
                         responses={201: serializers.DocumentTemplateSerializer}),
    partial_update=extend_schema(request=serializers.DocumentTemplateUpdateSerializer,
                                 responses=serializers.DocumentTemplateSerializer),
)
class DocumentTemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The tenant's document templates; a template that does not render is refused with
    its line, and nothing is saved."""

    model = DocumentTemplate
    serializer_class = serializers.DocumentTemplateSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = DocumentTemplateFilter

    def scoped_queryset(self):
        return selectors.document_template_queryset()

    def create(self, request):
        data = self.parsed(serializers.DocumentTemplateInputSerializer)
        template = services.document_template_create(actor=request.user, **data)
        return self.respond(selectors.document_template_queryset().get(pk=template.pk))

    def partial_update(self, request, pk=None):
        template = self.get_object()  # first: another tenant's template is a 404, not a 400
        data = self.parsed(serializers.DocumentTemplateUpdateSerializer, partial=True)
        current = template.current_version
        # A PATCH of the name alone keeps the body and style: the service takes both.
        template = services.document_template_update(
            actor=request.user, template=template,
            body=data.get("body", current.body if current else ""),
            css=data.get("css", current.css if current else ""),
            name=data.get("name"), is_default=data.get("is_default"))
        return self.respond(selectors.document_template_queryset().get(pk=template.pk),
                            status.HTTP_200_OK)


# --------------------------------------------------------------------------- group defaults

class GroupDefaultTemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                                  TenantViewSet):
    """Customer groups with their default template of each document type; ``set`` names
    (or with ``template: null`` clears) one, refused with the rule when groups that share
    customers would disagree (``customers.services.group_default_template_set``)."""

    model = CustomerGroup
    serializer_class = serializers.GroupDefaultsSerializer
    action_permissions = {"set_default": ["customers.change_customergroup"]}

    def scoped_queryset(self):
        return CustomerGroup.objects.prefetch_related(
            Prefetch("default_templates", queryset=GroupDefaultTemplate.objects.order_by("pk"))
        ).order_by("name")

    @extend_schema(request=serializers.GroupDefaultInputSerializer,
                   responses=serializers.GroupDefaultsSerializer)
    @action(detail=True, methods=["post"], url_path="set", url_name="set")
    def set_default(self, request, pk=None):
        group = self.get_object()  # first: another tenant's group is a 404
        data = self.parsed(serializers.GroupDefaultInputSerializer)
        customer_services.group_default_template_set(
            actor=request.user, group=group, document_type=data["document_type"],
            template=data["template"])
        return self.respond(self.scoped_queryset().get(pk=group.pk), status.HTTP_200_OK)


def register(router) -> None:
    """Add the documents engine's routes to the project's one router."""
    router.register(r"customers/(?P<customer_pk>\d+)/documents", DocumentViewSet,
                    basename="customer-documents")
    router.register("documents", DocumentCodeViewSet, basename="document")
    router.register("document-templates", DocumentTemplateViewSet,
                    basename="document-template")
    router.register("document-group-defaults", GroupDefaultTemplateViewSet,
                    basename="document-group-default")
