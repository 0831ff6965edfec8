"""The card's "Telefony", as staff use it: add a phone (its random password shown once),
start from a tariff's subtariff script, remove it, lift a limit block."""

from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_staff
from core.models import ActionLog
from core.roles import Role
from voip import services
from voip.models import BillingGroup, PhoneNumber, VoipPhone

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _url(name, customer, **kw):
    return reverse(f"voip:{name}", kwargs={"customer_id": customer.pk, **kw})


def _section_url(customer):
    return reverse("customers:section", kwargs={"customer_id": customer.pk, "key": "phones"})


def _form(numbers_range, **kw):
    return {"numbers_range": numbers_range.pk, "number": "", "password": "",
            "billing_type": "postpaid", "free_minutes": 0, "free_numbers_count": 0,
            "free_numbers": "", "amount_limit": "", "notify_threshold": "",
            "context": "default", "voicemail_pin": "", "voicemail_email": "", **kw}


def test_the_card_shows_the_phones_and_the_sidebar_action(staff_client, numbers_range,
                                                          customer, staff):
    services.phone_create(actor=staff, customer=customer, numbers_range=numbers_range,
                          password="Tajne-Haslo-123", context="podstawowy")
    url = reverse("customers:card", kwargs={"customer_id": customer.pk})
    html = staff_client.get(url + "?sekcja=telefony").content.decode()
    assert "+48223000000" in html and "podstawowy" in html
    assert 'id="card-action-phone_add"' in html
    assert "Tajne-Haslo-123" not in html


def test_an_added_phone_shows_its_random_password_once(staff_client, numbers_range,
                                                       customer):
    response = staff_client.post(_url("phone_add", customer), _form(numbers_range),
                                 headers=HTMX)
    assert response.status_code == 200
    phone = VoipPhone.objects.get()
    html = response.content.decode()
    # the page escapes it (a random password may hold "<", ">" or "&")
    shown = unescape(html.split('class="generated-password">')[1].split("<")[0])
    assert shown == phone.password and len(shown) == 20
    again = staff_client.get(_section_url(customer), headers=HTMX).content.decode()
    assert shown not in again and "+48223000000" in again
    assert ActionLog.objects.filter(kind="voipphone.add").exists()


def test_a_refused_phone_shows_why_and_saves_nothing(staff_client, numbers_range, customer):
    response = staff_client.post(_url("phone_add", customer), _form(
        numbers_range, amount_limit="-5", context="zły kontekst"), headers=HTMX)
    html = response.content.decode()
    assert "A dialplan context" in html and "may not be negative" in html
    response = staff_client.post(_url("phone_add", customer), _form(
        numbers_range, number="+48 22 300 00 99"), headers=HTMX)
    assert "not in the range" in response.content.decode()
    assert not VoipPhone.objects.exists()
    assert PhoneNumber.objects.filter(state="free").count() == 10


def test_the_form_starts_from_the_tariffs_script(staff_client, numbers_range, customer,
                                                 staff):
    from finance.billing import tariff_create

    tariff = tariff_create(actor=staff, name="VoIP 300", net_price="29.00", vat_rate="23")
    services.tariff_script_set(actor=staff, tariff=tariff, text=(
        'Darmowe_Minuty = 300; Darmowe_Numery = 3;\nVoip_Limit_kwotowy = 150.00;\n'
        'Voip_Context = "podstawowy"; # komentarz'))
    section = staff_client.get(_section_url(customer), headers=HTMX).content.decode()
    assert "VoIP 300" in section  # offered beside "Add a phone"
    html = staff_client.get(_url("phone_form", customer) + f"?tariff={tariff.pk}",
                            headers=HTMX).content.decode()
    assert 'value="300"' in html and 'value="150.00"' in html and 'value="podstawowy"' in html
    assert 'value="3"' in html


@pytest.mark.parametrize("tariff", ["abc", "1.5", "-1", "0x1", "99999999999999999999",
                                    "other"])
def test_a_bad_or_another_tenants_tariff_is_a_404_not_an_error(
        staff_client, customer, tariff, other_tenant, other_staff):
    from core.tenancy import tenant_context
    from finance.billing import tariff_create

    if tariff == "other":
        with tenant_context(other_tenant):
            other = tariff_create(actor=other_staff, name="VoIP B", net_price="9.00",
                                  vat_rate="23")
            services.tariff_script_set(actor=other_staff, tariff=other,
                                       text="Darmowe_Minuty = 999;")
        tariff = str(other.pk)
    response = staff_client.get(_url("phone_form", customer) + f"?tariff={tariff}",
                                headers=HTMX)
    assert response.status_code == 404
    assert 'value="999"' not in response.content.decode()  # nothing of its script shown


def test_a_script_that_does_not_parse_is_refused_with_its_place(in_tenant, staff):
    from django.core.exceptions import ValidationError

    from finance.billing import tariff_create

    tariff = tariff_create(actor=staff, name="VoIP", net_price="29.00", vat_rate="23")
    with pytest.raises(ValidationError) as err:
        services.tariff_script_set(actor=staff, tariff=tariff,
                                   text="Darmowe_Minuty = 300;\nVoip_Kontekst = 1;")
    assert "line 2, column 1" in err.value.message_dict["text"][0]
    assert services.phone_defaults(tariff) == {}


def test_remove_and_unblock(staff_client, numbers_range, customer, staff):
    phone, _p = services.phone_create(actor=staff, customer=customer,
                                      numbers_range=numbers_range)
    services.phone_block_set(actor=None, phone=phone, limit=True)
    staff_client.post(_url("phone_unblock", customer, voipphone_id=phone.pk), headers=HTMX)
    assert not VoipPhone.objects.get().blocked_limit
    staff_client.post(_url("phone_delete", customer, voipphone_id=phone.pk), headers=HTMX)
    assert not VoipPhone.objects.exists()
    assert PhoneNumber.objects.get(number=48223000000).state == "quarantined"


def test_an_accountant_sees_phones_but_adds_none(client, tenant, numbers_range, customer):
    client.force_login(make_staff(tenant, "ksiegowa", Role.ACCOUNTANT))
    assert client.get(_section_url(customer), headers=HTMX).status_code == 200
    response = client.post(_url("phone_add", customer), _form(numbers_range), headers=HTMX)
    assert response.status_code == 403 and not VoipPhone.objects.exists()


def test_the_section_costs_the_same_queries_for_one_phone_or_many(staff_client,
                                                                  numbers_range, customer,
                                                                  staff):
    group = BillingGroup.objects.create(name="Komórkowe", code="mobile")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(_section_url(customer), headers=HTMX).status_code == 200
        return len(queries)

    count()  # the first request of a test asks once for what is cached then
    services.phone_create(actor=staff, customer=customer, numbers_range=numbers_range,
                          free_minutes=10, free_minute_groups=[group.pk])
    one = count()
    for _i in range(4):
        services.phone_create(actor=staff, customer=customer, numbers_range=numbers_range,
                              free_minutes=10, free_minute_groups=[group.pk],
                              free_numbers_count=1, free_numbers=["+48600100200"])
    assert count() == one


def test_the_same_add_form_sent_twice_adds_one_phone(staff_client, numbers_range, customer):
    html = staff_client.get(_section_url(customer), headers=HTMX).content.decode()
    token = html.split('name="request_token" value="')[1].split('"')[0]
    form = _form(numbers_range, request_token=token)
    first = staff_client.post(_url("phone_add", customer), form, headers=HTMX)
    second = staff_client.post(_url("phone_add", customer), form, headers=HTMX)
    assert first.status_code == second.status_code == 200
    assert VoipPhone.objects.count() == 1
    assert "generated-password" in first.content.decode()
    assert "generated-password" not in second.content.decode()  # shown once only
    fresh = staff_client.get(_section_url(customer), headers=HTMX).content.decode()
    assert token not in fresh  # the next form is a new one
