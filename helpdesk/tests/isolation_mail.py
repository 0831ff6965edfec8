"""Tenant A's helpdesk mailbox and one e-mail read, for the isolation walk (through the
mail part's services; no IMAP server is needed to build them)."""

from helpdesk.services.mail import mailbox_save, message_ingest
from helpdesk.tests.factories import case_type_make, queue_make


def build(objects: dict, *, tenant, staff, customer) -> None:
    queue = objects.get("queue") or queue_make("KolejkaMailAlfa")
    case_type = objects.get("casetype") or case_type_make("TypMailAlfa", default_queue=queue)
    mailbox = mailbox_save(actor=staff, address="bok@alfa.example", host="127.0.0.1",
                           port=1, security="none", username="skrzynkaAlfa",
                           password="HasloAlfa", folder="INBOX", case_type=case_type,
                           queue=queue)
    raw = (b"From: Klient <klient@alfa.example>\r\nSubject: AwariaMailAlfa\r\n"
           b"Message-ID: <isolation-alfa@alfa.example>\r\n\r\nTrescMailAlfa\r\n")
    _outcome, ingest = message_ingest(mailbox=mailbox, raw=raw)
    objects["helpdeskmailbox"] = mailbox
    objects["mailingest"] = ingest
