"""``runner.WriteBehind``: a stage's bulk writes in a second thread on the run's own
connection — in order, seen by the stage's next query, failures raised in the stage, and
the foreign keys checked as each write ends, deferred again afterwards."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from core.sql import objects_rows, rows_copy
from core.tenancy import tenant_context
from customers.models import Customer, Phone
from lmsimport.runner import WriteBehind

pytestmark = pytest.mark.django_db


def _customer_copy(tenant, number, waited=None):
    if waited is not None:  # the write holds until the stage waits for it: a query not
        waited.wait(5)      # waiting would run first and miss its row
    rows_copy(*objects_rows([Customer(tenant=tenant, number=number, last_name="Zapis")]))


def _watched(behind):
    """An event set when the stage's thread starts waiting for the write in flight."""
    waited, wait = threading.Event(), behind.wait

    def watching():
        if behind.pending is not None:
            waited.set()
        wait()

    behind.wait = watching
    return waited


def test_a_write_runs_behind_and_the_next_query_sees_it(tenant):
    with tenant_context(tenant), WriteBehind() as behind:
        waited = _watched(behind)
        behind.submit(_customer_copy, tenant, 9001, waited)
        assert list(Customer.objects.filter(number__gt=9000)
                    .values_list("number", flat=True)) == [9001]
        behind.submit(_customer_copy, tenant, 9002)
        behind.submit(_customer_copy, tenant, 9003)  # after the one before, in order
        assert sorted(Customer.objects.filter(number__gt=9000)
                      .values_list("number", flat=True)) == [9001, 9002, 9003]


def test_a_raw_cursor_of_the_stage_waits_for_the_write_too(tenant):
    with tenant_context(tenant), WriteBehind() as behind:
        waited = _watched(behind)
        behind.submit(_customer_copy, tenant, 9004, waited)
        with connection.cursor() as cursor:
            cursor.cursor.execute("SELECT count(*) FROM customers_customer WHERE number = 9004")
            assert cursor.cursor.fetchone()[0] == 1


def test_a_failed_write_is_raised_in_the_stage(tenant):
    def broken():
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"), tenant_context(tenant), \
            WriteBehind() as behind:
        behind.submit(broken)
        Customer.objects.count()


def test_foreign_keys_are_checked_as_a_write_ends_and_deferred_again_after(tenant):
    with tenant_context(tenant):
        with WriteBehind(), pytest.raises(IntegrityError), transaction.atomic():
            Phone.objects.create(tenant=tenant, customer_id=10**12, number="+48600000001")
        with transaction.atomic():  # deferred: checked at the commit, not here
            Phone.objects.create(tenant=tenant, customer_id=10**12, number="+48600000002")
            transaction.set_rollback(True)
