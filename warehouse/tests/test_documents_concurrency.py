"""Two people at once, on real PostgreSQL transactions: the same serial issued to two
customers, the same form sent twice at the same moment (a sale's invoice with its WZ:
test_settlement.py)."""

import threading
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from core.tenancy import tenant_context
from customers.services import customer_create
from warehouse import services
from warehouse.models import StockDocument, StockItem
from warehouse.tests import factories


def _setup(tenant, staff):
    with tenant_context(tenant):
        stock = factories.Stock()
        factories.receive(staff, warehouse=stock.main, product=stock.ont, serials=["RACE1"])
        first = customer_create(actor=staff, first_name="Jan", last_name="Kowalski")
        second = customer_create(actor=staff, first_name="Ewa", last_name="Nowak")
    return stock, first, second


def _at_once(*calls):
    """Run each call in its own thread (its own connection), started together; returns
    each one's document or refusal."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(5)
            with translation.override("en"):  # a thread's language is its own
                results[index] = call()
        except ValidationError as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def _issue(tenant, staff, stock, customer, **extra):
    def call():
        with tenant_context(tenant):
            return services.issue_post(actor=staff, warehouse=stock.main, customer=customer,
                                       lines=["RACE1"], **extra)
    return call


@pytest.mark.django_db(transaction=True)
def test_one_serial_issued_to_two_customers_at_once_goes_to_one(tenant, staff):
    stock, first, second = _setup(tenant, staff)
    results = _at_once(_issue(tenant, staff, stock, first), _issue(tenant, staff, stock, second))
    documents = [r for r in results if isinstance(r, StockDocument)]
    refusals = [r for r in results if isinstance(r, ValidationError)]
    assert len(documents) == 1 and len(refusals) == 1
    assert "RACE1 is not in the warehouse Magazyn główny: it is at the customer" \
        in refusals[0].message_dict["lines"][0]
    with tenant_context(tenant):
        assert StockDocument.objects.filter(kind="WZ").count() == 1
        item = StockItem.objects.get(serial="RACE1")
        assert item.customer_id == documents[0].customer_id
        assert item.issue_document_id == documents[0].pk


@pytest.mark.django_db(transaction=True)
def test_one_form_sent_twice_at_once_posts_one_wz(tenant, staff):
    stock, first, _second = _setup(tenant, staff)
    token = uuid.uuid4()
    results = _at_once(_issue(tenant, staff, stock, first, request_token=token),
                       _issue(tenant, staff, stock, first, request_token=token))
    with tenant_context(tenant):
        wz = StockDocument.objects.get(kind="WZ")
    assert [r.pk for r in results] == [wz.pk, wz.pk]
