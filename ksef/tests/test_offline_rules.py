"""The legal rules of offline mode: deadlines in business days (Polish holidays,
Europe/Warsaw), outages, and the KOD I / KOD II links of the Ministry's specification."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st

from ksef import offline, qr
from ksef.tests.fixtures_offline import key_new

W = ZoneInfo("Europe/Warsaw")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=W)


def eod(y, m, d) -> dt.datetime:
    return dt.datetime(y, m, d, 23, 59, 59, tzinfo=W)


# --------------------------------------------------------------------------- business days

@pytest.mark.parametrize(("issued", "deadline"), [
    (at(2025, 7, 8, 12), eod(2025, 7, 9)),        # the Ministry's example: Wed → Thu
    (at(2026, 12, 4, 10), eod(2026, 12, 7)),      # Friday → Monday
    (at(2026, 12, 5, 10), eod(2026, 12, 7)),      # issued on a Saturday → Monday
    (at(2026, 12, 23, 9), eod(2026, 12, 28)),     # Wigilia (a holiday since 2025), Christmas
    (at(2026, 12, 31, 23, 30), eod(2027, 1, 4)),  # New Year's Day, weekend: a year boundary
    (at(2027, 4, 30, 8), eod(2027, 5, 4)),        # 1 May Saturday, 3 May Monday holiday
])
def test_offline24_deadline_is_the_end_of_the_next_business_day(issued, deadline):
    assert offline.offline_deadline("offline24", issued) == deadline


def test_the_issue_day_is_the_warsaw_day_not_the_utc_one():
    # 23:30 UTC on Friday is already Saturday in Warsaw (winter time, +1).
    friday_night_utc = dt.datetime(2026, 12, 4, 23, 30, tzinfo=dt.UTC)
    assert offline.offline_deadline("offline24", friday_night_utc) == eod(2026, 12, 7)


def test_an_unknown_mode_is_an_error_not_a_silent_none():
    with pytest.raises(ValueError):
        offline.offline_deadline("online", at(2026, 12, 4, 10))


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2099, 12, 1)))
def test_deadline_always_falls_on_a_business_day_after_the_issue_day(moment):
    issued = moment.replace(tzinfo=W)
    deadline = offline.offline_deadline("offline24", issued)
    assert offline.is_business_day(deadline.date())
    assert deadline.date() > issued.date()
    # Nothing between the two days is a business day: the first one is taken.
    day = issued.date() + dt.timedelta(days=1)
    while day < deadline.date():
        assert not offline.is_business_day(day)
        day += dt.timedelta(days=1)


# --------------------------------------------------------------------------- outages

def declare(staff, kind, start, end=None, note=""):
    return offline.outage_declare(actor=staff, kind=kind, starts_at=start, ends_at=end,
                                  note=note)


def test_failure_deadline_is_seven_business_days_after_its_end(in_tenant, staff):
    # Ends on a Saturday: counted from Monday 13 July, the 7th business day is the 21st.
    outage = declare(staff, "failure", at(2026, 7, 9, 8), at(2026, 7, 11, 14))
    assert offline.offline_deadline("outage", at(2026, 7, 10, 9)) == eod(2026, 7, 21)
    assert offline.offline_deadline("outage", at(2026, 7, 10, 9), outage=outage) \
        == eod(2026, 7, 21)


def test_unavailability_deadline_is_the_next_business_day_after_its_end(in_tenant, staff):
    declare(staff, "unavailability", at(2026, 12, 23, 20), at(2026, 12, 24, 2))
    assert offline.offline_deadline("outage", at(2026, 12, 23, 21)) == eod(2026, 12, 28)


def test_total_failure_and_an_outage_going_on_have_no_deadline(in_tenant, staff):
    declare(staff, "total", at(2026, 11, 2, 8), at(2026, 11, 3, 8))
    assert offline.offline_deadline("outage", at(2026, 11, 2, 9)) is None
    declare(staff, "failure", at(2026, 11, 20, 8))
    assert offline.offline_deadline("outage", at(2026, 11, 20, 9)) is None


def test_a_failure_announced_in_the_sending_window_moves_an_offline24_deadline(in_tenant,
                                                                                 staff):
    # The Ministry's example, moved to 2026: issued Wednesday, failure Thursday to Saturday.
    issued = at(2026, 7, 8, 12)
    assert offline.offline_deadline("offline24", issued) == eod(2026, 7, 9)
    declare(staff, "failure", at(2026, 7, 9, 10), at(2026, 7, 11, 18))
    # 7 business days after Saturday 11 July: 13–17, 20, 21 July.
    assert offline.offline_deadline("offline24", issued) == eod(2026, 7, 21)
    # A failure after the deadline passed changes nothing; an earlier one neither.
    declare(staff, "failure", at(2026, 7, 25, 10), at(2026, 7, 26, 10))
    declare(staff, "failure", at(2026, 7, 1, 10), at(2026, 7, 2, 10))
    assert offline.offline_deadline("offline24", issued) == eod(2026, 7, 21)


def test_a_total_failure_in_the_window_lifts_the_obligation(in_tenant, staff):
    declare(staff, "total", at(2026, 7, 9, 10), at(2026, 7, 9, 18))
    assert offline.offline_deadline("offline24", at(2026, 7, 8, 12)) is None


def test_mode_is_outage_only_while_a_declared_outage_lasts(in_tenant, tenant, other_tenant,
                                                           staff):
    declare(staff, "failure", at(2026, 12, 1, 8), at(2026, 12, 1, 12))
    assert offline.offline_mode_for(tenant, at=at(2026, 12, 1, 7, 59)) is None
    assert offline.offline_mode_for(tenant, at=at(2026, 12, 1, 8)) == "outage"
    assert offline.offline_mode_for(tenant, at=at(2026, 12, 1, 12)) is None  # end excluded
    assert offline.offline_mode_for(other_tenant, at=at(2026, 12, 1, 9)) is None


def test_overlapping_outages_and_bad_spans_are_refused(in_tenant, staff):
    from django.core.exceptions import ValidationError

    declare(staff, "failure", at(2026, 12, 1, 8), at(2026, 12, 1, 12))
    with pytest.raises(ValidationError, match="overlaps"):
        declare(staff, "unavailability", at(2026, 12, 1, 11), at(2026, 12, 1, 13))
    with pytest.raises(ValidationError, match="after the start"):
        declare(staff, "failure", at(2026, 12, 2, 8), at(2026, 12, 2, 8))
    with pytest.raises(ValidationError, match="between"):
        declare(staff, "failure", at(7143, 1, 1, 8))
    open_one = declare(staff, "failure", at(2026, 12, 3, 8))
    with pytest.raises(ValidationError, match="overlaps"):
        declare(staff, "failure", at(2027, 5, 1, 8))  # the open one covers everything after
    # Touching ends are not an overlap.
    offline.outage_end(actor=staff, outage=open_one, ends_at=at(2026, 12, 3, 9))
    declare(staff, "unavailability", at(2026, 12, 3, 9), at(2026, 12, 3, 10))


def test_ending_an_outage_logs_it_and_publishes_the_change(in_tenant, staff,
                                                           django_capture_on_commit_callbacks):
    from core import events
    from core.models import ActionLog

    seen = []

    def handler(**data):
        seen.append(data)

    events.subscribe("ksef.outage_changed", handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            outage = declare(staff, "failure", at(2026, 12, 1, 8), note="BIP komunikat 12/2026")
            offline.outage_end(actor=staff, outage=outage, ends_at=at(2026, 12, 2, 8))
    finally:
        events.unsubscribe("ksef.outage_changed", handler)
    assert [d["ends_at"] is None for d in seen] == [True, False]
    kinds = list(ActionLog.objects.order_by("id").values_list("kind", flat=True))
    assert kinds[-2:] == ["ksefoutage.declare", "ksefoutage.end"]


@pytest.mark.django_db(transaction=True)
def test_two_declarations_at_once_cannot_both_pass(tenant, staff):
    """Both requests check for overlaps before writing; the advisory lock makes the second
    one see the first one's row."""
    import threading

    from django.core.exceptions import ValidationError
    from django.db import connection

    from core.tenancy import tenant_context

    results, barrier = [], threading.Barrier(2)

    def declare_one():
        try:
            with tenant_context(tenant):
                barrier.wait()
                declare(staff, "failure", at(2026, 12, 10, 8), at(2026, 12, 10, 12))
                results.append("ok")
        except ValidationError:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=declare_one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "refused"]


# --------------------------------------------------------------------------- KOD I / KOD II

def test_kod_i_follows_the_ministrys_example():
    xml = b"<Faktura>1</Faktura>"
    url = qr.kod_i_url(nip="111-111-11-11", issue_date=dt.date(2026, 2, 1), xml=xml,
                       environment="test")
    import base64
    import hashlib

    digest = base64.urlsafe_b64encode(hashlib.sha256(xml).digest()).decode().rstrip("=")
    assert url == f"https://qr-test.ksef.mf.gov.pl/invoice/1111111111/01-02-2026/{digest}"
    assert "=" not in url and "+" not in url and len(digest) == 43
    assert qr.kod_i_url(nip="1111111111", issue_date=dt.date(2026, 2, 1), xml=xml,
                        environment="production").startswith("https://qr.ksef.mf.gov.pl/")
    # The API's standard Base64 of the same hash gives the same link.
    standard = base64.b64encode(hashlib.sha256(xml).digest()).decode()
    assert qr.hash_from_base64(standard) == digest


def test_kod_i_refuses_a_nip_that_is_not_ten_digits():
    with pytest.raises(ValueError):
        qr.kod_i_url(nip="12345", issue_date=dt.date(2026, 2, 1), xml=b"x")


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_kod_ii_signs_the_link_without_scheme_and_verifies_with_the_public_key(kind):
    key = key_new(kind)
    digest = "UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE"
    url = qr.kod_ii_url(nip="1111111111", private_key=key, serial="01F20A5D352AE590",
                        hash_b64url=digest)
    signed, _, signature = url.removeprefix("https://").rpartition("/")
    assert signed == ("qr-test.ksef.mf.gov.pl/certificate/Nip/1111111111/1111111111/"
                      "01F20A5D352AE590/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE")
    raw = qr.b64url_decode(signature)
    assert len(raw) == (256 if kind == "rsa" else 64)  # P1363 r||s for EC
    assert qr.kod_ii_verify(url, key.public_key())
    tampered = url.replace("/1111111111/01F2", "/1111111112/01F2")
    assert not qr.kod_ii_verify(tampered, key.public_key())
    assert not qr.kod_ii_verify(url, key_new(kind).public_key())


def test_kod_ii_refuses_keys_ksef_does_not_take():
    with pytest.raises(ValueError):
        qr.kod_ii_url(nip="1111111111", private_key=key_new("ec384"), serial="01",
                      hash_b64url="x")


def test_certificate_serial_is_written_as_ksef_writes_it():
    from cryptography import x509

    from ksef.tests.fixtures_offline import offline_certificate_files

    cert_pem, _key_pem, _key = offline_certificate_files("ec", serial=0x01F20A5D352AE590)
    assert qr.certificate_serial(x509.load_pem_x509_certificate(cert_pem)) == "01F20A5D352AE590"
    assert serialization  # the module is used by the fixtures' keys
