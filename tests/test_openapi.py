"""The API's OpenAPI document and its Swagger UI."""

import pytest
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


# --------------------------------------------------------------------------- the contract

def _schema(client):
    return client.get("/api/schema/", {"format": "json"}).json()


def test_every_operation_documents_its_errors_in_one_shape(client, db):
    schema = _schema(client)
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail", "code", "errors"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"401", "403"} <= set(responses), (method, path)
            if method in ("post", "put", "patch", "delete"):
                assert {"400", "409"} <= set(responses), (method, path)
            if "requestBody" in operation:
                assert {"413", "415"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            for code, response in responses.items():
                if code.startswith("4"):
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"}, (method, path, code)


# A chart's bars: at most 31 (a month by day), never a growing list.
BOUNDED_ARRAYS = {"/api/v1/radius/logins/{id}/traffic/"}


def test_every_list_pages_with_a_bounded_page_size(client, db):
    schema = _schema(client)
    lists = 0
    for path, operations in schema["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        body = operation["responses"]["200"]["content"]
        json_body = body.get("application/json", {}).get("schema", {})
        assert json_body.get("type") != "array" or path in BOUNDED_ARRAYS, path
        if json_body.get("$ref", "").startswith("#/components/schemas/Paginated"):
            lists += 1
            page_size = next(p for p in operation["parameters"] if p["name"] == "page_size")
            assert page_size["schema"]["maximum"] == 200, path
    assert lists > 25


def test_page_size_above_the_bound_is_answered_with_the_bound(api_client, customer, monkeypatch):
    from core.api_pagination import PageNumberPagination

    monkeypatch.setattr(PageNumberPagination, "max_page_size", 2)
    for number in range(3):
        api_client.post(f"/api/v1/customers/{customer.pk}/phones/",
                        {"number": f"60010020{number}", "kind": "mobile"})

    page = api_client.get(f"/api/v1/customers/{customer.pk}/phones/",
                          {"page_size": 1000}).json()

    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]


def test_a_refused_input_names_each_field_by_its_path(api_client, customer):
    response = api_client.post("/api/v1/radius/logins/", {
        "customer": customer.pk, "attributes": [{"attribute": "Mikrotik-Rate-Limit"}],
    }, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid", "errors": {
        "attributes.0.value": ["This field is required."]}}


def test_a_radius_attribute_without_its_operator_takes_the_default(api_client, customer):
    """It was a KeyError (500) on POST and on PATCH."""
    url = "/api/v1/radius/logins/"
    created = api_client.post(url, {"customer": customer.pk, "attributes": [
        {"attribute": "Mikrotik-Rate-Limit", "value": "10M/20M"}]}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["attributes"] == [
        {"attribute": "Mikrotik-Rate-Limit", "op": ":=", "value": "10M/20M"}]

    changed = api_client.patch(f"{url}{created.json()['id']}/", {"attributes": [
        {"attribute": "Session-Timeout", "value": "3600"}]}, format="json")

    assert changed.status_code == 200, changed.json()
    assert changed.json()["attributes"] == [
        {"attribute": "Session-Timeout", "op": ":=", "value": "3600"}]


def test_an_unknown_api_url_and_another_tenants_id_are_json_404s(api_client, other_api_client,
                                                                  customer):
    for response in (api_client.get("/api/v1/no-such-thing/"),
                     other_api_client.get(f"/api/v1/customers/{customer.pk}/")):
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "Not found.", "code": "not_found", "errors": {}}


def test_a_server_error_under_the_api_is_json(api_client, customer, monkeypatch):
    from customers.api import CustomerViewSet

    def broken(self, request, *args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(CustomerViewSet, "list", broken)
    api_client.raise_request_exception = False

    response = api_client.get("/api/v1/customers/")

    assert response.status_code == 500
    assert response.json() == {"detail": "Server error.", "code": "server_error", "errors": {}}
    assert client_page_stays_html(api_client)


def client_page_stays_html(client) -> bool:
    response = client.get("/no-such-page/")
    return response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_a_unique_value_taken_meanwhile_is_a_409():
    import psycopg
    from django.db import IntegrityError

    from core.api import exception_handler

    error = IntegrityError("duplicate key value violates unique constraint")
    error.__cause__ = psycopg.errors.UniqueViolation()
    response = exception_handler(error, {})

    assert response.status_code == 409
    assert response.data["code"] == "conflict"
    other = IntegrityError("null value in column")
    other.__cause__ = psycopg.errors.NotNullViolation()
    assert exception_handler(other, {}) is None  # a bug: a 500, logged


# --------------------------------------------------------------------------- the docs

@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_assets_are_served_by_the_application(client, db, url):
    page = client.get(url).content.decode()

    assert "/static/drf_spectacular_sidecar/" in page
    assert "cdn.jsdelivr" not in page and "@latest" not in page


def test_docs_want_a_login_or_a_token_unless_public(client, api_client, staff, settings):
    settings.API_DOCS_PUBLIC = False

    assert client.get("/api/schema/").status_code in (401, 403)
    assert client.get("/api/docs/")["Location"].startswith("/login/")
    assert api_client.get("/api/schema/", {"format": "json"}).status_code == 200
    client.force_login(staff)
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/redoc/").status_code == 200
