"""The tenant's business calendar and SLA targets (helpdesk.sla counts in it)."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantOwned

from .cases import CaseType, Priority


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class BusinessDay(TenantOwned):
    """Business hours of one weekday; a weekday without a row is closed."""

    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["weekday"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "weekday"], name="businessday_uniq"),
            models.CheckConstraint(condition=Q(closes__gt=F("opens")),
                                   name="businessday_closes_after_opens"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="businessday_weekday"),
        ]
        verbose_name = _("business day")
        verbose_name_plural = _("business hours")


class Holiday(TenantOwned):
    """A tenant's own day off (``closed``) or a working day on a public holiday
    (``closed`` off). Polish public holidays come from the ``holidays`` library."""

    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100)
    closed = models.BooleanField(_("closed"), default=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["tenant", "date"], name="holiday_uniq")]
        verbose_name = _("day off")
        verbose_name_plural = _("days off")


class SlaTarget(TenantOwned):
    """Time to first response and to resolution, in business minutes."""

    case_type = models.ForeignKey(CaseType, on_delete=models.CASCADE, related_name="sla_targets")
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(_("first response (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution (business minutes)"))

    class Meta:
        ordering = ["case_type", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["case_type", "priority"], name="slatarget_uniq"),
            models.CheckConstraint(condition=Q(first_response_minutes__gt=0)
                                   & Q(resolution_minutes__gte=F("first_response_minutes")),
                                   name="slatarget_positive"),
        ]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
