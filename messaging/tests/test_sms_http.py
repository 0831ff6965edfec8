"""SMS through a Polish SMS provider's HTTP API (a remote service: a fake that follows its
published shape runs on loopback, fixtures_sms.FakeSmsProvider): the request it gets,
its refusals and hiccups, and its status callbacks changing the message's status."""

import pytest

from messaging import services
from messaging.gateways.http_sms import callback_reports
from messaging.models import Gateway, Message, MessageAttempt, MessageEvent, Status

from .fixtures_sms import free_port, wait_until

PUBLIC = "http://abonent.example:8080"
TEXT = 'Zażółć gęślą jaźń "cytat" 100% & a\\b\nnowa linia 😀 &to=1'


@pytest.fixture(autouse=True)
def public_url(reports_to):
    reports_to(PUBLIC)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    def queue(customer, body=TEXT, *, recipient="600 100 200") -> Message:
        with django_capture_on_commit_callbacks(execute=True):
            message = services.message_queue(customer=customer, channel="sms",
                                              recipient=recipient, body=body)
        message.refresh_from_db()
        return message

    return queue


def test_provider_gets_the_message_as_its_api_wants(customer, http_sms_gateway, sms_provider,
                                                    send):
    message = send(customer)
    (got,) = sms_provider.received
    attempt = message.attempts.get()
    assert got["to"] == "48600100200"
    assert got["message"] == TEXT
    assert got["from"] == "SiecAlfa"
    assert (got["encoding"], got["format"], got["check_idx"]) == ("utf-8", "json", "1")
    assert got["idx"] == str(attempt.key)
    assert got["notify_url"] == (f"{PUBLIC}/messaging/sms-status/{message.tenant_id}/"
                                 f"{attempt.key}/?s={http_sms_gateway.dlr_secret}")
    assert message.status == Status.SENT
    assert attempt.gateway_id == sms_provider.by_idx[str(attempt.key)]["id"]


def test_bad_token_fails_at_once_with_the_providers_answer(customer, http_sms_gateway, send):
    http_sms_gateway.password = "wrong-token"
    http_sms_gateway.save()
    message = send(customer)
    assert message.status == Status.FAILED
    assert message.status_reason == "401 101: Authorization failed"
    assert message.attempts.get().tries == 1


@pytest.mark.parametrize("token", ["tokeń", "tok\r\nX-Evil: 1", "tok\nen"])
def test_token_that_cannot_go_in_a_header_fails_with_a_clear_reason(
        customer, http_sms_gateway, sms_provider, send, token):
    http_sms_gateway.password = token
    http_sms_gateway.save()
    message = send(customer)
    assert message.status == Status.FAILED
    assert "printable ASCII" in message.status_reason
    assert sms_provider.received == []


def test_refused_number_fails_with_the_providers_message(customer, http_sms_gateway,
                                                         sms_provider, send):
    sms_provider.script["48600100200"] = [(200, {"error": 13,
                                                 "message": "No correct phone numbers"})]
    message = send(customer)
    assert (message.status, message.status_reason) == (
        Status.FAILED, "200 13: No correct phone numbers")


@pytest.mark.parametrize("hiccup", [
    (200, {"error": 203, "message": "Too many requests"}),
    (200, {"error": "201", "message": "System internal error"}),
    (503, "<html>Service Unavailable</html>"),
    (429, "slow down"),
])
def test_provider_hiccup_is_retried_and_sent_once(customer, http_sms_gateway, sms_provider,
                                                  send, hiccup):
    sms_provider.script["48600100200"] = [hiccup]
    message = send(customer)
    assert message.status == Status.SENT
    attempt = message.attempts.get()
    assert (attempt.tries, len(sms_provider.received), len(sms_provider.by_idx)) == (2, 2, 1)
    assert {r["idx"] for r in sms_provider.received} == {str(attempt.key)}


def test_lost_answer_then_retry_is_not_sent_twice(customer, http_sms_gateway, sms_provider,
                                                  send):
    sms_provider.script["48600100200"] = ["lost"]
    message = send(customer)
    assert len(sms_provider.received) == 2  # tried again with the same idx …
    assert len(sms_provider.by_idx) == 1  # … which the provider did not send again
    assert message.status == Status.SENT
    assert "53" in message.attempts.get().reply


def test_provider_unreachable_is_retried_within_bounds_then_fails(customer, http_sms_gateway,
                                                                  send, settings):
    settings.MESSAGING_MAX_TRIES = 2
    http_sms_gateway.url = f"http://127.0.0.1:{free_port()}/sms.do"
    http_sms_gateway.save()
    message = send(customer)
    assert message.status == Status.FAILED
    assert "did not answer" in message.status_reason
    assert message.attempts.get().tries == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_providers_status_callback_reaches_abonent(live_server, reports_to, customer,
                                                   http_sms_gateway, sms_provider, send,
                                                   method):
    reports_to(live_server.url)
    message = send(customer)
    key = str(message.attempts.get().key)
    assert sms_provider.callback(key, status="403", name="SENT", method=method) == (200, "OK")
    assert sms_provider.callback(key, status="404", name="DELIVERED",
                                 method=method) == (200, "OK")
    assert wait_until(lambda: Message.objects.get(pk=message.pk).status == Status.DELIVERED)
    assert message.events.filter(status=Status.DELIVERED, detail="DELIVERED").exists()


# --- the status callback, called as the provider calls it ------------------------------

@pytest.fixture
def sent(customer, http_sms_gateway, send):
    return send(customer, "Faktura 1/2026")


def callback(client, message, *, secret=None, attempt=None, tenant_id=None, **fields):
    attempt = attempt or message.attempts.order_by("-number").first()
    secret = secret if secret is not None else Gateway.objects.get(
        tenant_id=message.tenant_id, channel="sms").dlr_secret
    path = f"/messaging/sms-status/{tenant_id or message.tenant_id}/{attempt.key}/"
    return client.get(path, {"s": secret, "MsgId": attempt.gateway_id, **fields})


def status_of(message):
    message.refresh_from_db()
    return message.status, message.status_reason


@pytest.mark.parametrize(("fields", "status", "reason"), [
    ({"status": "404", "status_name": "DELIVERED"}, Status.DELIVERED, ""),
    ({"status": "405", "status_name": "UNDELIVERED"}, Status.UNDELIVERED, "UNDELIVERED"),
    ({"status": "402", "status_name": "EXPIRED"}, Status.EXPIRED, "EXPIRED"),
    ({"status": "407", "status_name": "REJECTED"}, Status.REJECTED, "REJECTED"),
    ({"status": "406", "status_name": "FAILED"}, Status.FAILED, "FAILED"),
    ({"status": "405"}, Status.UNDELIVERED, "UNDELIVERED"),  # the code alone
    ({"status_name": "delivered"}, Status.DELIVERED, ""),
    ({"status": "409", "status_name": "QUEUE"}, Status.SENT, ""),
    ({"status": "408", "status_name": "UNKNOWN"}, Status.SENT, ""),
    ({"status": "403,404", "status_name": "SENT,DELIVERED"}, Status.DELIVERED, ""),
])
def test_provider_statuses_map_to_message_statuses(client, sent, fields, status, reason):
    response = callback(client, sent, **fields)
    assert (response.status_code, response.content) == (200, b"OK")
    assert status_of(sent) == (status, reason)


def test_delivered_then_late_sent_stays_delivered(client, sent):
    callback(client, sent, status="404", status_name="DELIVERED")
    callback(client, sent, status="403", status_name="SENT")
    callback(client, sent, status="405", status_name="UNDELIVERED")
    assert status_of(sent)[0] == Status.DELIVERED


def test_callback_with_a_wrong_secret_or_another_tenant_changes_nothing(client, sent,
                                                                        other_tenant):
    from core.tenancy import tenant_context

    with tenant_context(other_tenant):
        Gateway.objects.create(channel="sms", kind="http_sms", url="http://127.0.0.1:1/",
                               dlr_secret="their-secret")
    events = MessageEvent.objects.count()
    assert callback(client, sent, secret="wrong", status="404").status_code == 403
    assert callback(client, sent, secret="", status="404").status_code == 403
    assert callback(client, sent, secret="their-secret", status="404").status_code == 403
    assert callback(client, sent, secret="their-secret", tenant_id=other_tenant.pk,
                    status="404").status_code == 404
    assert status_of(sent)[0] == Status.SENT
    assert MessageEvent.objects.count() == events


def test_callback_without_a_status_or_for_an_unknown_key_is_refused(client, sent):
    assert callback(client, sent).status_code == 400
    unknown = MessageAttempt(tenant_id=sent.tenant_id)
    assert callback(client, sent, attempt=unknown, status="404").status_code == 404


def test_callback_reports_parse_the_providers_fields():
    assert callback_reports({"MsgId": "A,B", "status": "404,405",
                             "status_name": "DELIVERED,UNDELIVERED"}) == [
        (Status.DELIVERED, "DELIVERED", "A"), (Status.UNDELIVERED, "UNDELIVERED", "B")]
    assert callback_reports({"status": "999"}) == [(None, "999", "")]
    assert callback_reports({}) == []
