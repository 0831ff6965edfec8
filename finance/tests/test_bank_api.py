"""API of the bank import: upload, imports and their lines, the queue, assignment."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import make_staff, token_client
from core.models import TenantSetting
from core.roles import Role
from core.tenancy import tenant_context
from customers import services as customer_services
from finance import services
from finance.models import BankImport, BankLine, FinanceDocument

SAMPLE = Path(settings.BASE_DIR).parent / "shared" / "data" / "bank" / "mbank_collect.sta"
UNKNOWN_ROW = ("Data księgowania;Data waluty;Kontrahent;Rachunek kontrahenta;Tytuł;Uznania;"
               "Obciążenia;Waluta;Numer referencyjny;Rachunek wirtualny\n"
               "02.03.2026;02.03.2026;Ktoś Obcy;PL27114020040000300201355387;?;20,00;;PLN;"
               "Z1;\n").encode("cp1250")


@pytest.fixture
def customers(in_tenant, staff):
    TenantSetting.objects.create(key="finance.virtual_account_prefix", value="0000")
    return [customer_services.customer_create(actor=staff, last_name=f"Nowak{i}")
            for i in range(1, 4)]


def post_file(client, data, name="wyciag.sta", fmt=""):
    return client.post("/api/v1/bank-imports/", {"file": SimpleUploadedFile(name, data),
                                                  "format": fmt}, format="multipart")


def test_upload_returns_the_counts_and_the_lines_tell_who_paid(api_client, customers):
    response = post_file(api_client, SAMPLE.read_bytes())
    assert response.status_code == 201
    body = response.json()
    assert (body["lines_total"], body["lines_new"], body["lines_duplicate"],
            body["lines_unidentified"]) == (3, 3, 0, 0)
    assert body["statement_id"] == "ST170119CYC/1 1/1"
    lines = api_client.get(f"/api/v1/bank-imports/{body['id']}/lines/").json()
    assert lines["count"] == 3
    first = lines["results"][0]
    assert first["rule"] == "virtual_account" and first["status"] == "booked"
    assert first["customer"] == customers[0].pk
    assert first["customer_number"] == customers[0].number
    assert first["amount"] == "0.01" and first["document_number"] == "MB170119012058"
    again = post_file(api_client, SAMPLE.read_bytes()).json()
    assert (again["lines_new"], again["lines_duplicate"]) == (0, 3)
    listed = api_client.get("/api/v1/bank-imports/").json()
    assert [item["id"] for item in listed["results"]] == [again["id"], body["id"]]


def test_a_malformed_file_is_a_400_with_the_line_and_nothing_is_written(api_client,
                                                                         customers):
    broken = SAMPLE.read_bytes().replace(b"CN0,01NTRFNONREF//MB170119012085",
                                         b"CN0,0,1NTRFNONREF//MB170119012085")
    response = post_file(api_client, broken)
    assert response.status_code == 400
    assert response.json()["errors"]["file"][0].startswith("line 12:")
    assert not BankImport.objects.exists() and not FinanceDocument.objects.exists()
    unknown = post_file(api_client, b"%PDF-1.4 not a statement")
    assert unknown.status_code == 400
    assert "unknown statement format" in unknown.json()["errors"]["file"][0]
    bad_profile = post_file(api_client, UNKNOWN_ROW, name="x.csv", fmt="csv:nope")
    assert bad_profile.status_code == 400
    assert bad_profile.json()["errors"]["format"] == ["There is no CSV profile “nope”."]


def test_queue_lists_the_unidentified_and_assign_books_them(api_client, staff, customers):
    target = customers[1]
    invoice = services.invoice_issue(actor=staff, customer=target, lines=[{
        "name": "Internet", "quantity": Decimal(1), "net_unit_price": Decimal("10"),
        "vat_rate": "23"}])
    assert post_file(api_client, UNKNOWN_ROW, name="x.csv", fmt="csv:generic_pl") \
        .status_code == 201
    queue = api_client.get("/api/v1/bank-lines/", {"status": "unidentified"}).json()
    assert queue["count"] == 1
    line = queue["results"][0]
    assert line["counterparty_name"] == "Ktoś Obcy" and line["customer"] is None
    response = api_client.post(f"/api/v1/bank-lines/{line['id']}/assign/",
                               {"customer": target.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "booked" and response.json()["rule"] == "manual"
    assert services.invoice_settlement(invoice).status == "settled"
    assert api_client.get("/api/v1/bank-lines/", {"status": "unidentified"}).json()["count"] == 0
    again = api_client.post(f"/api/v1/bank-lines/{line['id']}/assign/",
                            {"customer": target.pk}, format="json")
    assert again.status_code == 400
    assert again.json()["detail"] == "This line is not waiting for a customer."


def test_other_tenants_line_import_and_customer_are_404_or_refused(
        api_client, staff, customers, other_tenant):
    post_file(api_client, UNKNOWN_ROW, name="x.csv", fmt="csv:generic_pl")
    line, batch = BankLine.objects.get(), BankImport.objects.get()
    stranger = make_staff(other_tenant, "obcy")
    other = token_client(stranger, other_tenant)
    assert other.get(f"/api/v1/bank-imports/{batch.pk}/").status_code == 404
    assert other.get(f"/api/v1/bank-imports/{batch.pk}/lines/").status_code == 404
    assert other.get(f"/api/v1/bank-lines/{line.pk}/").status_code == 404
    assert other.post(f"/api/v1/bank-lines/{line.pk}/assign/", {"customer": 1},
                      format="json").status_code == 404
    assert other.get("/api/v1/bank-lines/").json()["count"] == 0
    with tenant_context(other_tenant):
        foreign = customer_services.customer_create(actor=stranger, last_name="Obcy")
    refused = api_client.post(f"/api/v1/bank-lines/{line.pk}/assign/",
                              {"customer": foreign.pk}, format="json")
    assert refused.status_code == 400 and "customer" in refused.json()["errors"]
    line.refresh_from_db()
    assert line.status == "unidentified"


def test_an_operator_reads_but_cannot_upload_or_assign(tenant, customers, api_client):
    post_file(api_client, UNKNOWN_ROW, name="x.csv", fmt="csv:generic_pl")
    line = BankLine.objects.get()
    operator = token_client(make_staff(tenant, "olek", role=Role.OPERATOR), tenant)
    assert operator.get("/api/v1/bank-lines/").status_code == 200
    assert post_file(operator, SAMPLE.read_bytes()).status_code == 403
    assert operator.post(f"/api/v1/bank-lines/{line.pk}/assign/",
                         {"customer": customers[0].pk}, format="json").status_code == 403
    assert BankImport.objects.count() == 1


def test_the_lists_query_count_does_not_grow_with_rows(api_client, staff, customers,
                                                        django_assert_max_num_queries):
    for i in range(3):
        post_file(api_client, UNKNOWN_ROW.replace(b"Z1", f"Z{i + 2}".encode()), name="x.csv",
                  fmt="csv:generic_pl")
    batch = BankImport.objects.first()
    # auth (token, membership, tenant) + permissions + count + page; no query per row.
    for url in ("/api/v1/bank-imports/", "/api/v1/bank-lines/",
                f"/api/v1/bank-imports/{batch.pk}/lines/"):
        with django_assert_max_num_queries(10):
            assert api_client.get(url).status_code == 200
