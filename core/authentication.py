"""API authentication and permissions: every API request runs inside one tenant."""

from django.utils import timezone
from rest_framework import exceptions, permissions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication

from .models import ApiToken, Membership
from .tenancy import activate_tenant


class TenantTokenAuthentication(BaseAuthentication):
    """``Authorization: Token <key>``; the key names its user *and* its tenant."""

    keyword = "Token"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header.")
        token = (
            ApiToken.objects.select_related("user", "tenant")
            # A revoked token is refused from the moment it was revoked (core.services).
            .filter(key_hash=ApiToken.hash_key(header[1]), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not Membership.objects.filter(user=token.user, tenant=token.tenant,
                                         is_active=True).exists():
            raise exceptions.AuthenticationFailed("The token's user left its tenant.")
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        # The middleware resets the context variable when the request ends.
        request._request.tenant = token.tenant
        activate_tenant(token.tenant)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class TenantSessionAuthentication(SessionAuthentication):
    """Browser session; the tenant is the one the middleware activated."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and getattr(request._request, "tenant", None) is None:
            raise exceptions.PermissionDenied("You are not a member of any tenant.")
        return result


class TenantModelPermissions(permissions.DjangoModelPermissions):
    """Model permissions of the user's role in the active tenant, reads included."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }
