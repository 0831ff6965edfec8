"""SMS through a real Kannel (bearerbox + smsbox, fakesmsc as the SMSC): what fakesmsc
receives is exactly what staff typed; Kannel's delivery reports reach Abonent and change
the status; Kannel down or refusing is recorded as the customer's history shows it."""

import threading
import urllib.request
import uuid

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from messaging import services
from messaging.gateways.kannel import KannelGateway, report_url
from messaging.kannel import reassemble
from messaging.models import Gateway, Message, MessageAttempt, MessageEvent, Status
from messaging.sms import is_gsm7, segments

from .fixtures_sms import free_port, wait_until


@pytest.fixture(autouse=True)
def reports_nowhere(reports_to):
    """Kannel's reports go to a closed port unless a test points them at Abonent."""
    reports_to(f"http://127.0.0.1:{free_port()}")


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Queue an SMS as the card does and run its hand-over (Celery runs eagerly)."""

    def queue(customer, body, *, recipient="+48 600 100 200", author=None) -> Message:
        with django_capture_on_commit_callbacks(execute=True):
            message = services.message_queue(customer=customer, channel="sms",
                                              recipient=recipient, body=body, author=author)
        message.refresh_from_db()
        return message

    return queue


@pytest.mark.parametrize("body", [
    'Zażółć gęślą jaźń: "cytat" 100% & a\\b <b>\'x\'</b>\nnowa linia 😀 ŁÓDŹ',
    'Faktura [1/2026] {x} ~ € ^ | \\ 100% & "q" \'s\' #@$\nline 2',
    "%d %A %s %% &text=x&to=1 + spacje",
])
def test_fakesmsc_receives_exactly_the_text(customer, kannel_gateway, send, kannel_sent,
                                            body):
    message = send(customer, body)
    assert message.status == Status.SENT
    (got,) = kannel_sent(1)
    assert got.receiver == "+48600100200"
    assert got.text == body
    # GSM-7 goes as text, anything else as UCS-2 — Kannel would turn "ą" into "?".
    assert got.kind == ("text" if message.encoding == "GSM-7" else "ucs-2")


def test_sender_name_is_the_gateways(customer, kannel_gateway, send, kannel_sent):
    kannel_gateway.from_address = "Sieć Alfa"
    kannel_gateway.save()
    send(customer, "Test")
    assert kannel_sent(1)[0].sender == "Sieć Alfa"


@pytest.mark.parametrize(("body", "encoding", "parts"), [
    ("Przypominamy o zaległej płatności za internet. " * 3, "UCS-2", 3),
    ("ą" * 70, "UCS-2", 1),
    ("ą" * 71, "UCS-2", 2),
    ("Platnosc " * 20, "GSM-7", 2),
    ("x" * 160, "GSM-7", 1),
    # An extension character is never split between parts: one septet of part 1 stays
    # empty and the text needs a third part (Kannel splits so; the count must agree).
    ("x" * 152 + "€" + "x" * 152, "GSM-7", 3),
    ("€" * 153, "GSM-7", 3),
    ("ą" * 66 + "😀" + "ą" * 66, "UCS-2", 2),
])
def test_long_text_arrives_in_the_counted_parts(customer, kannel_gateway, send, kannel_sent,
                                                body, encoding, parts):
    message = send(customer, body)
    assert (message.encoding, message.parts) == (encoding, parts)
    received = kannel_sent(parts)
    assert reassemble(received, ucs2=encoding == "UCS-2") == [body.strip()]
    assert len({r.concat[0] for r in received if r.concat}) == (1 if parts > 1 else 0)


def bulk(customer, count, django_capture_on_commit_callbacks) -> list[Message]:
    rows = [{"customer": customer, "channel": "sms", "recipient": f"+48 600 100 {200 + i}",
             "body": f"Saldo klienta {i}: -{i},00 zł"} for i in range(count)]
    with django_capture_on_commit_callbacks(execute=True):
        messages = services.message_bulk_queue(rows=rows)
    return list(Message.objects.filter(pk__in=[m.pk for m in messages]).order_by("pk"))


def test_a_batch_goes_in_parallel_and_each_number_gets_its_own_text(
        customer, kannel_gateway, kannel_sent, django_capture_on_commit_callbacks):
    messages = bulk(customer, 40, django_capture_on_commit_callbacks)
    assert {m.status for m in messages} == {Status.SENT}
    received = {r.receiver: r.text for r in kannel_sent(40)}
    assert received == {m.recipient: m.body for m in messages}
    keys = {str(m.attempts.get().key) for m in messages}
    assert len(keys) == 40


def test_a_batch_to_kannel_down_fails_every_message_with_the_reason(
        customer, kannel_gateway, settings, django_capture_on_commit_callbacks):
    settings.MESSAGING_MAX_TRIES = 1  # the batch's own try (on threads) is the last
    kannel_gateway.url = f"http://127.0.0.1:{free_port()}/cgi-bin/sendsms"
    kannel_gateway.save()
    messages = bulk(customer, 5, django_capture_on_commit_callbacks)
    assert {m.status for m in messages} == {Status.FAILED}
    # Read in the language of the one who sent them, from every thread of the batch.
    assert all(m.status_reason.startswith("Kannel did not answer") for m in messages)


@pytest.mark.parametrize(("text", "parts", "remaining"), [
    ("x" * 152 + "€" + "x" * 7, 2, 144),  # "€" does not fit the septet left in part 1
    ("x" * 151 + "€" + "x" * 8, 2, 145),  # it fits exactly
    ("x" * 152 + "€" + "x" * 152, 3, 152),
    ("€" * 80, 1, 0),
    ("€" * 81, 2, 143),  # 76 in part 1 (152 septets), 5 in part 2
])
def test_gsm7_parts_never_split_an_extension_character(text, parts, remaining):
    count = segments(text)
    assert (count.encoding, count.parts, count.remaining) == ("GSM-7", parts, remaining)


def test_kannel_down_is_retried_within_bounds_then_fails_with_the_reason(
        customer, kannel_gateway, send, settings):
    settings.MESSAGING_MAX_TRIES = 3
    kannel_gateway.url = f"http://127.0.0.1:{free_port()}/cgi-bin/sendsms"
    kannel_gateway.save()
    message = send(customer, "Awaria sieci")
    attempt = message.attempts.get()
    assert (attempt.tries, attempt.state) == (3, MessageAttempt.State.FAILED)
    assert message.status == Status.FAILED
    assert "Kannel did not answer" in message.status_reason
    assert "refused" in message.status_reason.lower()
    # Each temporary error is in the history, then the failure.
    assert list(message.events.values_list("status", flat=True)) == [
        "queued", "queued", "queued", "failed"]


def test_wrong_credentials_fail_at_once_with_kannels_answer(customer, kannel_gateway, send,
                                                            kannel):
    kannel_gateway.password = "wrong"
    kannel_gateway.save()
    before = kannel.received_count()
    message = send(customer, "Test")
    assert message.status == Status.FAILED
    assert message.status_reason == "403 Authorization failed for sendsms"
    assert message.attempts.get().tries == 1
    assert kannel.received_count() == before


def test_gateway_without_a_secret_gets_one_and_reports_are_accepted(
        customer, kannel_gateway, send, kannel_sent, client):
    Gateway.objects.filter(pk=kannel_gateway.pk).update(dlr_secret="")
    message = send(customer, "Test")
    kannel_sent(1)
    secret = Gateway.objects.get(pk=kannel_gateway.pk).dlr_secret
    assert len(secret) >= 32
    attempt = message.attempts.get()
    assert client.get(dlr_path(attempt, secret, type=1)).status_code == 200
    message.refresh_from_db()
    assert message.status == Status.DELIVERED


def dlr_path(attempt, secret, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return (f"/messaging/dlr/{attempt.tenant_id}/{attempt.key}/?s={secret}"
            + (f"&{query}" if query else ""))


@pytest.mark.django_db(transaction=True)
def test_kannels_delivery_reports_reach_abonent_and_change_the_status(
        live_server, reports_to, customer, kannel_gateway, send, kannel_sent):
    reports_to(live_server.url)
    message = send(customer, "Dzień dobry, przypominamy o płatności.")
    kannel_sent(1)
    assert wait_until(lambda: Message.objects.get(pk=message.pk).status == Status.DELIVERED)
    # Kannel sends "submitted to the SMSC" too, in its own time (maybe after "delivered").
    assert wait_until(lambda: message.events.filter(detail="DLR 8: ACK/").exists())
    events = list(message.events.order_by("pk").values_list("status", "detail"))
    assert events[0] == ("queued", "")
    assert ("delivered", "DLR 1:") in events
    assert ("sent", "DLR 8: ACK/") in events
    assert Message.objects.get(pk=message.pk).status == Status.DELIVERED  # never back
    attempt = message.attempts.get()
    assert attempt.gateway_id  # the SMSC's id (%F) from the delivered report


@pytest.mark.django_db(transaction=True)
def test_the_same_report_twice_at_once_delivers_once(live_server, reports_to, customer,
                                                     kannel_gateway, send):
    message = send(customer, "Test")  # reports go nowhere: the test sends them
    attempt = message.attempts.get()
    reports_to(live_server.url)
    url = report_url(kannel_gateway, attempt, "dlr_kannel") + "&type=1&answer=DELIVRD"
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(
        urllib.request.urlopen(url, timeout=10).status)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [200, 200]
    message.refresh_from_db()
    assert message.status == Status.DELIVERED
    assert message.events.filter(status=Status.DELIVERED).count() == 2  # both recorded
    assert message.events.filter(status=Status.SENT).count() == 1  # moved forward once


# --- the DLR endpoint, called as Kannel calls it ---------------------------------------

@pytest.fixture
def sent(customer, kannel_gateway, send, kannel_sent):
    message = send(customer, "Faktura 1/2026")
    kannel_sent(1)
    return message


def report(client, message, secret=None, attempt=None, **params):
    attempt = attempt or message.attempts.order_by("-number").first()
    gateway = Gateway.objects.get(tenant_id=message.tenant_id, channel="sms")
    return client.get(dlr_path(attempt, secret or gateway.dlr_secret, **params))


def status_of(message) -> tuple[str, str]:
    message.refresh_from_db()
    return message.status, message.status_reason


def test_undelivered_then_ponow_and_the_old_attempts_report_does_not_touch_the_new(
        client, sent, staff, send, kannel_sent, django_capture_on_commit_callbacks):
    assert report(client, sent, type=2, answer="NACK/absent").status_code == 200
    assert status_of(sent) == (Status.UNDELIVERED, "DLR 2: NACK/absent")
    first = sent.attempts.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.message_retry(message=sent, actor=staff)
    kannel_sent(1)  # sent again: a new attempt
    second = sent.attempts.get(number=2)
    assert second.key != first.key
    assert status_of(sent)[0] == Status.SENT
    assert report(client, sent, attempt=first, type=1).status_code == 200  # late, old
    assert status_of(sent)[0] == Status.SENT
    assert report(client, sent, attempt=second, type=1).status_code == 200
    assert status_of(sent) == (Status.DELIVERED, "")


@pytest.mark.parametrize(("dlr_type", "answer", "status", "reason"), [
    (1, "id:1 stat:DELIVRD", Status.DELIVERED, ""),
    (2, "id:1 stat:UNDELIV err:001", Status.UNDELIVERED, "DLR 2: id:1 stat:UNDELIV err:001"),
    (2, "id:1 stat:EXPIRED err:000", Status.EXPIRED, "DLR 2: id:1 stat:EXPIRED err:000"),
    (2, "id:1 stat:REJECTD", Status.REJECTED, "DLR 2: id:1 stat:REJECTD"),
    (16, "NACK/0x0000000b/Invalid Destination", Status.REJECTED,
     "DLR 16: NACK/0x0000000b/Invalid Destination"),
    (4, "buffered", Status.SENT, ""),
    (8, "ACK/", Status.SENT, ""),
])
def test_kannel_report_types_map_to_statuses(client, sent, dlr_type, answer, status, reason):
    assert report(client, sent, type=dlr_type, answer=answer).status_code == 200
    assert status_of(sent) == (status, reason)


def test_reports_out_of_order_and_twice_never_move_the_status_back(client, sent):
    for dlr_type in (1, 8, 4, 1, 2):
        assert report(client, sent, type=dlr_type).status_code == 200
    assert status_of(sent)[0] == Status.DELIVERED
    assert sent.events.filter(detail__startswith="DLR").count() == 5  # all in the history


def test_wrong_or_missing_secret_is_refused_and_changes_nothing(client, sent):
    events = MessageEvent.objects.count()
    assert report(client, sent, secret="x" * 43, type=1).status_code == 403
    attempt = sent.attempts.get()
    assert client.get(f"/messaging/dlr/{sent.tenant_id}/{attempt.key}/?type=1"
                      ).status_code == 403
    assert client.get(f"/messaging/dlr/{sent.tenant_id}/{attempt.key}/?s=&type=1"
                      ).status_code == 403
    assert status_of(sent)[0] == Status.SENT
    assert MessageEvent.objects.count() == events


def test_another_tenants_secret_or_tenant_id_never_reaches_the_message(
        client, sent, other_tenant):
    from core.tenancy import tenant_context

    with tenant_context(other_tenant):
        Gateway.objects.create(channel="sms", kind="kannel", url="http://127.0.0.1:1/",
                               dlr_secret="other-tenants-secret")
    attempt = sent.attempts.get()
    # Our tenant with their secret: refused.
    assert client.get(dlr_path(attempt, "other-tenants-secret", type=1)).status_code == 403
    # Their tenant and their (right) secret with our message's key: not theirs.
    path = f"/messaging/dlr/{other_tenant.pk}/{attempt.key}/?s=other-tenants-secret&type=1"
    assert client.get(path).status_code == 404
    # A tenant that does not exist.
    assert client.get(f"/messaging/dlr/999999/{attempt.key}/?s=x&type=1").status_code == 403
    assert status_of(sent)[0] == Status.SENT


def test_tenant_without_a_gateway_refuses_every_report(client, sent, other_tenant):
    attempt = sent.attempts.get()
    path = f"/messaging/dlr/{other_tenant.pk}/{attempt.key}/?s=&type=1"
    assert client.get(path).status_code == 403


def test_unknown_report_type_or_key_is_refused(client, sent):
    assert report(client, sent, type=3).status_code == 400
    assert report(client, sent, type="x").status_code == 400
    attempt = MessageAttempt(tenant_id=sent.tenant_id)  # a key never given out
    assert report(client, sent, attempt=attempt, type=1).status_code == 404
    assert client.get("/messaging/dlr/1/not-a-uuid/?s=x").status_code == 404
    assert status_of(sent)[0] == Status.SENT


def test_report_by_post_is_accepted_too(client, sent):
    gateway = Gateway.objects.get(channel="sms")
    attempt = sent.attempts.get()
    response = client.post(f"/messaging/dlr/{sent.tenant_id}/{attempt.key}/?s="
                           f"{gateway.dlr_secret}", {"type": "1", "answer": "ok"})
    assert response.status_code == 200
    assert status_of(sent)[0] == Status.DELIVERED


# Characters that cross into Kannel and back: GSM-7 and its extension table, Polish
# letters, quotes, URL and Kannel escapes, emoji, newlines.
GSM7 = "aZ09 @£$¥èéΔ_ÆßÉ!\"#%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà^{}\\[~]|€\n"
ALPHABET = GSM7 + "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ😀🇵🇱"


@hyp_settings(max_examples=60, deadline=None)
@given(text=st.text(alphabet=GSM7, min_size=1, max_size=400)
       | st.text(alphabet=ALPHABET, min_size=1, max_size=200))
def test_any_text_arrives_at_the_smsc_exactly(kannel, text):
    text = text.strip()  # as messaging.services stores a body
    if not text:
        return
    config = Gateway(tenant_id=1, kind="kannel", url=kannel.sendsms_url,
                     username=kannel.username, password=kannel.password, dlr_secret="s" * 43,
                     options={})
    message = Message(recipient="+48600100200", body=text)
    attempt = MessageAttempt(key=uuid.uuid4())
    start = kannel.received_count()
    assert KannelGateway(config).send(message, attempt).reply.startswith("202 0:")
    parts = segments(text).parts
    received = kannel.wait_received(start + parts)[start:]
    assert reassemble(received, ucs2=not is_gsm7(text)) == [text]
    assert len(received) == parts  # as counted for the customer's history
