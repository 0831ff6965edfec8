"""Hosted mailboxes ("Konta e-mail"): the ISP's mail domains, its customers' mailboxes and
forwardings, and their projection into the tables Dovecot and the MTA read.

The tenant tables sit under row-level security (core/rls.py): a program that connects
without the tenant setting sees none of their rows. Dovecot and Postfix therefore read a
**projection** — plain tables, one row per address that may log in or receive mail —
that ``services.projection_sync`` writes in the same transaction as every change. Their
role (``abonent_dovecot``, created by this app's migration) may read the projection and
nothing else.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantOwned

# A mailbox holds 1 MB to 1 TB; more is a typo, not a customer's wish.
QUOTA_MIN_MB = 1
QUOTA_MAX_MB = 1024 * 1024
# The most destinations one forwarding sends to.
FORWARD_MAX_DESTINATIONS = 20


class MailDomain(TenantOwned):
    """A domain the ISP hosts mail for. Two ISPs never host the same domain: the name is
    unique on the platform (IDNA, lower case: ``xn--d-uga0v4h.pl``, never ``Łódź.pl``)."""

    name = models.CharField(_("domain"), max_length=253)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="maildomain_name_uniq"),
        ]
        verbose_name = _("mail domain")
        verbose_name_plural = _("mail domains")

    def __str__(self):
        return self.name

    @property
    def display_name(self) -> str:
        from .validators import domain_display

        return domain_display(self.name)


class Mailbox(TenantOwned):
    """A customer's mailbox: ``local_part@domain``, its password hash (``{ARGON2ID}…``,
    which Dovecot verifies; the password itself is never stored) and its quota."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT,
                                 related_name="mailboxes", verbose_name=_("customer"))
    domain = models.ForeignKey(MailDomain, on_delete=models.PROTECT, related_name="mailboxes",
                               verbose_name=_("domain"))
    local_part = models.CharField(_("name before @"), max_length=64)
    password_hash = models.CharField(max_length=255)
    quota_mb = models.PositiveIntegerField(
        _("quota (MB)"), default=1024,
        validators=[MinValueValidator(QUOTA_MIN_MB), MaxValueValidator(QUOTA_MAX_MB)])
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    password_changed_at = models.DateTimeField(_("password changed"), null=True, blank=True)

    class Meta:
        ordering = ["domain__name", "local_part"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "local_part"],
                                    name="mailbox_address_uniq"),
            models.CheckConstraint(
                condition=models.Q(quota_mb__gte=QUOTA_MIN_MB, quota_mb__lte=QUOTA_MAX_MB),
                name="mailbox_quota_range"),
        ]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self):
        return self.address

    @property
    def address(self) -> str:
        return f"{self.local_part}@{self.domain.name}"

    @property
    def display_address(self) -> str:
        return f"{self.local_part}@{self.domain.display_name}"


class MailForward(TenantOwned):
    """A forwarding ("przekierowanie", an alias): mail to ``local_part@domain`` goes to
    ``destinations``. On a mailbox's own address it is the mailbox's forwarding (with
    ``keep_copy`` the mailbox keeps a copy); elsewhere an alias of the customer's."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT,
                                 related_name="mail_forwards", verbose_name=_("customer"))
    domain = models.ForeignKey(MailDomain, on_delete=models.PROTECT,
                               related_name="forwards", verbose_name=_("domain"))
    local_part = models.CharField(_("name before @"), max_length=64)
    # A list of addresses (JSON: the SQLite default of ``make run`` has no arrays).
    destinations = models.JSONField(_("forward to"), default=list)
    keep_copy = models.BooleanField(_("keep a copy in the mailbox"), default=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        ordering = ["domain__name", "local_part"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "local_part"],
                                    name="mailforward_address_uniq"),
        ]
        verbose_name = _("forwarding")
        verbose_name_plural = _("forwardings")

    def __str__(self):
        return self.address

    @property
    def address(self) -> str:
        return f"{self.local_part}@{self.domain.name}"

    @property
    def display_address(self) -> str:
        return f"{self.local_part}@{self.domain.display_name}"


# --------------------------------------------------------------------------- projection
# Plain tables (not TenantOwned: no row-level security), read by Dovecot and the MTA as
# the role ``abonent_dovecot``. Written only by ``services.projection_sync``.


class MailUser(models.Model):
    """An address that may log in: present only while the mailbox and its domain are
    active. ``home`` is relative to the mail server's base directory and named after the
    mailbox's id, not its address: a mailbox deleted and created again under the same
    address starts empty, never with the previous owner's mail."""

    mailbox = models.OneToOneField(Mailbox, on_delete=models.CASCADE, related_name="+")
    email = models.CharField(max_length=320, unique=True)
    password = models.CharField(max_length=255)
    quota_bytes = models.BigIntegerField()
    home = models.CharField(max_length=100)

    class Meta:
        db_table = "mailhosting_mailuser"

    def __str__(self):
        return self.email


class MailRoute(models.Model):
    """One destination of an address for the MTA (Postfix ``virtual_alias_maps``:
    ``SELECT destination FROM mailhosting_mailroute WHERE source = '%s'``)."""

    forward = models.ForeignKey(MailForward, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=320, db_index=True)
    destination = models.CharField(max_length=320)

    class Meta:
        db_table = "mailhosting_mailroute"
        constraints = [
            models.UniqueConstraint(fields=["source", "destination"],
                                    name="mailroute_source_destination_uniq"),
        ]

    def __str__(self):
        return f"{self.source} → {self.destination}"


class MailHostedDomain(models.Model):
    """An active hosted domain for the MTA (``virtual_mailbox_domains``)."""

    domain = models.OneToOneField(MailDomain, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=253, unique=True)

    class Meta:
        db_table = "mailhosting_mailhosteddomain"

    def __str__(self):
        return self.name
