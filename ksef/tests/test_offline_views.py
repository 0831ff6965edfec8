"""The outages page and the offline certificate page: permissions, validation messages,
paging, the action log, another tenant's ids, and the certificate's checks."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from conftest import make_staff
from core.models import ActionLog
from core.roles import Role
from core.tenancy import tenant_context
from ksef import offline, pipeline
from ksef.models import KsefOutage, KsefSubmission, OfflineCertificate
from ksef.tests.fixtures_offline import offline_certificate_files
from ksef.tests.fixtures_pipeline import issue


def login(client, tenant, role):
    user = make_staff(tenant, f"user-{role}", role=role)
    client.force_login(user)
    return client


# --------------------------------------------------------------------------- certificate

def test_certificate_key_is_encrypted_at_rest_and_never_logged(in_tenant, staff):
    cert, key_pem, _key = offline_certificate_files("rsa")
    stored = offline.offline_certificate_upload(actor=staff, certificate=cert,
                                                private_key=key_pem)
    assert stored.serial == "01F20A5D352AE590"
    with connection.cursor() as cursor:
        cursor.execute("SELECT private_key_pem FROM ksef_offlinecertificate")
        [(raw,)] = cursor.fetchall()
    assert "PRIVATE KEY" not in raw
    assert "PRIVATE KEY" in OfflineCertificate.objects.get().private_key_pem
    entry = ActionLog.objects.get(kind="offlinecertificate.upload")
    assert "PRIVATE" not in str(entry.params) + str(entry.changes)


def test_a_new_upload_replaces_the_certificate(in_tenant, staff):
    for serial in (0x0A, 0x0B):
        cert, key_pem, _key = offline_certificate_files("ec", serial=serial)
        offline.offline_certificate_upload(actor=staff, certificate=cert, private_key=key_pem)
    assert list(OfflineCertificate.objects.values_list("serial", flat=True)) == ["0B"]


def test_password_protected_key_is_read_with_its_password(in_tenant, staff):
    from django.core.exceptions import ValidationError

    cert, key_pem, _key = offline_certificate_files("ec", password=b"ha%{s}\\'\"")
    with pytest.raises(ValidationError, match="cannot be read"):
        offline.offline_certificate_upload(actor=staff, certificate=cert, private_key=key_pem,
                                           password="wrong")
    offline.offline_certificate_upload(actor=staff, certificate=cert, private_key=key_pem,
                                       password="ha%{s}\\'\"")


@pytest.mark.parametrize(("case", "message"), [
    ("other key", "does not belong"),
    ("expired", "expired"),
    ("not yet valid", "valid only from"),
    ("rsa 1024", "2048 bits"),
    ("p-384", "neither"),
    ("garbage", "not an X.509"),
])
def test_upload_refuses_what_cannot_sign_kod_ii(in_tenant, staff, case, message):
    from django.core.exceptions import ValidationError

    now = dt.datetime.now(dt.UTC)
    key_pem = None
    if case == "other key":
        cert, _pem, _key = offline_certificate_files("ec")
        _c, key_pem, _k = offline_certificate_files("ec")
    elif case == "expired":
        cert, key_pem, _key = offline_certificate_files(
            "ec", valid_from=now - dt.timedelta(days=400), valid_to=now - dt.timedelta(days=1))
    elif case == "not yet valid":
        cert, key_pem, _key = offline_certificate_files(
            "ec", valid_from=now + dt.timedelta(days=2), valid_to=now + dt.timedelta(days=300))
    elif case == "rsa 1024":
        cert, key_pem, _key = offline_certificate_files("rsa", bits=1024)
    elif case == "p-384":
        cert, key_pem, _key = offline_certificate_files("ec384")
    else:
        _c, key_pem, _key = offline_certificate_files("ec")
        cert = b"-----BEGIN CERTIFICATE-----\nAlmostValid\n-----END CERTIFICATE-----\n"
    with pytest.raises(ValidationError, match=message):
        offline.offline_certificate_upload(actor=staff, certificate=cert, private_key=key_pem)
    assert not OfflineCertificate.objects.exists()


def test_certificate_page_uploads_and_shows_errors(staff_client, tenant):
    url = reverse("ksef:offline_certificate")
    cert, key_pem, _key = offline_certificate_files("ec")
    _c, other_key, _k = offline_certificate_files("ec")
    response = staff_client.post(url, {
        "certificate": SimpleUploadedFile("c.pem", cert),
        "private_key": SimpleUploadedFile("k.pem", other_key)})
    assert response.status_code == 400
    assert b"does not belong to this certificate" in response.content
    response = staff_client.post(url, {
        "certificate": SimpleUploadedFile("c.pem", cert),
        "private_key": SimpleUploadedFile("k.pem", key_pem)})
    assert response.status_code == 302
    page = staff_client.get(url)
    assert b"01F20A5D352AE590" in page.content
    assert b"PRIVATE KEY" not in page.content


def test_operator_sees_no_certificate_upload_and_technician_no_page(client, tenant):
    url = reverse("ksef:offline_certificate")
    cert, key_pem, _key = offline_certificate_files("ec")
    login(client, tenant, Role.OPERATOR)
    assert client.get(url).status_code == 200
    response = client.post(url, {"certificate": SimpleUploadedFile("c.pem", cert),
                                  "private_key": SimpleUploadedFile("k.pem", key_pem)})
    assert response.status_code == 403
    assert client.post(reverse("ksef:offline_certificate_delete")).status_code == 403
    login(client, tenant, Role.TECHNICIAN)
    assert client.get(url).status_code == 403
    assert not OfflineCertificate.all_tenants.exists()


# --------------------------------------------------------------------------- outages

def test_declaring_an_outage_from_the_page(staff_client, tenant):
    url = reverse("ksef:outages")
    response = staff_client.post(url, {"kind": "failure", "starts_at": "2026-12-01T08:00",
                                       "ends_at": "2026-12-01T07:00", "note": "x"})
    assert response.status_code == 400
    assert b"The end must be after the start." in response.content
    response = staff_client.post(url, {"kind": "failure", "starts_at": "2026-12-01T08:00",
                                       "note": "Komunikat MF nr 1"})
    assert response.status_code == 302
    outage = KsefOutage.all_tenants.get()
    assert outage.ends_at is None and outage.declared_by.username == "anna"
    response = staff_client.post(reverse("ksef:outage", args=[outage.pk]),
                                 {"ends_at": "2026-12-01T06:00"})
    assert response.status_code == 400
    response = staff_client.post(reverse("ksef:outage", args=[outage.pk]),
                                 {"ends_at": "2026-12-02T10:00"})
    assert response.status_code == 302
    outage.refresh_from_db()
    assert outage.ends_at is not None
    assert ActionLog.all_tenants.filter(kind__startswith="ksefoutage.").count() == 2


def test_operator_may_read_outages_but_not_declare_and_technician_not_read(client, tenant):
    url = reverse("ksef:outages")
    login(client, tenant, Role.OPERATOR)
    assert client.get(url).status_code == 200
    assert client.post(url, {"kind": "failure",
                             "starts_at": "2026-12-01T08:00"}).status_code == 403
    login(client, tenant, Role.TECHNICIAN)
    assert client.get(url).status_code == 403
    assert not KsefOutage.all_tenants.exists()


def test_another_tenants_outage_is_404(client, tenant, other_tenant, staff):
    with tenant_context(tenant):
        outage = offline.outage_declare(actor=staff, kind="failure",
                                        starts_at=dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC))
    login(client, other_tenant, Role.ADMIN)
    url = reverse("ksef:outage", args=[outage.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"ends_at": "2026-12-02T10:00"}).status_code == 404
    outage.refresh_from_db()
    assert outage.ends_at is None


def test_outage_page_lists_its_invoices_with_deadlines(ksef_profile, staff, customer,
                                                       staff_client, monkeypatch,
                                                       django_assert_max_num_queries):
    monkeypatch.setattr(pipeline, "send_later", lambda *a, **k: None)
    invoices = issue(staff, customer, 3)
    start = min(i.created_at for i in invoices) - dt.timedelta(minutes=1)
    outage = offline.outage_declare(actor=staff, kind="failure", starts_at=start)
    pipeline.submissions_queue(document_ids=[i.pk for i in invoices], trigger="issue")
    KsefSubmission.objects.update(offline_mode="outage")
    url = reverse("ksef:outage", args=[outage.pk])
    page = staff_client.get(url)
    assert page.status_code == 200
    for invoice in invoices:
        assert invoice.number.encode() in page.content
    assert b"runs from the end of the outage" in page.content
    end = dt.datetime(2026, 12, 11, 12, tzinfo=dt.UTC)  # a Friday
    if end <= start:
        end = start + dt.timedelta(days=1)
    outage = offline.outage_end(actor=staff, outage=outage, ends_at=end)
    expected = offline.offline_deadline("outage", invoices[0].created_at, outage=outage)
    assert expected is not None
    # Queries: session, user, membership, tenant … then the outage, the count, the page of
    # submissions with their documents and the tenant's failures: never one per row.
    with django_assert_max_num_queries(12):
        page = staff_client.get(url)
    assert b"runs from the end" not in page.content
    assert staff_client.get(url, {"page": 99}).status_code == 200
