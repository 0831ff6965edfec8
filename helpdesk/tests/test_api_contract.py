"""Answers of the helpdesk API that the fuzzing (tests/test_schemathesis.py) found out of
their documented shape: each answers what /api/schema/ says."""

from helpdesk.services import tok as tok_services


def test_holidays_year_out_of_range_is_a_400(api_client, tenant):
    url = "/api/v1/helpdesk-holidays/"

    for year in (1745552900888, 1999, 2101, -5):
        response = api_client.get(url, {"year": year})
        assert response.status_code == 400, (year, response.content)
        assert "year" in response.json()["errors"]
    assert api_client.get(url, {"year": 2025}).status_code == 200


def test_business_hours_are_documented_as_one_object(api_client, tenant):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    documented = schema["paths"]["/api/v1/helpdesk-business-hours/"]["get"]["responses"]
    body = documented["200"]["content"]["application/json"]["schema"]

    assert body == {"$ref": "#/components/schemas/BusinessHours"}
    assert set(api_client.get("/api/v1/helpdesk-business-hours/").json()) == {
        "configured", "days"}


def test_case_contact_email_is_documented_as_text_that_may_be_empty(api_client, tenant):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    email = schema["components"]["schemas"]["Case"]["properties"]["contact_email"]

    assert email["type"] == "string" and "format" not in email


def test_empty_script_of_a_topic_without_one_is_a_204(api_client, staff, in_tenant):
    topic = tok_services.topic_create(actor=staff, name="Bez skryptu")
    url = f"/api/v1/tok-topics/{topic.pk}/scripts/"

    assert api_client.post(url, {"body": ""}, format="json").status_code == 204
    assert api_client.get(url).json()["versions"] == []
    added = api_client.post(url, {"body": "<p>a</p>"}, format="json")
    assert added.status_code == 201 and added.json()["version"] == 1
    same = api_client.post(url, {"body": "<p>a</p>"}, format="json")
    assert same.status_code == 200 and same.json()["version"] == 1
