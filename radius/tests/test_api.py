import pytest

from core.tenancy import tenant_context
from customers.services import customer_create
from radius.services import login_create, nas_create, pool_create

NAS_URL = "/api/v1/radius/nas/"
POOL_URL = "/api/v1/radius/pools/"
LOGIN_URL = "/api/v1/radius/logins/"


@pytest.fixture
def nas(in_tenant, staff):
    return nas_create(actor=staff, name="BRAS", ip="192.0.2.1", secret="nas-secret")


@pytest.fixture
def pool(in_tenant, staff):
    return pool_create(actor=staff, name="Klienci", network="10.20.0.0/24",
                       range_start="10.20.0.10", range_end="10.20.0.200")


def test_nas_secret_is_written_but_never_read_back(api_client, in_tenant):
    response = api_client.post(NAS_URL, {"name": "BRAS 2", "ip": "192.0.2.2",
                                         "secret": "very-secret", "kind": "mikrotik"})

    assert response.status_code == 201, response.json()
    assert response.json()["coa_port"] == 3799
    assert "very-secret" not in response.content.decode()
    assert "very-secret" not in api_client.get(NAS_URL).content.decode()


def test_login_created_through_the_api_gets_generated_credentials_and_an_address(
        api_client, customer, pool, nas):
    response = api_client.post(LOGIN_URL, {
        "customer": customer.pk, "pool": pool.pk, "nases": [nas.pk],
        "attributes": [{"attribute": "Mikrotik-Rate-Limit", "op": ":=", "value": "10M/20M"}],
    }, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["login"] == "k00001"
    assert len(body["password"]) == 10
    assert body["ip"] == "10.20.0.10"
    assert body["nases"] == [nas.pk]
    assert body["attributes"] == [{"attribute": "Mikrotik-Rate-Limit", "op": ":=",
                                   "value": "10M/20M"}]


def test_validation_errors_come_back_by_field(api_client, customer, pool):
    response = api_client.post(LOGIN_URL, {"customer": customer.pk, "pool": pool.pk,
                                           "ip": "10.99.0.1", "login": "x"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["ip"] == [
        "10.99.0.1 is outside pool Klienci (10.20.0.10-10.20.0.200)."]


def test_disable_and_enable(api_client, customer, staff):
    login = login_create(actor=staff, customer=customer, login="jan", password="pw")

    response = api_client.post(f"{LOGIN_URL}{login.pk}/disable/", {"reason": "Unpaid"})
    assert response.status_code == 200
    assert (response.json()["enabled"], response.json()["disabled_reason"]) == (False,
                                                                               "Unpaid")
    assert api_client.post(f"{LOGIN_URL}{login.pk}/enable/").json()["enabled"] is True


def test_reload_without_a_session_says_so(api_client, customer, staff):
    login = login_create(actor=staff, customer=customer, login="jan", password="pw")

    response = api_client.post(f"{LOGIN_URL}{login.pk}/reload/")

    assert response.status_code == 200
    assert response.json()["reload_status"] == "no_session"


def test_other_tenants_login_is_404_and_its_customer_unusable(
        other_api_client, customer, staff, pool):
    login = login_create(actor=staff, customer=customer, login="jan", password="pw")

    assert other_api_client.get(f"{LOGIN_URL}{login.pk}/").status_code == 404
    assert other_api_client.post(f"{LOGIN_URL}{login.pk}/reload/").status_code == 404
    response = other_api_client.post(LOGIN_URL, {"customer": customer.pk}, format="json")
    assert response.status_code == 400 and "customer" in response.json()["errors"]


def test_login_list_query_count(api_client, customer, staff, pool, nas,
                                django_assert_num_queries):
    for n in range(6):
        login_create(actor=staff, customer=customer, login=f"l{n}", password="pw", pool=pool,
                     nases=[nas], attributes=[("Session-Timeout", ":=", "3600")])
    with tenant_context(customer.tenant):
        other = customer_create(actor=staff, last_name="Nowak")
        login_create(actor=staff, customer=other, login="other", password="pw")
    # 1 token + user + tenant, 2 membership exists, 3 token last_used_at update,
    # 4 role in the tenant (permission check), 5 count for the page, 6 the page of logins,
    # 7 their attributes, 8 their NAS ids — the same for 6 logins as for 1.
    with django_assert_num_queries(8):
        response = api_client.get(LOGIN_URL, {"customer": customer.pk})
    assert response.json()["count"] == 6


def test_nas_and_pool_list_query_count(api_client, nas, pool, django_assert_num_queries):
    # token, membership, last use, role, count, the page.
    for url in (NAS_URL, POOL_URL):
        with django_assert_num_queries(6):
            assert api_client.get(url).json()["count"] == 1


def test_traffic_charts_come_from_the_interim_samples(api_client, customer, staff):
    from datetime import timedelta

    from django.utils import timezone

    from radius.services import Accounting, accounting_record

    login = login_create(actor=staff, customer=customer, login="jan", password="pw")
    now = timezone.now().replace(minute=30)
    start = now - timedelta(days=2)

    def report(status, at, mib_down):
        accounting_record(Accounting(
            status=status, nas_ip="192.0.2.1", event_at=at, username="jan", unique_id="s1",
            session_time=int((at - start).total_seconds()),
            input_bytes=mib_down // 10 * 2**20, output_bytes=mib_down * 2**20))

    report("Start", start, 0)
    report("Interim-Update", start + timedelta(minutes=10), 60)      # two days ago
    report("Interim-Update", now - timedelta(hours=3), 1060)          # today
    report("Interim-Update", now - timedelta(hours=3, minutes=-10), 1660)

    day = api_client.get(f"{LOGIN_URL}{login.pk}/traffic/", {"period": "day"}).json()
    week = api_client.get(f"{LOGIN_URL}{login.pk}/traffic/", {"period": "week"}).json()

    assert [bar["download_bytes"] for bar in day] == [1600 * 2**20]
    # The bar's speed: its bytes over the time its two samples report.
    reported = (now - timedelta(hours=3) - start).total_seconds()
    assert day[0]["download_bps"] == 1600 * 2**20 * 8 // int(reported)
    assert sum(bar["download_bytes"] for bar in week) == 1660 * 2**20
    assert api_client.get(f"{LOGIN_URL}{login.pk}/traffic/",
                          {"period": "decade"}).status_code == 400
