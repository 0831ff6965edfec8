"""The cases API: filters, create/patch through the services, workflow actions, another
tenant's queue and type ids."""

import pytest

from core.tenancy import tenant_context
from helpdesk.models import Case
from helpdesk.services.cases import case_create
from helpdesk.tests.factories import case_type_make, queue_make
from helpdesk.tests.fixtures_cases import FAULT_DATA

pytestmark = pytest.mark.django_db


def test_create_list_filter_and_patch(api_client, staff, customer, fault_type, first_line):
    r = api_client.post("/api/v1/cases/", {"case_type": fault_type.pk, "title": "API",
                                           "customer": customer.pk, "data": FAULT_DATA},
                        format="json")
    assert r.status_code == 201, r.content
    assert r.json()["number"] == 1 and r.json()["data"]["phone"] == "+48601234567"
    case_create(actor=staff, case_type=fault_type, title="Other", data=FAULT_DATA)
    rows = api_client.get("/api/v1/cases/", {"customer": customer.pk}).json()["results"]
    assert [row["title"] for row in rows] == ["API"]
    assert api_client.get("/api/v1/cases/", {"number": 2}).json()["results"][0]["title"] \
        == "Other"
    assert api_client.get("/api/v1/cases/", {"status": "closed"}).json()["results"] == []
    case_id = r.json()["id"]
    r = api_client.patch(f"/api/v1/cases/{case_id}/", {"data": {"phone": "abc"}},
                         format="json")
    assert r.status_code == 400 and "phone" in str(r.json())
    r = api_client.patch(f"/api/v1/cases/{case_id}/", {"title": "API 2", "priority": 4},
                         format="json")
    assert r.status_code == 200 and r.json()["priority"] == 4
    journal = api_client.get(f"/api/v1/cases/{case_id}/journal/").json()["results"]
    assert [j["kind"] for j in journal] == ["created", "changed"]


def test_mandatory_fields_400_by_key(api_client, fault_type):
    r = api_client.post("/api/v1/cases/", {"case_type": fault_type.pk, "title": "x"},
                        format="json")
    assert r.status_code == 400
    assert "address" in str(r.json()) and "phone" in str(r.json())


def test_other_tenants_queue_and_type_ids(api_client, fault_type, other_tenant, staff):
    with tenant_context(other_tenant):
        queue = queue_make("Obca")
        kind = case_type_make("ObcyTyp", default_queue=queue)
    r = api_client.post("/api/v1/cases/", {"case_type": kind.pk, "title": "x"}, format="json")
    assert r.status_code == 400 and "case_type" in r.json().__repr__()
    r = api_client.post("/api/v1/cases/", {"case_type": fault_type.pk, "title": "x",
                                           "queue": queue.pk, "data": FAULT_DATA},
                        format="json")
    assert r.status_code == 400 and "queue" in repr(r.json())
    case = case_create(actor=staff, case_type=fault_type, title="Mine", data=FAULT_DATA)
    r = api_client.post(f"/api/v1/cases/{case.pk}/send/", {"queue": queue.pk}, format="json")
    assert r.status_code == 400
    assert api_client.get(f"/api/v1/queues/{queue.pk}/").status_code == 404
    assert api_client.get(f"/api/v1/case-types/{kind.pk}/").status_code == 404


def test_other_tenant_cannot_see_or_act(other_api_client, staff, fault_type):
    case = case_create(actor=staff, case_type=fault_type, title="Mine", data=FAULT_DATA)
    assert other_api_client.get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert other_api_client.post(f"/api/v1/cases/{case.pk}/take/").status_code == 404
    assert other_api_client.get("/api/v1/cases/").json()["results"] == []


def test_workflow_actions(api_client, staff, fault_type, second_line):
    case = case_create(actor=staff, case_type=fault_type, title="Flow", data=FAULT_DATA)
    base = f"/api/v1/cases/{case.pk}"
    assert api_client.post(f"{base}/take/").json()["owner"] == staff.pk
    r = api_client.post(f"{base}/take/")
    assert r.status_code == 400
    r = api_client.post(f"{base}/comments/", {"body": "note", "is_public": False},
                        format="json")
    assert r.status_code == 201 and r.json()["is_public"] is False
    assert len(api_client.get(f"{base}/comments/").json()["results"]) == 1
    r = api_client.post(f"{base}/status/", {"status": "resolved"}, format="json")
    assert r.json()["status"] == "resolved"
    r = api_client.post(f"{base}/status/", {"status": "waiting"}, format="json")
    assert r.status_code == 400 and "status" in repr(r.json())
    r = api_client.post(f"{base}/status/", {"status": "in_progress"}, format="json")
    r = api_client.post(f"{base}/send/", {"queue": second_line.pk, "note": "tech"},
                        format="json")
    assert r.json()["queue"] == second_line.pk and r.json()["owner"] is None
    r = api_client.post(f"{base}/return/", {"reason": "x"}, format="json")
    assert r.status_code == 400  # anna is no member of the second line
    assert Case.objects.get(pk=case.pk).returned_at is None


def test_attachment_refused_when_not_what_it_claims(api_client, staff, fault_type):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = case_create(actor=staff, case_type=fault_type, title="Files", data=FAULT_DATA)
    fake = SimpleUploadedFile("scan.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    r = api_client.post(f"/api/v1/cases/{case.pk}/attachments/", {"file": fake},
                        format="multipart")
    assert r.status_code == 400 and "file" in repr(r.json())
    assert api_client.get(f"/api/v1/cases/{case.pk}/attachments/").json()["results"] == []


def test_types_and_queues(api_client, staff, first_line):
    r = api_client.post("/api/v1/case-types/", {"name": "Billing",
                                                "default_queue": first_line.pk},
                        format="json")
    assert r.status_code == 201
    type_id = r.json()["id"]
    r = api_client.post(f"/api/v1/case-types/{type_id}/fields/",
                        {"label": "Invoice", "kind": "text", "required": True}, format="json")
    assert r.status_code == 201 and r.json()["key"] == "invoice"
    r = api_client.post(f"/api/v1/case-types/{type_id}/fields/",
                        {"label": "Invoice", "kind": "text"}, format="json")
    assert r.status_code == 400 and "key" in repr(r.json())
    types = api_client.get("/api/v1/case-types/").json()["results"]
    assert [f["key"] for f in types[0]["case_fields"]] == ["invoice"]
    r = api_client.post("/api/v1/queues/", {"name": "Tech", "members": [staff.pk]},
                        format="json")
    assert r.status_code == 201 and r.json()["members"] == [staff.pk]
    r = api_client.post("/api/v1/queues/", {"name": "tech"}, format="json")
    assert r.status_code == 400


def test_case_list_query_count(api_client, staff, fault_type, django_assert_num_queries):
    for i in range(5):
        case_create(actor=staff, case_type=fault_type, title=f"C{i}", data=FAULT_DATA)
    api_client.get("/api/v1/cases/")
    # Four of the API authentication (token, user, membership, tenant), the count, the
    # page (ids only: no joins).
    with django_assert_num_queries(6) as ctx:
        api_client.get("/api/v1/cases/")
    n = len(ctx.captured_queries)
    for i in range(10):
        case_create(actor=staff, case_type=fault_type, title=f"D{i}", data=FAULT_DATA)
    with django_assert_num_queries(n):
        assert len(api_client.get("/api/v1/cases/").json()["results"]) == 15
