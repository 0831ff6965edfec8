"""Phones into Asterisk's realtime tables — the schema Asterisk's own migrations make,
loaded into a second PostgreSQL database: written after commit, idempotent, following a
change, a block and a removal; the reconciliation repairs drift; tenants stay apart."""

import hashlib

import pytest
from django.db import connections

from core.services import tenant_setting_set
from core.tenancy import tenant_context
from voip import asterisk, services
from voip.models import VoipPhone
from voip.routers import ASTERISK

from .conftest import BOTH, asterisk_rows

pytestmark = [pytest.mark.django_db(databases=BOTH), pytest.mark.usefixtures("asterisk_db")]


def _add(staff, customer, numbers_range, capture, **kw):
    with capture(execute=True):
        return services.phone_create(actor=staff, customer=customer,
                                     numbers_range=numbers_range, **kw)


def test_a_new_phone_is_written_after_commit(numbers_range, staff, customer,
                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        phone, password = services.phone_create(
            actor=staff, customer=customer, numbers_range=numbers_range,
            context="podstawowy", voicemail_pin="2468", voicemail_email="jan@example.pl")
    assert asterisk_rows("ps_endpoints") == []  # nothing before the commit
    assert len(queued) == 1
    queued[0]()
    endpoint, = asterisk_rows("ps_endpoints")
    assert endpoint["id"] == "48223000000" and endpoint["context"] == "podstawowy"
    assert endpoint["aors"] == endpoint["auth"] == "48223000000"
    assert endpoint["tenantid"] == f"abonent-{phone.tenant_id}"
    assert endpoint["accountcode"] == f"abonent-{phone.tenant_id}-{phone.pk}"
    auth, = asterisk_rows("ps_auths")
    assert auth["username"] == "48223000000" and auth["auth_type"] == "md5"
    assert auth["password"] is None  # the exchange has the digest only
    assert auth["md5_cred"] == hashlib.md5(
        f"48223000000:asterisk:{password}".encode()).hexdigest()
    aor, = asterisk_rows("ps_aors")
    assert aor["max_contacts"] == 2 and aor["mailboxes"] == f"48223000000@abonent-{phone.tenant_id}"
    box, = asterisk_rows("voicemail")
    assert (box["mailbox"], box["password"], box["email"]) == ("48223000000", "2468",
                                                                 "jan@example.pl")
    phone.refresh_from_db()
    assert phone.provisioned_at is not None and phone.provision_error == ""


def test_a_retry_changes_nothing(numbers_range, staff, customer, tenant,
                                 django_capture_on_commit_callbacks):
    phone, _p = _add(staff, customer, numbers_range, django_capture_on_commit_callbacks)
    before = [asterisk_rows(t) for t in ("ps_endpoints", "ps_auths", "ps_aors")]
    assert asterisk.phone_provision(tenant, phone.pk) == "unchanged"
    assert asterisk.phone_provision(tenant, phone.pk) == "unchanged"
    assert [asterisk_rows(t) for t in ("ps_endpoints", "ps_auths", "ps_aors")] == before


def test_a_change_a_block_and_a_removal_follow(numbers_range, staff, customer, tenant,
                                              django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    phone, _p = _add(staff, customer, numbers_range, capture)
    with capture(execute=True):
        services.phone_update(actor=staff, phone=phone, password="Inne-Haslo-12345",
                              context="premium")
    endpoint, = asterisk_rows("ps_endpoints")
    auth, = asterisk_rows("ps_auths")
    assert endpoint["context"] == "premium"
    assert auth["md5_cred"] == hashlib.md5(b"48223000000:asterisk:Inne-Haslo-12345").hexdigest()
    tenant_setting_set(actor=staff, key="voip.blocked_context", raw_value="dlug")
    with capture(execute=True):
        services.phone_block_set(actor=None, phone=phone, debt=True)
    assert asterisk_rows("ps_endpoints")[0]["context"] == "dlug"
    with capture(execute=True):
        services.phone_block_set(actor=None, phone=phone, limit=True)
        services.phone_block_set(actor=None, phone=phone, debt=False)
    assert asterisk_rows("ps_endpoints")[0]["context"] == "dlug"  # still over the limit
    with capture(execute=True):
        services.phone_block_set(actor=None, phone=phone, limit=False)
    assert asterisk_rows("ps_endpoints")[0]["context"] == "premium"
    with capture(execute=True):
        services.phone_remove(actor=staff, phone=phone)
    assert asterisk_rows("ps_endpoints") == asterisk_rows("ps_auths") == []
    assert asterisk_rows("ps_aors") == asterisk_rows("voicemail") == []


def test_tenants_rows_stay_apart(numbers_range, staff, customer, other_tenant, other_staff,
                                 other_customer, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    _add(staff, customer, numbers_range, capture, voicemail_pin="1234")
    with tenant_context(other_tenant):
        beta = services.number_range_create(actor=other_staff, name="Beta",
                                            first="+48223000100", last="+48223000109")
        theirs, _p = _add(other_staff, other_customer, beta, capture, voicemail_pin="9999")
    tags = {row["id"]: row["tenantid"] for row in asterisk_rows("ps_endpoints")}
    assert tags == {"48223000000": f"abonent-{customer.tenant_id}",
                    "48223000100": f"abonent-{other_tenant.pk}"}
    assert {row["context"] for row in asterisk_rows("voicemail")} == {
        f"abonent-{customer.tenant_id}", f"abonent-{other_tenant.pk}"}
    # the first tenant's reconciliation leaves the other's rows alone, even an odd one
    with connections[ASTERISK].cursor() as cursor:
        cursor.execute("UPDATE ps_endpoints SET context = 'zmienione' WHERE id = '48223000100'")
    result = asterisk.phones_reconcile(customer.tenant)
    assert result.written == [] and result.removed == [] and result.unchanged == 1
    assert asterisk_rows("ps_endpoints", "id = '48223000100'")[0]["context"] == "zmienione"
    with tenant_context(other_tenant):
        repaired = asterisk.phones_reconcile(other_tenant)
    assert repaired.written == [("48223000100", ["ps_endpoints.context"])]
    assert asterisk_rows("ps_endpoints", "id = '48223000100'")[0]["context"] == "default"
    assert theirs.pk


def test_an_endpoint_another_account_holds_is_not_taken_over(
        numbers_range, staff, customer, tenant, django_capture_on_commit_callbacks):
    with connections[ASTERISK].cursor() as cursor:  # written by hand on the exchange
        cursor.execute("INSERT INTO ps_endpoints (id, context, accountcode) "
                       "VALUES ('48223000000', 'reczny', 'admin')")
    with pytest.raises(asterisk.ProvisionConflict):
        _add(staff, customer, numbers_range, django_capture_on_commit_callbacks)
    phone = VoipPhone.objects.get()
    assert "belongs to admin" in phone.provision_error and phone.provisioned_at is None
    assert asterisk_rows("ps_endpoints")[0]["context"] == "reczny"


def test_the_reconciliation_repairs_drift_and_says_what(numbers_range, staff, customer,
                                                        tenant,
                                                        django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    one, _p = _add(staff, customer, numbers_range, capture)
    two, _p = _add(staff, customer, numbers_range, capture, voicemail_pin="1357")
    gone, _p = _add(staff, customer, numbers_range, capture)
    with connections[ASTERISK].cursor() as cursor:
        cursor.execute("UPDATE ps_auths SET md5_cred = 'x' WHERE id = '48223000000'")
        cursor.execute("DELETE FROM voicemail")
        # a phone removed in Abonent while the exchange's database was away
        VoipPhone.objects.filter(pk=gone.pk).delete()
    dry = asterisk.phones_reconcile(tenant, dry_run=True)
    assert dry.written == [("48223000000", ["ps_auths.md5_cred"]),
                           ("48223000001", ["voicemail"])]
    assert dry.removed == ["48223000002"]
    assert asterisk_rows("ps_auths", "id = '48223000000'")[0]["md5_cred"] == "x"
    done = asterisk.phones_reconcile(tenant)
    assert (done.written, done.removed) == (dry.written, dry.removed)
    again = asterisk.phones_reconcile(tenant)
    assert again.written == [] and again.removed == [] and again.unchanged == 2
    assert [r["id"] for r in asterisk_rows("ps_endpoints")] == ["48223000000", "48223000001"]
    assert one.pk and two.pk


def test_provisioning_is_off_without_asterisks_database(numbers_range, staff, customer,
                                                        tenant, monkeypatch,
                                                        django_capture_on_commit_callbacks):
    from django.conf import settings

    phone, _p = _add(staff, customer, numbers_range, django_capture_on_commit_callbacks)
    monkeypatch.delitem(settings.DATABASES, ASTERISK)
    assert not asterisk.enabled()
    assert asterisk.phone_provision(tenant, phone.pk) == "off"


def test_the_command_reports_per_tenant(numbers_range, staff, customer, tenant,
                                        django_capture_on_commit_callbacks, capsys):
    from django.core.management import call_command

    _add(staff, customer, numbers_range, django_capture_on_commit_callbacks)
    with connections[ASTERISK].cursor() as cursor:
        cursor.execute("UPDATE ps_aors SET max_contacts = 9")
    call_command("voip_reconcile", "--tenant", tenant.slug, "--dry-run")
    out = capsys.readouterr().out
    assert "would write 1" in out and "+48223000000: ps_aors.max_contacts" in out
    assert asterisk_rows("ps_aors")[0]["max_contacts"] == 9
    call_command("voip_reconcile", "--tenant", tenant.slug)
    assert asterisk_rows("ps_aors")[0]["max_contacts"] == 2
