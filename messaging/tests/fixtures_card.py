"""Fixtures of the card's "Wiadomości" tests and the messages API tests."""

import pytest

from customers import services as customer_services
from messaging import services
from messaging.models import Message, Status


@pytest.fixture
def card_phone(customer, staff):
    return customer_services.phone_add(actor=staff, customer=customer, number="600 100 200",
                                       label="komórka")


@pytest.fixture
def card_email(customer, staff):
    return customer_services.email_add(actor=staff, customer=customer,
                                       address="jan.kowalski@example.com")


@pytest.fixture
def card_other_customer(in_tenant, staff):
    customer = customer_services.customer_create(actor=staff, first_name="Ewa",
                                                 last_name="Nowak")
    customer_services.phone_add(actor=staff, customer=customer, number="601 200 300")
    customer_services.email_add(actor=staff, customer=customer, address="ewa@example.com")
    return customer


def card_message(customer, *, channel="sms", recipient="+48600100200", body="Dzień dobry",
                 subject="", status=None, reason="", author=None, attachments=()) -> Message:
    """A message written as the card writes it, not sent (no gateway in these tests);
    ``status`` then set as a gateway's answer would set it."""
    message = services.message_queue(customer=customer, channel=channel, recipient=recipient,
                                      body=body, subject=subject or
                                      ("Temat" if channel == "email" else ""),
                                      author=author, attachments=attachments, send=False)
    if status is not None:
        services._status_set(message, status, reason=reason, detail=reason)
    return message


@pytest.fixture
def card_failed_sms(customer, card_phone, staff):
    return card_message(customer, status=Status.FAILED, author=staff,
                        reason="No SMS gateway is set up for this ISP.")
