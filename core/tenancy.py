"""Tenant scoping: the one mechanism every read and write of tenant-owned rows goes through.

A tenant is one ISP.  The active tenant lives in a context variable set by
``TenantMiddleware`` for staff pages, by the API authentication for API calls, and by
``tenant_context()`` for tasks, commands and tests.  The default manager of every
``TenantOwned`` model filters by it and *fails closed*: with no active tenant a query
raises ``TenantNotSet`` instead of returning every tenant's rows.  Another tenant's
object is therefore simply not found (a 404), and forms, serializers and related
managers inherit the same filter because Django builds them from the default manager.

Cross-tenant work that truly needs it (the platform's own maintenance, benchmarks)
uses ``Model.all_tenants`` explicitly, so it is visible in review.

Under the ORM's filter lies a second wall (issue 12, ``core/rls.py``): on PostgreSQL every
tenant-owned table has a row-level security policy keyed on the setting
``abonent.tenant``, which the database connection sets from these same context variables
before each query (``database_scope``). Raw SQL, ``all_tenants`` and a forgotten filter
therefore still see only the active tenant's rows — and with no tenant active, none.
Work that must cross tenants says so twice: ``Model.all_tenants`` for the ORM and
``all_tenants_context()`` for the database.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models

_current_tenant: ContextVar = ContextVar("current_tenant", default=None)
# True inside ``all_tenants_context()``: the database shows every tenant's rows.
_all_tenants: ContextVar[bool] = ContextVar("all_tenants", default=False)

# The value of ``abonent.tenant`` that lets a query see every tenant (core/rls.py).
ALL_TENANTS = "*"


class TenantNotSet(RuntimeError):
    """A tenant-owned table was queried with no active tenant."""


class CrossTenantWrite(RuntimeError):
    """A row of one tenant was about to be saved while another tenant is active."""


def current_tenant():
    tenant = _current_tenant.get()
    if tenant is None:
        raise TenantNotSet("No active tenant: wrap the work in tenant_context(tenant).")
    return tenant


def current_tenant_or_none():
    return _current_tenant.get()


def activate_tenant(tenant):
    """Set the active tenant; returns the token for ``deactivate_tenant``."""
    return _current_tenant.set(tenant), _all_tenants.set(False)


def deactivate_tenant(token) -> None:
    tenant_token, all_token = token
    _all_tenants.reset(all_token)
    _current_tenant.reset(tenant_token)


@contextmanager
def tenant_context(tenant):
    token = activate_tenant(tenant)
    try:
        yield tenant
    finally:
        deactivate_tenant(token)


@contextmanager
def all_tenants_context():
    """Lift the database's tenant wall for work that truly spans tenants.

    The platform's maintenance, the FreeRADIUS key lookup, the login pages finding a
    user's tenant, the batch writer of FreeRADIUS answers. No tenant is active inside
    (``Model.objects`` still refuses); ``Model.all_tenants`` sees every tenant's rows.
    A ``tenant_context`` inside it scopes to that tenant again.
    """
    tenant_token, all_token = _current_tenant.set(None), _all_tenants.set(True)
    try:
        yield
    finally:
        _all_tenants.reset(all_token)
        _current_tenant.reset(tenant_token)


def database_scope() -> str:
    """What ``abonent.tenant`` must hold for the next query: the active tenant's id,
    ``ALL_TENANTS`` inside ``all_tenants_context()``, else "" (no rows)."""
    tenant = _current_tenant.get()
    if tenant is not None:
        return str(tenant.pk)
    return ALL_TENANTS if _all_tenants.get() else ""


class TenantQuerySet(models.QuerySet):
    pass


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(tenant=current_tenant())


class TenantOwned(models.Model):
    """Abstract base of every row that belongs to one ISP."""

    tenant = models.ForeignKey(
        "core.Tenant", on_delete=models.PROTECT, related_name="+", editable=False
    )

    objects = TenantManager()
    all_tenants = models.Manager()

    class Meta:
        abstract = True
        base_manager_name = "all_tenants"

    def save(self, *args, **kwargs):
        # Infrastructure, not business logic: stamp the active tenant on new rows and
        # refuse to write a row of another tenant.
        active = _current_tenant.get()
        if self.tenant_id is None and active is not None:
            self.tenant = active
        elif active is not None and self.tenant_id != active.pk:
            raise CrossTenantWrite(
                f"{type(self).__name__} of tenant {self.tenant_id} saved under tenant {active.pk}"
            )
        super().save(*args, **kwargs)
