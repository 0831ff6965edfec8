"""The set-based paths the benchmark needs: CDRs from Asterisk's table rated over many
batches as in one (free minutes and the limit carried from batch to batch, the state
advanced only when every batch is rated), calls stored by COPY with their customer and
explanation, and many phones written to Asterisk's realtime tables at once."""

import datetime
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone

from core.tenancy import tenant_context
from voip import asterisk, services
from voip import cdr as cdr_import
from voip.models import Call, CdrImportState, PhoneUsage, VoipPhone
from voip.routers import ASTERISK

from .conftest import BOTH, asterisk_rows
from .test_cdr import _prices

pytestmark = [pytest.mark.django_db(databases=BOTH), pytest.mark.usefixtures("asterisk_db")]

D = Decimal
MONTH = timezone.localdate().replace(day=1)


@pytest.fixture
def phones(numbers_range, staff, customer):
    """Two phones: the first with a minute free on landlines and a limit of 1.00 zł."""
    pl, _mobile = _prices()
    one, _p = services.phone_create(actor=staff, customer=customer, numbers_range=numbers_range,
                                    free_minutes=1, free_minute_groups=[pl.pk],
                                    amount_limit="1.00")
    two, _p = services.phone_create(actor=staff, customer=customer, numbers_range=numbers_range)
    return one, two


def _cdr(phone, unique_id, dst, minute, billsec, tenant_id=None):
    """A CDR of ``phone`` in Asterisk's table: this month's first day, 10:``minute``."""
    start = datetime.datetime.combine(MONTH, datetime.time(10, minute))
    code = asterisk.accountcode(tenant_id or phone.tenant_id, phone.pk)
    with connections[ASTERISK].cursor() as cursor:
        cursor.execute(
            'INSERT INTO cdr (accountcode, src, dst, start, answer, "end", duration, billsec, '
            "disposition, uniqueid) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'ANSWERED', %s)",
            [code, str(phone.number.number), dst, start, start,
             start + datetime.timedelta(seconds=billsec), billsec, billsec, unique_id])
    return start + datetime.timedelta(seconds=billsec)


def _month_of_calls(one, two):
    # one: 60 s free + 60 s at 0.10; then 0.10 + 0.05 (mobile); then 0.50 + 0.05 and 0.35:
    # 1.15, over the limit of 1.00 at its fourth call. two: 0.20.
    ends = [_cdr(one, "b.1", "48223000500", 1, 100), _cdr(two, "b.2", "48223000500", 2, 120),
            _cdr(one, "b.3", "+48501234567", 3, 20), _cdr(one, "b.4", "48501234567", 4, 100),
            _cdr(one, "b.5", "48501234567", 5, 60), _cdr(one, "b.6", "100", 6, 30)]
    return max(ends)


@pytest.mark.parametrize("batch", [1, 2, 3, 1000])
def test_batches_rate_as_one(phones, tenant, monkeypatch, batch):
    one, two = phones
    last_end = _month_of_calls(one, two)
    monkeypatch.setattr(cdr_import, "BATCH", batch)
    result = cdr_import.cdr_import_asterisk(tenant=tenant)
    # b.6 dialled the extension 100: internal, never priced as a country
    assert (result.read, result.rated, result.internal, result.already) == (6, 6, 1, 0)
    assert result.no_rule == 0
    assert result.amount == D("1.35") and result.blocked == [one.pk]
    amounts = dict(Call.objects.values_list("unique_id", "amount"))
    assert amounts == {"b.1": D("0.10"), "b.2": D("0.20"), "b.3": D("0.15"),
                       "b.4": D("0.55"), "b.5": D("0.35"), "b.6": D("0")}
    usage = PhoneUsage.objects.get(phone=one, period=MONTH)
    assert (usage.amount, usage.free_seconds_used, usage.limit_reached) == (
        D("1.15"), 60, True)
    assert PhoneUsage.objects.get(phone=two).amount == D("0.20")
    assert VoipPhone.objects.get(pk=one.pk).blocked_limit
    assert CdrImportState.objects.get().last_end == timezone.make_aware(last_end)
    again = cdr_import.cdr_import_asterisk(tenant=tenant)
    assert (again.rated, again.already) == (0, 6)


def test_a_call_keeps_its_customer_and_its_explanation(phones, tenant):
    one, _two = phones
    _cdr(one, "c.1", "0048501234567", 1, 20)
    cdr_import.cdr_import_asterisk(tenant=tenant)
    call = Call.objects.get()
    assert call.customer_id == one.customer_id and call.phone_id == one.pk
    assert call.priced_by == {"prefix": "4850", "group": "mobile",
                              "price_per_minute": "0.3000", "increments": "1/1",
                              "connection_fee": "0.0500"}
    assert call.destination == "48501234567" and call.started_at.tzinfo is not None


def test_an_import_failing_midway_is_taken_up_again_without_rating_twice(
        phones, tenant, monkeypatch):
    one, two = phones
    _month_of_calls(one, two)
    monkeypatch.setattr(cdr_import, "BATCH", 2)
    real, calls = cdr_import._rate, []

    def failing(run, cdrs, **kw):
        calls.append(len(cdrs))
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real(run, cdrs, **kw)

    monkeypatch.setattr(cdr_import, "_rate", failing)
    with pytest.raises(RuntimeError):
        cdr_import.cdr_import_asterisk(tenant=tenant)
    rated_first = Call.objects.count()
    assert rated_first == 2
    # The state did not move past CDRs not rated yet: the next import finds them.
    assert not CdrImportState.objects.filter(last_end__isnull=False).exists()
    monkeypatch.setattr(cdr_import, "_rate", real)
    result = cdr_import.cdr_import_asterisk(tenant=tenant)
    assert (result.rated, result.already) == (4, 2)
    assert Call.objects.count() == 6
    assert PhoneUsage.objects.get(phone=one, period=MONTH).amount == D("1.15")


def test_another_tenants_cdrs_and_unknown_phones_are_not_rated(phones, tenant, other_tenant):
    one, _two = phones
    _cdr(one, "d.1", "48223000500", 1, 30, tenant_id=other_tenant.pk)
    gone = VoipPhone(pk=one.pk + 1000, tenant_id=tenant.pk, number=one.number)
    _cdr(gone, "d.2", "48223000500", 2, 30)
    result = cdr_import.cdr_import_asterisk(tenant=tenant)
    assert (result.read, result.rated, result.unknown_phone) == (1, 0, ["d.2"])
    assert not Call.objects.exists()
    with tenant_context(other_tenant):
        assert not Call.objects.exists()


# --------------------------------------------------------------------------- provisioning

def _many(staff, customer, numbers_range, count, **kw):
    return [services.phone_create(actor=staff, customer=customer,
                                  numbers_range=numbers_range, **kw)[0]
            for _i in range(count)]


def test_many_phones_are_written_at_once_and_a_retry_changes_nothing(
        numbers_range, staff, customer, tenant, monkeypatch):
    monkeypatch.setattr(asterisk, "WRITE_CHUNK", 2)
    plain = _many(staff, customer, numbers_range, 3)
    boxed = _many(staff, customer, numbers_range, 2, voicemail_pin="2468")
    rows = [asterisk.phone_rows(p) for p in plain + boxed]
    # 5 endpoints, auths and AORs, 2 mailboxes
    assert asterisk.rows_write_many(rows) == 17
    assert asterisk.rows_write_many(rows) == 0
    assert len(asterisk_rows("ps_endpoints")) == 5 and len(asterisk_rows("voicemail")) == 2
    services.phone_update(actor=staff, phone=boxed[0], voicemail_pin="")
    services.phone_update(actor=staff, phone=plain[0], voicemail_pin="1357", context="premium")
    changed = [asterisk.phone_rows(VoipPhone.objects.get(pk=p.pk)) for p in plain + boxed]
    # plain[0]: endpoint (context, mailbox), AOR (mailbox), a mailbox; boxed[0]: endpoint,
    # AOR, its mailbox removed
    assert asterisk.rows_write_many(changed) == 6
    boxes = {b["mailbox"]: b["password"] for b in asterisk_rows("voicemail")}
    assert boxes == {"48223000000": "1357", "48223000004": "2468"}
    assert asterisk.rows_write_many(changed) == 0


def test_an_endpoint_another_account_holds_stops_the_bulk_writing_there(
        numbers_range, staff, customer, tenant, monkeypatch):
    monkeypatch.setattr(asterisk, "WRITE_CHUNK", 2)
    phones = _many(staff, customer, numbers_range, 4)
    with connections[ASTERISK].cursor() as cursor:  # written by hand on the exchange
        cursor.execute("INSERT INTO ps_endpoints (id, context, accountcode) "
                       "VALUES ('48223000002', 'reczny', 'admin')")
    rows = [asterisk.phone_rows(VoipPhone.objects.get(pk=p.pk)) for p in phones]
    with pytest.raises(asterisk.ProvisionConflict, match="48223000002 belongs to admin"):
        asterisk.rows_write_many(rows)
    held = {r["id"]: r["context"] for r in asterisk_rows("ps_endpoints")}
    assert held == {"48223000000": "default", "48223000001": "default",
                    "48223000002": "reczny"}
    assert [r["id"] for r in asterisk_rows("ps_auths")] == ["48223000000", "48223000001"]


def test_the_reconcile_writes_around_a_held_endpoint_and_removes_first(
        numbers_range, staff, customer, tenant, monkeypatch):
    monkeypatch.setattr(asterisk, "WRITE_CHUNK", 2)
    phones = _many(staff, customer, numbers_range, 4)
    with connections[ASTERISK].cursor() as cursor:
        cursor.execute("INSERT INTO ps_endpoints (id, context, accountcode) "
                       "VALUES ('48223000002', 'reczny', 'admin')")
        # a phone removed in Abonent whose rows stayed on the exchange
        cursor.execute("INSERT INTO ps_endpoints (id, context, accountcode, tenantid) "
                       "VALUES ('48223000009', 'default', %s, %s)",
                       [f"abonent-{tenant.pk}-999999", f"abonent-{tenant.pk}"])
    result = asterisk.phones_reconcile(tenant)
    assert result.conflicts == [("48223000002", "admin")]
    assert result.removed == ["48223000009"]
    held = {r["id"]: r["context"] for r in asterisk_rows("ps_endpoints")}
    assert held == {"48223000000": "default", "48223000001": "default",
                    "48223000002": "reczny", "48223000003": "default"}
    refused = VoipPhone.objects.get(number__number=48223000002)
    assert "belongs to admin" in refused.provision_error and refused.provisioned_at is None
    assert len(phones) == 4
