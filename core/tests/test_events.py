"""Domain events: delivered after commit, never for a rolled-back change, to every
subscriber under the publisher's tenant."""

import pytest
from django.db import transaction

from core import events
from core.tenancy import current_tenant_or_none, tenant_context


@pytest.fixture
def heard():
    calls = []

    def handler(**data):
        calls.append((current_tenant_or_none(), data))

    events.subscribe("payment.booked", handler)
    yield calls
    events.unsubscribe("payment.booked", handler)


@pytest.mark.django_db(transaction=True)
def test_event_is_delivered_after_commit_under_the_publishers_tenant(tenant, heard):
    with tenant_context(tenant), transaction.atomic():
        events.publish("payment.booked", customer_id=5, amount="10.00")
        assert heard == []  # not before the commit
    assert heard == [(tenant, {"customer_id": 5, "amount": "10.00"})]


@pytest.mark.django_db(transaction=True)
def test_rolled_back_change_publishes_nothing(tenant, heard):
    with tenant_context(tenant), pytest.raises(RuntimeError), transaction.atomic():
        events.publish("payment.booked", customer_id=5, amount="10.00")
        raise RuntimeError("the service failed")
    assert heard == []


@pytest.mark.django_db(transaction=True)
def test_failing_handler_does_not_stop_the_others(tenant, heard):
    def broken(**data):
        raise ValueError("boom")

    events.subscribe("payment.booked", broken)
    try:
        # ``broken`` subscribed after ``heard``'s handler: move it first to prove the point.
        events._handlers["payment.booked"].insert(0, events._handlers["payment.booked"].pop())
        with tenant_context(tenant):
            events.publish("payment.booked", customer_id=1, amount="1.00")
    finally:
        events.unsubscribe("payment.booked", broken)
    assert len(heard) == 1


def test_unknown_event_and_missing_keys_are_refused():
    with pytest.raises(events.UnknownEvent):
        events.publish("invoice.isued", invoice_id=1, customer_id=1)
    with pytest.raises(events.UnknownEvent):
        events.subscribe("no.such", lambda **d: None)
    with pytest.raises(TypeError, match="customer_id"):
        events.publish("invoice.issued", invoice_id=1)


def test_subscribing_twice_calls_once():
    def handler(**data):
        pass

    events.subscribe("payment.booked", handler)
    events.subscribe("payment.booked", handler)
    try:
        assert events.handlers("payment.booked").count(handler) == 1
    finally:
        events.unsubscribe("payment.booked", handler)
