"""The panel login's locks and PINs as staff and the services see them: the address
throttle, the same cost for every answer, the PIN's expiry and single use, unlocking from
the card (issue 12)."""

import statistics
import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.db import connection
from django.urls import reverse
from django.utils import formats, timezone

from conftest import make_staff
from core.models import ActionLog, Tenant, TenantSetting
from core.roles import Role
from core.tenancy import tenant_context
from core.tenant_settings import setting_get
from customers import services
from customers.models import PanelAccount, PanelAddressFailure, PanelLoginAttempt

PASSWORD = "Haslo-Bardzo-Tajne-1"
HOME = "192.0.2.10"


@pytest.fixture
def account(in_tenant, staff, customer):
    # Two wrong tries lock (five by default): every try costs a real hash.
    TenantSetting.objects.create(key="customer.panel_max_attempts", value=2)
    return services.panel_credentials_set(actor=staff, customer=customer, login="jkowalski",
                                          password=PASSWORD)


def auth(login="jkowalski", secret=PASSWORD, address=HOME):
    return services.panel_authenticate(login=login, secret=secret, ip=address,
                                       address=address)


def lock(account):
    for _ in range(setting_get("customer.panel_max_attempts")):
        auth(secret="zgaduje", address=None)
    account.refresh_from_db()
    assert account.is_locked
    return account


def log_kinds(customer):
    return list(ActionLog.objects.filter(customer=customer).values_list("kind", flat=True))


def url(name, customer):
    return reverse(f"customers:{name}", kwargs={"customer_id": customer.pk})


# --------------------------------------------------------------------------- same answer

@pytest.fixture
def verify_calls():
    calls = []
    original = Argon2PasswordHasher.verify

    def counting(self, password, encoded):
        calls.append(encoded)
        return original(self, password, encoded)

    with mock.patch.object(Argon2PasswordHasher, "verify", counting):
        yield calls


@pytest.mark.parametrize(("secret", "hashes"), [("zgaduje", 1), ("0123456789", 2)])
def test_every_answer_costs_the_same_hashes(account, staff, customer, verify_calls, secret,
                                            hashes):
    # One hash for the password slot; a secret shaped as a PIN tries the PIN slot too.
    # (what comes before, the attempt, its reason): the attempt's hashes are counted.
    cases = [
        (None, lambda: auth(login="nikt-taki", secret=secret), "unknown_login"),
        (None, lambda: auth(secret=secret), "wrong_secret"),
        (lambda: services.panel_pin_generate(actor=staff, customer=customer),
         lambda: auth(secret=secret), "wrong_secret"),
        (lambda: lock(account), auth, "locked"),  # the right password, refused
    ]
    for before, attempt, reason in cases:
        if before:
            before()
        verify_calls.clear()
        result = attempt()
        assert not result.ok and result.reason == reason
        assert len(verify_calls) == (1 if attempt is auth else hashes), reason
    services.panel_unlock(actor=staff, customer=customer)
    verify_calls.clear()
    assert auth().ok and len(verify_calls) == 1
    pin = services.panel_pin_generate(actor=staff, customer=customer)
    verify_calls.clear()
    assert auth(secret=pin).ok and len(verify_calls) == 2


def test_unknown_login_takes_as_long_as_a_known_one(account):
    def median(login):
        times = []
        for _ in range(5):
            start = time.perf_counter()
            auth(login=login, secret="zgaduje", address=None)
            times.append(time.perf_counter() - start)
        PanelAccount.objects.update(failed_attempts=0, locked_until=None)
        return statistics.median(times)

    known, unknown = median("jkowalski"), median("nikt-taki")
    # Before: 0.07 s against 0.3-0.6 s. One hash each now; the ratio is generous.
    assert 0.5 < unknown / known < 2, (known, unknown)


# --------------------------------------------------------------------------- address

def test_address_is_refused_after_its_failures_over_all_logins(account, settings):
    settings.PANEL_LOGIN_ADDRESS_FAILURE_LIMIT = 3
    for login in ("nikt-taki", "jkowalski", "ktos-inny"):
        assert auth(login=login, secret="zgaduje").reason in ("unknown_login", "wrong_secret")
    refused = auth()  # the right password, from the locked address
    assert refused.reason == "address_locked"
    assert timedelta(minutes=14) < refused.locked_until - timezone.now() <= timedelta(minutes=15)
    # Not counted: the lock ends when the page says. Another address logs in.
    assert PanelAddressFailure.objects.count() == 3
    assert auth(address="198.51.100.7").ok
    # After the cool-off the address is free again.
    PanelAddressFailure.objects.update(at=timezone.now() - timedelta(minutes=15, seconds=1))
    assert auth().ok


def test_address_failures_count_over_every_provider(account, settings, other_tenant,
                                                    other_staff):
    settings.PANEL_LOGIN_ADDRESS_FAILURE_LIMIT = 2
    with tenant_context(other_tenant):
        piotr = services.customer_create(actor=other_staff, last_name="Betowski")
        services.panel_credentials_set(actor=other_staff, customer=piotr, login="piotr",
                                       password="Haslo-Beta-123")
        assert auth(login="piotr", secret="zgaduje").reason == "wrong_secret"
    assert auth(secret="zgaduje").reason == "wrong_secret"
    with tenant_context(other_tenant):
        assert auth(login="piotr", secret="Haslo-Beta-123").reason == "address_locked"


def test_ipv6_counts_by_its_64_network(client, account, settings):
    settings.PANEL_LOGIN_ADDRESS_FAILURE_LIMIT = 2
    login_url = reverse("panel:login")
    for host in ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9"):
        client.post(login_url, {"login": "nikt", "secret": "x"}, REMOTE_ADDR=host)
    assert set(PanelAddressFailure.objects.values_list("address", flat=True)) == {
        "2001:db8:1:2::"}
    refused = client.post(login_url, {"login": "jkowalski", "secret": PASSWORD},
                          REMOTE_ADDR="2001:db8:1:2:abcd::1")
    assert refused.status_code == 429
    other_network = client.post(login_url, {"login": "jkowalski", "secret": PASSWORD},
                                REMOTE_ADDR="2001:db8:1:3::1")
    assert other_network.status_code == 302


def test_right_password_forgives_only_its_own_typos_from_that_address(account, settings):
    settings.PANEL_LOGIN_ADDRESS_FAILURE_LIMIT = 3
    TenantSetting.objects.filter(key="customer.panel_max_attempts").update(value=5)
    auth(secret="zgaduje")
    auth(secret="zgaduje", address="198.51.100.7")
    auth(login="nikt-taki", secret="zgaduje")
    assert auth().ok
    assert sorted(PanelAddressFailure.objects.values_list("login", "address")) == [
        ("jkowalski", "198.51.100.7"), ("nikt-taki", HOME)]


# --------------------------------------------------------------------------- PIN

def test_pin_expires_after_the_set_hours(account, staff, customer, settings):
    settings.PANEL_PIN_VALID_HOURS = 2
    pin = services.panel_pin_generate(actor=staff, customer=customer)
    account.refresh_from_db()
    assert account.pin_expires_at - account.pin_created_at == timedelta(hours=2)
    PanelAccount.objects.update(pin_expires_at=timezone.now() - timedelta(seconds=1))
    result = auth(secret=pin)
    assert not result.ok and result.reason == "pin_expired"
    assert PanelLoginAttempt.objects.filter(reason="pin_expired").count() == 1
    # A fresh PIN works; the password still does meanwhile.
    pin = services.panel_pin_generate(actor=staff, customer=customer)
    assert auth(secret=pin).ok


def test_used_pin_leaves_no_valid_pin_and_a_new_one_replaces_the_old(account, staff,
                                                                      customer):
    first = services.panel_pin_generate(actor=staff, customer=customer)
    second = services.panel_pin_generate(actor=staff, customer=customer)
    if first != second:  # one in a million they are the same digits
        assert auth(secret=first).reason == "wrong_secret"
    result = auth(secret=second)
    assert result.ok and result.must_change_password
    account.refresh_from_db()
    assert account.pin_hash == "" and account.pin_expires_at is None and not account.pin_valid
    assert auth(secret=second).reason == "wrong_secret"


@pytest.mark.django_db(transaction=True)
def test_two_logins_with_the_same_pin_at_once_only_one_wins():
    tenant = Tenant.objects.create(name="Sieć Alfa", slug="alfa")
    staff = make_staff(tenant, "anna")
    with tenant_context(tenant):
        customer = services.customer_create(actor=staff, last_name="Kowalski")
        services.panel_credentials_set(actor=staff, customer=customer, login="jkowalski")
        pin = services.panel_pin_generate(actor=staff, customer=customer)
    barrier = threading.Barrier(2)
    results = []

    def log_in(address):
        try:
            with tenant_context(tenant):
                barrier.wait()
                results.append(auth(secret=pin, address=address))
        finally:
            connection.close()

    threads = [threading.Thread(target=log_in, args=(a,)) for a in (HOME, "198.51.100.7")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.reason for r in results) == ["ok", "wrong_secret"]


@pytest.mark.django_db(transaction=True)
def test_a_burst_from_one_address_gets_no_more_tries_than_the_limit(settings):
    settings.PANEL_LOGIN_ADDRESS_FAILURE_LIMIT = 2
    tenant = Tenant.objects.create(name="Sieć Alfa", slug="alfa")
    barrier = threading.Barrier(5)
    reasons = []

    def guess(i):
        try:
            with tenant_context(tenant):
                barrier.wait()
                reasons.append(auth(login=f"zgaduje{i}", secret="x").reason)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(reasons) == ["address_locked"] * 3 + ["unknown_login"] * 2


# --------------------------------------------------------------------------- lock lifted

def test_new_password_or_pin_lifts_the_lock(account, staff, customer):
    lock(account)
    services.panel_credentials_set(actor=staff, customer=customer, login="jkowalski",
                                   password="Nowe-Haslo-2026!")
    assert auth(secret="Nowe-Haslo-2026!").ok
    lock(account)
    pin = services.panel_pin_generate(actor=staff, customer=customer)
    assert auth(secret=pin).ok
    lock(account)
    services.panel_password_change(account=account, new_password="Jeszcze-Inne-2026!")
    assert auth(secret="Jeszcze-Inne-2026!").ok


def test_changing_only_the_login_keeps_the_lock(account, staff, customer):
    lock(account)
    services.panel_credentials_set(actor=staff, customer=customer, login="jan.k")
    assert auth(login="jan.k").reason == "locked"


def test_staff_unlock_from_the_card(staff_client, account, customer, settings):
    settings.PANEL_LOGIN_ADDRESS_FAILURE_LIMIT = 100
    lock(account)
    auth(secret="zgaduje")  # counted against the customer's home address too
    card = staff_client.get(url("card", customer)).content.decode()
    assert 'id="panel-locked"' in card and "Unlock panel login" in card
    response = staff_client.post(url("panel_unlock", customer), follow=True)
    html = response.content.decode()
    assert "Panel login unlocked." in html and "Unlock panel login" not in html
    entry = ActionLog.objects.get(kind="panel.unlocked")
    assert entry.customer_id == customer.pk and entry.actor_user_id is not None
    assert entry.changes["address_failures"] == [1, 0]
    assert not PanelAddressFailure.objects.exists()
    assert auth().ok
    again = staff_client.post(url("panel_unlock", customer), follow=True)
    assert "The panel login is not locked." in again.content.decode()
    assert ActionLog.objects.filter(kind="panel.unlocked").count() == 1


def test_unlock_needs_the_panel_permission(client, tenant, account, customer):
    client.force_login(make_staff(tenant, "ola", role=Role.TECHNICIAN))
    lock(account)
    assert client.post(url("panel_unlock", customer)).status_code == 403
    account.refresh_from_db()
    assert account.is_locked


def test_other_tenants_customer_is_404_on_every_panel_url(client, account, customer,
                                                          other_staff):
    lock(account)
    client.force_login(other_staff)
    for name, data in (("panel_unlock", {}), ("panel_pin", {}),
                       ("panel_credentials", {"login": "przejety", "password": "Haslo-123456"})):
        assert client.post(url(name, customer), data).status_code == 404, name
    account.refresh_from_db()
    assert account.login == "jkowalski" and account.is_locked and not account.pin_hash


# --------------------------------------------------------------------------- the card

def test_staff_sets_credentials_from_the_card(staff_client, in_tenant, customer):
    response = staff_client.post(url("panel_credentials", customer),
                                 {"login": "jan.k", "password": "Haslo-Startowe-1"})
    assert response.status_code == 302
    html = staff_client.get(response["Location"]).content.decode()
    assert "Panel account saved." in html and "jan.k" in html
    assert auth(login="jan.k", secret="Haslo-Startowe-1").ok
    # Refused: the form again with the service's message, not a 500.
    refused = staff_client.post(url("panel_credentials", customer),
                                {"login": "jan k", "password": ""})
    assert refused.status_code == 200
    assert "A login has 3-50 letters" in refused.content.decode()


def test_card_shows_when_the_pin_expires(staff_client, account, staff, customer, settings):
    settings.PANEL_PIN_VALID_HOURS = 72
    pin = services.panel_pin_generate(actor=staff, customer=customer)
    account.refresh_from_db()
    card = staff_client.get(url("card", customer)).content.decode()
    until = formats.date_format(timezone.localtime(account.pin_expires_at),
                                "SHORT_DATETIME_FORMAT")
    assert f"valid until {until}" in card
    PanelAccount.objects.update(pin_expires_at=timezone.now() - timedelta(minutes=1))
    assert "expired" in staff_client.get(url("card", customer)).content.decode()
    PanelAccount.objects.update(pin_expires_at=timezone.now() + timedelta(hours=1))
    auth(secret=pin)
    card = staff_client.get(url("card", customer)).content.decode()
    assert "valid until" not in card and "expired" not in card


# --------------------------------------------------------------------------- the API

def test_api_unlock_and_pin_validity(api_client, other_api_client, account, staff, customer,
                                     settings):
    base = f"/api/v1/customers/{customer.pk}/panel/"
    lock(account)
    assert api_client.get(base).json()["locked_until"] is not None
    assert other_api_client.post(base + "unlock/").status_code == 404
    answer = api_client.post(base + "unlock/")
    assert answer.status_code == 200 and answer.json()["locked_until"] is None
    assert auth().ok
    again = api_client.post(base + "unlock/")
    assert again.status_code == 400 and again.json()["code"]
    pin = api_client.post(base + "generate-pin/").json()["pin"]
    shown = api_client.get(base).json()
    assert shown["has_pin"] is True and shown["pin_expires_at"] is not None
    # An expired PIN is not reported as usable.
    PanelAccount.objects.filter(pk=account.pk).update(
        pin_expires_at=timezone.now() - timedelta(minutes=1))
    assert api_client.get(base).json()["has_pin"] is False
    assert not auth(secret=pin).ok
