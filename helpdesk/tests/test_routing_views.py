"""The routing rules' settings pages and the preview fragment of the TOK form."""

import pytest
from django.urls import reverse
from django.utils import translation

from conftest import make_staff
from core.roles import Role
from helpdesk.models import RoutingRule


def test_list_shows_rules_in_order_with_one_query_for_the_page(
        staff_client, routing_world, routing_rule_make, django_assert_num_queries):
    routing_rule_make(name="Nocna sprzedaż", topic="sales", action="queue_or_case",
                      target_queue="sales", case_type="lead", case_queue="second")
    routing_rule_make(name="Awarie", action="case", case_type="fault", case_queue="second")
    url = reverse("helpdesk:routing_rules")
    staff_client.get(url)
    # 3: session, user, membership with the role; 2: the count and the page of rules (joined).
    with django_assert_num_queries(5):
        response = staff_client.get(url)
    html = response.content.decode()
    assert html.index("Nocna sprzedaż") < html.index("Awarie")
    assert "Lead" in html and "Second line" in html


def test_list_filters_by_state_and_action(staff_client, routing_rule_make, staff):
    from helpdesk.services.routing import routing_rule_deactivate

    routing_rule_make(name="WłączonaReguła", action="handle")
    off = routing_rule_make(name="WyłączonaReguła", action="extension", extension="12")
    routing_rule_deactivate(actor=staff, rule=off)
    html = staff_client.get(reverse("helpdesk:routing_rules"),
                            {"state": "inactive"}).content.decode()
    assert "WyłączonaReguła" in html and "WłączonaReguła" not in html
    html = staff_client.get(reverse("helpdesk:routing_rules"),
                            {"action": "handle"}).content.decode()
    assert "WłączonaReguła" in html and "WyłączonaReguła" not in html
    assert staff_client.get(reverse("helpdesk:routing_rules"),
                            {"action": "<script>", "page": "x"}).status_code == 200


def _post_data(w, **extra):
    data = {"name": "Po godzinach", "customer_kind": "any", "vip": "any", "time": "outside",
            "action": "case", "case_type": w.types["fault"].pk,
            "case_queue": w.queues["second"].pk, "is_active": "on"}
    data.update(extra)
    return data


def test_add_saves_a_valid_rule_and_shows_errors_by_field(staff_client, routing_world):
    url = reverse("helpdesk:routingrule_add")
    assert staff_client.get(url).status_code == 200
    with translation.override("en"):
        response = staff_client.post(url, _post_data(routing_world, case_queue="",
                                                     HTTP_ACCEPT_LANGUAGE="en"))
    assert response.status_code == 400
    assert not RoutingRule.objects.exists()
    response = staff_client.post(url, _post_data(routing_world))
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert (rule.name, rule.action, rule.time) == ("Po godzinach", "case", "outside")


def test_inactive_queue_is_refused_on_the_form(staff_client, routing_world):
    response = staff_client.post(reverse("helpdesk:routingrule_add"), _post_data(
        routing_world, case_queue=routing_world.queues["old"].pk))
    assert response.status_code == 400
    assert "Old queue" in response.content.decode()


def test_edit_move_and_deactivate(staff_client, routing_world, routing_rule_make):
    a = routing_rule_make(name="A", action="handle")
    b = routing_rule_make(name="B", action="handle")
    url = reverse("helpdesk:routingrule_edit", kwargs={"routingrule_id": a.pk})
    assert "A" in staff_client.get(url).content.decode()
    response = staff_client.post(url, {"name": "A2", "customer_kind": "person", "vip": "any",
                                       "time": "any", "action": "extension",
                                       "extension": "77", "is_active": "on"})
    assert response.status_code == 302
    a.refresh_from_db()
    assert (a.name, a.customer_kind, a.extension) == ("A2", "person", "77")
    staff_client.post(reverse("helpdesk:routingrule_move", kwargs={"routingrule_id": b.pk}),
                      {"direction": "up"})
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["B", "A2"]
    staff_client.post(reverse("helpdesk:routingrule_deactivate",
                              kwargs={"routingrule_id": b.pk}))
    b.refresh_from_db()
    assert not b.is_active


def test_operator_sees_rules_but_cannot_change_them(client, tenant, routing_rule_make):
    rule = routing_rule_make(name="A", action="handle")
    client.force_login(make_staff(tenant, "olek", Role.OPERATOR))
    assert client.get(reverse("helpdesk:routing_rules")).status_code == 200
    assert client.get(reverse("helpdesk:routingrule_add")).status_code == 403
    url = reverse("helpdesk:routingrule_edit", kwargs={"routingrule_id": rule.pk})
    assert client.post(url, {"name": "X", "action": "handle"}).status_code == 403
    assert client.post(reverse("helpdesk:routingrule_deactivate",
                               kwargs={"routingrule_id": rule.pk})).status_code == 403


def test_other_tenants_rule_is_404(staff_client, other_tenant, routing_world):
    from core.tenancy import tenant_context
    from helpdesk.services.routing import routing_rule_create

    with tenant_context(other_tenant):
        foreign = RoutingRule.objects.create(name="Obca", action="handle")
    for name in ("routingrule_edit", "routingrule_move", "routingrule_deactivate"):
        url = reverse(f"helpdesk:{name}", kwargs={"routingrule_id": foreign.pk})
        assert staff_client.post(url, {"direction": "up"}).status_code == 404
    assert routing_rule_create  # the service is the path for own rules


def test_preview_shows_the_rule_that_applies_now(staff_client, routing_world,
                                                 routing_rule_make):
    routing_rule_make(name="Sprzedaż VIP", vip="yes", vip_attribute=True,
                      action="extension", extension="500")
    url = reverse("helpdesk:routing_preview")
    html = staff_client.get(url, {"topic": routing_world.topics["fibre"].pk,
                                  "customer": routing_world.callers["vip"].pk}
                            ).content.decode()
    assert "Sprzedaż VIP" in html and "500" in html
    html = staff_client.get(url, {"topic": routing_world.topics["fibre"].pk}).content.decode()
    assert "Sprzedaż VIP" not in html
    assert "routing-preview" in staff_client.get(url).content.decode()  # no topic yet


@pytest.mark.parametrize("param", ["topic", "customer"])
def test_preview_of_another_tenants_topic_or_customer_is_404(staff_client, routing_world,
                                                             other_tenant, param):
    from core.tenancy import tenant_context
    from helpdesk.tests.factories import topic_make

    with tenant_context(other_tenant):
        foreign_topic = topic_make("Obcy")
    params = {"topic": routing_world.topics["fibre"].pk}
    params[param] = foreign_topic.pk if param == "topic" else 99999999
    assert staff_client.get(reverse("helpdesk:routing_preview"), params).status_code == 404
