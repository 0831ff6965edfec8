"""The OpenAPI schema, Swagger UI and ReDoc (assets from drf-spectacular-sidecar, served
with the application's static files). Open while ``API_DOCS_PUBLIC`` (development);
otherwise a staff session or an API token of a tenant is required."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework import permissions


class ApiDocsPermission(permissions.BasePermission):
    """The schema and its UIs: open while ``API_DOCS_PUBLIC`` (development), otherwise a
    staff session or an API token of a tenant."""

    def has_permission(self, request, view):
        if settings.API_DOCS_PUBLIC:
            return True
        return bool(request.user and request.user.is_authenticated
                    and getattr(request._request, "tenant", None) is not None)


class _DocsAccess:
    permission_classes = [ApiDocsPermission]


class _DocsPageAccess(_DocsAccess):
    def permission_denied(self, request, message=None, code=None):
        # A person with a browser is sent to the staff login and back.
        if not request.user or not request.user.is_authenticated:
            raise _LoginRedirect(redirect_to_login(request.get_full_path()))
        super().permission_denied(request, message, code)

    def handle_exception(self, exc):
        if isinstance(exc, _LoginRedirect):
            return exc.response
        return super().handle_exception(exc)


class _LoginRedirect(Exception):
    def __init__(self, response):
        self.response = response


class SchemaView(_DocsAccess, SpectacularAPIView):
    pass


class SwaggerView(_DocsPageAccess, SpectacularSwaggerView):
    pass


class RedocView(_DocsPageAccess, SpectacularRedocView):
    pass
