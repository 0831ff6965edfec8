"""Fixtures of the templates, gateways and bulk sends tests: a gateway kind that records
what it was given (the real SMTP server and Kannel are test_email_* and test_sms_*), and
customers with a phone, an e-mail address, a debt and a group as a test asks."""

from decimal import Decimal

import pytest

from messaging import gateways
from messaging.gateways import Accepted, GatewayBase

# (channel, recipient, subject, text) of every message the recording gateway accepted.
BULK_SENT: list[tuple[str, str, str, str]] = []


@gateways.register("bulktest")
class _RecordingGateway(GatewayBase):
    def send(self, message, attempt):
        BULK_SENT.append((message.channel, message.recipient, message.subject,
                          message.text_to_send))
        return Accepted(gateway_id=str(attempt.key), reply="OK")


@pytest.fixture
def bulk_gateways(in_tenant):
    """An SMS and an e-mail gateway of the active tenant that record what they send."""
    from messaging.models import Gateway

    BULK_SENT.clear()
    for channel in ("sms", "email"):
        Gateway.objects.create(channel=channel, kind="bulktest", dlr_secret="s")
    yield BULK_SENT
    BULK_SENT.clear()


@pytest.fixture
def bulk_customer(in_tenant, staff):
    """``make(last_name, phone=, email=, debt=, group=, **fields)``: a customer built through
    the services, as staff would; ``debt`` a debit note of that amount (balance below 0)."""
    from customers import services as customer_services
    from finance import services as finance_services

    def make(last_name: str, *, phone: str | None = None, email: str | None = None,
             debt: Decimal | str | None = None, group=None, first_name: str = "Jan",
             status: str = "connected", **fields):
        customer = customer_services.customer_create(actor=staff, first_name=first_name,
                                                     last_name=last_name, status=status,
                                                     **fields)
        if phone:
            customer_services.phone_add(actor=staff, customer=customer, number=phone)
        if email:
            customer_services.email_add(actor=staff, customer=customer, address=email)
        if debt:
            finance_services.debit_note_issue(actor=staff, customer=customer,
                                              amount=Decimal(debt), title="Opłata")
        if group is not None:
            customer_services.customer_group_add(actor=staff, customer=customer, group=group)
        return customer

    return make
