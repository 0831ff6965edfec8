"""The panel PIN by SMS (messaging/pin.py): chosen on the card, the SMS at the gateway
carries the PIN, the history and the database show it masked, it is never sent again."""

import re

import pytest
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from core.models import ActionLog
from customers import services as customer_services
from customers.models import PanelAccount
from messaging import services
from messaging.models import Gateway, Message, Purpose, Status
from messaging.tests.fixtures_auto import AUTO_SENT


@pytest.fixture
def account(in_tenant, staff, customer):
    return customer_services.panel_credentials_set(actor=staff, customer=customer,
                                                   login="jkowalski")


@pytest.fixture
def phone(in_tenant, staff, customer):
    customer_services.phone_add(actor=staff, customer=customer, number="600 100 200")
    return customer_services.phone_add(actor=staff, customer=customer, number="501 200 300")


def url(name, customer):
    return reverse(f"customers:{name}", kwargs={"customer_id": customer.pk})


def pin_by_sms(client, customer, phone_id, capture):
    with capture(execute=True):
        return client.post(url("panel_pin", customer), {"sms_to": str(phone_id)}, follow=True)


def test_pin_goes_by_sms_and_the_history_shows_it_masked(
        staff_client, auto_gateways, account, phone, customer, staff,
        django_capture_on_commit_callbacks):
    response = pin_by_sms(staff_client, customer, phone.pk, django_capture_on_commit_callbacks)

    html = response.content.decode()
    assert "being sent to the customer by SMS" in html
    # The SMS at the gateway carries the PIN that now opens the panel.
    assert len(AUTO_SENT) == 1
    channel, recipient, _subject, text = AUTO_SENT[0]
    assert (channel, recipient) == ("sms", "+48501200300")
    pin = re.search(r"klienta: (\d+)\.", text).group(1)
    account.refresh_from_db()
    assert check_password(pin, account.pin_hash)
    assert pin not in html  # not shown on screen when it went by SMS
    # The history: masked; the database: the secret column encrypted.
    message = Message.objects.get()
    assert message.purpose == Purpose.PIN and message.status == Status.SENT
    assert message.author == staff and pin not in message.body
    assert "*" * len(pin) in message.body and "Sieć Alfa" in message.body
    with connection.cursor() as cursor:
        cursor.execute("SELECT body, body_secret FROM messaging_message")
        body, stored_secret = cursor.fetchone()
    assert pin not in body and pin not in stored_secret and stored_secret
    assert message.body_secret == text
    # The action log says the PIN went by SMS, and to which number.
    entry = ActionLog.objects.get(kind="panel.pin", customer=customer)
    assert entry.params["phone"] == "+48501200300"
    assert pin not in str(entry.params) and pin not in entry.message
    assert ActionLog.objects.filter(kind="message.queue", customer=customer).exists()


def test_pin_is_sent_in_polish_whatever_the_staff_language(
        staff_client, auto_gateways, account, phone, customer,
        django_capture_on_commit_callbacks):
    pin_by_sms(staff_client, customer, phone.pk, django_capture_on_commit_callbacks)

    assert AUTO_SENT[0][3].startswith("Sieć Alfa: jednorazowy PIN do panelu klienta: ")


def test_pin_message_is_never_sent_again(account, phone, customer, staff, in_tenant,
                                         django_capture_on_commit_callbacks):
    Gateway.objects.create(channel="sms", kind="nokind", dlr_secret="s")
    with django_capture_on_commit_callbacks(execute=True):
        customer_services.panel_pin_generate(actor=staff, customer=customer,
                                             sms_phone_id=phone.pk)
    message = Message.objects.get()
    assert message.status == Status.FAILED
    assert not message.retryable
    with pytest.raises(ValidationError):
        services.message_retry(message=message, actor=staff)


def test_another_customers_phone_is_refused(
        staff_client, auto_gateways, account, customer, staff,
        django_capture_on_commit_callbacks):
    other = customer_services.customer_create(actor=staff, first_name="Ewa",
                                              last_name="Obca", status="connected")
    foreign = customer_services.phone_add(actor=staff, customer=other, number="600999888")

    for phone_id in (foreign.pk, "abc", "-1"):
        response = pin_by_sms(staff_client, customer, phone_id,
                              django_capture_on_commit_callbacks)
        assert "Choose one of the customer" in response.content.decode()

    assert AUTO_SENT == [] and not Message.objects.exists()
    account.refresh_from_db()
    assert not account.pin_hash  # refused: no PIN was made either


def test_other_tenants_customer_is_404(client, auto_gateways, account, phone, customer,
                                       other_staff, django_capture_on_commit_callbacks):
    client.force_login(other_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("panel_pin", customer), {"sms_to": str(phone.pk)})
    assert response.status_code == 404
    assert AUTO_SENT == []


def test_card_offers_the_phones_only_with_an_sms_gateway(staff_client, account, phone,
                                                         customer, in_tenant):
    card = staff_client.get(url("card", customer)).content.decode()
    assert 'name="sms_to"' not in card

    Gateway.objects.create(channel="sms", kind="autotest", dlr_secret="s")
    card = staff_client.get(url("card", customer)).content.decode()
    assert 'name="sms_to"' in card
    assert f'value="{phone.pk}"' in card and "send by SMS to" in card


def test_pin_shown_on_screen_sends_nothing(staff_client, auto_gateways, account, phone,
                                           customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url("panel_pin", customer), {"sms_to": ""}, follow=True)

    assert "One-time panel PIN:" in response.content.decode()
    assert AUTO_SENT == [] and not Message.objects.exists()
    assert PanelAccount.objects.get().pin_hash


def api_url(customer):
    return f"/api/v1/customers/{customer.pk}/panel/generate-pin/"


def test_api_sends_the_pin_by_sms_and_does_not_return_it(
        api_client, auto_gateways, account, phone, customer,
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(api_url(customer), {"sms_phone": phone.pk}, format="json")

    assert response.status_code == 200
    assert response.json() == {"pin": None, "sms_to": "+48501200300"}
    assert len(AUTO_SENT) == 1 and AUTO_SENT[0][1] == "+48501200300"
    pin = re.search(r"klienta: (\d+)\.", AUTO_SENT[0][3]).group(1)
    account.refresh_from_db()
    assert check_password(pin, account.pin_hash)


def test_api_refuses_a_foreign_phone_and_other_tenants_customer(
        api_client, other_api_client, auto_gateways, account, phone, customer, staff,
        django_capture_on_commit_callbacks):
    other = customer_services.customer_create(actor=staff, first_name="Ewa",
                                              last_name="Obca", status="connected")
    foreign = customer_services.phone_add(actor=staff, customer=other, number="600999888")
    with django_capture_on_commit_callbacks(execute=True):
        refused = api_client.post(api_url(customer), {"sms_phone": foreign.pk},
                                  format="json")
        stranger = other_api_client.post(api_url(customer), {"sms_phone": phone.pk},
                                         format="json")

    assert refused.status_code == 400 and stranger.status_code == 404
    assert AUTO_SENT == [] and not Message.objects.exists()


def test_api_without_phone_still_returns_the_pin(api_client, auto_gateways, account,
                                                 customer):
    response = api_client.post(api_url(customer), {}, format="json")

    assert response.status_code == 200 and len(response.json()["pin"]) == 6
    assert AUTO_SENT == []
