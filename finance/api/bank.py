"""Finance API: the bank import.

* ``POST /api/v1/bank-imports/`` (multipart: ``file``, optional ``format``: "mt940",
  "camt053" or "csv:<profile>") imports a statement and answers with the result; a
  malformed file is a 400 naming the line and the reason, and nothing is written. The
  client waits for the import (about 20 s for 100,000 lines).
* ``GET /api/v1/bank-imports/``, ``…/{id}/`` and ``…/{id}/lines/``: the imports and their
  lines (paged).
* ``GET /api/v1/bank-lines/?status=unidentified&q=…``: the queue, and any lines;
  ``POST /api/v1/bank-lines/{id}/assign/`` ``{"customer": id}`` books a line by hand.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core.api import TenantPrimaryKeyRelatedField, TenantViewSet
from customers.models import Customer

from ..bank import jobs, selectors
from ..bank.importer import bank_line_assign, bank_statement_import
from ..models import BankImport, BankLine


class BankLineSerializer(serializers.ModelSerializer):
    customer_number = serializers.IntegerField(source="customer.number", allow_null=True,
                                               read_only=True, default=None)
    customer_name = serializers.CharField(source="customer.display_name", allow_null=True,
                                          read_only=True, default=None)
    document_number = serializers.CharField(source="document.number", allow_null=True,
                                            read_only=True, default=None)

    class Meta:
        model = BankLine
        fields = ["id", "bank_import", "booking_date", "amount", "title", "counterparty_name",
                  "counterparty_account", "virtual_account", "bank_reference", "status", "rule",
                  "rule_match", "customer", "customer_number", "customer_name", "document",
                  "document_number"]
        read_only_fields = fields


class BankImportSerializer(serializers.ModelSerializer):
    class Meta:
        model = BankImport
        fields = ["id", "file_name", "format", "account", "statement_id", "lines_total",
                  "lines_new", "lines_duplicate", "lines_unidentified", "imported_at",
                  "imported_by"]
        read_only_fields = fields


class BankUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    format = serializers.CharField(required=False, allow_blank=True, default="",
                                   help_text='"", "mt940", "camt053" or "csv:<profile name>"')

    def validate_file(self, upload):
        from finance.bank.jobs import statement_upload_check

        statement_upload_check(upload)
        return upload


class BankAssignSerializer(serializers.Serializer):
    customer = TenantPrimaryKeyRelatedField(model=Customer)


@extend_schema_view(
    create=extend_schema(request={"multipart/form-data": BankUploadSerializer},
                         responses={201: BankImportSerializer}),
)
class BankImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Imported statements, newest first."""

    model = BankImport
    serializer_class = BankImportSerializer
    parser_classes = [MultiPartParser, FormParser]
    action_permissions = {"lines": ["finance.view_bankimport"]}

    def scoped_queryset(self):
        return selectors.bank_import_list()

    def create(self, request):
        data = self.parsed(BankUploadSerializer)
        upload = data["file"]
        batch = bank_statement_import(actor=request.user, data=upload.read(),
                                      file_name=upload.name,
                                      **jobs.import_options(data["format"]))
        return self.respond(selectors.bank_import_get(pk=batch.pk))

    @extend_schema(responses=BankLineSerializer(many=True))
    @action(detail=True, methods=["get"])
    def lines(self, request, pk=None):
        """The statement's lines in booking order: how each was identified and booked."""
        page = self.paginate_queryset(selectors.bank_line_list(bank_import=self.get_object()))
        return self.get_paginated_response(BankLineSerializer(page, many=True).data)


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("status", OpenApiTypes.STR, enum=BankLine.Status.values,
                     description="booked, unidentified (the queue) or outgoing"),
    OpenApiParameter("q", OpenApiTypes.STR,
                     description="title, payer's name or account, or the amount"),
]))
class BankLineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Statement lines; the unidentified ones wait to be assigned to a customer."""

    model = BankLine
    serializer_class = BankLineSerializer
    action_permissions = {"assign": ["finance.change_bankline"]}

    def scoped_queryset(self):
        wanted = self.request.query_params.get("status", "")
        return selectors.bank_line_list(
            status=wanted if wanted in BankLine.Status.values else "",
            query=self.request.query_params.get("q", ""))

    @extend_schema(request=BankAssignSerializer, responses=BankLineSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Book the line to the customer: the transfer settles their oldest invoices and
        the payer's account is remembered as theirs."""
        line = self.get_object()
        data = self.parsed(BankAssignSerializer)
        bank_line_assign(actor=request.user, line=line, customer=data["customer"])
        return Response(BankLineSerializer(selectors.bank_line_get(pk=line.pk)).data,
                        status=status.HTTP_200_OK)


def register(router) -> None:
    """Add this part's viewsets to the router."""
    router.register("bank-imports", BankImportViewSet, basename="bank-import")
    router.register("bank-lines", BankLineViewSet, basename="bank-line")
