"""REST API of the RADIUS app.

* ``/api/v1/radius/nas/`` — NAS devices (the shared secret is write-only);
* ``/api/v1/radius/pools/`` — IP pools;
* a ``DELETE`` of a NAS, a pool or a login answers 204, or 400 with ``detail`` naming
  what still depends on it (``radius.services.removal``);
* ``/api/v1/radius/logins/`` — logins ("komputery"), ``?customer=``; ``disable``,
  ``enable`` and ``reload`` ("Wymuś przeładowanie ustawień": CoA / Disconnect queued,
  ``reload_status`` says what came of it);
  ``block`` / ``unblock`` (staff block), ``temp-speed`` and ``temp-speed/clear``;
  ``customer-block`` / ``customer-unblock`` (every login of a customer, ``{"customer"}``);
  ``traffic`` (the statistics charts, ``?period=day|week|month|year``);
* ``/api/v1/radius/sessions/`` — accounting sessions, ``?login=``, ``?open=true``;
* ``/api/v1/radius/keys/`` — FreeRADIUS keys (administrators): list, create, ``rotate``
  (``grace_hours``), ``revoke``; a new key is in the answer once.

Views parse, call one service or selector, and serialize; every queryset goes through
the scoped managers, so another tenant's row is a 404.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api import TenantViewSet, error_response

from . import selectors, serializers, services
from .models import IpPool, Login, Nas, RadiusKey, RadiusSession


def _writes(input_serializer, output_serializer, code=201):
    return extend_schema(request=input_serializer, responses={code: output_serializer})


def _deletes(refused: str):
    """A DELETE: 204, or a 400 whose ``detail`` names what still depends on the object."""
    return extend_schema(responses={204: None, 400: error_response(refused)})


def _id_param(request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationError({name: [_("Enter a whole number.")]}) from None


@extend_schema_view(
    create=_writes(serializers.NasInputSerializer, serializers.NasSerializer),
    partial_update=_writes(serializers.NasInputSerializer, serializers.NasSerializer, 200),
    destroy=_deletes("Refused: logins are allowed on this NAS only, or sessions on it are "
                     "open; `detail` names them."),
)
class NasViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    model = Nas
    serializer_class = serializers.NasSerializer

    def scoped_queryset(self):
        return selectors.nas_list()

    def create(self, request):
        data = self.parsed(serializers.NasInputSerializer)
        return self.respond(services.nas_create(actor=request.user, **data))

    def partial_update(self, request, pk=None):
        nas = self.get_object()
        data = self.parsed(serializers.NasInputSerializer, partial=True)
        return self.respond(services.nas_update(actor=request.user, nas=nas, **data),
                            status.HTTP_200_OK)

    def destroy(self, request, pk=None):
        services.nas_delete(actor=request.user, nas=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    create=_writes(serializers.IpPoolInputSerializer, serializers.IpPoolSerializer),
    destroy=_deletes("Refused: logins have this pool; `detail` names them."),
)
class IpPoolViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    model = IpPool
    serializer_class = serializers.IpPoolSerializer

    def scoped_queryset(self):
        return selectors.pool_list()

    def create(self, request):
        data = self.parsed(serializers.IpPoolInputSerializer)
        return self.respond(services.pool_create(actor=request.user, **data))

    def destroy(self, request, pk=None):
        services.pool_delete(actor=request.user, pool=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("customer", int)]),
    create=_writes(serializers.LoginInputSerializer, serializers.LoginSerializer),
    partial_update=_writes(serializers.LoginUpdateSerializer, serializers.LoginSerializer,
                           200),
    disable=_writes(serializers.LoginDisableSerializer, serializers.LoginSerializer, 200),
    enable=extend_schema(request=None, responses={200: serializers.LoginSerializer}),
    reload=extend_schema(request=None, responses={200: serializers.LoginSerializer}),
    block=_writes(serializers.LoginBlockSerializer, serializers.LoginSerializer, 200),
    unblock=extend_schema(request=None, responses={200: serializers.LoginSerializer}),
    temp_speed=_writes(serializers.LoginTempSpeedSerializer, serializers.LoginSerializer, 200),
    temp_speed_clear=extend_schema(request=None,
                                   responses={200: serializers.LoginSerializer}),
    destroy=_deletes("Refused: the login is online (disable it first); `detail` says "
                     "where."),
    customer_block=_writes(serializers.CustomerBlockSerializer,
                           serializers.LoginCountSerializer, 200),
    customer_unblock=_writes(serializers.CustomerUnblockSerializer,
                             serializers.LoginCountSerializer, 200),
    traffic=extend_schema(parameters=[OpenApiParameter(
        "period", str, enum=list(selectors.TRAFFIC_PERIODS),
        description="day (bars of an hour), week and month (a day), year (a month)")],
        responses={200: serializers.TrafficSerializer(many=True)}),
)
class LoginViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    model = Login
    serializer_class = serializers.LoginSerializer
    action_permissions = {
        "disable": ["radius.change_login"],
        "enable": ["radius.change_login"],
        "reload": ["radius.change_login"],
        "block": ["radius.change_login"],
        "unblock": ["radius.change_login"],
        "temp_speed": ["radius.change_login"],
        "temp_speed_clear": ["radius.change_login"],
        "customer_block": ["radius.change_login"],
        "customer_unblock": ["radius.change_login"],
    }

    def scoped_queryset(self):
        if self.action == "list":
            return selectors.login_list(customer_id=_id_param(self.request, "customer"))
        return selectors.login_list()

    def _fresh(self, login: Login, code=status.HTTP_200_OK):
        return self.respond(selectors.login_list().get(pk=login.pk), code)

    def create(self, request):
        data = self.parsed(serializers.LoginInputSerializer)
        login = services.login_create(actor=request.user, **data)
        return self._fresh(login, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        login = self.get_object()
        data = self.parsed(serializers.LoginUpdateSerializer, partial=True)
        return self._fresh(services.login_update(actor=request.user, login=login, **data))

    def destroy(self, request, pk=None):
        """Delete the login; its connection history (sessions) is kept, detached."""
        services.login_delete(actor=request.user, login=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def disable(self, request, pk=None):
        login = self.get_object()
        data = self.parsed(serializers.LoginDisableSerializer)
        return self._fresh(services.login_disable(actor=request.user, login=login, **data))

    @action(detail=True, methods=["post"])
    def enable(self, request, pk=None):
        return self._fresh(services.login_enable(actor=request.user, login=self.get_object()))

    @action(detail=True, methods=["post"])
    def reload(self, request, pk=None):
        login = self.get_object()
        services.login_reload(actor=request.user, login=login)
        return self._fresh(login)

    @action(detail=True, methods=["post"])
    def block(self, request, pk=None):
        """Block by staff: the NAS gets the tenant's block profile instead of the speed."""
        login = self.get_object()
        data = self.parsed(serializers.LoginBlockSerializer)
        return self._fresh(services.login_block(actor=request.user, login=login, **data))

    @action(detail=True, methods=["post"])
    def unblock(self, request, pk=None):
        """Lift a staff block (a debt block lifts when the debt is paid)."""
        return self._fresh(services.login_unblock(actor=request.user, login=self.get_object()))

    @action(detail=False, methods=["post"], url_path="customer-block")
    def customer_block(self, request):
        """Block every login of the customer by staff ("Zablokuj klienta"); ``count``:
        how many were blocked (0: none, or all blocked already for this reason)."""
        data = self.parsed(serializers.CustomerBlockSerializer)
        count = services.customer_block(actor=request.user, **data)
        return Response(serializers.LoginCountSerializer({"count": count}).data)

    @action(detail=False, methods=["post"], url_path="customer-unblock")
    def customer_unblock(self, request):
        """Lift the staff blocks of the customer's logins (debt blocks stay)."""
        data = self.parsed(serializers.CustomerUnblockSerializer)
        count = services.customer_unblock(actor=request.user, **data)
        return Response(serializers.LoginCountSerializer({"count": count}).data)

    @action(detail=True, methods=["post"], url_path="temp-speed")
    def temp_speed(self, request, pk=None):
        login = self.get_object()
        data = self.parsed(serializers.LoginTempSpeedSerializer)
        return self._fresh(services.login_temp_speed_set(actor=request.user, login=login,
                                                         **data))

    @action(detail=True, methods=["post"], url_path="temp-speed/clear")
    def temp_speed_clear(self, request, pk=None):
        return self._fresh(services.login_temp_speed_clear(actor=request.user,
                                                           login=self.get_object()))

    @action(detail=True, methods=["get"], pagination_class=None)
    def traffic(self, request, pk=None):
        """The statistics charts: traffic and average speed per bar."""
        login = self.get_object()
        period = request.query_params.get("period", "day")
        if period not in selectors.TRAFFIC_PERIODS:
            raise ValidationError({"period": [_("Choose one of: %(periods)s.") % {
                "periods": ", ".join(selectors.TRAFFIC_PERIODS)}]})
        bars = selectors.login_traffic(login_id=login.pk, period=period)
        return Response(serializers.TrafficSerializer(bars, many=True).data)


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("login", int), OpenApiParameter("open", bool)]))
class RadiusSessionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    model = RadiusSession
    serializer_class = serializers.RadiusSessionSerializer

    def scoped_queryset(self):
        if self.action == "list":
            return selectors.session_list(
                login_id=_id_param(self.request, "login"),
                open_only=self.request.query_params.get("open") in ("true", "1"))
        return selectors.session_list()


@extend_schema_view(
    create=_writes(serializers.RadiusKeyCreateSerializer, serializers.RadiusKeyIssuedSerializer),
    rotate=_writes(serializers.RadiusKeyRotateSerializer, serializers.RadiusKeyIssuedSerializer),
    revoke=extend_schema(request=None, responses={200: serializers.RadiusKeySerializer}),
)
class RadiusKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The tenant's FreeRADIUS keys (administrators): a new or rotated key is in the
    answer once (``key``); a rotated one keeps working for the grace period."""

    model = RadiusKey
    serializer_class = serializers.RadiusKeySerializer
    action_permissions = {"list": ["radius.view_radiuskey"],
                          "retrieve": ["radius.view_radiuskey"],
                          "create": ["radius.add_radiuskey"],
                          "rotate": ["radius.add_radiuskey", "radius.change_radiuskey"],
                          "revoke": ["radius.change_radiuskey"]}

    def scoped_queryset(self):
        return selectors.radius_key_list()

    def _issued(self, row, key):
        data = serializers.RadiusKeyIssuedSerializer({**vars(row), "key": key}).data
        return Response(data, status=status.HTTP_201_CREATED)

    def create(self, request):
        data = self.parsed(serializers.RadiusKeyCreateSerializer)
        return self._issued(*services.radius_key_create(actor=request.user, **data))

    @action(detail=True, methods=["post"])
    def rotate(self, request, pk=None):
        key = self.get_object()
        data = self.parsed(serializers.RadiusKeyRotateSerializer)
        return self._issued(*services.radius_key_rotate(actor=request.user, key=key, **data))

    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        key = services.radius_key_revoke(actor=request.user, key=self.get_object())
        return Response(self.get_serializer(key).data)


def register(router) -> None:
    """Add the RADIUS routes to the project's one router."""
    router.register("radius/nas", NasViewSet, basename="radius-nas")
    router.register("radius/pools", IpPoolViewSet, basename="radius-pool")
    router.register("radius/logins", LoginViewSet, basename="radius-login")
    router.register("radius/sessions", RadiusSessionViewSet, basename="radius-session")
    router.register("radius/keys", RadiusKeyViewSet, basename="radius-key")
