"""The demo ISPs' helpdesk: built through the parts' services, loads twice, shows data."""

import pytest
from django.urls import NoReverseMatch, reverse

from core.models import Tenant, User
from core.tenancy import tenant_context
from customers.demo import DEMO_TENANTS, demo_load
from helpdesk.demo import helpdesk_demo_build
from helpdesk.models import (
    Case,
    CaseField,
    CaseType,
    Event,
    Interaction,
    Queue,
    RoutingAction,
    RoutingRule,
    SlaTarget,
    Topic,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_loads_twice_and_each_isp_has_its_helpdesk(client):
    # One load for everything here: the demo ISPs take minutes to build.
    assert demo_load(customers_per_tenant=12, seed=3).created
    assert not demo_load(customers_per_tenant=12, seed=3).created
    for spec in DEMO_TENANTS:
        with tenant_context(Tenant.objects.get(slug=spec.slug)):
            # "Awaria" → "Brak internetu" → "Po burzy", with its script.
            storm = Topic.objects.get(name="Po burzy")
            assert storm.level == 3 and storm.parent.name == "Brak internetu"
            assert storm.parent.parent.name == "Awaria"
            assert storm.scripts.get().body.startswith("<p>Po burzy")
            assert set(Queue.objects.values_list("name", flat=True)) >= {
                "Pierwsza linia", "Druga linia", "Technicy", "Rozliczenia", "Sprzedaż"}
            fault = CaseType.objects.get(name="Awaria")
            fields = {f.key: f.required for f in CaseField.objects.filter(case_type=fault)}
            assert fields == {"adres": True, "numer_seryjny_ont": False}
            assert SlaTarget.objects.filter(case_type=fault).count() == 3
            sales = RoutingRule.objects.get(action=RoutingAction.QUEUE_OR_CASE)
            assert sales.target_queue.name == sales.case_queue.name == "Sprzedaż"
            assert Interaction.objects.filter(customer__isnull=True).count() == 1
            assert Interaction.objects.filter(customer__isnull=False).count() == 8
            # The "Awaria" rule turned fault calls into cases in the second line.
            assert Case.objects.filter(queue__name="Druga linia", source="routing").exists()
            assert Case.objects.filter(status="waiting").exists()
            assert Event.objects.filter(customer__isnull=False).count() == 6
            visit = Event.objects.get(case__isnull=False)
            assert visit.customer_id == visit.case.customer_id
    _pages_show_the_demo(client)


def test_demo_builds_nothing_twice_in_one_tenant(tenant, staff, customer):
    with tenant_context(tenant):
        assert helpdesk_demo_build(admin=staff) == 2  # one customer's call + a zero client
        topics = Topic.objects.count()
        assert helpdesk_demo_build(admin=staff) == 0
        assert Topic.objects.count() == topics


def _url(name, **kwargs):
    try:
        return reverse(f"helpdesk:{name}", kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def _pages_show_the_demo(client):
    """The staff pages that exist show the demo's rows."""
    spec = DEMO_TENANTS[0]
    admin = User.objects.get(username=f"admin-{spec.slug}")
    client.force_login(admin)
    tenant = Tenant.objects.get(slug=spec.slug)
    with tenant_context(tenant):
        second = Queue.objects.get(name="Druga linia")
        case = Case.objects.filter(queue=second).first()
    session = client.session
    session["tenant_id"] = tenant.pk
    session.save()
    pages = [(_url("interaction_list"), "Pani Zofia z ul. Lipowej"),
             (_url("queue_detail", queue_id=second.pk), case.title)]
    shown = [(url, text) for url, text in pages if url]
    for url, text in shown:
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url
