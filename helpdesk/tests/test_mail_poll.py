"""E-mail to case through a real Dovecot on loopback: messages dropped into a Maildir are
read over IMAP and become cases, replies, or recorded refusals."""

import io

import psycopg
import pytest
from django.db import connection
from PIL import Image

from core.tenancy import tenant_context
from customers.services import customer_create, email_add
from helpdesk.models import Case, CaseAttachment, CaseComment, CaseStatus, HelpdeskMailbox
from helpdesk.models.mail import IngestOutcome, MailIngest
from helpdesk.services.cases import case_status_set
from helpdesk.services.mail import LOCK_SPACE, mailbox_poll, mailbox_save
from helpdesk.tasks_mail import mailbox_poll_one, mailboxes_poll
from helpdesk.tests.factories import case_type_make, queue_make
from helpdesk.tests.fixtures_mail import (
    HELPDESK_ADDRESS,
    IMAP_OTHER_PASSWORD,
    IMAP_OTHER_USER,
    IMAP_USER,
    mail_bytes,
)

pytestmark = pytest.mark.django_db


def _poll(mailbox):
    return mailbox_poll(mailbox=mailbox)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def jan(customer, staff):
    email_add(actor=staff, customer=customer, address="jan.kowalski@example.com")
    return customer


def test_a_plain_message_becomes_a_case_of_its_customer(helpdesk_mailbox, mail_deliver, jan,
                                                        imap_server, mail_folder):
    mail_deliver(mail_bytes(subject="Brak internetu", body="Od rana nie działa."))

    assert _poll(helpdesk_mailbox) == {"created": 1}

    case = Case.objects.get()
    assert (case.title, case.description, case.source) == ("Brak internetu",
                                                           "Od rana nie działa.", "email")
    assert case.customer == jan and case.contact_email == "jan.kowalski@example.com"
    assert case.queue == helpdesk_mailbox.queue and case.case_type == helpdesk_mailbox.case_type
    ingest = MailIngest.objects.get()
    assert ingest.outcome == IngestOutcome.CREATED and ingest.case == case
    helpdesk_mailbox.refresh_from_db()
    assert helpdesk_mailbox.last_polled_at and helpdesk_mailbox.last_error == ""
    assert helpdesk_mailbox.last_uid == 1 and helpdesk_mailbox.uidvalidity
    # Marked read on the server, not deleted.
    assert imap_server.flags(IMAP_USER, mail_folder) == ["S"]


def test_an_unknown_sender_gets_a_case_without_a_customer(helpdesk_mailbox, mail_deliver,
                                                          customer):
    mail_deliver(mail_bytes(sender="ktos@obcy.example", subject="Oferta?"))
    _poll(helpdesk_mailbox)
    case = Case.objects.get()
    assert case.customer is None and case.contact_email == "ktos@obcy.example"


def test_an_address_two_customers_share_links_no_customer(helpdesk_mailbox, mail_deliver, jan,
                                                          staff):
    other = customer_create(actor=staff, first_name="Ewa", last_name="Kowalska")
    email_add(actor=staff, customer=other, address="JAN.KOWALSKI@example.com")
    mail_deliver(mail_bytes())
    _poll(helpdesk_mailbox)
    assert Case.objects.get().customer is None


def test_polish_letters_in_iso_8859_2_subject_and_body(helpdesk_mailbox, mail_deliver):
    body = "Zażółć gęślą jaźń – ŁÓDŹ, ul. Śląska 5".encode("iso-8859-2", errors="replace")
    raw = (b"From: =?ISO-8859-2?Q?Pawe=B3_=A3=F3d=BCki?= <pawel@example.com>\r\n"
           b"To: bok@alfa.example\r\n"
           b"Subject: =?ISO-8859-2?Q?Awaria_=BCr=F3d=B3a_zasilania?=\r\n"
           b"Message-ID: <iso-1@example.com>\r\n"
           b"MIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=ISO-8859-2\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body + b"\r\n")
    mail_deliver(raw)
    _poll(helpdesk_mailbox)
    case = Case.objects.get()
    assert case.title == "Awaria źródła zasilania"
    assert case.description.startswith("Zażółć gęślą jaźń")
    assert "ŁÓDŹ, ul. Śląska" in case.description
    assert case.contact_name == "Paweł Łódźki"


def test_an_html_only_message_is_read_as_text(helpdesk_mailbox, mail_deliver):
    raw = (b"From: pawel@example.com\r\nSubject: =?utf-8?b?xbthZG5lZ28gc3lnbmHFgnU=?=\r\n"
           b"Message-ID: <html-1@example.com>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/html; charset=utf-8\r\n\r\n"
           + "<html><head><style>p{}</style><script>alert(1)</script></head><body>"
             "<p>Brak&nbsp;sygnału</p><p>Pozdrawiam &amp; dziękuję</p></body></html>"
             .encode())
    mail_deliver(raw)
    _poll(helpdesk_mailbox)
    case = Case.objects.get()
    assert case.title == "Żadnego sygnału"
    assert case.description == "Brak sygnału\n\nPozdrawiam & dziękuję"
    assert "alert" not in case.description


def test_a_reply_with_the_number_is_added_and_reopens_a_resolved_case(
        helpdesk_mailbox, mail_deliver, jan, staff):
    mail_deliver(mail_bytes(subject="Brak internetu"))
    _poll(helpdesk_mailbox)
    case = Case.objects.get()
    case_status_set(actor=staff, case=case, status=CaseStatus.RESOLVED)

    mail_deliver(mail_bytes(subject=f"RE: Re: [#{case.number}] Brak internetu",
                            body="Nadal nie działa!"))
    assert _poll(helpdesk_mailbox) == {"appended": 1}

    assert Case.objects.count() == 1
    comment = CaseComment.objects.get(case=case)
    assert (comment.body, comment.by_customer, comment.is_public, comment.source) == (
        "Nadal nie działa!", True, True, "email")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert MailIngest.objects.filter(outcome="appended", case=case).count() == 1


def test_a_reply_from_the_case_contact_address_without_customer(helpdesk_mailbox,
                                                                mail_deliver):
    mail_deliver(mail_bytes(sender="ktos@obcy.example", subject="Pytanie"))
    _poll(helpdesk_mailbox)
    case = Case.objects.get()
    mail_deliver(mail_bytes(sender="KTOS@obcy.example", subject=f"Re: [#{case.number}] Pytanie"))
    assert _poll(helpdesk_mailbox) == {"appended": 1}


def test_a_reply_with_another_customers_case_number_is_not_added_to_it(
        helpdesk_mailbox, mail_deliver, jan, staff):
    ewa = customer_create(actor=staff, first_name="Ewa", last_name="Nowak")
    email_add(actor=staff, customer=ewa, address="ewa@example.com")
    mail_deliver(mail_bytes(sender="ewa@example.com", subject="Faktura"))
    _poll(helpdesk_mailbox)
    ewas = Case.objects.get()

    mail_deliver(mail_bytes(subject=f"Re: [#{ewas.number}] Faktura", body="Podglądam"))
    assert _poll(helpdesk_mailbox) == {"created": 1}

    assert not CaseComment.objects.filter(case=ewas).exists()
    new = Case.objects.exclude(pk=ewas.pk).get()
    assert new.customer == jan and new.description == "Podglądam"


def test_a_reply_to_a_closed_case_opens_a_new_one(helpdesk_mailbox, mail_deliver, jan, staff):
    mail_deliver(mail_bytes(subject="Brak internetu"))
    _poll(helpdesk_mailbox)
    old = Case.objects.get()
    case_status_set(actor=staff, case=old, status=CaseStatus.CLOSED)
    mail_deliver(mail_bytes(subject=f"Re: [#{old.number}] Brak internetu", body="Znowu"))
    assert _poll(helpdesk_mailbox) == {"created": 1}
    new = Case.objects.exclude(pk=old.pk).get()
    assert f"#{old.number}" in new.description and new.description.endswith("Znowu")


def test_the_same_message_read_twice_makes_one_case(helpdesk_mailbox, mail_deliver):
    raw = mail_bytes(message_id="<same-1@example.com>")
    mail_deliver(raw)
    mail_deliver(raw)  # the MTA delivered it twice

    assert _poll(helpdesk_mailbox) == {"created": 1, "duplicate": 1}
    assert _poll(helpdesk_mailbox) == {}  # nothing new on the next beat
    assert Case.objects.count() == 1 and MailIngest.objects.count() == 1


AUTOMATIC = [
    ({"Auto-Submitted": "auto-replied"}, IngestOutcome.AUTO_REPLY),
    ({"Auto-Submitted": "auto-generated; type=vacation"}, IngestOutcome.AUTO_REPLY),
    ({"X-Autoreply": "yes"}, IngestOutcome.AUTO_REPLY),
    ({"X-Autorespond": "Out of office"}, IngestOutcome.AUTO_REPLY),
    ({"Precedence": "auto_reply"}, IngestOutcome.AUTO_REPLY),
    ({"Precedence": "bulk"}, IngestOutcome.LOOP),
    ({"Precedence": "junk"}, IngestOutcome.LOOP),
    ({"Precedence": "list"}, IngestOutcome.LOOP),
    ({"List-Id": "<awarie.lista.example>"}, IngestOutcome.LOOP),
    ({"List-Unsubscribe": "<mailto:unsub@lista.example>"}, IngestOutcome.LOOP),
    ({"Return-Path": "<>"}, IngestOutcome.AUTO_REPLY),
]


def test_automatic_replies_and_loops_create_no_cases(helpdesk_mailbox, mail_deliver):
    for n, (headers, _outcome) in enumerate(AUTOMATIC):
        mail_deliver(mail_bytes(subject=f"auto {n}", headers=headers))
    mail_deliver(mail_bytes(sender="MAILER-DAEMON@mx.example", subject="daemon"))
    mail_deliver(mail_bytes(sender="postmaster@mx.example", subject="postmaster"))
    mail_deliver(mail_bytes(sender=HELPDESK_ADDRESS.upper(), subject="own"))
    mail_deliver(mail_bytes(subject="human", headers={"Auto-Submitted": "no"}))

    counts = _poll(helpdesk_mailbox)

    outcomes = dict(MailIngest.objects.values_list("subject", "outcome"))
    for n, (headers, outcome) in enumerate(AUTOMATIC):
        assert outcomes[f"auto {n}"] == outcome, headers
    assert outcomes["daemon"] == outcomes["postmaster"] == IngestOutcome.AUTO_REPLY
    assert outcomes["own"] == IngestOutcome.LOOP
    assert outcomes["human"] == IngestOutcome.CREATED
    assert Case.objects.get().title == "human"
    assert counts["created"] == 1 and sum(counts.values()) == len(AUTOMATIC) + 4


def test_the_sender_hourly_limit_stops_new_cases(helpdesk_mailbox, mail_deliver):
    for n in range(5):
        mail_deliver(mail_bytes(subject=f"spam {n}"))
    mail_deliver(mail_bytes(sender="inny@example.com", subject="ktoś inny"))

    counts = _poll(helpdesk_mailbox)

    assert counts == {"created": 4, "rate_limited": 2}  # limit 3 for jan, 1 for the other
    assert Case.objects.filter(contact_email="jan.kowalski@example.com").count() == 3
    limited = MailIngest.objects.filter(outcome=IngestOutcome.RATE_LIMITED)
    assert {r.subject for r in limited} == {"spam 3", "spam 4"}
    assert "3" in limited.first().detail


def test_a_forged_pdf_is_dropped_with_a_note_and_a_real_image_kept(helpdesk_mailbox,
                                                                    mail_deliver):
    mail_deliver(mail_bytes(subject="Zdjęcia", attachments=[
        ("faktura.pdf", b"MZ\x90\x00 this is a program, not a PDF", "application/pdf"),
        ("router.png", _png(), "image/png"),
    ]))
    assert _poll(helpdesk_mailbox) == {"created": 1}
    case = Case.objects.get()
    assert list(CaseAttachment.objects.filter(case=case).values_list("name", flat=True)) == [
        "router.png"]
    note = CaseComment.objects.get(case=case)
    assert not note.is_public and "faktura.pdf" in note.body
    assert "faktura.pdf" in MailIngest.objects.get().detail


def test_unreadable_message_is_rejected_and_the_rest_read(helpdesk_mailbox, mail_deliver):
    mail_deliver(b"\x00\x01\x02 no headers at all")
    mail_deliver(b"Subject: no sender\r\n\r\nbody\r\n")
    mail_deliver(mail_bytes(subject="dobry"))

    assert _poll(helpdesk_mailbox) == {"rejected": 2, "created": 1}
    assert Case.objects.get().title == "dobry"


def test_a_wrong_password_is_recorded_without_a_crash(helpdesk_mailbox, mail_deliver, staff,
                                                      imap_server, mail_folder):
    mail_deliver(mail_bytes())
    mailbox = mailbox_save(actor=staff, mailbox=helpdesk_mailbox,
                           **_fields(helpdesk_mailbox, password="wrong"))
    assert _poll(mailbox) == {"error": 1}
    mailbox.refresh_from_db()
    assert "refused the login" in mailbox.last_error and mailbox.last_polled_at
    assert not MailIngest.objects.exists() and not Case.objects.exists()
    assert imap_server.flags(IMAP_USER, mail_folder) == []  # still unread


def test_a_server_that_is_down_is_recorded(helpdesk_mailbox, staff):
    HelpdeskMailbox.objects.filter(pk=helpdesk_mailbox.pk).update(port=1)
    helpdesk_mailbox.refresh_from_db()
    assert _poll(helpdesk_mailbox) == {"error": 1}
    helpdesk_mailbox.refresh_from_db()
    assert "cannot be reached" in helpdesk_mailbox.last_error


def test_a_changed_uidvalidity_reads_the_folder_again_without_duplicates(
        helpdesk_mailbox, mail_deliver, imap_server, mail_folder):
    mail_deliver(mail_bytes(subject="pierwszy"))
    _poll(helpdesk_mailbox)
    helpdesk_mailbox.refresh_from_db()
    first_validity = helpdesk_mailbox.uidvalidity

    imap_server.forget_uids(IMAP_USER, mail_folder)  # the server renumbers the folder
    mail_deliver(mail_bytes(subject="drugi"))
    counts = _poll(helpdesk_mailbox)

    helpdesk_mailbox.refresh_from_db()
    assert helpdesk_mailbox.uidvalidity != first_validity
    assert counts == {"created": 1, "duplicate": 1}
    assert sorted(Case.objects.values_list("title", flat=True)) == ["drugi", "pierwszy"]


def test_a_read_in_progress_is_not_repeated_at_once(helpdesk_mailbox, mail_deliver):
    mail_deliver(mail_bytes())
    settings_dict = connection.settings_dict
    with psycopg.connect(host=settings_dict["HOST"] or "127.0.0.1",
                         port=settings_dict["PORT"] or 5432, user=settings_dict["USER"],
                         password=settings_dict["PASSWORD"] or None,
                         dbname=settings_dict["NAME"], autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_SPACE, helpdesk_mailbox.pk])
        assert _poll(helpdesk_mailbox) == {"skipped": 1}
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_SPACE, helpdesk_mailbox.pk])
    assert _poll(helpdesk_mailbox) == {"created": 1}


def test_each_tenants_mailbox_is_read_under_its_own_tenant(
        helpdesk_mailbox, mail_deliver, other_tenant, other_staff, imap_server, tenant):
    with tenant_context(other_tenant):
        queue = queue_make("Kolejka Beta")
        beta = mailbox_save(actor=other_staff, address="bok@beta.example", host="127.0.0.1",
                            port=imap_server.port, security="none", username=IMAP_OTHER_USER,
                            password=IMAP_OTHER_PASSWORD, folder=helpdesk_mailbox.folder,
                            case_type=case_type_make("Beta typ"), queue=queue)
    mail_deliver(mail_bytes(subject="do Alfy"))
    mail_deliver(mail_bytes(subject="do Bety"), user=IMAP_OTHER_USER)

    # Tenant A's mailbox asked for under tenant B: not found there, nothing read.
    assert mailbox_poll_one(other_tenant.pk, helpdesk_mailbox.pk) == {}
    with tenant_context(other_tenant):
        with pytest.raises(PermissionError):
            mailbox_poll(mailbox=helpdesk_mailbox)
        assert not Case.objects.exists()

    assert mailboxes_poll() == 2  # Celery runs eagerly here: both read

    assert list(Case.objects.values_list("title", flat=True)) == ["do Alfy"]
    with tenant_context(other_tenant):
        assert list(Case.objects.values_list("title", flat=True)) == ["do Bety"]
        assert MailIngest.objects.get().mailbox == beta
    with tenant_context(tenant):
        assert MailIngest.objects.get().mailbox == helpdesk_mailbox


def test_an_inactive_mailbox_is_not_read(helpdesk_mailbox, mail_deliver, staff):
    mailbox_save(actor=staff, mailbox=helpdesk_mailbox,
                 **_fields(helpdesk_mailbox, is_active=False))
    mail_deliver(mail_bytes())
    assert mailboxes_poll() == 0
    assert not Case.objects.exists()


def _fields(mailbox, **changes) -> dict:
    fields = {name: getattr(mailbox, name) for name in (
        "address", "host", "port", "security", "username", "folder", "is_active",
        "case_type", "queue", "sender_hourly_limit")}
    return {**fields, **changes}
