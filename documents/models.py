from django.db import models
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantOwned


class DocumentType(models.TextChoices):
    CONTRACT = "contract", _("contract")
    ANNEX = "annex", _("annex")
    TERMINATION = "termination", _("termination")
    LETTER = "letter", _("letter")
    PAYMENT_DEMAND = "payment_demand", _("payment demand")
    PROTOCOL = "protocol", _("protocol")


class DocumentTemplate(TenantOwned):
    """A tenant's template of one document type.

    Customer groups name their default template per type (see ``customers``); the
    documents issue adds the body, versions and PDF rendering.
    """

    document_type = models.CharField(_("document type"), max_length=30,
                                     choices=DocumentType.choices)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["document_type", "name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "document_type", "name"],
                                               name="documenttemplate_name_uniq")]
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")

    def __str__(self):
        return f"{self.get_document_type_display()}: {self.name}"
