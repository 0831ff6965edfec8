"""Prepaid phones: calls taken off a balance topped up in advance, the phone blocked at
zero and unblocked by a top-up; never invoiced. And the amount limit's block lifted when
a new billing period starts (or the limit is raised)."""

import datetime
import threading
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Sum
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from core.models import ActionLog
from core.services import tenant_setting_set
from core.tenancy import tenant_context
from finance import billing as finance_billing
from finance.models import FinanceDocument
from finance.money import VAT_RATES, round_grosz, vat_summary
from voip import cdr as cdr_import
from voip import services
from voip.models import Call, PhoneUsage, PrepaidEntry, VoipPhone

from .conftest import BOTH, asterisk_rows, committed_range
from .test_cdr import _line, _prices

pytestmark = pytest.mark.django_db

D = Decimal
NOW = timezone.localdate().replace(day=1)
M = f"{NOW:%Y-%m}"


def _calls(*lines):
    return cdr_import.cdr_file_parse("\n".join(lines).encode())


@pytest.fixture
def prepaid(numbers_range, staff, customer):
    _prices()  # 48: 0.10/min 60/60; 4850: 0.30/min 1/1 + 0.05
    return services.phone_create(actor=staff, customer=customer, numbers_range=numbers_range,
                                 billing_type="prepaid")[0]


def _reload(phone):
    return VoipPhone.objects.get(pk=phone.pk)


def test_a_new_prepaid_phone_is_blocked_until_topped_up_and_the_top_up_is_invoiced(
        prepaid, staff):
    assert prepaid.blocked_prepaid and prepaid.blocked and prepaid.prepaid_balance == 0
    entry = services.prepaid_entry_add(actor=staff, phone=prepaid, amount="20,00",
                                       reference="KP/2026/12/7")
    phone = _reload(prepaid)
    assert phone.prepaid_balance == D("20.00") and not phone.blocked_prepaid
    assert (entry.balance_after, entry.number, entry.customer_id) == (
        D("20.00"), phone.number.number, phone.customer_id)
    # sold to the customer: an invoice of 20.00 gross at the calls' VAT rate (23 %)
    invoice = FinanceDocument.objects.get(kind="invoice", customer=phone.customer)
    assert entry.invoice_id == invoice.pk and invoice.debit == D("20.00")
    line = invoice.lines.get()
    assert (line.vat_rate, line.net, line.gross) == ("23", D("16.26"), D("20.00"))
    assert "+48223000000" in line.name
    logged = ActionLog.objects.filter(kind="voipphone.prepaid").get()
    assert "+48223000000" in logged.text and "20.00" in logged.text
    assert invoice.number in logged.text


@pytest.mark.django_db(databases=BOTH)
@pytest.mark.usefixtures("asterisk_db")
def test_calls_use_up_the_balance_block_the_phone_and_a_top_up_lifts_it(
        prepaid, staff, django_capture_on_commit_callbacks):
    # The balance is money paid gross (the top-up's invoice): a call takes its net price
    # plus the calls' VAT (23 %) off it, to the grosz per call.
    services.prepaid_entry_add(actor=staff, phone=prepaid, amount="1.20")
    with django_capture_on_commit_callbacks(execute=True):
        result = cdr_import.calls_rate(tenant=prepaid.tenant, cdrs=_calls(
            _line("p.1", "48501234567", f"{M}-01 10:00:00", 100),  # 0.55 net: 0.68 gross
            _line("p.2", "48501234567", f"{M}-01 11:00:00", 60),   # 0.35: 0.43, 0.09 left
            _line("p.3", "48501234567", f"{M}-01 12:00:00", 60)))  # 0.43: -0.34, blocked
    assert result.exhausted == [prepaid.pk] and result.rated == 3
    phone = _reload(prepaid)
    # charged in full: the exchange let the call through
    assert phone.prepaid_balance == D("-0.34") and phone.blocked_prepaid
    assert set(Call.objects.values_list("prepaid", flat=True)) == {True}
    # the call keeps its net amount, as the call list shows every call
    assert sorted(Call.objects.values_list("amount", flat=True)) == [
        D("0.35"), D("0.35"), D("0.55")]
    assert asterisk_rows("ps_endpoints")[0]["context"] == "zablokowany"
    # a late CDR of a call made before the block reached the exchange: charged too, and
    # the phone is not blocked a second time
    result = cdr_import.calls_rate(tenant=prepaid.tenant, cdrs=_calls(
        _line("p.4", "48223000500", f"{M}-01 12:30:00", 30)))  # 0.10 net: 0.12
    assert result.exhausted == [] and _reload(prepaid).prepaid_balance == D("-0.46")
    # 0.46 owed: a top-up of 0.46 brings it to zero — still nothing to call with
    services.prepaid_entry_add(actor=staff, phone=prepaid, amount="0.46")
    assert _reload(prepaid).blocked_prepaid
    with django_capture_on_commit_callbacks(execute=True):
        services.prepaid_entry_add(actor=staff, phone=prepaid, amount="0.01")
    phone = _reload(prepaid)
    assert phone.prepaid_balance == D("0.01") and not phone.blocked
    assert asterisk_rows("ps_endpoints")[0]["context"] == "default"
    # the balance is what was put in less what the calls cost gross, to the grosz per call
    put_in = PrepaidEntry.objects.aggregate(s=Sum("amount"))["s"]
    spent = sum(round_grosz(a * D("1.23")) for a in Call.objects.values_list("amount",
                                                                              flat=True))
    assert put_in - spent == phone.prepaid_balance


def test_prepaid_calls_are_never_invoiced_and_postpaid_ones_still_are(
        prepaid, staff, customer, numbers_range):
    postpaid, _p = services.phone_create(actor=staff, customer=customer,
                                         numbers_range=numbers_range)
    top_up = services.prepaid_entry_add(actor=staff, phone=prepaid, amount="10.00")
    last_month = (NOW - datetime.timedelta(days=1)).replace(day=1)
    day = f"{last_month:%Y-%m}-10 10:00:00"
    cdr_import.calls_rate(tenant=prepaid.tenant, cdrs=_calls(
        _line("q.1", "48501234567", day, 60),                      # prepaid: 0.35
        _line("q.2", "48501234567", day, 60, src="48223000001")))  # postpaid: 0.35
    finance_billing.billing_run(run_date=timezone.localdate(), actor=staff)
    [invoice] = FinanceDocument.objects.filter(customer=customer, kind="invoice").exclude(
        pk=top_up.invoice_id)  # the top-up's own invoice aside
    assert (invoice.lines.get().net, invoice.debit) == (D("0.35"), D("0.43"))
    assert Call.objects.get(unique_id="q.1").invoice_id is None
    assert Call.objects.get(unique_id="q.2").invoice_id == invoice.pk
    # The same call costs both customers the same: the postpaid one pays 0.43 gross on
    # the invoice, the prepaid one has 0.43 taken off a balance bought gross (not the net
    # 0.35, which would make prepaid calls 23 % cheaper).
    assert _reload(prepaid).prepaid_balance == D("10.00") - invoice.debit == D("9.57")
    assert Call.objects.get(unique_id="q.1").amount == D("0.35")  # net, as on call lists


def test_a_prepaid_call_takes_its_gross_at_the_calls_vat_rate_rounded_half_up(
        prepaid, staff, in_tenant):
    services.prepaid_entry_add(actor=staff, phone=prepaid, amount="10.00")
    cdr_import.calls_rate(tenant=prepaid.tenant, cdrs=_calls(
        _line("g.1", "48223000500", f"{M}-01 10:00:00", 900)))  # 15 min × 0.10 = 1.50 net
    # 1.50 × 1.23 = 1.845: half up to 1.85, as finance rounds (never to the even 1.84)
    assert _reload(prepaid).prepaid_balance == D("8.15")
    assert Call.objects.get(unique_id="g.1").amount == D("1.50")
    # the tenant's VAT rate of calls decides it (the rate its top-ups are invoiced at)
    tenant_setting_set(actor=staff, key="voip.vat_rate", raw_value="8")
    cdr_import.calls_rate(tenant=prepaid.tenant, cdrs=_calls(
        _line("g.2", "48501234567", f"{M}-01 11:00:00", 60)))  # 0.35 net × 1.08 = 0.378
    assert _reload(prepaid).prepaid_balance == D("8.15") - D("0.38")
    top_up = services.prepaid_entry_add(actor=staff, phone=prepaid, amount="10.80")
    assert top_up.invoice.lines.get().vat_rate == "8"


def test_rating_takes_the_gross_off_the_balance_and_counts_net_for_the_limit():
    from voip import rating

    prices = rating.PriceList([rating.Rule(1, "48", "pl", D("0.10"), 60, 60)])
    allowance = rating.Allowance(amount_limit=D("0.20"), notify_threshold=D("0.10"))
    usage, balance = rating.Usage(), rating.Balance(left=D("0.20"), vat_rate="23")
    first = rating.rate(destination="48223000500", seconds=60, prices=prices,
                        allowance=allowance, usage=usage, balance=balance)
    # net 0.10 on the call and in the period's total; 0.12 gross off the balance
    assert (first.amount, first.charged, usage.amount, balance.left) == (
        D("0.10"), D("0.12"), D("0.10"), D("0.08"))
    assert first.threshold_crossed and not first.limit_reached  # 0.10 net ≥ 0.10
    assert not first.balance_exhausted
    second = rating.rate(destination="48223000500", seconds=60, prices=prices,
                         allowance=allowance, usage=usage, balance=balance)
    # the limit, 0.20, is reached by the net total (0.20), though 0.24 left the balance
    assert second.limit_reached and usage.amount == D("0.20")
    assert second.balance_exhausted and balance.left == D("-0.04")
    postpaid = rating.rate(destination="48223000500", seconds=60, prices=prices,
                           allowance=rating.Allowance(), usage=rating.Usage())
    assert (postpaid.amount, postpaid.charged) == (D("0.10"), D("0"))
    with pytest.raises(TypeError):
        rating.Balance(left=D("1"))  # no VAT rate: a net price would be taken off


@given(cents=st.integers(min_value=0, max_value=10**9),
       vat_rate=st.sampled_from(sorted(VAT_RATES)))
def test_a_prepaid_call_costs_what_an_invoice_of_it_alone_would(cents, vat_rate):
    from voip import rating

    net = D(cents) / 100
    assert rating.prepaid_charge(net, vat_rate) == vat_summary([(vat_rate, net)])[
        vat_rate].gross


def test_the_amount_limit_of_a_prepaid_phone_counts_the_calls_net(numbers_range, staff,
                                                                  customer):
    _prices()
    phone, _p = services.phone_create(actor=staff, customer=customer,
                                      numbers_range=numbers_range, billing_type="prepaid",
                                      amount_limit="0.40")
    services.prepaid_entry_add(actor=staff, phone=phone, amount="5.00")
    cdr_import.calls_rate(tenant=phone.tenant, cdrs=_calls(
        _line("n.1", "48501234567", f"{M}-01 10:00:00", 60)))  # 0.35 net, 0.43 gross
    # the limit is of the period's net total (as the phone window and the customer's
    # notice show it): 0.35 < 0.40, though 0.43 left the balance
    phone = _reload(phone)
    assert not phone.blocked_limit and phone.prepaid_balance == D("4.57")
    assert PhoneUsage.objects.get(phone=phone, period=NOW).amount == D("0.35")


@pytest.mark.parametrize(("amount", "kind", "note", "field"), [
    ("0", "top_up", "", "amount"),
    ("0.00", "correction", "refund", "amount"),
    ("-5", "top_up", "", "amount"),          # money off is a correction
    ("1e3", "top_up", "", "amount"),
    ("NaN", "top_up", "", "amount"),
    ("Infinity", "top_up", "", "amount"),
    ("1.005", "top_up", "", "amount"),       # past the grosz
    ("10000.01", "top_up", "", "amount"),    # a typo, not a payment
    ("abc", "top_up", "", "amount"),
    ("-5", "correction", "", "note"),        # a correction says why
    ("5", "gift", "", "kind"),
])
def test_a_bad_top_up_is_refused_and_changes_nothing(prepaid, staff, amount, kind, note, field):
    with pytest.raises(ValidationError) as refused:
        services.prepaid_entry_add(actor=staff, phone=prepaid, amount=amount, kind=kind,
                                   note=note)
    assert field in refused.value.message_dict
    assert not PrepaidEntry.objects.exists() and _reload(prepaid).prepaid_balance == 0


def test_a_correction_takes_money_off_and_blocks_at_zero(prepaid, staff):
    services.prepaid_entry_add(actor=staff, phone=prepaid, amount="5.00")
    entry = services.prepaid_entry_add(actor=staff, phone=prepaid, amount="-5.00",
                                       kind="correction", note="refund at the desk")
    phone = _reload(prepaid)
    assert entry.balance_after == 0 and phone.blocked_prepaid
    assert entry.invoice_id is None  # no sale: the accountant corrects the invoice
    assert FinanceDocument.objects.filter(kind="invoice").count() == 1
    logged = ActionLog.objects.filter(kind="voipphone.prepaid").first()
    assert "refund at the desk" in logged.text  # the why, in the log


def test_a_postpaid_phone_has_no_balance(numbers_range, staff, customer):
    phone, _p = services.phone_create(actor=staff, customer=customer, numbers_range=numbers_range)
    with pytest.raises(ValidationError, match="postpaid"):
        services.prepaid_entry_add(actor=staff, phone=phone, amount="5.00")
    assert not phone.blocked and not PrepaidEntry.objects.exists()


def test_a_balance_must_be_zero_to_change_billing_type_or_remove_the_phone(prepaid, staff):
    services.prepaid_entry_add(actor=staff, phone=prepaid, amount="5.00")
    with pytest.raises(ValidationError) as refused:
        services.phone_update(actor=staff, phone=prepaid, billing_type="postpaid")
    assert "5.00" in str(refused.value.message_dict["billing_type"])
    with pytest.raises(ValidationError, match="5.00"):
        services.phone_remove(actor=staff, phone=prepaid)
    services.prepaid_entry_add(actor=staff, phone=prepaid, amount="-5.00", kind="correction",
                               note="refund")
    phone = services.phone_update(actor=staff, phone=prepaid, billing_type="postpaid")
    assert phone.billing_type == "postpaid" and not phone.blocked_prepaid
    # and back: prepaid with nothing on it is blocked again
    phone = services.phone_update(actor=staff, phone=phone, billing_type="prepaid")
    assert phone.blocked_prepaid
    services.phone_remove(actor=staff, phone=phone)
    assert PrepaidEntry.objects.count() == 2  # the history stays, without its phone
    assert set(PrepaidEntry.objects.values_list("phone", flat=True)) == {None}


def test_the_same_top_up_sent_twice_is_entered_once(prepaid, staff, numbers_range, customer):
    token = uuid.uuid4()
    first = services.prepaid_entry_add(actor=staff, phone=prepaid, amount="7.00",
                                       request_token=token)
    again = services.prepaid_entry_add(actor=staff, phone=prepaid, amount="7,00",
                                       request_token=token)
    assert again.pk == first.pk and _reload(prepaid).prepaid_balance == D("7.00")
    assert FinanceDocument.objects.filter(kind="invoice").count() == 1
    # the token sent with another phone or amount is not taken for the first entry
    other, _p = services.phone_create(actor=staff, customer=customer,
                                      numbers_range=numbers_range, billing_type="prepaid")
    for phone, amount in ((other, "7.00"), (prepaid, "70.00")):
        with pytest.raises(ValidationError, match="already used"):
            services.prepaid_entry_add(actor=staff, phone=phone, amount=amount,
                                       request_token=token)
    assert _reload(other).prepaid_balance == 0 and PrepaidEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_a_top_up_twice_at_once_with_one_token_is_entered_once(tenant, staff,
                                                                asterisk_committed):
    customer, numbers_range = committed_range(tenant, staff, "+48223000000", "+48223000009")
    with tenant_context(tenant):
        phone, _p = services.phone_create(actor=staff, customer=customer,
                                          numbers_range=numbers_range, billing_type="prepaid")
    token, barrier, entries, errors = uuid.uuid4(), threading.Barrier(2), [], []

    def run():
        try:
            with tenant_context(tenant):
                barrier.wait(5)
                entries.append(services.prepaid_entry_add(
                    actor=staff, phone=phone, amount="7.00", request_token=token).pk)
        except Exception as exc:  # noqa: BLE001 — the assertion below names it
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and len(set(entries)) == 1
    with tenant_context(tenant):
        assert PrepaidEntry.objects.count() == 1
        assert _reload(phone).prepaid_balance == D("7.00")


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_a_top_up_while_calls_are_rated_loses_neither(tenant, staff, asterisk_committed):
    customer, numbers_range = committed_range(tenant, staff, "+48223000000", "+48223000009")
    with tenant_context(tenant):
        _prices()
        phone, _p = services.phone_create(actor=staff, customer=customer,
                                          numbers_range=numbers_range, billing_type="prepaid")
        services.prepaid_entry_add(actor=staff, phone=phone, amount="10.00")
    cdrs = _calls(*[_line(f"r.{i}", "48501234567", f"{M}-01 1{i}:00:00", 60)
                    for i in range(5)])  # 5 × 0.35
    barrier = threading.Barrier(2)

    def rate():
        try:
            with tenant_context(tenant):
                barrier.wait(5)
                cdr_import.calls_rate(tenant=tenant, cdrs=cdrs)
        finally:
            connections.close_all()

    def top_up():
        try:
            with tenant_context(tenant):
                barrier.wait(5)
                services.prepaid_entry_add(actor=staff, phone=phone, amount="3.00")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=rate), threading.Thread(target=top_up)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    with tenant_context(tenant):
        # each call 0.35 net, 0.43 gross off the balance
        assert _reload(phone).prepaid_balance == D("10.00") + D("3.00") - 5 * D("0.43")


def test_the_amount_limit_block_is_lifted_in_a_new_period(numbers_range, staff, customer,
                                                          monkeypatch):
    _prices()
    phone, _p = services.phone_create(actor=staff, customer=customer,
                                      numbers_range=numbers_range, amount_limit="0.30")
    cdr_import.calls_rate(tenant=phone.tenant, cdrs=_calls(
        _line("l.1", "48501234567", f"{M}-01 10:00:00", 60)))  # 0.35 ≥ 0.30
    assert _reload(phone).blocked_limit
    assert services.phones_limit_follow() == 0  # the period is still under way
    next_month = (NOW + datetime.timedelta(days=32)).replace(day=1)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: next_month)
    assert services.phones_limit_follow() == 1
    assert not _reload(phone).blocked_limit
    assert ActionLog.objects.filter(kind="voipphone.block", customer=customer).exists()


def test_a_block_or_unblock_by_hand_holds_for_the_period(numbers_range, staff, customer,
                                                         monkeypatch):
    _prices()
    phone, _p = services.phone_create(actor=staff, customer=customer,
                                      numbers_range=numbers_range, amount_limit="0.30")
    cdr_import.calls_rate(tenant=phone.tenant, cdrs=_calls(
        _line("u.1", "48501234567", f"{M}-01 10:00:00", 60)))  # 0.35: blocked
    services.phone_block_set(actor=staff, phone=phone, limit=False)  # staff let it call
    phone = services.phone_update(actor=staff, phone=phone, voicemail_email="a@b.pl")
    assert not phone.blocked_limit  # an unrelated edit does not block it again
    cdr_import.calls_rate(tenant=phone.tenant, cdrs=_calls(
        _line("u.2", "48501234567", f"{M}-01 11:00:00", 60)))
    assert not _reload(phone).blocked_limit  # nor the next call of the period
    # blocked by hand (no limit reached): kept within the period, lifted in the next
    other, _p = services.phone_create(actor=staff, customer=customer,
                                      numbers_range=numbers_range)
    services.phone_block_set(actor=staff, phone=other, limit=True)
    assert services.phones_limit_follow() == 0 and _reload(other).blocked_limit
    next_month = (NOW + datetime.timedelta(days=32)).replace(day=1)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: next_month)
    assert services.phones_limit_follow() == 1 and not _reload(other).blocked_limit


def test_a_billing_type_changed_while_an_import_runs_is_followed(prepaid, staff, tenant):
    run = cdr_import._Run(tenant)
    cdr_import._rate(run, _calls(_line("t.1", "100", f"{M}-01 09:00:00", 60)))  # no price
    phone = services.phone_update(actor=staff, phone=prepaid, billing_type="postpaid")
    assert not phone.blocked_prepaid
    cdr_import._rate(run, _calls(_line("t.2", "48501234567", f"{M}-01 10:00:00", 60)))
    call = Call.objects.get(unique_id="t.2")
    assert call.amount == D("0.35") and not call.prepaid  # on the invoice, as postpaid now
    phone = _reload(phone)
    assert phone.prepaid_balance == 0 and not phone.blocked


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_a_phone_changed_while_its_calls_are_rated_waits_not_deadlocks(
        tenant, staff, asterisk_committed, monkeypatch):
    customer, numbers_range = committed_range(tenant, staff, "+48223000000", "+48223000009")
    with tenant_context(tenant):
        _prices()
        phone, _p = services.phone_create(actor=staff, customer=customer,
                                          numbers_range=numbers_range, billing_type="prepaid")
        services.prepaid_entry_add(actor=staff, phone=phone, amount="10.00")
    phones_locked, errors = threading.Event(), []
    usages_lock = cdr_import._usages_lock

    def slow_usages_lock(*args, **kwargs):  # the import holds the phone, then the usage
        phones_locked.set()
        import time
        time.sleep(0.5)
        return usages_lock(*args, **kwargs)

    monkeypatch.setattr(cdr_import, "_usages_lock", slow_usages_lock)

    def rate():
        try:
            with tenant_context(tenant):
                cdr_import.calls_rate(tenant=tenant, cdrs=_calls(
                    _line("d.1", "48501234567", f"{M}-01 10:00:00", 60)))
        except Exception as exc:  # noqa: BLE001 — the assertion below names it
            errors.append(exc)
        finally:
            connections.close_all()

    def change():
        try:
            phones_locked.wait(5)
            with tenant_context(tenant):  # the phone first, then its usage row
                services.phone_update(actor=staff, phone=phone, amount_limit="50.00")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=rate), threading.Thread(target=change)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    with tenant_context(tenant):
        phone = _reload(phone)
        # 0.35 net, 0.43 gross off the balance
        assert phone.amount_limit == D("50.00") and phone.prepaid_balance == D("9.57")


def test_raising_the_limit_lifts_the_block_and_lowering_it_blocks(numbers_range, staff,
                                                                  customer):
    _prices()
    phone, _p = services.phone_create(actor=staff, customer=customer,
                                      numbers_range=numbers_range, amount_limit="0.30")
    cdr_import.calls_rate(tenant=phone.tenant, cdrs=_calls(
        _line("m.1", "48501234567", f"{M}-01 10:00:00", 60)))  # 0.35
    phone = services.phone_update(actor=staff, phone=phone, amount_limit="1.00")
    assert not phone.blocked_limit
    assert not PhoneUsage.objects.get(phone=phone, period=NOW).limit_reached
    phone = services.phone_update(actor=staff, phone=phone, amount_limit="0.35")
    assert phone.blocked_limit  # reached: 0.35 ≥ 0.35
    phone = services.phone_update(actor=staff, phone=phone, amount_limit="")
    assert not phone.blocked_limit  # no limit


def test_the_prepaid_entries_of_another_tenant_are_not_seen(prepaid, staff, other_tenant):
    services.prepaid_entry_add(actor=staff, phone=prepaid, amount="5.00")
    with tenant_context(other_tenant):
        assert not PrepaidEntry.objects.exists()
        assert not VoipPhone.objects.filter(pk=prepaid.pk).exists()


# --------------------------------------------------------------------------- pages, API

def test_the_phone_window_tops_up_and_shows_the_entries(client, staff, prepaid):
    from django.urls import reverse

    client.force_login(staff)
    url = reverse("voip:phone_window", args=[prepaid.customer_id, prepaid.pk])
    page = client.get(url).content.decode()
    assert "prepaid balance used up" in page and "0.00 zł" in page
    post = reverse("voip:phone_prepaid_add", args=[prepaid.customer_id, prepaid.pk])
    token = str(uuid.uuid4())
    data = {"kind": "top_up", "amount": "25,50", "reference": "KP/7", "request_token": token}
    assert client.post(post, data).status_code == 302
    assert client.post(post, data).status_code == 302  # sent twice: entered once
    page = client.get(url).content.decode()
    assert "25.50 zł" in page and "KP/7" in page and "prepaid balance used up" not in page
    assert PrepaidEntry.objects.count() == 1
    refused = client.post(post, {"kind": "top_up", "amount": "-3", "request_token": token[:-1]
                                 + "0"})
    assert refused.status_code == 400
    assert "correction" in refused.content.decode()
    assert _reload(prepaid).prepaid_balance == D("25.50")


def test_another_tenants_phone_cannot_be_topped_up(client, other_staff, prepaid, other_tenant):
    from django.urls import reverse

    client.force_login(other_staff)
    post = reverse("voip:phone_prepaid_add", args=[prepaid.customer_id, prepaid.pk])
    response = client.post(post, {"kind": "top_up", "amount": "5",
                                  "request_token": str(uuid.uuid4())})
    assert response.status_code == 404
    assert _reload(prepaid).prepaid_balance == 0


def test_the_api_tops_up_lists_entries_and_only_the_accountant_corrects(
        api_client, prepaid, tenant, django_assert_num_queries):
    from conftest import make_staff, token_client
    from core.roles import Role

    url = f"/api/v1/voip/phones/{prepaid.pk}/prepaid-entries/"
    response = api_client.post(url, {"amount": "12.00", "reference": "przelew 1"},
                               format="json")
    assert response.status_code == 201, response.content
    assert response.json()["balance_after"] == "12.00"
    phone = api_client.get(f"/api/v1/voip/phones/{prepaid.pk}/").json()
    assert (phone["prepaid_balance"], phone["blocked_prepaid"]) == ("12.00", False)
    listed = api_client.get(url).json()
    assert [e["amount"] for e in listed["results"]] == ["12.00"]
    bad = api_client.post(url, {"amount": "1e3"}, format="json")
    assert bad.status_code == 400 and "amount" in bad.json()["errors"]
    technician = token_client(make_staff(tenant, "technik", Role.TECHNICIAN), tenant)
    assert technician.get(url).status_code == 200
    assert technician.post(url, {"amount": "5.00"}, format="json").status_code == 403
    operator = token_client(make_staff(tenant, "operator", Role.OPERATOR), tenant)
    correction = {"amount": "100.00", "kind": "correction", "note": "x"}
    assert operator.post(url, correction, format="json").status_code == 403
    assert operator.post(url, {"amount": "5.00"}, format="json").status_code == 201
    assert _reload(prepaid).prepaid_balance == D("17.00")
    accountant = token_client(make_staff(tenant, "ksiegowa", Role.ACCOUNTANT), tenant)
    correction = {"amount": "-2.00", "kind": "correction", "note": "zwrot"}
    assert accountant.post(url, correction, format="json").status_code == 201
    assert _reload(prepaid).prepaid_balance == D("15.00")
    with django_assert_num_queries(7):
        # the token, the user and their membership (two), the phone, the page of entries
        # with their invoices and authors, the count
        listed = accountant.get(url)
    assert len(listed.json()["results"]) == 3


def test_another_tenants_phone_is_a_404_in_the_api(other_api_client, prepaid):
    url = f"/api/v1/voip/phones/{prepaid.pk}/prepaid-entries/"
    assert other_api_client.get(url).status_code == 404
    assert other_api_client.post(url, {"amount": "5.00"}, format="json").status_code == 404
