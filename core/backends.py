"""Permissions of a staff user come from their role in the active tenant."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from .roles import role_grants
from .tenancy import current_tenant_or_none


class TenantRoleBackend(ModelBackend):
    def _role(self, user_obj):
        tenant = current_tenant_or_none()
        if tenant is None:
            return None
        cache = user_obj.__dict__.setdefault("_tenant_role_cache", {})
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

    def has_module_perms(self, user_obj, app_label):
        return any(p.startswith(app_label + ".") for p in self.get_all_permissions(user_obj))


def _all_perm_names():
    return [f"{a}.{c}" for a, c in Permission.objects.values_list(
        "content_type__app_label", "codename")]
