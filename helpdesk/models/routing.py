"""Routing rules: topic subtree × customer segment × time → what happens to the contact."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantOwned

from .interactions import RoutingAction


class CustomerKindMatch(models.TextChoices):
    ANY = "any", _("any caller")
    PERSON = "person", _("private person")
    COMPANY = "company", _("company")
    ZERO = "zero", _("caller not in the database")


class VipMatch(models.TextChoices):
    ANY = "any", _("any")
    YES = "yes", _("VIP only")
    NO = "no", _("not VIP")


class TimeMatch(models.TextChoices):
    ANY = "any", _("any time")
    BUSINESS = "business", _("in business hours")
    OUTSIDE = "outside", _("outside business hours")
    WEEKEND = "weekend", _("weekend or holiday")


class RoutingRule(TenantOwned):
    position = models.PositiveIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    topic = models.ForeignKey("helpdesk.Topic", on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+",
                              verbose_name=_("topic (with its subtopics)"))
    customer_group = models.ForeignKey("customers.CustomerGroup", on_delete=models.PROTECT,
                                       null=True, blank=True, related_name="+",
                                       verbose_name=_("customer group"))
    customer_kind = models.CharField(_("caller"), max_length=10,
                                     choices=CustomerKindMatch.choices,
                                     default=CustomerKindMatch.ANY)
    # "VIP" = the customer has a true/non-empty value of this attribute type.
    vip_attribute = models.ForeignKey("customers.AttributeType", on_delete=models.PROTECT,
                                      null=True, blank=True, related_name="+",
                                      verbose_name=_("VIP attribute"))
    vip = models.CharField(_("VIP"), max_length=3, choices=VipMatch.choices,
                           default=VipMatch.ANY)
    time = models.CharField(_("time"), max_length=10, choices=TimeMatch.choices,
                            default=TimeMatch.ANY)
    action = models.CharField(_("action"), max_length=20, choices=RoutingAction.choices)
    target_queue = models.ForeignKey("helpdesk.Queue", on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="+",
                                     verbose_name=_("transfer to queue"))
    extension = models.CharField(_("transfer to extension"), max_length=20, blank=True)
    case_type = models.ForeignKey("helpdesk.CaseType", on_delete=models.PROTECT, null=True,
                                  blank=True, related_name="+", verbose_name=_("case type"))
    case_queue = models.ForeignKey("helpdesk.Queue", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+",
                                   verbose_name=_("queue of the case"))

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(vip__in=["yes", "no"]) | Q(vip_attribute__isnull=False),
                name="routingrule_vip_attribute"),
        ]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self):
        return self.name
