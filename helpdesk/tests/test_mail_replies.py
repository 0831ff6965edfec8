"""Staff replies go out by e-mail (messaging's SMTP gateway, a real loopback server) with
the case number in the subject, so the customer's answer threads back."""

from email import message_from_bytes, policy

import pytest

from customers.services import email_add
from helpdesk.services.cases import case_comment_add, case_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def email_case(staff, customer, mail_case_type, mail_queue):
    email_add(actor=staff, customer=customer, address="jan.kowalski@example.com")
    return case_create(actor=None, case_type=mail_case_type, queue=mail_queue,
                       title="Brak \"internetu\" <script>", description="x",
                       customer=customer, contact_email="jan@poczta.example", source="email")


def test_a_staff_public_reply_is_e_mailed_with_the_number(
        staff, email_case, smtp_gateway, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case_comment_add(actor=staff, case=email_case, body="Zrestartuj router, proszę.",
                         is_public=True)

    [received] = smtp_server.received
    mail = message_from_bytes(received.data, policy=policy.default)
    assert str(mail["Subject"]) == f"Re: [#{email_case.number}] Brak \"internetu\" <script>"
    assert received.rcpt_tos == ("jan@poczta.example",)  # the case's contact address first
    assert "Zrestartuj router, proszę." in mail.get_content()
    assert f"[#{email_case.number}]" in mail.get_content()


def test_internal_notes_and_customer_comments_are_not_e_mailed(
        staff, email_case, smtp_gateway, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case_comment_add(actor=staff, case=email_case, body="Notatka", is_public=False)
        case_comment_add(actor=None, case=email_case, body="Od klienta", by_customer=True,
                         source="email")
    assert smtp_server.received == []


def test_the_customers_address_when_the_case_has_no_contact(
        staff, customer, mail_case_type, mail_queue, smtp_gateway, smtp_server,
        django_capture_on_commit_callbacks):
    email_add(actor=staff, customer=customer, address="jan.kowalski@example.com")
    case = case_create(actor=staff, case_type=mail_case_type, queue=mail_queue, title="T",
                       customer=customer, source="routing")
    with django_capture_on_commit_callbacks(execute=True):
        case_comment_add(actor=staff, case=case, body="Odpowiedź")
    [received] = smtp_server.received
    assert received.rcpt_tos == ("jan.kowalski@example.com",)


def test_a_case_without_any_address_sends_nothing(
        staff, mail_case_type, mail_queue, smtp_gateway, smtp_server,
        django_capture_on_commit_callbacks):
    case = case_create(actor=staff, case_type=mail_case_type, queue=mail_queue, title="T",
                       contact_phone="601234567", source="routing")
    with django_capture_on_commit_callbacks(execute=True):
        case_comment_add(actor=staff, case=case, body="Odpowiedź")
    assert smtp_server.received == []
