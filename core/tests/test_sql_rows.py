"""``core.sql.objects_rows`` + ``rows_copy``: unsaved objects written by COPY come out as
``bulk_create`` would have saved them."""

from datetime import UTC, datetime

import pytest

from core.sql import objects_rows, rows_copy
from core.tenancy import tenant_context
from customers.models import Customer

pytestmark = pytest.mark.django_db


def test_a_creation_time_given_is_kept_and_the_update_time_is_now(tenant):
    then = datetime(2009, 3, 1, 12, 0, tzinfo=UTC)
    with tenant_context(tenant):
        rows_copy(*objects_rows([Customer(tenant=tenant, number=1, last_name="Dawny",
                                          created_at=then),
                                 Customer(tenant=tenant, number=2, last_name="Nowy")]))
        old, new = Customer.objects.order_by("number")
    assert old.created_at == then
    assert new.created_at > then and new.updated_at >= new.created_at
    assert old.updated_at > then  # stamped now, as a save would


def test_a_field_that_fills_itself_on_save_does_so_in_the_copy_too(tenant, monkeypatch):
    field = Customer._meta.get_field("search_text")
    monkeypatch.setattr(field, "pre_save",
                        lambda obj, add: f"{obj.last_name.lower()} {obj.number}")
    with tenant_context(tenant):
        model, columns, rows = objects_rows([Customer(tenant=tenant, number=7,
                                                      last_name="Zapis")])
        rows_copy(model, columns, rows)
        assert Customer.objects.get(number=7).search_text == "zapis 7"
