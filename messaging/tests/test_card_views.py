"""The card's "Wiadomości SMS, E-mail, Komunikaty": send, histories, retry, preview,
attachments; only this customer's numbers, only this tenant's messages."""

import html
import re
import threading

import pytest
from django.core.mail import EmailMessage
from django.db import connection
from django.test import Client
from django.urls import reverse

from conftest import make_staff
from core.models import ActionLog
from core.roles import Role
from core.tenancy import tenant_context
from customers import services as customer_services
from messaging import services
from messaging.models import Message, MessageTemplate, Status
from messaging.services import Attachment
from messaging.tests.fixtures_card import card_message

HTMX = {"HX-Request": "true"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def section_url(customer, **params):
    url = reverse("customers:section", kwargs={"customer_id": customer.pk, "key": "messages"})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def sms_url(customer):
    return reverse("messaging:sms_send", args=[customer.pk])


def email_url(customer):
    return reverse("messaging:email_send", args=[customer.pk])


def client_for(user) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def textarea(page: str, name: str) -> str:
    found = re.search(rf'<textarea [^>]*id="message_email_{name}"[^>]*>\n?(.*?)</textarea>',
                      page, re.S)
    return html.unescape(found.group(1)) if found else ""


def input_value(page: str, name: str) -> str:
    found = re.search(rf'<input [^>]*id="message_email_{name}"[^>]*>', page)
    found = found and re.search(r'value="([^"]*)"', found.group(0))
    return html.unescape(found.group(1)) if found else ""


# --------------------------------------------------------------------------- the section

def test_section_is_a_tab_of_the_card_loaded_lazily(staff_client, customer):
    card = staff_client.get(reverse("customers:card", args=[customer.pk])).content.decode()
    assert 'data-card-tab="wiadomosci"' in card
    assert "SMS, e-mail and device messages" in card
    page = staff_client.get(reverse("customers:card", args=[customer.pk]),
                            {"sekcja": "wiadomosci"}).content.decode()
    assert 'id="section-messages"' in page and 'id="message-sms"' in page
    assert "messaging/sms_counter.js" in page  # a file: the policy forbids inline scripts
    # The sidebar: "Send an SMS" unfolds the form in place, "Send an e-mail" opens its tab.
    assert 'id="card-action-sms_send"' in card and 'data-opens="message-sms"' in card
    email_new = staff_client.get(reverse("messaging:email_new", args=[customer.pk]))
    assert email_new.status_code == 302 and "kanal=email" in email_new["Location"]


def test_histories_show_time_number_text_author_status_and_parts(staff_client, customer,
                                                                card_phone, staff):
    long_text = "Zażółć gęślą jaźń " * 5  # UCS-2: 90 characters, two parts
    card_message(customer, body=long_text, author=staff, status=Status.DELIVERED)
    card_message(customer, body="<b>Faktura</b>", status=Status.UNDELIVERED,
                 reason="Phone switched off")
    page = staff_client.get(section_url(customer)).content.decode()
    sms = page[page.index('id="history-sms"'):page.index('id="sms-statuses"')]
    assert "+48600100200" in sms and "Zażółć gęślą jaźń" in sms
    assert "Anna Testowy" in sms and "system" in sms  # the author; None: the system
    assert "delivered" in sms and "not delivered" in sms and "Phone switched off" in sms
    assert re.search(r">2<div class=\"text-muted\">UCS-2", sms)
    assert "&lt;b&gt;Faktura&lt;/b&gt;" in sms  # text, never markup
    # "Statusy SMS": every status explained in words.
    legend = page[page.index('id="sms-statuses"'):]
    for label in ("queued", "sent to gateway", "delivered", "not delivered", "expired",
                  "rejected", "failed"):
        assert f">{label}</span>" in legend
    assert "The operator confirmed that the phone received it." in legend


def test_history_is_paged(staff_client, customer, card_phone):
    for n in range(12):
        card_message(customer, body=f"Wiadomość {n:02d}")
    page = staff_client.get(section_url(customer)).content.decode()
    assert "Wiadomość 11" in page and "Wiadomość 02" in page and "Wiadomość 01" not in page
    assert "page 1 of 2" in page
    older = staff_client.get(reverse("messaging:history", args=[customer.pk, "sms"]),
                             {"page": 2}, headers=HTMX).content.decode()
    assert "Wiadomość 01" in older and "Wiadomość 00" in older and "Wiadomość 11" not in older
    # Without JavaScript the link opens the card at that page.
    plain = staff_client.get(reverse("messaging:history", args=[customer.pk, "sms"]),
                             {"page": 2})
    assert plain.status_code == 302 and "sms_page=2" in plain["Location"]
    card = staff_client.get(plain["Location"]).content.decode()
    assert "Wiadomość 00" in card and "Wiadomość 11" not in card
    assert staff_client.get(reverse("messaging:history", args=[customer.pk, "notice"]),
                            headers=HTMX).status_code == 404


def test_history_page_query_count(staff_client, customer, card_phone, staff,
                                  django_assert_num_queries):
    for n in range(15):
        card_message(customer, body=f"SMS {n}", author=staff, status=Status.SENT)
    url = reverse("messaging:history", args=[customer.pk, "sms"])
    staff_client.get(url, headers=HTMX)  # the session's first request
    # 1 session, 2 user, 3 membership (tenant, with the role: permission), 4 the
    # customer, 5 count for the page, 6 the page with authors and numbers of attachments.
    with django_assert_num_queries(6):
        response = staff_client.get(url, {"page": 1}, headers=HTMX)
    assert response.content.decode().count('id="message-') == 10
    # Still waiting for delivery reports: the history refreshes itself.
    assert 'hx-trigger="every 10s"' in response.content.decode()


def test_section_queries_do_not_grow_with_the_messages(staff_client, customer, card_phone,
                                                       card_email, staff, card_template):
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(section_url(customer)).status_code == 200
        return len(queries)

    card_message(customer, author=staff)
    card_message(customer, channel="email", recipient=card_email.address)
    staff_client.get(section_url(customer))  # the session's first request
    few = count()
    for n in range(12):
        card_message(customer, body=f"SMS {n}", author=staff, status=Status.FAILED)
        card_message(customer, channel="email", recipient=card_email.address, author=staff,
                     attachments=[Attachment(f"{n}.pdf", PDF)])
    assert count() == few


# --------------------------------------------------------------------------- SMS

def test_send_sms_queues_it_and_the_history_shows_it(staff_client, customer, card_phone,
                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(sms_url(customer), {
            "to": card_phone.pk, "body": "Awaria usunięta.\r\nPozdrawiamy"}, headers=HTMX)
    assert response.status_code == 200
    message = Message.objects.get(customer=customer)
    assert message.recipient == "+48600100200" and message.body == "Awaria usunięta.\nPozdrawiamy"
    assert message.author.username == "anna" and message.encoding == "UCS-2"
    assert message.parts == 1
    page = response.content.decode()
    assert "SMS to +48600100200 queued." in page
    assert response["HX-Trigger"] == "card-changed"
    assert f'id="message-{message.pk}"' in page  # the history is refreshed with the send
    # No SMS gateway is set up in this tenant: the message failed, the history says why
    # and offers to send it again.
    message.refresh_from_db()
    assert message.status == Status.FAILED
    page = staff_client.get(section_url(customer)).content.decode()
    row = page[page.index(f'id="message-{message.pk}"'):]
    assert "failed" in row and "No SMS gateway is set up for this ISP." in row
    assert ">Retry</button>" in row
    assert ActionLog.objects.filter(customer=customer, kind="message.queue").count() == 1


def test_send_sms_without_javascript_returns_to_the_card(staff_client, customer, card_phone):
    response = staff_client.post(sms_url(customer), {"to": card_phone.pk, "body": "Hej"})
    assert response.status_code == 302
    assert "sekcja=wiadomosci" in response["Location"] and "kanal=sms" in response["Location"]
    assert Message.objects.filter(customer=customer, body="Hej").exists()


@pytest.mark.parametrize(("body", "error"), [
    ("", "The message is empty."),
    ("   \r\n  ", "The message is empty."),
    ("x" * 1601, "The message is longer than 1600 characters."),
])
def test_sms_errors_are_shown_and_nothing_is_sent(staff_client, customer, card_phone, body,
                                                  error):
    response = staff_client.post(sms_url(customer), {"to": card_phone.pk, "body": body},
                                 headers=HTMX)
    page = response.content.decode()
    assert error in page and "HX-Trigger" not in response
    assert not Message.objects.exists()
    # Without JavaScript: the card, open at the section, with the refused form.
    plain = staff_client.post(sms_url(customer), {"to": card_phone.pk, "body": body})
    assert plain.status_code == 200 and error in plain.content.decode()
    assert 'id="section-messages"' in plain.content.decode()


def test_forged_phone_of_another_customer_is_refused(staff_client, customer, card_phone,
                                                     card_other_customer, other_tenant,
                                                     staff):
    theirs = card_other_customer.phones.get()
    with tenant_context(other_tenant):
        stranger = customer_services.customer_create(actor=staff, first_name="Obcy",
                                                   last_name="Obcy")
        foreign = customer_services.phone_add(actor=staff, customer=stranger,
                                              number="602 300 400")
    for forged in (theirs.pk, foreign.pk, "abc", -1, 0):
        response = staff_client.post(sms_url(customer), {"to": forged, "body": "Hej"},
                                     headers=HTMX)
        assert "Select a valid choice." in response.content.decode()
    assert not Message.objects.exists()


def test_customer_without_phone_is_told_so(staff_client, customer):
    page = staff_client.get(section_url(customer)).content.decode()
    assert "The customer has no phone number" in page


# --------------------------------------------------------------------------- retry

def test_retry_sends_a_failed_sms_again_as_a_new_attempt(staff_client, customer,
                                                         card_failed_sms):
    response = staff_client.post(reverse("messaging:retry", args=[card_failed_sms.pk]),
                                 headers=HTMX)
    assert response.status_code == 200
    assert "SMS to +48600100200 sent again." in response.content.decode()
    card_failed_sms.refresh_from_db()
    assert card_failed_sms.status == Status.QUEUED and card_failed_sms.status_reason == ""
    assert list(card_failed_sms.events.values_list("status", flat=True)) == [
        "queued", "failed", "queued"]
    assert ActionLog.objects.filter(customer=customer, kind="message.retry").exists()
    # Queued again: nothing to retry; the error is said, nothing changes.
    again = staff_client.post(reverse("messaging:retry", args=[card_failed_sms.pk]),
                              headers=HTMX)
    assert "Only a failed or undelivered message can be sent again." in again.content.decode()
    assert card_failed_sms.events.count() == 3


@pytest.mark.django_db(transaction=True)
def test_retry_clicked_twice_at_once_sends_one_new_attempt(tenant, staff):
    with tenant_context(tenant):
        customer = customer_services.customer_create(actor=staff, first_name="Ewa",
                                                     last_name="Nowak")
        customer_services.phone_add(actor=staff, customer=customer, number="600100200")
        message = card_message(customer, status=Status.FAILED, reason="timeout")
    barrier = threading.Barrier(2)
    answers = []

    def click():
        client = client_for(staff)
        barrier.wait()
        answers.append(client.post(reverse("messaging:retry", args=[message.pk]),
                                   headers=HTMX).content.decode())
        connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum("SMS to +48600100200 sent again." in a for a in answers) == 1
    assert sum("Only a failed or undelivered message can be sent again." in a
               for a in answers) == 1
    with tenant_context(tenant):
        message = Message.objects.get(pk=message.pk)
        # One new attempt, handed over after the commit (no gateway here: failed again).
        assert message.attempts.count() == 1
        assert list(message.events.values_list("status", flat=True)) == [
            "queued", "failed", "queued", "failed"]
        assert ActionLog.objects.filter(kind="message.retry").count() == 1


def test_retry_needs_post(staff_client, card_failed_sms):
    assert staff_client.get(reverse("messaging:retry",
                                    args=[card_failed_sms.pk])).status_code == 405


def test_a_delivered_sms_has_no_retry_button(staff_client, customer, card_phone):
    message = card_message(customer, status=Status.DELIVERED)
    page = staff_client.get(section_url(customer)).content.decode()
    row = page[page.index(f'id="message-{message.pk}"'):page.index("</tr>",
                                                                   page.index(f'id="message-{message.pk}"'))]
    assert "Retry" not in row


# --------------------------------------------------------------------------- e-mail

@pytest.fixture
def card_template(in_tenant):
    return MessageTemplate.objects.create(
        channel="email", name="Saldo", subject="Saldo klienta {{ customer.number }}",
        body="Dzień dobry {{ customer.name }},\nsaldo: {{ balance.amount }} zł.")


def test_choosing_a_template_fills_subject_and_text_for_this_customer(
        staff_client, customer, card_email, card_template, staff):
    customer_services.customer_update(actor=staff, customer=customer,
                                      last_name='O\'Kowalski "\\n" {{ x }}')
    response = staff_client.get(reverse("messaging:email_draft", args=[customer.pk]),
                                {"template": card_template.pk}, headers=HTMX)
    page = response.content.decode()
    assert 'id="email-draft"' in page
    assert input_value(page, "subject") == f"Saldo klienta {customer.number}"
    # Rendered as plain text: quotes and backslashes stay as they are, no markup escapes.
    assert textarea(page, "body") == \
        'Dzień dobry Jan O\'Kowalski "\\n" {{ x }},\nsaldo: 0,00 zł.'


def test_template_fill_without_javascript_returns_the_card_with_the_form(
        staff_client, customer, card_email, card_template):
    response = staff_client.post(reverse("messaging:email_draft", args=[customer.pk]),
                                 {"to": card_email.pk, "template": card_template.pk,
                                  "subject": "", "body": ""})
    page = response.content.decode()
    assert response.status_code == 200 and 'id="section-messages"' in page
    assert "Dzień dobry Jan Kowalski" in textarea(page, "body")
    assert not Message.objects.exists()  # filled in, not sent


def test_a_broken_template_says_why(staff_client, customer, card_email, in_tenant):
    broken = MessageTemplate.objects.create(channel="email", name="Zły", subject="x",
                                            body="{% if %}")
    page = staff_client.get(reverse("messaging:email_draft", args=[customer.pk]),
                            {"template": broken.pk}, headers=HTMX).content.decode()
    assert "The template cannot be filled in" in page


def test_send_email_edited_after_the_template(staff_client, customer, card_email,
                                              card_template):
    response = staff_client.post(email_url(customer), {
        "to": card_email.pk, "template": card_template.pk, "subject": "Saldo — ważne",
        "body": "Zmieniony tekst"}, headers=HTMX)
    assert "E-mail to jan.kowalski@example.com queued." in response.content.decode()
    message = Message.objects.get(customer=customer)
    assert (message.channel, message.subject, message.body, message.template) == (
        "email", "Saldo — ważne", "Zmieniony tekst", card_template)
    assert 'id="messages-tab-email"' in response.content.decode()
    assert re.search(r'class="nav-link active" id="messages-tab-email"',
                     response.content.decode())


def test_email_needs_a_subject_and_one_of_the_customers_addresses(
        staff_client, customer, card_email, card_other_customer):
    no_subject = staff_client.post(email_url(customer), {
        "to": card_email.pk, "subject": "", "body": "Treść"}, headers=HTMX)
    assert "An e-mail needs a subject." in no_subject.content.decode()
    forged = staff_client.post(email_url(customer), {
        "to": card_other_customer.emails.get().pk, "subject": "S", "body": "T"}, headers=HTMX)
    assert "Select a valid choice." in forged.content.decode()
    assert not Message.objects.exists()


@pytest.fixture
def sent_email(customer, card_email, staff):
    message = card_message(customer, channel="email", recipient=card_email.address,
                           subject="Faktura FV/1/2026", body="W załączniku faktura.",
                           author=staff, attachments=[Attachment("FV_1_2026.pdf", PDF)])
    raw = EmailMessage(subject="Faktura FV/1/2026 — usługi", body="W załączniku faktura.",
                       from_email="Sieć Alfa <biuro@alfa.example>",
                       to=[card_email.address])
    raw.attach("FV_1_2026.pdf", PDF, "application/pdf")
    Message.objects.filter(pk=message.pk).update(raw=raw.message().as_bytes())
    services._status_set(message, Status.SENT, reason="", detail="250 OK")
    return message


def test_preview_shows_exactly_what_was_sent_with_attachments(staff_client, sent_email):
    url = reverse("messaging:preview", args=[sent_email.pk])
    page = staff_client.get(url, headers=HTMX).content.decode()
    assert "Faktura FV/1/2026 — usługi" in page  # the header as sent, decoded
    assert "Sieć Alfa &lt;biuro@alfa.example&gt;" in page
    assert "W załączniku faktura." in page
    attachment = sent_email.attachments.get()
    download = reverse("messaging:attachment", args=[sent_email.pk, attachment.pk])
    assert download in page
    response = staff_client.get(download)
    assert response.status_code == 200 and response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="FV_1_2026.pdf"'
    raw = staff_client.get(reverse("messaging:raw", args=[sent_email.pk]))
    assert raw["Content-Type"] == "message/rfc822" and b"FV_1_2026.pdf" in raw.content
    # Without JavaScript: a page of its own.
    own = staff_client.get(url).content.decode()
    assert "<html" in own and "Faktura FV/1/2026 — usługi" in own


def test_attachment_names_with_quotes_and_polish_letters_download_safely(
        staff_client, customer, card_email):
    message = card_message(customer, channel="email", recipient=card_email.address,
                           attachments=[Attachment('Faktura "ą\\1".pdf', PDF)])
    attachment = message.attachments.get()
    response = staff_client.get(reverse("messaging:attachment",
                                        args=[message.pk, attachment.pk]))
    assert response.content == PDF
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Faktura%20%22%C4%85%5C1%22.pdf")


def test_preview_of_a_message_never_handed_over_shows_it_as_written(staff_client, customer,
                                                                   card_email):
    message = card_message(customer, channel="email", recipient=card_email.address,
                           subject="Temat <x>", body="Treść")
    page = staff_client.get(reverse("messaging:preview", args=[message.pk]),
                            headers=HTMX).content.decode()
    assert "Not handed to the server" in page and "Temat &lt;x&gt;" in page
    assert staff_client.get(reverse("messaging:raw", args=[message.pk])).status_code == 404


def test_email_history_shows_not_sent_with_the_reason_and_send_again(staff_client, customer,
                                                                     card_email):
    message = card_message(customer, channel="email", recipient=card_email.address,
                           status=Status.FAILED, reason="550 5.1.1 No such user")
    page = staff_client.get(section_url(customer, kanal="email")).content.decode()
    row = page[page.index(f'id="message-{message.pk}"'):]
    assert "not sent: 550 5.1.1 No such user" in row and ">Send again</button>" in row
    assert "Message preview" in row


@pytest.fixture
def polish():
    """The card in Polish, from the project's catalogue."""
    return Client(headers={"accept-language": "pl"})


def test_the_section_speaks_polish(polish, staff, customer, card_phone):
    card_message(customer, status=Status.DELIVERED)
    card_message(customer, status=Status.UNDELIVERED, reason="Telefon wyłączony")
    polish.force_login(staff)
    page = polish.get(section_url(customer)).content.decode()
    for text in ("Wiadomości SMS, E-mail, Komunikaty", "SMSy Historia", "Statusy SMS",
                 "E-maile Historia", ">doręczony</span>", ">niedoręczony</span>",
                 "Telefon wyłączony", ">Ponów</button>", "Wyślij SMS",
                 "Operator potwierdził, że telefon odebrał wiadomość."):
        assert text in page, text


# --------------------------------------------------------------------------- tenants, roles

def test_another_tenants_messages_and_attachments_are_404(client, other_tenant, sent_email,
                                                          card_failed_sms):
    stranger = make_staff(other_tenant, "bartek")
    client.force_login(stranger)
    attachment = sent_email.attachments.get()
    assert client.get(reverse("messaging:preview", args=[sent_email.pk])).status_code == 404
    assert client.get(reverse("messaging:attachment",
                              args=[sent_email.pk, attachment.pk])).status_code == 404
    assert client.get(reverse("messaging:raw", args=[sent_email.pk])).status_code == 404
    assert client.post(reverse("messaging:retry", args=[card_failed_sms.pk])).status_code == 404
    assert client.post(sms_url(sent_email.customer),
                       {"to": 1, "body": "x"}).status_code == 404
    card_failed_sms.refresh_from_db()
    assert card_failed_sms.status == Status.FAILED


def test_an_attachment_is_found_only_under_its_own_message(staff_client, sent_email,
                                                           card_failed_sms):
    attachment = sent_email.attachments.get()
    assert staff_client.get(reverse("messaging:attachment",
                                    args=[card_failed_sms.pk, attachment.pk])).status_code == 404


def test_roles_see_send_and_retry_as_allowed(tenant, customer, card_phone, card_failed_sms):
    technician = client_for(make_staff(tenant, "tomek", Role.TECHNICIAN))
    card = technician.get(reverse("customers:card", args=[customer.pk])).content.decode()
    assert 'data-card-tab="wiadomosci"' not in card
    assert technician.get(section_url(customer)).status_code == 404
    assert technician.post(sms_url(customer), {"to": card_phone.pk,
                                                "body": "x"}).status_code == 403
    assert technician.post(reverse("messaging:retry",
                                   args=[card_failed_sms.pk])).status_code == 403
    assert technician.get(reverse("messaging:preview",
                                  args=[card_failed_sms.pk])).status_code == 403

    for role in (Role.OPERATOR, Role.ACCOUNTANT):
        staff = client_for(make_staff(tenant, f"user-{role}", role))
        assert staff.post(sms_url(customer), {"to": card_phone.pk, "body": role},
                          headers=HTMX).status_code == 200
        assert Message.objects.filter(body=role).exists()
    operator = client_for(make_staff(tenant, "olek", Role.OPERATOR))
    assert operator.post(reverse("messaging:retry", args=[card_failed_sms.pk]),
                         headers=HTMX).status_code == 200
