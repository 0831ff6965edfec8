"""Two people at once, on real PostgreSQL transactions: the same serial issued to two
customers, the same form sent twice at the same moment (a sale's invoice with its WZ:
test_settlement.py)."""

import threading
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
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


def _receive(tenant, staff, stock, serial, **identity):
    def call():
        with tenant_context(tenant):
            return services.receipt_post(
                actor=staff, supplier=stock.supplier, warehouse=stock.main,
                lines=[{"product": stock.ont.pk, "serials": [{"serial": serial, **identity}]}])
    return call


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("identity", [{"mac": "00:1a:2b:3c:4d:5e"},
                                      {"gpon_serial": "HWTC0A1B2C3D"}])
def test_one_mac_or_gpon_serial_received_twice_at_once_is_received_once(tenant, staff,
                                                                         identity):
    """Two PZs at the same moment, two serials carrying one MAC (or one GPON serial): both
    pass the check before either commits; the tenant's unique constraint lets one in."""
    stock, _first, _second = _setup(tenant, staff)
    results = _at_once(_receive(tenant, staff, stock, "TWIN1", **identity),
                       _receive(tenant, staff, stock, "TWIN2", **identity))
    documents = [r for r in results if isinstance(r, StockDocument)]
    refusals = [r for r in results if isinstance(r, ValidationError)]
    assert len(documents) == 1 and len(refusals) == 1
    message = refusals[0].message_dict["lines"][0]
    assert "already known" in message or "received by another document a moment ago" \
        in message
    (field, value), = identity.items()
    with tenant_context(tenant):
        assert StockItem.objects.filter(**{field: value}).count() == 1
        assert StockDocument.objects.filter(kind="PZ").count() == 2  # _setup's and the winner's


def _while_held(tenant, change, post):
    """``change`` runs in its own transaction and holds it open while ``post`` starts in
    another thread; then ``change`` commits. ``post``'s outcome (a document or the
    refusal), and whether it waited for ``change``."""
    locked, release, outcome = threading.Event(), threading.Event(), {}

    def changing():
        try:
            with translation.override("en"), tenant_context(tenant), transaction.atomic():
                change()
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    def posting():
        try:
            with translation.override("en"), tenant_context(tenant):
                outcome["post"] = post()
        except ValidationError as exc:
            outcome["post"] = exc
        finally:
            connection.close()

    first = threading.Thread(target=changing)
    first.start()
    assert locked.wait(10)
    second = threading.Thread(target=posting)
    second.start()
    second.join(1)
    waited = second.is_alive()
    release.set()
    first.join(10)
    second.join(10)
    return outcome["post"], waited


@pytest.mark.django_db(transaction=True)
def test_a_receipt_into_a_warehouse_being_deactivated_is_refused(tenant, staff):
    """The warehouse is being deactivated (its stock counted, nothing yet committed) when a
    PZ into it starts: the PZ waits and then finds it inactive — no stock is left in a
    warehouse nobody may pick from."""
    from warehouse.catalog import warehouse_deactivate

    with tenant_context(tenant):
        stock = factories.Stock()
        spare = factories.WarehouseFactory(name="Magazyn zapasowy")
    result, waited = _while_held(
        tenant, lambda: warehouse_deactivate(actor=staff, warehouse=spare),
        lambda: services.receipt_post(actor=staff, supplier=stock.supplier, warehouse=spare,
                                      lines=[{"product": stock.ont.pk, "serials": ["LATE1"]}]))
    assert waited
    assert isinstance(result, ValidationError)
    assert result.message_dict["warehouse"] == ["The warehouse Magazyn zapasowy is not active."]
    with tenant_context(tenant):
        assert not StockItem.objects.filter(serial="LATE1").exists()


@pytest.mark.django_db(transaction=True)
def test_a_receipt_of_a_product_being_switched_to_counted_is_refused(tenant, staff):
    """A new product with no stock is being switched to counted when a PZ of its serials
    starts: the PZ waits and is refused — no serials of a counted product."""
    from warehouse.catalog import product_update

    with tenant_context(tenant):
        stock = factories.Stock()
        router = factories.ProductFactory(name="Router nowy")
        assert router.serial_tracked
    result, waited = _while_held(
        tenant, lambda: product_update(actor=staff, product=router, serial_tracked=False,
                                       unit="szt."),
        lambda: services.receipt_post(actor=staff, supplier=stock.supplier,
                                      warehouse=stock.main,
                                      lines=[{"product": router.pk, "serials": ["R1", "R2"]}]))
    assert waited
    assert isinstance(result, ValidationError)
    assert result.message_dict["lines"] == [
        "Router nowy was just changed between serial-tracked and counted: check the lines "
        "and post them again."]
    with tenant_context(tenant):
        assert not StockItem.objects.filter(product=router).exists()
