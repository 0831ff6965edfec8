"""Staff pages of documents: the card's section, the approval station, templates, bulk."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from conftest import make_staff
from core.roles import Role
from customers import services as customer_services
from customers.tests.factories import exe_bytes, png_bytes
from documents import services
from documents.models import Document, DocumentBatch, DocumentTemplate, DocumentTemplateVersion

BODY = "<h1>Umowa nr {{ document.number }}</h1>\n<p>{{ customer.name }}</p>\n"
HTMX = {"HX-Request": "true"}


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def pdf_pages(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def content(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def card_url(customer):
    return reverse("customers:card", kwargs={"customer_id": customer.pk})


def section_url(customer):
    return reverse("customers:section", kwargs={"customer_id": customer.pk, "key": "documents"})


@pytest.fixture
def contract_template(in_tenant, staff):
    return services.document_template_create(actor=staff, document_type="contract",
                                              name="Umowa", body=BODY, is_default=True)


@pytest.fixture
def contract(customer, staff, contract_template):
    return services.document_issue(actor=staff, customer=customer, document_type="contract")


# --------------------------------------------------------------------------- the card

def test_issue_from_the_card_by_htmx(staff_client, customer, contract_template):
    response = staff_client.post(reverse("documents:issue", args=[customer.pk]), {
        "document_type": "contract", "template": contract_template.pk, "title": "Umowa 300M",
    }, headers=HTMX)
    assert response.status_code == 200
    document = Document.objects.get(customer=customer)
    html = response.content.decode()
    assert 'id="section-documents"' in html and document.number in html
    assert "Umowa 300M" in html and f"Document {document.number} issued." in html
    assert response["HX-Trigger"] == "card-changed"
    assert document.title == "Umowa 300M" and document.issued_by.username == "anna"


def test_issue_errors_are_clear_and_issue_nothing(staff_client, customer, contract_template):
    url = reverse("documents:issue", args=[customer.pk])
    no_template = staff_client.post(url, {"document_type": "letter"}, headers=HTMX)
    annex = staff_client.post(url, {"document_type": "annex"}, headers=HTMX)
    assert "There is no template for" in no_template.content.decode()
    assert "An annex or a termination refers to a contract." in annex.content.decode()
    assert "HX-Trigger" not in annex
    assert not Document.objects.exists()


@pytest.fixture
def worker(monkeypatch):
    """A worker that has not run yet: the issue tasks queued, run when the test says."""
    from documents import tasks

    queued = []
    monkeypatch.setattr(tasks.document_issue, "delay", lambda *args: queued.append(args))
    return queued


def test_issue_renders_in_a_worker_not_in_the_request(staff_client, customer,
                                                      contract_template, worker, other_staff):
    from documents import tasks

    response = staff_client.post(reverse("documents:issue", args=[customer.pk]), {
        "document_type": "contract", "template": contract_template.pk, "title": "W tle",
    }, headers=HTMX)
    # The request returns before anything is rendered: the job's page takes over.
    job_url = response["HX-Redirect"]
    assert job_url.startswith(reverse("documents:issue_job")) and len(worker) == 1
    assert not Document.objects.exists()
    waiting = staff_client.get(job_url)
    assert waiting.status_code == 200 and "Waiting for a worker" in waiting.content.decode()
    # Another user (of another tenant here) does not see the job.
    other = Client(headers={"accept-language": "en"})
    other.force_login(other_staff)
    assert other.get(job_url).status_code == 404

    tasks.document_issue.run(*worker.pop())  # the worker's turn
    document = Document.objects.get(customer=customer)
    assert document.title == "W tle" and document.files.count() == 1
    progress = staff_client.get(job_url.replace("/job/", "/job/progress/"))
    assert progress["HX-Refresh"] == "true"
    done = staff_client.get(job_url, follow=True)
    assert f"Document {document.number} issued." in done.content.decode()
    assert done.redirect_chain[-1][0].startswith(card_url(customer))


def test_an_issue_refused_in_the_worker_says_why_and_leaves_nothing(staff_client, customer,
                                                                    staff, worker, settings):
    from documents import tasks
    from documents.tests.test_limits import pages_body

    long = services.document_template_create(
        actor=staff, document_type="letter", name="Długie", is_default=True,
        body=pages_body(10))
    settings.DOCUMENT_MAX_PAGES = 3
    response = staff_client.post(reverse("documents:letter", args=[customer.pk]),
                                 {"template": long.pk, "title": "Za długie"})
    job_url = response["Location"]
    tasks.document_issue.run(*worker.pop())
    refused = staff_client.get(job_url)
    assert refused.status_code == 400 and "DOCUMENT_MAX_PAGES" in refused.content.decode()
    assert not Document.objects.exists()


def test_annex_shows_its_contract_and_the_contract_its_annex(staff_client, staff, customer,
                                                             contract):
    services.document_template_create(actor=staff, document_type="annex", name="Aneks",
                                      body="<p>{{ document.parent_number }}</p>",
                                      is_default=True)
    staff_client.post(reverse("documents:issue", args=[customer.pk]),
                      {"document_type": "annex", "parent": contract.pk}, headers=HTMX)
    annex = Document.objects.get(document_type="annex")
    assert annex.parent == contract
    html = staff_client.get(section_url(customer), headers=HTMX).content.decode()
    row = html[html.index(f'id="document-{annex.pk}"'):]
    assert f'href="#document-{contract.pk}">{contract.number}' in row.split("</tr>")[0]
    row = html[html.index(f'id="document-{contract.pk}"'):]
    assert f'href="#document-{annex.pk}">{annex.number}' in row.split("</tr>")[0]


def test_generate_letter_from_a_letter_template(staff_client, staff, customer):
    letter = services.document_template_create(actor=staff, document_type="letter",
                                               name="Pismo o podwyżce", body="<p>Pismo</p>")
    response = staff_client.post(reverse("documents:letter", args=[customer.pk]),
                                 {"template": letter.pk}, headers=HTMX)
    document = Document.objects.get(customer=customer)
    assert document.document_type == "letter" and document.template_version.template == letter
    assert f"Letter {document.number} generated." in response.content.decode()


def test_padlock_approves_by_htmx(staff_client, contract):
    response = staff_client.post(reverse("documents:approve_document", args=[contract.pk]),
                                 headers=HTMX)
    contract.refresh_from_db()
    assert contract.status == "approved" and contract.approved_by.username == "anna"
    html = response.content.decode()
    assert 'id="section-documents"' in html and "padlock-closed" in html and "Anna Testowy" in html
    again = staff_client.post(reverse("documents:approve_document", args=[contract.pk]),
                              headers=HTMX)
    assert "already approved" in again.content.decode()


def test_download_records_history_with_ip(staff_client, contract):
    response = staff_client.get(reverse("documents:download", args=[contract.pk]),
                                REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert contract.number in pdf_text(content(response))
    download = contract.downloads.get()
    assert (download.ip, download.via, download.user.username) == ("10.1.2.3", "staff", "anna")
    history = staff_client.get(reverse("documents:downloads", args=[contract.pk]),
                               headers=HTMX).content.decode()
    assert "10.1.2.3" in history and "staff UI" in history and "Anna Testowy" in history


def test_print_opens_the_document_with_its_signed_copy(staff_client, staff, contract):
    services.document_scan_add(actor=staff, document=contract,
                               uploaded_file=SimpleUploadedFile("podpis.png", png_bytes()))
    response = staff_client.get(reverse("documents:print", args=[contract.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    current = contract.files.get()
    with current.file.open("rb") as handle:
        generated = pdf_pages(handle.read())
    assert pdf_pages(response.content) == generated + 1
    assert contract.downloads.count() == 1
    card = staff_client.get(card_url(contract.customer), {"sekcja": "dokumenty"}).content.decode()
    assert f'href="{reverse("documents:print", args=[contract.pk])}" target="_blank"' in card


def test_regenerate_keeps_the_previous_version(staff_client, staff, customer, contract):
    customer_services.customer_update(actor=staff, customer=customer, last_name="Kowalczyk")
    response = staff_client.post(reverse("documents:regenerate", args=[customer.pk]),
                                 {"document": [contract.pk]}, headers=HTMX)
    assert f"Regenerated: {contract.number}." in response.content.decode()
    old, new = contract.files.order_by("version")
    assert (old.version, new.version) == (1, 2)
    old_url = reverse("documents:file_download", args=[contract.pk, old.pk])
    assert old_url in response.content.decode()
    old_pdf = content(staff_client.get(old_url))
    assert "Jan Kowalski" in pdf_text(old_pdf)
    current_pdf = content(staff_client.get(reverse("documents:download", args=[contract.pk])))
    assert "Jan Kowalczyk" in pdf_text(current_pdf)


def test_regenerate_without_a_choice_says_so(staff_client, customer, contract):
    response = staff_client.post(reverse("documents:regenerate", args=[customer.pk]),
                                 headers=HTMX)
    assert "Choose the documents to regenerate." in response.content.decode()
    assert contract.files.count() == 1


def test_scan_upload_and_a_renamed_exe_is_refused(staff_client, contract):
    url = reverse("documents:scan_add", args=[contract.pk])
    ok = staff_client.post(url, {"file": SimpleUploadedFile("podpis.png", png_bytes())},
                           follow=True)
    assert "Signed copy added to" in ok.content.decode()
    scan = contract.scans.get()
    assert scan.content_type == "image/png" and scan.original_name == "podpis.png"
    assert reverse("documents:scan_download", args=[contract.pk, scan.pk]) in \
        ok.content.decode()
    refused = staff_client.post(url, {"file": SimpleUploadedFile("umowa.pdf", exe_bytes())},
                                follow=True)
    assert "A signed copy must be a PDF, JPG or PNG file" in refused.content.decode()
    assert contract.scans.count() == 1


def _fill_documents(staff, customer, contracts: int):
    """Contracts, each with an annex, a signed copy and a download, one regenerated."""
    for _ in range(contracts):
        contract = services.document_issue(actor=staff, customer=customer,
                                           document_type="contract")
        services.document_issue(actor=staff, customer=customer, document_type="annex",
                                parent=contract)
        services.document_scan_add(actor=staff, document=contract,
                                   uploaded_file=SimpleUploadedFile("s.png", png_bytes()))
        services.document_download_record(document=contract, via="staff", ip="10.0.0.1",
                                           user=staff)
        services.document_regenerate(actor=staff, document=contract)


def test_card_query_count_does_not_grow_with_documents(staff_client, staff, customer,
                                                       contract_template,
                                                       django_assert_num_queries):
    services.document_template_create(actor=staff, document_type="annex", name="Aneks",
                                      body="<p>{{ document.parent_number }}</p>",
                                      is_default=True)
    small = customer
    big = customer_services.customer_create(actor=staff, last_name="Duży")
    services.document_issue(actor=staff, customer=small, document_type="contract")
    _fill_documents(staff, big, 2)  # 4 documents
    assert Document.objects.filter(customer=big).count() == 4
    staff_client.get(reverse("customers:list"))  # the first request stores the tenant
    # 17: the customers app's card with its summary header (see
    #     customers/tests/test_views.py), the documents section open instead of the data;
    # 7: the documents section: the documents (joined with issuer, approver and parent,
    #    the downloads counted), their files, scans and children; the other apps'
    #    documents merged in (the warehouse's WZ and ZW: core.sections card documents);
    #    the tenant's templates and the customer's contracts for the forms.
    for shown in (small, big):
        with django_assert_num_queries(17 + 7):
            response = staff_client.get(card_url(shown), {"sekcja": "dokumenty"})
        assert response.status_code == 200


def test_card_section_query_count_with_one_and_four_documents(staff_client, staff, customer,
                                                              contract_template,
                                                              django_assert_num_queries):
    services.document_template_create(actor=staff, document_type="annex", name="Aneks",
                                      body="<p>{{ document.parent_number }}</p>",
                                      is_default=True)
    big = customer_services.customer_create(actor=staff, last_name="Duży")
    services.document_issue(actor=staff, customer=customer, document_type="contract")
    _fill_documents(staff, big, 2)
    staff_client.get(reverse("customers:list"))  # the first request stores the tenant
    # 3: session, user, membership (active tenant, with the role: permissions);
    # 11: the customer for the card (joined with its panel account) and its prefetches;
    # 7: the documents (joined with issuer, approver, parent; downloads counted), their
    #    files, scans, children; the warehouse's WZ and ZW (core.sections card
    #    documents); the tenant's templates, the customer's contracts.
    for shown in (customer, big):
        with django_assert_num_queries(21):
            staff_client.get(section_url(shown), headers=HTMX)


def test_documents_section_hidden_without_permission(client, tenant, customer, contract):
    technician = make_staff(tenant, "tomek", role=Role.TECHNICIAN)
    client.force_login(technician)
    html = client.get(card_url(customer)).content.decode()
    assert 'id="section-data"' in html and 'id="section-documents"' not in html
    assert client.get(reverse("documents:download", args=[contract.pk])).status_code == 403


def test_other_tenants_document_is_404(client, other_staff, contract):
    client.force_login(other_staff)
    assert client.get(reverse("documents:download", args=[contract.pk])).status_code == 404
    assert client.post(reverse("documents:approve_document",
                               args=[contract.pk])).status_code == 404
    contract.refresh_from_db()
    assert contract.status == "unapproved"


# --------------------------------------------------------------------------- approval station

def test_approval_station_answers_each_code_with_one_line(staff_client, staff, customer,
                                                          contract):
    page = staff_client.get(reverse("documents:approve")).content.decode()
    # the station's script focuses the input once it handles the codes (approve.js)
    assert 'id="approve-code"' in page and "documents/approve.js" in page
    url = reverse("documents:approve")
    ok = staff_client.post(url, {"code": contract.code}, headers=HTMX).content.decode()
    again = staff_client.post(url, {"code": contract.code}, headers=HTMX).content.decode()
    unknown = staff_client.post(url, {"code": "ABN999999999"}, headers=HTMX).content.decode()
    assert ok.strip().startswith("<li") and ok.count("<li") == 1
    assert "list-group-item-success" in ok and contract.number in ok and "Jan Kowalski" in ok
    assert "list-group-item-warning" in again and "already approved" in again
    assert "list-group-item-danger" in unknown and "Unknown code" in unknown
    contract.refresh_from_db()
    assert contract.status == "approved"


def test_approval_box_on_the_customer_list_posts_to_the_station(staff_client, contract):
    listing = staff_client.get(reverse("customers:list")).content.decode()
    assert 'id="approve-box"' in listing
    page = staff_client.post(reverse("documents:approve"), {"code": contract.code})
    assert page.status_code == 200
    assert "list-group-item-success" in page.content.decode()


# --------------------------------------------------------------------------- templates

def test_template_create_and_edit_makes_versions(staff_client, in_tenant):
    response = staff_client.post(reverse("documents:template_create"), {
        "document_type": "letter", "name": "Pismo", "body": "<p>v1</p>", "css": "",
    })
    template = DocumentTemplate.objects.get(name="Pismo")
    edit_url = reverse("documents:template_edit", args=[template.pk])
    assert response.status_code == 302 and response["Location"] == edit_url
    response = staff_client.post(edit_url, {"name": "Pismo", "body": "<p>v2</p>", "css": "p{}",
                                            "is_default": "on"}, follow=True)
    html = response.content.decode()
    assert "saved (version 2)" in html
    assert "customer.first_name" in html and "addresses.installation" in html
    template.refresh_from_db()
    assert template.current_version.version == 2 and template.is_default
    listing = staff_client.get(reverse("documents:templates")).content.decode()
    assert "Pismo" in listing and "default" in listing


def test_template_error_shows_its_line_and_saves_nothing(staff_client, contract_template):
    response = staff_client.post(
        reverse("documents:template_edit", args=[contract_template.pk]),
        {"name": "Umowa", "body": "<p>ok</p>\n<p>{{ customer.name|nosuchfilter }}</p>"})
    assert response.status_code == 400
    assert "Line 2:" in response.content.decode()
    assert DocumentTemplateVersion.objects.filter(template=contract_template).count() == 1


def test_preview_returns_a_pdf_of_the_unsaved_text(staff_client, contract_template):
    url = reverse("documents:template_preview", args=[contract_template.pk])
    response = staff_client.post(url, {"body": "<p>PODGLĄD {{ customer.name }}</p>"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "PODGLĄD Jan Przykładowy" in pdf_text(response.content)
    assert contract_template.versions.count() == 1
    broken = staff_client.post(url, {"body": "<p>{% if %}</p>"})
    assert broken.status_code == 400 and "Line 1:" in broken.content.decode()
    new = staff_client.post(reverse("documents:template_preview_new"),
                            {"document_type": "letter", "body": "<p>{{ document.type }}</p>"})
    assert new["Content-Type"] == "application/pdf" and "pismo" in pdf_text(new.content)


def test_templates_are_for_tenant_admins_only(client, tenant, contract_template):
    operator = make_staff(tenant, "olga", role=Role.OPERATOR)
    client.force_login(operator)
    for url in (reverse("documents:templates"), reverse("documents:template_create"),
                reverse("documents:template_edit", args=[contract_template.pk])):
        assert client.get(url).status_code == 403
    response = client.post(reverse("documents:template_preview", args=[contract_template.pk]),
                           {"body": "<p>x</p>"})
    assert response.status_code == 403


# --------------------------------------------------------------------------- bulk

def test_bulk_generation_shows_progress_and_the_merged_pdf(
        staff_client, staff, customer, contract_template, django_capture_on_commit_callbacks):
    group = customer_services.group_create(actor=staff, name="Blok 7")
    neighbour = customer_services.customer_create(actor=staff, last_name="Sąsiad")
    for member in (customer, neighbour):
        customer_services.customer_group_add(actor=staff, customer=member, group=group)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("documents:batches"),
                                     {"group": group.pk, "document_type": "contract"})
    batch = DocumentBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("documents:batch", args=[batch.pk])
    progress = staff_client.get(reverse("documents:batch_progress", args=[batch.pk]),
                                headers=HTMX).content.decode()
    assert "2 of 2 done" in progress and "hx-trigger" not in progress  # polling stops
    assert reverse("documents:batch_download", args=[batch.pk]) in progress
    merged = content(staff_client.get(reverse("documents:batch_download", args=[batch.pk])))
    text = pdf_text(merged)
    assert "Jan Kowalski" in text and "Sąsiad" in text
    listing = staff_client.get(reverse("documents:batches")).content.decode()
    assert "Blok 7" in listing and "2 / 2" in listing


def test_running_batch_page_polls_every_second(staff_client, staff, customer,
                                               contract_template):
    group = customer_services.group_create(actor=staff, name="Blok 8")
    customer_services.customer_group_add(actor=staff, customer=customer, group=group)
    batch = services.document_batch_start(actor=staff, group=group, document_type="contract")
    page = staff_client.get(reverse("documents:batch", args=[batch.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page and "0 of 1 done" in page
    assert reverse("documents:batch_download", args=[batch.pk]) not in page


def test_bulk_for_an_empty_group_is_refused(staff_client, staff, in_tenant):
    group = customer_services.group_create(actor=staff, name="Pusta")
    response = staff_client.post(reverse("documents:batches"),
                                 {"group": group.pk, "document_type": "contract"})
    assert response.status_code == 400
    assert "The group has no customers." in response.content.decode()
