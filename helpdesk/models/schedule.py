""""Terminarz": the scheduler's events (installations, visits, call-backs, payment
promises…) and each staff member's secret iCalendar feed."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantOwned


class EventType(TenantOwned):
    name = models.CharField(_("name"), max_length=100)
    color = models.CharField(_("colour"), max_length=7, default="#0d6efd")
    default_minutes = models.PositiveIntegerField(_("default duration (minutes)"), default=60)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="eventtype_name_uniq"),
            models.CheckConstraint(condition=Q(color__regex=r"^#[0-9a-fA-F]{6}$"),
                                   name="eventtype_color_hex"),
        ]
        verbose_name = _("event type")
        verbose_name_plural = _("event types")

    def __str__(self):
        return self.name


class Event(TenantOwned):
    event_type = models.ForeignKey(EventType, on_delete=models.PROTECT, related_name="events",
                                   verbose_name=_("type"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), default=60)
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, through="EventStaff",
                                   related_name="+", verbose_name=_("assigned staff"))
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="events", verbose_name=_("customer"))
    address = models.ForeignKey("customers.Address", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+", verbose_name=_("place"))
    login = models.ForeignKey("radius.Login", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("login"))
    case = models.ForeignKey("helpdesk.Case", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="events", verbose_name=_("case"))
    is_closed = models.BooleanField(_("closed"), default=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    close_note = models.TextField(_("closing note"), max_length=5000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(duration_minutes__gt=0,
                                               duration_minutes__lte=60 * 24 * 14),
                                   name="event_duration_range"),
            models.CheckConstraint(condition=Q(is_closed=False) | Q(closed_at__isnull=False),
                                   name="event_closed_at"),
        ]
        indexes = [
            models.Index(fields=["tenant", "starts_at"], name="event_time_idx"),
            models.Index(fields=["customer", "starts_at"], name="event_customer_idx"),
        ]
        verbose_name = _("scheduler event")
        verbose_name_plural = _("scheduler events")

    def __str__(self):
        return self.title


class EventStaff(TenantOwned):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "user"],
                                               name="eventstaff_uniq")]
        indexes = [models.Index(fields=["user", "event"], name="eventstaff_user_idx")]


class CalendarFeed(TenantOwned):
    """A staff member's secret iCalendar URL: only the token's hash is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"],
                                               name="calendarfeed_user_uniq")]
