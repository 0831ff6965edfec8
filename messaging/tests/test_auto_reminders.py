"""Payment reminders (messaging/reminders.py): who gets one on which day, by which channel,
never twice, and never to a customer who paid before the hand-over."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from core.models import ActionLog, Tenant
from core.tenancy import tenant_context
from customers import services as customer_services
from finance import services as finance_services
from finance.models import FinanceDocument
from messaging import reminders, services, tasks_auto
from messaging.models import Message, MessageTemplate, Purpose, ReminderSent, Status
from messaging.tests.fixtures_auto import AUTO_SENT


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def sms_reminders(auto_gateways, auto_settings):
    auto_settings(reminder_channels="sms", reminder_days_before=3, reminder_days_after=7)
    return auto_gateways


def run(capture, *, today=None, execute=True):
    with capture(execute=execute) as callbacks:
        plan = reminders.reminders_queue(today=today)
    return plan, callbacks


def test_reminder_before_the_due_date_reaches_the_customer_by_sms(
        sms_reminders, debtor, today, staff, django_capture_on_commit_callbacks):
    customer = debtor("Kowalski", due=today + timedelta(days=3), amount="120.50")

    run(django_capture_on_commit_callbacks)

    assert len(AUTO_SENT) == 1
    channel, recipient, _subject, text = AUTO_SENT[0]
    assert (channel, recipient) == ("sms", "+48600100200")
    assert "120,50 zł" in text and "Sieć Alfa" in text
    assert (today + timedelta(days=3)).strftime("%d.%m.%Y") in text
    message = Message.objects.get()
    assert message.purpose == Purpose.REMINDER and message.status == Status.SENT
    assert message.customer == customer and message.author is None
    entry = ActionLog.objects.get(kind="message.reminder", customer=customer)
    assert entry.actor_kind == ActionLog.ActorKind.SYSTEM
    assert entry.params["recipient"] == "+48600100200"


def test_the_stage_days_and_the_days_a_missed_run_would_have_covered(
        sms_reminders, debtor, today, django_capture_on_commit_callbacks):
    """before=3, after=7, CATCH_UP_DAYS=3: a run reminds of what is due in 3 days and of
    what yesterday's (or the day before's) run would have, but never sends a "before"
    reminder for a receivable already past due, nor goes further back."""
    assert reminders.CATCH_UP_DAYS == 3
    debtor("Cztery", due=today + timedelta(days=4), phone="600100202")  # too early
    debtor("Dwa", due=today + timedelta(days=2), phone="600100201")  # missed yesterday
    debtor("Dziś", due=today, phone="600100203")  # the last day: still "before"
    debtor("Wczoraj", due=today - timedelta(days=1), phone="600100205")  # neither
    debtor("Tydzień", due=today - timedelta(days=7), phone="600100204")
    debtor("Dziesięć", due=today - timedelta(days=10), phone="600100206")  # caught up
    debtor("Jedenaście", due=today - timedelta(days=11), phone="600100207")  # too late

    run(django_capture_on_commit_callbacks)

    sent = {r: t for _c, r, _s, t in AUTO_SENT}
    assert set(sent) == {"+48600100201", "+48600100203", "+48600100204", "+48600100206"}
    assert "przypominamy" in sent["+48600100201"] and "minął termin" in sent["+48600100206"]
    # each names its own due date
    assert (today - timedelta(days=10)).strftime("%d.%m.%Y") in sent["+48600100206"]


def test_a_day_without_a_run_is_caught_up_the_next_day_once(
        sms_reminders, debtor, today, django_capture_on_commit_callbacks):
    debtor("Kowalski", due=today + timedelta(days=3))
    # the run of today did not happen; tomorrow's run sends it, the day after nothing more
    run(django_capture_on_commit_callbacks, today=today + timedelta(days=1))
    run(django_capture_on_commit_callbacks, today=today + timedelta(days=2))

    assert len(AUTO_SENT) == 1 and ReminderSent.objects.count() == 1


def test_after_the_due_date_both_channels_name_the_open_invoices(
        auto_gateways, auto_settings, debtor, today, django_capture_on_commit_callbacks):
    auto_settings(reminder_channels="both", reminder_days_after=7)
    customer = debtor("Nowak", due=today - timedelta(days=7), amount="99.99",
                      email="jan.nowak@example.pl")
    note = FinanceDocument.objects.get(customer=customer)

    run(django_capture_on_commit_callbacks)

    by_channel = {c: (r, s, t) for c, r, s, t in AUTO_SENT}
    assert set(by_channel) == {"sms", "email"}
    recipient, subject, body = by_channel["email"]
    assert recipient == "jan.nowak@example.pl"
    assert subject == "Zaległa płatność – Sieć Alfa"
    assert "Dzień dobry Jan Nowak" in body and f"{note.number}: 99,99 zł" in body
    assert ReminderSent.objects.filter(receivable=note).count() == 2  # one per channel


def test_run_twice_gives_one_reminder(sms_reminders, debtor, today,
                                      django_capture_on_commit_callbacks):
    debtor("Kowalski", due=today + timedelta(days=3))

    run(django_capture_on_commit_callbacks)
    plan, _callbacks = run(django_capture_on_commit_callbacks)

    assert plan.reminders == []
    assert len(AUTO_SENT) == 1 and Message.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_queue_each_reminder_once(tenant, staff):
    """Two workers run the same tenant's reminders at the same moment (the beat's task
    delivered twice): the advisory lock makes the second wait and find them given."""
    from core.services import tenant_setting_set
    from messaging.models import Gateway

    today = timezone.localdate()
    AUTO_SENT.clear()
    with tenant_context(tenant):
        Gateway.objects.create(channel="sms", kind="autotest", dlr_secret="s")
        tenant_setting_set(actor=staff, key="messaging.reminder_channels", raw_value="sms")
        for i in range(5):
            customer = customer_services.customer_create(
                actor=staff, first_name="Jan", last_name=f"Równoległy{i}", status="connected")
            customer_services.phone_add(actor=staff, customer=customer,
                                        number=f"60010020{i}")
            finance_services.debit_note_issue(actor=staff, customer=customer,
                                              amount=Decimal("50.00"), title="Opłata",
                                              due_date=today + timedelta(days=3))
    barrier = threading.Barrier(2)
    counts, errors = [], []

    def worker():
        try:
            with tenant_context(Tenant.objects.get(pk=tenant.pk)):
                barrier.wait()
                counts.append(len(reminders.reminders_queue(today=today).reminders))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(counts) == [0, 5]
    with tenant_context(tenant):
        assert Message.objects.filter(purpose=Purpose.REMINDER).count() == 5
        assert ReminderSent.objects.count() == 5
    assert len(AUTO_SENT) == 5
    AUTO_SENT.clear()


def test_payment_booked_before_the_hand_over_cancels_the_reminder(
        sms_reminders, debtor, today, staff, django_capture_on_commit_callbacks):
    customer = debtor("Kowalski", due=today + timedelta(days=3), amount="120.00")
    _plan, callbacks = run(django_capture_on_commit_callbacks, execute=False)
    message = Message.objects.get()
    assert message.status == Status.QUEUED

    # The customer pays while the reminder waits for the worker.
    finance_services.bank_transfer_record(actor=staff, customer=customer,
                                          amount=Decimal("120.00"), booking_date=today,
                                          title="Wpłata")
    for callback in callbacks:
        callback()

    assert AUTO_SENT == []
    message.refresh_from_db()
    assert message.status == Status.CANCELLED
    assert message.status_reason == "Paid before the reminder was sent."
    assert list(message.events.values_list("status", flat=True)) == ["queued", "cancelled"]
    assert not message.retryable


def test_part_payment_still_sends_the_reminder(sms_reminders, debtor, today, staff,
                                               django_capture_on_commit_callbacks):
    customer = debtor("Kowalski", due=today + timedelta(days=3), amount="120.00")
    _plan, callbacks = run(django_capture_on_commit_callbacks, execute=False)
    finance_services.bank_transfer_record(actor=staff, customer=customer,
                                          amount=Decimal("20.00"), booking_date=today,
                                          title="Część")
    for callback in callbacks:
        callback()

    assert len(AUTO_SENT) == 1
    assert Message.objects.get().status == Status.SENT


def test_customer_in_credit_gets_no_reminder(sms_reminders, debtor, today, staff,
                                             django_capture_on_commit_callbacks):
    """An unlinked overpayment: the note is still open, but the customer owes nothing."""
    customer = debtor("Nadpłata", due=today + timedelta(days=3), amount="120.00")
    payment = finance_services.bank_transfer_record(actor=staff, customer=customer,
                                                    amount=Decimal("200.00"),
                                                    booking_date=today, title="Wpłata")
    finance_services.allocations_remove(actor=staff, document=payment)

    plan, _callbacks = run(django_capture_on_commit_callbacks)

    assert plan.reminders == [] and plan.in_credit == 1
    assert AUTO_SENT == [] and not Message.objects.exists()


def test_settled_and_zero_balance_customers_get_nothing(
        sms_reminders, debtor, today, staff, django_capture_on_commit_callbacks):
    customer = debtor("Zapłacone", due=today + timedelta(days=3), amount="120.00")
    finance_services.bank_transfer_record(actor=staff, customer=customer,
                                          amount=Decimal("120.00"), booking_date=today,
                                          title="Wpłata")

    plan, _callbacks = run(django_capture_on_commit_callbacks)

    assert plan.reminders == [] and plan.in_credit == 0
    assert AUTO_SENT == []


def test_customer_without_contact_is_skipped_and_counted(
        auto_gateways, auto_settings, debtor, today, django_capture_on_commit_callbacks):
    auto_settings(reminder_channels="email")
    debtor("Bezmaila", due=today + timedelta(days=3), phone="600100200", email=None)

    plan, _callbacks = run(django_capture_on_commit_callbacks)

    assert plan.reminders == [] and plan.no_contact == 1
    assert AUTO_SENT == []


def test_phone_not_for_notifications_is_not_used(sms_reminders, debtor, today, staff,
                                                 django_capture_on_commit_callbacks):
    customer = debtor("Cichy", due=today + timedelta(days=3), phone=None)
    customer_services.phone_add(actor=staff, customer=customer, number="600100299",
                                for_notifications=False)
    customer_services.phone_add(actor=staff, customer=customer, number="600100300")

    run(django_capture_on_commit_callbacks)

    assert [r for _c, r, _s, _t in AUTO_SENT] == ["+48600100300"]


@pytest.mark.parametrize("channels, before, after", [("none", 3, 7), ("sms", 0, 0)])
def test_reminders_switched_off_send_nothing(auto_gateways, auto_settings, debtor, today,
                                             channels, before, after,
                                             django_capture_on_commit_callbacks):
    auto_settings(reminder_channels=channels, reminder_days_before=before,
                  reminder_days_after=after)
    debtor("A", due=today + timedelta(days=3), phone="600100201")
    debtor("B", due=today - timedelta(days=7), phone="600100202")

    plan, _callbacks = run(django_capture_on_commit_callbacks)

    assert plan.reminders == [] and AUTO_SENT == []


@pytest.mark.parametrize("raw", ["-1", "61", "x", ""])
def test_days_setting_refuses_negative_and_wrong_values(auto_settings, raw):
    with pytest.raises(ValidationError):
        auto_settings(reminder_days_before=raw)


def test_far_dates_are_handled(sms_reminders, debtor, auto_settings,
                               django_capture_on_commit_callbacks):
    auto_settings(reminder_days_after=365)
    debtor("Przyszły", due=date(9999, 12, 28), phone="600100201")
    debtor("Dawny", due=date(1901, 1, 1), phone="600100202")

    far_future = date(9999, 12, 25)  # the "before" stage lands on the note's due date
    run(django_capture_on_commit_callbacks, today=far_future)
    run(django_capture_on_commit_callbacks, today=date(1902, 1, 1))

    assert sorted(r for _c, r, _s, _t in AUTO_SENT) == ["+48600100201", "+48600100202"]


def test_tenant_template_is_used_and_text_crosses_unescaped(
        sms_reminders, auto_settings, debtor, today, staff,
        django_capture_on_commit_callbacks):
    MessageTemplate.objects.create(channel="sms", name="Monit", body=(
        "{{ customer.name }}: dług {{ balance.debt }} zł, "
        "{% for i in invoices %}{{ i.number }} {% endfor %}konto {{ customer.account }}"))
    auto_settings(reminder_template_before="Monit")
    customer = debtor("O'Brien \\ \"Żółć\" <b>", due=today + timedelta(days=3),
                      amount="1234.56")

    run(django_capture_on_commit_callbacks)

    text = AUTO_SENT[0][3]
    assert text.startswith("Jan O'Brien \\ \"Żółć\" <b>: dług 1 234,56 zł, ")
    assert FinanceDocument.objects.get(customer=customer).number in text
    assert Message.objects.get().encoding == "UCS-2"  # Polish letters


def test_broken_tenant_template_queues_nothing(sms_reminders, auto_settings, debtor, today,
                                               django_capture_on_commit_callbacks):
    MessageTemplate.objects.create(channel="sms", name="Zły", body="{% for %}")
    auto_settings(reminder_template_before="Zły")
    debtor("Kowalski", due=today + timedelta(days=3))

    with pytest.raises(ValidationError):
        run(django_capture_on_commit_callbacks)
    assert not Message.objects.exists() and not ReminderSent.objects.exists()


def test_other_tenants_debtors_are_not_reminded(
        sms_reminders, debtor, today, other_tenant, django_capture_on_commit_callbacks):
    debtor("Nasz", due=today + timedelta(days=3), phone="600100201")
    from conftest import make_staff

    other = make_staff(other_tenant, "obcy")
    with tenant_context(other_tenant):
        stranger = customer_services.customer_create(actor=other, first_name="Obcy",
                                                     last_name="Klient", status="connected")
        customer_services.phone_add(actor=other, customer=stranger, number="600100299")
        finance_services.debit_note_issue(actor=other, customer=stranger,
                                          amount=Decimal("10.00"), title="Opłata",
                                          due_date=today + timedelta(days=3))

    run(django_capture_on_commit_callbacks)

    assert [r for _c, r, _s, _t in AUTO_SENT] == ["+48600100201"]


def test_dry_run_writes_nothing(sms_reminders, debtor, today):
    debtor("Kowalski", due=today + timedelta(days=3))

    plan = reminders.reminders_due(today=today)

    assert plan.count("before", "sms") == 1
    assert not Message.objects.exists() and not ReminderSent.objects.exists()


def test_reminder_run_query_count(sms_reminders, debtor, today, django_assert_num_queries,
                                  django_capture_on_commit_callbacks):
    for i in range(3):
        debtor(f"Klient{i}", due=today + timedelta(days=3), phone=f"60010020{i}")
    # three settings (channels, days before, days after); the "before" stage's receivables
    # and those reminded already; the "after" stage's receivables (none: no second query);
    # the balances; the phones
    with django_assert_num_queries(8):
        plan = reminders.reminders_due(today=today)
    assert len(plan.reminders) == 3


def test_daily_beat_task_reminds_every_tenant(
        sms_reminders, debtor, today, other_tenant, settings,
        django_capture_on_commit_callbacks):
    debtor("Nasz", due=today + timedelta(days=3), phone="600100201")

    with django_capture_on_commit_callbacks(execute=True):
        tasks_auto.reminders_run_daily()

    assert [r for _c, r, _s, _t in AUTO_SENT] == ["+48600100201"]
    assert settings.CELERY_BEAT_SCHEDULE["messaging-reminders-daily"]["task"] == \
        "messaging.tasks_auto.reminders_run_daily"


def test_cancelled_reminder_is_not_sent_again(sms_reminders, debtor, today, staff,
                                              django_capture_on_commit_callbacks):
    customer = debtor("Kowalski", due=today + timedelta(days=3))
    _plan, callbacks = run(django_capture_on_commit_callbacks, execute=False)
    finance_services.bank_transfer_record(actor=staff, customer=customer,
                                          amount=Decimal("120.00"), booking_date=today,
                                          title="Wpłata")
    for callback in callbacks:
        callback()
    message = Message.objects.get()

    with pytest.raises(ValidationError):
        services.message_retry(message=message, actor=staff)


# --------------------------------------------------------------------------- the page

def test_page_shows_the_dry_run_and_sends_on_post(
        staff_client, sms_reminders, debtor, today, django_capture_on_commit_callbacks):
    debtor("Kowalski", due=today + timedelta(days=3), phone="600100201")
    debtor("Bez", due=today + timedelta(days=3), phone=None)
    url = reverse("messaging:reminders")

    html = staff_client.get(url).content.decode()
    assert "SMS: <strong>1</strong>" in html
    assert "1 customer has no phone or e-mail address" in html
    assert not Message.objects.exists()  # the dry run wrote nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, follow=True)
    assert "1 payment reminder queued." in response.content.decode()
    assert len(AUTO_SENT) == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, follow=True)
    assert "0 payment reminders queued." in response.content.decode()
    assert len(AUTO_SENT) == 1


def test_page_says_when_reminders_are_off(staff_client, auto_gateways, in_tenant):
    html = staff_client.get(reverse("messaging:reminders")).content.decode()
    assert 'id="reminders-off"' in html and 'id="reminders-run"' not in html


def test_page_needs_the_bulk_send_permission(client, tenant, in_tenant):
    from conftest import make_staff
    from core.roles import Role

    client.force_login(make_staff(tenant, "technik", role=Role.TECHNICIAN))
    assert client.get(reverse("messaging:reminders")).status_code == 403
    assert client.post(reverse("messaging:reminders")).status_code == 403
