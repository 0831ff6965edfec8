"""Models of the jpk part: the purchase register and the JPK_V7M files built.

``PurchaseDocument`` is one purchase invoice whose input VAT the tenant deducts ("rejestr
zakupów VAT"): the JPK's ZakupWiersz rows and the declaration's P_40…P_48 come from it.
``JpkFiling`` is one JPK_V7M(3) file built for a month, kept as built (the bytes the
accountant signed): the first is "złożenie" (CelZlozenia 1), each later one for the same
month a "korekta" (CelZlozenia 2) holding the month's full corrected state.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantOwned

__all__ = ["JpkFiling", "PurchaseDocument"]

MONEY = {"max_digits": 14, "decimal_places": 2}


class PurchaseDocument(TenantOwned):
    class Category(models.TextChoices):
        # The pairs of the ZakupWiersz row (K_40…K_47) and of the declaration (P_40…P_47).
        FIXED_ASSET = "fixed_asset", _("Fixed assets (K_40/K_41)")
        OTHER = "other", _("Other purchases (K_42/K_43)")
        FIXED_ASSET_ADJUSTMENT = "fixed_asset_adj", _("Adjustment of input VAT on fixed "
                                                      "assets (K_44)")
        OTHER_ADJUSTMENT = "other_adj", _("Adjustment of input VAT on other purchases (K_45)")
        BAD_DEBT_89B1 = "bad_debt_89b1", _("Bad debt adjustment, art. 89b(1) (K_46)")
        BAD_DEBT_89B4 = "bad_debt_89b4", _("Bad debt adjustment, art. 89b(4) (K_47)")

    class Marker(models.TextChoices):
        BFK = "BFK", _("BFK: invoice issued outside KSeF")
        OFF = "OFF", _("OFF: invoice issued offline, not yet in KSeF")
        DI = "DI", _("DI: another document")

    class DocumentType(models.TextChoices):
        NONE = "", _("invoice")
        MK = "MK", _("MK: cash accounting invoice")
        VAT_RR = "VAT_RR", _("VAT RR: flat-rate farmer's invoice")
        WEW = "WEW", _("WEW: internal document")

    supplier_name = models.CharField(_("supplier"), max_length=240)
    supplier_nip = models.CharField(_("supplier's NIP"), max_length=10)
    number = models.CharField(_("invoice number"), max_length=256)
    issue_date = models.DateField(_("issue date"))
    receipt_date = models.DateField(_("receipt date"), null=True, blank=True)
    # The first day of the month whose declaration deducts the VAT (art. 86 ust. 10-11:
    # the month of receipt or one of the next three).
    period = models.DateField(_("deducted in"))
    category = models.CharField(_("kind"), max_length=20, choices=Category.choices,
                                default=Category.OTHER)
    net = models.DecimalField(_("net"), **MONEY, default=0)
    vat = models.DecimalField(_("VAT"), **MONEY)
    ksef_number = models.CharField(_("KSeF number"), max_length=40, blank=True)
    ksef_marker = models.CharField(_("marker without a KSeF number"), max_length=3,
                                   choices=Marker.choices, default=Marker.BFK)
    document_type = models.CharField(_("document type"), max_length=6,
                                     choices=DocumentType.choices, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["period", "issue_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "supplier_nip", "number"],
                                    name="purchasedocument_supplier_number_uniq"),
            models.CheckConstraint(condition=Q(period__day=1), name="purchasedocument_period"),
        ]
        indexes = [models.Index(fields=["tenant", "period"], name="purchasedoc_period")]
        verbose_name = _("purchase document")
        verbose_name_plural = _("purchase documents")

    def __str__(self):
        return f"{self.number} ({self.supplier_name})"

    @property
    def gross(self):
        return self.net + self.vat


class JpkFiling(TenantOwned):
    class Purpose(models.IntegerChoices):
        FIRST = 1, _("first filing")
        CORRECTION = 2, _("correction")

    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    # 0 for the first file of the month, then 1, 2 … for its corrections: unique, so two
    # builds of the same month at once cannot both become the same filing.
    sequence = models.PositiveSmallIntegerField(default=0)
    purpose = models.PositiveSmallIntegerField(_("purpose"), choices=Purpose.choices)
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    xml = models.TextField(editable=False)
    sales_rows = models.PositiveIntegerField(_("sales rows"))
    output_vat = models.DecimalField(_("output VAT"), **MONEY)
    purchase_rows = models.PositiveIntegerField(_("purchase rows"))
    input_vat = models.DecimalField(_("input VAT"), **MONEY)
    # The declaration's fields as filed ({"P_19": 1000, …}, whole złoty).
    declaration = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-year", "-month", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "year", "month", "sequence"],
                                    name="jpkfiling_sequence_uniq"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12),
                                   name="jpkfiling_month"),
        ]
        verbose_name = _("JPK_V7M file")
        verbose_name_plural = _("JPK_V7M files")

    def __str__(self):
        return f"JPK_V7M {self.year}-{self.month:02d}/{self.sequence}"

    @property
    def file_name(self) -> str:
        return f"JPK_V7M_{self.year}-{self.month:02d}_{self.sequence}.xml"
