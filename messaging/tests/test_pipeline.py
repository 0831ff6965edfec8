"""The hand-over every channel shares (messaging/services.py): queued first, sent after
commit, retried within bounds, never twice for one attempt, reports never move back.

The gateway here is scripted per recipient (a gateway is the network's edge; the real
SMTP server and Kannel are driven in test_email_* and test_sms_*)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from core.models import ActionLog
from core.tenancy import tenant_context
from messaging import gateways, services, sms
from messaging.gateways import Accepted, GatewayBase, PermanentError, TemporaryError
from messaging.models import Gateway, Message, MessageAttempt, Purpose, Status
from messaging.rendering import context_for, message_render

SENT: list[tuple[str, str, str]] = []  # (recipient, text, attempt key)
SCRIPT: dict[str, list] = {}  # recipient -> outcomes in order ("ok", "temp", "perm", "crash")


@gateways.register("script")
class ScriptedGateway(GatewayBase):
    def send(self, message, attempt):
        script = SCRIPT.get(message.recipient)
        outcome = script.pop(0) if script else "ok"
        if outcome == "temp":
            raise TemporaryError("451 4.3.0 try later")
        if outcome == "perm":
            raise PermanentError("550 5.1.1 no such user")
        if outcome == "crash":
            raise RuntimeError("gateway bug")
        SENT.append((message.recipient, message.text_to_send, str(attempt.key)))
        return Accepted(gateway_id=f"id-{attempt.number}", reply="250 OK")


@pytest.fixture(autouse=True)
def scripted(in_tenant, settings):
    settings.MESSAGING_MAX_TRIES = 3
    SENT.clear()
    SCRIPT.clear()
    for channel in ("sms", "email"):
        Gateway.objects.create(channel=channel, kind="script", dlr_secret="s")
    yield


def queue(customer, *, channel="sms", recipient="+48600100200", body="Dzień dobry",
          **kwargs):
    return services.message_queue(customer=customer, channel=channel, recipient=recipient,
                                  body=body, subject="Temat" if channel == "email" else "",
                                  send=False, **kwargs)


def test_message_is_sent_after_commit_and_its_history_says_so(
        customer, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = services.message_queue(customer=customer, channel="sms",
                                          recipient="600 100 200", body="Faktura 1/2026",
                                          author=staff)
    message.refresh_from_db()
    assert message.recipient == "+48600100200"  # stored as E.164
    assert message.status == Status.SENT and message.sent_at is not None
    assert [("+48600100200", "Faktura 1/2026", str(message.attempts.get().key))] == SENT
    assert list(message.events.values_list("status", flat=True)) == ["queued", "sent"]
    assert message.attempts.get().state == MessageAttempt.State.ACCEPTED
    assert ActionLog.objects.filter(kind="message.queue", customer=customer).exists()


def test_nothing_is_sent_when_the_transaction_rolls_back(customer,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queue(customer)
    assert len(callbacks) == 0  # send=False: the caller queues
    assert SENT == []


def test_temporary_error_is_retried_then_fails_with_the_reply(customer):
    message = queue(customer)
    SCRIPT[message.recipient] = ["temp", "temp", "temp"]
    again = services.message_send_run(ids=[message.pk])
    assert [pk for pk, _ in again] == [message.pk] and again[0][1] > 0
    assert services.message_send_run(ids=[message.pk])[0][1] > again[0][1]  # backoff grows
    assert services.message_send_run(ids=[message.pk]) == []  # third try: the bound
    message.refresh_from_db()
    attempt = message.attempts.get()  # one attempt, tried three times
    assert (attempt.tries, attempt.state) == (3, "failed")
    assert message.status == Status.FAILED and "451" in message.status_reason
    assert SENT == []


def test_temporary_error_then_success_sends_once(customer):
    message = queue(customer)
    SCRIPT[message.recipient] = ["temp", "ok"]
    services.message_send_run(ids=[message.pk])
    services.message_send_run(ids=[message.pk])
    message.refresh_from_db()
    assert message.status == Status.SENT and len(SENT) == 1
    assert message.attempts.count() == 1


def test_permanent_error_fails_and_ponow_is_a_new_attempt_with_a_new_key(customer, staff):
    message = queue(customer, channel="email", recipient="jan@example.com")
    SCRIPT["jan@example.com"] = ["perm"]
    services.message_send_run(ids=[message.pk])
    message.refresh_from_db()
    assert message.status == Status.FAILED and message.status_reason.startswith("550")
    assert message.retryable
    services.message_retry(message=message, actor=staff)
    services.message_send_run(ids=[message.pk])
    message.refresh_from_db()
    first, second = message.attempts.order_by("number")
    assert (first.number, second.number) == (1, 2) and first.key != second.key
    assert message.status == Status.SENT and SENT[0][2] == str(second.key)
    with pytest.raises(ValidationError):
        services.message_retry(message=message, actor=staff)  # sent: nothing to retry


def test_a_task_delivered_twice_sends_once(customer):
    message = queue(customer)
    services.message_send_run(ids=[message.pk])
    services.message_send_run(ids=[message.pk])
    assert len(SENT) == 1


def test_crashing_gateway_leaves_no_message_sending(customer):
    message = queue(customer)
    SCRIPT[message.recipient] = ["crash", "ok"]
    services.message_send_run(ids=[message.pk])
    assert message.attempts.get().state == MessageAttempt.State.TEMPORARY
    services.message_send_run(ids=[message.pk])
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_no_gateway_fails_with_a_reason(customer):
    Gateway.objects.filter(channel="sms").delete()
    message = queue(customer)
    services.message_send_run(ids=[message.pk])
    message.refresh_from_db()
    assert message.status == Status.FAILED and "gateway" in message.status_reason


def test_send_check_cancels_at_hand_over(customer):
    message = queue(customer, purpose=Purpose.REMINDER)

    def paid_meanwhile(messages):
        return {m.pk: "paid meanwhile" for m in messages}

    services.register_send_check(Purpose.REMINDER, paid_meanwhile)
    try:
        services.message_send_run(ids=[message.pk])
    finally:
        services._SEND_CHECKS[Purpose.REMINDER].remove(paid_meanwhile)
    message.refresh_from_db()
    assert (message.status, message.status_reason) == (Status.CANCELLED, "paid meanwhile")
    assert SENT == []


def test_reports_never_move_a_message_back_and_ignore_older_attempts(customer, staff):
    message = queue(customer)
    services.message_send_run(ids=[message.pk])
    first = message.attempts.get()
    services.message_report(attempt_key=first.key, status=Status.UNDELIVERED,
                            detail="absent subscriber")
    message.refresh_from_db()
    assert (message.status, message.status_reason) == ("undelivered", "absent subscriber")
    services.message_retry(message=message, actor=staff)
    services.message_send_run(ids=[message.pk])
    second = message.attempts.get(number=2)
    services.message_report(attempt_key=second.key, status=Status.DELIVERED)
    services.message_report(attempt_key=second.key, status=Status.SENT)  # late, out of order
    services.message_report(attempt_key=first.key, status=Status.EXPIRED)  # older attempt
    message.refresh_from_db()
    assert message.status == Status.DELIVERED and message.status_reason == ""
    assert message.events.filter(status="expired").exists()  # kept in the history


def test_report_for_another_tenants_attempt_changes_nothing(customer, other_tenant):
    message = queue(customer)
    services.message_send_run(ids=[message.pk])
    key = message.attempts.get().key
    with tenant_context(other_tenant):
        assert services.message_report(attempt_key=key, status=Status.DELIVERED) is None
    message.refresh_from_db()
    assert message.status == Status.SENT


@pytest.mark.parametrize("channel,recipient,body,field", [
    ("sms", "12", "x", "recipient"),
    ("sms", "+48600100200", "   ", "body"),
    ("sms", "+48600100200", "x" * 1601, "body"),
    ("email", "jan@example.com\r\nBcc: all@example.com", "x", "recipient"),
    ("email", "not-an-address", "x", "recipient"),
])
def test_bad_input_is_refused_and_nothing_is_written(customer, channel, recipient, body,
                                                     field):
    with pytest.raises(ValidationError) as error:
        services.message_queue(customer=customer, channel=channel, recipient=recipient,
                               body=body, subject="S", send=False)
    assert field in error.value.message_dict
    assert not Message.objects.exists()


def test_email_subject_header_injection_is_one_line(customer):
    message = services.message_queue(customer=customer, channel="email",
                                     recipient="jan@example.com", body="x",
                                     subject="Faktura\r\nBcc: all@example.com", send=False)
    assert "\n" not in message.subject and "\r" not in message.subject


def test_secret_text_is_sent_but_not_shown_and_cannot_be_retried(customer):
    message = queue(customer, body="Twój PIN: ******")
    Message.objects.filter(pk=message.pk).update(status=Status.QUEUED)
    message.body_secret = "Twój PIN: 482913"
    message.save(update_fields=["body_secret"])
    services.message_send_run(ids=[message.pk])
    assert SENT[0][1] == "Twój PIN: 482913"
    with connection.cursor() as cursor:
        cursor.execute("SELECT body_secret FROM messaging_message WHERE id = %s", [message.pk])
        assert "482913" not in cursor.fetchone()[0]  # encrypted at rest
    message.refresh_from_db()
    message.status = Status.FAILED
    assert not message.retryable


def test_sms_parts_are_counted_on_the_message(customer):
    message = queue(customer, body="ą" * 71)
    assert (message.encoding, message.parts) == ("UCS-2", 2)


@pytest.mark.parametrize("text,encoding,parts", [
    ("", "GSM-7", 0),
    ("a" * 160, "GSM-7", 1),
    ("a" * 161, "GSM-7", 2),
    ("a" * 306, "GSM-7", 2),
    ("a" * 307, "GSM-7", 3),
    ("€" * 80, "GSM-7", 1),  # extended: two septets each
    ("€" * 81, "GSM-7", 2),
    ("ł" * 70, "UCS-2", 1),
    ("ł" * 71, "UCS-2", 2),
    ("ł" * 134, "UCS-2", 2),
    ("ł" * 135, "UCS-2", 3),
    ("😀" * 35, "UCS-2", 1),  # outside the BMP: two units each
    ("😀" * 36, "UCS-2", 2),
])
def test_sms_segments_boundaries(text, encoding, parts):
    count = sms.segments(text)
    assert (count.encoding, count.parts) == (encoding, parts)


def test_templates_render_plain_text_for_this_customer_only(customer):
    rendered = message_render(subject="Saldo {{ customer.name }}",
                              body="A & B <{{ customer.number }}> {{ balance.amount }} zł",
                              context=context_for(customer))
    assert rendered.subject == "Saldo Jan Kowalski"
    assert rendered.body == f"A & B <{customer.number}> 0,00 zł"  # not HTML-escaped


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_the_same_message_send_it_once(tenant, staff):
    from customers.services import customer_create

    with tenant_context(tenant):
        SENT.clear()
        Gateway.objects.get_or_create(channel="sms", kind="script",
                                      defaults={"dlr_secret": "s"})
        customer = customer_create(actor=staff, first_name="Ewa", last_name="Nowak",
                                   pesel="44051401458", status="connected")
        message = queue(customer)
    barrier = threading.Barrier(2)

    def worker():
        with tenant_context(tenant):
            barrier.wait()
            services.message_send_run(ids=[message.pk])
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(SENT) == 1
    with tenant_context(tenant):
        assert Message.objects.get(pk=message.pk).attempts.count() == 1


def test_rate_limit_spreads_a_batch_over_seconds(in_tenant, monkeypatch):
    """``Gateway.rate_per_second``: 12 messages at 5/s need three one-second windows; at
    100/s none is waited for (the clock is simulated: the limiter's arithmetic is under
    test, not the machine's speed)."""
    clock = {"now": 1_000_000.0}
    monkeypatch.setattr(services.time, "time", lambda: clock["now"])
    monkeypatch.setattr(services.time, "sleep",
                        lambda seconds: clock.__setitem__("now", clock["now"] + seconds))
    config = Gateway.objects.get(channel="sms")
    config.rate_per_second = 5
    services._throttle(config, 12)
    assert int(clock["now"]) == 1_000_002  # windows 0, 1 and 2
    config.rate_per_second = 100
    clock["now"] = 2_000_000.0
    services._throttle(config, 12)
    assert clock["now"] == 2_000_000.0
