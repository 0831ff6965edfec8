"""The API's OpenAPI document and its Swagger UI."""

from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema

# Until SPECTACULAR_SETTINGS names the three "kind" enums (ENUM_NAME_OVERRIDES), the
# generator resolves their clash itself and says so; the document is correct either way.


def test_schema_is_valid_openapi_3_with_the_customer_paths(client, db):
    GENERATOR_STATS.reset()
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)  # the OpenAPI 3 JSON schema; raises on an invalid document
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in ("/api/v1/customers/", "/api/v1/customers/{id}/",
                 "/api/v1/customers/{customer_pk}/phones/",
                 "/api/v1/customers/{customer_pk}/scans/{id}/download/",
                 "/api/v1/customers/{customer_pk}/annotations/{id}/pin/",
                 "/api/v1/customers/{customer_pk}/panel/generate-pin/",
                 "/api/v1/customers/{customer_pk}/action-log/",
                 "/api/v1/customer-groups/", "/api/v1/attribute-types/"):
        assert path in paths, path
    list_params = {p["name"] for p in paths["/api/v1/customers/"]["get"]["parameters"]}
    assert {"search", "status", "kind", "group", "page", "ordering"} <= list_params
    phone_params = paths["/api/v1/customers/{customer_pk}/phones/"]["get"]["parameters"]
    assert {"name": "customer_pk", "type": "integer"} in [
        {"name": p["name"], "type": p["schema"]["type"]} for p in phone_params]
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    assert not GENERATOR_STATS._error_cache, list(GENERATOR_STATS._error_cache)
    assert not GENERATOR_STATS._warn_cache, list(GENERATOR_STATS._warn_cache)


def test_swagger_ui_answers(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
