"""The card's "Historia połączeń telefonicznych": the customer's calls newest first, what
priced each, a player of its recordings (a fresh signed link per row, for users who may
listen), paged and filtered by phone and month, at a fixed number of queries."""

import datetime
import re
from decimal import Decimal
from html import unescape

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import ActionLog
from voip import services
from voip.models import BillingGroup, Call
from voip.recordings import recording_register
from voip.views_calls import calls_context

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)


@pytest.fixture
def root(tmp_path, settings):
    settings.VOIP_RECORDINGS_ROOT = tmp_path / "nagrania"
    return settings.VOIP_RECORDINGS_ROOT


@pytest.fixture
def phones(numbers_range, staff, customer):
    BillingGroup.objects.create(name="Komórkowe", code="mobile")
    return [services.phone_create(actor=staff, customer=customer,
                                  numbers_range=numbers_range)[0] for _i in range(2)]


def _moment(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _call(phone, unique_id, started_at, *, customer=None, **kw):
    values = {"caller": str(phone.number.number) if phone else "48223000099",
              "destination": "48501234567", "seconds": 61, "billed_seconds": 120,
              "free_seconds": 30, "amount": Decimal("0.50"), "reason": "priced",
              "priced_by": {"prefix": "4850", "group": "mobile", "price_per_minute": "0.3000",
                            "increments": "30/6", "connection_fee": "0.0500"}, **kw}
    return Call.objects.create(phone=phone, customer=customer or phone.customer,
                               unique_id=unique_id, started_at=started_at,
                               period=timezone.localtime(started_at).date().replace(day=1),
                               **values)


def _record(root, tenant, unique_id):
    relative = f"abonent-{tenant.pk}/2026/03/02/{unique_id}.wav"
    (root / relative).parent.mkdir(parents=True, exist_ok=True)
    (root / relative).write_bytes(WAV)
    return recording_register(unique_id=unique_id, path=relative, recorded_at=timezone.now())


def _section(client, customer, **params):
    url = reverse("customers:section", kwargs={"customer_id": customer.pk, "key": "calls"})
    response = client.get(url, params, headers=HTMX)
    assert response.status_code == 200
    return response.content.decode()


def _table(client, customer, **params):
    url = reverse("voip:calls", kwargs={"customer_id": customer.pk})
    response = client.get(url, params, headers=HTMX)
    assert response.status_code == 200
    return response.content.decode()


def _rows(html) -> list[int]:
    return [int(pk) for pk in re.findall(r'id="call-(\d+)"', html)]


def test_the_section_lists_calls_newest_first_explained_with_a_player(
        staff_client, staff, tenant, root, phones, customer, other_customer):
    old = _call(phones[0], "1733390000.1", _moment(datetime.date(2026, 3, 1)),
                reason="free_minutes", amount=Decimal("0.00"))
    new = _call(phones[1], "1733390000.2", _moment(datetime.date(2026, 3, 2)))
    # The phone was removed since: the call stays the customer's.
    gone = _call(None, "1733390000.3", _moment(datetime.date(2026, 2, 1)), customer=customer,
                 reason="no_rule", priced_by={})
    linked = _record(root, tenant, "1733390000.2")
    _record(root, tenant, "1733390000.1")  # registered, then its call unlinked
    type(linked).objects.filter(unique_id="1733390000.1").update(call=None)

    html = _section(staff_client, customer)

    assert _rows(html) == [new.pk, old.pk, gone.pk]
    row = html.split(f'id="call-{new.pk}"')[1].split("</tr>")[0]
    assert "48501234567" in row and "61 s / 120 s" in row and "Komórkowe" in row
    assert "0,50" in row or "0.50" in row
    assert 'explain-prefix">4850<' in row and "30/6" in row and "0.0500" in row
    assert 'explain-free">30<' in row
    assert "free minutes" in html and "no price rule" in html and "+48223000099" not in html
    assert "48223000099" in html  # the removed phone's caller
    links = [unescape(src) for src in re.findall(
        r'<audio controls preload="none" src="([^"]+)"', html)]
    assert len(links) == 2  # the unlinked recording found by its call's unique id
    assert links[0].startswith(f"/voip/recordings/{linked.pk}/play/?s=")
    played = staff_client.get(links[0])
    assert played.status_code == 200 and b"".join(played.streaming_content) == WAV
    entry = ActionLog.objects.get(kind="recording.play")
    assert entry.customer == customer and entry.params["call"] == "1733390000.2"


def test_the_card_opens_at_the_call_history_by_its_anchor(staff_client, phones, customer):
    _call(phones[0], "1733390000.1", timezone.now())
    url = reverse("customers:card", kwargs={"customer_id": customer.pk})
    html = staff_client.get(url + "?sekcja=historia-polaczen").content.decode()
    assert 'id="section-calls"' in html and 'id="call-' in html


def test_calls_page_and_filter_by_phone_and_month(staff_client, phones, customer):
    march, april = datetime.date(2026, 3, 1), datetime.date(2026, 4, 1)
    made = [_call(phones[n % 2], f"c.{n}",
                  _moment(march if n < 28 else april) + datetime.timedelta(minutes=n))
            for n in range(30)]
    newest_first = [c.pk for c in sorted(made, key=lambda c: c.started_at, reverse=True)]

    first = _section(staff_client, customer)
    assert _rows(first) == newest_first[:25] and "calls-older" in first
    assert "calls-newer" not in first
    second = _table(staff_client, customer, **{"c-page": "2"})
    assert _rows(second) == newest_first[25:] and "calls-older" not in second
    assert "calls-newer" in second

    one_phone = _table(staff_client, customer, **{"c-phone": phones[1].pk})
    assert _rows(one_phone) == [pk for pk in newest_first if pk in
                                {c.pk for c in made if c.phone_id == phones[1].pk}]
    april_only = _table(staff_client, customer, **{"c-month": "2026-04"})
    assert _rows(april_only) == newest_first[:2]
    both = _table(staff_client, customer, **{"c-month": "2026-04", "c-phone": phones[0].pk})
    assert _rows(both) == [made[28].pk]
    # The filters are kept in the pages' links.
    march_only = _table(staff_client, customer, **{"c-month": "2026-03"})
    assert _rows(march_only) == newest_first[2:27]
    assert "c-month=2026-03&amp;c-page=2" in march_only
    # Nonsense is no filter: the first page of everything.
    odd = _table(staff_client, customer, **{"c-page": "x", "c-month": "2026-13",
                                            "c-phone": "999999"})
    assert _rows(odd) == newest_first[:25]
    assert _rows(_table(staff_client, customer, **{"c-page": "9"})) == []


def test_another_customers_phone_is_no_filter_and_their_calls_are_not_shown(
        staff_client, staff, phones, customer, numbers_range):
    from customers.services import customer_create

    neighbour = customer_create(actor=staff, first_name="Ewa", last_name="Sąsiad",
                                status="connected")
    their_phone = services.phone_create(actor=staff, customer=neighbour,
                                        numbers_range=numbers_range)[0]
    theirs = _call(their_phone, "obce.1", timezone.now())
    mine = _call(phones[0], "moje.1", timezone.now() - datetime.timedelta(hours=1))
    assert _rows(_table(staff_client, customer, **{"c-phone": their_phone.pk})) == [mine.pk]
    assert theirs.pk not in _rows(_section(staff_client, customer))


def test_the_calls_url_without_htmx_opens_the_card_at_the_section(staff_client, customer):
    url = reverse("voip:calls", kwargs={"customer_id": customer.pk})
    response = staff_client.get(url, {"c-page": "2", "other": "x"})
    assert response.status_code == 302
    assert response["Location"] == (reverse("customers:card", kwargs={"customer_id": customer.pk})
                                    + "?sekcja=historia-polaczen&c-page=2#historia-polaczen")


def test_a_user_who_may_not_listen_gets_no_link(staff, tenant, root, phones, customer):
    _call(phones[0], "1733390000.1", timezone.now())
    _record(root, tenant, "1733390000.1")

    class NoListening:
        pk = staff.pk

        def has_perm(self, perm):
            return perm != "voip.view_recording"

    request = RequestFactory().get("/")
    request.user = NoListening()
    context = calls_context(customer, request)
    [call] = context["calls"].rows
    [(recording, link)] = call.recording_links
    assert recording.unique_id == "1733390000.1" and link is None
    request.user = staff
    [(_recording, link)] = calls_context(customer, request)["calls"].rows[0].recording_links
    assert link.startswith("/voip/recordings/")


def test_another_tenant_sees_neither_the_section_nor_the_table(client, other_staff, phones,
                                                               customer):
    _call(phones[0], "1733390000.1", timezone.now())
    client.force_login(other_staff)
    for url in (reverse("customers:section", kwargs={"customer_id": customer.pk,
                                                     "key": "calls"}),
                reverse("voip:calls", kwargs={"customer_id": customer.pk})):
        assert client.get(url, headers=HTMX).status_code == 404


def test_the_section_costs_the_same_queries_for_one_call_or_many(staff_client, tenant, root,
                                                                 phones, customer):
    def count():
        with CaptureQueriesContext(connection) as queries:
            _section(staff_client, customer)
        return len(queries)

    _call(phones[0], "q.0", timezone.now())
    _record(root, tenant, "q.0")
    count()  # the first request of a test asks once for what is cached then
    # The session, user and tenant; the customer; the phones (the filter); the page of
    # calls with their numbers; the page's recordings; the billing groups' names.
    one = count()
    for n in range(1, 8):
        _call(phones[n % 2], f"q.{n}", timezone.now() - datetime.timedelta(minutes=n))
        _record(root, tenant, f"q.{n}")
    assert count() == one


def test_channels_recordings_cost_the_same_queries_for_2_calls_or_20(staff_client, tenant,
                                                                      root, phones, customer):
    """Each channel a failed Dial (0 s) and the answered call (90 s), keyed with Asterisk's
    sequence; its recording linked, or waiting (found by the channel): the page's
    recordings stay one query, each on its channel's answered call."""
    def channel(n):
        started = timezone.now() - datetime.timedelta(minutes=2 * n)
        _call(phones[n % 2], f"ch.{n}~1", started - datetime.timedelta(seconds=30), seconds=0)
        answered = _call(phones[n % 2], f"ch.{n}~2", started, seconds=90)
        recording = _record(root, tenant, f"ch.{n}")
        if n % 2:
            type(recording).objects.filter(pk=recording.pk).update(call=None)
        return answered

    def shown():
        with CaptureQueriesContext(connection) as queries:
            html = _section(staff_client, customer)
        players = {pk: html.split(f'id="call-{pk}"')[1].split("</tr>")[0].count("<audio ")
                   for pk in _rows(html)}
        return len(queries), {pk for pk, count in players.items() if count == 1}, players

    answered = [channel(0)]
    shown()  # the first request of a test asks once for what is cached then
    two, with_player, players = shown()
    assert len(players) == 2 and with_player == {answered[0].pk}
    answered += [channel(n) for n in range(1, 10)]

    twenty, with_player, players = shown()

    assert twenty == two
    assert len(players) == 20 and sum(players.values()) == 10
    assert with_player == {call.pk for call in answered}
