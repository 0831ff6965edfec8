"""E-mail through a real SMTP server on loopback (aiosmtpd, ``messaging.smtpd``): what the
recipient's server receives, and what Abonent records when the server says no."""

import io
import threading
from email.utils import parseaddr

import pytest
from django.db import connection
from pypdf import PdfReader, PdfWriter

from core.models import Tenant
from core.tenancy import tenant_context
from messaging import services, tasks
from messaging.gateways import PermanentError
from messaging.gateways.smtp import SmtpGateway
from messaging.models import Gateway, Message, MessageAttempt, Status
from messaging.smtpd import smtpd_start
from messaging.tests.fixtures_email import SMTP_PASSWORD, SMTP_USER

POLISH_SUBJECT = "Faktura za grudzień — zażółć gęślą jaźń"
BODY = ("Dzień dobry,\n\nw załączniku faktura.\n.\nFrom the ISP: \"cytat\" \\ ścieżka\n"
        "..kropki\n\nPozdrawiamy")


def pdf_bytes(text: str = "Faktura FV/2026/12/1") -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Title": text})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def queue(customer, recipient="jan.kowalski@example.com", *, subject="Faktura", body=BODY,
          **kwargs):
    return services.message_queue(customer=customer, channel="email", recipient=recipient,
                                  subject=subject, body=body, send=False, **kwargs)


def send(*messages):
    return services.message_send_run(ids=[m.pk for m in messages])


def refreshed(message) -> Message:
    return Message.objects.get(pk=message.pk)


def test_received_e_mail_has_polish_subject_tenant_sender_exact_body_and_the_pdf(
        customer, staff, smtp_gateway, smtp_server, django_capture_on_commit_callbacks):
    pdf = pdf_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        message = services.message_queue(
            customer=customer, channel="email", recipient="jan.kowalski@example.com",
            subject=POLISH_SUBJECT, body=BODY, author=staff,
            attachments=[services.Attachment("FV_2026_12_1.pdf", pdf)])
    [received] = smtp_server.messages
    attempt = message.attempts.get()
    assert received["Subject"] == POLISH_SUBJECT
    assert received["From"].addresses[0].display_name == "Sieć Alfa"
    assert received["From"].addresses[0].addr_spec == "faktury@alfa.example"
    assert received["To"] == "jan.kowalski@example.com"
    assert received["Message-ID"] == f"<{attempt.key}@alfa.example>"
    assert smtp_server.received[0].rcpt_tos == ("jan.kowalski@example.com",)
    # SMTP carries lines ending in CRLF; the text is otherwise exactly the one sent.
    assert received.get_body(("plain",)).get_content().replace("\r\n", "\n") == BODY
    [part] = list(received.iter_attachments())
    assert part.get_filename() == "FV_2026_12_1.pdf"
    assert part.get_content_type() == "application/pdf"
    assert part.get_content() == pdf
    assert PdfReader(io.BytesIO(part.get_content())).metadata.title == "Faktura FV/2026/12/1"
    message = refreshed(message)
    assert message.status == Status.SENT
    # "Podgląd wiadomości": exactly the bytes the server got.
    assert bytes(message.raw) == smtp_server.received[0].data
    assert attempt.gateway_id == received["Message-ID"]


def test_the_password_is_encrypted_at_rest_and_logs_in(customer, smtp_gateway, smtp_server):
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM messaging_gateway WHERE id = %s",
                       [smtp_gateway.pk])
        stored = cursor.fetchone()[0]
    assert "word" not in stored and smtp_gateway.password not in stored
    send(queue(customer))
    assert smtp_server.count == 1  # the server requires AUTH: the login worked


def test_wrong_password_fails_with_the_servers_reply(customer, smtp_gateway, smtp_server):
    smtp_gateway.password = "wrong"
    smtp_gateway.save()
    message = queue(customer)
    send(message)
    message = refreshed(message)
    assert message.status == Status.FAILED and message.status_reason.startswith("535")
    assert smtp_server.count == 0


def test_permanent_550_is_recorded_with_its_reply(customer, smtp_gateway, smtp_server):
    smtp_server.fail["nikt@example.com"] = "550 5.1.1 <nikt@example.com>: no such user"
    message = queue(customer, "nikt@example.com")
    assert send(message) == []  # not tried again
    message = refreshed(message)
    assert message.status == Status.FAILED
    assert message.status_reason == "550 5.1.1 <nikt@example.com>: no such user"
    attempt = message.attempts.get()
    assert attempt.state == MessageAttempt.State.FAILED and attempt.reply.startswith("550")
    assert message.retryable and smtp_server.count == 0


def test_temporary_451_is_retried_with_growing_backoff_then_delivered_once(
        customer, smtp_gateway, smtp_server):
    smtp_server.fail_data["jan.kowalski@example.com"] = ["451 4.3.0 Try again later"] * 2
    message = queue(customer)
    [(pk, first)] = send(message)
    assert pk == message.pk and first > 0
    assert refreshed(message).status == Status.QUEUED
    [(_pk, second)] = send(message)
    assert second > first
    assert send(message) == []
    message = refreshed(message)
    assert message.status == Status.SENT and smtp_server.count == 1
    attempt = message.attempts.get()  # one attempt, three hand-overs
    assert attempt.tries == 3
    assert [e.detail for e in message.events.all() if e.status == "queued"][1:] == [
        "451 4.3.0 Try again later"] * 2


def test_temporary_421_through_the_task_is_bounded_then_failed_with_the_reply(
        customer, smtp_gateway, smtp_server, settings, tenant):
    settings.MESSAGING_MAX_TRIES = 3
    smtp_server.fail["jan.kowalski@example.com"] = "421 4.7.0 Too many connections"
    message = queue(customer)
    tasks.message_send.delay(tenant.pk, message.pk)  # eager: its retries run at once
    message = refreshed(message)
    assert message.status == Status.FAILED
    assert message.status_reason == "421 4.7.0 Too many connections"
    assert message.attempts.get().tries == 3 and smtp_server.count == 0


def test_server_down_is_a_temporary_error(customer, smtp_gateway, smtp_server):
    Gateway.objects.filter(pk=smtp_gateway.pk).update(port=1)  # nothing listens there
    message = queue(customer)
    [(pk, countdown)] = send(message)
    assert pk == message.pk and countdown > 0
    attempt = refreshed(message).attempts.get()
    assert attempt.state == MessageAttempt.State.TEMPORARY
    assert "unreachable" in attempt.reply
    Gateway.objects.filter(pk=smtp_gateway.pk).update(port=smtp_server.port)
    send(message)
    assert refreshed(message).status == Status.SENT and smtp_server.count == 1


def test_the_same_task_delivered_twice_sends_once(customer, smtp_gateway, smtp_server,
                                                  tenant):
    message = queue(customer)
    tasks.message_send(tenant.pk, message.pk)
    tasks.message_send(tenant.pk, message.pk)
    assert smtp_server.count == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_task_run_twice_at_once_sends_once(smtp_server):
    tenant = Tenant.objects.create(name="Sieć Gamma", slug="gamma")
    with tenant_context(tenant):
        from customers.services import customer_create

        customer = customer_create(actor=None, first_name="Ewa", last_name="Nowak",
                                   status="connected")
        Gateway.objects.create(channel="email", kind="smtp", host=smtp_server.host,
                               port=smtp_server.port, username="abonent",
                               password="p@ss'\"\\word", from_address="biuro@gamma.example",
                               rate_per_second=10_000, dlr_secret="x")
        message = queue(customer)
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait()
            tasks.message_send(tenant.pk, message.pk)
        except Exception as e:  # reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert smtp_server.count == 1


def test_send_again_is_a_new_attempt_with_a_new_message_id(customer, staff, smtp_gateway,
                                                           smtp_server):
    message = queue(customer)
    send(message)
    first = message.attempts.get()
    # A bounce reported later: not delivered; staff press "Wyślij ponownie".
    services.message_report(attempt_key=first.key, status=Status.UNDELIVERED,
                            detail="550 mailbox full")
    services.message_retry(message=refreshed(message), actor=staff)
    send(message)
    one, two = smtp_server.messages
    assert one["Message-ID"] == f"<{first.key}@alfa.example>"
    second = message.attempts.get(number=2)
    assert two["Message-ID"] == f"<{second.key}@alfa.example>" != one["Message-ID"]
    assert one.get_body(("plain",)).get_content() == two.get_body(("plain",)).get_content()
    assert refreshed(message).status == Status.SENT


def test_a_batch_uses_one_connection_and_a_refused_recipient_fails_alone(
        customer, smtp_gateway, smtp_server):
    smtp_server.fail["zly@example.com"] = "550 5.1.1 no such user"
    smtp_server.fail_data["pozniej@example.com"] = ["451 4.3.0 greylisted"]
    addresses = [f"klient{i}@example.com" for i in range(30)]
    addresses[7], addresses[19] = "zly@example.com", "pozniej@example.com"
    messages = services.message_bulk_queue(rows=[
        {"customer": customer, "channel": "email", "recipient": a, "subject": f"Nr {i}",
         "body": f"Treść {i}"} for i, a in enumerate(addresses)])
    again = send(*messages)
    assert smtp_server.connections == 1
    assert smtp_server.count == 28
    by_recipient = {m.recipient: m for m in Message.objects.filter(
        pk__in=[m.pk for m in messages])}
    assert by_recipient["zly@example.com"].status == Status.FAILED
    assert by_recipient["pozniej@example.com"].status == Status.QUEUED
    assert [pk for pk, _c in again] == [by_recipient["pozniej@example.com"].pk]
    # Each recipient got their own text.
    got = {m["To"]: (m["Subject"], m.get_body(("plain",)).get_content().strip())
           for m in smtp_server.messages}
    assert got["klient3@example.com"] == ("Nr 3", "Treść 3")
    assert "zly@example.com" not in got


def test_a_421_midway_reconnects_for_the_rest_of_the_batch(customer, smtp_gateway,
                                                           smtp_server):
    smtp_server.fail["drugi@example.com"] = ["421 4.3.2 Service shutting down"]
    rows = [{"customer": customer, "channel": "email", "recipient": r, "subject": "S",
             "body": "B"} for r in ("pierwszy@example.com", "drugi@example.com",
                                    "trzeci@example.com")]
    messages = services.message_bulk_queue(rows=rows)
    again = send(*messages)
    assert [pk for pk, _c in again] == [messages[1].pk]
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == [
        "pierwszy@example.com", "trzeci@example.com"]
    assert smtp_server.connections == 2


def test_a_line_break_in_the_subject_creates_no_header(customer, smtp_gateway, smtp_server):
    message = queue(customer, subject="Faktura\r\nBcc: szpieg@evil.example\nX-Hack: 1")
    send(message)
    [received] = smtp_server.messages
    assert received["Subject"] == "Faktura Bcc: szpieg@evil.example X-Hack: 1"
    assert received["Bcc"] is None and received["X-Hack"] is None
    assert smtp_server.received[0].rcpt_tos == ("jan.kowalski@example.com",)


def test_a_line_break_in_a_recipient_is_refused_before_and_at_the_gateway(
        customer, smtp_gateway, smtp_server):
    with pytest.raises(Exception, match="valid e-mail"):
        queue(customer, "jan@example.com\r\nBcc: szpieg@evil.example")
    # A row written around the validation still never becomes a header.
    message = Message.objects.create(customer=customer, channel="email", subject="S",
                                     body="B", recipient="jan@example.com\nBcc: x@evil.example")
    send(message)
    message = refreshed(message)
    assert message.status == Status.FAILED and "cannot be written" in message.status_reason
    assert smtp_server.count == 0


@pytest.mark.parametrize("name", ['Sieć "Alfa", sp. z o.o.', "ISP <admin@evil.example>",
                                  "Alfa\r\nBcc: szpieg@evil.example", "Net \\ Co; 100%"])
def test_the_tenant_name_is_only_ever_the_display_name(customer, smtp_gateway, smtp_server,
                                                       tenant, name):
    Tenant.objects.filter(pk=tenant.pk).update(name=name)
    message = queue(customer)
    send(message)
    [received] = smtp_server.messages
    [sender] = received["From"].addresses
    assert sender.display_name == " ".join(name.split())
    assert sender.addr_spec == "faktury@alfa.example"
    assert received["Bcc"] is None
    assert smtp_server.received[0].mail_from == "faktury@alfa.example"
    assert parseaddr(str(received["From"]))[1] == "faktury@alfa.example"


def test_gateway_without_a_sender_address_is_not_configured(customer, smtp_gateway):
    smtp_gateway.from_address = ""
    with pytest.raises(PermanentError):
        SmtpGateway(smtp_gateway)
    smtp_gateway.save()
    message = queue(customer)
    send(message)
    assert refreshed(message).status == Status.FAILED


def test_two_hundred_e_mails_go_over_one_connection(customer, smtp_gateway, smtp_server):
    messages = services.message_bulk_queue(rows=[
        {"customer": customer, "channel": "email", "recipient": f"k{i}@example.com",
         "subject": "Komunikat", "body": f"Dzień dobry {i}"} for i in range(200)])
    send(*messages)
    assert smtp_server.count == 200 and smtp_server.connections == 1
    assert Message.objects.filter(status=Status.SENT).count() == 200


def test_the_server_in_a_child_process_receives_and_refuses_alike(customer, smtp_gateway):
    """``smtpd_start(process=True)`` (the benchmark's): same answers, read back from its
    spool."""
    with smtpd_start(process=True, fail={"Zly@example.com": "550 5.1.1 no such user"},
                     auth=(SMTP_USER, SMTP_PASSWORD)) as server:
        Gateway.objects.filter(pk=smtp_gateway.pk).update(port=server.port)
        good, bad = queue(customer, subject=POLISH_SUBJECT), queue(customer, "zly@example.com")
        send(good, bad)
        assert server.wait_for(1) and server.count == 1 and server.connections == 1
        [received] = server.messages
        assert received["Subject"] == POLISH_SUBJECT
        assert refreshed(bad).status_reason == "550 5.1.1 no such user"
        server.clear()
        assert server.count == 0 and server.received == []


def test_long_lines_and_the_largest_body_arrive_unchanged(customer, smtp_gateway, smtp_server):
    body = ("ż" * 3000 + "\n" + "a" * 2500 + "\n.\n") * 10
    body = body[:services.MAX_BODY["email"]].strip()
    message = queue(customer, body=body)
    send(message)
    [received] = smtp_server.messages
    # Quoted-printable (lines over 998 octets) ends the text with a line break.
    text = received.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.rstrip("\n") == body
    assert max(len(line) for line in smtp_server.received[0].data.split(b"\r\n")) <= 998
