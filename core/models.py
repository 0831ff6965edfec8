import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import Role
from .tenancy import TenantOwned


class User(AbstractUser):
    """A staff member; tenants and roles come from ``Membership``."""

    class Meta:
        verbose_name = _("staff user")
        verbose_name_plural = _("staff users")


class Tenant(models.Model):
    """One ISP on the platform."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), unique=True)
    nip = models.CharField(_("NIP"), max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tenant (ISP)")
        verbose_name_plural = _("tenants (ISPs)")

    def __str__(self):
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    # Deactivated by a tenant admin (core.staff): the user works in this tenant no more,
    # other tenants' memberships stay; kept so that it can be reactivated.
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="membership_user_tenant_uniq")
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self):
        return f"{self.user} @ {self.tenant} ({self.get_role_display()})"


class StaffSession(models.Model):
    """One staff login in a browser (core.staff): listed to tenant admins, who may end it.

    Written when the user logs in, deleted when they log out or an admin ends it; its
    ``session_key`` follows the Django session's key when the panel cycles it.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(_("logged in"), auto_now_add=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("staff session")
        verbose_name_plural = _("staff sessions")

    def __str__(self):
        return f"{self.user} ({self.created_at:%Y-%m-%d %H:%M})"


class TenantSetting(TenantOwned):
    """A tenant's value of a setting key ("zmienna systemowa"); defaults live in code."""

    key = models.CharField(max_length=100)
    value = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="tenantsetting_key_uniq")
        ]
        verbose_name = _("tenant setting")
        verbose_name_plural = _("tenant settings")


def _token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """An API key bound to one user *and* one tenant; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # Revoked tokens are kept (who had one, until when) but authenticate no more.
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.prefix}… ({self.user}, {self.tenant})"

    @staticmethod
    def new_key() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def hash_key(key: str) -> str:
        return _token_hash(key)


class ActionLog(TenantOwned):
    """"Akcje Klient System": one entry per change made through a service."""

    class ActorKind(models.TextChoices):
        STAFF = "staff", _("staff")
        CUSTOMER = "customer", _("customer")
        SYSTEM = "system", _("system")

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(_("actor"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="action_log",
    )
    kind = models.CharField(_("kind"), max_length=60)
    # The sentence as written in the code (English msgid, e.g. "Phone %(n)s added") and
    # its parameters: it is translated when shown, into the reader's language.
    message = models.TextField(_("what happened"))
    params = models.JSONField(_("parameters"), default=dict, db_default={}, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["tenant", "customer", "-at"], name="actionlog_customer_at")]
        verbose_name = _("action log entry")
        verbose_name_plural = _("action log")

    @property
    def text(self) -> str:
        """The sentence in the active language, with its parameters filled in."""
        from .actionlog import render_text

        return render_text(self.message, self.params)

    @property
    def kind_label(self) -> str:
        """The kind's name in the active language (its code when no app names it)."""
        from .actionlog import kind_label

        return kind_label(self.kind)

    @property
    def change_rows(self) -> list:
        """``changes`` in words: the field's label, before → after, in the active language."""
        from .actionlog import render_changes

        return render_changes(self.kind, self.changes)

    @property
    def actor_display(self) -> str:
        """Who did it; the system is named in the reader's language."""
        from django.utils.translation import gettext

        return gettext("System") if self.actor_kind == self.ActorKind.SYSTEM else self.actor_name


class NumberSeries(TenantOwned):
    """The last number given in one series and period (e.g. contracts of 2026).

    ``core.numbering.number_next`` locks this row, so numbers are unique and without gaps
    among the transactions that commit.
    """

    series = models.CharField(max_length=60)
    period = models.CharField(max_length=10, blank=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "series", "period"],
                                               name="numberseries_uniq")]
        verbose_name = _("number series")
        verbose_name_plural = _("number series")
