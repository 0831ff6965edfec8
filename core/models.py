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

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="membership_user_tenant_uniq")
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self):
        return f"{self.user} @ {self.tenant} ({self.get_role_display()})"


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
    message = models.TextField(_("what happened"))
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["tenant", "customer", "-at"], name="actionlog_customer_at")]
        verbose_name = _("action log entry")
        verbose_name_plural = _("action log")


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
