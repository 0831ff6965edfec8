"""``/api/v1/helpdesk-routing-rules/``: CRUD with the page's checks, order, decide."""

import pytest

from helpdesk.models import RoutingRule

URL = "/api/v1/helpdesk-routing-rules/"


def test_create_validates_like_the_page_and_names_the_field(api_client, routing_world):
    response = api_client.post(URL, {"name": "C", "action": "case",
                                     "case_type": routing_world.types["fault"].pk},
                               format="json")
    assert response.status_code == 400
    assert "case_queue" in response.json()["errors"]
    response = api_client.post(URL, {"name": "C", "action": "case",
                                     "case_type": routing_world.types["fault"].pk,
                                     "case_queue": routing_world.queues["second"].pk,
                                     "time": "outside"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["position"] == 1 and response.json()["time"] == "outside"


def test_list_is_ordered_and_filtered_in_few_queries(api_client, routing_rule_make,
                                                     django_assert_num_queries):
    routing_rule_make(name="a", action="handle")
    routing_rule_make(name="b", action="extension", extension="1")
    api_client.get(URL)
    # 1 token + user + tenant, 2 membership exists, 3 token last_used_at update, 4 role in
    # the tenant (permission check), 5 count for the page, 6 the page of rules.
    with django_assert_num_queries(6):
        response = api_client.get(URL, {"action": "extension"})
    assert [r["name"] for r in response.json()["results"]] == ["b"]
    assert [r["name"] for r in api_client.get(URL).json()["results"]] == ["a", "b"]


def test_update_move_reorder_and_deactivate(api_client, routing_rule_make):
    a = routing_rule_make(name="a", action="handle")
    b = routing_rule_make(name="b", action="handle")
    response = api_client.patch(f"{URL}{a.pk}/", {"action": "extension", "extension": "x1"},
                                format="json")
    assert response.status_code == 400 and "extension" in response.json()["errors"]
    assert api_client.patch(f"{URL}{a.pk}/", {"name": "a2"}, format="json").json()[
        "name"] == "a2"
    assert api_client.post(f"{URL}{b.pk}/move/", {"direction": "up"},
                           format="json").json()["position"] == 1
    response = api_client.post(f"{URL}reorder/", {"rule_ids": [a.pk, b.pk]}, format="json")
    assert [r["name"] for r in response.json()] == ["a2", "b"]
    assert api_client.post(f"{URL}reorder/", {"rule_ids": [a.pk]},
                           format="json").status_code == 400
    assert api_client.post(f"{URL}{a.pk}/deactivate/").json()["is_active"] is False


def test_decide_returns_the_decision_for_a_moment(api_client, routing_world,
                                                  routing_rule_make):
    rule = routing_rule_make(name="Sales", topic="sales", action="queue_or_case",
                             target_queue="sales", case_type="lead", case_queue="second")
    body = {"topic": routing_world.topics["fibre"].pk, "customer": None,
            "at": "2026-11-11T10:00:00+01:00"}
    data = api_client.post(f"{URL}decide/", body, format="json").json()
    assert data["action"] == "case" and data["rule"] == rule.pk
    assert data["window"] == "weekend" and data["case_queue"] == routing_world.queues[
        "second"].pk
    assert "Sales" in data["explanation"]
    body["at"] = "2026-03-02T10:00:00+01:00"
    data = api_client.post(f"{URL}decide/", body, format="json").json()
    assert (data["action"], data["queue"], data["extension"]) == (
        "queue", routing_world.queues["sales"].pk, "204")


def test_other_tenant_sees_nothing(api_client, other_api_client, routing_world,
                                   routing_rule_make):
    rule = routing_rule_make(name="a", action="handle")
    assert other_api_client.get(URL).json()["results"] == []
    for method, path in (("get", f"{URL}{rule.pk}/"), ("patch", f"{URL}{rule.pk}/"),
                         ("post", f"{URL}{rule.pk}/deactivate/")):
        assert getattr(other_api_client, method)(path, {}, format="json").status_code == 404
    response = other_api_client.post(f"{URL}decide/",
                                      {"topic": routing_world.topics["fibre"].pk},
                                      format="json")
    assert response.status_code == 400 and "topic" in response.json()["errors"]
    assert RoutingRule.objects.get().is_active


@pytest.mark.parametrize("field, value", [("target_queue", 99999999), ("topic", "x")])
def test_unknown_ids_are_400(api_client, field, value):
    response = api_client.post(URL, {"name": "n", "action": "queue", field: value},
                               format="json")
    assert response.status_code == 400 and field in response.json()["errors"]
