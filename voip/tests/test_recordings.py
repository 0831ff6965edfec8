"""Call recordings: registered from the exchange's files (never a file outside the
tenant's directory), linked to their call by its unique id, played only through a signed
link of the user it was made for (each playing in the action log), removed after the
tenant's retention period; and the same in the API."""

import datetime
import os
from decimal import Decimal

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import make_staff
from core.models import ActionLog
from core.services import tenant_setting_set
from core.tenancy import tenant_context
from voip import recordings, services
from voip.models import Call, Recording
from voip.recordings import (
    recording_link,
    recording_register,
    recordings_link,
    recordings_purge,
    recordings_scan,
)

pytestmark = pytest.mark.django_db

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(28))  # 44 bytes


@pytest.fixture
def root(tmp_path, settings):
    settings.VOIP_RECORDINGS_ROOT = tmp_path / "nagrania"
    settings.VOIP_RECORDINGS_ROOT.mkdir()
    return settings.VOIP_RECORDINGS_ROOT


def _dir(tenant) -> str:
    return f"abonent-{tenant.pk}"


def _file(root, relative: str, data: bytes = WAV) -> str:
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return relative


@pytest.fixture
def phone(numbers_range, staff, customer):
    phone, _p = services.phone_create(actor=staff, customer=customer,
                                      numbers_range=numbers_range)
    return phone


def _call(phone, unique_id, **kw):
    values = {"caller": str(phone.number.number), "destination": "48501234567",
              "started_at": timezone.now(), "seconds": 61, "billed_seconds": 120,
              "free_seconds": 0, "amount": Decimal("0.20"), "reason": "priced",
              "period": timezone.localdate().replace(day=1),
              "priced_by": {"prefix": "4850", "group": "mobile"}, **kw}
    return Call.objects.create(phone=phone, customer=phone.customer, unique_id=unique_id,
                               **values)


@pytest.fixture
def recording(root, tenant, phone):
    _call(phone, "1733390000.1")
    path = _file(root, f"{_dir(tenant)}/2026/03/02/1733390000.1.wav")
    return recording_register(unique_id="1733390000.1", path=path,
                              recorded_at=timezone.now())


# --------------------------------------------------------------------------- register

def test_a_file_is_registered_with_its_call_size_and_type(recording, phone):
    assert recording.call.unique_id == "1733390000.1"
    assert recording.size == len(WAV) and recording.content_type == "audio/wav"


def test_a_recording_that_came_before_its_call_is_linked_when_the_call_is_rated(
        root, tenant, phone):
    path = _file(root, f"{_dir(tenant)}/2026/03/02/1733390000.9.mp3")
    early = recording_register(unique_id="1733390000.9", path=path,
                               recorded_at=timezone.now())
    assert early.call is None and early.content_type == "audio/mpeg"
    call = _call(phone, "1733390000.9")
    # Read before the rating linked it: found by the unique id, nothing lost.
    assert recordings.with_call(Recording.objects.all()).get().linked_call_id == call.pk
    assert recordings_link(unique_ids=["1733390000.9", "nieznane"]) == 1
    assert Recording.objects.get().call == call
    assert recordings_link(unique_ids=["1733390000.9"]) == 0  # linked once
    assert recordings_link(unique_ids=[]) == 0


@pytest.mark.parametrize("path", [
    "../x.wav", "/etc/passwd", "abonent-1/../../x.wav", "abonent-{tenant}/2026/../../x.wav",
    "abonent-{tenant}/a\\b.wav", "", "abonent-{other}/2026/03/02/1.wav",
    "abonent-{tenant}/2026/03/02/brak.wav",  # no such file
    "abonent-{tenant}/2026/03/02/link.wav",  # a link pointing out of the directory
    "abonent-{tenant}/2026/03/02/obcy.wav",  # a link into the other tenant's directory
])
def test_a_path_out_of_the_tenants_directory_is_refused(root, in_tenant, tenant, other_tenant,
                                                        path, tmp_path):
    (tmp_path / "outside.wav").write_bytes(WAV)
    foreign = _file(root, f"{_dir(other_tenant)}/2026/03/02/1.wav")
    day = root / _dir(tenant) / "2026/03/02"
    day.mkdir(parents=True)
    (day / "link.wav").symlink_to(tmp_path / "outside.wav")
    (day / "obcy.wav").symlink_to(root / foreign)
    with pytest.raises(ValidationError) as refused:
        recording_register(unique_id="1.1", path=path.format(tenant=tenant.pk,
                                                             other=other_tenant.pk),
                           recorded_at=timezone.now())
    assert "path" in refused.value.message_dict
    assert not Recording.objects.exists()


def test_a_file_registered_twice_is_refused_clearly(recording, root, tenant):
    with pytest.raises(ValidationError) as refused:
        recording_register(unique_id="inny", path=recording.path, recorded_at=timezone.now())
    assert refused.value.message_dict["path"] == ["This file is registered already."]
    # The same file named another way ("./") is the same file.
    with pytest.raises(ValidationError):
        recording_register(unique_id="inny", path=recording.path.replace("/2026", "/./2026"),
                           recorded_at=timezone.now())
    assert Recording.objects.count() == 1


@pytest.mark.parametrize("name,content_type", [
    ("1.txt", None), ("1.wav", "text/html"), ("1.wav", "image/svg+xml")])
def test_only_audio_a_browser_plays_is_registered(root, in_tenant, tenant, name, content_type):
    path = _file(root, f"{_dir(tenant)}/2026/03/02/{name}")
    with pytest.raises(ValidationError):
        recording_register(unique_id="1", path=path, recorded_at=timezone.now(),
                           content_type=content_type)
    assert not Recording.objects.exists()


def test_the_scan_registers_new_files_once(root, tenant, other_tenant, phone, tmp_path):
    call = _call(phone, "1733390000.2")
    base = _dir(tenant)
    _file(root, f"{base}/2026/03/02/1733390000.2.wav")
    _file(root, f"{base}/2026/03/03/pbx1-1733390100.7.ogg")
    _file(root, f"{base}/2026/03/03/notatki.txt")
    _file(root, f"{base}/luzem.wav")
    _file(root, f"{_dir(other_tenant)}/2026/03/02/1733390000.3.wav")
    (tmp_path / "outside.wav").write_bytes(WAV)
    (root / base / "2026/03/03/1733390000.4.wav").symlink_to(tmp_path / "outside.wav")
    old = (timezone.now() - datetime.timedelta(hours=1)).timestamp()
    for parent, _dirs, files in os.walk(root):
        for name in files:
            os.utime(os.path.join(parent, name), (old, old), follow_symlinks=False)
    _file(root, f"{base}/2026/03/03/1733390200.1.wav")  # still being recorded

    first = recordings_scan()

    assert sorted(first.registered) == [f"{base}/2026/03/02/1733390000.2.wav",
                                        f"{base}/2026/03/03/pbx1-1733390100.7.ogg"]
    assert first.waiting == 1
    assert sorted(p for p, _why in first.refused) == [
        f"{base}/2026/03/03/1733390000.4.wav", f"{base}/2026/03/03/notatki.txt",
        f"{base}/luzem.wav"]
    assert Recording.objects.get(unique_id="1733390000.2").call == call
    assert Recording.objects.get(unique_id="pbx1-1733390100.7").content_type == "audio/ogg"
    again = recordings_scan(min_age_seconds=0)
    assert again.registered == [f"{base}/2026/03/03/1733390200.1.wav"] and again.known == 2
    assert recordings_scan(min_age_seconds=0).registered == []
    with tenant_context(other_tenant):
        assert not Recording.objects.exists()


def test_the_scan_command_reports_per_tenant(root, tenant, other_tenant, capsys):
    _file(root, f"{_dir(tenant)}/2026/03/02/1733390000.5.wav")
    call_command("voip_recordings_scan", "--tenant", "alfa", "--min-age", "0")
    call_command("voip_recordings_scan", "--min-age", "0")
    out = capsys.readouterr().out
    assert "[alfa]" in out and "registered 1, known 0" in out
    assert "registered 0, known 1" in out and "[beta]" in out
    with tenant_context(tenant):
        assert Recording.objects.count() == 1


# --------------------------------------------------------------------------- links

def _play(client, link, **headers):
    return client.get(link, headers=headers)


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_link_plays_the_file_for_its_user_and_logs_each_playing(staff_client, staff,
                                                                 recording, customer):
    link = recording_link(recording=recording, user=staff)

    response = _play(staff_client, link)

    assert response.status_code == 200 and _body(response) == WAV
    assert response["Content-Type"] == "audio/wav"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Accept-Ranges"] == "bytes"
    entry = ActionLog.objects.get(kind="recording.play")
    assert entry.customer == customer and entry.actor_user == staff
    assert entry.params["call"] == "1733390000.1"
    _play(staff_client, link)
    assert ActionLog.objects.filter(kind="recording.play").count() == 2


def test_a_player_seeks_with_byte_ranges(staff_client, staff, recording):
    link = recording_link(recording=recording, user=staff)

    part = _play(staff_client, link, Range="bytes=4-11")
    assert part.status_code == 206 and _body(part) == WAV[4:12]
    assert part["Content-Range"] == f"bytes 4-11/{len(WAV)}" and part["Content-Length"] == "8"
    tail = _play(staff_client, link, Range="bytes=-5")
    assert _body(tail) == WAV[-5:] and tail["Content-Range"] == "bytes 39-43/44"
    rest = _play(staff_client, link, Range="bytes=30-999")
    assert _body(rest) == WAV[30:]
    past = _play(staff_client, link, Range="bytes=44-")
    assert past.status_code == 416 and past["Content-Range"] == "bytes */44"
    whole = _play(staff_client, link, Range="bytes=0-1,5-6")  # several: the whole file
    assert whole.status_code == 200 and _body(whole) == WAV


def test_an_expired_link_is_refused(staff_client, staff, recording, monkeypatch):
    tenant_setting_set(actor=staff, key="voip.recording_link_minutes", raw_value="10")
    eleven_minutes_ago = int(datetime.datetime.now().timestamp()) - 11 * 60
    with monkeypatch.context() as patched:
        patched.setattr(signing.TimestampSigner, "timestamp",
                        lambda self: signing.b62_encode(eleven_minutes_ago))
        link = recording_link(recording=recording, user=staff)

    response = _play(staff_client, link)

    assert response.status_code == 403
    assert "expired" in response.content.decode()
    assert not ActionLog.objects.filter(kind="recording.play").exists()
    tenant_setting_set(actor=staff, key="voip.recording_link_minutes", raw_value="15")
    assert _play(staff_client, link).status_code == 200


@pytest.mark.parametrize("change", ["signature", "recording", "none"])
def test_a_tampered_or_missing_signature_is_refused(staff_client, staff, recording, root,
                                                    tenant, change):
    link = recording_link(recording=recording, user=staff)
    if change == "signature":
        link = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    elif change == "recording":  # a valid signature of one recording for another
        other = recording_register(
            unique_id="2", path=_file(root, f"{_dir(tenant)}/2026/03/02/2.wav"),
            recorded_at=timezone.now())
        link = link.replace(f"/{recording.pk}/", f"/{other.pk}/")
    else:
        link = link.split("?")[0]

    response = _play(staff_client, link)

    assert response.status_code == 403 and "not valid" in response.content.decode()
    assert not ActionLog.objects.filter(kind="recording.play").exists()


def test_another_users_link_is_refused(client, tenant, staff, recording):
    link = recording_link(recording=recording, user=staff)
    client.force_login(make_staff(tenant, "celina"))

    response = _play(client, link)

    assert response.status_code == 403 and "someone else" in response.content.decode()
    assert not ActionLog.objects.filter(kind="recording.play").exists()


def test_another_tenants_recording_is_not_found_even_with_its_link(client, staff, other_staff,
                                                                   recording, other_tenant):
    link = recording_link(recording=recording, user=staff)
    client.force_login(other_staff)

    response = _play(client, link)

    assert response.status_code == 404
    with tenant_context(other_tenant):
        assert not ActionLog.objects.filter(kind="recording.play").exists()


def test_a_file_gone_is_a_clear_404(staff_client, staff, recording, root):
    (root / recording.path).unlink()

    response = _play(staff_client, recording_link(recording=recording, user=staff))

    assert response.status_code == 404
    assert "not kept any more" in response.content.decode()


# --------------------------------------------------------------------------- retention

def test_the_purge_removes_what_is_past_the_retention_and_keeps_the_rest(
        root, tenant, other_tenant, staff, other_staff, phone):
    tenant_setting_set(actor=staff, key="voip.recording_retention_days", raw_value="30")
    today = datetime.date(2026, 5, 31)
    base = _dir(tenant)

    def made(name, day):
        moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
        return recording_register(unique_id=name, path=_file(root, f"{base}/x/{name}.wav"),
                                  recorded_at=moment)

    old = made("stare", datetime.date(2026, 4, 30))        # 31 days: removed
    gone = made("usuniete", datetime.date(2026, 1, 1))      # its file already gone
    kept = made("graniczne", datetime.date(2026, 5, 1))     # 30 days: kept
    young = made("nowe", today)
    (root / gone.path).unlink()
    with tenant_context(other_tenant):
        foreign = recording_register(
            unique_id="obce", path=_file(root, f"{_dir(other_tenant)}/x/obce.wav"),
            recorded_at=timezone.make_aware(datetime.datetime(2020, 1, 1)))

    assert recordings_purge(today=today) == 2

    assert set(Recording.objects.values_list("pk", flat=True)) == {kept.pk, young.pk}
    assert not (root / old.path).exists()
    assert (root / kept.path).exists() and (root / young.path).exists()
    entry = ActionLog.objects.get(kind="recording.purge")
    assert entry.params["count"] == 2 and entry.actor_user is None
    assert recordings_purge(today=today) == 0  # nothing twice
    with tenant_context(other_tenant):
        assert Recording.objects.get() == foreign  # its own retention, its own run
    assert (root / foreign.path).exists()


def test_the_daily_task_purges_every_tenant_by_its_own_setting(root, tenant, other_tenant,
                                                              staff, other_staff):
    from voip.tasks_recordings import recordings_purge as task

    long_ago = timezone.now() - datetime.timedelta(days=60)
    with tenant_context(tenant):
        tenant_setting_set(actor=staff, key="voip.recording_retention_days", raw_value="30")
        recording_register(unique_id="a", path=_file(root, f"{_dir(tenant)}/a.wav"),
                           recorded_at=long_ago)
    with tenant_context(other_tenant):  # keeps 90 days (the default)
        recording_register(unique_id="b", path=_file(root, f"{_dir(other_tenant)}/b.wav"),
                           recorded_at=long_ago)

    assert task() == 1

    with tenant_context(tenant):
        assert not Recording.objects.exists()
    with tenant_context(other_tenant):
        assert Recording.objects.count() == 1


# --------------------------------------------------------------------------- API

API = "/api/v1/voip/recordings/"


def test_the_api_lists_filters_and_never_shows_the_files_place(api_client, root, tenant,
                                                               phone, recording):
    call = recording.call
    late = recording_register(
        unique_id="bez-polaczenia", path=_file(root, f"{_dir(tenant)}/2026/01/05/b.wav"),
        recorded_at=timezone.make_aware(datetime.datetime(2026, 1, 5, 23, 30)))

    listed = api_client.get(API).json()
    assert [r["id"] for r in listed["results"]] == [recording.pk, late.pk]
    assert listed["results"][0]["call"] == call.pk and listed["results"][1]["call"] is None
    assert "path" not in listed["results"][0] and "abonent-" not in str(listed)
    by_id = api_client.get(API, {"unique_id": "bez-polaczenia"}).json()["results"]
    assert [r["id"] for r in by_id] == [late.pk]
    day = api_client.get(API, {"recorded_from": "2026-01-05", "recorded_to": "2026-01-05"})
    assert [r["id"] for r in day.json()["results"]] == [late.pk]
    assert api_client.get(API, {"recorded_to": "2026-01-04"}).json()["results"] == []
    bad = api_client.get(API, {"recorded_from": "2026-02-30"})
    assert bad.status_code == 400 and "recorded_from" in bad.json()["errors"]
    reversed_range = api_client.get(API, {"recorded_from": "2026-02-02",
                                          "recorded_to": "2026-02-01"})
    assert reversed_range.status_code == 400
    one = api_client.get(f"{API}{late.pk}/").json()
    assert one["unique_id"] == "bez-polaczenia" and "path" not in one


def test_the_api_list_costs_the_same_queries_for_one_recording_or_many(api_client, root,
                                                                       tenant, recording):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert api_client.get(API).status_code == 200
        return len(queries)

    count()  # the first request of a test asks once for what is cached then
    one = count()
    for number in range(5):
        recording_register(unique_id=f"n{number}",
                           path=_file(root, f"{_dir(tenant)}/n/{number}.wav"),
                           recorded_at=timezone.now())
    # The token and the user's tenant, the count and the page (the call by a subquery).
    assert count() == one


def test_the_api_link_plays_for_its_user_only(api_client, staff, tenant, recording):
    answer = api_client.get(f"{API}{recording.pk}/link/")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"url", "api_url", "expires_at"}
    downloaded = api_client.get(body["api_url"])
    assert downloaded.status_code == 200 and b"".join(downloaded.streaming_content) == WAV
    session = Client()
    session.force_login(staff)
    assert session.get(body["url"]).status_code == 200
    assert ActionLog.objects.filter(kind="recording.play").count() == 2
    refused = api_client.get(f"{API}{recording.pk}/file/", {"s": "zmyslony"})
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    from conftest import token_client
    colleague = token_client(make_staff(tenant, "celina"), tenant)
    assert colleague.get(body["api_url"]).status_code == 403


def test_another_tenants_recording_is_a_404_in_the_api(other_api_client, api_client,
                                                       recording):
    link = api_client.get(f"{API}{recording.pk}/link/").json()
    for url in (f"{API}{recording.pk}/", f"{API}{recording.pk}/link/", link["api_url"]):
        assert other_api_client.get(url).status_code == 404
    assert other_api_client.get(API).json()["results"] == []
