"""A queued message another transaction holds locked for a moment (a refused "Ponów"
click, a delivery report) is still handed over: the claim passes over it (SKIP LOCKED)
and tries again after a short wait (``services.CLAIM_WAITS``), instead of leaving it
queued with no attempt."""

import threading

import pytest
from django.db import connection, transaction

from core.tenancy import tenant_context
from customers import services as customer_services
from messaging import services
from messaging.models import Message, Status
from messaging.tests.fixtures_card import card_message


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("held,claimed", [(0.1, True), (5.0, False)])
def test_a_message_held_locked_for_a_moment_is_handed_over_after_it(tenant, staff, held,
                                                                    claimed):
    with tenant_context(tenant):
        customer = customer_services.customer_create(actor=staff, first_name="Ewa",
                                                     last_name="Nowak")
        message = card_message(customer)  # queued, not handed over yet
    locked, release = threading.Event(), threading.Event()

    def hold():
        with tenant_context(tenant), transaction.atomic():
            Message.objects.select_for_update().get(pk=message.pk)
            locked.set()
            release.wait(held)
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(5)
    with tenant_context(tenant):
        services.message_send_run(ids=[message.pk])
    release.set()
    holder.join()
    with tenant_context(tenant):
        message = Message.objects.get(pk=message.pk)
        if claimed:
            # claimed once the holder was done: one attempt (no gateway here: failed)
            assert message.attempts.count() == 1 and message.status == Status.FAILED
        else:  # held past the waits: left queued for the next hand-over, never lost
            assert message.attempts.count() == 0 and message.status == Status.QUEUED
            services.message_send_run(ids=[message.pk])
            assert Message.objects.get(pk=message.pk).attempts.count() == 1
