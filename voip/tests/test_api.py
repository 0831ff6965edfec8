"""The telephony in /api/v1/: ranges, numbers, phones, price lists and rated calls — what
a program sees: the one error shape, another tenant's ids as 404s, a read-only role
refused, a SIP password shown once and never again."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conftest import make_staff, token_client
from core.roles import Role
from core.tenancy import tenant_context
from voip import services
from voip.models import (
    BillingGroup,
    Call,
    NumberRange,
    PhoneNumber,
    PriceList,
    PriceRule,
    VoipPhone,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/voip/"
D = Decimal
PASSWORD = "Haslo-SIP-1234"


@pytest.fixture
def reader(tenant):
    """A role that may read the telephony and change nothing of it (the accountant)."""
    return token_client(make_staff(tenant, "ksiegowa", role=Role.ACCOUNTANT), tenant)


@pytest.fixture
def technician(tenant):
    return token_client(make_staff(tenant, "technik", role=Role.TECHNICIAN), tenant)


@pytest.fixture
def other_range(other_tenant, other_staff):
    with tenant_context(other_tenant):
        return services.number_range_create(actor=other_staff, name="Beta",
                                            first="+48 22 400 00 00", last="+48 22 400 00 04")


@pytest.fixture
def other_phone(other_range, other_tenant, other_staff, other_customer):
    with tenant_context(other_tenant):
        phone, _p = services.phone_create(actor=other_staff, customer=other_customer,
                                          numbers_range=other_range, password=PASSWORD)
        return phone


def _phone(staff, customer, numbers_range, **kw):
    kw.setdefault("password", PASSWORD)
    return services.phone_create(actor=staff, customer=customer, numbers_range=numbers_range,
                                 **kw)[0]


def _refused(response, field) -> list[str]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and field in body["errors"], body
    return body["errors"][field]


# --------------------------------------------------------------------------- number ranges

def test_a_range_is_created_with_its_numbers_and_shown_in_international_form(api_client,
                                                                             in_tenant):
    response = api_client.post(f"{API}number-ranges/", {
        "name": "Kraków 12", "first": "12 300 00 00", "last": "+48 12 300 00 19"},
        format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["first"] == "+48123000000" and body["last"] == "+48123000019"
    assert body["size"] == 20 and body["free"] == 20
    assert PhoneNumber.objects.filter(range_id=body["id"], state="free").count() == 20


def test_a_bad_range_is_a_400_naming_the_field_and_nothing_is_saved(api_client, in_tenant):
    response = api_client.post(f"{API}number-ranges/", {
        "name": "Zły", "first": "+48 12 300 00 09", "last": "+48 12 300 00 00"},
        format="json")

    assert "below the first" in _refused(response, "last")[0]
    assert response.json()["detail"] == "Invalid input."
    assert not NumberRange.objects.exists() and not PhoneNumber.objects.exists()


def test_another_operators_numbers_are_refused_without_naming_them(api_client, other_range,
                                                                   in_tenant):
    response = api_client.post(f"{API}number-ranges/", {
        "name": "Nakładka", "first": "+48224000003", "last": "+48224000009"}, format="json")

    assert "another operator" in _refused(response, "first")[0]
    assert "Beta" not in response.content.decode()
    assert not NumberRange.objects.filter(name="Nakładka").exists()


def test_ranges_list_only_the_tenants_own(api_client, numbers_range, other_range,
                                          django_assert_num_queries):
    # token, membership, last use, role; count, the page (free numbers counted in it)
    with django_assert_num_queries(6):
        body = api_client.get(f"{API}number-ranges/").json()

    assert [r["name"] for r in body["results"]] == ["Warszawa 22 300"]
    assert api_client.get(f"{API}number-ranges/{other_range.pk}/").status_code == 404


def test_a_read_only_role_cannot_create_a_range(reader, in_tenant):
    response = reader.post(f"{API}number-ranges/", {
        "name": "X", "first": "+48123000000", "last": "+48123000009"}, format="json")

    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert not NumberRange.objects.exists()
    assert reader.get(f"{API}number-ranges/").status_code == 200


# --------------------------------------------------------------------------- numbers

def test_numbers_filter_by_range_state_and_prefix(api_client, numbers_range, staff, customer,
                                                  other_range):
    phone = _phone(staff, customer, numbers_range)
    url = f"{API}numbers/"

    everything = api_client.get(url).json()
    assigned = api_client.get(url, {"state": "assigned"}).json()["results"]
    by_prefix = api_client.get(url, {"prefix": "+48 22 300 00 0"}).json()
    by_range = api_client.get(url, {"range": numbers_range.pk}).json()

    assert everything["count"] == 10  # the other tenant's five are not here
    assert assigned == [{"id": phone.number_id, "range": numbers_range.pk,
                         "number": "+48223000000", "state": "assigned",
                         "quarantined_until": None, "phone": phone.pk}]
    assert by_prefix["count"] == 10 and by_range["count"] == 10
    assert api_client.get(url, {"prefix": "48224"}).json()["count"] == 0
    # Another tenant's range is no choice here: refused, nothing of it shown.
    _refused(api_client.get(url, {"range": other_range.pk}), "range")
    _refused(api_client.get(url, {"prefix": "22; DROP"}), "prefix")


def test_another_tenants_number_is_a_404_and_numbers_are_read_only(api_client, other_range,
                                                                   other_tenant, numbers_range):
    with tenant_context(other_tenant):
        theirs = PhoneNumber.objects.filter(range=other_range).first()
    ours = PhoneNumber.objects.filter(range=numbers_range).first()

    assert api_client.get(f"{API}numbers/{theirs.pk}/").status_code == 404
    assert api_client.get(f"{API}numbers/{ours.pk}/").json()["state"] == "free"
    assert api_client.delete(f"{API}numbers/{ours.pk}/").status_code == 405
    assert api_client.post(f"{API}numbers/", {}, format="json").status_code == 405


# --------------------------------------------------------------------------- phones

def test_a_phone_on_the_first_free_number_answers_its_generated_password_once(
        api_client, numbers_range, customer):
    response = api_client.post(f"{API}phones/", {
        "customer": customer.pk, "range": numbers_range.pk, "free_minutes": 300,
        "amount_limit": "150", "context": "podstawowy"}, format="json")

    assert response.status_code == 201, response.json()
    created = response.json()
    phone = VoipPhone.objects.get()
    assert created["number"] == "+48223000000" and created["customer"] == customer.pk
    assert created["password"] == phone.password and len(phone.password) == 20
    assert created["amount_limit"] == "150.00" and created["notify_threshold"] is None
    # Never again: neither in the phone nor in the list.
    one = api_client.get(f"{API}phones/{phone.pk}/")
    listed = api_client.get(f"{API}phones/")
    for later in (one, listed):
        assert later.status_code == 200
        assert phone.password not in later.content.decode()
        assert "password" not in later.content.decode()
    assert one.json()["amount_limit"] == "150.00"


def test_a_typed_password_is_not_echoed_and_a_pin_is_never_shown(api_client, numbers_range,
                                                                 customer):
    response = api_client.post(f"{API}phones/", {
        "customer": customer.pk, "range": numbers_range.pk, "number": "+48 22 300 00 05",
        "password": PASSWORD, "voicemail_pin": "4321",
        "voicemail_email": "jan@example.com"}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["password"] is None and body["number"] == "+48223000005"
    assert body["has_voicemail_pin"] is True and "voicemail_pin" not in body
    text = api_client.get(f"{API}phones/{body['id']}/").content.decode()
    assert PASSWORD not in text and "4321" not in text


def test_the_same_chosen_number_twice_makes_one_phone(api_client, numbers_range, customer):
    data = {"customer": customer.pk, "range": numbers_range.pk, "number": "223000003",
            "password": PASSWORD}

    first = api_client.post(f"{API}phones/", data, format="json")
    second = api_client.post(f"{API}phones/", data, format="json")

    assert first.status_code == 201
    assert "not free" in _refused(second, "number")[0]
    assert VoipPhone.objects.count() == 1
    assert PhoneNumber.objects.filter(state="assigned").count() == 1


@pytest.mark.parametrize(("values", "field"), [
    ({"context": "zły kontekst; DROP"}, "context"),
    ({"password": "krótkie"}, "password"),
    ({"password": 'z"cudzysłowem\\1234'}, "password"),
    ({"voicemail_pin": "12a4"}, "voicemail_pin"),
    ({"amount_limit": "-1.00"}, "amount_limit"),
    ({"amount_limit": "1.005"}, "amount_limit"),
    ({"free_numbers_count": 1, "free_numbers": ["+48 600", "+48600100200"]}, "free_numbers"),
    ({"free_numbers": ["+48600100200"]}, "free_numbers"),
    ({"number": "+48 22 300 01 00"}, "number"),
    ({"billing_type": "credit"}, "billing_type"),
])
def test_a_bad_phone_is_a_400_naming_the_field_and_saves_nothing(api_client, numbers_range,
                                                                  customer, values, field):
    response = api_client.post(f"{API}phones/", {
        "customer": customer.pk, "range": numbers_range.pk, "password": PASSWORD, **values},
        format="json")

    _refused(response, field)
    assert not VoipPhone.objects.exists()
    assert not PhoneNumber.objects.exclude(state="free").exists()


def test_another_tenants_customer_range_or_group_in_the_body_is_refused(
        api_client, numbers_range, customer, other_range, other_customer, other_tenant):
    with tenant_context(other_tenant):
        group = BillingGroup.objects.create(name="Beta", code="beta")
    base = {"customer": customer.pk, "range": numbers_range.pk, "password": PASSWORD}

    for field, value in (("customer", other_customer.pk), ("range", other_range.pk),
                         ("free_minute_groups", [group.pk])):
        response = api_client.post(f"{API}phones/", {**base, field: value}, format="json")
        _refused(response, field if field != "free_minute_groups" else "free_minute_groups.0")
    assert not VoipPhone.all_tenants.filter(tenant__slug="alfa").exists()


def test_a_phone_is_changed_blocked_and_removed_through_the_api(api_client, numbers_range,
                                                                staff, customer):
    phone = _phone(staff, customer, numbers_range)
    group = BillingGroup.objects.create(name="Komórkowe", code="mobile")
    url = f"{API}phones/{phone.pk}/"

    changed = api_client.patch(url, {"context": "nocny", "free_minute_groups": [group.pk],
                                     "notify_threshold": "20.5", "password": ""},
                               format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["context"] == "nocny"
    assert changed.json()["free_minute_groups"] == [group.pk]
    assert changed.json()["notify_threshold"] == "20.50"
    phone.refresh_from_db()
    assert phone.password == PASSWORD  # a blank password leaves it as it was

    new_password = api_client.patch(url, {"password": "Nowe-Haslo-5678"}, format="json")
    assert "Nowe-Haslo-5678" not in new_password.content.decode()
    phone.refresh_from_db()
    assert phone.password == "Nowe-Haslo-5678"

    blocked = api_client.post(f"{url}block/", {"limit": True}, format="json").json()
    assert blocked["blocked_limit"] is True and blocked["blocked"] is True
    assert api_client.get(f"{API}phones/", {"blocked": "true"}).json()["count"] == 1
    lifted = api_client.post(f"{url}block/", {"limit": False}, format="json").json()
    assert lifted["blocked"] is False
    _refused(api_client.post(f"{url}block/", {}, format="json"), "non_field_errors")

    assert api_client.delete(url).status_code == 204
    assert not VoipPhone.objects.exists()
    number = PhoneNumber.objects.get(number=48223000000)
    assert number.state == "quarantined" and number.quarantined_until > timezone.localdate()


def test_a_bad_change_is_a_400_and_leaves_the_phone_as_it_was(api_client, numbers_range,
                                                              staff, customer):
    phone = _phone(staff, customer, numbers_range, context="podstawowy")

    response = api_client.patch(f"{API}phones/{phone.pk}/", {
        "context": "nocny", "voicemail_pin": "12"}, format="json")

    _refused(response, "voicemail_pin")
    phone.refresh_from_db()
    assert phone.context == "podstawowy"


def test_phones_filter_by_customer_number_and_blocked(api_client, numbers_range, staff,
                                                      customer, other_phone,
                                                      django_assert_num_queries):
    from customers.services import customer_create

    second = customer_create(actor=staff, first_name="Anna", last_name="Nowak",
                             status="connected")
    mine = _phone(staff, customer, numbers_range)
    hers = _phone(staff, second, numbers_range)
    services.phone_block_set(actor=staff, phone=hers, debt=True)
    url = f"{API}phones/"

    # token, membership, last use, role; the filter's customer, count, the phones, their
    # groups, their free numbers — the same for many phones as for one
    with django_assert_num_queries(9):
        by_customer = api_client.get(url, {"customer": customer.pk}).json()
    assert [p["id"] for p in by_customer["results"]] == [mine.pk]
    assert [p["id"] for p in api_client.get(url, {"number": "+48223000001"})
            .json()["results"]] == [hers.pk]
    assert [p["id"] for p in api_client.get(url, {"blocked": "true"}).json()["results"]] \
        == [hers.pk]
    assert [p["id"] for p in api_client.get(url, {"blocked": "false"}).json()["results"]] \
        == [mine.pk]
    assert api_client.get(url).json()["count"] == 2  # not the other tenant's


def test_another_tenants_phone_is_a_404_for_every_method(api_client, other_phone):
    url = f"{API}phones/{other_phone.pk}/"
    for response in (api_client.get(url),
                     api_client.patch(url, {"context": "x"}, format="json"),
                     api_client.delete(url),
                     api_client.post(f"{url}block/", {"debt": False}, format="json")):
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found.", "code": "not_found", "errors": {}}
    other_phone.refresh_from_db()
    assert other_phone.context == "default"


def test_a_read_only_role_reads_phones_and_changes_nothing(reader, numbers_range, staff,
                                                           customer):
    phone = _phone(staff, customer, numbers_range)
    url = f"{API}phones/{phone.pk}/"

    assert reader.get(url).status_code == 200
    for response in (reader.post(f"{API}phones/", {"customer": customer.pk,
                                                   "range": numbers_range.pk},
                                 format="json"),
                     reader.patch(url, {"context": "x"}, format="json"),
                     reader.delete(url),
                     reader.post(f"{url}block/", {"debt": True}, format="json")):
        assert response.status_code == 403
    phone.refresh_from_db()
    assert VoipPhone.objects.count() == 1 and not phone.blocked and phone.context == "default"


def test_a_technician_adds_phones_but_removing_one_is_the_administrators(
        technician, numbers_range, customer):
    created = technician.post(f"{API}phones/", {"customer": customer.pk,
                                                "range": numbers_range.pk}, format="json")
    assert created.status_code == 201

    assert technician.delete(f"{API}phones/{created.json()['id']}/").status_code == 403
    assert VoipPhone.objects.count() == 1


# --------------------------------------------------------------------------- calls

def _line(unique_id, dst, start, billsec, src="48223000000"):
    end = datetime.datetime.fromisoformat(start) + datetime.timedelta(seconds=billsec + 5)
    return (f'"","{src}","{dst}","default","""Jan"" <{src}>","PJSIP/{src}-00000001",'
            f'"PJSIP/trunk-00000002","Dial","PJSIP/{dst}@trunk","{start}","{start}",'
            f'"{end:%Y-%m-%d %H:%M:%S}",{billsec + 5},{billsec},"ANSWERED","DOCUMENTATION",'
            f'"{unique_id}",""')


MONTH = f"{timezone.localdate().replace(day=1):%Y-%m}"


@pytest.fixture
def priced_phone(numbers_range, staff, customer):
    group = BillingGroup.objects.create(name="Stacjonarne", code="pl")
    prices = PriceList.objects.create(name="2026", valid_from=datetime.date(2000, 1, 1))
    PriceRule.objects.create(price_list=prices, prefix="48", billing_group=group,
                             price_per_minute=D("0.10"))
    return _phone(staff, customer, numbers_range)


def _upload(client, lines, name="Master.csv"):
    data = ("\n".join(lines) + "\n").encode()
    return client.post(f"{API}calls/import/",
                       {"file": SimpleUploadedFile(name, data, content_type="text/csv")},
                       format="multipart")


def test_a_cdr_file_is_rated_once_and_its_calls_are_listed_and_explained(
        api_client, priced_phone, customer):
    lines = [_line("1.1", "223000500", f"{MONTH}-01 10:00:00", 61),
             _line("1.2", "+48223000501", f"{MONTH}-02 10:00:00", 60),
             _line("1.3", "223000502", f"{MONTH}-02 11:00:00", 10, src="48229999999")]

    first = _upload(api_client, lines)
    again = _upload(api_client, lines)

    assert first.status_code == 200, first.json()
    assert first.json() == {"read": 3, "rated": 2, "already": 0, "unknown_phone": ["1.3"],
                            "out_of_range": [], "no_rule": 0, "internal": 0, "amount": "0.30",
                            "blocked": [], "exhausted": []}
    assert again.json()["rated"] == 0 and again.json()["already"] == 2
    assert Call.objects.count() == 2
    listed = api_client.get(f"{API}calls/").json()
    assert [c["unique_id"] for c in listed["results"]] == ["1.2", "1.1"]
    call = Call.objects.get(unique_id="1.1")
    one = api_client.get(f"{API}calls/{call.pk}/").json()
    assert one["amount"] == "0.20" and one["destination"] == "+48223000500"
    assert one["number"] == "+48223000000" and one["phone"] == priced_phone.pk
    assert one["priced_by"]["prefix"] == "48" and one["priced_by"]["increments"] == "60/60"
    assert "priced_by" not in listed["results"][0]


def test_a_bad_cdr_line_is_a_400_with_its_number_and_nothing_is_rated(api_client,
                                                                      priced_phone):
    good = _line("2.2", "223000500", f"{MONTH}-01 10:00:00", 61)
    lines = [_line("2.1", "223000500", f"{MONTH}-01 10:00:00", 61),
             good.replace(f'"{MONTH}-01 10:00:00"', '"not-a-date"', 1)]

    response = _upload(api_client, lines)

    assert "line 2" in _refused(response, "file")[0]
    assert not Call.objects.exists()


def test_calls_filter_by_phone_customer_period_and_days(api_client, priced_phone, customer,
                                                        django_assert_num_queries):
    _upload(api_client, [_line("3.1", "223000500", f"{MONTH}-01 10:00:00", 30),
                         _line("3.2", "223000500", f"{MONTH}-03 10:00:00", 30),
                         _line("3.3", "223000500", "2025-06-03 10:00:00", 30)])
    url = f"{API}calls/"

    def ids(**params):
        return [c["unique_id"] for c in api_client.get(url, params).json()["results"]]

    assert ids(phone=priced_phone.pk) == ["3.2", "3.1", "3.3"]
    assert ids(period=f"{MONTH}-17") == ["3.2", "3.1"]
    assert ids(period="2025-06-01") == ["3.3"]
    assert ids(date_from=f"{MONTH}-02", date_to=f"{MONTH}-03") == ["3.2"]
    assert ids(date_to="2025-12-31") == ["3.3"]
    # token, membership, last use, role; the filter's customer, count, the page
    with django_assert_num_queries(7):
        listed = api_client.get(url, {"customer": customer.pk}).json()
    assert listed["count"] == 3
    _refused(api_client.get(url, {"date_from": "2025-13-01"}), "date_from")


def test_another_tenants_calls_are_not_listed_and_are_404(api_client, other_api_client,
                                                          priced_phone):
    _upload(api_client, [_line("4.1", "223000500", f"{MONTH}-01 10:00:00", 30)])
    call = Call.objects.get()

    assert other_api_client.get(f"{API}calls/{call.pk}/").status_code == 404
    assert other_api_client.get(f"{API}calls/").json()["count"] == 0
    # Its file names A's phone by number: to B it is nobody's, and nothing is stored.
    result = _upload(other_api_client, [_line("4.2", "223000500", f"{MONTH}-01 10:00:00",
                                              30)]).json()
    assert result["rated"] == 0 and result["unknown_phone"] == ["4.2"]
    assert Call.objects.count() == 1


def test_a_read_only_role_cannot_import_cdrs(reader, priced_phone):
    response = _upload(reader, [_line("5.1", "223000500", f"{MONTH}-01 10:00:00", 30)])

    assert response.status_code == 403
    assert not Call.objects.exists()
    assert reader.get(f"{API}calls/").status_code == 200


# --------------------------------------------------------------------------- the catalogue

def test_a_range_is_deleted_unless_a_number_of_it_is_assigned(api_client, numbers_range,
                                                              staff, customer, reader):
    spare = services.number_range_create(actor=staff, name="Zapas", first="+48223100000",
                                         last="+48223100009")
    _phone(staff, customer, numbers_range)

    assert reader.delete(f"{API}number-ranges/{spare.pk}/").status_code == 403
    refused = api_client.delete(f"{API}number-ranges/{numbers_range.pk}/")
    deleted = api_client.delete(f"{API}number-ranges/{spare.pk}/")

    assert refused.status_code == 400 and "remove the phones" in refused.json()["detail"]
    assert deleted.status_code == 204
    assert list(NumberRange.objects.values_list("name", flat=True)) == ["Warszawa 22 300"]
    assert not PhoneNumber.objects.filter(number__gte=48223100000).exists()


def test_billing_groups_are_created_renamed_and_deleted(api_client, in_tenant, reader):
    url = f"{API}billing-groups/"

    created = api_client.post(url, {"name": "Komórkowe", "code": "mobile"}, format="json")
    twice = api_client.post(url, {"name": "Inne", "code": "mobile"}, format="json")
    group_url = f"{url}{created.json()['id']}/"
    renamed = api_client.patch(group_url, {"name": "Sieci komórkowe"}, format="json")

    assert created.status_code == 201 and created.json()["code"] == "mobile"
    assert "exists" in _refused(twice, "code")[0]
    assert renamed.json() == {"id": created.json()["id"], "name": "Sieci komórkowe",
                              "code": "mobile"}
    assert reader.patch(group_url, {"name": "X"}, format="json").status_code == 403
    assert reader.delete(group_url).status_code == 403
    assert api_client.delete(group_url).status_code == 204
    assert not BillingGroup.objects.exists()


def test_a_billing_group_in_use_is_kept(api_client, numbers_range, staff, customer):
    group = BillingGroup.objects.create(name="Komórkowe", code="mobile")
    _phone(staff, customer, numbers_range, free_minutes=10, free_minute_groups=[group.pk])

    response = api_client.delete(f"{API}billing-groups/{group.pk}/")

    assert response.status_code == 400 and "phones" in response.json()["detail"]
    assert BillingGroup.objects.filter(pk=group.pk).exists()


def test_a_price_list_with_rules_set_copied_imported_and_deleted(api_client, in_tenant):
    mobile = BillingGroup.objects.create(name="Komórkowe", code="mobile")
    BillingGroup.objects.create(name="Stacjonarne", code="pl")
    lists, rules = f"{API}price-lists/", f"{API}price-rules/"

    prices = api_client.post(lists, {"name": "2026", "valid_from": "2026-01-01"},
                             format="json").json()
    rule = api_client.post(rules, {"price_list": prices["id"], "prefix": "4850",
                                   "billing_group": mobile.pk, "price_per_minute": "0.3",
                                   "first_increment": 1, "next_increment": 1,
                                   "connection_fee": "0.05"}, format="json")
    again = api_client.post(rules, {"price_list": prices["id"], "prefix": "4850",
                                    "billing_group": mobile.pk, "price_per_minute": "0.25"},
                            format="json")
    assert rule.status_code == 201, rule.json()
    assert rule.json()["price_per_minute"] == "0.3000"
    assert rule.json()["billing_group_code"] == "mobile"
    # The same prefix again changes the rule, it does not double it.
    assert again.json()["id"] == rule.json()["id"]
    assert again.json()["price_per_minute"] == "0.2500" and again.json()["first_increment"] == 60

    upload = SimpleUploadedFile("cennik.csv", b"prefiks;grupa;cena\n48;pl;0,10\n4860;mobile;0.2\n"
, content_type="text/csv")
    imported = api_client.post(f"{lists}{prices['id']}/import/",
                               {"file": upload, "replace": "true"}, format="multipart")
    assert imported.status_code == 200, imported.json()
    assert imported.json() == {"rules": 2}
    assert sorted(PriceRule.objects.values_list("prefix", flat=True)) == ["48", "4860"]

    copy = api_client.post(lists, {"name": "2027", "valid_from": "2027-01-01",
                                   "copy_from": prices["id"]}, format="json")
    assert copy.status_code == 201 and copy.json()["rules"] == 2
    listed = api_client.get(rules, {"price_list": copy.json()["id"]}).json()
    assert [r["prefix"] for r in listed["results"]] == ["48", "4860"]

    one = PriceRule.objects.filter(price_list_id=copy.json()["id"]).first()
    assert api_client.delete(f"{rules}{one.pk}/").status_code == 204
    assert api_client.delete(f"{lists}{copy.json()['id']}/").status_code == 204
    assert list(PriceList.objects.values_list("name", flat=True)) == ["2026"]


def test_a_bad_price_file_names_its_lines_and_imports_nothing(api_client, in_tenant):
    BillingGroup.objects.create(name="Stacjonarne", code="pl")
    prices = PriceList.objects.create(name="2026", valid_from=datetime.date(2026, 1, 1))
    text = "48;pl;0,10\n4850;nieznana;0,30\n4860;pl;-1\n"

    response = api_client.post(
        f"{API}price-lists/{prices.pk}/import/",
        {"file": SimpleUploadedFile("cennik.csv", text.encode())}, format="multipart")

    messages = _refused(response, "file")
    assert any(m.startswith("line 2:") and "nieznana" in m for m in messages)
    assert any(m.startswith("line 3:") for m in messages)
    assert not PriceRule.objects.exists()


@pytest.mark.parametrize(("values", "field"), [
    ({"prefix": "+48"}, "prefix"),
    ({"price_per_minute": "-0.10"}, "price_per_minute"),
    ({"price_per_minute": "0.12345"}, "price_per_minute"),
    ({"first_increment": 0}, "first_increment"),
    ({"next_increment": 3601}, "next_increment"),
])
def test_a_bad_price_rule_is_a_400_naming_the_field(api_client, in_tenant, values, field):
    group = BillingGroup.objects.create(name="Stacjonarne", code="pl")
    prices = PriceList.objects.create(name="2026", valid_from=datetime.date(2026, 1, 1))

    response = api_client.post(f"{API}price-rules/", {
        "price_list": prices.pk, "prefix": "48", "billing_group": group.pk,
        "price_per_minute": "0.10", **values}, format="json")

    _refused(response, field)
    assert not PriceRule.objects.exists()


def test_a_price_list_that_priced_calls_is_kept(api_client, priced_phone):
    _upload(api_client, [_line("6.1", "223000500", f"{MONTH}-01 10:00:00", 30)])
    prices = PriceList.objects.get()

    response = api_client.delete(f"{API}price-lists/{prices.pk}/")

    assert response.status_code == 400 and "priced" in response.json()["detail"]
    assert PriceList.objects.exists()


def test_another_tenants_catalogue_is_404_and_not_usable(api_client, other_tenant,
                                                         other_staff, in_tenant):
    from voip import catalog

    with tenant_context(other_tenant):
        group = catalog.billing_group_create(actor=other_staff, name="Beta", code="beta")
        prices = catalog.price_list_create(actor=other_staff, name="Beta",
                                           valid_from=datetime.date(2026, 1, 1))
        rule = catalog.price_rule_set(actor=other_staff, price_list=prices, prefix="48",
                                      billing_group=group, price_per_minute="0.10")
    mine = BillingGroup.objects.create(name="Alfa", code="alfa")

    for url in (f"{API}billing-groups/{group.pk}/", f"{API}price-lists/{prices.pk}/",
                f"{API}price-rules/{rule.pk}/"):
        assert api_client.get(url).status_code == 404
        assert api_client.delete(url).status_code == 404
    assert api_client.post(f"{API}price-lists/{prices.pk}/import/", {
        "file": SimpleUploadedFile("c.csv", b"48;beta;1\n")}, format="multipart",
    ).status_code == 404
    response = api_client.post(f"{API}price-rules/", {
        "price_list": prices.pk, "prefix": "48", "billing_group": mine.pk,
        "price_per_minute": "9"}, format="json")
    _refused(response, "price_list")
    for listed in ("price-lists", "price-rules"):
        assert api_client.get(f"{API}{listed}/").json()["results"] == []
    assert [g["code"] for g in api_client.get(f"{API}billing-groups/").json()["results"]] \
        == ["alfa"]
    with tenant_context(other_tenant):
        assert PriceRule.objects.get().price_per_minute == D("0.10")


def test_a_read_only_role_cannot_change_prices(reader, in_tenant):
    group = BillingGroup.objects.create(name="Stacjonarne", code="pl")
    prices = PriceList.objects.create(name="2026", valid_from=datetime.date(2026, 1, 1))

    for response in (
            reader.post(f"{API}billing-groups/", {"name": "X", "code": "x"}, format="json"),
            reader.post(f"{API}price-lists/", {"name": "X", "valid_from": "2027-01-01"},
                        format="json"),
            reader.post(f"{API}price-rules/", {"price_list": prices.pk, "prefix": "48",
                                               "billing_group": group.pk,
                                               "price_per_minute": "1"}, format="json"),
            reader.post(f"{API}price-lists/{prices.pk}/import/", {
                "file": SimpleUploadedFile("c.csv", b"48;pl;1\n")}, format="multipart")):
        assert response.status_code == 403
    assert BillingGroup.objects.count() == 1 and PriceList.objects.count() == 1
    assert not PriceRule.objects.exists()


@pytest.mark.parametrize(("perm", "refused", "allowed"), [
    ("voip.add_pricerule", "48", "4860"),     # adds, never overwrites a price
    ("voip.change_pricerule", "4860", "48"),  # changes, never adds
])
def test_a_rule_is_added_or_changed_by_whoever_may_do_that(monkeypatch, tenant, in_tenant,
                                                           perm, refused, allowed):
    from core.roles import ROLE_PERMISSIONS

    group = BillingGroup.objects.create(name="Stacjonarne", code="pl")
    prices = PriceList.objects.create(name="2026", valid_from=datetime.date(2026, 1, 1))
    PriceRule.objects.create(price_list=prices, prefix="48", billing_group=group,
                             price_per_minute=D("0.10"))
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.TECHNICIAN, ("voip.view_*", perm))
    client = token_client(make_staff(tenant, "cennik", role=Role.TECHNICIAN), tenant)
    rule = {"price_list": prices.pk, "billing_group": group.pk, "price_per_minute": "9"}

    no = client.post(f"{API}price-rules/", {**rule, "prefix": refused}, format="json")
    yes = client.post(f"{API}price-rules/", {**rule, "prefix": allowed}, format="json")

    assert no.status_code == 403, no.content
    assert yes.status_code == 201, yes.content
    # the refused post left the rules as they were; the allowed one wrote its price
    assert dict(PriceRule.objects.values_list("prefix", "price_per_minute")) == {
        "48": D("0.10"), allowed: D("9")}


@pytest.mark.parametrize("listed", ["numbers", "billing-groups", "price-lists",
                                    "price-rules", "calls"])
def test_every_list_is_two_queries_after_authentication(api_client, priced_phone, listed,
                                                        django_assert_num_queries):
    _upload(api_client, [_line(f"7.{i}", "223000500", f"{MONTH}-01 10:0{i}:00", 30)
                         for i in range(3)])

    # token, membership, last use, role; count, the page (joined, annotated in one query)
    with django_assert_num_queries(6):
        page = api_client.get(f"{API}{listed}/").json()
    assert page["count"] >= 1
