"""Permissions of a staff user come from their role in the active tenant."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from .roles import role_grants, role_grants_key
from .tenancy import current_tenant_or_none

CACHE = "_tenant_role_cache"


def role_remember(user_obj, tenant_id: int, role: str) -> None:
    """``user_obj``'s role in the tenant, as an active membership read just now says
    (``core.selectors.membership_tenant_for``): the permission checks of this request (this
    user object) do not read it again. Dropped when the role changes (``core.staff``)."""
    _role_cache(user_obj)[tenant_id] = role


def role_forget(user_obj) -> None:
    """Read the user's roles again at the next permission check (a role was changed)."""
    if getattr(user_obj, CACHE, None) is not None:
        delattr(user_obj, CACHE)


def _role_cache(user_obj) -> dict:
    # getattr/setattr, not ``__dict__``: ``request.user`` is a lazy object passing them on.
    cache = getattr(user_obj, CACHE, None)
    if cache is None:
        cache = {}
        setattr(user_obj, CACHE, cache)
    return cache


class TenantRoleBackend(ModelBackend):
    def _role(self, user_obj):
        tenant = current_tenant_or_none()
        if tenant is None:
            return None
        cache = _role_cache(user_obj)
        if tenant.pk not in cache:
            cache[tenant.pk] = (
                user_obj.memberships.filter(tenant=tenant, is_active=True)
                .values_list("role", flat=True).first()
            )
        return cache[tenant.pk]

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        if user_obj.is_superuser:
            return {f"{ct}.{code}" for ct, code in Permission.objects.values_list(
                "content_type__app_label", "codename")}
        role = self._role(user_obj)
        if role is None:
            return set()
        return {p for p in _all_perm_names() if role_grants(role, p)}

    def has_perm(self, user_obj, perm, obj=None):
        if not user_obj.is_active:
            return False
        if user_obj.is_superuser:
            return True
        role = self._role(user_obj)
        return role is not None and role_grants(role, perm)

    def permissions_key(self, user_obj) -> tuple:
        """Equal for two users granted the same permissions in the active tenant."""
        if not user_obj.is_active or user_obj.is_anonymous:
            return ("none",)
        if user_obj.is_superuser:
            return ("superuser",)
        role = self._role(user_obj)
        return ("none",) if role is None else ("role", role_grants_key(role))

    def has_module_perms(self, user_obj, app_label):
        return any(p.startswith(app_label + ".") for p in self.get_all_permissions(user_obj))


def permissions_key(user_obj) -> tuple:
    """Equal for two users whose every permission check in the active tenant answers the
    same (the backends that grant permissions: ``AUTHENTICATION_BACKENDS``)."""
    from django.contrib.auth import get_backends

    return tuple(backend.permissions_key(user_obj) if hasattr(backend, "permissions_key")
                 else ("grants nothing",) if not _grants_permissions(backend)
                 else ("user", user_obj.pk)
                 for backend in get_backends())


def _grants_permissions(backend) -> bool:
    """Whether ``backend`` may grant a permission: Django asks only backends with a
    ``has_perm``, and ``BaseBackend``'s grants none."""
    from django.contrib.auth.backends import BaseBackend

    has_perm = getattr(type(backend), "has_perm", None)
    return has_perm is not None and has_perm is not BaseBackend.has_perm


def _all_perm_names():
    return [f"{a}.{c}" for a, c in Permission.objects.values_list(
        "content_type__app_label", "codename")]
