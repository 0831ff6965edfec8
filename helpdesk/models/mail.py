"""E-mail to case: the tenant's helpdesk mailbox, read over IMAP, and what became of
each message read (so a message is never turned into a case twice)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField
from core.tenancy import TenantOwned


class ImapSecurity(models.TextChoices):
    SSL = "ssl", _("SSL/TLS")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("none (loopback only)")


class HelpdeskMailbox(TenantOwned):
    address = models.EmailField(_("helpdesk address"), max_length=254)
    host = models.CharField(_("IMAP server"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(_("security"), max_length=10, choices=ImapSecurity.choices,
                                default=ImapSecurity.SSL)
    username = models.CharField(_("user name"), max_length=255)
    password = EncryptedTextField(_("password"), blank=True)
    folder = models.CharField(_("folder"), max_length=100, default="INBOX")
    is_active = models.BooleanField(_("active"), default=True)
    case_type = models.ForeignKey("helpdesk.CaseType", on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("case type of new cases"))
    queue = models.ForeignKey("helpdesk.Queue", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("queue of new cases"))
    # New cases per sender per hour before the sender is treated as a loop.
    sender_hourly_limit = models.PositiveIntegerField(_("new cases per sender per hour"),
                                                      default=5)
    uidvalidity = models.BigIntegerField(null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(default=0, editable=False)
    last_polled_at = models.DateTimeField(_("last read"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="helpdeskmailbox_one")]
        verbose_name = _("helpdesk mailbox")
        verbose_name_plural = _("helpdesk mailboxes")

    def __str__(self):
        return self.address


class IngestOutcome(models.TextChoices):
    CREATED = "created", _("new case")
    APPENDED = "appended", _("added to a case")
    AUTO_REPLY = "auto_reply", _("automatic reply, ignored")
    LOOP = "loop", _("mail loop or list, ignored")
    RATE_LIMITED = "rate_limited", _("too many from the sender, ignored")
    REJECTED = "rejected", _("not readable, ignored")


class MailIngest(TenantOwned):
    mailbox = models.ForeignKey(HelpdeskMailbox, on_delete=models.CASCADE,
                                related_name="ingests")
    # SHA-256 of the Message-ID (or of the raw message when it has none).
    message_key = models.CharField(max_length=64)
    uid = models.BigIntegerField(null=True, blank=True)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    outcome = models.CharField(_("outcome"), max_length=15, choices=IngestOutcome.choices)
    case = models.ForeignKey("helpdesk.Case", on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+")
    # Why it was ignored or refused, or what was dropped from it (in the reader's words).
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "message_key"],
                                               name="mailingest_message_uniq")]
        indexes = [models.Index(fields=["tenant", "sender", "received_at"],
                                name="mailingest_sender_idx")]
        verbose_name = _("e-mail read")
        verbose_name_plural = _("e-mails read")
