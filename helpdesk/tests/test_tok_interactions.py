"""Recording a TOK conversation: timings, the zero client, attaching, routing, the form."""

import datetime

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.models import ActionLog
from helpdesk import routing
from helpdesk.forms_tok import card_opened_sign
from helpdesk.models import Interaction, RoutingAction
from helpdesk.services import tok as services

NOW = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=datetime.UTC)


def _at(minutes):
    return NOW + datetime.timedelta(minutes=minutes)


def test_a_call_with_every_timing_gets_its_handling_time(tok_tree, staff, customer):
    interaction, case = services.interaction_create(
        actor=staff, topic=tok_tree["no_net"], text="Nie działa", customer=customer,
        number="601000111", card_opened_at=_at(-10), call_arrived_at=_at(-9),
        call_answered_at=_at(-8), call_ended_at=_at(-3), now=NOW)
    assert case is None
    assert interaction.duration_seconds == 5 * 60
    assert interaction.agent == staff
    assert interaction.routing_action == RoutingAction.HANDLE
    entry = ActionLog.objects.get(kind="interaction.create")
    assert entry.customer_id == customer.pk


def test_without_call_times_the_handling_time_is_card_open_to_save(tok_tree, staff, customer):
    interaction, _ = services.interaction_create(actor=staff, topic=tok_tree["failure"],
                                                 text="", customer=customer,
                                                 card_opened_at=_at(-2), now=NOW)
    assert interaction.duration_seconds == 120
    assert interaction.created_at == NOW


@pytest.mark.parametrize("timings,field", [
    ({"call_arrived_at": _at(-5), "call_answered_at": _at(-6)}, "call_answered_at"),
    ({"call_answered_at": _at(-5), "call_ended_at": _at(-6)}, "call_ended_at"),
    ({"call_ended_at": _at(-6)}, "call_ended_at"),
    ({"call_arrived_at": NOW + datetime.timedelta(days=365 * 30)}, "call_arrived_at"),
    ({"card_opened_at": _at(60)}, "card_opened_at"),
])
def test_timings_out_of_order_or_in_the_future_are_refused(tok_tree, staff, customer, timings,
                                                          field):
    with pytest.raises(ValidationError) as e:
        services.interaction_create(actor=staff, topic=tok_tree["no_net"], text="x",
                                    customer=customer, now=NOW, **timings)
    assert field in e.value.message_dict
    assert not Interaction.objects.exists()


def test_a_call_across_the_dst_change_counts_real_seconds(tok_tree, staff, customer):
    # 2026-03-29 02:00 CET → 03:00 CEST: 01:50 CET to 03:10 CEST is 20 minutes.
    arrived = datetime.datetime(2026, 3, 29, 0, 50, tzinfo=datetime.UTC)
    ended = datetime.datetime(2026, 3, 29, 1, 10, tzinfo=datetime.UTC)
    interaction, _ = services.interaction_create(
        actor=staff, topic=tok_tree["no_net"], text="x", customer=customer,
        call_arrived_at=arrived, call_answered_at=arrived, call_ended_at=ended,
        now=ended + datetime.timedelta(minutes=1))
    assert interaction.duration_seconds == 20 * 60


def test_a_zero_client_needs_a_name_or_a_number(tok_tree, staff):
    with pytest.raises(ValidationError) as e:
        services.interaction_create(actor=staff, topic=tok_tree["sales"], text="?",
                                    caller_name="  ", number="")
    assert "caller_name" in e.value.message_dict
    zero, _ = services.interaction_create(actor=staff, topic=tok_tree["sales"], text="oferta",
                                          number="+48 600 100 200")
    assert zero.is_zero_client


def test_the_script_version_must_belong_to_the_topic(tok_tree, staff, customer):
    script = tok_tree["no_net"].scripts.get()
    with pytest.raises(ValidationError) as e:
        services.interaction_create(actor=staff, topic=tok_tree["sales"], text="x",
                                    customer=customer, script_version=script)
    assert "script_version" in e.value.message_dict
    interaction, _ = services.interaction_create(actor=staff, topic=tok_tree["no_net"],
                                                 text="x", customer=customer,
                                                 script_version=script)
    assert interaction.script == script


def test_attach_shows_the_zero_client_in_the_customers_history(tok_tree, staff, customer):
    zero, _ = services.interaction_create(actor=staff, topic=tok_tree["sales"], text="x",
                                          caller_name="Nieznany")
    services.interaction_attach(actor=staff, interaction=zero, customer=customer)
    zero.refresh_from_db()
    assert zero.customer == customer and zero.attached_by == staff and zero.attached_at
    with pytest.raises(ValidationError, match="already attached"):
        services.interaction_attach(actor=staff, interaction=zero, customer=customer)


def test_routing_decides_and_applies(tok_tree, staff, customer, monkeypatch):
    seen = {}

    def decide(*, topic, customer, at):
        seen["decide"] = (topic, customer, at)
        return routing.Decision(action=RoutingAction.CASE, explanation="test")

    def apply(*, interaction, decision, actor):
        seen["apply"] = (interaction.pk, decision.action)
        return "the case"

    monkeypatch.setattr(routing, "route_decide", decide)
    monkeypatch.setattr(routing, "route_apply", apply)
    interaction, case = services.interaction_create(actor=staff, topic=tok_tree["storm"],
                                                    text="x", customer=customer, now=NOW)
    assert case == "the case"
    assert seen["decide"] == (tok_tree["storm"], customer, NOW)
    assert seen["apply"] == (interaction.pk, RoutingAction.CASE)
    assert Interaction.objects.get(pk=interaction.pk).routing_action == RoutingAction.CASE


def test_saving_an_entry_takes_few_queries(tok_tree, staff, customer, monkeypatch,
                                          django_assert_num_queries):
    """The TOK part's own queries (routing's are the routing part's to count)."""
    monkeypatch.setattr(routing, "route_decide", lambda **kw: routing.Decision())
    monkeypatch.setattr(routing, "route_apply", lambda **kw: None)
    # Queries: savepoint, the insert, the action log, release.
    with django_assert_num_queries(4):
        services.interaction_create(actor=staff, topic=tok_tree["storm"], text="x",
                                    customer=customer)


# --------------------------------------------------------------------------- pages

def test_the_card_form_records_the_conversation(tok_tree, staff_client, customer):
    url = reverse("helpdesk:tok_new", kwargs={"customer_id": customer.pk})
    page = staff_client.get(url).content.decode()
    assert "Brak internetu" in page and 'id="routing-preview"' in page
    opened = timezone.now() - datetime.timedelta(minutes=3)
    response = staff_client.post(url, {
        "topic": tok_tree["no_net"].pk, "text": "Nie działa <script>x</script> %{} \\ '\"",
        "direction": "in", "channel": "phone", "number": "601000111",
        "opened": card_opened_sign(opened),
        "script_version": tok_tree["no_net"].scripts.get().pk})
    assert response.status_code == 302
    interaction = Interaction.objects.get()
    assert interaction.customer == customer
    assert abs((interaction.card_opened_at - opened).total_seconds()) < 1
    assert interaction.script.version == 1
    detail = staff_client.get(response["Location"]).content.decode()
    assert "&lt;script&gt;" in detail and "<script>x" not in detail


def test_a_forged_card_opened_time_is_ignored(tok_tree, staff_client, customer):
    url = reverse("helpdesk:tok_new", kwargs={"customer_id": customer.pk})
    forged = signing.dumps(0.0, salt="another.salt")
    staff_client.post(url, {"topic": tok_tree["no_net"].pk, "text": "x", "direction": "in",
                            "channel": "phone", "opened": forged})
    staff_client.post(url, {"topic": tok_tree["no_net"].pk, "text": "x", "direction": "in",
                            "channel": "phone", "opened": "1700000000"})
    assert list(Interaction.objects.values_list("card_opened_at", flat=True)) == [None, None]


def test_a_retired_topic_is_not_offered_nor_accepted(tok_tree, staff, staff_client, customer):
    services.topic_retire(actor=staff, topic=tok_tree["sales"])
    url = reverse("helpdesk:tok_new", kwargs={"customer_id": customer.pk})
    assert "Sprzedaż" not in staff_client.get(url).content.decode()
    response = staff_client.post(url, {"topic": tok_tree["sales"].pk, "text": "x",
                                       "direction": "in", "channel": "phone"})
    assert response.status_code == 400 and not Interaction.objects.exists()


def test_the_zero_client_form_and_attaching(tok_tree, staff_client, customer):
    response = staff_client.post(reverse("helpdesk:tok_new_zero"), {
        "topic": tok_tree["sales"].pk, "text": "oferta", "direction": "in",
        "channel": "phone", "caller_name": "Adam Nowy", "number": "600100200"})
    zero = Interaction.objects.get()
    assert response["Location"] == reverse("helpdesk:interaction_detail",
                                           kwargs={"interaction_id": zero.pk})
    attach = reverse("helpdesk:interaction_attach", kwargs={"interaction_id": zero.pk})
    found = staff_client.get(attach, {"q": "Kowalski"}).content.decode()
    assert "Jan Kowalski" in found
    staff_client.post(attach, {"customer": customer.pk})
    zero.refresh_from_db()
    assert zero.customer == customer


def test_attaching_to_another_tenants_customer_is_refused(tok_tree, staff, staff_client,
                                                         other_tenant, other_staff):
    from core.tenancy import tenant_context
    from customers.services import customer_create

    with tenant_context(other_tenant):
        foreign = customer_create(actor=other_staff, first_name="Piotr", last_name="Obcy")
    zero, _ = services.interaction_create(actor=staff, topic=tok_tree["sales"], text="x",
                                          number="600")
    response = staff_client.post(reverse("helpdesk:interaction_attach",
                                         kwargs={"interaction_id": zero.pk}),
                                 {"customer": foreign.pk})
    assert response.status_code == 400
    zero.refresh_from_db()
    assert zero.customer is None


def test_the_card_sidebar_offers_the_tok_form(tok_tree, staff_client, customer):
    card = staff_client.get(reverse("customers:card", kwargs={"customer_id": customer.pk}))
    assert reverse("helpdesk:tok_new", kwargs={"customer_id": customer.pk}) in \
        card.content.decode()
    assert "Add a TOK conversation" in card.content.decode()
