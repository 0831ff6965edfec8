"""The tenant-wide interaction list (filters, export, queries), the card's TOK section and
the recordings' signed links."""

import datetime
import io
from unittest import mock

import openpyxl
import pytest
from django.core import signing
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from conftest import make_staff
from core.tenancy import tenant_context
from helpdesk.selectors import tok as selectors
from helpdesk.services import tok as services


@pytest.fixture
def calls(tok_tree, staff, customer, tenant):
    """Four conversations on different days and topics, one of them a zero client."""
    other_agent = make_staff(tenant, "olga")
    base = timezone.now() - datetime.timedelta(days=10)
    made = {}
    for key, topic, days, who, extra in (
            ("storm", "storm", 0, staff, {"customer": customer}),
            ("no_net", "no_net", 2, staff, {"customer": customer, "channel": "email"}),
            ("sales", "sales", 4, other_agent, {"customer": customer}),
            ("zero", "sales", 6, staff, {"caller_name": "=HYPERLINK(\"x\")",
                                         "number": "600100200"})):
        made[key], _ = services.interaction_create(
            actor=who, topic=tok_tree[topic], text=f"rozmowa {key}",
            now=base + datetime.timedelta(days=days), **extra)
    made["agent"] = other_agent
    made["base"] = base
    return made


def _texts(page):
    return [row.text for row in page.rows]


def test_topic_filter_takes_the_subtree(calls, tok_tree):
    page = selectors.interaction_page(selectors.InteractionFilter(topic=tok_tree["failure"]))
    assert _texts(page) == ["rozmowa no_net", "rozmowa storm"]
    assert [row.reason for row in page.rows] == ["Awaria", "Awaria"]


def test_filters_by_period_channel_agent_and_zero(calls):
    day = timezone.localdate(calls["base"])
    F = selectors.InteractionFilter
    assert _texts(selectors.interaction_page(F(date_from=day + datetime.timedelta(days=1),
                                               date_to=day + datetime.timedelta(days=4)))) \
        == ["rozmowa sales", "rozmowa no_net"]
    assert _texts(selectors.interaction_page(F(channel="email"))) == ["rozmowa no_net"]
    assert _texts(selectors.interaction_page(F(agent_id=calls["agent"].pk))) == \
        ["rozmowa sales"]
    assert _texts(selectors.interaction_page(F(zero_only=True))) == ["rozmowa zero"]


def test_paging_without_counting(calls):
    first = selectors.interaction_page(page=1, per_page=3)
    second = selectors.interaction_page(page=2, per_page=3)
    assert first.has_next and not second.has_next
    assert _texts(first) + _texts(second) == \
        ["rozmowa zero", "rozmowa sales", "rozmowa no_net", "rozmowa storm"]


def test_list_page_queries(calls, tok_tree, staff_client, django_assert_num_queries):
    url = reverse("helpdesk:interaction_list")
    # Queries: session, user, membership with tenant and role (permissions), the form's topic
    # tree, its agents and its queues, the topic's subtree, the page with
    # customer/topic/agent/queue joined, the reasons (level-1 names).
    staff_client.get(url, {"topic": tok_tree["failure"].pk})  # warm caches
    with django_assert_num_queries(9):
        response = staff_client.get(url, {"topic": tok_tree["failure"].pk})
    text = response.content.decode()
    assert "Brak internetu" in text and "Jan Kowalski" in text


def test_list_query_count_does_not_grow_with_rows(calls, tok_tree, staff, customer,
                                                  django_assert_num_queries):
    with tenant_context(customer.tenant):
        with django_assert_num_queries(2):  # the page, the reasons
            selectors.interaction_page()
        for _ in range(5):
            services.interaction_create(actor=staff, topic=tok_tree["storm"], text="more",
                                        customer=customer)
        with django_assert_num_queries(2):
            selectors.interaction_page()


def test_bad_filters_are_a_400(calls, staff_client):
    response = staff_client.get(reverse("helpdesk:interaction_list"),
                                {"date_from": "2026-03-10", "date_to": "2026-03-01"})
    assert response.status_code == 400
    assert "before its start" in response.content.decode()
    assert staff_client.get(reverse("helpdesk:interaction_list"),
                            {"date_from": "9999-01-01"}).status_code == 400


def test_csv_export_has_the_filtered_rows_and_defuses_formulas(calls, tok_tree, staff_client):
    response = staff_client.get(reverse("helpdesk:interaction_export"),
                                {"topic": tok_tree["sales"].pk, "format": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("Date;Direction;Channel")
    assert len(lines) == 3
    assert "'=HYPERLINK" in body and "Sprzedaż" in body


def test_xlsx_export(calls, staff_client):
    response = staff_client.get(reverse("helpdesk:interaction_export"),
                                {"zero": "on", "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][0] == "Date" and len(rows) == 2
    assert rows[1][5] == "=HYPERLINK(\"x\")"  # text, not a formula
    assert sheet.cell(2, 6).data_type == "s"


def test_xlsx_export_is_capped(calls, staff_client):
    with mock.patch.object(selectors, "XLSX_MAX_ROWS", 2):
        response = staff_client.get(reverse("helpdesk:interaction_export"),
                                    {"format": "xlsx"})
    assert openpyxl.load_workbook(io.BytesIO(response.content)).active.max_row == 3


# --------------------------------------------------------------------------- the card

def _section(client, customer, **params):
    return client.get(reverse("customers:section", kwargs={"customer_id": customer.pk,
                                                            "key": "tok"}), params)


def test_card_section_lists_the_customers_conversations(calls, staff_client, customer,
                                                        tok_tree):
    text = _section(staff_client, customer).content.decode()
    assert text.index("rozmowa sales") < text.index("rozmowa storm")
    assert "rozmowa zero" not in text
    filtered = _section(staff_client, customer, **{"tok-topic": tok_tree["no_net"].pk}) \
        .content.decode()
    assert "rozmowa storm" in filtered and "rozmowa sales" not in filtered


def test_card_section_period_filter(calls, staff_client, customer):
    day = timezone.localdate(calls["base"]) + datetime.timedelta(days=3)
    text = _section(staff_client, customer, **{"tok-date_from": day.isoformat()}) \
        .content.decode()
    assert "rozmowa sales" in text and "rozmowa storm" not in text


def test_an_attached_zero_client_shows_on_the_card(calls, staff, staff_client, customer):
    services.interaction_attach(actor=staff, interaction=calls["zero"], customer=customer)
    assert "rozmowa zero" in _section(staff_client, customer).content.decode()


# --------------------------------------------------------------------------- recordings

@pytest.fixture
def recording(calls, customer):
    return services.call_recording_add(
        customer=customer, interaction=calls["storm"], started_at=calls["base"],
        number="601000111", duration_seconds=65, file=ContentFile(b"RIFFdata", name="a.wav"))


def test_the_card_plays_a_recording_through_a_signed_link(recording, staff_client, customer):
    text = _section(staff_client, customer).content.decode()
    assert "<audio" in text
    url = selectors.recording_play_url(recording)
    assert url.replace("&", "&amp;") in text
    response = staff_client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"RIFFdata"


def test_an_expired_link_is_refused(recording, staff_client):
    url = selectors.recording_play_url(recording)
    later = timezone.now() + datetime.timedelta(minutes=11)
    with mock.patch("time.time", return_value=later.timestamp()):
        assert staff_client.get(url).status_code == 403


def test_a_forged_link_is_refused(recording, staff_client):
    forged = signing.TimestampSigner(salt="something.else").sign(
        f"{recording.tenant_id}.{recording.pk}")
    url = reverse("helpdesk:recording_play")
    assert staff_client.get(url, {"t": forged}).status_code == 403
    token = selectors.recording_token(recording)
    assert staff_client.get(url, {"t": token[:-2] + "xx"}).status_code == 403
    assert staff_client.get(url).status_code == 404


def test_another_tenant_never_plays_the_recording(recording, other_staff, client):
    client.force_login(other_staff)
    assert client.get(selectors.recording_play_url(recording)).status_code == 404
