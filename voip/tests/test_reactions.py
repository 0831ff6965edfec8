"""A customer's debt block (radius's daily evaluation, ``debt_block.changed``): their
phones follow it into the blocked dialplan context and back when the debt is paid."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from core.models import ActionLog
from finance import services as finance
from radius.services import login_create, logins_debt_block_evaluate
from voip import services
from voip.models import VoipPhone
from voip.tests.conftest import BOTH, asterisk_rows

TODAY = timezone.localdate()
pytestmark = pytest.mark.django_db(databases=BOTH)


@pytest.fixture
def phone(in_tenant, staff, customer, numbers_range, asterisk_db):
    return services.phone_create(actor=staff, customer=customer, numbers_range=numbers_range)[0]


def overdue_invoice(staff, customer):
    due = TODAY - timedelta(days=30)
    line = {"name": "Telefon", "quantity": D("1"), "net_unit_price": D("40.00"),
            "vat_rate": "23"}
    return finance.invoice_issue(actor=staff, customer=customer, lines=[line],
                                 issue_date=due - timedelta(days=14), due_date=due)


def test_the_debt_block_puts_the_phones_in_the_blocked_context_and_payment_lifts_it(
        staff, customer, phone, django_capture_on_commit_callbacks):
    login_create(actor=staff, customer=customer, login="jan", password="pw",
                 ip="100.64.0.11")
    overdue_invoice(staff, customer)
    with django_capture_on_commit_callbacks(execute=True):
        assert logins_debt_block_evaluate() == (1, 0)
    phone.refresh_from_db()
    assert phone.blocked_debt and not phone.blocked_limit
    endpoint = str(phone.number.number)
    [row] = asterisk_rows("ps_endpoints", "id = %s", [endpoint])
    assert row["context"] == "zablokowany"
    finance.bank_transfer_record(actor=staff, customer=customer, amount=D("49.20"),
                                 booking_date=TODAY, title="wpłata", bank_reference="",
                                 bank_account="29114010810000267002001002")
    with django_capture_on_commit_callbacks(execute=True):
        assert logins_debt_block_evaluate(lift_only=True) == (0, 1)
    phone.refresh_from_db()
    assert not phone.blocked_debt
    [row] = asterisk_rows("ps_endpoints", "id = %s", [endpoint])
    assert row["context"] == phone.context
    assert [e.text for e in ActionLog.objects.filter(kind="voipphone.block", customer=customer)
            .order_by("id")] == ["Phones blocked for debt: 1.",
                                 "Debt paid: phones unblocked: 1."]


def test_a_debtor_without_logins_has_the_phones_blocked_and_a_repeat_changes_nothing(
        staff, customer, phone, django_capture_on_commit_callbacks):
    overdue_invoice(staff, customer)
    with django_capture_on_commit_callbacks(execute=True):
        assert logins_debt_block_evaluate(lift_only=True) == (0, 0)
    phone.refresh_from_db()
    assert not phone.blocked_debt  # the frequent pass only lifts
    with django_capture_on_commit_callbacks(execute=True):
        assert logins_debt_block_evaluate() == (0, 0)  # no login to block
    phone.refresh_from_db()
    assert phone.blocked_debt
    assert services.phones_debt_block_follow(debtor_ids=[customer.pk]) == (0, 0)


def test_another_tenants_evaluation_touches_nothing_here(staff, customer, phone, other_tenant):
    from core.tenancy import tenant_context

    services.phones_debt_block_follow(debtor_ids=[customer.pk])
    with tenant_context(other_tenant):  # no debtor there: it lifts only its own phones
        assert services.phones_debt_block_follow(debtor_ids=[]) == (0, 0)
    assert VoipPhone.objects.get().blocked_debt
    # one customer's evaluation (after a payment) leaves the others' phones as they are
    assert services.phones_debt_block_follow(debtor_ids=[], customer_id=customer.pk + 1) \
        == (0, 0)
    assert VoipPhone.objects.get().blocked_debt
