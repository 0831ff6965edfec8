"""The TOK topic tree and its scripts: three levels, names unique among siblings, retire
keeps history, script versions, sanitizing."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from conftest import make_staff
from core.models import ActionLog
from core.roles import Role
from helpdesk.models import Topic, TopicScript
from helpdesk.selectors import tok as selectors
from helpdesk.services import tok as services


def test_levels_and_paths_are_set_by_the_service(tok_tree):
    storm = tok_tree["storm"]
    assert (tok_tree["failure"].level, tok_tree["no_net"].level, storm.level) == (1, 2, 3)
    assert storm.path == f"{tok_tree['failure'].pk}/{tok_tree['no_net'].pk}/{storm.pk}/"


def test_a_detail_takes_no_fourth_level(tok_tree, staff):
    with pytest.raises(ValidationError) as e:
        services.topic_create(actor=staff, name="Za głęboko", parent=tok_tree["storm"])
    assert "3 levels" in str(e.value.message_dict["parent"])


def test_names_are_unique_among_siblings_only(tok_tree, staff):
    with pytest.raises(ValidationError) as e:
        services.topic_create(actor=staff, name="brak INTERNETU", parent=tok_tree["failure"])
    assert "already has a topic" in e.value.message_dict["name"][0]
    with pytest.raises(ValidationError):
        services.topic_create(actor=staff, name="awaria")
    # The same name under another parent is fine.
    other = services.topic_create(actor=staff, name="Brak internetu", parent=tok_tree["sales"])
    assert other.level == 2


@pytest.mark.parametrize("name", ["", "   ", "x" * 121])
def test_empty_or_huge_names_are_refused(in_tenant, staff, name):
    with pytest.raises(ValidationError) as e:
        services.topic_create(actor=staff, name=name)
    assert "name" in e.value.message_dict


def test_tricky_names_are_kept_as_typed(in_tenant, staff):
    name = "%{x} \\ ' \" <script>"
    assert services.topic_create(actor=staff, name=name).name == name


def test_retire_takes_the_subtree_and_keeps_history(tok_tree, staff, customer):
    interaction, _case = services.interaction_create(actor=staff, topic=tok_tree["storm"],
                                                     text="po burzy", customer=customer)
    assert services.topic_retire(actor=staff, topic=tok_tree["failure"]) == 3
    retired = Topic.objects.filter(pk__in=[t.pk for t in tok_tree.values()], is_active=False)
    assert {t.name for t in retired} == {"Awaria", "Brak internetu", "Po burzy"}
    assert all(t.retired_at for t in retired)
    interaction.refresh_from_db()
    assert interaction.topic.name == "Po burzy"
    # Not offered any more; the other reason is.
    assert [label.strip() for _pk, label in selectors.topic_choices()] == ["Sprzedaż"]
    with pytest.raises(ValidationError):
        services.topic_create(actor=staff, name="Nowy", parent=tok_tree["failure"])
    with pytest.raises(ValidationError):
        services.interaction_create(actor=staff, topic=Topic.objects.get(pk=tok_tree["storm"].pk),
                                    text="x", customer=customer)


def test_reactivate_needs_an_active_parent(tok_tree, staff):
    services.topic_retire(actor=staff, topic=tok_tree["failure"])
    with pytest.raises(ValidationError, match="Reactivate Awaria first"):
        services.topic_reactivate(actor=staff, topic=tok_tree["no_net"])
    services.topic_reactivate(actor=staff, topic=tok_tree["failure"])
    services.topic_reactivate(actor=staff, topic=tok_tree["no_net"])
    assert Topic.objects.get(pk=tok_tree["no_net"].pk).is_active
    assert not Topic.objects.get(pk=tok_tree["storm"].pk).is_active


def test_move_reorders_siblings(tok_tree, staff):
    services.topic_move(actor=staff, topic=tok_tree["sales"], offset=-1)
    assert [t.name for t in selectors.topic_tree() if t.depth == 0] == ["Sprzedaż", "Awaria"]
    # Past the end: stays.
    services.topic_move(actor=staff, topic=tok_tree["sales"], offset=-1)
    assert [t.name for t in selectors.topic_tree() if t.depth == 0] == ["Sprzedaż", "Awaria"]


def test_rename_is_logged_with_before_and_after(tok_tree, staff):
    services.topic_update(actor=staff, topic=tok_tree["sales"], name="Sprzedaż usług")
    entry = ActionLog.objects.filter(kind="topic.update").get()
    assert entry.changes == {"name": ["Sprzedaż", "Sprzedaż usług"]}


def test_a_changed_script_adds_a_version_and_the_same_text_adds_none(tok_tree, staff):
    topic = tok_tree["no_net"]
    assert services.topic_script_save(actor=staff, topic=topic,
                                      body="<p>Zapytaj o <b>diody</b> routera.</p>") is None
    second = services.topic_script_save(actor=staff, topic=topic, body="<p>Nowy</p>")
    assert second.version == 2
    assert [s.version for s in selectors.topic_script_list(topic)] == [2, 1]
    assert selectors.topic_script_current(topic).body == "<p>Nowy</p>"


@pytest.mark.parametrize("dirty,absent", [
    ("<p>ok</p><script>alert(1)</script>", "alert"),
    ('<img src="x" onerror="alert(1)">', "onerror"),
    ('<a href="javascript:alert(1)">klik</a>', "javascript:"),
    ('<p style="color:red" onclick="x()">a</p>', "onclick"),
    ("<iframe src='https://evil'></iframe>", "iframe"),
])
def test_scripts_are_sanitized(tok_tree, staff, dirty, absent):
    script = services.topic_script_save(actor=staff, topic=tok_tree["sales"],
                                        body="<p>Dzień dobry</p>" + dirty)
    assert absent not in script.body and "Dzień dobry" in script.body


def test_safe_formatting_is_kept(tok_tree, staff):
    body = '<p><strong>a</strong> <a href="https://example.com">b</a></p><ul><li>c</li></ul>'
    script = services.topic_script_save(actor=staff, topic=tok_tree["sales"], body=body)
    assert "<strong>a</strong>" in script.body and "<li>c</li>" in script.body
    assert 'href="https://example.com"' in script.body


def test_a_huge_script_is_refused(tok_tree, staff):
    with pytest.raises(ValidationError):
        services.topic_script_save(actor=staff, topic=tok_tree["sales"], body="x" * 50_001)


# --------------------------------------------------------------------------- pages

def test_tree_page_adds_a_child_and_shows_the_tree(tok_tree, staff_client):
    response = staff_client.post(reverse("helpdesk:topic_tree"),
                                 {"name": "Wolne", "parent": tok_tree["no_net"].pk})
    assert response.status_code == 302
    page = staff_client.get(reverse("helpdesk:topic_tree")).content.decode()
    assert "Wolne" in page and "Po burzy" in page


def test_tree_page_shows_the_refusal(tok_tree, staff_client):
    response = staff_client.post(reverse("helpdesk:topic_tree"),
                                 {"name": "X", "parent": tok_tree["storm"].pk})
    assert response.status_code == 400
    assert "3 levels" in response.content.decode()


def test_only_an_administrator_edits_topics(tok_tree, client, tenant):
    client.force_login(make_staff(tenant, "olga", Role.OPERATOR))
    assert client.get(reverse("helpdesk:topic_tree")).status_code == 403
    assert client.post(reverse("helpdesk:topic_retire",
                               kwargs={"topic_id": tok_tree["sales"].pk})).status_code == 403


def test_script_page_saves_versions(tok_tree, staff_client):
    url = reverse("helpdesk:topic_script_edit", kwargs={"topic_id": tok_tree["sales"].pk})
    staff_client.post(url, {"body": "<p>v1</p><script>x</script>"})
    staff_client.post(url, {"body": "<p>v1</p>"})
    assert list(TopicScript.objects.filter(topic=tok_tree["sales"])
                .values_list("version", "body")) == [(1, "<p>v1</p>")]


def test_retire_and_reactivate_pages(tok_tree, staff_client):
    topic = tok_tree["sales"]
    staff_client.post(reverse("helpdesk:topic_retire", kwargs={"topic_id": topic.pk}))
    assert not Topic.objects.get(pk=topic.pk).is_active
    staff_client.post(reverse("helpdesk:topic_reactivate", kwargs={"topic_id": topic.pk}))
    assert Topic.objects.get(pk=topic.pk).is_active


def test_operator_sees_the_current_script(tok_tree, staff_client):
    response = staff_client.get(reverse("helpdesk:topic_script",
                                        kwargs={"topic_id": tok_tree["no_net"].pk}))
    text = response.content.decode()
    assert "<b>diody</b>" in text
    version = tok_tree["no_net"].scripts.get()
    assert f'value="{version.pk}"' in text  # goes into the form's script_version


def test_other_tenants_topic_is_404(tok_tree, other_staff, client):
    client.force_login(other_staff)
    assert client.get(reverse("helpdesk:topic_script",
                              kwargs={"topic_id": tok_tree["no_net"].pk})).status_code == 404
