"""*Finanse → JPK* and the purchase register: pages, API, permissions, validation."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from accounting.models import JpkFiling, PurchaseDocument
from accounting.purchases import purchase_create
from accounting.tests.fixtures_jpk import jpk_invoice, jpk_line
from conftest import make_staff, token_client
from core.actionlog import ActionLog
from core.models import Role

MARCH = date(2026, 3, 10)


def purchase(staff, number="FV/1/2026", **kw):
    data = {"supplier_name": "Hurt Sieci", "supplier_nip": "5260250274", "number": number,
            "issue_date": date(2026, 3, 2), "receipt_date": None, "period": date(2026, 3, 1),
            "category": "other", "net": "100.00", "vat": "23.00", **kw}
    return purchase_create(actor=staff, **data)


@pytest.fixture
def technician_client(client, tenant):
    client.force_login(make_staff(tenant, "tomek", role=Role.TECHNICIAN))
    return client


def test_menu_shows_jpk_and_purchases(jpk_tenant, staff_client):
    text = staff_client.get(reverse("accounting:jpk")).content.decode()
    assert reverse("accounting:purchase_list") in text and "JPK_V7M" in text
    assert 'id="jpk-preview"' not in text  # the month is read only when asked


def test_preview_build_and_download(jpk_tenant, staff, company, staff_client):
    jpk_invoice(staff, company, [jpk_line("100.00")], MARCH)

    preview = staff_client.get(reverse("accounting:jpk"), {"period": "2026-03"})
    assert preview.status_code == 200
    text = preview.content.decode()
    assert "P_20" in text and "First filing" in text
    assert not JpkFiling.objects.exists()  # a preview stores nothing

    response = staff_client.post(reverse("accounting:jpk_build"), {"period": "2026-03"})
    filing = JpkFiling.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("accounting:jpk_filing", args=[filing.pk])
    download = staff_client.get(reverse("accounting:jpk_download", args=[filing.pk]))
    assert download["Content-Type"] == "application/xml"
    assert "JPK_V7M_2026-03_0.xml" in download["Content-Disposition"]
    assert download.content == filing.xml.encode()

    staff_client.post(reverse("accounting:jpk_build"), {"period": "2026-03"})
    second = JpkFiling.objects.get(sequence=1)
    page = staff_client.get(reverse("accounting:jpk_filing", args=[second.pk]))
    assert "Difference against file no. 0" in page.content.decode()


def test_build_errors_are_shown(jpk_tenant, staff_client):
    response = staff_client.post(reverse("accounting:jpk_build"), {"period": "2026-01"})
    assert response.status_code == 400
    assert "February 2026" in response.content.decode()
    response = staff_client.post(reverse("accounting:jpk_build"), {"period": "marzec"})
    assert response.status_code == 400 and "YYYY-MM" in response.content.decode()


def test_technician_gets_403(jpk_tenant, technician_client):
    for name in ("accounting:jpk", "accounting:purchase_list", "accounting:purchase_new"):
        assert technician_client.get(reverse(name)).status_code == 403
    assert technician_client.post(reverse("accounting:jpk_build"),
                                  {"period": "2026-03"}).status_code == 403


def test_accountant_may_build(jpk_tenant, client, tenant):
    client.force_login(make_staff(tenant, "ksiegowa", role=Role.ACCOUNTANT))
    response = client.post(reverse("accounting:jpk_build"), {"period": "2026-03"})
    assert response.status_code == 302 and JpkFiling.objects.count() == 1


def test_other_tenants_filing_and_purchase_are_404(jpk_tenant, staff, other_staff,
                                                   other_tenant, client):
    from accounting import jpk

    document = purchase(staff)
    filing = jpk.jpk_filing_create(actor=staff, year=2026, month=3)
    client.force_login(other_staff)
    for url in (reverse("accounting:jpk_filing", args=[filing.pk]),
                reverse("accounting:jpk_download", args=[filing.pk]),
                reverse("accounting:purchase_edit", args=[document.pk])):
        assert client.get(url).status_code == 404
    assert client.post(reverse("accounting:purchase_delete", args=[document.pk])).status_code \
        == 404
    assert PurchaseDocument.all_tenants.filter(pk=document.pk).exists()


def test_purchase_form_adds_with_computed_vat_and_logs(jpk_tenant, staff_client):
    response = staff_client.post(reverse("accounting:purchase_new"), {
        "supplier_name": "Hurt Sieci", "supplier_nip": "526-025-02-74", "number": "FV/7",
        "issue_date": "2026-03-02", "receipt_date": "2026-03-04", "period": "2026-03",
        "category": "fixed_asset", "net": "1 000,10", "vat_rate": "23", "vat": "",
        "ksef_number": "", "ksef_marker": "BFK", "document_type": ""})
    assert response.status_code == 302
    document = PurchaseDocument.objects.get()
    assert document.supplier_nip == "5260250274"
    assert (document.net, document.vat) == (Decimal("1000.10"), Decimal("230.02"))
    assert ActionLog.objects.filter(kind="purchase.create").exists()


@pytest.mark.parametrize(("changes", "message"), [
    ({"supplier_nip": "1234567890"}, "not a valid NIP"),
    ({"period": "2026-02"}, "before the month the invoice was received"),
    ({"period": "2026-08"}, "three months"),
    ({"receipt_date": "2026-03-01"}, "before it was issued"),
    ({"vat": "50.00"}, "more than 23%"),
    ({"vat": "-2.00"}, "same sign"),
    ({"ksef_number": "KSEF-123"}, "not a KSeF number"),
    ({"vat": "", "vat_rate": ""}, "Enter the VAT amount"),
])
def test_purchase_form_explains_what_is_wrong(jpk_tenant, staff_client, changes, message):
    data = {"supplier_name": "Hurt", "supplier_nip": "5260250274", "number": "FV/8",
            "issue_date": "2026-03-02", "receipt_date": "", "period": "2026-03",
            "category": "other", "net": "100.00", "vat": "23.00", "vat_rate": "",
            "ksef_number": "", "ksef_marker": "BFK", "document_type": "", **changes}
    response = staff_client.post(reverse("accounting:purchase_new"), data)
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not PurchaseDocument.objects.exists()


def test_same_supplier_number_twice_is_refused(jpk_tenant, staff, staff_client):
    purchase(staff, number="FV/9")
    response = staff_client.post(reverse("accounting:purchase_new"), {
        "supplier_name": "Hurt", "supplier_nip": "5260250274", "number": "FV/9",
        "issue_date": "2026-03-02", "period": "2026-03", "category": "other",
        "net": "1.00", "vat": "0.23", "ksef_marker": "BFK"})
    assert response.status_code == 400
    assert "already in the register" in response.content.decode()


def test_purchase_edit_and_delete_are_logged(jpk_tenant, staff, staff_client):
    document = purchase(staff)
    url = reverse("accounting:purchase_edit", args=[document.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {
        "supplier_name": "Hurt Sieci", "supplier_nip": "5260250274", "number": "FV/1/2026",
        "issue_date": "2026-03-02", "period": "2026-04", "category": "other",
        "net": "100.00", "vat": "8.00", "ksef_marker": "BFK"})
    assert response.status_code == 302
    entry = ActionLog.objects.get(kind="purchase.update")
    assert entry.changes["vat"] == ["23.00", "8.00"]
    staff_client.post(reverse("accounting:purchase_delete", args=[document.pk]))
    assert not PurchaseDocument.objects.exists()
    assert ActionLog.objects.filter(kind="purchase.delete").exists()


def test_purchase_list_searches_and_pages(jpk_tenant, staff, staff_client,
                                          django_assert_num_queries):
    for n in range(55):
        purchase(staff, number=f"FV/{n}/2026", supplier_name=f"Dostawca {n}")
    url = reverse("accounting:purchase_list")
    staff_client.get(url)  # warm caches
    # Queries: session, user, membership with tenant and role (permissions), the count, the
    # page of 50.
    with django_assert_num_queries(5):
        response = staff_client.get(url)
    assert response.content.decode().count("Dostawca ") == 50
    second = staff_client.get(url, {"page": 2}).content.decode()
    assert second.count("Dostawca ") == 5
    found = staff_client.get(url, {"q": "FV/17/"}).content.decode()
    assert "Dostawca 17" in found and "Dostawca 1<" not in found


def test_filing_list_query_count(jpk_tenant, staff, staff_client, django_assert_num_queries):
    from accounting import jpk

    for month in (3, 4, 5):
        jpk.jpk_filing_create(actor=staff, year=2026, month=month)
    url = reverse("accounting:jpk")
    staff_client.get(url, {"period": "2026-13"})
    # Queries: session, user, membership with tenant and role (permissions), the count, the
    # page of files with their authors (no preview: the month is invalid).
    with django_assert_num_queries(5):
        response = staff_client.get(url, {"period": "2026-13"})
    assert response.status_code == 400
    assert response.content.decode().count("/download/") == 3


# ----------------------------------------------------------------------------- API

def test_api_builds_lists_and_downloads(jpk_tenant, staff, company, api_client):
    jpk_invoice(staff, company, [jpk_line("100.00")], MARCH)
    response = api_client.post("/api/v1/jpk-filings/", {"year": 2026, "month": 3},
                               format="json")
    assert response.status_code == 201, response.content
    assert response.json()["purpose"] == 1 and response.json()["output_vat"] == "23.00"
    pk = response.json()["id"]
    assert api_client.get("/api/v1/jpk-filings/").json()["results"][0]["id"] == pk
    xml = api_client.get(f"/api/v1/jpk-filings/{pk}/download/")
    assert xml.status_code == 200 and xml.content.startswith(b"<?xml")
    again = api_client.post("/api/v1/jpk-filings/", {"year": 2026, "month": 3}, format="json")
    assert again.json()["purpose"] == 2 and again.json()["previous"] == pk
    refused = api_client.post("/api/v1/jpk-filings/", {"year": 2026, "month": 1},
                              format="json")
    assert refused.status_code == 400


def test_api_purchases(jpk_tenant, staff, api_client, other_api_client):
    response = api_client.post("/api/v1/purchase-documents/", {
        "supplier_name": "Hurt", "supplier_nip": "5260250274", "number": "FV/API/1",
        "issue_date": "2026-03-02", "period": "2026-03-15", "net": "10.00",
        "vat_rate": "8"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["vat"] == "0.80" and body["period"] == "2026-03-01"
    assert api_client.get("/api/v1/purchase-documents/", {"q": "API"}).json()["count"] == 1
    assert api_client.get("/api/v1/purchase-documents/",
                          {"period": "2026-04-01"}).json()["count"] == 0
    url = f"/api/v1/purchase-documents/{body['id']}/"
    assert other_api_client.get(url).status_code == 404
    assert other_api_client.delete(url).status_code == 404
    bad = api_client.post("/api/v1/purchase-documents/", {
        "supplier_name": "Hurt", "supplier_nip": "1234567890", "number": "FV/API/2",
        "issue_date": "2026-03-02", "period": "2026-03-01", "net": "10.00", "vat": "2.30"},
        format="json")
    assert bad.status_code == 400
    wrong_type = api_client.post("/api/v1/purchase-documents/", {
        "supplier_name": "Hurt", "supplier_nip": "5260250274", "number": "FV/API/3",
        "issue_date": "2026-03-02", "period": "2026-03-01", "net": "10.00", "vat": "2.30",
        "document_type": "XX"}, format="json")
    assert wrong_type.status_code == 400
    assert api_client.delete(url).status_code == 204


def test_api_technician_gets_403(jpk_tenant, tenant):
    client = token_client(make_staff(tenant, "tomek", role=Role.TECHNICIAN), tenant)
    assert client.get("/api/v1/jpk-filings/").status_code == 403
    assert client.post("/api/v1/jpk-filings/", {"year": 2026, "month": 3},
                       format="json").status_code == 403
    assert client.get("/api/v1/purchase-documents/").status_code == 403


def test_preview_warns_of_invoices_still_on_their_way_to_ksef(jpk_tenant, staff, company,
                                                              staff_client):
    from core.document_hooks import _KSEF_REFERENCE, register_ksef_reference

    sent = jpk_invoice(staff, company, [jpk_line("100.00")], MARCH)
    jpk_invoice(staff, company, [jpk_line("50.00")], MARCH)  # queued: left out by the hook
    saved = list(_KSEF_REFERENCE)
    register_ksef_reference(lambda ids: {sent.pk: "BFK"})
    try:
        text = staff_client.get(reverse("accounting:jpk"), {"period": "2026-03"}).content
    finally:
        _KSEF_REFERENCE[:] = saved
    assert "1 invoice is still on its way to KSeF" in text.decode()
