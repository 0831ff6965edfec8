"""What a login sends: tariff speeds per NAS type, blocks, temporary speed, and the reload
pushed to the NAS after commit whenever that changes."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.models import ActionLog, TenantSetting
from core.tenant_settings import REGISTRY
from customers.services import customer_create
from finance import billing
from finance import services as finance
from radius.attributes import reply_for_nas
from radius.models import Login
from radius.services import (
    Accounting,
    accounting_record,
    customer_block,
    customer_unblock,
    login_block,
    login_create,
    login_temp_speed_clear,
    login_temp_speed_set,
    login_unblock,
    login_update,
    logins_debt_block_evaluate,
    logins_refresh_daily,
    logins_temp_speed_expire,
)

TODAY = timezone.localdate()
BLOCKED = {"op": ":=", "value": ["blocked"], "do_xlat": False}


@pytest.fixture
def reloads(monkeypatch):
    """The logins whose reloads were handed to a worker after commit (the boundary: the
    worker talks to the NAS)."""
    from radius import reloads as workers
    from radius.models import LoginReload

    sent = []
    monkeypatch.setattr(workers, "dispatch", lambda tenant_id, sends: sent.extend(
        LoginReload.objects.get(pk=pk).login_id for pk, _delay in sends))
    return sent


@pytest.fixture
def tariff(in_tenant, staff):
    return billing.tariff_create(actor=staff, name="Internet 20/5", net_price=D("50.00"),
                                 vat_rate="23", download_kbps=20000, upload_kbps=5000)


@pytest.fixture
def subscription(customer, staff, tariff):
    return billing.subscription_add(actor=staff, customer=customer, tariff=tariff,
                                    start_date=TODAY - timedelta(days=40))


@pytest.fixture
def alice(customer, staff, subscription):
    return login_create(actor=staff, customer=customer, login="alice", password="pw",
                        ip="100.64.0.10", subscription=subscription)


def online(login, acct_session_id="81a00003"):
    """An open session on a NAS Abonent knows (a session on an unknown NAS cannot be
    reloaded: there is no secret to send the CoA with)."""
    from radius.models import Nas
    from radius.services import nas_create

    if not Nas.objects.filter(ip="192.0.2.1").exists():
        nas_create(actor=None, name="BRAS", ip="192.0.2.1", secret="s", kind="mikrotik")
    accounting_record(Accounting(status="Start", nas_ip="192.0.2.1", event_at=datetime.now(UTC),
                                 username=login.login, unique_id=f"u-{login.pk}",
                                 acct_session_id=acct_session_id))


def sent(login, kind) -> dict:
    """What a NAS of ``kind`` gets for ``login`` now: {attribute: values}."""
    login.refresh_from_db()
    return {key.split(":", 1)[1]: entry["value"]
            for key, entry in reply_for_nas(login.radius_snapshot, kind).items()}


# --------------------------------------------------------------------------- speeds

def test_tariff_speed_is_sent_in_each_vendors_form(alice):
    assert sent(alice, "mikrotik") == {"Framed-IP-Address": ["100.64.0.10"],
                                       "Mikrotik-Rate-Limit": ["5000k/20000k"]}
    assert sent(alice, "accel-ppp")["Filter-Id"] == ["20000/5000"]
    cisco = sent(alice, "cisco")["Cisco-AVPair"]
    assert cisco[0].startswith("lcp:interface-config#1=rate-limit input 5000000 ")
    assert cisco[1].startswith("lcp:interface-config#2=rate-limit output 20000000 ")
    assert sent(alice, "juniper")["ERX-Egress-Policy-Name"] == ["down-20000k"]
    assert sent(alice, "juniper")["ERX-Ingress-Policy-Name"] == ["up-5000k"]
    generic = sent(alice, "generic")
    assert (generic["WISPr-Bandwidth-Max-Down"], generic["WISPr-Bandwidth-Max-Up"]) == \
        (["20000000"], ["5000000"])
    assert "Mikrotik-Rate-Limit" not in generic


def test_every_speed_attribute_is_in_freeradius_dictionaries(alice):
    from pathlib import Path

    folder = Path("/usr/share/freeradius")
    if not folder.exists():
        pytest.skip("FreeRADIUS dictionaries are not installed")
    known = set()
    for path in folder.glob("dictionary*"):
        for line in path.read_text(errors="replace").splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "ATTRIBUTE":
                known.add(parts[1])
    alice.refresh_from_db()
    names = {key.split(":", 1)[1] for reply in alice.radius_snapshot["by_kind"].values()
             for key in reply}
    assert names - known == set()


def test_an_attribute_typed_for_the_login_wins_over_the_tariff(customer, staff, subscription):
    bob = login_create(actor=staff, customer=customer, login="bob", password="pw",
                       subscription=subscription,
                       attributes=[("Mikrotik-Rate-Limit", ":=", "1M/1M"),
                                   ("Cisco-AVPair", "+=", "ip:addr-pool=vip")])

    assert sent(bob, "mikrotik")["Mikrotik-Rate-Limit"] == ["1M/1M"]
    cisco = sent(bob, "cisco")["Cisco-AVPair"]
    assert cisco[0] == "ip:addr-pool=vip" and len(cisco) == 3


def test_no_speed_before_the_subscription_starts_or_after_it_ends(customer, staff, tariff):
    later = billing.subscription_add(actor=staff, customer=customer, tariff=tariff,
                                     start_date=TODAY + timedelta(days=3))
    bob = login_create(actor=staff, customer=customer, login="bob", password="pw",
                       subscription=later)
    assert "Mikrotik-Rate-Limit" not in sent(bob, "mikrotik")

    # The day it starts, the daily refresh gives the login its speed.
    assert logins_refresh_daily(today=TODAY + timedelta(days=3)) == 1
    assert sent(bob, "mikrotik")["Mikrotik-Rate-Limit"] == ["5000k/20000k"]


def test_subscription_of_another_customer_is_refused(in_tenant, staff, customer, tariff):
    other = customer_create(actor=staff, first_name="Ewa", last_name="Nowak",
                            pesel="02070803628", status="connected")
    theirs = billing.subscription_add(actor=staff, customer=other, tariff=tariff,
                                      start_date=TODAY)

    with pytest.raises(ValidationError) as error:
        login_create(actor=staff, customer=customer, login="bob", password="pw",
                     subscription=theirs)

    assert error.value.message_dict == {"subscription": ["Choose one of the customer's tariffs."]}
    assert not Login.objects.filter(login="bob").exists()


def test_changing_the_tariff_of_a_login_reloads_it(customer, staff, tariff, alice, reloads,
                                                   django_capture_on_commit_callbacks):
    faster = billing.tariff_create(actor=staff, name="Internet 100", net_price=D("80.00"),
                                   vat_rate="23", download_kbps=100000, upload_kbps=20000)
    upgrade = billing.subscription_add(actor=staff, customer=customer, tariff=faster,
                                       start_date=TODAY)
    online(alice)

    with django_capture_on_commit_callbacks(execute=True):
        login_update(actor=staff, login=alice, subscription=upgrade, notes="  upgraded  ")

    assert sent(alice, "mikrotik")["Mikrotik-Rate-Limit"] == ["20000k/100000k"]
    assert alice.notes == "upgraded"
    assert reloads == [alice.pk]


def test_tariff_speed_change_in_finance_refreshes_and_reloads_its_logins(
        staff, tariff, alice, reloads, django_capture_on_commit_callbacks):
    online(alice)

    with django_capture_on_commit_callbacks(execute=True):
        billing.tariff_update(actor=staff, tariff=tariff, download_kbps=30000)

    assert sent(alice, "mikrotik")["Mikrotik-Rate-Limit"] == ["5000k/30000k"]
    assert reloads == [alice.pk]


def test_ending_the_subscription_in_finance_drops_the_speed(
        staff, subscription, alice, django_capture_on_commit_callbacks):
    # finance says so through an event ("subscription.changed"), heard after its commit
    with django_capture_on_commit_callbacks(execute=True):
        billing.subscription_end(actor=staff, subscription=subscription,
                                 end_date=TODAY - timedelta(days=1))

    assert "Mikrotik-Rate-Limit" not in sent(alice, "mikrotik")


def test_a_suspended_tariff_gets_the_block_profile(
        staff, subscription, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        billing.subscription_suspend(actor=staff, subscription=subscription,
                                     date_from=TODAY, date_to=TODAY + timedelta(days=30),
                                     reason="Wyjazd")

    assert sent(alice, "mikrotik") == {"Framed-IP-Address": ["100.64.0.10"],
                                       "Mikrotik-Address-List": ["blocked"]}


# --------------------------------------------------------------------------- temporary speed

def test_temp_speed_overrides_the_tariff_until_it_expires(
        staff, alice, reloads, django_capture_on_commit_callbacks):
    online(alice)
    until = timezone.now() + timedelta(hours=2)

    with django_capture_on_commit_callbacks(execute=True):
        login_temp_speed_set(actor=staff, login=alice, download_kbps=100000,
                             upload_kbps=50000, until=until)

    assert sent(alice, "mikrotik")["Mikrotik-Rate-Limit"] == ["50000k/100000k"]
    assert reloads == [alice.pk]
    assert logins_temp_speed_expire(now=until - timedelta(minutes=1)) == 0

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert logins_temp_speed_expire(now=until) == 1
    assert len(callbacks) == 1  # the reload waits for the commit

    assert sent(alice, "mikrotik")["Mikrotik-Rate-Limit"] == ["5000k/20000k"]
    assert (alice.temp_download_kbps, alice.temp_speed_until) == (None, None)
    assert reloads == [alice.pk, alice.pk]
    assert ActionLog.objects.filter(kind="login.temp_speed").count() == 2


def test_temp_speed_expiry_task_runs_for_every_tenant(staff, alice, reloads):
    from radius import tasks

    Login.objects.filter(pk=alice.pk).update(
        temp_download_kbps=1000, temp_upload_kbps=1000,
        temp_speed_until=timezone.now() - timedelta(minutes=1))

    tasks.logins_temp_speed_expire()

    alice.refresh_from_db()
    assert alice.temp_speed_until is None
    assert sent(alice, "mikrotik")["Mikrotik-Rate-Limit"] == ["5000k/20000k"]


def test_temp_speed_clear_restores_the_tariff(staff, alice):
    login_temp_speed_set(actor=staff, login=alice, download_kbps=1000, upload_kbps=1000,
                         until=timezone.now() + timedelta(days=1))

    login_temp_speed_clear(actor=staff, login=alice)

    assert sent(alice, "mikrotik")["Mikrotik-Rate-Limit"] == ["5000k/20000k"]


def test_temp_speed_validation_speaks_plainly_and_writes_nothing(staff, alice):
    before = Login.objects.values().get(pk=alice.pk)

    with pytest.raises(ValidationError) as error:
        login_temp_speed_set(actor=staff, login=alice, download_kbps=0, upload_kbps="fast",
                             until=timezone.now() - timedelta(minutes=1))

    assert error.value.message_dict == {
        "download_kbps": ["Enter the speed in kbit/s: a whole number from 1 to 100000000."],
        "upload_kbps": ["Enter the speed in kbit/s: a whole number from 1 to 100000000."],
        "until": ["The end of the temporary speed must be in the future."]}
    assert Login.objects.values().get(pk=alice.pk) == before
    assert not ActionLog.objects.filter(kind="login.temp_speed").exists()


# --------------------------------------------------------------------------- blocks

def test_staff_block_sends_the_block_profile_and_unblock_restores(
        staff, alice, reloads, django_capture_on_commit_callbacks):
    online(alice)

    with django_capture_on_commit_callbacks(execute=True):
        login_block(actor=staff, login=alice, reason="Abuse report")

    assert sent(alice, "mikrotik") == {"Framed-IP-Address": ["100.64.0.10"],
                                       "Mikrotik-Address-List": ["blocked"]}
    assert sent(alice, "cisco") == sent(alice, "mikrotik")  # no speed for any NAS
    assert (alice.block, alice.block_reason) == ("staff", "Abuse report")

    with django_capture_on_commit_callbacks(execute=True):
        login_unblock(actor=staff, login=alice)

    assert sent(alice, "mikrotik")["Mikrotik-Rate-Limit"] == ["5000k/20000k"]
    assert "Mikrotik-Address-List" not in sent(alice, "mikrotik")
    assert reloads == [alice.pk, alice.pk]
    assert list(ActionLog.objects.filter(kind__in=["login.block", "login.unblock"])
                .order_by("id").values_list("kind", flat=True)) == ["login.block",
                                                                    "login.unblock"]


def test_block_needs_a_reason(staff, alice):
    with pytest.raises(ValidationError) as error:
        login_block(actor=staff, login=alice, reason="  ")

    assert error.value.message_dict == {"reason": ["Give the reason for the block."]}
    alice.refresh_from_db()
    assert alice.block == ""


def test_the_block_profile_is_the_tenants_setting(staff, alice):
    definition = REGISTRY["computer.block_attributes"]
    value = definition.clean("Mikrotik-Rate-Limit := 64k/64k;Reply-Message = Zaplac")
    TenantSetting.objects.create(key="computer.block_attributes", value=value)

    login_block(actor=staff, login=alice, reason="Abuse")

    assert sent(alice, "mikrotik") == {"Framed-IP-Address": ["100.64.0.10"],
                                       "Mikrotik-Rate-Limit": ["64k/64k"],
                                       "Reply-Message": ["Zaplac"]}


@pytest.mark.parametrize("typed, message", [
    ("Mikrotik-Address-List blocked", "Row 1 (“Mikrotik-Address-List blocked”): write "
                                      "“Attribute := value”."),
    ("A := x; Framed-IP-Address := 1.2.3.4", "Row 2: Framed-IP-Address is set by Abonent "
                                             "itself."),
    ("Filter-Id == x", "Row 1: Unknown operator ==."),
])
def test_block_profile_setting_is_validated(typed, message):
    with pytest.raises(ValidationError) as error:
        REGISTRY["computer.block_attributes"].clean(typed)

    assert error.value.messages == [message]


def test_customer_block_and_unblock_cover_every_login(customer, staff, alice, subscription):
    bob = login_create(actor=staff, customer=customer, login="bob", password="pw",
                       subscription=subscription)

    assert customer_block(actor=staff, customer=customer, reason="Kradzież") == 2
    assert "Mikrotik-Address-List" in sent(bob, "mikrotik")

    assert customer_unblock(actor=staff, customer=customer) == 2
    assert sent(bob, "mikrotik")["Mikrotik-Rate-Limit"] == ["5000k/20000k"]
    assert sent(alice, "mikrotik")["Mikrotik-Rate-Limit"] == ["5000k/20000k"]


# --------------------------------------------------------------------------- debt

def invoice(staff, customer, *, overdue_days: int, net="100.00"):
    due = TODAY - timedelta(days=overdue_days)
    line = {"name": "Internet", "quantity": D("1"), "net_unit_price": D(net), "vat_rate": "23"}
    return finance.invoice_issue(actor=staff, customer=customer, lines=[line],
                                 issue_date=due - timedelta(days=14), due_date=due)


def pay(staff, customer, amount):
    return finance.bank_transfer_record(actor=staff, customer=customer, amount=D(amount),
                                        booking_date=TODAY, title="wpłata", bank_reference="",
                                        bank_account="29114010810000267002001002")


def test_debt_block_applies_after_the_grace_days_and_lifts_after_payment(
        in_tenant, staff, customer, alice, reloads, django_capture_on_commit_callbacks):
    invoice(staff, customer, overdue_days=14)  # grace 14 days: not yet
    online(alice)
    assert logins_debt_block_evaluate() == (0, 0)

    invoice(staff, customer, overdue_days=15)
    assert logins_debt_block_evaluate(lift_only=True) == (0, 0)  # the frequent pass
    with django_capture_on_commit_callbacks(execute=True):
        assert logins_debt_block_evaluate() == (1, 0)

    alice.refresh_from_db()
    assert alice.block == "debt"
    assert sent(alice, "mikrotik")["Mikrotik-Address-List"] == ["blocked"]
    assert reloads == [alice.pk]
    with pytest.raises(ValidationError):
        login_unblock(actor=staff, login=alice)  # only paying lifts a debt block

    pay(staff, customer, "246.00")
    with django_capture_on_commit_callbacks(execute=True):
        assert logins_debt_block_evaluate(lift_only=True) == (0, 1)

    alice.refresh_from_db()
    assert alice.block == ""
    assert sent(alice, "mikrotik")["Mikrotik-Rate-Limit"] == ["5000k/20000k"]
    assert reloads == [alice.pk, alice.pk]
    assert [e.text for e in ActionLog.objects.filter(kind="login.debt_block",
                                                     customer=customer).order_by("id")] == [
        "Logins blocked for debt: 1.", "Debt paid: logins unblocked: 1."]


def test_a_small_debt_under_the_threshold_is_not_blocked(in_tenant, staff, customer, alice):
    TenantSetting.objects.create(key="computer.debt_block_threshold",
                                 value=REGISTRY["computer.debt_block_threshold"].clean("200"))
    invoice(staff, customer, overdue_days=30)  # 123.00 gross

    assert logins_debt_block_evaluate() == (0, 0)


def test_a_staff_block_is_kept_over_debt_and_replaces_a_debt_block(in_tenant, staff, customer,
                                                                   alice):
    invoice(staff, customer, overdue_days=30)
    logins_debt_block_evaluate()
    login_block(actor=staff, login=alice, reason="Abuse")
    alice.refresh_from_db()
    assert alice.block == "staff"

    pay(staff, customer, "123.00")
    assert logins_debt_block_evaluate() == (0, 0)
    alice.refresh_from_db()
    assert (alice.block, alice.block_reason) == ("staff", "Abuse")


def test_debt_evaluation_queries_do_not_grow_with_customers(
        in_tenant, staff, tariff, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def debtors(count, offset):
        for n in range(count):
            person = customer_create(actor=staff, first_name="K", last_name=f"D{offset + n}",
                                     status="connected")
            login_create(actor=staff, customer=person, login=f"d{offset + n}", password="pw")
            invoice(staff, person, overdue_days=30)

    debtors(2, 0)
    with CaptureQueriesContext(connection) as few:
        assert logins_debt_block_evaluate() == (2, 0)
    debtors(6, 10)
    with CaptureQueriesContext(connection) as many:
        assert logins_debt_block_evaluate() == (6, 0)

    assert len(many) == len(few)


# --------------------------------------------------------------------------- API

LOGIN_URL = "/api/v1/radius/logins/"


def test_api_blocks_unblocks_and_sets_the_temporary_speed(api_client, alice, subscription):
    response = api_client.post(f"{LOGIN_URL}{alice.pk}/block/", {"reason": "Abuse"},
                               format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["block"], response.json()["block_reason"]) == ("staff", "Abuse")
    assert response.json()["subscription"] == subscription.pk

    assert api_client.post(f"{LOGIN_URL}{alice.pk}/unblock/").json()["block"] == ""

    until = (timezone.now() + timedelta(hours=3)).isoformat()
    response = api_client.post(f"{LOGIN_URL}{alice.pk}/temp-speed/", {
        "download_kbps": 100000, "upload_kbps": 50000, "until": until}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["temp_download_kbps"] == 100000
    assert sent(alice, "mikrotik")["Mikrotik-Rate-Limit"] == ["50000k/100000k"]

    response = api_client.post(f"{LOGIN_URL}{alice.pk}/temp-speed/clear/")
    assert response.json()["temp_speed_until"] is None


def test_api_temp_speed_in_the_past_is_a_400(api_client, alice):
    response = api_client.post(f"{LOGIN_URL}{alice.pk}/temp-speed/", {
        "download_kbps": 1000, "upload_kbps": 1000,
        "until": (timezone.now() - timedelta(hours=1)).isoformat()}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "until": ["The end of the temporary speed must be in the future."]}


def test_api_login_subscription_of_another_tenant_is_refused(api_client, other_tenant,
                                                             other_staff, alice):
    from core.tenancy import tenant_context

    with tenant_context(other_tenant):
        person = customer_create(actor=other_staff, first_name="Obcy", last_name="Klient",
                                 status="connected")
        foreign = billing.subscription_add(
            actor=other_staff, customer=person, start_date=TODAY,
            tariff=billing.tariff_create(actor=other_staff, name="B", net_price=D("10"),
                                         vat_rate="23"))

    response = api_client.patch(f"{LOGIN_URL}{alice.pk}/", {"subscription": foreign.pk},
                                format="json")

    assert response.status_code == 400
    assert "subscription" in response.json()["errors"]


def test_api_block_of_another_tenants_login_is_a_404(other_api_client, alice):
    response = other_api_client.post(f"{LOGIN_URL}{alice.pk}/block/", {"reason": "x"},
                                     format="json")

    assert response.status_code == 404
    alice.refresh_from_db()
    assert alice.block == ""
