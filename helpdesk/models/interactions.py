"""Interactions: the TOK call log ("Telefoniczna Obsługa Klienta") and call recordings.

A "zero client" interaction has no customer: the caller is not in the database (a
prospect, a wrong number); ``caller_name`` / ``number`` keep what they gave, and the
interaction can be attached to a customer later.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantOwned


class Direction(models.TextChoices):
    IN = "in", _("incoming")
    OUT = "out", _("outgoing")


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("phone")
    EMAIL = "email", _("e-mail")
    PANEL = "panel", _("customer panel")
    OFFICE = "office", _("office visit")
    CHAT = "chat", _("chat")


class RoutingAction(models.TextChoices):
    HANDLE = "handle", _("handle on the first line")
    QUEUE = "queue", _("transfer to a queue")
    EXTENSION = "extension", _("transfer to an extension")
    CASE = "case", _("create a case")
    QUEUE_OR_CASE = "queue_or_case", _("transfer in business hours, otherwise create a case")


class Interaction(TenantOwned):
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="interactions",
                                 verbose_name=_("customer"))
    caller_name = models.CharField(_("caller's name"), max_length=200, blank=True)
    number = models.CharField(_("number"), max_length=32, blank=True,
                              help_text=_("The number that called (or was called)."))
    topic = models.ForeignKey("helpdesk.Topic", on_delete=models.PROTECT,
                              related_name="interactions", verbose_name=_("topic"))
    script = models.ForeignKey("helpdesk.TopicScript", on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+",
                               verbose_name=_("script version shown"))
    text = models.TextField(_("text"), max_length=20_000, blank=True)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices,
                                 default=Direction.IN)
    channel = models.CharField(_("channel"), max_length=10, choices=ContactChannel.choices,
                               default=ContactChannel.PHONE)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+", verbose_name=_("agent"))
    # The line/stream the contact came in on and the office or region that took it.
    queue = models.ForeignKey("helpdesk.Queue", on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("queue"))
    office = models.CharField(_("office / region"), max_length=100, blank=True)
    # Timings: card opened → saved (always), and the call's own when entered.
    card_opened_at = models.DateTimeField(_("card opened"), null=True, blank=True)
    created_at = models.DateTimeField(_("saved"), default=timezone.now, db_index=False)
    call_arrived_at = models.DateTimeField(_("call arrived"), null=True, blank=True)
    call_answered_at = models.DateTimeField(_("call answered"), null=True, blank=True)
    call_ended_at = models.DateTimeField(_("call ended"), null=True, blank=True)
    # Handling time in seconds: answered → ended for a call, else card opened → saved.
    duration_seconds = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    # The routing decision taken when the interaction was saved (helpdesk.routing).
    routing_rule = models.ForeignKey("helpdesk.RoutingRule", on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("routing rule"))
    routing_action = models.CharField(_("routing decision"), max_length=20, blank=True,
                                      choices=RoutingAction.choices)
    routing_target = models.CharField(_("routed to"), max_length=200, blank=True)
    attached_at = models.DateTimeField(_("attached to the customer"), null=True, blank=True)
    attached_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A zero client still says who or which number it was.
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | ~Q(number="") | ~Q(caller_name=""),
                name="interaction_who"),
            models.CheckConstraint(
                condition=Q(call_answered_at__isnull=True) | Q(call_arrived_at__isnull=True)
                | Q(call_answered_at__gte=models.F("call_arrived_at")),
                name="interaction_answered_after_arrived"),
            models.CheckConstraint(
                condition=Q(call_ended_at__isnull=True) | Q(call_answered_at__isnull=True)
                | Q(call_ended_at__gte=models.F("call_answered_at")),
                name="interaction_ended_after_answered"),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="interaction_tenant_time_idx"),
            models.Index(fields=["tenant", "topic", "-created_at"],
                         name="interaction_topic_time_idx"),
            models.Index(fields=["customer", "-created_at"], name="interaction_customer_idx"),
            models.Index(fields=["tenant", "number"], name="interaction_number_idx"),
        ]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.topic_id}"

    @property
    def is_zero_client(self) -> bool:
        return self.customer_id is None


def recording_upload_to(instance, filename):
    from core.uploads import upload_path

    return upload_path("recordings", instance, content_type=instance.content_type)


class CallRecording(TenantOwned):
    """A recorded call ("Historia połączeń telefonicznych"): the VoIP issue links them;
    played in the browser through a signed, expiring URL."""

    interaction = models.ForeignKey(Interaction, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="recordings")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="call_recordings")
    started_at = models.DateTimeField(_("call time"))
    number = models.CharField(_("number"), max_length=32, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (s)"), default=0)
    file = models.FileField(_("file"), upload_to=recording_upload_to, max_length=300)
    content_type = models.CharField(max_length=100, default="audio/wav")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["customer", "-started_at"], name="recording_customer_idx")]
        verbose_name = _("call recording")
        verbose_name_plural = _("call recordings")
