"""Per-tenant CSV profiles: the setting ``finance.bank_csv_profiles`` and its validation."""

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.models import TenantSetting
from core.services import tenant_setting_set
from customers import services as customer_services
from finance import services
from finance.bank.csv_profiles import PROFILES, csv_profiles
from finance.bank.importer import bank_statement_import
from finance.bank.jobs import import_options

MINE = {"moj_bank": {"columns": {"booking_date": "Data", "amount": "Kwota",
                                 "title": "Opis", "counterparty_name": 3},
                     "delimiter": ",", "date_format": "%Y-%m-%d", "decimal_comma": False}}


def refused(staff, value) -> str:
    with pytest.raises(ValidationError) as caught:
        tenant_setting_set(actor=staff, key="finance.bank_csv_profiles",
                           raw_value=json.dumps(value) if not isinstance(value, str) else value)
    return caught.value.message_dict["value"][0]


def test_a_saved_profile_joins_the_built_in_ones_and_imports(in_tenant, staff):
    tenant_setting_set(actor=staff, key="finance.bank_csv_profiles", raw_value=json.dumps(MINE))
    profiles = csv_profiles()
    assert set(PROFILES) <= set(profiles) and profiles["moj_bank"].delimiter == ","
    customer = customer_services.customer_create(actor=staff, last_name="Nowak")
    data = f"Data,Kwota,Opis,Kto\n2026-03-02,1234.50,nr klienta {customer.number},Jan\n"
    batch = bank_statement_import(actor=staff, data=data.encode(),
                                  **import_options("csv:moj_bank"))
    assert batch.format == "csv:moj_bank" and batch.lines_new == 1
    assert services.ledger_balance(customer) == Decimal("1234.50")


def test_a_tenant_profile_of_a_built_in_name_replaces_it(in_tenant, staff):
    tenant_setting_set(actor=staff, key="finance.bank_csv_profiles",
                       raw_value=json.dumps({"ing_pl": MINE["moj_bank"]}))
    assert csv_profiles()["ing_pl"].delimiter == ","


def test_profiles_are_per_tenant(in_tenant, staff, other_tenant):
    from core.tenancy import tenant_context

    tenant_setting_set(actor=staff, key="finance.bank_csv_profiles", raw_value=json.dumps(MINE))
    with tenant_context(other_tenant):
        assert "moj_bank" not in csv_profiles()


@pytest.mark.parametrize(("value", "message"), [
    ("{not json", "CSV profiles are not valid JSON"),
    ("[1, 2]", "CSV profiles must be a JSON object"),
    ({"x": {"delimiter": ";"}}, "CSV profile “x”: it needs “columns”"),
    ({"x": {"columns": {"amount": "Kwota"}}}, "CSV profile “x”: a CSV profile needs a "
                                              "booking_date column"),
    ({"x": {"columns": {"booking_date": "D", "amount": "K", "kwota": "Q"}}},
     "CSV profile “x”: unknown CSV profile fields: kwota"),
    ({"x": {"columns": {"booking_date": "D", "amount": "K", "credit": "U"}}},
     "CSV profile “x”: a CSV profile needs either amount, or credit and debit columns"),
    ({"x": {"columns": {"booking_date": "D", "amount": -1}}},
     "CSV profile “x”: the column of “amount” must be a header name or an index from 0"),
    ({"x": {"columns": {"booking_date": "D", "amount": "K"}, "delimiter": ";;"}},
     "CSV profile “x”: the delimiter and the quote are one character each"),
    ({"x": {"columns": {"booking_date": "D", "amount": "K"}, "encoding": "klingon"}},
     "CSV profile “x”: unknown encoding “klingon”"),
    ({"x": {"columns": {"booking_date": "D", "amount": "K"}, "skip_rows": "2"}},
     "CSV profile “x”: “skip_rows” has the wrong type"),
    ({"x": {"columns": {"booking_date": "D", "amount": "K"}, "colour": "red"}},
     "CSV profile “x”: unknown options colour"),
    ({"x y": {"columns": {"booking_date": "D", "amount": "K"}}},
     "CSV profile “x y”: a name has 1-30 letters"),
    ({"x": {"columns": {"booking_date": "D", "amount": "K"}, "header": False}},
     "CSV profile “x”: a CSV profile without a header names its columns by index"),
])
def test_a_bad_definition_is_refused_with_a_clear_message_and_not_saved(
        in_tenant, staff, value, message):
    assert refused(staff, value).startswith(message)
    assert not TenantSetting.objects.filter(key="finance.bank_csv_profiles").exists()
    assert set(csv_profiles()) == set(PROFILES)
