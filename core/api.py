"""DRF wiring shared by every app."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.drainage import add_trace_message
from drf_spectacular.plumbing import get_view_model
from rest_framework import exceptions, pagination, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .authentication import TenantModelPermissions


def exception_handler(exc, context):
    """Services raise Django's ``ValidationError``; the API answers it as a 400."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({"detail": exc.messages})
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


class TenantActionPermissions(TenantModelPermissions):
    """Model permissions by HTTP method, unless the view names those an action needs.

    ``action_permissions = {"pin": ["customers.change_annotation"]}``: pinning is a POST
    but changes an annotation, so "add" is the wrong permission for it. The view's
    queryset is still built first, so another tenant's customer is a 404 before any 403.
    """

    def has_permission(self, request, view):
        perms = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        if perms is None:
            return super().has_permission(request, view)
        if not request.user or not request.user.is_authenticated:
            return False
        self._queryset(view)
        return request.user.has_perms(perms)


class TenantPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id of a row of the active tenant.

    ``Model.objects.all()`` cannot be a class attribute: the scoped manager asks for the
    tenant when the queryset is built, and at import time there is none. The queryset is
    therefore built per request, so another tenant's id is "does not exist" (a 400).
    """

    def __init__(self, *, model, **kwargs):
        self.model = model
        # Only names the model for the schema; lookups go through get_queryset().
        kwargs["queryset"] = model.all_tenants.none()
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.model.objects.all()


class TenantModelViewMixin:
    """``get_queryset`` from ``model`` through the scoped manager.

    ``queryset = Model.objects.all()`` would be built at import time, with no tenant. While
    drf-spectacular generates the schema there is no request and no tenant either; it only
    needs the model, so it gets an empty queryset of it.
    """

    model = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model.all_tenants.none()
        return self.scoped_queryset()

    def scoped_queryset(self):
        return self.model.objects.all()


class TenantDjangoFilterExtension(DjangoFilterExtension):
    """Documents django-filter parameters without an active tenant.

    drf-spectacular asks the model's default manager for an empty queryset; the scoped
    manager refuses without a tenant, so the unscoped base manager (``all_tenants`` for
    tenant-owned models) is asked instead. The queryset is empty and never evaluated.
    """

    priority = 1

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        model = get_view_model(auto_schema.view)
        if not model:
            return []
        filterset_class = self.target.get_filterset_class(auto_schema.view,
                                                          model._base_manager.none())
        if not filterset_class:
            return []
        result = []
        with add_trace_message(filterset_class):
            for field_name, filter_field in filterset_class.base_filters.items():
                result += self.resolve_filter_field(auto_schema, model, filterset_class,
                                                    field_name, filter_field)
        return result


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and, for clients that want fewer or more rows, ``?page_size=`` (≤ 200)."""

    page_size_query_param = "page_size"
    max_page_size = 200


class TenantViewSet(TenantModelViewMixin, viewsets.GenericViewSet):
    permission_classes = [TenantActionPermissions]
    pagination_class = PageNumberPagination
    # Opt-in per viewset: an undeclared ordering would accept any serializer field.
    filter_backends = []

    def parsed(self, serializer_class, *, partial=False) -> dict:
        """The request's input; handlers look their object up first, so a foreign id is 404."""
        serializer = serializer_class(data=self.request.data, partial=partial,
                                      context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def respond(self, instance, status_code=status.HTTP_201_CREATED) -> Response:
        return Response(self.get_serializer(instance).data, status=status_code)
