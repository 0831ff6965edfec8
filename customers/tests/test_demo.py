from io import StringIO

import phonenumbers
import pytest
from django.core.management import call_command
from schwifty import IBAN
from stdnum.pl import nip, pesel, regon

from core.models import ActionLog, Membership, Tenant
from core.tenancy import tenant_context
from customers.demo import id_card_number, polish_iban
from customers.models import Address, BankAccount, Customer, GroupMembership, Phone
from customers.validators import _id_card_valid


def load(**options) -> str:
    out = StringIO()
    call_command("load_demo", stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_load_demo_builds_two_isps_of_valid_customers():
    output = load(customers=10)

    tenants = list(Tenant.objects.order_by("slug"))
    assert [t.slug for t in tenants] == ["alfa", "beta"]
    for tenant in tenants:
        with tenant_context(tenant):
            customers = list(Customer.objects.all())
            assert len(customers) == 10
            for customer in customers:
                assert not customer.pesel or pesel.is_valid(customer.pesel)
                assert not customer.spouse_pesel or pesel.is_valid(customer.spouse_pesel)
                assert not customer.nip or nip.is_valid(customer.nip)
                assert not customer.regon or regon.is_valid(customer.regon)
                if customer.kind == Customer.Kind.PERSON:
                    assert pesel.is_valid(customer.pesel)
                else:
                    assert nip.is_valid(customer.nip) and regon.is_valid(customer.regon)
                if customer.id_document_type == Customer.IdDocumentType.ID_CARD:
                    assert _id_card_valid(customer.id_document_number)
            residences = set(Address.objects.filter(kind="residence")
                             .values_list("customer_id", flat=True))
            assert residences == {c.pk for c in customers}
            phones = list(Phone.objects.all())
            assert {p.customer_id for p in phones} == {c.pk for c in customers}
            assert all(phonenumbers.is_valid_number(phonenumbers.parse(p.number))
                       for p in phones)
            assert all(IBAN(a.iban) for a in BankAccount.objects.all())
            assert GroupMembership.objects.exists()
            # Built through the services: the staff's work is in the action log.
            assert ActionLog.objects.filter(kind="customer.create").count() == 10
    # One staff login works for both ISPs.
    assert Membership.objects.filter(user__username="kierownik").count() == 2
    assert "admin-alfa" in output and "alfa-demo-2025" in output


@pytest.mark.django_db
def test_load_demo_twice_changes_nothing():
    load(customers=3)
    before = (Customer.all_tenants.count(), ActionLog.all_tenants.count())

    output = load(customers=3)

    assert (Customer.all_tenants.count(), ActionLog.all_tenants.count()) == before
    assert "already loaded" in output
    assert "admin-beta" in output  # the logins are shown again


def test_generated_id_cards_and_ibans_are_valid():
    import random

    rng = random.Random(7)
    assert all(_id_card_valid(id_card_number(rng)) for _ in range(200))
    assert all(IBAN(polish_iban(rng)).country_code == "PL" for _ in range(200))
