"""Models of the offline part: outages of KSeF a tenant declares, and the tenant's KSeF
certificate of type "Offline" that signs KOD II."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField
from core.tenancy import TenantOwned

__all__: list[str] = ["KsefOutage", "OfflineCertificate", "OutageKind"]


class OutageKind(models.TextChoices):
    """The Ministry's kinds of KSeF outage (VAT act): each sets its own sending deadline."""

    UNAVAILABILITY = "unavailability", _("KSeF unavailability (announced)")
    FAILURE = "failure", _("KSeF failure (announced)")
    TOTAL = "total", _("Total failure of KSeF")


class KsefOutage(TenantOwned):
    """A period in which KSeF could not take invoices, as the Ministry announced it (BIP,
    the API). ``ends_at`` empty: still going on. Invoices issued in it are "outage"
    offline invoices; their deadline runs from ``ends_at`` (ksef.offline)."""

    kind = models.CharField(_("kind"), max_length=20, choices=OutageKind.choices)
    starts_at = models.DateTimeField(_("start"))
    ends_at = models.DateTimeField(_("end"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("declared at"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="ksefoutage_ends_after_start"),
            # At most one outage of a tenant is open at a time.
            models.UniqueConstraint(fields=["tenant"], condition=Q(ends_at__isnull=True),
                                    name="ksefoutage_one_open"),
        ]
        indexes = [models.Index(fields=["tenant", "starts_at"], name="ksefoutage_start_idx")]
        verbose_name = _("KSeF outage")
        verbose_name_plural = _("KSeF outages")

    def __str__(self):
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}"


class OfflineCertificate(TenantOwned):
    """The tenant's KSeF certificate of type "Offline" (one at a time; a new upload
    replaces it). The private key is encrypted at rest (core.crypto): it signs KOD II."""

    certificate_pem = models.TextField(_("certificate"))
    private_key_pem = EncryptedTextField(_("private key"))
    serial = models.CharField(_("serial number"), max_length=64)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    valid_from = models.DateTimeField(_("valid from"))
    valid_to = models.DateTimeField(_("valid to"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="offlinecertificate_one_per_tenant"),
            models.CheckConstraint(condition=Q(valid_to__gt=F("valid_from")),
                                   name="offlinecertificate_valid_range"),
        ]
        verbose_name = _("KSeF offline certificate")
        verbose_name_plural = _("KSeF offline certificates")

    def __str__(self):
        return self.serial
