from io import StringIO

import pytest
from django.core.management import call_command

from core.models import Tenant
from core.tenancy import tenant_context
from customers.models import Customer
from finance import services
from finance.models import CustomerAccount, FinanceDocument, Kind, Subscription


@pytest.mark.django_db
def test_demo_isps_have_a_billed_and_partly_paid_ledger():
    call_command("load_demo", customers=25, stdout=StringIO())

    for tenant in Tenant.objects.all():
        with tenant_context(tenant):
            connected = Customer.objects.filter(status="connected").count()
            assert Subscription.objects.values("customer").distinct().count() == connected
            invoices = FinanceDocument.objects.filter(kind=Kind.INVOICE)
            assert invoices.count() >= connected  # three runs; pro-rata starts included
            assert FinanceDocument.objects.filter(kind=Kind.BANK_TRANSFER).exists()
            # Every cached balance is the sum of its ledger; some owe, none is inconsistent.
            accounts = list(CustomerAccount.objects.select_related("customer"))
            assert accounts
            for account in accounts:
                assert account.balance == services.ledger_balance(account.customer)
            assert any(a.balance < 0 for a in accounts)
