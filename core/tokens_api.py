"""API of API tokens: ``/api/v1/api-tokens/`` lists the tenant's tokens (revoked ones
included), creates one (its key is in that answer only) and ``{id}/revoke/`` revokes one
at once. A tenant administrator's (``core.*_apitoken``, ``core.roles.ADMIN_ONLY``)."""

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import selectors, services
from .api import PageNumberPagination
from .models import ApiToken, User

_ACTION_PERMS = {"list": "core.view_apitoken", "retrieve": "core.view_apitoken",
                 "create": "core.add_apitoken", "revoke": "core.change_apitoken"}


class CanManageApiTokens(permissions.BasePermission):
    def has_permission(self, request, view):
        perm = _ACTION_PERMS.get(getattr(view, "action", None), "core.change_apitoken")
        return bool(request.user and request.user.is_authenticated
                    and request.user.has_perm(perm))


class ApiTokenSerializer(serializers.ModelSerializer):
    user_name = serializers.SerializerMethodField()
    revoked = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "user", "user_name", "created_at", "last_used_at",
                  "revoked", "revoked_at", "revoked_by"]
        read_only_fields = fields

    def get_user_name(self, token) -> str:
        return token.user.get_full_name() or token.user.get_username()

    def get_revoked(self, token) -> bool:
        return token.revoked_at is not None


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    key = serializers.CharField(read_only=True, help_text="Shown once; only its hash is kept.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]
        read_only_fields = fields


class _MemberField(serializers.PrimaryKeyRelatedField):
    """A staff user with a role in the active tenant; anyone else "does not exist"."""

    def get_queryset(self):
        return selectors.member_users(tenant=self.context["request"].tenant)


class ApiTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=ApiToken._meta.get_field("name").max_length,
                                 required=False, allow_blank=True, default="",
                                 help_text="What the token is for.")
    user = _MemberField(queryset=User.objects.none(), required=False,
                        help_text="The member the token acts as; default: the caller.")


@extend_schema_view(
    list=extend_schema(responses=ApiTokenSerializer(many=True)),
    retrieve=extend_schema(responses={200: ApiTokenSerializer,
                                      404: OpenApiResponse(description="No such token here.")}),
)
class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    model = ApiToken
    permission_classes = [CanManageApiTokens]
    serializer_class = ApiTokenSerializer
    pagination_class = PageNumberPagination
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return selectors.api_token_list(tenant=self.request.tenant)

    @extend_schema(request=ApiTokenCreateSerializer,
                   responses={201: ApiTokenCreatedSerializer,
                              400: OpenApiResponse(description="A name too long or a user "
                                                               "who is not a member.")})
    def create(self, request):
        """A new token; the answer holds its key, the only time it is shown."""
        data = ApiTokenCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        token, key = services.api_token_create(
            actor=request.user, tenant=request.tenant, name=data.validated_data["name"],
            user=data.validated_data.get("user") or request.user)
        token.key = key
        return Response(ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None,
                   responses={200: ApiTokenSerializer,
                              404: OpenApiResponse(description="No such token here.")})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Revoke the token: it is refused from the next request on. Revoking a revoked
        token changes nothing."""
        token = selectors.api_token_get(tenant=request.tenant, pk=_int_or_404(pk))
        if token is None:
            raise Http404
        return Response(ApiTokenSerializer(
            services.api_token_revoke(actor=request.user, token=token)).data)


def _int_or_404(pk) -> int:
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise Http404 from None


def register(router) -> None:
    router.register("api-tokens", ApiTokenViewSet, basename="api-token")
