"""API shapes of the documents engine.

Read serializers render rows the api module's selectors already loaded (annotations and
prefetches: no queries of their own). Input serializers only parse: every write goes to
one service of ``documents.services``, which does the validating that matters (template
sandbox, parent of the same customer, approval once) and the action log.
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import TenantPrimaryKeyRelatedField
from core.validation import TEMPLATE_MAX_LENGTH
from finance.models import Subscription

from .models import (
    Document,
    DocumentDownload,
    DocumentScan,
    DocumentTemplate,
    DocumentType,
)


def _user_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


# --------------------------------------------------------------------------- documents


class DocumentSerializer(serializers.ModelSerializer):
    code = serializers.CharField(read_only=True, help_text="What the printed barcode encodes.")
    approved_by_name = serializers.SerializerMethodField()
    children = serializers.SerializerMethodField(help_text="Ids of annexes, terminations… "
                                                 "that refer to this document.")
    current_file_version = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Version of the file a download returns.")
    scans_count = serializers.IntegerField(read_only=True)
    download_url = serializers.SerializerMethodField()
    print_url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = ["id", "number", "code", "document_type", "title", "issued_at", "status",
                  "approved_at", "approved_by", "approved_by_name", "parent", "children",
                  "subscription", "current_file_version", "scans_count", "download_url",
                  "print_url"]
        read_only_fields = fields

    def get_approved_by_name(self, document) -> str:
        return _user_name(document.approved_by)

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_children(self, document) -> list[int]:
        return [child.pk for child in document.children.all()]

    def get_download_url(self, document) -> str:
        return reverse("api:customer-documents-download",
                       kwargs={"customer_pk": document.customer_id, "pk": document.pk})

    def get_print_url(self, document) -> str:
        return reverse("api:customer-documents-print",
                       kwargs={"customer_pk": document.customer_id, "pk": document.pk})


class DocumentIssueSerializer(serializers.Serializer):
    """The fields of ``services.document_issue``; ids are looked up in the active tenant."""

    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    template = TenantPrimaryKeyRelatedField(
        model=DocumentTemplate, required=False, allow_null=True,
        help_text="Default: the customer's group's template, else the tenant's default.")
    parent = TenantPrimaryKeyRelatedField(
        model=Document, required=False, allow_null=True,
        help_text="The contract an annex or a termination refers to (the same customer's).")
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    subscription = TenantPrimaryKeyRelatedField(
        model=Subscription, required=False, allow_null=True,
        help_text="The subscription whose contract, annex or termination this is (the same "
                  "customer's); its tariff's template is used unless one is chosen.")
    fault_fee = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True,
        help_text="A termination by the customer's fault: the amount of the debit note "
                  "issued with it (the tariff's termination fee is the usual one).")


class DocumentIssueJobSerializer(serializers.Serializer):
    """An issue a worker has not finished yet (202), or its outcome once it has."""

    id = serializers.CharField()
    status = serializers.ChoiceField(choices=["queued", "running", "done", "failed"])
    document = serializers.IntegerField(source="document_id", allow_null=True,
                                        help_text="The document's id once it is issued.")
    number = serializers.CharField(allow_blank=True)
    errors = serializers.ListField(child=serializers.CharField(),
                                   help_text="Why the issue was refused (status failed).")


class DocumentScanSerializer(serializers.ModelSerializer):
    class Meta:
        model = DocumentScan
        fields = ["id", "original_name", "content_type", "uploaded_at", "uploaded_by"]
        read_only_fields = fields


class DocumentScanInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The signed copy: PDF, JPG or PNG.")


class DocumentDownloadSerializer(serializers.ModelSerializer):
    user_name = serializers.SerializerMethodField()

    class Meta:
        model = DocumentDownload
        fields = ["id", "at", "via", "user", "user_name", "customer", "ip"]
        read_only_fields = fields

    def get_user_name(self, download) -> str:
        return _user_name(download.user)


class ApproveCodeInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=100, trim_whitespace=False,
                                 help_text="As a barcode reader types it, e.g. ABN000000042.")


class ApproveCodeResultSerializer(serializers.Serializer):
    """``services.ScanResult``: ``ok`` false is a scan result to show, not an error."""

    ok = serializers.BooleanField()
    code = serializers.CharField()
    message = serializers.CharField()
    document = serializers.IntegerField(allow_null=True)

    @staticmethod
    def from_result(result) -> dict:
        return {"ok": result.ok, "code": result.code, "message": result.message,
                "document": result.document.pk if result.document is not None else None}


# --------------------------------------------------------------------------- templates


class DocumentTemplateSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="current_version.version", read_only=True,
                                       allow_null=True)
    body = serializers.CharField(source="current_version.body", read_only=True,
                                 allow_null=True)
    css = serializers.CharField(source="current_version.css", read_only=True,
                                allow_null=True)
    saved_at = serializers.DateTimeField(source="current_version.created_at",
                                         read_only=True, allow_null=True)

    class Meta:
        model = DocumentTemplate
        fields = ["id", "document_type", "name", "is_default", "version", "body", "css",
                  "saved_at"]
        read_only_fields = fields


class DocumentTemplateInputSerializer(serializers.Serializer):
    """``services.document_template_create``: the body is checked in the sandbox there."""

    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    name = serializers.CharField(max_length=200)
    body = serializers.CharField(required=False, trim_whitespace=False,
                                 max_length=TEMPLATE_MAX_LENGTH,
                                 help_text="HTML in the Django template language; default: a "
                                 "sample letterhead.")
    css = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                max_length=TEMPLATE_MAX_LENGTH)
    is_default = serializers.BooleanField(required=False, default=False)


class DocumentTemplateUpdateSerializer(serializers.Serializer):
    """A changed body or style is saved as a new version; issued documents keep theirs."""

    name = serializers.CharField(max_length=200, required=False)
    body = serializers.CharField(required=False, trim_whitespace=False,
                                 max_length=TEMPLATE_MAX_LENGTH)
    css = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                max_length=TEMPLATE_MAX_LENGTH)
    is_default = serializers.BooleanField(required=False)


# --------------------------------------------------------------------------- group defaults

class GroupDefaultsSerializer(serializers.Serializer):
    """A customer group and its default template id per document type (null: not set)."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    defaults = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DictField(child=serializers.IntegerField(allow_null=True)))
    def get_defaults(self, group) -> dict:
        chosen = {d.document_type: d.template_id for d in group.default_templates.all()}
        return {value: chosen.get(value) for value in DocumentType.values}


class GroupDefaultInputSerializer(serializers.Serializer):
    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    template = TenantPrimaryKeyRelatedField(
        model=DocumentTemplate, allow_null=True,
        help_text="The template (of that type) or null to clear the group's default.")
