"""Models of the pipeline part: the tenant's KSeF profile and one submission per document.

A submission's states (``KsefSubmission.State``):

    queued ──► sending ──► sent ──► accepted (KSeF number, UPO)
       ▲          │          └────► rejected (codes, details) ──► queued (resend)
       └──────────┘ KSeF unreachable / 429: back to queued with ``next_try_at``

``sending`` is recorded *before* the XML leaves (hash + session reference): a worker that
dies in the middle leaves the row in ``sending`` and the next one asks KSeF for that
session's invoices by hash instead of sending the invoice again.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField
from core.tenancy import TenantOwned

__all__ = ["KsefProfile", "KsefSubmission", "ENVIRONMENT_URLS"]

# The Ministry's API v2 base addresses (OpenAPI ``servers``; demo and production per the
# KSeF 2.0 integrator documentation).
ENVIRONMENT_URLS = {
    "test": "https://api-test.ksef.mf.gov.pl/v2",
    "demo": "https://api-demo.ksef.mf.gov.pl/v2",
    "production": "https://api.ksef.mf.gov.pl/v2",
}


class KsefProfile(TenantOwned):
    """How one tenant talks to KSeF: its NIP (the session's context), the environment and
    the KSeF token (encrypted at rest). Certificate (XAdES) authentication may come later:
    ``auth_method`` is the seam."""

    class Environment(models.TextChoices):
        TEST = "test", _("Test (api-test.ksef.mf.gov.pl)")
        DEMO = "demo", _("Demo (api-demo.ksef.mf.gov.pl)")
        PRODUCTION = "production", _("Production (api.ksef.mf.gov.pl)")
        CUSTOM = "custom", _("Another address")

    nip = models.CharField(_("seller NIP"), max_length=10)
    environment = models.CharField(_("KSeF environment"), max_length=12,
                                   choices=Environment.choices, default=Environment.TEST)
    custom_url = models.URLField(_("KSeF API address"), max_length=300, blank=True)
    auth_method = models.CharField(max_length=12, default="token", editable=False)
    token = EncryptedTextField(_("KSeF token"), blank=True, default="")
    enabled = models.BooleanField(_("sending enabled"), default=False)
    send_after_billing = models.BooleanField(_("send the invoices of a billing run"),
                                             default=True)
    send_on_issue = models.BooleanField(_("send an invoice issued by hand"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="ksefprofile_one")]
        verbose_name = _("KSeF profile")
        verbose_name_plural = _("KSeF profiles")

    def __str__(self):
        return f"KSeF {self.nip}"

    @property
    def base_url(self) -> str:
        if self.environment == self.Environment.CUSTOM:
            return self.custom_url.rstrip("/")
        return ENVIRONMENT_URLS[self.environment]


class KsefSubmission(TenantOwned):
    """One invoice or correction on its way to KSeF (one per document)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent, awaiting KSeF")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")

    document = models.OneToOneField("finance.FinanceDocument", on_delete=models.PROTECT,
                                    related_name="ksef_submission")
    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.QUEUED)
    invoice_hash = models.CharField(_("invoice hash"), max_length=64, blank=True)
    session_reference = models.CharField(_("session reference"), max_length=60, blank=True)
    invoice_reference = models.CharField(_("invoice reference"), max_length=60, blank=True)
    ksef_number = models.CharField(_("KSeF number"), max_length=40, blank=True)
    acquired_at = models.DateTimeField(_("acquired by KSeF"), null=True, blank=True)
    upo = models.TextField(_("UPO"), blank=True)
    error_code = models.IntegerField(_("error code"), null=True, blank=True)
    error_details = models.JSONField(_("error details"), default=list, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_try_at = models.DateTimeField(_("next try"), null=True, blank=True)
    offline_mode = models.CharField(_("offline mode"), max_length=12, blank=True)
    offline_deadline = models.DateTimeField(_("deadline for sending"), null=True, blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-queued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "ksef_number"],
                                    condition=~Q(ksef_number=""),
                                    name="ksefsubmission_number_uniq"),
            models.CheckConstraint(condition=~Q(state="accepted") | ~Q(ksef_number=""),
                                   name="ksefsubmission_accepted_has_number"),
        ]
        indexes = [models.Index(fields=["state", "next_try_at"], name="ksefsub_state_next")]
        verbose_name = _("KSeF submission")
        verbose_name_plural = _("KSeF submissions")
        permissions = [("resend_ksefsubmission", _("Can send an invoice to KSeF again"))]

    def __str__(self):
        return f"KSeF {self.document_id}: {self.state}"
