"""A recording belongs to its channel's call whatever key the rating gave the call: the
bare unique id (a Master.csv without the sequence), ``uniqueid~sequence`` (Asterisk's
``cdr`` table) or ``uniqueid~t…`` (a channel's later CDR in such a file) — of several,
the answered one. Never a call of a longer unique id ("1733.4" is not "1733.42~7"), of
one that only looks alike to LIKE ("%", "_"), nor another tenant's."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import ActionLog
from core.tenancy import tenant_context
from voip import asterisk, services
from voip import cdr as cdr_import
from voip.models import Call, Recording
from voip.recordings import (
    recording_register,
    recordings_link,
    recordings_of_calls,
    recordings_scan,
    with_call,
)

from .conftest import BOTH
from .test_cdr import _prices
from .test_cdr_import_safety import _cdr, _file_line, _local_now, _new_columns

pytestmark = [pytest.mark.django_db(databases=BOTH), pytest.mark.usefixtures("asterisk_db")]

API = "/api/v1/voip/recordings/"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(28))


@pytest.fixture
def root(tmp_path, settings):
    settings.VOIP_RECORDINGS_ROOT = tmp_path / "nagrania"
    settings.VOIP_RECORDINGS_ROOT.mkdir()
    return settings.VOIP_RECORDINGS_ROOT


@pytest.fixture
def phone(numbers_range, staff, customer):
    _prices()
    return services.phone_create(actor=staff, customer=customer,
                                 numbers_range=numbers_range)[0]


def _register(root, tenant, unique_id, name=None):
    """The exchange's file of the channel ``unique_id``, registered as the scan does."""
    relative = f"abonent-{tenant.pk}/2026/03/02/{name or unique_id}.wav"
    (root / relative).parent.mkdir(parents=True, exist_ok=True)
    (root / relative).write_bytes(WAV)
    return recording_register(unique_id=unique_id, path=relative, recorded_at=timezone.now())


def _failed_then_answered(phone, unique_id, *, failed_sequence=7, answered_sequence=9):
    """One channel in Asterisk's ``cdr`` table: a Dial that failed (0 s), then the answered
    one (90 s)."""
    end = _local_now() - datetime.timedelta(minutes=5)
    _cdr(phone, unique_id, "48501234567", end - datetime.timedelta(seconds=120), 0,
         sequence=failed_sequence, disposition="NO ANSWER")
    _cdr(phone, unique_id, "223000500", end, 90, sequence=answered_sequence)


def _listed(api_client) -> dict[str, int | None]:
    return {r["unique_id"]: r["call"] for r in api_client.get(API).json()["results"]}


@pytest.mark.parametrize("failed,answered", [(7, 9), (9, 7)])
def test_a_recording_waiting_for_a_sequenced_channel_links_to_its_answered_call(
        root, tenant, phone, failed, answered):
    waiting = _register(root, tenant, "1733390000.5")
    assert waiting.call is None
    _failed_then_answered(phone, "1733390000.5", failed_sequence=failed,
                          answered_sequence=answered)

    result = cdr_import.cdr_import_asterisk(tenant=tenant)

    assert result.rated == 2
    waiting.refresh_from_db()
    assert waiting.call.unique_id == f"1733390000.5~{answered}"
    assert waiting.call.seconds == 90


def test_a_recording_scanned_after_the_import_is_shown_with_the_answered_call(
        root, tenant, phone, api_client, staff_client, staff, customer, monkeypatch):
    _failed_then_answered(phone, "1733390000.6")
    cdr_import.cdr_import_asterisk(tenant=tenant)
    answered = Call.objects.get(unique_id="1733390000.6~9")
    (root / f"abonent-{tenant.pk}/2026/03/02").mkdir(parents=True)
    (root / f"abonent-{tenant.pk}/2026/03/02/1733390000.6.wav").write_bytes(WAV)

    assert len(recordings_scan(min_age_seconds=0).registered) == 1

    assert Recording.objects.get().call == answered
    assert _listed(api_client) == {"1733390000.6": answered.pk}
    # Not linked yet (the rating's link still to come): the API shows the same call …
    Recording.objects.update(call=None)
    assert _listed(api_client) == {"1733390000.6": answered.pk}
    recording = Recording.objects.get()
    assert api_client.get(f"{API}{recording.pk}/").json()["call"] == answered.pk
    # … the call history puts it on the answered call's row only …
    failed = Call.objects.get(unique_id="1733390000.6~7")
    shown = recordings_of_calls(calls=[failed, answered])
    assert list(shown) == [answered.pk] and shown[answered.pk] == [recording]
    # … and its playing is written to the log with that call.
    link = api_client.get(f"{API}{recording.pk}/link/").json()["api_url"]
    assert api_client.get(link).status_code == 200
    entry = ActionLog.objects.get(kind="recording.play")
    assert entry.params["destination"] == "48223000500" and entry.customer == customer


def test_a_longer_unique_id_is_another_channel(root, tenant, phone, api_client):
    waiting = _register(root, tenant, "1733.4")
    _failed_then_answered(phone, "1733.42")
    _failed_then_answered(phone, "1733.40")

    cdr_import.cdr_import_asterisk(tenant=tenant)

    waiting.refresh_from_db()
    assert waiting.call is None
    assert _listed(api_client) == {"1733.4": None}
    assert _register(root, tenant, "1733.4", name="again").call is None
    assert _register(root, tenant, "1733.42").call.unique_id == "1733.42~9"


def test_like_signs_in_a_unique_id_match_only_themselves(root, tenant, phone, api_client):
    code = asterisk.accountcode(tenant.pk, phone.pk)
    when = _local_now() - datetime.timedelta(hours=1)
    early = _register(root, tenant, "a_1", name="early")
    lines = [_new_columns(_file_line(unique_id, "223000500", when, seconds, code=code), seq)
             for unique_id, seconds, seq in [
                 ("ab1", 90, 3),    # "a_1~%" unescaped would take it, and the most seconds
                 ("a_1", 30, 4),
                 ("17993", 90, 5),  # what "17%3~%" would match
                 ("a\\1", 20, 6)]]

    result = cdr_import.calls_rate(tenant=tenant, cdrs=cdr_import.cdr_file_parse(
        "\n".join(lines).encode()))

    assert result.rated == 4
    early.refresh_from_db()
    assert early.call.unique_id == "a_1~4"
    assert _register(root, tenant, "a_1", name="late").call.unique_id == "a_1~4"
    assert _register(root, tenant, "17%3", name="percent").call is None
    assert _register(root, tenant, "a%1", name="a-percent").call is None
    assert _register(root, tenant, "a\\1", name="backslash").call.unique_id == "a\\1~6"
    assert _register(root, tenant, "a\\", name="backslash-only").call is None
    Recording.objects.update(call=None)
    assert _listed(api_client) == {"a_1": Call.objects.get(unique_id="a_1~4").pk,
                                   "17%3": None, "a%1": None,
                                   "a\\1": Call.objects.get(unique_id="a\\1~6").pk,
                                   "a\\": None}


def test_another_tenants_call_of_the_same_unique_id_is_never_linked(
        root, tenant, other_tenant, phone, api_client):
    waiting = _register(root, tenant, "1733390000.7")
    with tenant_context(other_tenant):
        theirs = Call.objects.create(
            unique_id="1733390000.7~9", caller="48223000000", destination="48501234567",
            started_at=timezone.now(), seconds=90, billed_seconds=90, free_seconds=0,
            amount="0.30", reason="priced", period=timezone.localdate().replace(day=1))
        # their import links their recordings only
        assert recordings_link(unique_ids=[theirs.unique_id]) == 0
    # ours names the same key (another CDR of the tenant): not theirs either
    assert recordings_link(unique_ids=["1733390000.7~9"]) == 0

    waiting.refresh_from_db()
    assert waiting.call is None
    assert with_call(Recording.objects.all()).get().linked_call_id is None
    assert _listed(api_client) == {"1733390000.7": None}
    assert _register(root, tenant, "1733390000.7", name="again").call is None


def test_a_file_without_the_sequence_still_links_its_bare_and_later_calls(
        root, tenant, phone):
    code = asterisk.accountcode(tenant.pk, phone.pk)
    first = _local_now() - datetime.timedelta(hours=1)
    bare = _register(root, tenant, "1733390000.8")
    channel = _register(root, tenant, "1733390000.9")
    lines = [_file_line("1733390000.8", "223000500", first, 40, code=code),
             # one channel, two CDRs: the later one keyed "…~t<start>s<seconds>"
             _file_line("1733390000.9", "48501234567", first, 0, code=code),
             _file_line("1733390000.9", "223000500", first + datetime.timedelta(minutes=1),
                        75, code=code)]

    result = cdr_import.calls_rate(tenant=tenant, cdrs=cdr_import.cdr_file_parse(
        "\n".join(lines).encode()))

    assert result.rated == 3
    bare.refresh_from_db(), channel.refresh_from_db()
    assert bare.call.unique_id == "1733390000.8"
    assert channel.call.seconds == 75
    assert channel.call.unique_id.startswith("1733390000.9~t")


def test_linking_costs_one_probe_when_nothing_waits_and_one_update_when_something_does(
        root, tenant, phone):
    keys = [f"1733390001.{n}~{n}" for n in range(50)]
    with CaptureQueriesContext(connection) as idle:
        assert recordings_link(unique_ids=keys) == 0
    assert len(idle) == 1
    _register(root, tenant, "1733390001.3")
    with CaptureQueriesContext(connection) as busy:
        assert recordings_link(unique_ids=keys) == 0  # its call not rated yet
    assert len(busy) == 2


def test_of_calls_answered_alike_the_latest_then_the_last_stored_is_linked(root, tenant,
                                                                           phone):
    now = timezone.now()

    def call(key, seconds, started_at):
        return Call.objects.create(
            phone=phone, customer=phone.customer, unique_id=key, caller="48223000000",
            destination="48501234567", started_at=started_at, seconds=seconds,
            billed_seconds=seconds, free_seconds=0, amount="0.10", reason="priced",
            period=timezone.localdate().replace(day=1))

    _register(root, tenant, "u.1", name="u1")
    _register(root, tenant, "u.2", name="u2")
    call("u.1~1", 30, now)
    latest = call("u.1~2", 30, now + datetime.timedelta(seconds=1))
    call("u.1~3", 30, now - datetime.timedelta(seconds=1))
    call("u.2~1", 30, now)
    last_stored = call("u.2~2", 30, now)

    assert recordings_link(unique_ids=["u.1~1", "u.1~2", "u.1~3", "u.2~2", "u.2~1"]) == 2

    assert Recording.objects.get(unique_id="u.1").call == latest
    assert Recording.objects.get(unique_id="u.2").call == last_stored
    Recording.objects.update(call=None)
    linked = dict(with_call(Recording.objects.all()).values_list("unique_id", "linked_call_id"))
    assert linked == {"u.1": latest.pk, "u.2": last_stored.pk}


# --------------------------------------------------------------------------- the channel

def test_a_call_keeps_its_channel_the_key_up_to_the_first_mark(tenant, phone):
    """``Call.channel`` is written by the database for every shape of key, also by the
    import's COPY (which never names it)."""
    end = _local_now() - datetime.timedelta(minutes=5)
    _cdr(phone, "1733390002.1", "223000500", end, 30, sequence=4)
    _cdr(phone, "1733390002.2", "223000500", end, 30)
    cdr_import.cdr_import_asterisk(tenant=tenant)
    code = asterisk.accountcode(tenant.pk, phone.pk)
    first = _local_now() - datetime.timedelta(hours=1)
    cdr_import.calls_rate(tenant=tenant, cdrs=cdr_import.cdr_file_parse("\n".join([
        _file_line("1733390002.3", "48501234567", first, 0, code=code),
        _file_line("1733390002.3", "223000500", first + datetime.timedelta(minutes=1), 75,
                   code=code)]).encode()))

    channels = dict(Call.objects.values_list("unique_id", "channel"))

    assert len(channels) == 4
    assert channels == {key: cdr_import._bare(key) for key in channels}  # the import's rule
    assert channels["1733390002.1~4"] == "1733390002.1"
    assert channels["1733390002.2"] == "1733390002.2"
    assert sorted(channels.values()).count("1733390002.3") == 2


def test_the_channel_is_indexed_with_the_tenant_in_the_model_and_its_migrations():
    from django.db.migrations.loader import MigrationLoader

    wanted = ("tenant", "channel")
    assert [i.name for i in Call._meta.indexes if tuple(i.fields) == wanted] == [
        "call_channel_idx"]
    loader = MigrationLoader(None, ignore_no_migrations=True)
    state = loader.project_state(loader.graph.leaf_nodes("voip")[0])
    call = state.models["voip", "call"]
    assert [i.name for i in call.options["indexes"] if tuple(i.fields) == wanted] == [
        "call_channel_idx"]
    assert call.fields["channel"].db_persist is True


def _history(client, customer) -> str:
    url = reverse("customers:section", kwargs={"customer_id": customer.pk, "key": "calls"})
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.content.decode()


def _players(html, call) -> int:
    row = html.split(f'id="call-{call.pk}"')[1].split("</tr>")[0]
    return row.count("<audio ")


@pytest.mark.parametrize("when", ["before the import", "after the import", "not linked"])
def test_the_call_history_shows_the_recording_on_the_answered_call_not_the_failed_dial(
        root, tenant, phone, staff_client, customer, when):
    if when == "before the import":
        _register(root, tenant, "1733390003.1")
    _failed_then_answered(phone, "1733390003.1")
    assert cdr_import.cdr_import_asterisk(tenant=tenant).rated == 2
    if when != "before the import":
        _register(root, tenant, "1733390003.1")
    if when == "not linked":
        Recording.objects.update(call=None)
    failed = Call.objects.get(unique_id="1733390003.1~7")
    answered = Call.objects.get(unique_id="1733390003.1~9")
    assert (failed.seconds, answered.seconds) == (0, 90)

    html = _history(staff_client, customer)

    assert _players(html, answered) == 1
    assert _players(html, failed) == 0


def test_a_recording_moves_to_the_answered_call_rated_after_the_failed_dial(
        root, tenant, phone, api_client):
    """The channel's failed Dial rated first (an earlier import, batch or file), its
    answered call later: the recording, linked to the Dial meanwhile, moves to the answer."""
    recording = _register(root, tenant, "1733390000.8")
    end = _local_now() - datetime.timedelta(minutes=5)
    _cdr(phone, "1733390000.8", "48501234567", end - datetime.timedelta(seconds=120), 0,
         sequence=7, disposition="NO ANSWER")
    assert cdr_import.cdr_import_asterisk(tenant=tenant).rated == 1
    recording.refresh_from_db()
    assert recording.call.unique_id == "1733390000.8~7"
    _cdr(phone, "1733390000.8", "223000500", end, 90, sequence=9)
    assert cdr_import.cdr_import_asterisk(tenant=tenant).rated == 1
    recording.refresh_from_db()
    assert (recording.call.unique_id, recording.call.seconds) == ("1733390000.8~9", 90)
    assert _listed(api_client)["1733390000.8"] == recording.call_id
    # rated again (nothing new): the link stays, nothing is written
    assert recordings_link(unique_ids=["1733390000.8~9", "1733390000.8~7"]) == 0
