"""The demo ISP's telephony: built through the services, once."""

import pytest

from customers.services import customer_create
from voip.demo import PHONES, voip_demo_build
from voip.models import Call, PhoneUsage, PriceRule, VoipPhone

pytestmark = pytest.mark.django_db(databases=["default", "asterisk"])


def test_the_demo_makes_phones_with_rated_calls_once(in_tenant, staff):
    for n in range(PHONES + 2):
        customer_create(actor=staff, first_name="Jan", last_name=f"Demo{n}", status="connected")
    assert voip_demo_build(admin=staff, seed=7, index=0) == PHONES
    assert VoipPhone.objects.count() == PHONES and PriceRule.objects.count() > 10
    assert Call.objects.filter(reason="priced", amount__gt=0).exists()
    assert Call.objects.filter(customer__isnull=False).count() == Call.objects.count()
    assert PhoneUsage.objects.exists()
    assert voip_demo_build(admin=staff, seed=7, index=0) == 0


def test_the_demo_writes_nothing_to_the_exchange(in_tenant, staff, monkeypatch,
                                                 django_capture_on_commit_callbacks):
    from voip import services as voip_services

    queued = []
    monkeypatch.setattr(voip_services, "_provision_task", lambda *args: queued.append(args))
    customer_create(actor=staff, first_name="Jan", last_name="Demo", status="connected")
    with django_capture_on_commit_callbacks(execute=True):
        assert voip_demo_build(admin=staff, seed=1, index=1) == 1
    assert queued == []
    with django_capture_on_commit_callbacks(execute=True):  # outside the demo: written
        voip_services.phone_block_set(actor=staff, phone=VoipPhone.objects.get(), debt=True)
    assert len(queued) == 1
