"""OpenAPI: the authentication schemes (loaded by drf-spectacular) and the operations' error
answers (``AutoSchema``, the project's ``DEFAULT_SCHEMA_CLASS``)."""

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from rest_framework import serializers


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "core.authentication.TenantTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Token <key>`; a key is bound to one tenant."}


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "core.authentication.TenantSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


# --------------------------------------------------------------------------- operations

_ERROR_DESCRIPTIONS = {
    "400": "Refused: the input (`errors` holds the messages by field) or the state of the "
           "object does not allow it.",
    "401": "No credentials, or a token that is unknown, revoked or of a user who left the "
           "tenant.",
    "403": "The role in the token's tenant does not allow this.",
    "404": "No such object in the token's tenant (another tenant's id is a 404), or a page "
           "past the last one.",
    "409": "A concurrent change took a unique value first; reload and try again.",
    "411": "A body sent without its length (chunked): state it in Content-Length.",
    "413": "The body is above the limit of this operation.",
    "415": "The body's content type is not one this operation reads.",
    "429": "Too many requests; `Retry-After` says when to try again.",
}
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class AutoSchema(BaseAutoSchema):
    """drf-spectacular's schema plus the error answers each operation can give.

    Every error is the one ``core.api.ErrorSerializer`` shape; an operation documents
    the statuses that can really happen to it: 401 and 403 always (every route wants a
    token and a role), 400 for writes (input or the object's state breaks a rule) and
    reads with query parameters, 404 where
    the path names an object or the list pages, 409 for writes (a unique value taken by
    a concurrent request), 411, 413 and 415 where a body is read, 429 where a throttle is set.
    Statuses the view documents itself (``extend_schema(responses=…)``) are kept.
    """

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        parameters = operation.get("parameters", [])
        codes = ["401", "403"]
        # A write is refused with a 400 when the input or the object's state breaks a rule.
        if self.method in _WRITES or any(p["in"] == "query" for p in parameters):
            codes.append("400")
        if any(p["in"] in ("path", "query") and p["name"] in ("id", "pk", "page")
               or p["in"] == "path" for p in parameters):
            codes.append("404")
        if self.method in _WRITES:
            codes.append("409")
        if "requestBody" in operation:
            codes += ["411", "413", "415"]
        if self.view.get_throttles():
            codes.append("429")
        # Imported here: DRF resolves DEFAULT_SCHEMA_CLASS (this module) while core.api loads.
        from .api import ErrorSerializer

        error = self.resolve_serializer(ErrorSerializer, "response").ref
        responses = operation["responses"]
        for code in sorted(codes):
            responses.setdefault(code, {"description": _ERROR_DESCRIPTIONS[code]})
        for code, response in responses.items():
            # Documented by the view with a description only: the body is still the one shape.
            if code[0] in "45" and "content" not in response:
                response["content"] = {"application/json": {"schema": error}}
        return operation

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        # DRF drops ``allow_blank`` from read-only model fields, but a choice left blank
        # (no ID document type, no reload yet) is still answered as "".
        if (isinstance(field, serializers.ChoiceField) and field.read_only
                and not field.allow_blank and _blank_in_model(field)):
            field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)


def _blank_in_model(field) -> bool:
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source:
        return False
    try:
        return model._meta.get_field(field.source).blank
    except FieldDoesNotExist:
        return False


class OneObjectSchema(AutoSchema):
    """The collection route of a one-per-customer resource answers one object, not a
    list (drf-spectacular assumes a list for the ``list`` action)."""

    def _is_list_view(self, serializer=None) -> bool:
        return False
