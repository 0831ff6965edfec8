"""Staff login throttling (core.access): per account, per client address, the lock page,
the unlock by a tenant administrator (UI and API) and the action log."""

import ipaddress
import threading
from collections import Counter
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from conftest import make_staff, token_client
from core import access
from core.models import ActionLog
from core.roles import Role

PASSWORD = "s3cret-pass"
LOCKED_TEXT = "Too many failed logins"
PATHS = ["/login/", "/admin/login/"]


@pytest.fixture(autouse=True)
def fast_hashes_and_limits(settings):
    """Cheap hashes (thirty logins a test); the limits of the settings' defaults."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STAFF_LOGIN_FAILURE_LIMIT = 5
    settings.STAFF_LOGIN_ADDRESS_FAILURE_LIMIT = 20
    settings.STAFF_LOGIN_COOLOFF_MINUTES = 15
    settings.TRUSTED_PROXY_COUNT = 0


def browser(address="203.0.113.10", **meta) -> Client:
    return Client(headers={"accept-language": "en"}, REMOTE_ADDR=address, **meta)


def login(client, username, password, path="/login/", **extra):
    return client.post(path, {"username": username, "password": password}, **extra)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def anna(tenant):
    user = make_staff(tenant, "anna", role=Role.OPERATOR)
    user.is_staff = True  # may use /admin/login/ too
    user.save()
    return user


@pytest.fixture
def admin_of_tenant(tenant):
    return make_staff(tenant, "szef", role=Role.ADMIN)


def lock_anna(address="203.0.113.10", times=5):
    client = browser(address)
    for _ in range(times):
        login(client, "anna", "wrong")
    return client


# --------------------------------------------------------------------------- the lock

@pytest.mark.parametrize("path", PATHS)
def test_thirty_wrong_passwords_then_the_right_one_is_refused(anna, path):
    client = browser()
    statuses = [login(client, "anna", f"guess-{i}", path).status_code for i in range(30)]
    assert statuses[:4] == [200] * 4  # the form again, "wrong password"
    assert set(statuses[4:]) == {429}  # the fifth failure locks
    response = login(client, "anna", PASSWORD, path)
    assert response.status_code == 429
    assert LOCKED_TEXT in response.content.decode()
    assert not logged_in(client)
    # Nor from another address: the account itself is locked.
    other = browser("198.51.100.7")
    assert login(other, "anna", PASSWORD, path).status_code == 429
    assert not logged_in(other)


@pytest.mark.parametrize("path", PATHS)
def test_below_the_limit_the_right_password_logs_in(anna, path):
    client = lock_anna(times=4)
    response = login(client, "anna", PASSWORD, path)
    assert response.status_code == 302 and logged_in(client)


def test_the_lock_page_says_until_when(anna):
    response = login(lock_anna(), "anna", PASSWORD)
    html = response.content.decode()
    assert 'id="login-locked"' in html and "ask your company's administrator" in html
    until = access.login_lock_until(username="anna", address="203.0.113.10")
    assert until is not None
    assert timedelta(minutes=14) < until - AccessAttempt.objects.get().attempt_time \
        <= timedelta(minutes=15)


def test_attempts_during_a_lock_neither_count_nor_extend_it(anna):
    client = lock_anna()
    before = AccessAttempt.objects.get()
    for _ in range(10):
        assert login(client, "anna", "wrong").status_code == 429
    after = AccessAttempt.objects.get()
    assert after.failures_since_start == before.failures_since_start == 5
    assert after.attempt_time == before.attempt_time


def test_the_lock_ends_after_the_cool_off(anna):
    client = lock_anna()
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time
                                 - timedelta(minutes=16))
    assert login(client, "anna", PASSWORD).status_code == 302


def test_the_right_password_forgives_that_accounts_typos_from_that_address(anna):
    client = lock_anna(times=4)
    assert login(client, "anna", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        login(client, "anna", "wrong")
    assert login(client, "anna", PASSWORD).status_code == 302


def test_one_address_trying_many_user_names_is_locked(tenant, anna):
    """Password spraying: one wrong password each for twenty names (real or not)."""
    sprayer = browser("203.0.113.66")
    for i in range(20):
        login(sprayer, f"user{i}", "Wiosna2026!")
    response = login(sprayer, "anna", PASSWORD)
    assert response.status_code == 429 and not logged_in(sprayer)
    # Anna from her own address is not locked: no name had five failures.
    assert login(browser("198.51.100.7"), "anna", PASSWORD).status_code == 302


def test_ipv6_hosts_of_one_network_count_together(anna):
    for host in range(20):
        login(browser(f"2001:db8:1:2::{host + 1:x}"), f"user{host}", "wrong")
    assert login(browser("2001:db8:1:2:ffff::9"), "anna", PASSWORD).status_code == 429
    assert login(browser("2001:db8:1:3::1"), "anna", PASSWORD).status_code == 302


def test_a_forged_forwarded_for_does_not_escape_the_address_lock(anna, settings):
    for i in range(20):
        login(browser(HTTP_X_FORWARDED_FOR=f"10.0.0.{i}"), f"user{i}", "wrong")
    response = login(browser(HTTP_X_FORWARDED_FOR="10.9.9.9"), "anna", PASSWORD)
    assert response.status_code == 429  # no proxy trusted: the header counts for nothing


def test_behind_a_trusted_proxy_the_client_address_counts(anna, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"
    for i in range(20):
        # The attacker prepends forged entries; the proxy appends the address it saw.
        login(browser(proxy, HTTP_X_FORWARDED_FOR=f"1.2.3.{i}, 203.0.113.66"),
              f"user{i}", "wrong")
    assert login(browser(proxy, HTTP_X_FORWARDED_FOR="203.0.113.66"), "anna",
                 PASSWORD).status_code == 429
    # Another client behind the same proxy is not the attacker.
    assert login(browser(proxy, HTTP_X_FORWARDED_FOR="198.51.100.7"), "anna",
                 PASSWORD).status_code == 302


@pytest.mark.parametrize("username,password", [
    ("x" * 300, "wrong"), ("an\x00na", "wrong"), ("", ""), ("anna", ""), (" anna ", "wrong"),
    ("ＡＮＮＡ", "wrong"), ("%{User-Name}\\", "'\"; --"),
])
def test_odd_credentials_are_a_form_error_never_a_500(anna, username, password):
    response = login(browser(), username, password)
    assert response.status_code in (200, 429)


@pytest.mark.parametrize("forwarded", ["unknown", "", "  ,  ", "fe80::1%eth0", "1.2.3.4:80",
                                       "300.1.1.1", "::ffff:203.0.113.5"])
def test_odd_forwarded_for_from_a_trusted_proxy_is_never_a_500(anna, settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(6):
        response = login(browser("10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded), "anna", "wrong")
        assert response.status_code in (200, 429)
    assert response.status_code == 429


ADDRESSES = st.one_of(st.ip_addresses().map(str), st.text(max_size=40))


@hsettings(max_examples=200, deadline=None)
@given(remote=st.ip_addresses().map(str), forwarded=st.lists(ADDRESSES, max_size=4),
       proxies=st.integers(min_value=0, max_value=3))
def test_the_counted_address_is_always_an_address_the_server_trusts(remote, forwarded,
                                                                  proxies):
    from django.test import RequestFactory, override_settings

    request = RequestFactory().post("/login/", REMOTE_ADDR=remote,
                                    HTTP_X_FORWARDED_FOR=", ".join(forwarded))
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        counted = access.login_client_address(request)
    assert counted is not None
    parsed = ipaddress.ip_address(counted)  # always storable as an address
    # The entry the last trusted proxy wrote, if it is an address; else the proxy itself.
    chain = [a.strip() for a in ", ".join(forwarded).split(",") if a.strip()]
    source = remote
    if proxies and len(chain) >= proxies:
        try:
            ipaddress.ip_address(chain[-proxies])
            source = chain[-proxies]
        except ValueError:
            pass
    expected = ipaddress.ip_address(source)
    if expected.version == 6 and expected.ipv4_mapped is None:
        assert parsed == ipaddress.ip_network(f"{expected}/64", strict=False).network_address
    else:
        assert parsed == (getattr(expected, "ipv4_mapped", None) or expected)


@hsettings(max_examples=100, deadline=None)
@given(network=st.integers(min_value=0, max_value=2**64 - 1),
       hosts=st.lists(st.integers(min_value=0, max_value=2**64 - 1), min_size=2, max_size=5))
def test_every_host_of_an_ipv6_64_counts_as_one_address(network, hosts):
    from django.test import RequestFactory

    counted = {access.login_client_address(RequestFactory().post(
        "/login/", REMOTE_ADDR=str(ipaddress.IPv6Address((network << 64) | host))))
        for host in hosts}
    assert len(counted) == 1


# The client addresses of the model below and what each counts as (IPv6: its /64).
MODEL_ADDRESSES = {"203.0.113.1": "203.0.113.1", "203.0.113.2": "203.0.113.2",
                   "2001:db8::1": "2001:db8::", "2001:db8::2:3": "2001:db8::"}


@hsettings(max_examples=25, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(["anna", "ANNA", "nobody"]),
                                st.sampled_from(sorted(MODEL_ADDRESSES))), max_size=14),
       final=st.sampled_from(sorted(MODEL_ADDRESSES)))
def test_any_sequence_of_wrong_logins_locks_as_the_rule_says(anna, settings, steps, final):
    """Model: an attempt is refused (429, not counted) while its name has 3 failures or
    its address 5; otherwise it counts, and the one that reaches a limit says so."""
    settings.STAFF_LOGIN_FAILURE_LIMIT = 3
    settings.STAFF_LOGIN_ADDRESS_FAILURE_LIMIT = 5
    AccessAttempt.objects.all().delete()
    by_name, by_address = Counter(), Counter()

    def locked(name, address):
        return by_name[name] >= 3 or by_address[MODEL_ADDRESSES[address]] >= 5

    for name, address in steps:
        status = login(browser(address), name, "wrong").status_code
        if locked(name, address):
            assert status == 429
            continue
        by_name[name] += 1
        by_address[MODEL_ADDRESSES[address]] += 1
        assert status == (429 if locked(name, address) else 200)
    client = browser(final)
    response = login(client, "anna", PASSWORD)
    assert response.status_code == (429 if locked("anna", final) else 302)
    assert logged_in(client) is not locked("anna", final)


# --------------------------------------------------------------------------- at once

@pytest.mark.django_db(transaction=True)
def test_guesses_sent_at_once_get_no_more_tries_than_the_limit(tenant):
    make_staff(tenant, "anna", role=Role.OPERATOR)
    statuses = []

    def guess(i):
        try:
            statuses.append(login(browser(), "anna", f"guess-{i}").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert AccessAttempt.objects.get().failures_since_start == 5
    assert statuses.count(429) >= 7
    assert login(browser(), "anna", PASSWORD).status_code == 429


# --------------------------------------------------------------------------- action log

def test_failures_and_the_lock_are_in_the_tenants_action_log(anna, tenant, other_tenant):
    lock_anna()
    entries = ActionLog.all_tenants.filter(tenant=tenant)
    assert entries.filter(kind="login.failed").count() == 5
    locked = entries.get(kind="login.locked")
    assert "anna" in locked.text and "203.0.113.10" in locked.text
    assert locked.actor_kind == ActionLog.ActorKind.SYSTEM
    assert not ActionLog.all_tenants.filter(tenant=other_tenant).exists()


def test_unknown_user_names_go_to_no_tenants_log(tenant):
    for _ in range(6):
        login(browser(), "nobody", "wrong")
    assert not ActionLog.all_tenants.filter(kind__startswith="login.").exists()
    assert AccessAttempt.objects.get().failures_since_start == 5


# --------------------------------------------------------------------------- unlock

def test_tenant_admin_unlocks_an_account_in_the_staff_ui(client, anna, admin_of_tenant, tenant):
    lock_anna()
    client.force_login(admin_of_tenant)
    page = client.get(reverse("login_locks")).content.decode()
    assert page.count('class="login-lock"') == 1 and "<code>anna</code>" in page
    assert reverse("login_locks") in client.get(reverse("tenant_settings")).content.decode()
    response = client.post(reverse("login_locks"), {"kind": "account", "value": "anna"})
    assert response.status_code == 302
    assert login(browser(), "anna", PASSWORD).status_code == 302
    entry = ActionLog.all_tenants.get(tenant=tenant, kind="login.unlocked")
    assert entry.actor_user == admin_of_tenant and "anna" in entry.text


def test_tenant_admin_unlocks_through_the_api(anna, admin_of_tenant, tenant):
    lock_anna()
    api = token_client(admin_of_tenant, tenant)
    listed = api.get("/api/v1/login-locks/").json()["results"]
    assert [(lock["kind"], lock["value"], lock["failures"]) for lock in listed] == [
        ("account", "anna", 5)]
    response = api.post("/api/v1/login-locks/unlock/", {"kind": "account", "value": "anna"},
                        format="json")
    assert response.status_code == 200 and response.json() == {"free": True}
    assert api.get("/api/v1/login-locks/").json()["results"] == []
    assert login(browser(), "anna", PASSWORD).status_code == 302


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.ACCOUNTANT, Role.TECHNICIAN])
def test_a_non_admin_cannot_unlock(client, anna, tenant, role):
    lock_anna()
    colleague = make_staff(tenant, "kolega", role=role)
    client.force_login(colleague)
    assert client.get(reverse("login_locks")).status_code == 403
    assert client.post(reverse("login_locks"),
                       {"kind": "account", "value": "anna"}).status_code == 403
    api = token_client(colleague, tenant)
    assert api.get("/api/v1/login-locks/").status_code == 403
    assert api.post("/api/v1/login-locks/unlock/", {"kind": "account", "value": "anna"},
                    format="json").status_code == 403
    assert login(browser(), "anna", PASSWORD).status_code == 429
    assert not ActionLog.all_tenants.filter(kind="login.unlocked").exists()


def test_another_tenants_admin_cannot_see_nor_unlock_our_user(client, anna, other_tenant):
    lock_anna()
    theirs = make_staff(other_tenant, "obcy", role=Role.ADMIN)
    client.force_login(theirs)
    assert "anna" not in client.get(reverse("login_locks")).content.decode()
    assert client.post(reverse("login_locks"),
                       {"kind": "account", "value": "anna"}).status_code == 404
    api = token_client(theirs, other_tenant)
    assert api.get("/api/v1/login-locks/").json()["results"] == []
    for kind, value in (("account", "anna"), ("address", "203.0.113.10")):
        assert api.post("/api/v1/login-locks/unlock/", {"kind": kind, "value": value},
                        format="json").status_code == 404
    assert login(browser(), "anna", PASSWORD).status_code == 429


@pytest.mark.parametrize("payload", [
    {}, {"kind": "account"}, {"kind": "everything", "value": "anna"},
    {"kind": "address", "value": "not-an-address"}, {"kind": "address", "value": "x" * 300},
    {"kind": "account", "value": "ANNA"}, {"kind": "account", "value": "ann"},
])
def test_unlock_with_bad_input_is_400_or_404_and_changes_nothing(anna, admin_of_tenant,
                                                                 tenant, payload):
    lock_anna()
    api = token_client(admin_of_tenant, tenant)
    response = api.post("/api/v1/login-locks/unlock/", payload, format="json")
    assert response.status_code in (400, 404)
    assert AccessAttempt.objects.get().failures_since_start == 5


def test_an_address_unlock_forgets_only_attempts_on_the_tenants_users(
        anna, admin_of_tenant, tenant, settings):
    sprayer = browser("203.0.113.66")
    for i in range(4):
        login(sprayer, "anna", f"wrong-{i}")
    for i in range(16):
        login(sprayer, f"nobody{i}", "wrong")  # names of no tenant's user
    assert login(sprayer, "anna", PASSWORD).status_code == 429
    api = token_client(admin_of_tenant, tenant)
    listed = api.get("/api/v1/login-locks/").json()["results"]
    locks = [(lock["kind"], lock["value"]) for lock in listed]
    assert locks == [("address", "203.0.113.66")]
    response = api.post("/api/v1/login-locks/unlock/",
                        {"kind": "address", "value": "203.0.113.66"}, format="json")
    assert response.json() == {"free": True}
    assert not AccessAttempt.objects.filter(username="anna").exists()
    assert AccessAttempt.objects.filter(username__startswith="nobody").count() == 16
    assert login(browser("203.0.113.66"), "anna", PASSWORD).status_code == 302


def test_an_address_still_over_the_limit_without_our_attempts_stays_locked(
        anna, admin_of_tenant, tenant, settings):
    sprayer = browser("203.0.113.66")
    for i in range(3):
        login(sprayer, "anna", f"wrong-{i}")
    for i in range(12):
        login(sprayer, f"nobody{i}", "wrong")
    settings.STAFF_LOGIN_ADDRESS_FAILURE_LIMIT = 10  # the deployment lowered the limit
    api = token_client(admin_of_tenant, tenant)
    response = api.post("/api/v1/login-locks/unlock/",
                        {"kind": "address", "value": "203.0.113.66"}, format="json")
    assert response.json() == {"free": False}
    assert login(browser("203.0.113.66"), "anna", PASSWORD).status_code == 429
    entry = ActionLog.all_tenants.get(tenant=tenant, kind="login.unlocked")
    assert "stays locked" in entry.text


def test_an_address_locked_only_by_our_users_is_freed_in_the_ui(client, anna, admin_of_tenant,
                                                                tenant):
    for name in ("beata", "celina", "dorota", "ewa"):
        make_staff(tenant, name)
    sprayer = browser("203.0.113.66")
    for name in ("anna", "beata", "celina", "dorota", "ewa"):
        for i in range(4):
            login(sprayer, name, f"wrong-{i}")
    assert login(sprayer, "anna", PASSWORD).status_code == 429
    client.force_login(admin_of_tenant)
    assert "<code>203.0.113.66</code>" in client.get(reverse("login_locks")).content.decode()
    client.post(reverse("login_locks"), {"kind": "address", "value": "203.0.113.66"})
    assert login(sprayer, "anna", PASSWORD).status_code == 302


def test_lock_list_takes_three_queries(anna, admin_of_tenant, tenant,
                                       django_assert_num_queries):
    lock_anna()
    # Members' user names, locked accounts, locked addresses.
    with django_assert_num_queries(3):
        locks = access.login_lock_list(tenant=tenant)
    assert [lock.kind for lock in locks] == ["account"]


def test_api_client_without_token_cannot_list(anna):
    assert APIClient().get("/api/v1/login-locks/").status_code in (401, 403)
