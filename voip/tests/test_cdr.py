"""CDRs rated into calls: from a Master.csv file and from Asterisk's own ``cdr`` table —
once, even when the import runs twice or twice at once; free minutes, the amount limit
(the phone blocked) and the threshold (announced once) across calls of a period."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone

from core import events
from core.tenancy import tenant_context
from voip import cdr as cdr_import
from voip import services
from voip.models import BillingGroup, Call, PhoneUsage, PriceList, PriceRule, VoipPhone
from voip.routers import ASTERISK

from .conftest import BOTH, asterisk_rows, committed_range

pytestmark = pytest.mark.django_db

D = Decimal


def _prices():
    pl = BillingGroup.objects.create(name="Stacjonarne", code="pl")
    mobile = BillingGroup.objects.create(name="Komórkowe", code="mobile")
    old = PriceList.objects.create(name="2025", valid_from=datetime.date(2025, 1, 1))
    PriceRule.objects.create(price_list=old, prefix="48", billing_group=pl,
                             price_per_minute=D("1.00"))
    new = PriceList.objects.create(name="2026", valid_from=datetime.date(2026, 1, 1))
    PriceRule.objects.create(price_list=new, prefix="48", billing_group=pl,
                             price_per_minute=D("0.10"))
    PriceRule.objects.create(price_list=new, prefix="4850", billing_group=mobile,
                             price_per_minute=D("0.30"), first_increment=1, next_increment=1,
                             connection_fee=D("0.05"))
    return pl, mobile


@pytest.fixture
def phone(numbers_range, staff, customer):
    pl, _mobile = _prices()
    phone, _p = services.phone_create(
        actor=staff, customer=customer, numbers_range=numbers_range, free_minutes=1,
        free_minute_groups=[pl.pk], amount_limit="1.00", notify_threshold="0.50",
        free_numbers_count=1, free_numbers=["+48223999999"])
    return phone


def _line(unique_id, dst, start, billsec, src="48223000000", code=""):
    end = (datetime.datetime.fromisoformat(start) + datetime.timedelta(seconds=billsec + 5))
    return (f'"{code}","{src}","{dst}","default","""Jan"" <{src}>","PJSIP/{src}-00000001",'
            f'"PJSIP/trunk-00000002","Dial","PJSIP/{dst}@trunk","{start}","{start}",'
            f'"{end:%Y-%m-%d %H:%M:%S}",{billsec + 5},{billsec},"ANSWERED","DOCUMENTATION",'
            f'"{unique_id}",""')


# This month's calls (the amount limit blocks the phone in the period under way).
NOW = timezone.localdate().replace(day=1)
M = f"{NOW:%Y-%m}"
MONTH = [
    _line("1733390000.1", "223000500", f"{M}-01 10:00:00", 100),   # 60 s free + 60 s 0.10
    _line("1733390000.2", "+48501234567", f"{M}-01 11:00:00", 20),  # 0.10 + 0.05
    _line("1733390000.3", "0048223999999", f"{M}-01 12:00:00", 3600),  # a free number
    _line("1733390000.4", "48501234567", f"{M}-01 14:00:00", 100),  # 0.50 + 0.05: 0.80
    _line("1733390000.5", "48501234567", f"{M}-01 15:00:00", 60),   # 0.35: 1.15, limit
    _line("1733390000.6", "100", f"{M}-01 16:00:00", 30),           # an extension: free
    _line("1733390000.7", "48223000500", "2025-06-01 10:00:00", 120),  # the 2025 prices
]


@pytest.mark.django_db(databases=BOTH)
@pytest.mark.usefixtures("asterisk_db")
def test_a_month_of_calls_is_rated_and_explained(phone, django_capture_on_commit_callbacks):
    received = []

    def got(**data):
        received.append(data)

    events.subscribe("voip.threshold_crossed", got)
    try:
        cdrs = cdr_import.cdr_file_parse("\n".join(MONTH).encode())
        with django_capture_on_commit_callbacks(execute=True):
            result = cdr_import.calls_rate(tenant=phone.tenant, cdrs=cdrs)
    finally:
        events.unsubscribe("voip.threshold_crossed", got)
    assert (result.read, result.rated, result.no_rule, result.internal) == (7, 7, 0, 1)
    calls = {c.unique_id[-1]: c for c in Call.objects.all()}
    assert (calls["1"].free_seconds, calls["1"].billed_seconds, calls["1"].amount) == (
        60, 120, D("0.10"))
    assert calls["1"].destination == "48223000500" and calls["1"].reason == "priced"
    assert calls["2"].amount == D("0.15") and calls["2"].priced_by["prefix"] == "4850"
    assert calls["3"].reason == "free_number" and calls["3"].amount == 0
    assert calls["6"].reason == "internal" and calls["6"].destination == "100"
    assert calls["6"].amount == 0
    assert calls["7"].amount == D("1.00") and calls["7"].period == datetime.date(2025, 6, 1)
    november = PhoneUsage.objects.get(phone=phone, period=NOW)
    assert november.amount == D("1.15") and november.free_seconds_used == 60
    assert november.limit_reached and november.threshold_reached
    assert result.blocked == [phone.pk]  # once: June 2025 reached its limit, long gone
    assert PhoneUsage.objects.get(period=datetime.date(2025, 6, 1)).limit_reached
    assert VoipPhone.objects.get(pk=phone.pk).blocked_limit
    # blocked in the exchange too, and the threshold said once, at the call that reached it
    assert asterisk_rows("ps_endpoints")[0]["context"] == "zablokowany"
    assert [(e["amount"], e["number"]) for e in received] == [("0.80", "48223000000")]
    # and noted on the customer's card
    note, = phone.customer.annotations.filter(text__contains="+48223000000")
    assert "0,80" in note.text and "0,50" in note.text


def test_the_same_file_twice_rates_nothing_twice(phone):
    cdrs = cdr_import.cdr_file_parse("\n".join(MONTH[:2]).encode())
    cdr_import.calls_rate(tenant=phone.tenant, cdrs=cdrs)
    again = cdr_import.calls_rate(tenant=phone.tenant, cdrs=cdrs + cdrs)
    assert (again.rated, again.already) == (0, 4)
    assert Call.objects.count() == 2
    usage = PhoneUsage.objects.get(period=NOW)
    assert usage.amount == D("0.25") and usage.free_seconds_used == 60


@pytest.mark.parametrize(("data", "says"), [
    (b"\xff\xfe", "not UTF-8"),
    (b'"","48223000000","100"', "line 1: 3 columns"),
    (MONTH[0].replace(f"{M}-01 10:00:00", "03.11.2026", 1).encode(), "line 1: a date"),
    (MONTH[0].replace(",100,", ",-1,").encode(), "line 1"),
    ((MONTH[0] + "\n" + MONTH[1].replace('"1733390000.2"', '""')).encode(), "line 2"),
    (MONTH[0].replace(",100,", ",200000000,").encode(), "above a day"),  # no 3 M minutes
    (b'"' + b"x" * 200_000 + b'"', "line 1: not CSV"),  # past csv's field limit: no 500
])
def test_a_bad_cdr_file_is_refused_with_its_line(phone, data, says):
    with pytest.raises(cdr_import.CdrFileError, match=says):
        cdr_import.cdr_file_parse(data)


def test_another_tenants_phone_is_not_rated_here(phone, other_tenant):
    line = _line("1733390001.1", "48501234567", "2026-11-03 10:00:00", 30,
                 code=f"abonent-{other_tenant.pk}-{phone.pk}", src="48999000111")
    with tenant_context(other_tenant):
        result = cdr_import.calls_rate(tenant=other_tenant,
                                       cdrs=cdr_import.cdr_file_parse(line.encode()))
        assert result.unknown_phone == ["1733390001.1"] and not Call.objects.exists()
    assert not Call.objects.exists()


@pytest.mark.django_db(databases=BOTH)
@pytest.mark.usefixtures("asterisk_db")
def test_asterisks_cdr_table_is_read_incrementally(phone, tenant):
    code = f"abonent-{tenant.pk}-{phone.pk}"

    def cdr(unique_id, dst, start, billsec, account=code):
        with connections[ASTERISK].cursor() as cursor:
            cursor.execute(
                'INSERT INTO cdr (accountcode, src, dst, start, answer, "end", duration, '
                "billsec, disposition, uniqueid) VALUES (%s, '48223000000', %s, %s, %s, "
                "%s::timestamp + make_interval(secs => %s), %s, %s, 'ANSWERED', %s)",
                [account, dst, start, start, start, billsec, billsec, billsec, unique_id])

    cdr("a.1", "48501234567", "2026-11-03 10:00:00", 10)
    cdr("a.2", "48223000500", "2026-11-03 11:00:00", 30)
    cdr("x.1", "48223000500", "2026-11-03 11:00:00", 30, account="abonent-999999-1")
    first = cdr_import.cdr_import_asterisk(tenant=tenant)
    assert (first.rated, first.read) == (2, 2)  # the other tenant's CDR is not read
    assert cdr_import.cdr_import_asterisk(tenant=tenant).rated == 0
    cdr("a.3", "48501234567", "2026-11-03 12:00:00", 1)
    again = cdr_import.cdr_import_asterisk(tenant=tenant)
    assert again.rated == 1
    assert sorted(Call.objects.values_list("unique_id", flat=True)) == ["a.1", "a.2", "a.3"]
    # A CDR of the year 7143 (an exchange's clock gone wrong) is not rated and does not
    # move where the next import starts: a call that ends later is still read.
    cdr("z.1", "48501234567", "7143-01-01 10:00:00", 10)
    cdr("z.2", "48501234567", "1999-12-31 10:00:00", 10)
    far = cdr_import.cdr_import_asterisk(tenant=tenant)
    assert far.out_of_range == ["z.1"] and far.rated == 0  # 1999: before the look-back
    cdr("a.4", "48501234567", "2026-11-03 13:00:00", 1)
    assert cdr_import.cdr_import_asterisk(tenant=tenant).rated == 1


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_two_imports_at_once_rate_each_call_once(tenant, staff, asterisk_committed):
    customer, numbers_range = committed_range(tenant, staff, "+48223000000", "+48223000009")
    with tenant_context(tenant):
        _prices()
        services.phone_create(actor=staff, customer=customer, numbers_range=numbers_range,
                              amount_limit="100.00")
    cdrs = cdr_import.cdr_file_parse("\n".join(MONTH[:5]).encode())
    barrier, results = threading.Barrier(2), []

    def run():
        try:
            with tenant_context(tenant):
                barrier.wait(5)
                results.append(cdr_import.calls_rate(tenant=tenant, cdrs=cdrs))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r.rated for r in results) == [0, 5]
    with tenant_context(tenant):
        assert Call.objects.count() == 5
        usage = PhoneUsage.objects.get()
        assert usage.amount == sum(Call.objects.values_list("amount", flat=True))


@pytest.mark.django_db(databases=BOTH)
def test_a_recording_that_came_first_is_linked_when_its_call_is_rated(phone, tenant):
    from voip.models import Recording

    waiting = Recording.objects.create(unique_id="1733390000.2", path="abonent-x/a.wav",
                                       recorded_at=timezone.now())
    other = Recording.objects.create(unique_id="9999.1", path="abonent-x/b.wav",
                                     recorded_at=timezone.now())
    cdr_import.calls_rate(tenant=tenant, cdrs=cdr_import.cdr_file_parse(
        "\n".join(MONTH[:2]).encode()))
    waiting.refresh_from_db(), other.refresh_from_db()
    assert waiting.call == Call.objects.get(unique_id="1733390000.2")
    assert other.call_id is None
    assert Call.objects.get(unique_id="1733390000.2").customer_id == phone.customer_id


@pytest.mark.django_db(databases=BOTH)
def test_a_cdr_file_call_before_2000_is_not_rated(phone, tenant):
    line = _line("1733390009.1", "48501234567", "1999-12-31 10:00:00", 10)
    result = cdr_import.calls_rate(tenant=tenant, cdrs=cdr_import.cdr_file_parse(line.encode()))
    assert result.out_of_range == ["1733390009.1"] and not Call.objects.exists()


@pytest.mark.django_db(databases=BOTH)
@pytest.mark.usefixtures("asterisk_db")
def test_the_command_and_the_periodic_task_rate_each_tenants_new_cdrs_once(phone, tenant):
    import io

    from django.core.management import call_command

    from voip.tasks import cdr_import

    with connections[ASTERISK].cursor() as cursor:
        cursor.execute(
            'INSERT INTO cdr (accountcode, src, dst, start, answer, "end", duration, billsec, '
            "disposition, uniqueid) VALUES (%s, '48223000000', '48501234567', "
            "'2026-11-03 10:00:00', '2026-11-03 10:00:00', '2026-11-03 10:00:40', 40, 40, "
            "'ANSWERED', 'cmd.1')", [f"abonent-{tenant.pk}-{phone.pk}"])
    out = io.StringIO()
    call_command("voip_cdr_import", tenant=tenant.slug, stdout=out)
    assert f"[{tenant.slug}] read 1, rated 1" in out.getvalue()
    assert cdr_import() == 0  # the beat's run: nothing new
    assert Call.objects.get().unique_id == "cmd.1"


@pytest.mark.django_db(databases=BOTH)
@pytest.mark.usefixtures("asterisk_db")
def test_the_command_goes_on_past_a_failing_tenant_and_says_which(tenant, other_tenant,
                                                                  monkeypatch):
    import io

    from django.core.management import CommandError, call_command

    from voip import cdr

    done = []

    def import_or_fail(*, tenant):
        if tenant.slug == first.slug:
            raise RuntimeError("the exchange's table broke")
        done.append(tenant.slug)
        return cdr.ImportResult()

    first = min((tenant, other_tenant), key=lambda t: t.slug)
    second = max((tenant, other_tenant), key=lambda t: t.slug)
    monkeypatch.setattr(cdr, "cdr_import_asterisk", import_or_fail)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("voip_cdr_import", stdout=out, stderr=err)
    assert second.slug in done and first.slug not in done
    assert f"[{second.slug}] read 0, rated 0" in out.getvalue()
    assert f"[{first.slug}] failed: RuntimeError: the exchange's table broke" in err.getvalue()
    assert first.slug in str(raised.value)
