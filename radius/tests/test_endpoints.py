"""The rlm_rest endpoints as FreeRADIUS sees them, at the HTTP level."""

import json
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from core.tenancy import tenant_context
from customers.services import customer_create
from radius.models import RadiusSession
from radius.services import login_create


def rest(name: str, key: str, attributes: dict, **headers):
    body = {k: {"type": "string", "value": [v]} for k, v in attributes.items()}
    return Client().post(reverse(f"radius:rest-{name}"), json.dumps(body),
                         content_type="application/json",
                         headers={"X-Abonent-Key": key, **headers})


@pytest.fixture
def jan(customer, staff):
    return login_create(actor=staff, customer=customer, login="jan", password="Tajne-1",
                        ip="10.0.0.5")


def test_authorize_returns_the_password_without_xlat_and_the_address(radius_key, jan):
    response = rest("authorize", radius_key, {"User-Name": "jan"})

    assert response.status_code == 200
    assert response.json() == {
        "control:Cleartext-Password": {"value": "Tajne-1", "do_xlat": False},
        "reply:Framed-IP-Address": {"op": ":=", "value": ["10.0.0.5"], "do_xlat": False},
    }


def test_dhcp_client_is_found_by_its_mac(radius_key, customer, staff):
    login_create(actor=staff, customer=customer, login="tv", auth_type="dhcp",
                 mac="aa:bb:cc:dd:ee:01", ip="10.0.0.9")

    response = rest("authorize", radius_key, {"User-Name": "AA-BB-CC-DD-EE-01"})

    assert response.status_code == 200
    assert response.json()["control:Auth-Type"] == "Accept"
    assert "control:Cleartext-Password" not in response.json()
    assert response.json()["control:Tmp-String-9"] == "abonent-logged"  # accept logged


def test_no_key_or_a_wrong_key_is_refused(jan):
    assert rest("authorize", "", {"User-Name": "jan"}).status_code == 403
    assert rest("authorize", "not-a-key", {"User-Name": "jan"}).status_code == 403
    assert Client().get(reverse("radius:rest-authorize")).status_code == 405


def test_other_tenants_key_does_not_find_this_tenants_login(jan, other_radius_key):
    response = rest("authorize", other_radius_key, {"User-Name": "jan"})
    assert response.status_code == 401  # an unknown login, rejected and logged as such
    assert response["Content-Type"] == "application/json"


def test_other_tenants_accounting_lands_in_its_own_tenant(
        jan, radius_key, other_radius_key, other_tenant, other_staff):
    with tenant_context(other_tenant):
        piotr = customer_create(actor=other_staff, last_name="Betowski")
        login_create(actor=other_staff, customer=piotr, login="jan", password="x")

    response = rest("accounting", other_radius_key, {
        "User-Name": "jan", "NAS-IP-Address": "127.0.0.1", "Acct-Status-Type": "Start",
        "Acct-Session-Id": "1", "Acct-Unique-Session-Id": "u1"})

    assert response.status_code == 204
    assert not RadiusSession.objects.exists()  # the active test tenant is A
    with tenant_context(other_tenant):
        assert RadiusSession.objects.get().login.customer == piotr


def test_broken_body_is_not_recorded(radius_key):
    response = Client().post(reverse("radius:rest-accounting"), "{not json",
                             content_type="application/json",
                             headers={"X-Abonent-Key": radius_key})

    assert response.status_code == 400


def test_authorize_is_one_statement_once_the_key_is_known(radius_key, jan):
    # The key's tenant (unique key_hash, then remembered), the login with the NAS's type
    # (unique (tenant, login)): the reply attributes are stored on the login.
    import psycopg

    from radius.selectors import radius_key_cache_clear

    statements = []
    execute = psycopg.Cursor.execute

    def counting(cursor, query, *args, **kwargs):
        statements.append(str(query))
        return execute(cursor, query, *args, **kwargs)

    radius_key_cache_clear()
    with mock.patch.object(psycopg.Cursor, "execute", counting):
        assert rest("authorize", radius_key, {"User-Name": "jan"}).status_code == 200
        # Less the row-level security scope switches (key lookup across tenants, then the
        # key's tenant: core/rls.py); the second request switches nothing.
        statements[:] = [s for s in statements if "set_config('abonent.tenant'" not in s]
        assert len(statements) == 2 and "radius_radiuskey" in statements[0]
        statements.clear()
        assert rest("authorize", radius_key, {"User-Name": "jan"}).status_code == 200
    assert len(statements) == 1 and "FROM radius_login l" in statements[0]


def test_a_revoked_key_is_refused_at_once(radius_key, jan, staff):
    from radius.models import RadiusKey
    from radius.services import radius_key_revoke

    assert rest("authorize", radius_key, {"User-Name": "jan"}).status_code == 200
    radius_key_revoke(actor=staff, key=RadiusKey.objects.get(name="FreeRADIUS test"))

    assert rest("authorize", radius_key, {"User-Name": "jan"}).status_code == 403


def _chap(ident: int, password: str, challenge: bytes) -> str:
    import hashlib
    digest = hashlib.md5(bytes([ident]) + password.encode() + challenge,
                         usedforsecurity=False).digest()
    return "0x" + (bytes([ident]) + digest).hex()


def test_authorize_logs_a_right_pap_password_itself_and_flags_it(radius_key, jan):
    from radius.models import AuthEvent

    right = rest("authorize", radius_key, {"User-Name": "jan", "User-Password": "Tajne-1",
                                           "Calling-Station-Id": "aa-bb"})
    assert right.json()["control:Tmp-String-9"] == "abonent-logged"
    event = AuthEvent.objects.get()
    assert (event.login, event.result, event.calling_station_id) == (jan, "accept", "aa-bb")

    assert right.json()["control:Auth-Type"] == "Accept"  # Abonent decided: nobody else
    assert "control:Cleartext-Password" not in right.json()

    wrong = rest("authorize", radius_key, {"User-Name": "jan", "User-Password": "Tajne-2"})
    # Abonent's reject: a 401 (rlm_rest: reject), logged here, flagged for the site.
    assert wrong.status_code == 401
    assert wrong.json() == {"control:Tmp-String-9": "abonent-logged"}
    # A code, not text: each viewer reads it in their own language.
    assert list(AuthEvent.objects.order_by("id").values_list("result", "reason_code")) == [
        ("accept", ""), ("reject", "wrong_password")]


def test_authorize_checks_chap_only_with_its_challenge(radius_key, jan):
    from radius.models import AuthEvent

    challenge = bytes(range(16))
    right = rest("authorize", radius_key, {
        "User-Name": "jan", "CHAP-Password": _chap(7, "Tajne-1", challenge),
        "CHAP-Challenge": "0x" + challenge.hex()})
    assert right.json()["control:Tmp-String-9"] == "abonent-logged"
    wrong = rest("authorize", radius_key, {
        "User-Name": "jan", "CHAP-Password": _chap(7, "other", challenge),
        "CHAP-Challenge": "0x" + challenge.hex()})
    # The challenge is the request authenticator, which FreeRADIUS does not pass on.
    unknown = rest("authorize", radius_key, {
        "User-Name": "jan", "CHAP-Password": _chap(7, "Tajne-1", challenge)})
    assert wrong.status_code == 401
    assert "control:Tmp-String-9" not in unknown.json()
    assert unknown.json()["control:Cleartext-Password"]["value"] == "Tajne-1"
    assert list(AuthEvent.objects.order_by("id").values_list("result", flat=True)) == [
        "accept", "reject"]


def test_a_dhcp_login_never_opens_with_a_password(radius_key, customer, staff):
    from radius.models import AuthEvent

    tv = login_create(actor=staff, customer=customer, login="k00144", auth_type="dhcp",
                      password="Stored-1", mac="02:00:5e:00:01:44", ip="10.0.0.9")
    for user in ("k00144", "02:00:5E:00:01:44", "0200.5e00.0144"):
        for password in ("Stored-1", "anything", "\\"):
            response = rest("authorize", radius_key, {"User-Name": user,
                                                       "User-Password": password})
            # Abonent's reject, logged here: by name, a DHCP login asked with a
            # password; by MAC, no login of that name.
            assert response.status_code == 401, user
    # Its name without a password is no DHCP authorization either.
    assert rest("authorize", radius_key, {"User-Name": "k00144",
                                          "Calling-Station-Id": tv.mac}).status_code == 401
    # What its DHCP server sends: the MAC, no password (MikroTik: an empty one).
    dhcp = rest("authorize", radius_key, {"User-Name": "02:00:5E:00:01:44",
                                          "User-Password": "",
                                          "Calling-Station-Id": "1:2:0:5e:0:1:44"})
    assert dhcp.status_code == 200
    assert dhcp.json()["reply:Framed-IP-Address"]["value"] == ["10.0.0.9"]
    # Every refusal is in the device's history: by name (3, and 1 without a password)
    # and by its MAC with a password (6, as unknown logins: no login has that name).
    rejects = AuthEvent.objects.filter(login=tv, result="reject")
    assert sorted(rejects.values_list("reason_code", flat=True)) == \
        ["dhcp_password"] * 3 + ["no_password"] + ["unknown_login"] * 6
    assert AuthEvent.objects.filter(login=tv, result="accept").count() == 1


def test_values_go_out_escaped_for_rlm_rest_and_come_in_byte_for_byte(radius_key, jan,
                                                                     staff):
    from radius.services import login_update

    login_update(actor=staff, login=jan, password="za\\żółć\\",
                 attributes=[("Reply-Message", ":=", 'a\\b"%{x}')])
    # MS-CHAP: FreeRADIUS checks, so it gets the password; rlm_rest unescapes "\\".
    answer = rest("authorize", radius_key, {"User-Name": "jan",
                                            "MS-CHAP2-Response": "0x00"}).json()
    assert answer["control:Cleartext-Password"]["value"] == "za\\\\żółć\\\\"
    assert answer["reply:Reply-Message"]["value"] == ['a\\\\b"%{x}']
    # rlm_rest sends each byte above 0x7f as its own \u00XX: the UTF-8 bytes.
    typed = "za\\żółć\\".encode().decode("latin-1")
    assert rest("authorize", radius_key, {"User-Name": "jan",
                                          "User-Password": typed}).status_code == 200


def test_post_auth_keeps_no_module_complaint_on_an_accept(radius_key, jan):
    from radius.models import AuthEvent

    rest("post-auth", radius_key, {"User-Name": "jan", "Module-Failure-Message": "realm"},
         **{"X-Abonent-Result": "accept"})
    rest("post-auth", radius_key, {"User-Name": "jan", "Module-Failure-Message": "bad pw"},
         **{"X-Abonent-Result": "reject"})
    assert sorted(AuthEvent.objects.values_list("result", "reason_code", "reason")) == [
        ("accept", "", ""), ("reject", "freeradius", "bad pw")]
