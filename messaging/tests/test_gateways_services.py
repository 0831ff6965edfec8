"""Gateway settings (messaging/gateway_config.py): kinds per channel, validation of what
crosses into another program (host, URL, From address), the password write-only and
encrypted, the report secret generated and rotated, every change logged without the
password."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from core.models import ActionLog
from messaging import gateway_config
from messaging.models import Gateway

SMTP = {"channel": "email", "kind": "smtp", "host": "smtp.example.pl", "port": 587,
        "username": "abonent", "password": "tajne hasło \"'\\", "use_tls": True,
        "from_address": "biuro@example.pl"}
KANNEL = {"channel": "sms", "kind": "kannel", "url": "http://127.0.0.1:13013/cgi-bin/sendsms",
          "username": "abonent", "password": "kannel-pass", "from_address": "SiecAlfa"}


def refused(call) -> dict:
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.message_dict


def test_smtp_gateway_is_created_with_a_secret_and_the_password_encrypted(in_tenant, staff):
    gateway = gateway_config.gateway_create(actor=staff, **SMTP)
    assert len(gateway.dlr_secret) >= 40
    gateway.refresh_from_db()
    assert gateway.password == SMTP["password"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM messaging_gateway WHERE id = %s", [gateway.pk])
        stored = cursor.fetchone()[0]
    assert "tajne" not in stored and SMTP["password"] not in stored
    entry = ActionLog.objects.get(kind="gateway.create")
    assert "tajne" not in entry.text + str(entry.params) + str(entry.changes)


def test_kinds_belong_to_their_channel(in_tenant, staff):
    assert "kind" in refused(lambda: gateway_config.gateway_create(
        actor=staff, **{**SMTP, "kind": "kannel"}))
    assert "kind" in refused(lambda: gateway_config.gateway_create(
        actor=staff, **{**KANNEL, "kind": "smtp"}))
    assert "channel" in refused(lambda: gateway_config.gateway_create(
        actor=staff, **{**KANNEL, "channel": "notice"}))


@pytest.mark.parametrize("field, value", [
    ("host", ""),
    ("host", "smtp.example.pl\r\nRCPT TO:<x@y>"),
    ("host", "smtp example pl"),
    ("host", "-bad-.pl"),
    ("port", 0),
    ("port", 70000),
    ("port", -25),
    ("from_address", ""),
    ("from_address", "biuro@example.pl\nBcc: all@example.com"),
    ("from_address", "nie adres"),
    ("rate_per_second", 0),
    ("rate_per_second", -5),
])
def test_smtp_settings_that_would_break_are_refused(in_tenant, staff, field, value):
    assert field in refused(lambda: gateway_config.gateway_create(
        actor=staff, **{**SMTP, field: value}))
    assert not Gateway.objects.exists()


def test_starttls_and_ssl_together_are_refused(in_tenant, staff):
    assert "use_ssl" in refused(lambda: gateway_config.gateway_create(
        actor=staff, **{**SMTP, "use_ssl": True}))


def test_ip_addresses_and_default_port_are_accepted(in_tenant, staff):
    gateway = gateway_config.gateway_create(actor=staff, **{**SMTP, "host": "::1",
                                                            "port": None})
    assert (gateway.host, gateway.port) == ("::1", 587)


_LONGEST = ("a" * 63 + ".") * 3 + "a" * 61  # 253 characters


@pytest.mark.parametrize("host", [
    "a" * 64 + ".example.pl", "-smtp.example.pl", "smtp-.example.pl", "a..b",
    _LONGEST + "a", "zażółć.pl", "smtp_1.example.pl",
    "127.1", "10.0.0.999",  # an address in disguise (core.netguard's rule)
])
def test_an_smtp_host_that_is_no_host_name_is_refused(in_tenant, staff, host):
    errors = refused(lambda: gateway_config.gateway_create(actor=staff,
                                                           **{**SMTP, "host": host}))
    assert errors["host"] == ["Enter a valid host name or IP address."]
    assert not Gateway.objects.exists()


@pytest.mark.parametrize("host", ["a" * 63 + ".example.pl", _LONGEST, _LONGEST + ".",
                                  "xn--za-6ja4f8n1l.pl", "10.0.0.25", "2001:db8::25"])
def test_an_smtp_host_name_at_its_limits_or_an_address_is_taken(in_tenant, staff, host):
    assert gateway_config.gateway_create(actor=staff, **{**SMTP, "host": host}).host == host


@pytest.mark.parametrize("field, value", [
    ("url", ""),
    ("url", "ftp://127.0.0.1/sendsms"),
    ("url", "javascript:alert(1)"),
    ("url", "http://127.0.0.1:13013/cgi\nX: y"),
    ("username", ""),
    ("password", ""),
    ("from_address", "Nazwa za długa na nadawcę"),
    ("from_address", "Zażółć"),
])
def test_kannel_settings_that_would_break_are_refused(in_tenant, staff, field, value):
    assert field in refused(lambda: gateway_config.gateway_create(
        actor=staff, **{**KANNEL, field: value}))


def test_http_provider_needs_a_token_and_takes_a_sender_name(in_tenant, staff):
    fields = {"channel": "sms", "kind": "http_sms", "url": "https://api.smsapi.pl/sms.do",
              "from_address": "Alfa-Net"}
    assert "password" in refused(lambda: gateway_config.gateway_create(actor=staff, **fields))
    gateway = gateway_config.gateway_create(actor=staff, password="token-123", **fields)
    assert (gateway.kind, gateway.password, gateway.host, gateway.port) == \
        ("http_sms", "token-123", "", None)


def test_one_gateway_per_channel(in_tenant, staff):
    gateway_config.gateway_create(actor=staff, **KANNEL)
    assert "channel" in refused(lambda: gateway_config.gateway_create(actor=staff, **KANNEL))


def test_empty_password_on_update_keeps_the_stored_one(in_tenant, staff):
    gateway = gateway_config.gateway_create(actor=staff, **SMTP)
    gateway_config.gateway_update(actor=staff, gateway=gateway, password="", host="10.0.0.25",
                                  rate_per_second=5)
    gateway.refresh_from_db()
    assert (gateway.password, gateway.host, gateway.rate_per_second) == \
        (SMTP["password"], "10.0.0.25", 5)
    entry = ActionLog.objects.get(kind="gateway.update")
    assert entry.changes == {"host": ["smtp.example.pl", "10.0.0.25"],
                             "rate_per_second": [50, 5]}
    assert "password" not in entry.text


def test_new_password_is_logged_as_changed_but_never_shown(in_tenant, staff):
    gateway = gateway_config.gateway_create(actor=staff, **KANNEL)
    gateway_config.gateway_update(actor=staff, gateway=gateway, password="nowe-hasło-42")
    gateway.refresh_from_db()
    assert gateway.password == "nowe-hasło-42"
    entry = ActionLog.objects.get(kind="gateway.update")
    assert "The password was changed." in entry.text
    assert "nowe-hasło-42" not in entry.text + str(entry.params) + str(entry.changes)


def test_switching_the_sms_kind_needs_the_new_kinds_token(in_tenant, staff):
    gateway = gateway_config.gateway_create(actor=staff, **KANNEL)
    assert "password" in refused(lambda: gateway_config.gateway_update(
        actor=staff, gateway=gateway, kind="http_sms", url="https://api.smsapi.pl/sms.do"))
    gateway_config.gateway_update(actor=staff, gateway=gateway, kind="http_sms",
                                  url="https://api.smsapi.pl/sms.do", password="tok")
    gateway.refresh_from_db()
    assert (gateway.kind, gateway.password) == ("http_sms", "tok")


def test_unchanged_save_writes_no_log(in_tenant, staff):
    gateway = gateway_config.gateway_create(actor=staff, **KANNEL)
    gateway_config.gateway_update(actor=staff, gateway=gateway)
    assert not ActionLog.objects.filter(kind="gateway.update").exists()


def test_rotating_the_secret_changes_the_report_url(in_tenant, staff, tenant, settings):
    settings.MESSAGING_PUBLIC_URL = "https://abonent.example.pl"
    gateway = gateway_config.gateway_create(actor=staff, **KANNEL)
    before = gateway_config.gateway_report_url(gateway)
    assert before.startswith(f"https://abonent.example.pl/messaging/dlr/{tenant.pk}/{{key}}/")
    assert before.endswith(f"?s={gateway.dlr_secret}")
    gateway_config.gateway_dlr_rotate(actor=staff, gateway=gateway)
    gateway.refresh_from_db()
    after = gateway_config.gateway_report_url(gateway)
    assert after != before and after.endswith(f"?s={gateway.dlr_secret}")
    assert ActionLog.objects.filter(kind="gateway.dlr_rotate").count() == 1


def test_smtp_has_no_report_url(in_tenant, staff):
    assert gateway_config.gateway_report_url(
        gateway_config.gateway_create(actor=staff, **SMTP)) == ""


def test_delete_is_logged(in_tenant, staff):
    gateway = gateway_config.gateway_create(actor=staff, **SMTP)
    gateway_config.gateway_delete(actor=staff, gateway=gateway)
    assert not Gateway.objects.exists()
    assert ActionLog.objects.filter(kind="gateway.delete").count() == 1
