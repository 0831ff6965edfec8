"""DRF wiring shared by every app.

Every error of the API — a DRF exception, a service's ``ValidationError``, a URL that
routes nowhere under ``/api/``, a 500 — is one JSON shape (``ErrorSerializer``)::

    {"detail": "Invalid input.", "code": "invalid",
     "errors": {"customer": ["This field is required."], "attributes.0.op": ["…"]}}

``detail`` is a sentence for a person, ``code`` a stable word for a program
(``invalid``, ``not_found``, ``permission_denied``, ``not_authenticated``,
``authentication_failed``, ``conflict``, ``throttled``, ``unsupported_media_type``,
``payload_too_large``, ``server_error`` …), ``errors`` the messages of each input field
by its dotted path (``non_field_errors`` for the request as a whole), empty otherwise.
"""

import logging

import psycopg.errors
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.drainage import add_trace_message
from drf_spectacular.plumbing import get_view_model
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from .api_pagination import PageNumberPagination
from .authentication import TenantModelPermissions

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


class Conflict(exceptions.APIException):
    """The request clashes with the current state, e.g. a unique value taken meanwhile."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The request conflicts with the current state of the data; "
                                  "reload it and try again.")
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    """Above a documented bound of an upload, an export or a bulk action."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request is too large.")
    default_code = "payload_too_large"


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer of the API."""

    detail = serializers.CharField(help_text="What went wrong, for a person.")
    code = serializers.CharField(help_text="What went wrong, for a program: a stable word "
                                           "such as invalid, not_found, permission_denied, "
                                           "conflict.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages of each input field by its dotted path (non_field_errors: the "
                  "request as a whole); empty unless the input was refused.")


def _flatten(detail, path: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"field.0.sub": ["message", ...]}``."""
    key = path or api_settings.NON_FIELD_ERRORS_KEY
    if isinstance(detail, dict):
        flat = {}
        for name, value in detail.items():
            name = str(name)
            if path and name == api_settings.NON_FIELD_ERRORS_KEY:
                name = ""
            for sub, messages in _flatten(value, f"{path}.{name}".strip(".") if name
                                          else path).items():
                flat.setdefault(sub, []).extend(messages)
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {key: [str(item) for item in detail]} if detail else {}
        flat = {}
        for index, item in enumerate(detail):
            sub_path = f"{path}.{index}" if path else str(index)
            if not isinstance(item, dict | list):
                sub_path = key
            for sub, messages in _flatten(item, sub_path).items():
                flat.setdefault(sub, []).extend(messages)
        return flat
    return {key: [str(detail)]}


def error_response(description: str) -> OpenApiResponse:
    """An error status an operation documents itself (``extend_schema(responses=…)``);
    ``core.schema.AutoSchema`` adds the usual ones."""
    return OpenApiResponse(ErrorSerializer, description=description)


def error_body(*, detail: str, code: str, errors: dict | None = None) -> dict:
    return {"detail": str(detail), "code": str(code), "errors": errors or {}}


def api_error_response(*, status_code: int, detail: str, code: str) -> JsonResponse:
    """An error answered outside DRF (URL resolution, middleware, a 500) in the API's shape."""
    return JsonResponse(error_body(detail=detail, code=code), status=status_code)


def _body_of(exc: exceptions.APIException) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        whole = errors.get(api_settings.NON_FIELD_ERRORS_KEY, [])
        return error_body(detail=" ".join(whole) or _("Invalid input."), code="invalid",
                          errors=errors)
    if isinstance(exc.detail, dict | list):
        errors = _flatten(exc.detail)
        messages = [m for field in errors.values() for m in field]
        return error_body(detail=messages[0] if messages else exc.default_detail,
                          code=exc.default_code, errors=errors)
    return error_body(detail=exc.detail, code=getattr(exc.detail, "code", None)
                      or exc.default_code)


def _is_unique_violation(exc: IntegrityError) -> bool:
    return isinstance(exc.__cause__, psycopg.errors.UniqueViolation)


def exception_handler(exc, context):
    """Services raise Django's ``ValidationError``; the API answers it as a 400. A unique
    constraint that a concurrent request won is a 409; anything else unexpected is left to
    ``server_error`` (logged, answered as JSON)."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError(exc.messages)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, IntegrityError) and _is_unique_violation(exc):
        logger.warning("Unique constraint answered as 409: %s", exc)
        exc = Conflict()
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = _body_of(exc)
    return response


# --------------------------------------------------------------------------- handlers

def _under_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def bad_request(request, exception):
    if _under_api(request):
        return api_error_response(status_code=400, detail=_("Bad request."), code="bad_request")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _under_api(request):
        return api_error_response(
            status_code=403, detail=str(exception) or _("You do not have permission to "
                                                        "perform this action."),
            code="permission_denied")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _under_api(request):
        return api_error_response(status_code=404, detail=_("Not found."), code="not_found")
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _under_api(request):
        return api_error_response(status_code=500, detail=_("Server error."),
                                  code="server_error")
    return defaults.server_error(request)


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
