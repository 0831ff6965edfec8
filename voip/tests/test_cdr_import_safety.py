"""The CDR import never loses calls it should bill: an uploaded file or an exchange's clock
ahead never moves where the import from Asterisk starts past now; an impossible number
is set aside, not stopping the import (nor one tenant the others); a channel's later CDRs
(Asterisk's ``sequence``) are billed once each; a phone's last calls are billed before it
is removed; a caller's number past any phone's is no 500."""

import datetime
from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connections
from django.urls import reverse
from django.utils import timezone

from core.tenancy import tenant_context
from voip import asterisk, services
from voip import cdr as cdr_import
from voip.models import BillingGroup, Call, CdrImportState, PriceList, PriceRule, VoipPhone
from voip.routers import ASTERISK

from .conftest import BOTH
from .test_cdr import _line, _prices

pytestmark = [pytest.mark.django_db(databases=BOTH), pytest.mark.usefixtures("asterisk_db")]

D = Decimal


@pytest.fixture
def phone(numbers_range, staff, customer):
    _prices()  # 48: 0.10/min 60/60; 4850: 0.30/min 1/1 + 0.05
    return services.phone_create(actor=staff, customer=customer,
                                 numbers_range=numbers_range)[0]


def _local_now() -> datetime.datetime:
    """Now as Asterisk writes its times: local, naive, whole seconds."""
    return timezone.localtime().replace(tzinfo=None, microsecond=0)


def _cdr(phone, unique_id, dst, end, billsec, *, sequence=None, code=None,
         disposition="ANSWERED"):
    """A CDR in Asterisk's ``cdr`` table ending at ``end`` (local, naive)."""
    start = end - datetime.timedelta(seconds=billsec + 5)
    code = code or asterisk.accountcode(phone.tenant_id, phone.pk)
    with connections[ASTERISK].cursor() as cursor:
        cursor.execute(
            'INSERT INTO cdr (accountcode, src, dst, start, answer, "end", duration, billsec, '
            "disposition, uniqueid, sequence) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
            "%s)", [code, str(phone.number.number), dst, start, start, end, billsec + 5,
                    billsec, disposition, unique_id, sequence])


def _file_line(unique_id, dst, end: datetime.datetime, billsec, src="48223000000",
               code=""):
    start = end - datetime.timedelta(seconds=billsec + 5)
    return _line(unique_id, dst, f"{start:%Y-%m-%d %H:%M:%S}", billsec, src=src, code=code)


def _position():
    return CdrImportState.objects.get().last_end


# --------------------------------------------------------------------------- 1. position

def test_an_uploaded_file_never_moves_where_the_asterisk_import_starts(phone, tenant):
    now = _local_now()
    _cdr(phone, "p.1", "48223000500", now - datetime.timedelta(hours=2), 30)
    assert cdr_import.cdr_import_asterisk(tenant=tenant).rated == 1
    before = _position()
    # a file with one line ending tomorrow at 8:00 (a typo, another exchange's clock)
    tomorrow = datetime.datetime.combine(now.date() + datetime.timedelta(days=1),
                                         datetime.time(8, 0))
    if tomorrow - now > datetime.timedelta(hours=23):  # within the day it may be ahead
        tomorrow = now + datetime.timedelta(hours=20)
    uploaded = cdr_import.calls_rate(tenant=tenant, cdrs=cdr_import.cdr_file_parse(
        _file_line("f.1", "48223000501", tomorrow, 30).encode()))
    assert uploaded.rated == 1
    assert _position() == before
    # a call that ended half an hour ago is still read by the next import, and billed
    _cdr(phone, "p.2", "48223000502", now - datetime.timedelta(minutes=30), 30)
    assert cdr_import.cdr_import_asterisk(tenant=tenant).rated == 1
    assert Call.objects.get(unique_id="p.2").amount == D("0.10")


def test_a_file_never_makes_the_position_even_when_the_import_never_ran(phone, tenant):
    ahead = _local_now() + datetime.timedelta(hours=20)
    cdr_import.calls_rate(tenant=tenant, cdrs=cdr_import.cdr_file_parse(
        _file_line("f.2", "48223000501", ahead, 30).encode()))
    assert _position() is None  # the first import from Asterisk reads the whole table


def test_a_cdr_ending_ahead_is_rated_but_the_import_stays_at_now(phone, tenant):
    """The exchange's clock runs three hours ahead: its CDR is rated (a call it let
    through), and the next import still starts from now, not three hours on."""
    now = _local_now()
    _cdr(phone, "c.1", "48223000500", now + datetime.timedelta(hours=3), 30)
    first = cdr_import.cdr_import_asterisk(tenant=tenant)
    assert first.rated == 1 and not first.out_of_range
    assert _position() <= timezone.now()
    _cdr(phone, "c.2", "48223000501", now - datetime.timedelta(minutes=10), 30)
    again = cdr_import.cdr_import_asterisk(tenant=tenant)
    assert (again.rated, again.already) == (1, 1)  # c.1 read again, not billed again
    assert Call.objects.filter(unique_id__in=["c.1", "c.2"]).count() == 2


def test_a_cdr_more_than_a_day_ahead_is_impossible_and_read_again_until_its_time(
        phone, tenant):
    now = _local_now()
    _cdr(phone, "d.1", "48223000500", now + datetime.timedelta(days=2), 30)
    _cdr(phone, "d.2", "48223000501", now - datetime.timedelta(minutes=5), 30)
    result = cdr_import.cdr_import_asterisk(tenant=tenant)
    assert result.out_of_range == ["d.1"] and result.rated == 1
    assert _position() <= timezone.now()
    assert cdr_import.cdr_import_asterisk(tenant=tenant).out_of_range == ["d.1"]


# --------------------------------------------------------------------------- 2. long numbers

def test_a_number_longer_than_e164_is_impossible_and_the_import_goes_on(phone, tenant):
    now = _local_now()
    _cdr(phone, "l.1", "00" + "4" * 45, now - datetime.timedelta(minutes=20), 30)
    _cdr(phone, "l.2", "+" + "4" * 16, now - datetime.timedelta(minutes=19), 30)
    _cdr(phone, "l.3", "4" * 16, now - datetime.timedelta(minutes=18), 30)  # as dialled
    _cdr(phone, "l.4", "+" + "4" * 15, now - datetime.timedelta(minutes=17), 30)  # E.164's
    _cdr(phone, "l.5", "48223000500", now - datetime.timedelta(minutes=16), 30)
    result = cdr_import.cdr_import_asterisk(tenant=tenant)
    assert sorted(result.out_of_range) == ["l.1", "l.2", "l.3"]
    assert result.rated == 2  # l.4 (no price rule for 444…) and l.5
    assert Call.objects.get(unique_id="l.4").destination == "4" * 15
    assert Call.objects.get(unique_id="l.5").amount == D("0.10")
    # the next import is not stuck on them either
    _cdr(phone, "l.6", "48223000501", now - datetime.timedelta(minutes=1), 30)
    again = cdr_import.cdr_import_asterisk(tenant=tenant)
    assert again.rated == 1 and Call.objects.filter(unique_id="l.6").exists()


def test_a_file_with_a_number_longer_than_e164_rates_the_rest(phone, tenant):
    when = _local_now() - datetime.timedelta(hours=1)
    lines = [_file_line("fl.1", "00" + "4" * 45, when, 30),
             _file_line("fl.2", "223000500", when, 30)]
    result = cdr_import.calls_rate(tenant=tenant, cdrs=cdr_import.cdr_file_parse(
        "\n".join(lines).encode()))
    assert (result.out_of_range, result.rated) == (["fl.1"], 1)


@pytest.fixture
def other_phone(other_tenant, other_staff):
    from customers.services import customer_create

    with tenant_context(other_tenant):
        customer = customer_create(actor=other_staff, first_name="Ewa", last_name="Nowak",
                                   status="connected")
        numbers = services.number_range_create(actor=other_staff, name="Beta",
                                               first="+48 22 400 00 00",
                                               last="+48 22 400 00 09")
        _prices()
        phone = services.phone_create(actor=other_staff, customer=customer,
                                      numbers_range=numbers)[0]
        assert phone.number.number == 48224000000  # read here, in its tenant
        return phone


def test_a_tenant_whose_import_fails_does_not_stop_the_others(
        phone, tenant, other_tenant, other_phone, monkeypatch, caplog):
    from voip.tasks import cdr_import as task

    now = _local_now()
    _cdr(phone, "t.1", "48223000500", now - datetime.timedelta(minutes=3), 30)
    _cdr(other_phone, "t.2", "48223000500", now - datetime.timedelta(minutes=3), 30)
    first = min(tenant.pk, other_tenant.pk)
    real = cdr_import.cdr_import_asterisk

    def failing(*, tenant):
        if tenant.pk == first:
            raise RuntimeError("a CDR the import cannot take")
        return real(tenant=tenant)

    monkeypatch.setattr(cdr_import, "cdr_import_asterisk", failing)
    assert task() == 1  # the other tenant's call, rated
    assert f"CDR import of tenant {first} failed" in caplog.text
    later = other_tenant if first == tenant.pk else tenant
    with tenant_context(later):
        assert Call.objects.get().unique_id in ("t.1", "t.2")


def test_the_exchange_away_for_a_tenant_is_retried_after_the_others(
        phone, tenant, other_tenant, other_phone, monkeypatch):
    from voip.tasks import cdr_import as task

    now = _local_now()
    _cdr(other_phone, "t.3", "48223000500", now - datetime.timedelta(minutes=3), 30)
    real = cdr_import.cdr_import_asterisk

    def away(*, tenant):
        if tenant.pk == phone.tenant_id:
            raise OperationalError("the exchange's database went away")
        return real(tenant=tenant)

    monkeypatch.setattr(cdr_import, "cdr_import_asterisk", away)
    with pytest.raises(OperationalError):  # Celery's autoretry takes it from here
        task()
    with tenant_context(other_tenant):
        assert Call.objects.get().unique_id == "t.3"


# --------------------------------------------------------------------------- 4. sequences

def test_a_channels_later_cdr_is_billed_once(phone, tenant):
    """A Dial that failed, then one answered: one channel, one uniqueid, two CDRs."""
    now = _local_now()
    _cdr(phone, "s.1", "48501234567", now - datetime.timedelta(minutes=10), 0,
         sequence=40, disposition="FAILED")
    _cdr(phone, "s.1", "48223000500", now - datetime.timedelta(minutes=5), 90, sequence=41)
    first = cdr_import.cdr_import_asterisk(tenant=tenant)
    assert (first.rated, first.already) == (2, 0)
    calls = dict(Call.objects.values_list("unique_id", "amount"))
    assert calls == {"s.1~40": D("0"), "s.1~41": D("0.20")}
    again = cdr_import.cdr_import_asterisk(tenant=tenant)
    assert (again.rated, again.already) == (0, 2)
    CdrImportState.objects.update(last_end=None)  # the whole table read again
    assert cdr_import.cdr_import_asterisk(tenant=tenant).rated == 0
    assert Call.objects.count() == 2


def test_a_call_rated_before_the_sequence_was_read_is_not_billed_twice(phone, tenant):
    """Before, a channel's first CDR was rated under its bare uniqueid and the later ones
    dropped: the first stays rated once, the later one is billed now."""
    now = _local_now()
    _cdr(phone, "s.2", "48223000500", now - datetime.timedelta(minutes=10), 30,
         sequence=50)
    _cdr(phone, "s.2", "48223000501", now - datetime.timedelta(minutes=5), 30, sequence=52)
    read = cdr_import._asterisk_batches
    with pytest.MonkeyPatch.context() as patch:  # the import as it was: no sequence read,
        patch.setattr(cdr_import, "_asterisk_batches", lambda tenant, since: (  # one rated
            [replace(c, sequence=None) for c in batch if c.sequence == 50]
            for batch in read(tenant, since)))
        before = cdr_import.cdr_import_asterisk(tenant=tenant)
    assert (before.rated, before.already) == (1, 0)
    CdrImportState.objects.update(last_end=None)
    after = cdr_import.cdr_import_asterisk(tenant=tenant)
    assert (after.rated, after.already) == (1, 1)
    assert sorted(Call.objects.values_list("unique_id", flat=True)) == ["s.2", "s.2~52"]


def test_a_channels_cdrs_in_two_batches_are_keyed_as_in_one(phone, tenant, monkeypatch):
    now = _local_now()
    for n, sequence in enumerate((60, 61, 62)):
        _cdr(phone, "s.3", "48223000500", now - datetime.timedelta(minutes=10 - n), 30,
             sequence=sequence)
    monkeypatch.setattr(cdr_import, "BATCH", 1)
    assert cdr_import.cdr_import_asterisk(tenant=tenant).rated == 3
    assert sorted(Call.objects.values_list("unique_id", flat=True)) == [
        "s.3~60", "s.3~61", "s.3~62"]


def test_a_file_with_a_channels_later_cdr_then_the_import_with_both_bills_each_once(
        phone, tenant):
    """A file cut by date holds only the channel's later CDR (sequence 41); the import
    then reads both: the later one is not billed again, the earlier (answered) one is."""
    now = _local_now().replace(microsecond=0)  # a Master.csv line has whole seconds
    first_start = now - datetime.timedelta(minutes=10)
    later_start = now - datetime.timedelta(minutes=5)
    _cdr(phone, "s.4", "48223000500", first_start, 60, sequence=40)
    _cdr(phone, "s.4", "48223000501", later_start, 30, sequence=41)
    line = _new_columns(_file_line("s.4", "223000501", later_start, 30), 41)
    uploaded = cdr_import.calls_rate(tenant=tenant, cdrs=cdr_import.cdr_file_parse(
        line.encode()))
    assert uploaded.rated == 1
    imported = cdr_import.cdr_import_asterisk(tenant=tenant)
    assert (imported.rated, imported.already) == (1, 1)
    assert dict(Call.objects.values_list("unique_id", "seconds")) == {"s.4~40": 60,
                                                                      "s.4~41": 30}


def test_a_file_without_the_sequence_then_the_import_bills_the_same_cdr_once(phone,
                                                                              tenant):
    """The channel's CDR uploaded from a Master.csv of the default layout (no sequence:
    keyed by the bare unique id), then read by the import with its sequence: the same
    start and seconds — the same call, not billed again."""
    start = _local_now().replace(microsecond=0) - datetime.timedelta(minutes=10)
    _cdr(phone, "s.5", "48223000500", start, 45, sequence=70)
    uploaded = cdr_import.calls_rate(tenant=tenant, cdrs=cdr_import.cdr_file_parse(
        _file_line("s.5", "223000500", start, 45).encode()))
    assert uploaded.rated == 1
    imported = cdr_import.cdr_import_asterisk(tenant=tenant)
    assert (imported.rated, imported.already) == (0, 1)
    assert list(Call.objects.values_list("unique_id", flat=True)) == ["s.5"]


def _new_columns(line, sequence, linkedid="1733390000.1"):
    return f'{line},"","{linkedid}",{sequence}'


def test_a_master_csv_with_cdr_csvs_new_columns_keeps_a_channels_cdrs_apart(phone, tenant):
    when = _local_now() - datetime.timedelta(hours=1)
    long_id = "x" * 150
    lines = [_new_columns(_file_line("1733390000.1", "48501234567", when, 0), 7),
             _new_columns(_file_line("1733390000.1", "223000500", when, 90), 9),
             _new_columns(_file_line(long_id, "223000501", when, 30), 3),
             _new_columns(_file_line(long_id, "223000502", when, 30), 12)]
    cdrs = cdr_import.cdr_file_parse("\n".join(lines).encode())
    result = cdr_import.calls_rate(tenant=tenant, cdrs=cdrs)
    assert result.rated == 4
    ids = set(Call.objects.values_list("unique_id", flat=True))
    assert ids == {"1733390000.1~7", "1733390000.1~9", "x" * 148 + "~3", "x" * 147 + "~12"}
    assert Call.objects.get(unique_id="1733390000.1~9").amount == D("0.20")
    again = cdr_import.calls_rate(tenant=tenant, cdrs=cdr_import.cdr_file_parse(
        "\n".join(reversed(lines)).encode()))  # the order of the lines does not matter
    assert (again.rated, again.already) == (0, 4)


def test_a_master_csv_without_the_sequence_rates_each_of_a_channels_cdrs_once(phone,
                                                                            tenant):
    """A failed Dial, then the answered one: one unique id, told apart by the seconds."""
    when = _local_now() - datetime.timedelta(hours=1)
    lines = [_file_line("1733390001.1", "48501234567", when, 0),
             _file_line("1733390001.1", "223000500", when, 90)]
    result = cdr_import.calls_rate(tenant=tenant, cdrs=cdr_import.cdr_file_parse(
        "\n".join(lines).encode()))
    assert (result.rated, result.already, result.amount) == (2, 0, D("0.20"))
    again = cdr_import.calls_rate(tenant=tenant, cdrs=cdr_import.cdr_file_parse(
        "\n".join(reversed(lines)).encode()))
    assert (again.rated, again.already) == (0, 2)


@pytest.mark.parametrize("sequence", ["x", "1.5", "-", "99999999999"])
def test_a_sequence_that_is_not_a_number_refuses_the_line(sequence):
    line = _new_columns(_file_line("1.1", "223000500", _local_now(), 30), sequence)
    with pytest.raises(cdr_import.CdrFileError, match="line 1: a sequence"):
        cdr_import.cdr_file_parse(line.encode())


# --------------------------------------------------------------------------- 5. removal

def _provisioned(phone):
    VoipPhone.objects.filter(pk=phone.pk).update(provisioned_at=timezone.now())
    return VoipPhone.objects.get(pk=phone.pk)


def test_a_removed_phones_last_calls_are_billed_to_its_customer(phone, staff, customer):
    phone = _provisioned(phone)
    _cdr(phone, "r.1", "48223000500", _local_now() - datetime.timedelta(minutes=2), 90)
    services.phone_remove(actor=staff, phone=phone)
    call = Call.objects.get(unique_id="r.1")
    assert (call.amount, call.customer_id, call.phone_id) == (D("0.20"), customer.pk, None)
    assert not VoipPhone.objects.filter(pk=phone.pk).exists()


def test_a_prepaid_phones_last_call_stops_its_removal_at_zero(
        numbers_range, staff, customer):
    _prices()
    phone, _p = services.phone_create(actor=staff, customer=customer,
                                      numbers_range=numbers_range, billing_type="prepaid")
    services.prepaid_entry_add(actor=staff, phone=phone, amount="5.00")
    phone = _provisioned(phone)
    # a call not imported yet; the 5.00 is given back at the desk
    _cdr(phone, "r.2", "48223000500", _local_now() - datetime.timedelta(minutes=1), 90)
    services.prepaid_entry_add(actor=staff, phone=phone, amount="-5.00", kind="correction",
                               note="refund")
    with pytest.raises(ValidationError) as refused:
        services.phone_remove(actor=staff, phone=phone)
    balance = VoipPhone.objects.get(pk=phone.pk).prepaid_balance
    assert balance < 0 and f"prepaid balance is {balance}" in str(refused.value)
    call = Call.objects.get(unique_id="r.2")
    assert call.prepaid and call.amount == D("0.20")


def test_a_phone_is_not_removed_while_the_exchanges_calls_cannot_be_read(
        phone, staff, monkeypatch):
    phone = _provisioned(phone)

    def away(*, tenant):
        raise OperationalError("connection refused")

    monkeypatch.setattr(cdr_import, "cdr_import_asterisk", away)
    with pytest.raises(ValidationError, match="cannot be read from the telephone exchange"):
        services.phone_remove(actor=staff, phone=phone)
    assert VoipPhone.objects.filter(pk=phone.pk).exists()


def test_a_phone_never_written_to_the_exchange_is_removed_without_reading_it(
        phone, staff, monkeypatch):
    def unreachable(*, tenant):
        raise OperationalError("connection refused")

    monkeypatch.setattr(cdr_import, "cdr_import_asterisk", unreachable)
    services.phone_remove(actor=staff, phone=phone)  # no calls of it can be there
    assert not VoipPhone.objects.filter(pk=phone.pk).exists()


# --------------------------------------------------------------------------- 6. callers

@pytest.mark.parametrize("src", ["+" + "4" * 20, "00" + "4" * 20, "4" * 19, "4" * 45])
def test_a_caller_longer_than_any_phone_number_is_no_known_phone_not_a_500(
        staff_client, phone, src):
    line = _file_line("u.1", "223000500", _local_now() - datetime.timedelta(hours=1), 30,
                      src=src)
    good = _file_line("u.2", "223000500", _local_now() - datetime.timedelta(hours=1), 30)
    response = staff_client.post(reverse("voip:cdr_upload"), {
        "file": SimpleUploadedFile("Master.csv", f"{line}\n{good}".encode())})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="cdr-rated">1<' in html and "<code>u.1</code>" in html
    assert list(Call.objects.values_list("unique_id", flat=True)) == ["u.2"]


def test_an_account_code_past_any_phone_id_is_no_500(api_client, phone):
    code = f"abonent-{phone.tenant_id}-{'9' * 25}"
    line = _file_line("u.3", "223000500", _local_now() - datetime.timedelta(hours=1), 30,
                      src="4" * 30, code=code)
    response = api_client.post("/api/v1/voip/calls/import/", {
        "file": SimpleUploadedFile("Master.csv", line.encode(), content_type="text/csv")},
        format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["unknown_phone"] == ["u.3"]


# --------------------------------------------------------------------------- 3. short numbers

def test_short_numbers_are_never_priced_as_countries(phone, tenant):
    world = BillingGroup.objects.create(name="Świat", code="world")
    prices = PriceList.objects.get(name="2026")
    PriceRule.objects.create(price_list=prices, prefix="1", billing_group=world,
                             price_per_minute=D("2.00"))
    PriceRule.objects.create(price_list=prices, prefix="998", billing_group=world,
                             price_per_minute=D("3.00"))
    when = _local_now() - datetime.timedelta(hours=1)
    lines = [_file_line("e.1", "112", when, 60), _file_line("e.2", "998", when, 60),
             _file_line("e.3", "997", when, 60), _file_line("e.4", "101", when, 60),
             _file_line("e.5", "+998712345678", when, 60),  # Uzbekistan
             _file_line("e.6", "0012125550100", when, 60),  # the USA
             _file_line("e.7", "223000500", when, 60)]
    result = cdr_import.calls_rate(tenant=tenant, cdrs=cdr_import.cdr_file_parse(
        "\n".join(lines).encode()))
    calls = {c.unique_id: (c.reason, c.amount) for c in Call.objects.all()}
    assert calls == {"e.1": ("emergency", D("0")), "e.2": ("emergency", D("0")),
                     "e.3": ("emergency", D("0")), "e.4": ("internal", D("0")),
                     "e.5": ("priced", D("3.00")), "e.6": ("priced", D("2.00")),
                     "e.7": ("priced", D("0.10"))}
    assert (result.internal, result.no_rule, result.amount) == (4, 0, D("5.10"))
