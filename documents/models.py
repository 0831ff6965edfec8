from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantOwned
from core.validation import TEMPLATE_MAX_LENGTH


class DocumentType(models.TextChoices):
    CONTRACT = "contract", _("contract")
    ANNEX = "annex", _("annex")
    TERMINATION = "termination", _("termination")
    LETTER = "letter", _("letter")
    PAYMENT_DEMAND = "payment_demand", _("payment demand")
    PROTOCOL = "protocol", _("protocol")


class DocumentTemplate(TenantOwned):
    """A tenant's template of one document type: HTML + CSS in the Django template language.

    Every saved change is a new ``DocumentTemplateVersion``; an issued document keeps the
    version it was made from.
    """

    document_type = models.CharField(_("document type"), max_length=30,
                                     choices=DocumentType.choices)
    name = models.CharField(_("name"), max_length=200)
    is_default = models.BooleanField(_("default for its type"), default=False)
    current_version = models.ForeignKey("DocumentTemplateVersion", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["document_type", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "document_type", "name"],
                                    name="documenttemplate_name_uniq"),
            models.UniqueConstraint(fields=["tenant", "document_type"],
                                    condition=Q(is_default=True),
                                    name="documenttemplate_one_default"),
        ]
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")

    def __str__(self):
        return f"{self.get_document_type_display()}: {self.name}"


class DocumentTemplateVersion(TenantOwned):
    template = models.ForeignKey(DocumentTemplate, on_delete=models.CASCADE,
                                 related_name="versions")
    version = models.PositiveIntegerField()
    body = models.TextField(_("body (HTML)"), max_length=TEMPLATE_MAX_LENGTH)
    css = models.TextField(_("style (CSS)"), blank=True, max_length=TEMPLATE_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["template", "-version"]
        constraints = [models.UniqueConstraint(fields=["template", "version"],
                                               name="documenttemplateversion_uniq")]


class Document(TenantOwned):
    """An issued document of a customer. Its number never changes; its file may be
    regenerated (previous files are kept)."""

    class Status(models.TextChoices):
        UNAPPROVED = "unapproved", _("unapproved")
        APPROVED = "approved", _("approved")

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT,
                                 related_name="documents")
    document_type = models.CharField(_("document type"), max_length=30,
                                     choices=DocumentType.choices)
    number = models.CharField(_("number"), max_length=50)
    template_version = models.ForeignKey(DocumentTemplateVersion, on_delete=models.PROTECT,
                                         related_name="documents")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    title = models.CharField(_("title"), max_length=200, blank=True)
    batch = models.ForeignKey("DocumentBatch", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="documents")
    # "Dokumenty do taryf": the contract, annex or termination issued for a subscription.
    subscription = models.ForeignKey("finance.Subscription", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="documents",
                                     verbose_name=_("subscription"))
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                  on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.UNAPPROVED)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "document_type", "number"],
                                    name="document_number_uniq"),
            models.CheckConstraint(
                condition=Q(status="unapproved", approved_at__isnull=True)
                | Q(status="approved", approved_at__isnull=False),
                name="document_approval_consistent"),
        ]
        indexes = [models.Index(fields=["tenant", "customer", "-issued_at"],
                                name="document_customer_issued")]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self):
        return self.number

    @property
    def code(self) -> str:
        """What the printed barcode encodes; ``documents.services.document_by_code`` reads it."""
        return f"ABN{self.pk:09d}"


def document_upload_to(instance, filename):
    from core.tenancy import current_tenant

    tenant_id = instance.tenant_id or current_tenant().pk
    return f"documents/{tenant_id}/{instance.document_id}/{filename}"


def document_scan_upload_to(instance, filename):
    # Ours, never the uploader's name: the extension is that of the type in the content.
    from core.uploads import upload_path

    return upload_path("documents", instance, instance.document_id, "scans",
                       content_type=instance.content_type)


class DocumentFile(TenantOwned):
    """One rendering of a document; the newest is the current one."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="files")
    version = models.PositiveIntegerField()
    file = models.FileField(upload_to=document_upload_to)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["document", "-version"]
        constraints = [models.UniqueConstraint(fields=["document", "version"],
                                               name="documentfile_version_uniq")]


class DocumentScan(TenantOwned):
    """The signed paper copy, printed after the generated pages."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="scans")
    file = models.FileField(upload_to=document_scan_upload_to)
    content_type = models.CharField(max_length=50)
    original_name = models.CharField(max_length=255)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["uploaded_at", "id"]


class DocumentDownload(TenantOwned):
    """"Historia pobrań": who downloaded a document, when, from where."""

    class Via(models.TextChoices):
        STAFF = "staff", _("staff UI")
        API = "api", _("API")
        PANEL = "panel", _("customer panel")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="downloads")
    at = models.DateTimeField(auto_now_add=True)
    via = models.CharField(max_length=10, choices=Via.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    customer = models.ForeignKey("customers.Customer", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    ip = models.GenericIPAddressField(null=True)

    class Meta:
        ordering = ["-at", "-id"]


class DocumentBatch(TenantOwned):
    """Bulk generation for a customer group, run by Celery; progress is ``done / total``."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    group = models.ForeignKey("customers.CustomerGroup", on_delete=models.PROTECT,
                              related_name="+")
    document_type = models.CharField(max_length=30, choices=DocumentType.choices)
    template = models.ForeignKey(DocumentTemplate, null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    merged_file = models.FileField(upload_to="documents/batches/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(done__lte=models.F("total")),
                                              name="documentbatch_done_le_total")]
