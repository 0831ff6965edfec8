"""Cases and helpdesk tickets (one model), their types, queues, comments and journal.

A case is raised by the customer in the panel, by staff on the card, from an
interaction ("Nowy case"), by a routing rule, or by an e-mail to the helpdesk address.
It sits in a queue (a department); a queue member takes it (``owner``); "Wyślij" sends
it to another queue and clears the owner; a case whose mandatory data is missing is
returned to its creator with a reason.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantOwned


class Priority(models.IntegerChoices):
    LOW = 1, _("low")
    NORMAL = 2, _("normal")
    HIGH = 3, _("high")
    URGENT = 4, _("urgent")


class Queue(TenantOwned):
    """A department cases wait in (first line, second line, technicians, billing…)."""

    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=250, blank=True)
    # A telephone extension calls for this queue are transferred to (routing).
    extension = models.CharField(_("extension"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("order"), default=0)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="QueueMember",
                                     related_name="+")

    class Meta:
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"],
                                               name="queue_name_uniq")]
        verbose_name = _("queue")
        verbose_name_plural = _("queues")

    def __str__(self):
        return self.name


class QueueMember(TenantOwned):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["queue", "user"],
                                               name="queuemember_uniq")]
        verbose_name = _("queue member")
        verbose_name_plural = _("queue members")


class CaseType(TenantOwned):
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=250, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Offered to customers in the panel ("Zgłoszenia").
    panel_visible = models.BooleanField(_("in the customer panel"), default=False)
    default_queue = models.ForeignKey(Queue, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name=_("default queue"))
    default_priority = models.PositiveSmallIntegerField(
        _("default priority"), choices=Priority.choices, default=Priority.NORMAL)
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"],
                                               name="casetype_name_uniq")]
        verbose_name = _("case type")
        verbose_name_plural = _("case types")

    def __str__(self):
        return self.name


class FieldKind(models.TextChoices):
    TEXT = "text", _("text")
    NUMBER = "number", _("number")
    DATE = "date", _("date")
    CHOICE = "choice", _("choice")
    PHONE = "phone", _("phone number")
    ADDRESS = "address", _("address")


class CaseField(TenantOwned):
    """A field of a case type, mandatory or optional; values live in ``Case.data[key]``."""

    case_type = models.ForeignKey(CaseType, on_delete=models.CASCADE, related_name="fields")
    key = models.SlugField(_("key"), max_length=50)
    label = models.CharField(_("label"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=FieldKind.choices,
                            default=FieldKind.TEXT)
    required = models.BooleanField(_("mandatory"), default=False)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    help_text = models.CharField(_("help"), max_length=250, blank=True)
    position = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["case_type", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["case_type", "key"],
                                               name="casefield_key_uniq")]
        verbose_name = _("case field")
        verbose_name_plural = _("case fields")

    def __str__(self):
        return self.label


class CaseStatus(models.TextChoices):
    NEW = "new", _("new")
    IN_PROGRESS = "in_progress", _("in progress")
    WAITING = "waiting", _("waiting for customer")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")


OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.IN_PROGRESS, CaseStatus.WAITING)


class CaseSource(models.TextChoices):
    STAFF = "staff", _("staff")
    PANEL = "panel", _("customer panel")
    INTERACTION = "interaction", _("interaction")
    ROUTING = "routing", _("routing rule")
    EMAIL = "email", _("e-mail")


class Case(TenantOwned):
    number = models.PositiveIntegerField(_("number"), editable=False)
    case_type = models.ForeignKey(CaseType, on_delete=models.PROTECT, related_name="cases",
                                  verbose_name=_("case type"))
    title = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), max_length=20_000, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices,
                                                default=Priority.NORMAL)
    topic = models.ForeignKey("helpdesk.Topic", on_delete=models.PROTECT, null=True,
                              blank=True, related_name="cases", verbose_name=_("topic"))
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="cases", verbose_name=_("customer"))
    # Who to answer when there is no customer (zero client, an e-mail from outside).
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), max_length=254, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=CaseStatus.choices,
                              default=CaseStatus.NEW)
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="cases",
                              verbose_name=_("queue"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+", verbose_name=_("held by"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("creator"))
    source = models.CharField(_("source"), max_length=12, choices=CaseSource.choices,
                              default=CaseSource.STAFF)
    interaction = models.ForeignKey("helpdesk.Interaction", on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="cases",
                                    verbose_name=_("interaction"))
    # Values of the type's fields (CaseField.key → value as text/number/ISO date).
    data = models.JSONField(_("fields"), default=dict, blank=True)
    # Returned to the creator for missing data: the reason, until the creator completes it.
    returned_reason = models.TextField(_("returned because"), max_length=2000, blank=True)
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), db_index=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # SLA (helpdesk.sla): deadlines in business time, paused while waiting for the customer.
    sla_first_response_due = models.DateTimeField(_("first response due"), null=True,
                                                  blank=True)
    sla_resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_paused_seconds = models.PositiveIntegerField(default=0, editable=False)
    sla_breached = models.BooleanField(_("SLA breached"), default=False)
    sla_breached_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="case_number_uniq"),
            models.CheckConstraint(condition=Q(number__gt=0), name="case_number_positive"),
        ]
        indexes = [
            # The queue view of open cases, most urgent first, then oldest: read in index
            # order, the first page is its first 50 entries (bench/helpdesk.py).
            models.Index(fields=["tenant", "queue", "-priority", "created_at"],
                         condition=Q(status__in=["new", "in_progress", "waiting"]),
                         name="case_open_queue_idx"),
            models.Index(fields=["tenant", "created_by", "status"], name="case_creator_idx"),
            models.Index(fields=["tenant", "owner", "status"], name="case_owner_idx"),
            models.Index(fields=["customer", "-created_at"], name="case_customer_idx"),
            models.Index(fields=["tenant", "-created_at"], name="case_tenant_time_idx"),
        ]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self):
        return f"#{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_returned(self) -> bool:
        return self.returned_at is not None


class CommentSource(models.TextChoices):
    STAFF = "staff", _("staff")
    PANEL = "panel", _("customer panel")
    EMAIL = "email", _("e-mail")


class CaseComment(TenantOwned):
    """A reply or note. ``is_public`` off = an internal note the customer never sees."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    by_customer = models.BooleanField(default=False)
    body = models.TextField(_("text"), max_length=20_000)
    is_public = models.BooleanField(_("visible to the customer"), default=True)
    source = models.CharField(max_length=10, choices=CommentSource.choices,
                              default=CommentSource.STAFF)
    # The Message-ID of the e-mail it came in as or went out as (threading, no duplicates).
    email_message_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("case comment")
        verbose_name_plural = _("case comments")


def case_attachment_upload_to(instance, filename):
    from core.uploads import upload_path

    return upload_path("cases", instance, content_type=instance.content_type)


class CaseAttachment(TenantOwned):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(CaseComment, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="attachments")
    file = models.FileField(upload_to=case_attachment_upload_to, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(default=0)
    is_public = models.BooleanField(_("visible to the customer"), default=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("case attachment")
        verbose_name_plural = _("case attachments")


class JournalKind(models.TextChoices):
    CREATED = "created", _("created")
    CHANGED = "changed", _("field changed")
    SENT = "sent", _("sent to a queue")
    TAKEN = "taken", _("taken")
    RETURNED = "returned", _("returned to the creator")
    COMPLETED = "completed", _("completed by the creator")
    COMMENTED = "commented", _("commented")
    STATUS = "status", _("status changed")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    ESCALATED = "escalated", _("escalated")
    ATTACHED = "attached", _("file attached")
    EMAIL = "email", _("e-mail received")


class CaseJournal(TenantOwned):
    """Every action on a case, in order: who, what, and before/after where it changed."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="journal")
    kind = models.CharField(max_length=20, choices=JournalKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+")
    by_customer = models.BooleanField(default=False)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="casejournal_case_idx")]
        verbose_name = _("case journal entry")
        verbose_name_plural = _("case journal")
