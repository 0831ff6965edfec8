"""Bulk sends (messaging/bulk.py): the audience, the preview for three, the dry run's
count, the cap, one send per form token, progress, and personalisation: no customer ever
receives another's data."""

import threading
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.models import ActionLog, TenantSetting
from core.tenancy import tenant_context
from customers import services as customer_services
from messaging import bulk, templates_admin
from messaging.models import BulkSend, Message, Purpose, Status

SMS_BODY = ("{{ customer.name }} nr {{ customer.number }}: saldo {{ balance.amount }}, "
            "konto {{ customer.account }}")


@pytest.fixture
def sms_template(in_tenant, staff):
    return templates_admin.message_template_create(actor=staff, channel="sms", name="Saldo",
                                                   body=SMS_BODY)


@pytest.fixture
def email_template(in_tenant, staff):
    return templates_admin.message_template_create(
        actor=staff, channel="email", name="Faktury", subject="Zaległość {{ customer.name }}",
        body="{% for i in invoices %}{{ i.number }}: {{ i.left }} zł\n{% endfor %}")


def phone(n: int) -> str:
    return f"+48600{n:06d}"


def start(staff, template, audience=None, **kwargs):
    return bulk.bulk_send_start(actor=staff, channel=template.channel, template=template,
                                audience=audience or bulk.audience_clean(), **kwargs)


def test_dry_run_counts_recipients_and_skips_those_without_a_phone(in_tenant, sms_template,
                                                                   bulk_customer):
    bulk_customer("Adamski", phone=phone(1))
    bulk_customer("Bielski", phone=phone(2))
    bulk_customer("Cichy")  # no phone: skipped
    bulk_customer("Dudek", email="dudek@example.com")  # an e-mail is no use for an SMS
    plan = bulk.bulk_plan(channel="sms", template=sms_template, audience=bulk.audience_clean())
    assert (plan.recipients, plan.skipped, plan.over_cap) == (2, 2, False)
    assert not BulkSend.objects.exists() and not Message.objects.exists()


def test_a_phone_not_for_notifications_is_not_used(in_tenant, staff, sms_template,
                                                   bulk_customer):
    quiet = bulk_customer("Cichy")
    customer_services.phone_add(actor=staff, customer=quiet, number=phone(3),
                                for_notifications=False)
    found = bulk.recipients_for(channel="sms", audience=bulk.audience_clean())
    assert (found.rows, found.skipped) == ([], 1)


def test_audience_filters_by_group_status_kind_and_debt(in_tenant, staff, sms_template,
                                                        bulk_customer):
    group = customer_services.group_create(actor=staff, name="Blok 7")
    a = bulk_customer("Adamski", phone=phone(1), group=group, debt="50")
    bulk_customer("Bielski", phone=phone(2), group=group)
    bulk_customer("Cichy", phone=phone(3), debt="20", status="suspended")
    b = bulk_customer("Dudek", phone=phone(4), debt="10", kind="company",
                      company_name="Dudek sp. z o.o.")

    def who(**kwargs):
        rows = bulk.recipients_for(channel="sms", audience=bulk.audience_clean(**kwargs)).rows
        return [pk for pk, _to in rows]

    assert who(group=group, debtors=True) == [a.pk]
    assert len(who(debtors=True)) == 3
    assert len(who(debtors=True, status="connected")) == 2
    assert who(kind="company") == [b.pk]
    assert len(who()) == 4
    with pytest.raises(ValidationError):
        bulk.audience_clean(status="no-such-status")


def test_preview_renders_three_recipients_each_with_their_own_data(in_tenant, sms_template,
                                                                   bulk_customer):
    people = [bulk_customer(name, phone=phone(i), debt=str(10 * i))
              for i, name in enumerate(["Adamski", "Bielski", "Cichy", "Dudek"], 1)]
    samples = bulk.bulk_preview(channel="sms", template=sms_template,
                                audience=bulk.audience_clean())
    assert [s.customer.pk for s in samples] == [p.pk for p in people[:3]]
    for i, sample in enumerate(samples, 1):
        assert sample.body.startswith(f"Jan {sample.customer.last_name} nr "
                                      f"{sample.customer.number}: saldo -{10 * i},00")
        assert sample.recipient == phone(i) and sample.segments.parts >= 1


def test_send_queues_one_message_per_recipient_and_logs_once(
        in_tenant, staff, sms_template, bulk_customer, bulk_gateways,
        django_capture_on_commit_callbacks):
    for i, name in enumerate(["Adamski", "Bielski", "Cichy"], 1):
        bulk_customer(name, phone=phone(i))
    bulk_customer("Dudek")  # skipped
    with django_capture_on_commit_callbacks(execute=True):
        sent = start(staff, sms_template)
    sent.refresh_from_db()
    assert (sent.total, sent.done, sent.skipped, sent.state) == (3, 3, 1, "done")
    assert sent.finished_at is not None
    messages = Message.objects.filter(bulk=sent)
    assert {m.purpose for m in messages} == {Purpose.BULK}
    assert {m.status for m in messages} == {Status.SENT}  # handed to the gateway
    assert sorted(r for _c, r, _s, _t in bulk_gateways) == [phone(1), phone(2), phone(3)]
    assert {m.template_id for m in messages} == {sms_template.pk}
    assert {m.author_id for m in messages} == {staff.pk}
    entry = ActionLog.objects.get(kind="bulk.send")
    assert "3 messages, 1 skipped" in entry.text and "Saldo" in entry.text
    assert not ActionLog.objects.filter(kind="message.queue").exists()  # one entry, not 3


def test_email_bulk_send_to_debtors_lists_each_ones_invoices(
        in_tenant, staff, email_template, bulk_customer, bulk_gateways,
        django_capture_on_commit_callbacks):
    bulk_customer("Adamski", email="a@example.com", debt="12.50")
    bulk_customer("Bielski", email="b@example.com")  # no debt: not a debtor
    with django_capture_on_commit_callbacks(execute=True):
        start(staff, email_template, bulk.audience_clean(debtors=True))
    [(channel, to, subject, text)] = bulk_gateways
    assert (channel, to, subject) == ("email", "a@example.com", "Zaległość Jan Adamski")
    assert text.endswith(": 12,50 zł")


def test_more_recipients_than_the_cap_is_refused_before_anything_is_queued(
        in_tenant, tenant, staff, sms_template, bulk_customer):
    for i in range(3):
        bulk_customer(f"Nowak{i}", phone=phone(i))
    TenantSetting.objects.create(tenant=tenant, key="messaging.bulk_cap", value=2)
    plan = bulk.bulk_plan(channel="sms", template=sms_template, audience=bulk.audience_clean())
    assert plan.over_cap and (plan.recipients, plan.cap) == (3, 2)
    with pytest.raises(ValidationError) as error:
        start(staff, sms_template)
    assert error.value.messages[0].startswith("3 recipients are more than the 2 messages")
    assert not BulkSend.objects.exists() and not Message.objects.exists()
    assert not ActionLog.objects.filter(kind="bulk.send").exists()
    TenantSetting.objects.filter(key="messaging.bulk_cap").update(value=3)
    assert start(staff, sms_template).total == 3  # at the cap: allowed


def test_nobody_to_send_to_is_refused(in_tenant, staff, sms_template, bulk_customer):
    bulk_customer("Cichy")
    with pytest.raises(ValidationError) as error:
        start(staff, sms_template)
    assert "nothing to send" in error.value.messages[0]


def test_template_of_another_channel_or_inactive_is_refused(in_tenant, staff, sms_template,
                                                            email_template, bulk_customer):
    bulk_customer("Adamski", phone=phone(1), email="a@example.com")
    with pytest.raises(ValidationError) as error:
        bulk.bulk_send_start(actor=staff, channel="email", template=sms_template,
                             audience=bulk.audience_clean())
    assert "is for SMS" in error.value.message_dict["template"][0]
    sms_template = templates_admin.message_template_update(actor=staff, template=sms_template,
                                                           is_active=False)
    with pytest.raises(ValidationError) as error:
        start(staff, sms_template)
    assert "inactive" in error.value.message_dict["template"][0]
    with pytest.raises(ValidationError):
        bulk.bulk_send_start(actor=staff, channel="notice", template=sms_template,
                             audience=bulk.audience_clean())


def test_same_token_twice_is_one_bulk_send(in_tenant, staff, sms_template, bulk_customer,
                                           django_capture_on_commit_callbacks):
    bulk_customer("Adamski", phone=phone(1))
    token = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        first = start(staff, sms_template, request_token=token)
        second = start(staff, sms_template, request_token=token)
    assert first.pk == second.pk
    assert Message.objects.count() == 1
    assert ActionLog.objects.filter(kind="bulk.send").count() == 1
    third = start(staff, sms_template, request_token=uuid.uuid4())  # a new form: a new send
    assert third.pk != first.pk


@pytest.mark.django_db(transaction=True)
def test_double_click_at_the_same_moment_is_one_bulk_send(tenant, staff, bulk_gateways):
    with tenant_context(tenant):
        template = templates_admin.message_template_create(actor=staff, channel="sms",
                                                           name="Saldo", body=SMS_BODY)
        for i in range(5):
            c = customer_services.customer_create(actor=staff, last_name=f"Nowak{i}")
            customer_services.phone_add(actor=staff, customer=c, number=phone(i))
    token = uuid.uuid4()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def click():
        try:
            with tenant_context(tenant):
                barrier.wait()
                results.append(start(staff, template, request_token=token).pk)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(set(results)) == 1
    assert BulkSend.all_tenants.count() == 1
    assert Message.all_tenants.count() == 5
    assert ActionLog.all_tenants.filter(kind="bulk.send").count() == 1
    assert sorted(r for _c, r, _s, _t in bulk_gateways) == [phone(i) for i in range(5)]


def test_run_delivered_twice_queues_nobody_twice(in_tenant, staff, sms_template,
                                                 bulk_customer, monkeypatch):
    for i in range(7):
        bulk_customer(f"Nowak{i}", phone=phone(i))
    monkeypatch.setattr(bulk, "BATCH", 3)
    sent = start(staff, sms_template)  # the task waits for the commit: run it by hand
    bulk.bulk_send_run(bulk_id=sent.pk)
    BulkSend.objects.filter(pk=sent.pk).update(state="running")  # as if it ran again
    again = bulk.bulk_send_run(bulk_id=sent.pk)
    assert Message.objects.filter(bulk=sent).count() == 7
    assert (again.done, again.total, again.state) == (7, 7, "done")


def test_progress_is_counted_per_batch(in_tenant, staff, sms_template, bulk_customer,
                                       monkeypatch):
    for i in range(5):
        bulk_customer(f"Nowak{i}", phone=phone(i))
    monkeypatch.setattr(bulk, "BATCH", 2)
    seen = []
    original = bulk._batch_run

    def watch(*args):
        result = original(*args)
        seen.append((result.done, result.total))
        return result

    monkeypatch.setattr(bulk, "_batch_run", watch)
    sent = start(staff, sms_template)
    bulk.bulk_send_run(bulk_id=sent.pk)
    assert seen == [(2, 5), (4, 5), (5, 5)]


def test_recipient_whose_text_is_refused_is_skipped_and_named(in_tenant, staff, bulk_customer):
    template = templates_admin.message_template_create(
        actor=staff, channel="sms", name="Długi",
        body="{% if customer.last_name == 'Długi' %}{{ customer.account|ljust:1000 }}"
             "{{ customer.account|ljust:1000 }}{% endif %}{{ customer.name }}")
    bulk_customer("Adamski", phone=phone(1))
    long_one = bulk_customer("Długi", phone=phone(2))
    sent = start(staff, template)
    sent = bulk.bulk_send_run(bulk_id=sent.pk)
    assert (sent.done, sent.skipped, sent.state) == (1, 1, "done")
    assert sent.error.startswith(f"{long_one.number}: ")
    assert "longer than 1600" in sent.error


def test_customer_who_left_the_group_since_is_not_sent_to(in_tenant, staff, sms_template,
                                                          bulk_customer):
    group = customer_services.group_create(actor=staff, name="Blok 7")
    stays = bulk_customer("Adamski", phone=phone(1), group=group)
    leaves = bulk_customer("Bielski", phone=phone(2), group=group)
    sent = start(staff, sms_template, bulk.audience_clean(group=group))
    customer_services.customer_group_remove(actor=staff,
                                            membership=leaves.group_memberships.get())
    sent = bulk.bulk_send_run(bulk_id=sent.pk)
    assert list(Message.objects.values_list("customer_id", flat=True)) == [stays.pk]
    assert (sent.total, sent.done) == (1, 1)


def test_group_deleted_before_the_run_fails_the_send_with_the_reason(
        in_tenant, staff, sms_template, bulk_customer):
    group = customer_services.group_create(actor=staff, name="Blok 7")
    bulk_customer("Adamski", phone=phone(1), group=group)
    sent = start(staff, sms_template, bulk.audience_clean(group=group))
    group.delete()
    sent = bulk.bulk_send_run(bulk_id=sent.pk)
    assert sent.state == "failed" and "no longer exists" in sent.error
    assert not Message.objects.exists()


# --------------------------------------------------------------------------- personalisation

def _distinct_customers(bulk_customer, count: int):
    """Customers whose names, numbers, accounts and balances differ, none a prefix of
    another's (Nowak1 / Nowak10 would hide a leak in a substring check)."""
    people = []
    for i in range(count):
        people.append(bulk_customer(f"Nazwisko{i:03d}x", first_name=f"Imię{i:03d}x",
                                    phone=phone(i), email=f"k{i:03d}@example.com",
                                    debt=Decimal(100 + i) + Decimal("0.37")))
    return people


def _assert_personal(messages, people):
    from messaging.rendering import contexts_for

    contexts = contexts_for(people, tenant=people[0].tenant)
    marks = {p.pk: (p.first_name + " " + p.last_name, contexts[p.pk]["customer"]["account"],
                    contexts[p.pk]["balance"]["amount"]) for p in people}
    assert len(messages) == len(people)
    for message in messages:
        text = message.subject + "\n" + message.body
        for pk, values in marks.items():
            for value in values:
                if pk == message.customer_id:
                    assert value in text, (message.customer_id, value)
                else:
                    assert value not in text, (message.customer_id, "got", pk, value)


def test_fifty_customers_each_get_only_their_own_data(
        in_tenant, staff, bulk_customer, monkeypatch, bulk_gateways,
        django_capture_on_commit_callbacks):
    template = templates_admin.message_template_create(
        actor=staff, channel="email", name="Dane", subject="Dla {{ customer.name }}",
        body="Konto {{ customer.account }}, saldo {{ balance.amount }}, nr {{ customer.number }}"
             "{% for i in invoices %}, {{ i.number }} {{ i.left }}{% endfor %}")
    people = _distinct_customers(bulk_customer, 50)
    monkeypatch.setattr(bulk, "BATCH", 7)  # batches that split the customers unevenly
    with django_capture_on_commit_callbacks(execute=True):
        start(staff, template)
    messages = list(Message.objects.order_by("?"))
    _assert_personal(messages, people)
    by_customer = {m.customer_id: m for m in messages}
    for person in people:  # addressed to the customer whose data it holds
        assert by_customer[person.pk].recipient == \
            person.emails.get().address
    assert len(bulk_gateways) == 50


NAME = st.text(alphabet="abcćdęłńóśźżŁŚŻ'\"\\{}% &<>", min_size=1, max_size=12).map(str.strip) \
    .filter(bool)


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(NAME, min_size=2, max_size=6, unique=True),
       batch=st.integers(min_value=1, max_value=7))
def test_each_message_is_its_own_customers_rendering_for_any_batch(
        in_tenant, staff, bulk_customer, sms_template, names, batch):
    """Whatever the batch size and the names (quotes, backslashes, braces, Polish letters),
    each queued text equals the template rendered for that customer alone."""
    from messaging.rendering import context_for, message_render

    group = customer_services.group_create(actor=staff, name=f"G{uuid.uuid4().hex[:8]}")
    people = [bulk_customer(name, phone=phone(Message.objects.count() * 10 + i),
                            debt=str(i + 1), group=group) for i, name in enumerate(names)]
    bulk.BATCH, saved = batch, bulk.BATCH
    try:
        sent = start(staff, sms_template, bulk.audience_clean(group=group))
        bulk.bulk_send_run(bulk_id=sent.pk)
    finally:
        bulk.BATCH = saved
    messages = {m.customer_id: m for m in Message.objects.filter(bulk=sent)}
    assert set(messages) == {p.pk for p in people}
    for person in people:
        expected = message_render(subject="", body=SMS_BODY, context=context_for(person))
        assert messages[person.pk].body == expected.body
