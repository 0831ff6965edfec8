"""Fixtures of the tests of the messages the system sends by itself (reminders, the panel
PIN by SMS): a gateway kind that records what it was handed (the real SMTP server and
Kannel are test_email_* and test_sms_*), and debtors built through the services."""

from datetime import date
from decimal import Decimal

import pytest

from messaging import gateways
from messaging.gateways import Accepted, GatewayBase

# (channel, recipient, subject, text as sent) of every message the gateway accepted.
AUTO_SENT: list[tuple[str, str, str, str]] = []


@gateways.register("autotest")
class _AutoRecordingGateway(GatewayBase):
    def send(self, message, attempt):
        AUTO_SENT.append((message.channel, message.recipient, message.subject,
                          message.text_to_send))
        return Accepted(gateway_id=str(attempt.key), reply="OK")


@pytest.fixture
def auto_gateways(in_tenant):
    """An SMS and an e-mail gateway of the active tenant that record what they send."""
    from messaging.models import Gateway

    AUTO_SENT.clear()
    for channel in ("sms", "email"):
        Gateway.objects.create(channel=channel, kind="autotest", dlr_secret="s")
    yield AUTO_SENT
    AUTO_SENT.clear()


@pytest.fixture
def auto_settings(in_tenant, staff):
    """``set(key=value, ...)``: the tenant's messaging settings (without the prefix)."""
    from core.services import tenant_setting_set

    def set_(**values):
        for key, value in values.items():
            tenant_setting_set(actor=staff, key=f"messaging.{key}", raw_value=value)

    return set_


@pytest.fixture
def debtor(in_tenant, staff):
    """``make(last_name, due=, amount=, phone=, email=)``: a customer with a debit note of
    ``amount`` due on ``due``, built through the services as staff would."""
    from customers import services as customer_services
    from finance import services as finance_services

    def make(last_name: str, *, due: date, amount: Decimal | str = "120.00",
             phone: str | None = "600100200", email: str | None = None):
        customer = customer_services.customer_create(actor=staff, first_name="Jan",
                                                     last_name=last_name,
                                                     status="connected")
        if phone:
            customer_services.phone_add(actor=staff, customer=customer, number=phone)
        if email:
            customer_services.email_add(actor=staff, customer=customer, address=email)
        if amount is not None:
            finance_services.debit_note_issue(actor=staff, customer=customer,
                                              amount=Decimal(amount), title="Abonament",
                                              due_date=due)
        return customer

    return make
