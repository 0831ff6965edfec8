"""A phone's calls reaching its notification threshold (voip's ``voip.threshold_crossed``):
the customer gets an SMS and an e-mail, in Polish, as the tenant's setting says."""

import pytest

from core import events
from customers import services as customer_services
from messaging.models import Message, Purpose
from messaging.tests.fixtures_auto import AUTO_SENT


def crossed(customer, capture):
    with capture(execute=True):
        events.publish("voip.threshold_crossed", phone_id=7, customer_id=customer.pk,
                       number="48223000001", amount="150.40", threshold="150.00")


@pytest.fixture
def contacts(in_tenant, staff, customer):
    customer_services.phone_add(actor=staff, customer=customer, number="501 200 300")
    customer_services.email_add(actor=staff, customer=customer, address="jan@example.pl")


def test_the_customer_is_told_by_sms_and_e_mail(auto_gateways, contacts, customer,
                                                django_capture_on_commit_callbacks):
    crossed(customer, django_capture_on_commit_callbacks)
    assert sorted(channel for channel, *_rest in AUTO_SENT) == ["email", "sms"]
    sms = next(text for channel, _r, _s, text in AUTO_SENT if channel == "sms")
    assert "+48223000001" in sms and "150,40 zł" in sms and "150,00 zł" in sms
    assert sms.startswith("Sieć Alfa:")
    assert set(Message.objects.values_list("purpose", "related_kind", "related_id")) == {
        (Purpose.VOIP, "voip_phone", 7)}


def test_the_setting_chooses_the_channels_and_none_sends_nothing(
        auto_gateways, auto_settings, contacts, customer, django_capture_on_commit_callbacks):
    auto_settings(voip_threshold_channels="sms")
    crossed(customer, django_capture_on_commit_callbacks)
    assert [channel for channel, *_rest in AUTO_SENT] == ["sms"]
    auto_settings(voip_threshold_channels="none")
    crossed(customer, django_capture_on_commit_callbacks)
    assert Message.objects.count() == 1


def test_a_customer_without_contacts_or_gateways_gets_nothing_and_nothing_fails(
        in_tenant, customer, staff, django_capture_on_commit_callbacks):
    crossed(customer, django_capture_on_commit_callbacks)  # no contacts, no gateway
    customer_services.phone_add(actor=staff, customer=customer, number="501 200 300")
    crossed(customer, django_capture_on_commit_callbacks)  # a contact, no gateway
    assert not AUTO_SENT
