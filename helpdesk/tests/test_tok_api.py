"""The TOK API: topics and scripts, interactions (same service), recordings."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from core.tenancy import tenant_context
from helpdesk.models import Interaction, Topic
from helpdesk.services import tok as services


def test_topics_tree_create_and_refusals(tok_tree, api_client):
    listed = api_client.get("/api/v1/tok-topics/").json()["results"]
    assert [t["name"] for t in listed] == ["Awaria", "Brak internetu", "Po burzy", "Sprzedaż"]
    created = api_client.post("/api/v1/tok-topics/", {
        "name": "Faktura", "parent": tok_tree["sales"].pk, "script": "<p>a</p><script>b</script>"},
        format="json")
    assert created.status_code == 201 and created.json()["level"] == 2
    refused = api_client.post("/api/v1/tok-topics/", {"name": "X",
                                                      "parent": tok_tree["storm"].pk},
                              format="json")
    assert refused.status_code == 400 and "parent" in str(refused.json())
    scripts = api_client.get(f"/api/v1/tok-topics/{created.json()['id']}/scripts/").json()
    assert scripts["versions"][0]["body"] == "<p>a</p>"


def test_scripts_add_a_version_only_when_changed(tok_tree, api_client):
    url = f"/api/v1/tok-topics/{tok_tree['no_net'].pk}/scripts/"
    same = api_client.post(url, {"body": "<p>Zapytaj o <b>diody</b> routera.</p>"},
                           format="json")
    assert same.status_code == 200 and same.json()["version"] == 1
    new = api_client.post(url, {"body": "<p>v2</p>"}, format="json")
    assert new.status_code == 201 and new.json()["version"] == 2


def test_retire_rename_and_reactivate(tok_tree, api_client):
    pk = tok_tree["failure"].pk
    assert api_client.post(f"/api/v1/tok-topics/{pk}/retire/").json()["is_active"] is False
    assert not Topic.objects.get(pk=tok_tree["storm"].pk).is_active
    assert api_client.post(f"/api/v1/tok-topics/{pk}/reactivate/").json()["is_active"]
    renamed = api_client.patch(f"/api/v1/tok-topics/{pk}/", {"name": "Usterka"},
                               format="json")
    assert renamed.json()["name"] == "Usterka"


def test_another_tenants_topic_is_404_or_400(tok_tree, other_api_client, api_client,
                                            other_tenant, other_staff, customer):
    pk = tok_tree["sales"].pk
    assert other_api_client.get(f"/api/v1/tok-topics/{pk}/").status_code == 404
    assert other_api_client.post(f"/api/v1/tok-topics/{pk}/retire/").status_code == 404
    response = other_api_client.post("/api/v1/interactions/", {
        "topic": pk, "text": "x", "number": "600"}, format="json")
    assert response.status_code == 400 and "topic" in response.json()["errors"]
    with tenant_context(other_tenant):
        foreign = services.topic_create(actor=other_staff, name="Obcy")
    response = api_client.post("/api/v1/interactions/", {
        "topic": foreign.pk, "customer": customer.pk, "text": "x"}, format="json")
    assert response.status_code == 400


def test_interaction_create_list_and_attach(tok_tree, api_client, customer):
    now = timezone.now()
    created = api_client.post("/api/v1/interactions/", {
        "topic": tok_tree["storm"].pk, "customer": customer.pk, "text": "Po burzy",
        "call_arrived_at": (now - datetime.timedelta(minutes=5)).isoformat(),
        "call_answered_at": (now - datetime.timedelta(minutes=4)).isoformat(),
        "call_ended_at": (now - datetime.timedelta(minutes=1)).isoformat()}, format="json")
    assert created.status_code == 201
    assert created.json()["interaction"]["duration_seconds"] == 180
    assert created.json()["case"] is None
    refused = api_client.post("/api/v1/interactions/", {
        "topic": tok_tree["storm"].pk, "text": "x",
        "call_arrived_at": now.isoformat(),
        "call_answered_at": (now - datetime.timedelta(minutes=1)).isoformat(),
        "caller_name": "A"}, format="json")
    assert refused.status_code == 400 and "call_answered_at" in refused.json()["errors"]
    zero = api_client.post("/api/v1/interactions/", {
        "topic": tok_tree["sales"].pk, "text": "?", "number": "600100200"}, format="json")
    assert zero.json()["interaction"]["is_zero_client"]
    listed = api_client.get("/api/v1/interactions/", {"topic": tok_tree["failure"].pk}).json()
    assert [r["text"] for r in listed["results"]] == ["Po burzy"] and not listed["has_next"]
    zero_id = zero.json()["interaction"]["id"]
    attached = api_client.post(f"/api/v1/interactions/{zero_id}/attach/",
                               {"customer": customer.pk}, format="json")
    assert attached.status_code == 200 and attached.json()["customer"] == customer.pk
    again = api_client.post(f"/api/v1/interactions/{zero_id}/attach/",
                            {"customer": customer.pk}, format="json")
    assert again.status_code == 400


def test_interaction_list_queries(tok_tree, api_client, customer, staff,
                                  django_assert_num_queries):
    with tenant_context(customer.tenant):
        for _ in range(3):
            services.interaction_create(actor=staff, topic=tok_tree["storm"], text="x",
                                        customer=customer)
    api_client.get("/api/v1/interactions/")
    # Queries: the token, the membership, the token's last use, the role, the page with
    # its joins, the reasons.
    with django_assert_num_queries(6):
        assert len(api_client.get("/api/v1/interactions/").json()["results"]) == 3


def test_recordings_list_with_signed_links(tok_tree, api_client, other_api_client, customer,
                                           staff):
    with tenant_context(customer.tenant):
        interaction, _ = services.interaction_create(actor=staff, topic=tok_tree["storm"],
                                                     text="x", customer=customer)
        services.call_recording_add(customer=customer, interaction=interaction,
                                    started_at=timezone.now(), number="601",
                                    duration_seconds=10,
                                    file=ContentFile(b"RIFF", name="x.wav"))
    rows = api_client.get("/api/v1/call-recordings/", {"customer": customer.pk}).json()
    assert rows["results"][0]["play_url"].startswith("http://testserver/helpdesk/tok/")
    assert other_api_client.get("/api/v1/call-recordings/",
                                {"customer": customer.pk}).status_code == 400
    assert api_client.get("/api/v1/call-recordings/").status_code == 400


def test_nothing_is_saved_on_a_refused_create(tok_tree, api_client):
    api_client.post("/api/v1/interactions/", {"topic": tok_tree["storm"].pk, "text": "x"},
                    format="json")
    assert not Interaction.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/tok-topics/", "/api/v1/interactions/"])
def test_the_api_needs_a_token(path, client, tok_tree):
    assert client.get(path).status_code in (401, 403)
