"""API of staff login locks: ``/api/v1/login-locks/`` lists the locked logins of the
tenant's users and the addresses that tried them; ``unlock/`` lifts one (``core.access``).
A tenant administrator's (``core.unlock_login``)."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import access
from .api import error_response


class CanUnlockLogins(permissions.BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated
                    and request.user.has_perm("core.unlock_login"))


class LoginLockSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=access.LOCK_KINDS)
    value = serializers.CharField()
    failures = serializers.IntegerField()
    until = serializers.DateTimeField()


class LoginLockReleaseSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=access.LOCK_KINDS)
    value = serializers.CharField(max_length=255)


class LoginLockResultSerializer(serializers.Serializer):
    free = serializers.BooleanField(help_text="False: an address still locked by attempts "
                                              "on other tenants' users or unknown names.")


class LoginLockViewSet(viewsets.GenericViewSet):
    permission_classes = [CanUnlockLogins]
    serializer_class = LoginLockSerializer
    filter_backends = []

    def list(self, request):
        """The locks, paged like every list of the API."""
        page = self.paginate_queryset(access.login_lock_list(tenant=request.tenant))
        return self.get_paginated_response(LoginLockSerializer(page, many=True).data)

    @extend_schema(request=LoginLockReleaseSerializer, responses={
        200: LoginLockResultSerializer,
        404: error_response("No such lock of the tenant's users (or another tenant's).")})
    @action(detail=False, methods=["post"])
    def unlock(self, request):
        """Lift a lock of the list; 404 for one that is not (another tenant's user)."""
        data = LoginLockReleaseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        free = access.login_lock_release(actor=request.user, tenant=request.tenant,
                                         **data.validated_data)
        if free is None:
            raise Http404
        return Response({"free": free})


def register(router) -> None:
    router.register("login-locks", LoginLockViewSet, basename="login-lock")
