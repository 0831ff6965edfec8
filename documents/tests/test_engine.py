import io
import shutil
import subprocess
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import RequestFactory, override_settings
from pypdf import PdfReader

from core.http import client_ip
from core.models import ActionLog, NumberSeries, Tenant, TenantSetting
from core.tenancy import tenant_context
from customers import services as customer_services
from customers.tests.factories import exe_bytes, png_bytes
from documents import rendering, services
from documents.models import Document, DocumentFile

CONTRACT_BODY = """<h1>Umowa nr {{ document.number }}</h1>
<p>Zawarta {{ document.date }} między {{ tenant.name }} a {{ customer.name }},
PESEL {{ customer.pesel }}, zam. {{ addresses.residence.text }}.</p>
{% for phone in contacts.phones %}<p>Tel. {{ phone }}</p>{% endfor %}
"""


def pdf_text(data: bytes) -> str:
    """The PDF's words, one space apart: where a line wraps depends on today's date."""
    return " ".join(" ".join(page.extract_text() for page in
                             PdfReader(io.BytesIO(data)).pages).split())


def current_pdf(document) -> bytes:
    stored = document.files.order_by("-version").first()
    with stored.file.open("rb") as handle:
        return handle.read()


@pytest.fixture
def contract_template(in_tenant, staff):
    return services.document_template_create(actor=staff, document_type="contract",
                                              name="Umowa standardowa", body=CONTRACT_BODY,
                                              is_default=True)


@pytest.fixture
def full_customer(customer, staff):
    customer_services.address_add(actor=staff, customer=customer, kind="residence",
                                  street="Długa", building_no="5", postal_code="00-950",
                                  city="Warszawa")
    customer_services.phone_add(actor=staff, customer=customer, number="601234567")
    return customer


def test_issued_contract_pdf_has_number_and_customer_data(full_customer, staff,
                                                         contract_template):
    document = services.document_issue(actor=staff, customer=full_customer,
                                       document_type="contract")
    assert document.number.startswith("UM/") and document.number.endswith("/1")
    text = pdf_text(current_pdf(document))
    assert f"Umowa nr {document.number}" in text
    assert "Jan Kowalski" in text and "44051401458" in text
    assert "Długa 5, 00-950 Warszawa" in text and "+48 601 234 567" in text
    assert "Sieć Alfa" in text
    assert document.template_version == contract_template.current_version
    assert ActionLog.objects.filter(customer=full_customer, kind="document.issue").exists()


@pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
                    reason="needs poppler-utils and zbar-tools (make test installs them)")
def test_barcode_on_every_page_decodes_to_the_document_code(full_customer, staff, tmp_path):
    long_body = CONTRACT_BODY + "<p>§ Postanowienia ogólne.</p>" * 90
    services.document_template_create(actor=staff, document_type="contract", name="Długa",
                                      body=long_body, is_default=True)
    document = services.document_issue(actor=staff, customer=full_customer,
                                       document_type="contract")
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(current_pdf(document))
    pages = len(PdfReader(str(pdf)).pages)
    assert pages >= 2
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(pdf), str(tmp_path / "page")],
                   check=True)
    images = sorted(tmp_path.glob("page*.png"))
    assert len(images) == pages
    for image in images:
        decoded = subprocess.run(["zbarimg", "--quiet", "--raw", str(image)],
                                 capture_output=True, text=True)
        assert decoded.stdout.strip() == document.code, image.name
    assert document.number in pdf_text(pdf.read_bytes()).split("§")[-1]  # beside the code


def test_numbers_follow_the_tenant_pattern_per_type(full_customer, staff, contract_template):
    TenantSetting.objects.create(key="documents.number_pattern.contract",
                                 value="K/{YY}/{N:4}")
    first = services.document_issue(actor=staff, customer=full_customer,
                                    document_type="contract")
    second = services.document_issue(actor=staff, customer=full_customer,
                                     document_type="contract")
    assert first.number.endswith("/0001") and second.number.endswith("/0002")
    assert first.number.startswith("K/")


def test_concurrent_issuing_gives_unique_consecutive_numbers(transactional_db, tenant, staff):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    with tenant_context(tenant):
        services.document_template_create(actor=staff, document_type="letter", name="Pismo",
                                          body="<p>{{ document.number }}</p>", is_default=True)
        customer = customer_services.customer_create(actor=staff, last_name="Nowak")
    numbers, errors = [], []

    def issue():
        try:
            with tenant_context(Tenant.objects.get(pk=tenant.pk)):
                numbers.append(services.document_issue(
                    actor=staff, customer=customer, document_type="letter").number)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(int(n.rsplit("/", 1)[1]) for n in numbers) == [1, 2, 3, 4, 5, 6]


# ------------------------------------------------------------------ the sandbox

def test_template_cannot_reach_outside_its_context(in_tenant, staff, full_customer):
    body = ("<p>[{{ customer.tenant.users }}|{{ customer.tenant }}|{{ tenant.memberships }}|"
            "{{ customer.panel_account.password_hash }}|{{ settings.SECRET_KEY }}]</p>")
    services.document_template_create(actor=staff, document_type="letter", name="Zły",
                                      body=body, is_default=True)
    document = services.document_issue(actor=staff, customer=full_customer,
                                       document_type="letter")
    assert "[||||]" in pdf_text(current_pdf(document))


@pytest.mark.parametrize("body,needle", [
    ('{% include "/etc/passwd" %}', "include"),
    ("{% load static %}{% static 'x' %}", "static"),
    ("<p>{% if %}</p>", "Line 1"),
    ("<p>ok</p>\n<p>{{ customer.name|nosuchfilter }}</p>", "Line 2"),
    ("<p>{{ customer.__class__ }}</p>", "underscores"),
])
def test_broken_or_escaping_template_is_refused_with_line_and_nothing_issued(
        in_tenant, staff, full_customer, contract_template, body, needle):
    with pytest.raises(ValidationError) as error:
        services.document_template_update(actor=staff, template=contract_template, body=body)
    assert needle in str(error.value)
    assert contract_template.versions.count() == 1
    assert not Document.objects.exists() and not NumberSeries.objects.exists()


def test_html_cannot_fetch_files_or_network(in_tenant, staff, full_customer):
    body = ('<img src="file:///etc/passwd"><img src="http://127.0.0.1:9/x.png">'
            '<link rel="stylesheet" href="file:///etc/passwd"><p>ok</p>')
    css = "@import url('file:///etc/passwd'); p { background: url('file:///etc/hosts') }"
    pdf = rendering.render_pdf(html_body=body, css=css, number="X/1", code="ABN000000001")
    text = pdf_text(pdf)
    assert "root:" not in text and "localhost" not in text and "ok" in text


# ------------------------------------------------------------------ which template

def test_template_choice_chosen_then_group_then_tenant(full_customer, staff,
                                                       contract_template):
    business = services.document_template_create(actor=staff, document_type="contract",
                                                  name="Umowa firmowa",
                                                  body="<p>FIRMOWA {{ document.number }}</p>")
    special = services.document_template_create(actor=staff, document_type="contract",
                                                 name="Specjalna", body="<p>SPECJALNA</p>")
    assert services.template_choose(customer=full_customer,
                                    document_type="contract") == contract_template
    group = customer_services.group_create(actor=staff, name="Firmy")
    customer_services.group_default_template_set(actor=staff, group=group,
                                                 document_type="contract", template=business)
    customer_services.customer_group_add(actor=staff, customer=full_customer, group=group)
    assert services.template_choose(customer=full_customer, document_type="contract") == business
    assert services.template_choose(customer=full_customer, document_type="contract",
                                    chosen=special) == special
    with pytest.raises(ValidationError):
        services.template_choose(customer=full_customer, document_type="letter")


def test_template_versions_kept_by_issued_documents(full_customer, staff, contract_template):
    first = services.document_issue(actor=staff, customer=full_customer,
                                    document_type="contract")
    services.document_template_update(actor=staff, template=contract_template,
                                      body="<p>NOWA WERSJA {{ document.number }}</p>")
    contract_template.refresh_from_db()
    assert contract_template.current_version.version == 2
    second = services.document_issue(actor=staff, customer=full_customer,
                                     document_type="contract")
    assert first.template_version.version == 1 and second.template_version.version == 2
    services.document_regenerate(actor=staff, document=first)
    assert "NOWA WERSJA" not in pdf_text(current_pdf(first))  # its own version stays


def test_preview_renders_sample_customer(in_tenant, contract_template):
    pdf = services.template_preview(document_type="contract", body=CONTRACT_BODY)
    assert "Jan Przykładowy" in pdf_text(pdf)


# ------------------------------------------------------------------ regenerate, relations

def test_regenerate_uses_current_data_and_keeps_the_old_file(full_customer, staff,
                                                             contract_template):
    document = services.document_issue(actor=staff, customer=full_customer,
                                       document_type="contract")
    customer_services.customer_update(actor=staff, customer=full_customer,
                                      last_name="Kowalczyk")
    services.document_regenerate(actor=staff, document=document)
    files = list(DocumentFile.objects.filter(document=document).order_by("version"))
    assert [f.version for f in files] == [1, 2]
    with files[0].file.open("rb") as old:
        assert "Jan Kowalski" in pdf_text(old.read())
    assert "Jan Kowalczyk" in pdf_text(current_pdf(document))
    assert document.number in pdf_text(current_pdf(document))


def test_annex_and_termination_refer_to_a_contract(full_customer, staff, contract_template):
    for kind in ("annex", "termination"):
        services.document_template_create(actor=staff, document_type=kind, name=kind,
                                          body="<p>{{ document.parent_number }}</p>",
                                          is_default=True)
    contract = services.document_issue(actor=staff, customer=full_customer,
                                       document_type="contract")
    with pytest.raises(ValidationError):
        services.document_issue(actor=staff, customer=full_customer, document_type="annex")
    annex = services.document_issue(actor=staff, customer=full_customer,
                                    document_type="annex", parent=contract)
    services.document_issue(actor=staff, customer=full_customer,
                            document_type="termination", parent=contract)
    assert contract.number in pdf_text(current_pdf(annex))
    assert sorted(contract.children.values_list("document_type", flat=True)) == \
        ["annex", "termination"]


# ------------------------------------------------------------------ approval

def test_padlock_approves_once(full_customer, staff, contract_template):
    document = services.document_issue(actor=staff, customer=full_customer,
                                       document_type="contract")
    services.document_approve(actor=staff, document=document)
    document.refresh_from_db()
    assert document.status == "approved" and document.approved_by == staff
    with pytest.raises(ValidationError) as error:
        services.document_approve(actor=staff, document=document)
    assert "already approved" in error.value.messages[0]


def test_scanner_codes_known_unknown_approved_and_foreign(full_customer, staff,
                                                          contract_template, other_tenant,
                                                          other_staff, tenant):
    mine = services.document_issue(actor=staff, customer=full_customer,
                                   document_type="contract")
    with tenant_context(other_tenant):
        services.document_template_create(actor=other_staff, document_type="contract",
                                          name="B", body="<p>B</p>", is_default=True)
        theirs_customer = customer_services.customer_create(actor=other_staff, last_name="B")
        theirs = services.document_issue(actor=other_staff, customer=theirs_customer,
                                         document_type="contract")
    ok = services.document_approve_by_code(actor=staff, code=mine.code.lower() + "\n")
    again = services.document_approve_by_code(actor=staff, code=mine.code)
    unknown = services.document_approve_by_code(actor=staff, code="ABN999999999")
    garbage = services.document_approve_by_code(actor=staff, code="hello")
    foreign = services.document_approve_by_code(actor=staff, code=theirs.code)
    assert ok.ok and mine.number in ok.message
    assert not again.ok and "already approved" in again.message
    assert not unknown.ok and "Unknown code" in unknown.message
    assert not garbage.ok
    # Another ISP's document is "unknown" word for word, as a missing id is.
    assert not foreign.ok and foreign.document is None
    assert foreign.message == f"Unknown code “{theirs.code}”."
    missing_code = f"ABN{Document.all_tenants.order_by('-pk').first().pk + 1:09d}"
    assert services.document_approve_by_code(actor=staff, code=missing_code).message == \
        f"Unknown code “{missing_code}”."
    with tenant_context(other_tenant):
        assert Document.objects.get(pk=theirs.pk).status == "unapproved"


# ------------------------------------------------------------------ files

def test_print_is_the_document_followed_by_its_scans(full_customer, staff, contract_template):
    document = services.document_issue(actor=staff, customer=full_customer,
                                       document_type="contract")
    generated_pages = len(PdfReader(io.BytesIO(current_pdf(document))).pages)
    services.document_scan_add(actor=staff, document=document,
                               uploaded_file=SimpleUploadedFile("podpis.png", png_bytes()))
    merged = services.document_print_pdf(document=document)
    assert len(PdfReader(io.BytesIO(merged)).pages) == generated_pages + 1
    with pytest.raises(ValidationError):
        services.document_scan_add(actor=staff, document=document,
                                   uploaded_file=SimpleUploadedFile("skan.pdf", exe_bytes()))
    assert document.scans.count() == 1


def test_download_history_and_client_ip(full_customer, staff, contract_template):
    document = services.document_issue(actor=staff, customer=full_customer,
                                       document_type="contract")
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5",
                                   HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert client_ip(request) == "10.0.0.5"  # no proxy trusted: the header is ignored
    with override_settings(TRUSTED_PROXY_COUNT=1):
        assert client_ip(request) == "203.0.113.7"
    services.document_download_record(document=document, via="staff", ip=client_ip(request),
                                       user=staff)
    assert document.downloads.get().ip == "10.0.0.5"


# ------------------------------------------------------------------ bulk

def test_bulk_generation_for_a_group_merges_one_pdf(full_customer, staff, contract_template,
                                                    django_capture_on_commit_callbacks):
    group = customer_services.group_create(actor=staff, name="Blok 7")
    others = [customer_services.customer_create(actor=staff, last_name=f"Sąsiad{i}")
              for i in range(2)]
    for member in (full_customer, *others):
        customer_services.customer_group_add(actor=staff, customer=member, group=group)
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.document_batch_start(actor=staff, group=group,
                                              document_type="contract")
    batch.refresh_from_db()
    assert (batch.done, batch.total, batch.failed, batch.status) == (3, 3, 0, "done")
    with batch.merged_file.open("rb") as handle:
        merged = handle.read()
    text = pdf_text(merged)
    assert "Jan Kowalski" in text and "Sąsiad0" in text and "Sąsiad1" in text
    assert batch.documents.count() == 3
