"""Staff pages of the bank import: upload, result, background import, queue, assignment."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import make_staff
from core.models import TenantSetting
from core.roles import Role
from core.tenancy import tenant_context
from customers import services as customer_services
from finance import services
from finance.bank import jobs
from finance.bank.csv_profiles import PROFILES
from finance.bank.importer import bank_statement_import
from finance.models import BankImport, BankLine, FinanceDocument

SAMPLE = Path(settings.BASE_DIR).parent / "shared" / "data" / "bank" / "mbank_collect.sta"
HEADER = ("Data księgowania;Data waluty;Kontrahent;Rachunek kontrahenta;Tytuł;Uznania;"
          "Obciążenia;Waluta;Numer referencyjny;Rachunek wirtualny")
UNKNOWN = "PL27114020040000300201355387"


def csv(*rows) -> bytes:
    """rows: (name, account, title, amount, reference)"""
    lines = [HEADER] + [f"02.03.2026;02.03.2026;{n};{a};{t};{amt};;PLN;{ref};"
                        for n, a, t, amt, ref in rows]
    return ("\n".join(lines) + "\n").encode("cp1250")


@pytest.fixture
def customers(in_tenant, staff):
    TenantSetting.objects.create(key="finance.virtual_account_prefix", value="0000")
    return [customer_services.customer_create(actor=staff, last_name=f"Nowak{i}")
            for i in range(1, 4)]


def upload(client, data: bytes, name="wyciag.sta", fmt=""):
    return client.post(reverse("finance:bank_imports"), {
        "file": SimpleUploadedFile(name, data), "format": fmt})


def test_upload_shows_the_result_line_by_line(staff_client, customers):
    response = upload(staff_client, SAMPLE.read_bytes())
    batch = BankImport.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("finance:bank_import", kwargs={"bankimport_id": batch.pk})
    page = staff_client.get(response.url).content.decode()
    assert '<span class="count-new">3</span>' in page
    assert '<span class="count-unidentified">0</span>' in page
    assert "individual account" in page
    assert customers[0].display_name in page
    assert reverse("customers:card", kwargs={"customer_id": customers[0].pk}) in page
    assert batch.lines.first().document.number in page


def test_uploading_the_same_file_again_counts_duplicates(staff_client, customers):
    upload(staff_client, SAMPLE.read_bytes())
    upload(staff_client, SAMPLE.read_bytes())
    page = staff_client.get(reverse("finance:bank_imports")).content.decode()
    assert FinanceDocument.objects.filter(kind="bank_transfer").count() == 3
    latest = BankImport.objects.order_by("-id").first()
    assert (latest.lines_new, latest.lines_duplicate) == (0, 3)
    assert page.count("ST170119CYC/1 1/1") == 2


def test_malformed_file_shows_the_line_and_reason_and_writes_nothing(staff_client, customers):
    broken = SAMPLE.read_bytes().replace(b"CN0,01NTRFNONREF//MB170119012085",
                                         b"CN0,0,1NTRFNONREF//MB170119012085")
    response = upload(staff_client, broken)
    assert response.status_code == 400
    assert "line 12: “0,0,1” is not an MT940 amount" in response.content.decode()
    assert not BankImport.objects.exists() and not FinanceDocument.objects.exists()


def test_csv_needs_its_profile_and_is_read_through_the_chosen_one(staff_client, customers):
    data = csv(("Ktoś", UNKNOWN, f"nr klienta {customers[1].number}", "20,00", "C1"))
    response = upload(staff_client, data, name="lista.csv")
    assert response.status_code == 400
    assert "no CSV profile was given" in response.content.decode()
    response = upload(staff_client, data, name="lista.csv", fmt="csv:generic_pl")
    assert response.status_code == 302
    assert services.ledger_balance(customers[1]) == Decimal("20.00")


def test_the_upload_form_offers_the_tenants_own_csv_profile(staff_client, customers):
    TenantSetting.objects.create(key="finance.bank_csv_profiles", value=(
        '{"moj_bank": {"columns": {"booking_date": "Data", "amount": "Kwota", '
        '"title": "Opis"}, "delimiter": ","}}'))
    page = staff_client.get(reverse("finance:bank_imports")).content.decode()
    assert 'value="csv:moj_bank"' in page and 'value="csv:ing_pl"' in page
    data = f'Data,Kwota,Opis\n02.03.2026,"12,50",nr klienta {customers[0].number}\n'
    response = upload(staff_client, data.encode(), name="m.csv", fmt="csv:moj_bank")
    assert response.status_code == 302
    assert services.ledger_balance(customers[0]) == Decimal("12.50")


def test_a_big_file_is_imported_by_a_worker_with_its_progress_shown(
        staff_client, customers, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(jobs, "SYNC_MAX_BYTES", 100)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(staff_client, SAMPLE.read_bytes())
    assert response.status_code == 302 and "?job=" in response.url
    page = staff_client.get(response.url).content.decode()
    assert "The statement was imported." in page
    batch = BankImport.objects.get()
    assert reverse("finance:bank_import", kwargs={"bankimport_id": batch.pk}) in page
    assert batch.lines_new == 3


def test_a_malformed_big_file_fails_in_the_worker_with_the_line(
        staff_client, customers, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(jobs, "SYNC_MAX_BYTES", 100)
    broken = SAMPLE.read_bytes().replace(b"CN0,01NTRFNONREF//MB170119012085",
                                         b"CN0,0,1NTRFNONREF//MB170119012085")
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(staff_client, broken)
    progress = staff_client.get(reverse("finance:bank_job_progress") + "?" +
                                response.url.split("?")[1]).content.decode()
    assert "nothing of it was written" in progress and "line 12:" in progress
    assert not BankImport.objects.exists()


def test_a_running_job_keeps_polling(staff_client, customers, monkeypatch):
    monkeypatch.setattr(jobs, "SYNC_MAX_BYTES", 100)
    response = upload(staff_client, SAMPLE.read_bytes())  # not committed: still queued
    page = staff_client.get(response.url).content.decode()
    assert 'hx-trigger="every 1s"' in page and "Waiting for a worker" in page


def test_unknown_or_foreign_job_is_404(staff_client, customers):
    assert staff_client.get(reverse("finance:bank_job") + "?job=nope").status_code == 404
    assert staff_client.get(reverse("finance:bank_job")).status_code == 404


def test_queue_pages_and_searches_the_unidentified_lines(staff_client, staff, customers):
    rows = [(f"Płatnik{i}", UNKNOWN, f"tytuł {i}", f"{i + 1},00", f"Q{i}") for i in range(60)]
    bank_statement_import(actor=staff, data=csv(*rows), csv_profile=PROFILES["generic_pl"])
    url = reverse("finance:bank_unidentified")
    first = staff_client.get(url).content.decode()
    assert "Płatnik0" in first and "Płatnik55" not in first and "page 1 of 2" in first
    assert "Płatnik55" in staff_client.get(url + "?page=2").content.decode()
    found = staff_client.get(url, {"q": "Płatnik17"}).content.decode()
    assert "Płatnik17" in found and "Płatnik18" not in found
    by_amount = staff_client.get(url, {"q": "18,00"}).content.decode()
    assert "Płatnik17" in by_amount and "Płatnik16" not in by_amount


def test_pages_query_count_does_not_grow_with_lines(staff_client, staff, customers,
                                                    django_assert_num_queries):
    def one_more_import(i, rows):
        bank_statement_import(actor=staff, data=csv(*[
            (f"P{i}-{j}", UNKNOWN, "?" if j % 2 else f"nr klienta {customers[j % 3].number}",
             "2,00", f"B{i}-{j}") for j in range(rows)]), csv_profile=PROFILES["generic_pl"])
        return BankImport.objects.order_by("-id").first()

    # 3: the session, the user, the membership with its tenant and role (permissions);
    # then the list page: the tenant's CSV profiles (for the form), the count, one page;
    # the queue: the count, one page of lines joined with customer, document and import;
    # an import: the import, the count of its lines, one page of them (joined likewise).
    expected = {"imports": 3 + 3, "unidentified": 3 + 2, "import": 3 + 3}
    for i, rows in enumerate((2, 30)):
        batch = one_more_import(i, rows)
        urls = {"imports": reverse("finance:bank_imports"),
                "unidentified": reverse("finance:bank_unidentified"),
                "import": reverse("finance:bank_import", kwargs={"bankimport_id": batch.pk})}
        staff_client.get(urls["imports"])  # the first request stores the tenant
        for name, url in urls.items():
            with django_assert_num_queries(expected[name]):
                assert staff_client.get(url).status_code == 200


def test_assigning_a_line_books_it_settles_and_teaches_the_account(staff_client, staff,
                                                                    customers):
    target = customers[2]
    invoice = services.invoice_issue(actor=staff, customer=target, lines=[{
        "name": "Internet", "quantity": Decimal(1), "net_unit_price": Decimal("10"),
        "vat_rate": "23"}])
    bank_statement_import(actor=staff, data=csv(("Ktoś Obcy", UNKNOWN, "?", "20,00", "A1")),
                          csv_profile=PROFILES["generic_pl"])
    line = BankLine.objects.get(status="unidentified")
    url = reverse("finance:bank_line_assign", kwargs={"bankline_id": line.pk})
    search = staff_client.get(url, {"q": target.last_name}).content.decode()
    assert target.display_name in search and customers[0].display_name not in search
    response = staff_client.post(url, {"customer_id": target.pk})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.status == "booked" and line.customer == target and line.rule == "manual"
    assert services.invoice_settlement(invoice).status == "settled"
    assert services.ledger_balance(target) == Decimal("7.70")
    assert "Ktoś Obcy" not in staff_client.get(reverse("finance:bank_unidentified")).content \
        .decode()
    again = staff_client.post(url, {"customer_id": target.pk})
    assert again.status_code == 400
    assert "not waiting for a customer" in again.content.decode()
    bank_statement_import(actor=staff, data=csv(("Ktoś Obcy", UNKNOWN, "?", "5,00", "A2")),
                          csv_profile=PROFILES["generic_pl"])
    assert BankLine.objects.get(bank_reference="A2").customer == target


def test_other_tenants_line_and_customer_are_404(client, staff, customers, other_tenant):
    bank_statement_import(actor=staff, data=csv(("Ktoś", UNKNOWN, "?", "20,00", "X1")),
                          csv_profile=PROFILES["generic_pl"])
    line = BankLine.objects.get()
    batch = BankImport.objects.get()
    stranger = make_staff(other_tenant, "obcy")
    client.force_login(stranger)
    assert client.get(reverse("finance:bank_line_assign",
                              kwargs={"bankline_id": line.pk})).status_code == 404
    assert client.post(reverse("finance:bank_line_assign", kwargs={"bankline_id": line.pk}),
                       {"customer_id": customers[0].pk}).status_code == 404
    assert client.get(reverse("finance:bank_import",
                              kwargs={"bankimport_id": batch.pk})).status_code == 404
    assert "Ktoś" not in client.get(reverse("finance:bank_unidentified")).content.decode()
    # A's own user assigning to B's customer: 404, nothing booked.
    with tenant_context(other_tenant):
        foreign = customer_services.customer_create(actor=stranger, last_name="Obcy")
    client.force_login(staff)
    response = client.post(reverse("finance:bank_line_assign",
                                   kwargs={"bankline_id": line.pk}), {"customer_id": foreign.pk})
    assert response.status_code == 404
    line.refresh_from_db()
    assert line.status == "unidentified"


def test_an_operator_sees_the_imports_but_cannot_upload_or_assign(client, tenant, customers,
                                                                    staff):
    operator = make_staff(tenant, "olek", role=Role.OPERATOR)
    client.force_login(operator)
    assert client.get(reverse("finance:bank_imports")).status_code == 200
    assert upload(client, SAMPLE.read_bytes()).status_code == 403
    bank_statement_import(actor=staff, data=csv(("Ktoś", UNKNOWN, "?", "20,00", "X1")),
                          csv_profile=PROFILES["generic_pl"])
    line = BankLine.objects.get()
    assert client.post(reverse("finance:bank_line_assign", kwargs={"bankline_id": line.pk}),
                       {"customer_id": customers[0].pk}).status_code == 403
    assert not BankImport.objects.filter(imported_by=operator).exists()
