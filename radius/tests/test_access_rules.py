"""The rules of ``radius.access`` and the byte limits of what a NAS can carry, without a
server: every MAC notation a NAS uses, and requests that only look like DHCP."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from radius.access import dhcp_mac, mac_or_none
from radius.attributes import reply_removes, rlm_rest_answer
from radius.validators import clean_attribute, clean_password

MAC = "02:00:5E:00:01:44"


@pytest.mark.parametrize("written", [
    "02:00:5E:00:01:44", "02:00:5e:00:01:44", "02-00-5E-00-01-44", "0200.5e00.0144",
    "02005e000144", "1:2:0:5e:0:1:44", "01:02:00:5e:00:01:44"])
def test_every_notation_of_a_mac_a_nas_sends_is_that_mac(written):
    assert mac_or_none(written) == MAC


@pytest.mark.parametrize("written", [
    "k00144", "eth0.144", "", "2:2:0:5e:0:1:44",  # a client id of another hardware type
    "01:00:5E:00:01:44",  # multicast
    "1:2:0:5e:0:1:44:55", "02:00:5E:00:01"])
def test_what_is_not_a_device_mac_is_none(written):
    assert mac_or_none(written) is None


def request(**overrides):
    return dhcp_mac(**{"username": MAC, "calling_station_id": MAC, "user_password": None,
                       "other_credential": False, "framed_protocol": "", **overrides})


def test_a_dhcp_authorization_is_passwordless_not_ppp_and_names_one_mac():
    assert request() == MAC
    assert request(user_password="") == MAC  # MikroTik's DHCP server
    assert request(username="eth0.144") == MAC  # accel-ppp: the interface as the name
    assert request(calling_station_id="") == MAC  # the MAC only as the name
    assert request(user_password="x") is None
    assert request(other_credential=True) is None  # CHAP, MS-CHAP, EAP
    assert request(framed_protocol="PPP") is None
    assert request(calling_station_id="02:00:5E:00:02:01") is None  # two MACs
    assert request(username="k00144", calling_station_id="") is None  # no MAC at all


@given(st.text(min_size=1))
def test_any_password_makes_it_no_dhcp_authorization(password):
    assert request(user_password=password) is None


def test_what_pap_and_an_attribute_can_carry_counts_in_bytes():
    assert clean_password("ż" * 64) == "ż" * 64  # 128 bytes
    with pytest.raises(ValidationError):
        clean_password("ż" * 65)
    with pytest.raises(ValidationError):
        clean_attribute("Reply-Message", ":=", "ą" * 127)  # 254 bytes


def test_a_password_mschap_cannot_carry_is_refused():
    # FreeRADIUS's mschap hashes UCS-2: PAP would take it, MS-CHAP never.
    assert clean_password("Zażółć-€") == "Zażółć-€"
    with pytest.raises(ValidationError, match="MS-CHAP"):
        clean_password("hasło-\U0001F600")


def test_values_for_rlm_rest_have_every_backslash_doubled_and_nothing_else_changed():
    reply = {"reply:Reply-Message": {"op": ":=", "value": ["a\\b", 'c"%{d}'],
                                     "do_xlat": False},
             "control:Cleartext-Password": {"value": "\\", "do_xlat": False},
             "control:Auth-Type": "Accept"}
    assert rlm_rest_answer(reply) == {
        "reply:Reply-Message": {"op": ":=", "value": ["a\\\\b", 'c"%{d}'],
                                "do_xlat": False},
        "control:Cleartext-Password": {"value": "\\\\", "do_xlat": False},
        "control:Auth-Type": "Accept"}
    assert reply["control:Cleartext-Password"]["value"] == "\\"  # the stored one untouched


def test_a_reload_removes_what_the_new_reply_lacks_for_that_nas_type():
    def entry(value):
        return {"op": ":=", "value": [value], "do_xlat": False}

    blocked = {"reply": {"reply:Mikrotik-Address-List": entry("blocked")}, "by_kind": {}}
    speed = {"reply": {}, "by_kind": {
        "mikrotik": {"reply:Mikrotik-Rate-Limit": entry("5000k/20000k")},
        "juniper": {"reply:ERX-Ingress-Policy-Name": entry("up-5000k")}}}
    assert reply_removes(blocked, speed, "mikrotik") == ["Mikrotik-Address-List"]
    assert reply_removes(speed, blocked, "mikrotik") == ["Mikrotik-Rate-Limit"]
    juniper_blocked = {"reply": {"reply:ERX-Ingress-Policy-Name": entry("blocked")}}
    assert reply_removes(juniper_blocked, speed, "juniper") == []  # replaced: a CoA does
    assert reply_removes(speed, speed, "cisco") == []
