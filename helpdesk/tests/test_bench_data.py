"""The helpdesk benchmark's generator (bench/helpdesk.py) writes data the product accepts:
the same shapes the services write, so the figures measure real pages on real rows."""

import datetime as dt

import pytest
from django.utils import timezone

from bench import helpdesk as bench
from core.tenancy import tenant_context
from customers.models import Customer
from helpdesk.models import OPEN_STATUSES, Case, Interaction, Topic
from helpdesk.services.cases import case_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(tenant, other_tenant, staff):
    """30 customers (the service; the bench's COPY needs the superuser), then 3,000
    interactions and 600 cases of ``tenant`` by the generator."""
    from customers.services import customer_create, phone_add

    with tenant_context(tenant):
        for n in range(30):
            customer = customer_create(actor=staff, first_name="Jan", last_name=f"Nowak{n}",
                                       status="connected")
            phone_add(actor=staff, customer=customer, number=f"+48601000{n:03d}")
    _staff, agents = bench.bench_users(tenant)
    cfg = bench.configure(tenant, agents)
    with tenant_context(tenant):
        bench.interactions_seed(tenant, cfg, agents, 3000, seed=0.5)
        bench.cases_seed(tenant, cfg, agents, 600, seed=0.6)
    return {"tenant": tenant, "cfg": cfg, "agents": agents, "staff": staff}


def test_the_topic_tree_has_sixty_nodes_in_three_levels(seeded):
    with tenant_context(seeded["tenant"]):
        topics = list(Topic.objects.all())
        assert len(topics) == 60
        assert {t.level for t in topics} == {1, 2, 3}
        by_id = {t.pk: t for t in topics}
        for topic in topics:  # the path is the ids from the root, as the TOK part keeps it
            parent_path = by_id[topic.parent_id].path if topic.parent_id else ""
            assert topic.path == f"{parent_path}{topic.pk}/"


def test_interactions_look_like_a_call_centre(seeded):
    with tenant_context(seeded["tenant"]):
        rows = Interaction.objects.all()
        assert rows.count() == 3000
        zero = rows.filter(customer__isnull=True)
        assert 200 < zero.count() < 400  # ~10 % zero clients
        assert not zero.filter(caller_name="", number="").exists()
        calls = rows.filter(channel="phone")
        assert 1800 < calls.count() < 2400
        for row in calls[:200]:
            assert row.call_arrived_at <= row.call_answered_at <= row.call_ended_at
            assert row.call_ended_at <= row.created_at
            assert row.duration_seconds == (row.call_ended_at
                                            - row.call_answered_at).total_seconds()
            local = timezone.localtime(row.call_arrived_at)
            assert 7 <= local.hour < 20
        assert not calls.filter(call_arrived_at__isnull=True).exists()
        assert not rows.exclude(channel="phone").filter(call_arrived_at__isnull=False).exists()
        oldest = rows.order_by("created_at").first().created_at
        assert timezone.now() - oldest > dt.timedelta(days=600)
        assert rows.values("agent").distinct().count() == bench.AGENTS
        assert rows.values("topic").distinct().count() > 40
        # Customers' calls come from the customer's own number.
        one = rows.filter(customer__isnull=False).select_related("customer").first()
        assert one.number in one.customer.search_text.replace(" ", "") or \
            one.number[3:] in one.customer.search_text


def test_cases_are_numbered_in_time_order_and_mostly_closed(seeded):
    with tenant_context(seeded["tenant"]):
        cases = list(Case.objects.order_by("number"))
        assert [c.number for c in cases] == list(range(1, 601))
        assert all(a.created_at <= b.created_at for a, b in zip(cases, cases[1:], strict=False))
        open_ = [c for c in cases if c.status in OPEN_STATUSES]
        assert 50 < len(open_) < 140  # ~15 %
        recent = timezone.now() - dt.timedelta(days=61)
        assert all(c.created_at > recent for c in open_)
        assert all(c.owner_id is None for c in cases if c.status == "new")
        assert all(c.closed_at is not None for c in cases if c.status == "closed")
        assert {c.queue_id for c in cases} == set(seeded["cfg"]["queues"])


def test_a_case_created_after_the_seed_takes_the_next_number(seeded):
    """The generator moves the tenant's number series past its cases."""
    with tenant_context(seeded["tenant"]):
        case_type = Case.objects.first().case_type
        case = case_create(actor=seeded["staff"], case_type=case_type,
                           title='Nowe "zgłoszenie" 100% \\ <script>',
                           customer=Customer.objects.first())
        assert case.number == 601


def test_the_other_tenant_sees_none_of_it(seeded, other_tenant):
    with tenant_context(other_tenant):
        assert not Interaction.objects.exists()
        assert not Case.objects.exists()
        assert not Topic.objects.exists()


def test_a_column_the_generator_does_not_know_stops_it(tenant):
    with pytest.raises(SystemExit, match="no such columns"):
        bench.insert_select(Interaction, {"tenant_id": "1", "no_such_column": "1"},
                            "generate_series(1, 1)")
    # A NOT NULL column without a default (another part's new field) is named.
    with pytest.raises(SystemExit, match="topic_id has no value"):
        bench.insert_select(Interaction, {"tenant_id": "1"}, "generate_series(1, 1)")
