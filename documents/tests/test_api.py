"""The documents REST API: what a client of /api/v1/ sees and can do with documents."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from conftest import make_staff, token_client
from core.models import NumberSeries
from core.roles import Role
from core.tenancy import tenant_context
from customers import services as customer_services
from customers.tests.factories import exe_bytes, png_bytes
from documents import services
from documents.models import Document, DocumentDownload, DocumentTemplate

CONTRACT_BODY = """<h1>Umowa nr {{ document.number }}</h1>
<p>Zawarta {{ document.date }} między {{ tenant.name }} a {{ customer.name }},
PESEL {{ customer.pesel }}, zam. {{ addresses.residence.text }}.</p>
"""
TEMPLATES = "/api/v1/document-templates/"
APPROVE_CODE = "/api/v1/documents/approve-code/"


def docs(customer, pk=None, action=None) -> str:
    url = f"/api/v1/customers/{customer.pk}/documents/"
    if pk is not None:
        url += f"{pk}/"
    if action:
        url += f"{action}/"
    return url


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


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
    return customer


@pytest.fixture
def contract(full_customer, staff, contract_template):
    return services.document_issue(actor=staff, customer=full_customer,
                                   document_type="contract")


# ------------------------------------------------------------------ issuing, downloading

def test_issue_via_api_and_download_the_pdf_with_its_number(api_client, full_customer,
                                                            contract_template, staff):
    response = api_client.post(docs(full_customer), {"document_type": "contract",
                                                     "title": "Umowa 300 Mb/s"},
                               format="json")
    assert response.status_code == 201, response.data
    issued = response.json()
    assert issued["number"].startswith("UM/") and issued["title"] == "Umowa 300 Mb/s"
    assert (issued["status"], issued["current_file_version"], issued["scans_count"]) == \
        ("unapproved", 1, 0)

    download = api_client.get(issued["download_url"], REMOTE_ADDR="10.1.2.3")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    pdf = body_of(download)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert issued["number"] in text and "Jan Kowalski" in text

    row = DocumentDownload.objects.get(document_id=issued["id"])
    assert (row.via, row.ip, row.user, row.customer) == ("api", "10.1.2.3", staff, None)
    history = api_client.get(docs(full_customer, issued["id"], "downloads")).json()
    assert [(h["via"], h["ip"], h["user"]) for h in history["results"]] == \
        [("api", "10.1.2.3", staff.pk)]


def test_issue_is_202_while_a_worker_renders_then_the_job_gives_the_document(
        api_client, full_customer, contract_template, monkeypatch, other_api_client,
        staff, settings):
    from documents import tasks
    from documents.models import Document
    from documents.tests.test_limits import pages_body

    queued = []
    monkeypatch.setattr(tasks.document_issue, "delay", lambda *args: queued.append(args))
    accepted = api_client.post(docs(full_customer), {"document_type": "contract",
                                                     "title": "W tle"}, format="json")
    assert accepted.status_code == 202 and accepted.json()["status"] == "queued"
    job_url = accepted["Location"]
    assert not Document.objects.exists()
    assert api_client.get(job_url).status_code == 202
    assert other_api_client.get(job_url).status_code == 404

    tasks.document_issue.run(*queued.pop())  # the worker's turn
    done = api_client.get(job_url)
    assert done.status_code == 200
    assert done.json()["number"] == Document.objects.get().number
    assert done.json()["title"] == "W tle"

    # Refused in the worker: the job says why, with the limit's name; nothing is left.
    services.document_template_create(actor=staff, document_type="letter", name="Długie",
                                      body=pages_body(10), is_default=True)
    settings.DOCUMENT_MAX_PAGES = 3
    accepted = api_client.post(docs(full_customer), {"document_type": "letter"},
                               format="json")
    tasks.document_issue.run(*queued.pop())
    refused = api_client.get(accepted["Location"])
    assert refused.status_code == 400 and "DOCUMENT_MAX_PAGES" in refused.json()["detail"]
    assert Document.objects.count() == 1


def test_issue_errors_are_400_with_the_service_message(api_client, full_customer, staff,
                                                       contract, other_tenant, other_staff):
    no_template = api_client.post(docs(full_customer), {"document_type": "letter"},
                                  format="json")
    assert no_template.status_code == 400
    assert "There is no template" in no_template.json()["errors"]["template"][0]

    services.document_template_create(actor=staff, document_type="annex", name="Aneks",
                                      body="<p>{{ document.parent_number }}</p>",
                                      is_default=True)
    orphan = api_client.post(docs(full_customer), {"document_type": "annex"}, format="json")
    assert orphan.status_code == 400
    assert "refers to a contract" in orphan.json()["errors"]["parent"][0]

    neighbour = customer_services.customer_create(actor=staff, last_name="Sąsiad")
    foreign_parent = api_client.post(docs(neighbour), {"document_type": "annex",
                                                       "parent": contract.pk}, format="json")
    assert foreign_parent.status_code == 400
    assert "another customer's" in foreign_parent.json()["errors"]["parent"][0]

    with tenant_context(other_tenant):
        theirs = services.document_template_create(actor=other_staff,
                                                   document_type="contract", name="B")
    foreign_template = api_client.post(docs(full_customer), {"document_type": "contract",
                                                             "template": theirs.pk},
                                       format="json")
    assert foreign_template.status_code == 400 and "template" in foreign_template.json()["errors"]
    assert Document.objects.count() == 1


def test_list_newest_first_with_relations_and_filters(api_client, full_customer, staff,
                                                      contract):
    services.document_template_create(actor=staff, document_type="annex", name="Aneks",
                                      body="<p>{{ document.parent_number }}</p>",
                                      is_default=True)
    annex = services.document_issue(actor=staff, customer=full_customer,
                                    document_type="annex", parent=contract)
    services.document_approve(actor=staff, document=annex)

    rows = api_client.get(docs(full_customer)).json()["results"]
    assert [r["id"] for r in rows] == [annex.pk, contract.pk]
    assert rows[0]["parent"] == contract.pk and rows[1]["children"] == [annex.pk]
    assert rows[0]["approved_by"] == staff.pk and rows[0]["approved_by_name"] == "Anna Testowy"
    assert rows[0]["approved_at"] is not None and rows[1]["approved_at"] is None

    def ids(**params):
        return [r["id"] for r in api_client.get(docs(full_customer), params).json()["results"]]

    assert ids(document_type="contract") == [contract.pk]
    assert ids(status="approved") == [annex.pk]
    assert ids(status="unapproved", page_size=1) == [contract.pk]
    assert api_client.get(docs(full_customer), {"status": "lost"}).status_code == 400


def test_document_list_query_count(api_client, full_customer, staff, contract,
                                   django_assert_num_queries):
    for _ in range(4):
        document = services.document_issue(actor=staff, customer=full_customer,
                                           document_type="contract")
        services.document_approve(actor=staff, document=document)
        services.document_scan_add(actor=staff, document=document,
                                   uploaded_file=SimpleUploadedFile("podpis.png", png_bytes()))
    # 1 token + user + tenant, 2 membership exists, 3 token last_used_at update,
    # 4 the customer of the URL, 5 role in the tenant (permission check), 6 count for the
    # page, 7 the page of documents with who approved them, their current file version
    # and scans count (subqueries), 8 their children (one prefetch) — 5 documents as 1.
    with django_assert_num_queries(8):
        response = api_client.get(docs(full_customer))
    assert response.status_code == 200 and response.json()["count"] == 5
    assert [r["scans_count"] for r in response.json()["results"]] == [1, 1, 1, 1, 0]


# ------------------------------------------------------------------ approval

def test_approve_then_approve_again_is_400(api_client, full_customer, contract, staff):
    first = api_client.post(docs(full_customer, contract.pk, "approve"))
    assert first.status_code == 200
    assert first.json()["status"] == "approved" and first.json()["approved_by"] == staff.pk
    again = api_client.post(docs(full_customer, contract.pk, "approve"))
    assert again.status_code == 400
    assert "already approved" in again.json()["detail"]


def test_approve_by_code_known_unknown_and_other_tenants(api_client, contract, other_tenant,
                                                         other_staff):
    with tenant_context(other_tenant):
        services.document_template_create(actor=other_staff, document_type="contract",
                                          name="B", body="<p>B</p>", is_default=True)
        theirs = services.document_issue(
            actor=other_staff, document_type="contract",
            customer=customer_services.customer_create(actor=other_staff, last_name="Obcy"))

    ok = api_client.post(APPROVE_CODE, {"code": contract.code.lower() + "\n"}, format="json")
    assert ok.status_code == 200
    assert ok.json() == {"ok": True, "code": contract.code, "document": contract.pk,
                         "message": f"{contract.number} approved (Jan Kowalski)."}
    again = api_client.post(APPROVE_CODE, {"code": contract.code}, format="json").json()
    assert not again["ok"] and "already approved" in again["message"]
    assert again["document"] == contract.pk

    unknown = api_client.post(APPROVE_CODE, {"code": "ABN999999999"}, format="json")
    assert unknown.status_code == 200
    assert unknown.json() == {"ok": False, "code": "ABN999999999", "document": None,
                              "message": "Unknown code “ABN999999999”."}
    # Another ISP's existing document is answered exactly as a missing one.
    foreign = api_client.post(APPROVE_CODE, {"code": theirs.code}, format="json")
    assert foreign.status_code == 200
    assert foreign.json() == {"ok": False, "code": theirs.code, "document": None,
                              "message": f"Unknown code “{theirs.code}”."}
    with tenant_context(other_tenant):
        assert Document.objects.get(pk=theirs.pk).status == "unapproved"

    assert api_client.post(APPROVE_CODE, {}, format="json").status_code == 400


# ------------------------------------------------------------------ files

def test_signed_copy_is_printed_after_the_document_and_recorded(api_client, full_customer,
                                                                contract):
    generated = len(PdfReader(io.BytesIO(
        body_of(api_client.get(docs(full_customer, contract.pk, "download"))))).pages)
    added = api_client.post(docs(full_customer, contract.pk, "scans"),
                            {"file": SimpleUploadedFile("podpis.png", png_bytes())},
                            format="multipart")
    assert added.status_code == 201, added.data
    assert added.json()["content_type"] == "image/png"
    refused = api_client.post(docs(full_customer, contract.pk, "scans"),
                              {"file": SimpleUploadedFile("umowa.pdf", exe_bytes())},
                              format="multipart")
    assert refused.status_code == 400 and "PDF, JPG or PNG" in refused.json()["errors"]["file"][0]

    printed = api_client.get(docs(full_customer, contract.pk, "print"))
    assert printed.status_code == 200 and printed["Content-Type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(body_of(printed))).pages) == generated + 1
    assert contract.downloads.count() == 2
    assert api_client.get(docs(full_customer, contract.pk)).json()["scans_count"] == 1


def test_regenerate_makes_a_new_file_version(api_client, full_customer, contract, staff):
    customer_services.customer_update(actor=staff, customer=full_customer,
                                      last_name="Kowalczyk")
    response = api_client.post(docs(full_customer, contract.pk, "regenerate"))
    assert response.status_code == 200 and response.json()["current_file_version"] == 2
    pdf = body_of(api_client.get(docs(full_customer, contract.pk, "download")))
    assert "Jan Kowalczyk" in pdf_text(pdf)


# ------------------------------------------------------------------ templates

def test_template_create_update_and_versions(api_client, in_tenant):
    created = api_client.post(TEMPLATES, {"document_type": "letter", "name": "Pismo",
                                          "body": "<p>{{ customer.name }}</p>",
                                          "is_default": True}, format="json")
    assert created.status_code == 201, created.data
    template = created.json()
    assert (template["version"], template["is_default"]) == (1, True)

    renamed = api_client.patch(f"{TEMPLATES}{template['id']}/", {"name": "Pismo ogólne"},
                               format="json")
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["version"]) == ("Pismo ogólne", 1)
    styled = api_client.patch(f"{TEMPLATES}{template['id']}/", {"css": "p { color: red }"},
                              format="json").json()
    assert (styled["version"], styled["body"]) == (2, "<p>{{ customer.name }}</p>")

    listed = api_client.get(TEMPLATES, {"document_type": "letter"}).json()["results"]
    assert [t["name"] for t in listed] == ["Pismo ogólne"]
    assert api_client.get(TEMPLATES, {"document_type": "annex"}).json()["count"] == 0


def test_template_that_includes_a_file_is_400_and_nothing_is_saved(api_client, in_tenant,
                                                                   contract_template):
    response = api_client.post(TEMPLATES, {"document_type": "letter", "name": "Zły",
                                           "body": '{% include "/etc/passwd" %}'},
                               format="json")
    assert response.status_code == 400
    assert "include" in response.json()["errors"]["body"][0]
    assert not DocumentTemplate.objects.filter(name="Zły").exists()

    broken = api_client.patch(f"{TEMPLATES}{contract_template.pk}/",
                              {"body": "<p>ok</p>\n<p>{% if %}</p>"}, format="json")
    assert broken.status_code == 400 and "Line 2" in broken.json()["errors"]["body"][0]
    assert contract_template.versions.count() == 1
    assert not Document.objects.exists() and not NumberSeries.objects.exists()


# ------------------------------------------------------------------ tenants, permissions

def test_other_tenants_token_gets_404(other_api_client, full_customer, contract,
                                      contract_template):
    for method, url in (
        ("get", docs(full_customer)),
        ("get", docs(full_customer, contract.pk)),
        ("get", docs(full_customer, contract.pk, "download")),
        ("get", docs(full_customer, contract.pk, "print")),
        ("get", docs(full_customer, contract.pk, "downloads")),
        ("post", docs(full_customer, contract.pk, "approve")),
        ("post", docs(full_customer, contract.pk, "regenerate")),
        ("post", docs(full_customer, contract.pk, "scans")),
        ("post", docs(full_customer)),
        ("get", f"{TEMPLATES}{contract_template.pk}/"),
        ("patch", f"{TEMPLATES}{contract_template.pk}/"),
    ):
        response = getattr(other_api_client, method)(url, {"name": "x"}, format="json") \
            if method != "get" else other_api_client.get(url)
        assert response.status_code == 404, (method, url, response.status_code)
    assert not DocumentDownload.all_tenants.exists()
    contract.refresh_from_db()
    assert contract.status == "unapproved" and contract.files.count() == 1
    assert other_api_client.get(TEMPLATES).json()["count"] == 0


def test_operator_reads_documents_but_cannot_approve_issue_or_edit_templates(
        tenant, full_customer, contract, contract_template):
    operator = token_client(make_staff(tenant, "olek", role=Role.OPERATOR), tenant)
    assert operator.get(docs(full_customer)).status_code == 200
    assert operator.get(docs(full_customer, contract.pk, "download")).status_code == 200
    assert operator.post(docs(full_customer, contract.pk, "approve")).status_code == 403
    assert operator.post(APPROVE_CODE, {"code": contract.code},
                         format="json").status_code == 403
    assert operator.post(docs(full_customer), {"document_type": "contract"},
                         format="json").status_code == 403
    assert operator.post(TEMPLATES, {"document_type": "letter", "name": "X"},
                         format="json").status_code == 403
    assert operator.patch(f"{TEMPLATES}{contract_template.pk}/", {"name": "X"},
                          format="json").status_code == 403
    contract.refresh_from_db()
    assert contract.status == "unapproved" and Document.objects.count() == 1
