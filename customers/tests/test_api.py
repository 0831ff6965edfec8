"""The customer card's REST API: what a client of /api/v1/ sees and can change."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from conftest import make_staff, token_client
from core.models import ActionLog
from core.roles import Role
from core.tenancy import tenant_context
from customers import services
from customers.models import (
    Annotation,
    Customer,
    CustomerGroup,
    GroupMembership,
    Phone,
    Scan,
)
from documents.services import document_template_create

from .factories import VALID_IBAN, VALID_NIP, VALID_PESEL, VALID_REGON, exe_bytes, png_bytes

URL = "/api/v1/customers/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def sub(customer, resource, pk=None, action=None):
    url = f"{URL}{customer.pk}/{resource}/"
    if pk is not None:
        url += f"{pk}/"
    if action:
        url += f"{action}/"
    return url


def count(model, tenant):
    with tenant_context(tenant):
        return model.objects.count()


# ------------------------------------------------------------------ customers

def test_create_customer(api_client, tenant, staff):
    response = api_client.post(URL, {"kind": "company", "company_name": "Foo sp. z o.o.",
                                      "nip": "526-025-02-74", "regon": VALID_REGON},
                               format="json")
    assert response.status_code == 201, response.data
    body = response.json()
    assert body["number"] == 1 and body["nip"] == VALID_NIP
    assert body["display_name"] == "Foo sp. z o.o."
    assert len(body["virtual_account"]) == 26
    with tenant_context(tenant):
        entry = ActionLog.objects.get(customer_id=body["id"])
    assert entry.kind == "customer.create" and entry.actor_user == staff


@pytest.mark.parametrize("field,value", [
    ("pesel", "44051401459"), ("nip", "1234567890"), ("regon", "123456789"),
])
def test_invalid_identity_number_is_400_with_field_message(api_client, tenant, field, value):
    response = api_client.post(URL, {"last_name": "Nowak", field: value}, format="json")
    assert response.status_code == 400
    assert value in response.json()["errors"][field][0]
    assert count(Customer, tenant) == 0
    assert count(ActionLog, tenant) == 0


def test_duplicate_customer_number_is_400(api_client, customer, tenant):
    response = api_client.post(URL, {"last_name": "Nowak", "number": customer.number},
                               format="json")
    assert response.status_code == 400
    assert "already taken" in response.json()["errors"]["number"][0]
    assert count(Customer, tenant) == 1


def test_partial_update_changes_only_given_fields(api_client, customer):
    response = api_client.patch(f"{URL}{customer.pk}/", {"first_name": "Janusz"},
                                format="json")
    assert response.status_code == 200, response.data
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name, customer.pesel) == \
        ("Janusz", "Kowalski", VALID_PESEL)
    response = api_client.patch(f"{URL}{customer.pk}/", {"pesel": "123"}, format="json")
    assert response.status_code == 400 and "pesel" in response.json()["errors"]
    customer.refresh_from_db()
    assert customer.pesel == VALID_PESEL


def test_customer_cannot_be_deleted(api_client, customer, tenant):
    assert api_client.delete(f"{URL}{customer.pk}/").status_code == 405
    assert count(Customer, tenant) == 1


def test_forged_tenant_in_payload_is_ignored(api_client, tenant, other_tenant):
    response = api_client.post(URL, {"last_name": "Nowak", "tenant": other_tenant.pk,
                                     "tenant_id": other_tenant.pk}, format="json")
    assert response.status_code == 201
    assert Customer.all_tenants.get(pk=response.json()["id"]).tenant_id == tenant.pk
    assert count(Customer, other_tenant) == 0


def test_unauthenticated_is_401(customer):
    client = APIClient()
    assert client.get(URL).status_code == 401
    assert client.get(sub(customer, "phones")).status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert bad.get(URL).status_code == 401


def test_other_tenant_gets_404(other_api_client, customer):
    assert other_api_client.get(f"{URL}{customer.pk}/").status_code == 404
    assert other_api_client.patch(f"{URL}{customer.pk}/", {"last_name": "X"},
                                  format="json").status_code == 404
    assert other_api_client.get(sub(customer, "phones")).status_code == 404
    assert other_api_client.post(sub(customer, "annotations"), {"text": "x"},
                                 format="json").status_code == 404
    assert other_api_client.get(URL).json()["count"] == 0


def test_other_tenant_without_permission_still_gets_404(customer, other_tenant):
    technician = make_staff(other_tenant, "tadek", role=Role.TECHNICIAN)
    client = token_client(technician, other_tenant)
    assert client.post(sub(customer, "phones"), {"number": "601234567"},
                       format="json").status_code == 404


def test_technician_cannot_create_customer(tenant):
    technician = make_staff(tenant, "tomek", role=Role.TECHNICIAN)
    client = token_client(technician, tenant)
    assert client.get(URL).status_code == 200
    response = client.post(URL, {"last_name": "Nowak"}, format="json")
    assert response.status_code == 403
    assert count(Customer, tenant) == 0


def test_technician_adds_annotation_but_cannot_pin_it(customer, tenant):
    technician = make_staff(tenant, "tomek", role=Role.TECHNICIAN)
    client = token_client(technician, tenant)
    response = client.post(sub(customer, "annotations"), {"text": "Router w piwnicy"},
                           format="json")
    assert response.status_code == 201
    pin = client.post(sub(customer, "annotations", response.json()["id"], "pin"),
                      {"pinned": True}, format="json")
    assert pin.status_code == 403


def test_list_pages_and_searches_by_phone_and_nip(api_client, in_tenant, staff, customer):
    services.phone_add(actor=staff, customer=customer, number="+48 601 234 567")
    company = services.customer_create(actor=staff, kind="company", company_name="Foo",
                                       nip=VALID_NIP)
    for i in range(3):
        services.customer_create(actor=staff, last_name=f"Nowak{i}")

    first = api_client.get(URL, {"page_size": 2}).json()
    assert first["count"] == 5 and [c["number"] for c in first["results"]] == [1, 2]
    assert "page=2" in first["next"] and first["previous"] is None
    last = api_client.get(URL, {"page_size": 2, "page": 3}).json()
    assert [c["number"] for c in last["results"]] == [5] and last["next"] is None
    assert api_client.get(URL, {"page_size": 2, "page": 4}).status_code == 404

    by_phone = api_client.get(URL, {"search": "601-234-567"}).json()
    assert [c["id"] for c in by_phone["results"]] == [customer.pk]
    by_nip = api_client.get(URL, {"search": "526-025-02-74"}).json()
    assert [c["id"] for c in by_nip["results"]] == [company.pk]
    by_kind = api_client.get(URL, {"kind": "company"}).json()
    assert [c["id"] for c in by_kind["results"]] == [company.pk]
    newest_first = api_client.get(URL, {"ordering": "-number"}).json()
    assert newest_first["results"][0]["number"] == 5


def test_filter_by_group(api_client, in_tenant, staff, customer):
    group = services.group_create(actor=staff, name="VIP")
    services.customer_create(actor=staff, last_name="Nowak")
    services.customer_group_add(actor=staff, customer=customer, group=group)
    body = api_client.get(URL, {"group": group.pk}).json()
    assert [c["id"] for c in body["results"]] == [customer.pk]
    assert body["results"][0]["groups"] == [{"id": group.pk, "name": "VIP"}]


def test_customer_list_query_count(api_client, in_tenant, staff, customer,
                                   django_assert_num_queries):
    group = services.group_create(actor=staff, name="VIP")
    for i in range(10):
        other = services.customer_create(actor=staff, last_name=f"Nowak{i}")
        services.customer_group_add(actor=staff, customer=other, group=group)
    # 1 token + user + tenant, 2 membership exists, 3 token last_used_at update,
    # 4 role in the tenant (permission check), 5 count for the page, 6 the page of
    # customers, 7 their groups (one prefetch) — the same for 11 customers as for 1.
    with django_assert_num_queries(7):
        response = api_client.get(URL)
    assert response.status_code == 200 and response.json()["count"] == 11


def test_other_tenants_group_cannot_be_used_as_filter(api_client, customer, other_tenant,
                                                      other_staff):
    with tenant_context(other_tenant):
        foreign = services.group_create(actor=other_staff, name="Obcy")
    response = api_client.get(URL, {"group": foreign.pk})
    assert response.status_code == 400


# ------------------------------------------------------------------ sub-resources

def test_add_phone_and_invalid_phone(api_client, customer, tenant):
    response = api_client.post(sub(customer, "phones"),
                               {"number": "601 234 567", "label": "komórka"}, format="json")
    assert response.status_code == 201, response.data
    assert response.json()["number"] == "+48601234567"
    bad = api_client.post(sub(customer, "phones"), {"number": "12"}, format="json")
    assert bad.status_code == 400
    assert "not a valid phone number" in bad.json()["errors"]["number"][0]
    assert count(Phone, tenant) == 1
    phone_id = response.json()["id"]
    patched = api_client.patch(sub(customer, "phones", phone_id), {"for_invoices": True},
                               format="json")
    assert patched.status_code == 200 and patched.json()["for_invoices"] is True
    assert api_client.delete(sub(customer, "phones", phone_id)).status_code == 204
    assert count(Phone, tenant) == 0


def test_emails_and_consents(api_client, customer):
    response = api_client.post(sub(customer, "emails"), {"address": "Jan@Example.COM"},
                               format="json")
    assert response.status_code == 201 and response.json()["address"] == "Jan@example.com"
    assert api_client.post(sub(customer, "emails"), {"address": "nope"},
                           format="json").status_code == 400
    consent = api_client.post(sub(customer, "consents"),
                              {"kind": "marketing", "granted": True, "given_on": "2024-01-02"},
                              format="json")
    assert consent.status_code == 200, consent.data
    withdrawn = api_client.post(sub(customer, "consents"),
                                {"kind": "marketing", "granted": False,
                                 "given_on": "2024-02-03"}, format="json")
    assert withdrawn.json()["id"] == consent.json()["id"]
    assert [c["granted"] for c in api_client.get(sub(customer, "consents")).json()["results"]] \
        == [False]


def test_add_address(api_client, customer):
    response = api_client.post(sub(customer, "addresses"),
                               {"kind": "residence", "street": "Długa", "building_no": "5",
                                "postal_code": "00-950", "city": "Warszawa"}, format="json")
    assert response.status_code == 201, response.data
    assert response.json()["text"] == "Długa 5, 00-950 Warszawa"
    bad = api_client.post(sub(customer, "addresses"),
                          {"kind": "installation", "building_no": "5", "postal_code": "0095",
                           "city": "Warszawa"}, format="json")
    assert bad.status_code == 400 and "postal_code" in bad.json()["errors"]
    found = api_client.get(URL, {"search": "długa"}).json()["results"]
    assert [c["id"] for c in found] == [customer.pk]


def test_address_teryt_through_the_api(api_client, customer):
    base = {"kind": "installation", "building_no": "5", "postal_code": "00-950",
            "city": "Warszawa"}
    bad = api_client.post(sub(customer, "addresses"), {**base, "teryt_simc": "91812"},
                          format="json")
    assert bad.status_code == 400 and "teryt_simc" in bad.json()["errors"]
    ok = api_client.post(sub(customer, "addresses"),
                         {**base, "teryt_terc": "1465011", "teryt_simc": "0918123",
                          "teryt_ulic": "13334"}, format="json")
    assert ok.status_code == 201, ok.data
    assert (ok.json()["teryt_simc"], ok.json()["teryt_ulic"]) == ("0918123", "13334")


def test_attributes_set_and_remove(api_client, customer):
    created = api_client.post("/api/v1/attribute-types/",
                              {"name": "Piętro", "value_type": "number"}, format="json")
    assert created.status_code == 201, created.data
    type_id = created.json()["id"]
    response = api_client.post(sub(customer, "attributes"),
                               {"attribute_type": type_id, "value": "3,0"}, format="json")
    assert response.status_code == 200, response.data
    assert response.json()["value"] == "3" and response.json()["attribute_type_name"] == "Piętro"
    bad = api_client.post(sub(customer, "attributes"),
                          {"attribute_type": type_id, "value": "parter"}, format="json")
    assert bad.status_code == 400 and "value" in bad.json()["errors"]
    assert api_client.delete(sub(customer, "attributes",
                                 response.json()["id"])).status_code == 204
    assert api_client.get(sub(customer, "attributes")).json()["count"] == 0


def test_other_tenants_attribute_type_is_400(api_client, customer, other_tenant, other_staff,
                                             tenant):
    with tenant_context(other_tenant):
        foreign = services.attribute_type_create(actor=other_staff, name="Obce",
                                                 value_type="text")
    response = api_client.post(sub(customer, "attributes"),
                               {"attribute_type": foreign.pk, "value": "x"}, format="json")
    assert response.status_code == 400 and "attribute_type" in response.json()["errors"]
    assert api_client.get(sub(customer, "attributes")).json()["count"] == 0


def test_upload_and_download_scan(api_client, customer, tenant):
    folder = api_client.post(sub(customer, "folders"), {"name": "Umowy"}, format="json")
    assert folder.status_code == 201
    content = png_bytes()
    upload = SimpleUploadedFile("skan.png", content, content_type="application/octet-stream")
    response = api_client.post(sub(customer, "scans"),
                               {"file": upload, "folder": folder.json()["id"],
                                "description": "Umowa str. 1"}, format="multipart")
    assert response.status_code == 201, response.data
    body = response.json()
    assert body["content_type"] == "image/png" and body["size"] == len(content)
    download = api_client.get(body["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == content


def test_exe_renamed_pdf_is_refused(api_client, customer, tenant):
    upload = SimpleUploadedFile("umowa.pdf", exe_bytes(), content_type="application/pdf")
    response = api_client.post(sub(customer, "scans"), {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert "Only PDF, JPG, PNG and GIF" in response.json()["errors"]["file"][0]
    assert count(Scan, tenant) == 0


def test_other_tenants_folder_is_400(api_client, customer, other_tenant, other_staff, tenant):
    with tenant_context(other_tenant):
        foreign_customer = services.customer_create(actor=other_staff, last_name="Obcy")
        foreign = services.folder_create(actor=other_staff, customer=foreign_customer,
                                         name="Obca")
    upload = SimpleUploadedFile("skan.png", png_bytes())
    response = api_client.post(sub(customer, "scans"), {"file": upload, "folder": foreign.pk},
                               format="multipart")
    assert response.status_code == 400 and "folder" in response.json()["errors"]
    assert count(Scan, tenant) == 0


def test_bank_account_and_invalid_iban(api_client, customer):
    response = api_client.post(sub(customer, "bank-accounts"), {"iban": VALID_IBAN},
                               format="json")
    assert response.status_code == 201 and response.json()["iban"] == VALID_IBAN
    bad = api_client.post(sub(customer, "bank-accounts"),
                          {"iban": "PL61109010140000071219812875"}, format="json")
    assert bad.status_code == 400
    assert "not a valid bank account" in bad.json()["errors"]["iban"][0]
    assert api_client.get(sub(customer, "bank-accounts")).json()["count"] == 1


def test_group_membership_and_conflict(api_client, in_tenant, staff, customer):
    home = document_template_create(actor=staff, document_type="contract", name="Umowa domowa")
    business = document_template_create(actor=staff, document_type="contract",
                                        name="Umowa firmowa")
    g_home = services.group_create(actor=staff, name="Domowi")
    g_business = services.group_create(actor=staff, name="Firmy")
    services.group_default_template_set(actor=staff, group=g_home, document_type="contract",
                                        template=home)
    services.group_default_template_set(actor=staff, group=g_business,
                                        document_type="contract", template=business)
    added = api_client.post(sub(customer, "groups"), {"group": g_home.pk}, format="json")
    assert added.status_code == 201, added.data
    assert added.json()["group"] == {"id": g_home.pk, "name": "Domowi"}
    conflict = api_client.post(sub(customer, "groups"), {"group": g_business.pk},
                               format="json")
    assert conflict.status_code == 400
    message = conflict.json()["errors"]["group"][0]
    assert "Domowi" in message and "Umowa domowa" in message
    assert api_client.delete(sub(customer, "groups", added.json()["id"])).status_code == 204
    assert GroupMembership.objects.count() == 0


def test_other_tenants_group_id_is_400_and_nothing_changes(api_client, customer, tenant,
                                                          other_tenant, other_staff):
    with tenant_context(other_tenant):
        foreign = services.group_create(actor=other_staff, name="Obcy")
    log_before = count(ActionLog, tenant)
    response = api_client.post(sub(customer, "groups"), {"group": foreign.pk}, format="json")
    assert response.status_code == 400 and "group" in response.json()["errors"]
    assert GroupMembership.all_tenants.count() == 0
    assert count(ActionLog, tenant) == log_before


def test_tenant_level_groups_are_scoped(api_client, other_api_client, tenant):
    created = api_client.post("/api/v1/customer-groups/", {"name": "VIP", "tenant": 999},
                              format="json")
    assert created.status_code == 201
    assert CustomerGroup.all_tenants.get(pk=created.json()["id"]).tenant_id == tenant.pk
    assert other_api_client.get("/api/v1/customer-groups/").json()["count"] == 0


def test_annotation_add_pin_delete(api_client, customer, tenant):
    note = api_client.post(sub(customer, "annotations"), {"text": "Pies na posesji"},
                           format="json")
    assert note.status_code == 201 and note.json()["created_by_name"] == "Anna Testowy"
    url = sub(customer, "annotations", note.json()["id"], "pin")
    pinned = api_client.post(url, {"pinned": True}, format="json")
    assert pinned.status_code == 200 and pinned.json()["pinned"] is True
    assert api_client.post(sub(customer, "annotations"), {"text": "  "},
                           format="json").status_code == 400
    assert api_client.delete(sub(customer, "annotations", note.json()["id"])).status_code == 204
    assert count(Annotation, tenant) == 0


def test_panel_credentials_and_pin_shown_once(api_client, customer):
    empty = api_client.get(sub(customer, "panel"))
    assert empty.status_code == 200 and empty.json()["exists"] is False
    no_login = api_client.post(sub(customer, "panel", action="generate-pin"))
    assert no_login.status_code == 400
    response = api_client.post(sub(customer, "panel"),
                               {"login": "jan.kowalski", "password": "dlugie-haslo-1"},
                               format="json")
    assert response.status_code == 200, response.data
    body = response.json()
    assert body["login"] == "jan.kowalski" and body["has_password"] is True
    assert "password" not in body and "password_hash" not in body
    pin = api_client.post(sub(customer, "panel", action="generate-pin"))
    assert pin.status_code == 200 and pin["Cache-Control"] == "no-store"
    assert pin.json()["pin"].isdigit()
    shown = api_client.get(sub(customer, "panel")).json()
    assert shown["has_pin"] is True and pin.json()["pin"] not in str(shown)
    result = services.panel_authenticate(login="jan.kowalski", secret=pin.json()["pin"])
    assert result.ok


def test_action_log_filters(api_client, in_tenant, staff, customer):
    services.phone_add(actor=staff, customer=customer, number="601234567")
    services.annotation_add(actor=staff, customer=customer, text="x")
    entries = api_client.get(sub(customer, "action-log")).json()["results"]
    assert [e["kind"] for e in entries] == ["annotation.add", "phone.add", "customer.create"]
    phones = api_client.get(sub(customer, "action-log"), {"kind": "phone"}).json()["results"]
    assert [e["kind"] for e in phones] == ["phone.add"]
    by_actor = api_client.get(sub(customer, "action-log"), {"actor": "nobody"}).json()
    assert by_actor["count"] == 0
    assert api_client.post(sub(customer, "action-log"), {}, format="json").status_code == 405
