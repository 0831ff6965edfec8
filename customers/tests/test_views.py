"""Staff pages of customers: what a user sees and what a refused write leaves behind."""

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_staff
from core.models import ActionLog, TenantSetting
from core.roles import Role
from core.tenant_settings import setting_get
from customers import services
from customers.models import Customer, GroupMembership, Scan
from customers.tests.factories import pdf_bytes

PDF = pdf_bytes()
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"PE\x00\x00"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def card_url(customer):
    return reverse("customers:card", kwargs={"customer_id": customer.pk})


def list_numbers(response):
    return [c.number for c in response.context["page"].rows]


def new_customer(staff, **fields):
    fields.setdefault("last_name", "Nowak")
    return services.customer_create(actor=staff, **fields)


# --------------------------------------------------------------------------- list

def test_search_by_name_fragment(staff_client, staff, customer):
    other = new_customer(staff, first_name="Ewa", last_name="Nowak")
    response = staff_client.get(reverse("customers:list"), {"q": "kowal"})
    assert response.status_code == 200
    assert list_numbers(response) == [customer.number]
    assert other.number not in list_numbers(response)
    assert "Jan Kowalski" in response.content.decode()


def test_search_by_phone_written_with_spaces(staff_client, staff, customer):
    new_customer(staff, last_name="Nowak")
    services.phone_add(actor=staff, customer=customer, number="+48601234567")
    response = staff_client.get(reverse("customers:list"), {"q": "601 234 567"})
    assert list_numbers(response) == [customer.number]
    assert "+48 601 234 567" in response.content.decode()


def test_search_by_nip_with_dashes(staff_client, staff, customer):
    firm = new_customer(staff, kind="company", company_name="Firma Sp. z o.o.",
                        nip="1234563218")
    response = staff_client.get(reverse("customers:list"), {"q": "123-456-32-18"})
    assert list_numbers(response) == [firm.number]


def test_search_by_virtual_account(staff_client, staff, customer):
    new_customer(staff)
    account = customer.virtual_account
    spaced = account[:2] + " " + " ".join(account[i:i + 4] for i in range(2, 26, 4))
    response = staff_client.get(reverse("customers:list"), {"q": spaced})
    assert list_numbers(response) == [customer.number]


def test_list_filters_by_status_and_group(staff_client, staff, customer):
    interested = new_customer(staff, status="interested")
    group = services.group_create(actor=staff, name="VIP")
    services.customer_group_add(actor=staff, customer=interested, group=group)
    by_status = staff_client.get(reverse("customers:list"), {"status": "connected"})
    by_group = staff_client.get(reverse("customers:list"), {"group": group.pk})
    assert list_numbers(by_status) == [customer.number]
    assert list_numbers(by_group) == [interested.number]


def test_list_pages_by_fifty(staff_client, staff, in_tenant):
    for i in range(51):
        new_customer(staff, last_name=f"Klient{i}")
    first = staff_client.get(reverse("customers:list"))
    second = staff_client.get(reverse("customers:list"), {"page": 2})
    assert list_numbers(first) == list(range(1, 51))
    assert list_numbers(second) == [51]
    assert "page=2" in first.content.decode()
    assert "page=3" not in second.content.decode()  # no next page after the last
    # A full page does not count every match itself; the count comes by htmx.
    assert reverse("customers:count") in first.content.decode()
    count = staff_client.get(reverse("customers:count"), {"q": "klient"})
    assert count.content.decode().strip() == "51 customers"


def test_list_count_shown_at_once_when_everything_fits(staff_client, customer):
    response = staff_client.get(reverse("customers:list"), {"q": "kowal"})
    assert "1 customer" in response.content.decode()
    assert reverse("customers:count") not in response.content.decode()


def test_list_query_count(staff_client, staff, in_tenant, django_assert_num_queries):
    for i in range(3):
        c = new_customer(staff, last_name=f"Klient{i}")
        services.phone_add(actor=staff, customer=c, number=f"60123456{i}")
        services.address_add(actor=staff, customer=c, kind="residence", building_no="1",
                             postal_code="00-950", city="Warszawa")
    staff_client.get(reverse("customers:list"))  # the first request stores the tenant
    # session, user, membership (tenant, with the role: permissions), page of customers (one row
    # more than shown, so no COUNT), their phones, their residence addresses, the groups
    with django_assert_num_queries(7):
        response = staff_client.get(reverse("customers:list"))
    assert "Warszawa" in response.content.decode()


def test_create_customer(staff_client, in_tenant):
    response = staff_client.post(reverse("customers:create"), {
        "kind": "person", "status": "interested", "first_name": "Ola", "last_name": "Zielińska",
    })
    customer = Customer.objects.get(last_name="Zielińska")
    assert response.status_code == 302
    assert response["Location"] == card_url(customer)


# --------------------------------------------------------------------------- card

def _card_queries(client, customer) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(card_url(customer))
    assert response.status_code == 200
    return len(queries)


def _fill_card(staff, customer, n):
    from datetime import date

    attribute_types = [services.attribute_type_create(actor=staff, name=f"A{customer.pk}-{i}",
                                                      value_type="text") for i in range(n)]
    folder = services.folder_create(actor=staff, customer=customer, name="Umowy")
    group = services.group_create(actor=staff, name=f"G{customer.pk}")
    services.customer_group_add(actor=staff, customer=customer, group=group)
    services.panel_credentials_set(actor=staff, customer=customer, login=f"klient{customer.pk}")
    services.consent_set(actor=staff, customer=customer, kind="marketing", granted=True,
                         given_on=date(2024, 1, 2))
    services.bank_account_add(actor=staff, customer=customer, iban="PL61109010140000071219812874")
    for i in range(n):
        services.phone_add(actor=staff, customer=customer, number=f"60123457{i}")
        services.email_add(actor=staff, customer=customer, address=f"k{i}@example.com")
        services.address_add(actor=staff, customer=customer, kind="installation",
                             building_no=str(i + 1), postal_code="00-950", city="Warszawa")
        services.attribute_set(actor=staff, customer=customer,
                               attribute_type=attribute_types[i], value=f"v{i}")
        services.annotation_add(actor=staff, customer=customer, text=f"uwaga {i}",
                                pinned=i == 0)
        services.scan_add(actor=staff, customer=customer, folder=folder,
                          uploaded_file=SimpleUploadedFile(f"s{i}.pdf", PDF))


def test_card_query_count_does_not_grow_with_rows(staff_client, staff, customer):
    small = customer
    big = new_customer(staff, last_name="Duży")
    _fill_card(staff, small, 1)
    _fill_card(staff, big, 5)
    assert ActionLog.objects.filter(customer=big).count() > \
        ActionLog.objects.filter(customer=small).count()
    # 3: session, user, membership (active tenant, with the role: permissions);
    # 11: the customer joined with its panel account; its phones, e-mails, consents,
    #     addresses, attributes (joined with types), folders, scans (joined with folders),
    #     bank accounts, group memberships (joined with groups), annotations (joined with
    #     authors);
    # 3: the summary header: the balance and the open receivables (finance), the logins
    #    with their online state (radius).
    # 1: "Customer data" asks whether the tenant has an SMS gateway (the panel PIN form
    #    offers sending the PIN by SMS: messaging's template tag).
    # The card shows that one section; the others load when their tab is opened
    # (customers/tests/test_card.py counts each section's).
    expected = 18
    staff_client.get(reverse("customers:list"))  # the first request stores the tenant
    assert _card_queries(staff_client, small) == expected
    assert _card_queries(staff_client, big) == expected


def test_card_shows_sections_and_pinned_annotation_first(staff_client, staff, customer):
    services.annotation_add(actor=staff, customer=customer, text="Dzwonić po 16", pinned=True)
    services.address_add(actor=staff, customer=customer, kind="residence", street="Długa",
                         building_no="5", postal_code="00-950", city="Warszawa",
                         latitude=Decimal("52.25"), longitude=Decimal("21.0"))
    html = staff_client.get(card_url(customer), {"full": "1"}).content.decode()
    assert html.index("Dzwonić po 16") < html.index('id="section-data"')
    for key in ("data", "addresses", "account", "groups", "attributes", "actionlog",
                "annotations"):
        assert f'id="section-{key}"' in html
    assert "https://www.openstreetmap.org/?mlat=52.250000" in html
    assert customer.virtual_account[2:6] in html.replace(" ", "")
    assert "Nr klienta: 1" in html  # the clipboard text


def test_other_tenants_customer_is_404(client, other_staff, customer):
    client.force_login(other_staff)
    assert client.get(card_url(customer)).status_code == 404


def test_edit_with_invalid_pesel_shows_error_and_changes_nothing(staff_client, customer):
    url = reverse("customers:edit", kwargs={"customer_id": customer.pk})
    response = staff_client.post(url, {"kind": "person", "status": "connected",
                                       "first_name": "Janusz", "last_name": "Kowalski",
                                       "pesel": "44051401459"})
    assert response.status_code == 200
    assert "is not a valid PESEL number" in response.content.decode()
    customer.refresh_from_db()
    assert (customer.first_name, customer.pesel) == ("Jan", "44051401458")


def test_edit_saves_and_logs(staff_client, customer):
    url = reverse("customers:edit", kwargs={"customer_id": customer.pk})
    response = staff_client.post(url, {"kind": "person", "status": "suspended",
                                       "first_name": "Jan", "last_name": "Kowalski",
                                       "pesel": "44051401458"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.status == "suspended"
    assert ActionLog.objects.filter(customer=customer, kind="customer.update").exists()


def test_phone_add_error_is_shown_in_the_section_by_htmx(staff_client, customer):
    url = reverse("customers:phone_add", kwargs={"customer_id": customer.pk})
    response = staff_client.post(url, {"number": "12"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section id="section-data"')
    assert "is not a valid phone number" in html
    assert not customer.phones.exists()
    ok = staff_client.post(url, {"number": "601 234 567", "for_notifications": "on"},
                           headers={"HX-Request": "true"})
    assert "+48 601 234 567" in ok.content.decode()
    assert ok["HX-Trigger"] == "card-changed"


def test_exe_renamed_pdf_is_refused(staff_client, customer):
    url = reverse("customers:scan_add", kwargs={"customer_id": customer.pk})
    response = staff_client.post(url, {"file": SimpleUploadedFile(
        "umowa.pdf", EXE, content_type="application/pdf")})
    assert response.status_code == 200
    assert "Only PDF, JPG, PNG and GIF files are accepted" in response.content.decode()
    assert not Scan.objects.exists()


def test_scan_download_for_staff_and_404_for_other_tenant(client, staff, other_staff,
                                                          customer):
    scan = services.scan_add(actor=staff, customer=customer,
                             uploaded_file=SimpleUploadedFile("umowa.pdf", PDF))
    url = reverse("customers:scan_download",
                  kwargs={"customer_id": customer.pk, "scan_id": scan.pk})
    client.force_login(staff)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith('attachment; filename="umowa.pdf"')
    client.force_login(other_staff)
    assert client.get(url).status_code == 404


def test_pin_is_shown_once(staff_client, staff, customer):
    services.panel_credentials_set(actor=staff, customer=customer, login="jan.k")
    url = reverse("customers:panel_pin", kwargs={"customer_id": customer.pk})
    response = staff_client.post(url, follow=True)
    html = response.content.decode()
    pin = re.search(r"One-time panel PIN: (\d+)", html).group(1)
    assert len(pin) == setting_get("customer.pin_length")
    assert services.panel_authenticate(login="jan.k", secret=pin).ok
    assert pin not in staff_client.get(card_url(customer)).content.decode()


def test_group_conflict_message(staff_client, staff, customer):
    from documents.services import document_template_create

    first = document_template_create(actor=staff, document_type="contract", name="Umowa A")
    second = document_template_create(actor=staff, document_type="contract", name="Umowa B")
    group_a = services.group_create(actor=staff, name="Blok A")
    group_b = services.group_create(actor=staff, name="Blok B")
    services.group_default_template_set(actor=staff, group=group_a, document_type="contract",
                                        template=first)
    services.group_default_template_set(actor=staff, group=group_b, document_type="contract",
                                        template=second)
    services.customer_group_add(actor=staff, customer=customer, group=group_a)
    url = reverse("customers:group_add", kwargs={"customer_id": customer.pk})
    response = staff_client.post(url, {"group": group_b.pk}, headers={"HX-Request": "true"})
    assert "Cannot add to “Blok B”" in response.content.decode()
    assert list(customer.group_memberships.values_list("group__name", flat=True)) == ["Blok A"]


def test_remove_from_group_asks_first(staff_client, staff, customer):
    group = services.group_create(actor=staff, name="VIP")
    membership = services.customer_group_add(actor=staff, customer=customer, group=group)
    url = reverse("customers:group_remove",
                  kwargs={"customer_id": customer.pk, "groupmembership_id": membership.pk})
    question = staff_client.get(url)
    assert "Remove Jan Kowalski from group “VIP”?" in question.content.decode()
    assert GroupMembership.objects.filter(pk=membership.pk).exists()
    response = staff_client.post(url)
    assert response.status_code == 302
    assert not GroupMembership.objects.filter(pk=membership.pk).exists()
    assert ActionLog.objects.filter(customer=customer, kind="group.remove").exists()


def test_pin_annotation_moves_it_above_the_data(staff_client, staff, customer):
    note = services.annotation_add(actor=staff, customer=customer, text="Pies na posesji")
    html = staff_client.get(card_url(customer), {"full": "1"}).content.decode()
    assert html.index("Pies na posesji") > html.index('id="section-data"')
    staff_client.post(reverse("customers:annotation_pin", kwargs={
        "customer_id": customer.pk, "annotation_id": note.pk}), {"pinned": "on"})
    html = staff_client.get(card_url(customer), {"full": "1"}).content.decode()
    assert html.index("Pies na posesji") < html.index('id="section-data"')


def test_action_log_filter_by_kind_renders_the_section(staff_client, staff, customer):
    services.phone_add(actor=staff, customer=customer, number="601234567")
    services.annotation_add(actor=staff, customer=customer, text="x")
    url = reverse("customers:section", kwargs={"customer_id": customer.pk, "key": "actionlog"})
    response = staff_client.get(url, {"log_kind": "phone"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.startswith('<section id="section-actionlog"')
    assert "phone.add" in html
    assert "annotation.add</code>" not in html


def test_operator_without_permission_gets_403(client, tenant, customer):
    technician = make_staff(tenant, "tomek", role=Role.TECHNICIAN)
    client.force_login(technician)
    url = reverse("customers:phone_add", kwargs={"customer_id": customer.pk})
    assert client.post(url, {"number": "601234567"}).status_code == 403
    assert client.get(card_url(customer)).status_code == 200


# --------------------------------------------------------------------------- core pages

def test_tenant_setting_bad_value_is_refused(staff_client, in_tenant):
    url = reverse("tenant_settings")
    response = staff_client.post(url, {"key": "customer.pin_length", "value": "99"})
    assert response.status_code == 400
    assert "The value must be at most 12." in response.content.decode()
    assert not TenantSetting.objects.exists()
    assert setting_get("customer.pin_length") == 6


def test_tenant_setting_is_saved_and_logged(staff_client, in_tenant):
    response = staff_client.post(reverse("tenant_settings"),
                                 {"key": "customer.pin_length", "value": "8"})
    assert response.status_code == 302
    assert setting_get("customer.pin_length") == 8
    entry = ActionLog.objects.get(kind="setting.change")
    assert entry.changes == {"customer.pin_length": [6, 8]}
    page = staff_client.get(reverse("tenant_settings")).content.decode()
    assert "Length of the one-time panel PIN" in page


def test_operator_cannot_see_or_change_tenant_settings(client, tenant, in_tenant):
    operator = make_staff(tenant, "olek", role=Role.OPERATOR)
    client.force_login(operator)
    url = reverse("tenant_settings")
    assert client.get(url).status_code == 403
    assert client.post(url, {"key": "customer.pin_length", "value": "8"}).status_code == 403
    assert not TenantSetting.objects.exists()


def test_user_without_tenant_gets_a_clear_page(client, db):
    from core.models import User

    client.force_login(User.objects.create_user(username="nikt", password="x-pass-123"))
    response = client.get(reverse("customers:list"))
    assert response.status_code == 403
    assert "not a member of any tenant" in response.content.decode()


def test_tenant_switch_only_to_own_tenants(client, tenant, other_tenant, staff, customer):
    from core.models import Membership

    client.force_login(staff)
    assert client.post(reverse("tenant_switch"), {"tenant_id": other_tenant.pk}) \
        .status_code == 302
    assert client.session["tenant_id"] == tenant.pk
    Membership.objects.create(user=staff, tenant=other_tenant, role=Role.OPERATOR)
    client.post(reverse("tenant_switch"), {"tenant_id": other_tenant.pk})
    assert client.session["tenant_id"] == other_tenant.pk
    assert client.get(card_url(customer)).status_code == 404
    menu = client.get(reverse("tenant_switch")).content.decode()
    assert "Sieć Alfa" in menu and "Sieć Beta" in menu


def test_login_page_and_home_redirect(client, staff):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "anna", "password": "s3cret-pass"})
    assert response.status_code == 302
    home = client.get("/")  # the day's work (core.dashboard), not a redirect any more
    assert home.status_code == 200 and 'id="dashboard"' in home.content.decode()


def test_language_switch(client, staff, in_tenant):
    client.force_login(staff)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/customers/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    page = client.get(reverse("customers:list")).content.decode()
    assert '<html lang="en">' in page
    assert "New customer" in page
    client.post(reverse("set_language"), {"language": "pl", "next": "/customers/"})
    assert '<html lang="pl">' in client.get(reverse("customers:list")).content.decode()


def test_attribute_type_page_and_setting_a_value(staff_client, staff, customer):
    response = staff_client.post(reverse("customers:attribute_types"),
                                 {"name": "Piętro", "value_type": "number", "choices": ""})
    assert response.status_code == 302
    refused = staff_client.post(reverse("customers:attribute_types"),
                                {"name": "Typ", "value_type": "choice", "choices": ""})
    assert "A choice attribute needs its choices." in refused.content.decode()
    from customers.models import AttributeType

    floor = AttributeType.objects.get(name="Piętro")
    url = reverse("customers:attribute_set", kwargs={"customer_id": customer.pk})
    bad = staff_client.post(url, {"attribute_type": floor.pk, "value": "wysoko"},
                            headers={"HX-Request": "true"})
    assert "Enter a number." in bad.content.decode()
    staff_client.post(url, {"attribute_type": floor.pk, "value": "3,5"})
    assert customer.attributes.get().value == "3.5"


def test_groups_page_creates_a_group(staff_client, in_tenant):
    staff_client.post(reverse("customers:groups"), {"name": "Blok 7", "description": ""})
    again = staff_client.post(reverse("customers:groups"), {"name": "blok 7"})
    assert "A group of this name exists." in again.content.decode()
    assert "Blok 7" in staff_client.get(reverse("customers:groups")).content.decode()


def test_address_add_in_place_and_invalid_postal_code(staff_client, customer):
    url = reverse("customers:address_add", kwargs={"customer_id": customer.pk})
    data = {"kind": "installation", "building_no": "7", "postal_code": "00950",
            "city": "Radom", "country": "PL"}
    bad = staff_client.post(url, data, headers={"HX-Request": "true"})
    assert "A Polish postal code looks like 00-950." in bad.content.decode()
    assert not customer.addresses.exists()
    ok = staff_client.post(url, {**data, "postal_code": "26-600"},
                           headers={"HX-Request": "true"})
    assert "7, 26-600 Radom" in ok.content.decode()


def test_address_teryt_typed_on_the_card_and_shown(staff_client, customer):
    url = reverse("customers:address_add", kwargs={"customer_id": customer.pk})
    data = {"kind": "installation", "building_no": "7", "postal_code": "26-600",
            "city": "Radom", "country": "PL", "teryt_simc": "0972339", "teryt_ulic": "1"}
    bad = staff_client.post(url, data, headers={"HX-Request": "true"})
    assert "A TERYT identifier here has 5 digits." in bad.content.decode()
    ok = staff_client.post(url, {**data, "teryt_ulic": "00001"},
                           headers={"HX-Request": "true"})
    assert "TERYT SIMC 0972339 ULIC 00001" in ok.content.decode()


def test_action_log_more_pages(staff_client, staff, customer):
    for i in range(25):
        services.annotation_add(actor=staff, customer=customer, text=f"n{i}")
    url = reverse("customers:section", kwargs={"customer_id": customer.pk, "key": "actionlog"})
    first = staff_client.get(url, headers={"HX-Request": "true"})
    more = staff_client.get(url, {"log_pages": 2}, headers={"HX-Request": "true"})
    assert len(first.context["log_entries"]) == 20 and first.context["log_has_more"]
    assert len(more.context["log_entries"]) == 26 and not more.context["log_has_more"]
