"""A call is charged once whichever way its CDR came first: read from Asterisk's ``cdr``
table (with its sequence: the call ``uniqueid~sequence``) or uploaded in a Master.csv of
cdr_csv's default layout (no sequence: the call ``uniqueid``) — by staff or through the
API. A channel's CDRs (a transfer) share the unique id: a line of the file is the one
call of the channel with its start and answered seconds."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.tenancy import tenant_context
from voip import cdr as cdr_import
from voip import services
from voip.models import Call, PhoneUsage

from .conftest import BOTH
from .test_cdr import _prices
from .test_cdr_import_safety import _cdr, _file_line, _local_now, _new_columns

pytestmark = [pytest.mark.django_db(databases=BOTH), pytest.mark.usefixtures("asterisk_db")]

D = Decimal


@pytest.fixture
def phone(numbers_range, staff, customer):
    _prices()  # 48: 0.10/min 60/60; 4850: 0.30/min 1/1 + 0.05
    return services.phone_create(actor=staff, customer=customer,
                                 numbers_range=numbers_range)[0]


def _charged() -> Decimal:
    """What the tenant's calls cost, as the calls and the phone's period usage say."""
    calls = sum(Call.objects.values_list("amount", flat=True), D("0"))
    assert sum(PhoneUsage.objects.values_list("amount", flat=True), D("0")) == calls
    return calls


def _staff_upload(client, lines) -> str:
    response = client.post(reverse("voip:cdr_upload"), {
        "file": SimpleUploadedFile("Master.csv", "\n".join(lines).encode())})
    assert response.status_code == 200, response.content
    return response.content.decode()


def _api_upload(client, lines) -> dict:
    response = client.post("/api/v1/voip/calls/import/", {
        "file": SimpleUploadedFile("Master.csv", "\n".join(lines).encode(),
                                   content_type="text/csv")}, format="multipart")
    assert response.status_code == 200, response.content
    return response.json()


def _transfer(phone, unique_id="t.1"):
    """One channel, two CDRs in Asterisk's table (a call, then its transferred leg), and
    the same two as lines of a Master.csv without the sequence."""
    now = _local_now()
    first, later = now - datetime.timedelta(minutes=10), now - datetime.timedelta(minutes=5)
    _cdr(phone, unique_id, "48223000500", first, 90, sequence=40)  # 0.20
    _cdr(phone, unique_id, "48501234567", later, 30, sequence=41)  # 0.15 + 0.05
    return [_file_line(unique_id, "48223000500", first, 90),
            _file_line(unique_id, "48501234567", later, 30)]


def test_the_import_then_the_staff_upload_of_master_csv_charges_nothing_again(
        staff_client, phone, tenant):
    lines = _transfer(phone)
    imported = cdr_import.cdr_import_asterisk(tenant=tenant)
    assert (imported.rated, imported.already) == (2, 0)
    assert _charged() == D("0.40")
    html = _staff_upload(staff_client, lines)
    assert 'id="cdr-rated">0<' in html and 'id="cdr-already">2<' in html
    assert sorted(Call.objects.values_list("unique_id", flat=True)) == ["t.1~40", "t.1~41"]
    assert _charged() == D("0.40")


def test_a_file_line_matches_the_one_cdr_of_the_channel_with_its_start_and_seconds(
        api_client, phone, tenant):
    """The file holds only the channel's later CDR: it is that call, not the first one
    the channel's unique id was stored with."""
    lines = _transfer(phone)
    cdr_import.cdr_import_asterisk(tenant=tenant)
    result = _api_upload(api_client, lines[1:])
    assert (result["rated"], result["already"]) == (0, 1)
    result = _api_upload(api_client, lines[:1])
    assert (result["rated"], result["already"]) == (0, 1)
    assert Call.objects.count() == 2
    assert _charged() == D("0.40")


def test_a_file_line_the_import_never_read_is_rated_beside_the_channels_calls(
        api_client, phone, tenant):
    """The import read the channel's first CDR only (the later one written after it
    ran): the file's second line is a call of its own, and the import reading it later
    does not charge it again."""
    now = _local_now()
    first, later = now - datetime.timedelta(minutes=10), now - datetime.timedelta(minutes=5)
    _cdr(phone, "t.2", "48223000500", first, 90, sequence=40)
    assert cdr_import.cdr_import_asterisk(tenant=tenant).rated == 1
    result = _api_upload(api_client, [_file_line("t.2", "48223000500", first, 90),
                                      _file_line("t.2", "48501234567", later, 30)])
    assert (result["rated"], result["already"]) == (1, 1)
    assert _charged() == D("0.40")
    _cdr(phone, "t.2", "48501234567", later, 30, sequence=41)
    imported = cdr_import.cdr_import_asterisk(tenant=tenant)
    assert (imported.rated, imported.already) == (0, 2)
    assert Call.objects.count() == 2
    assert _charged() == D("0.40")


def test_the_same_master_csv_uploaded_twice_charges_nothing_the_second_time(
        staff_client, phone, tenant):
    lines = _transfer(phone, "t.3")
    html = _staff_upload(staff_client, lines)
    # two lines of one unique id with different starts: two calls, nothing stored before
    assert 'id="cdr-rated">2<' in html and 'id="cdr-already">0<' in html
    assert _charged() == D("0.40")
    html = _staff_upload(staff_client, lines)
    assert 'id="cdr-rated">0<' in html and 'id="cdr-already">2<' in html
    html = _staff_upload(staff_client, list(reversed(lines)))  # the order does not matter
    assert 'id="cdr-rated">0<' in html and 'id="cdr-already">2<' in html
    # and the import reading the channel with its sequences charges neither again
    imported = cdr_import.cdr_import_asterisk(tenant=tenant)
    assert (imported.rated, imported.already) == (0, 2)
    assert Call.objects.count() == 2
    assert _charged() == D("0.40")


def test_a_line_repeated_in_one_file_is_charged_once(api_client, phone):
    line = _file_line("t.4", "48223000500", _local_now() - datetime.timedelta(hours=1), 90)
    result = _api_upload(api_client, [line, line])
    assert (result["rated"], result["already"]) == (1, 1)
    assert _charged() == D("0.20")


def test_a_file_with_the_sequence_after_one_without_charges_each_cdr_once(
        api_client, phone):
    """cdr_csv's ``newcdrcolumns`` turned on between two files covering the same calls."""
    when = _local_now() - datetime.timedelta(hours=1)
    lines = [_file_line("t.5", "48223000500", when, 90),
             _file_line("t.5", "48501234567", when + datetime.timedelta(minutes=2), 30)]
    assert _api_upload(api_client, lines)["rated"] == 2
    result = _api_upload(api_client, [_new_columns(lines[1], 8), _new_columns(lines[0], 7)])
    assert (result["rated"], result["already"]) == (0, 2)
    assert _charged() == D("0.40")


def test_another_tenants_call_never_counts(api_client, phone, tenant, other_tenant,
                                           other_staff, other_customer):
    when = _local_now() - datetime.timedelta(hours=1)
    line = _file_line("t.6", "48223000500", when, 90)
    with tenant_context(other_tenant):
        numbers = services.number_range_create(actor=other_staff, name="Beta",
                                               first="+48 22 400 00 00",
                                               last="+48 22 400 00 09")
        services.phone_create(actor=other_staff, customer=other_customer,
                              numbers_range=numbers)
        # the same unique id, start and seconds keyed with its sequence, and the bare
        # unique id (a later CDR of theirs)
        theirs = [_new_columns(_file_line("t.6", "48223000500", when, 90, src="48224000000"),
                               40),
                  _file_line("t.6", "48223000500", when + datetime.timedelta(minutes=1), 30,
                             src="48224000000")]
        cdrs = cdr_import.cdr_file_parse("\n".join(theirs).encode())
        other = cdr_import.calls_rate(tenant=other_tenant, cdrs=cdrs)
        assert other.rated == 2
    result = _api_upload(api_client, [line])
    assert (result["rated"], result["already"]) == (1, 0)
    assert list(Call.objects.values_list("unique_id", flat=True)) == ["t.6"]
    assert _charged() == D("0.20")


def test_the_check_costs_the_same_queries_for_a_long_file(phone, tenant):
    """Whether the file's lines are rated already is read once per file, not per line."""
    when = _local_now() - datetime.timedelta(hours=1)

    def queries(count, unique_id):
        lines = [_file_line(unique_id, "48223000500", when + datetime.timedelta(minutes=n),
                            30) for n in range(count)]
        cdrs = cdr_import.cdr_file_parse("\n".join(lines).encode())
        with CaptureQueriesContext(connection) as captured:
            result = cdr_import.calls_rate(tenant=tenant, cdrs=cdrs)
        assert result.rated == count
        return len(captured)

    queries(1, "w.0")  # the price lists and the phone met once
    assert queries(2, "w.1") == queries(40, "w.2")


@pytest.mark.parametrize("sequenced_first", [False, True])
def test_a_call_in_the_hour_the_clocks_go_back_is_charged_once(api_client, phone,
                                                               sequenced_first):
    """02:30 on the last Sunday of October happens twice in Warsaw: the CDR's start (the
    exchange's zone) and the stored call's (UTC) are still the same moment."""
    end = datetime.datetime(2025, 10, 26, 2, 31, 35)
    bare = _file_line("dst.1", "48501234567", end, 90)  # 0.15/min 1/1 + 0.05: 0.28
    files = [[bare], [_new_columns(bare, 40)]]
    if sequenced_first:
        files.reverse()
    assert _api_upload(api_client, files[0])["rated"] == 1
    result = _api_upload(api_client, files[1])
    assert (result["rated"], result["already"]) == (0, 1)
    assert Call.objects.count() == 1


def test_a_file_uploaded_again_after_its_phone_moved_counts_its_lines_as_rated(
        api_client, phone, staff):
    """A channel's later line is stored under its start's key; found by that key again
    when the phone's customer is no longer the call's."""
    from customers.services import customer_create
    from voip.models import VoipPhone as Phone

    when = _local_now() - datetime.timedelta(hours=2)
    lines = [_file_line("u.1", "48223000500", when, 0),
             _file_line("u.1", "48223000500", when + datetime.timedelta(minutes=5), 60)]
    assert _api_upload(api_client, lines)["rated"] == 2
    charged = _charged()
    someone = customer_create(actor=staff, first_name="Ola", last_name="Nowa")
    Phone.objects.filter(pk=phone.pk).update(customer=someone)
    result = _api_upload(api_client, lines)
    assert (result["rated"], result["already"]) == (0, 2)
    assert Call.objects.count() == 2 and _charged() == charged
