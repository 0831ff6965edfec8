"""Messages that leave Abonent for a customer: SMS, e-mail and one-time device notices.

A ``Message`` is what staff (or the system) sent: recipient, text, who, why. Each try to
hand it to a gateway is a ``MessageAttempt`` with its own idempotency key: a retry
("Ponów") is a new attempt of the same message; a Celery task delivered twice for the
same attempt finds the attempt concluded and sends nothing. ``MessageEvent`` rows are
the message's status history (gateway answers, delivery reports).

"Komunikat" = a one-time message to the customer's device (``Channel.NOTICE``): shown
by redirecting the customer's web traffic until they confirm it ("Przeczytałem").
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField
from core.tenancy import TenantOwned


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("e-mail")
    NOTICE = "notice", _("device message")


class Status(models.TextChoices):
    """One list for every channel (the "Statusy SMS" legend explains them)."""

    QUEUED = "queued", _("queued")
    SENT = "sent", _("sent to gateway")
    DELIVERED = "delivered", _("delivered")
    UNDELIVERED = "undelivered", _("not delivered")
    EXPIRED = "expired", _("expired")
    REJECTED = "rejected", _("rejected")
    FAILED = "failed", _("failed")
    # Device notices: shown until the customer confirms; then read.
    READ = "read", _("read")
    CANCELLED = "cancelled", _("cancelled")


# A message in one of these may be sent again ("Ponów" / "Wyślij ponownie").
RETRYABLE = (Status.FAILED, Status.UNDELIVERED, Status.EXPIRED, Status.REJECTED)
# Final answers from a gateway: a later report for an older state never overrides them.
FINAL = (Status.DELIVERED, Status.UNDELIVERED, Status.EXPIRED, Status.REJECTED,
         Status.FAILED, Status.READ, Status.CANCELLED)


class Purpose(models.TextChoices):
    MANUAL = "manual", _("sent by staff")
    BULK = "bulk", _("bulk send")
    INVOICE = "invoice", _("invoice")
    REMINDER = "reminder", _("payment reminder")
    PIN = "pin", _("panel PIN")
    NOTICE = "notice", _("device message")
    DOCUMENT = "document", _("document")
    VOIP = "voip", _("phone calls' threshold")


class MessageTemplate(TenantOwned):
    """A tenant's text for one channel, with variables (``messaging.rendering``)."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    name = models.CharField(_("name"), max_length=100)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), max_length=20_000)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["channel", "name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "channel", "name"],
                                               name="messagetemplate_name_uniq")]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")

    def __str__(self):
        return self.name


class BulkSend(TenantOwned):
    """One bulk send to a customer group or a filtered list ("wysyłka masowa")."""

    class State(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("finished")
        FAILED = "failed", _("failed")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    template = models.ForeignKey(MessageTemplate, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("template"))
    audience = models.JSONField(_("recipients"), default=dict)  # the filter, as chosen
    audience_text = models.CharField(_("recipients"), max_length=500, blank=True)
    total = models.PositiveIntegerField(_("messages"), default=0)
    done = models.PositiveIntegerField(_("queued so far"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    # Recipients the batches have dealt with (queued, skipped, gone); ``total``: finished.
    processed = models.PositiveIntegerField(default=0, editable=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.RUNNING)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The form's one-time token: the same form sent twice (a double click) is one send.
    request_token = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["tenant", "request_token"],
                                               name="bulksend_request_token_uniq")]
        verbose_name = _("bulk send")
        verbose_name_plural = _("bulk sends")


class Message(TenantOwned):
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices,
                               default=Purpose.MANUAL)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE,
                                 related_name="messages", null=True, blank=True)
    # E.164 phone for SMS, an address for e-mail, the login ids for a device notice.
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"), max_length=100_000)
    # A text with a secret (a panel PIN): ``body`` shows it masked in the history, this is
    # what the gateway sends (encrypted at rest). Empty: ``body`` is sent.
    body_secret = EncryptedTextField(blank=True, default="", editable=False)
    # SMS: GSM-7 or UCS-2 and the number of parts (messaging.sms.segments).
    encoding = models.CharField(max_length=5, blank=True)
    parts = models.PositiveSmallIntegerField(_("parts"), default=0)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.QUEUED, db_index=True)
    status_reason = models.TextField(_("reason"), blank=True)
    template = models.ForeignKey(MessageTemplate, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    bulk = models.ForeignKey(BulkSend, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="messages")
    # What the message is about, for the apps that sent it (an invoice's id, ...).
    related_kind = models.CharField(max_length=40, blank=True)
    related_id = models.BigIntegerField(null=True, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("author"))  # None: the system
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    status_at = models.DateTimeField(_("status since"), null=True, blank=True)
    attempts_count = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Device notices: when and from where the customer confirmed it.
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    read_from = models.GenericIPAddressField(null=True, blank=True)
    # The raw message as handed to the SMTP server (exactly what was sent).
    raw = models.BinaryField(null=True, blank=True, editable=False)
    # The API client's ``Idempotency-Key``: the same request sent twice (a timeout, a
    # retry) queues one message (unique per tenant where set).
    client_key = models.CharField(max_length=100, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["customer", "channel", "-created_at"],
                                name="message_customer_channel"),
                   models.Index(fields=["related_kind", "related_id"],
                                name="message_related")]
        constraints = [models.CheckConstraint(condition=~Q(recipient=""),
                                              name="message_recipient_set"),
                       # An invoice goes to an address once (messaging.invoice_mail also
                       # locks; this holds whatever path writes).
                       models.UniqueConstraint(
                           fields=["tenant", "related_kind", "related_id", "recipient"],
                           condition=Q(purpose="invoice"), name="message_invoice_once"),
                       models.UniqueConstraint(fields=["tenant", "client_key"],
                                               condition=~Q(client_key=""),
                                               name="message_client_key_once")]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self):
        return f"{self.get_channel_display()} {self.recipient}"

    @property
    def retryable(self) -> bool:
        return self.status in RETRYABLE and not self.body_secret

    @property
    def text_to_send(self) -> str:
        """What the gateway sends: the secret text where there is one."""
        return self.body_secret or self.body


class MessageAttachment(TenantOwned):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100, default="application/pdf")
    content = models.BinaryField()
    size = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")


class MessageAttempt(TenantOwned):
    """One hand-over of a message to a gateway. ``key`` goes with it to the gateway (the
    e-mail's Message-ID, Kannel's DLR URL) and back in delivery reports."""

    class State(models.TextChoices):
        SENDING = "sending", _("sending")
        ACCEPTED = "accepted", _("accepted by gateway")
        TEMPORARY = "temporary", _("temporary error")
        FAILED = "failed", _("failed")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    gateway = models.CharField(max_length=20, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.SENDING)
    gateway_id = models.CharField(max_length=200, blank=True)  # the provider's message id
    reply = models.TextField(blank=True)  # the gateway's answer, e.g. "550 5.1.1 no user"
    tries = models.PositiveSmallIntegerField(default=0)  # hand-overs of this attempt (backoff)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["message", "number"]
        constraints = [models.UniqueConstraint(fields=["message", "number"],
                                               name="messageattempt_number_uniq")]


class MessageEvent(TenantOwned):
    """The status history of a message: what the gateway said and when."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    attempt = models.ForeignKey(MessageAttempt, null=True, blank=True,
                                on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=12, choices=Status.choices)
    detail = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]


class Gateway(TenantOwned):
    """The tenant's way out for one channel: its SMTP server, its SMS gateway.

    Passwords and tokens are encrypted at rest (``core.crypto``). ``dlr_secret`` is what
    the gateway must present when it reports a status back (the DLR/webhook URL)."""

    class Kind(models.TextChoices):
        SMTP = "smtp", _("SMTP server")
        KANNEL = "kannel", _("Kannel (sendsms)")
        HTTP_SMS = "http_sms", _("SMS provider HTTP API")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    host = models.CharField(_("host"), max_length=255, blank=True)
    port = models.PositiveIntegerField(_("port"), null=True, blank=True)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    username = models.CharField(_("user name"), max_length=200, blank=True)
    password = EncryptedTextField(_("password or token"), blank=True, default="")
    use_tls = models.BooleanField(_("STARTTLS"), default=False)
    use_ssl = models.BooleanField(_("SSL/TLS"), default=False)
    from_address = models.CharField(_("sender"), max_length=254, blank=True)
    rate_per_second = models.PositiveIntegerField(_("messages per second"), default=50)
    dlr_secret = models.CharField(max_length=64, editable=False)
    options = models.JSONField(default=dict, blank=True)  # provider-specific (SMSC id, ...)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "channel"],
                                               name="gateway_tenant_channel_uniq")]
        verbose_name = _("gateway")
        verbose_name_plural = _("gateways")


class ReminderSent(TenantOwned):
    """A payment reminder given for one receivable at one stage on one channel: the
    unique constraint is what keeps a reminder from going twice (a task run twice, two
    runs at once) — ``messaging.reminders``."""

    class Stage(models.TextChoices):
        BEFORE = "before", _("before the due date")
        AFTER = "after", _("after the due date")

    receivable = models.ForeignKey("finance.FinanceDocument", on_delete=models.CASCADE,
                                   related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE,
                                 related_name="+")
    stage = models.CharField(_("stage"), max_length=6, choices=Stage.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    due_date = models.DateField(_("due date"))
    message = models.ForeignKey(Message, null=True, on_delete=models.SET_NULL,
                                related_name="reminders")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["receivable", "stage", "channel"],
                                               name="remindersent_once_uniq")]
