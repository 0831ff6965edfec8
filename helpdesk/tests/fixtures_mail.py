"""Fixtures of the mail part's tests: a real Dovecot on loopback (once per run, users from
a passwd-file, a Maildir the tests fill), each test reading its own folder; the helpdesk
mailbox of the tenant; the loopback SMTP server of messaging's tests for replies out."""

import os
import shutil
import tempfile
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from helpdesk.models import FieldKind
from helpdesk.tests.factories import case_type_make, queue_make
from mailhosting.dovecot import dovecot_binary
from messaging.tests.fixtures_email import (  # noqa: F401  (the fixtures, for these tests)
    smtp_gateway,
    smtp_server,
    smtp_server_session,
)

# Quotes, a backslash and %{} cross into IMAP's LOGIN quoting (no ':' : passwd-file).
IMAP_USER, IMAP_PASSWORD = "helpdesk", "h3lp'\"\\desk%{}<b>"
IMAP_OTHER_USER, IMAP_OTHER_PASSWORD = "beta", "beta-pass"
HELPDESK_ADDRESS = "bok@alfa.example"


@pytest.fixture(scope="session")
def imap_server():
    if not dovecot_binary():
        message = "Dovecot is not installed (scripts/test-deps.sh installs dovecot-imapd)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from helpdesk.imap_server import HelpdeskImap

    # Outside pytest's temporary directories: Dovecot's users must reach the mail.
    base = Path(tempfile.mkdtemp(prefix="abonent-helpdesk-imap-"))
    server = HelpdeskImap(base, users={IMAP_USER: IMAP_PASSWORD,
                                       IMAP_OTHER_USER: IMAP_OTHER_PASSWORD})
    server.start()
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def mail_folder(imap_server):
    """A folder of this test's own (so tests never see each other's mail)."""
    folder = f"T{uuid.uuid4().hex[:12]}"
    for user in (IMAP_USER, IMAP_OTHER_USER):
        path = imap_server.folder_path(user, folder)
        for sub in ("tmp", "new", "cur"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        (path / "maildirfolder").touch()
        imap_server._chown_tree(path)
    return folder


@pytest.fixture
def mail_deliver(imap_server, mail_folder):
    def deliver(raw: bytes, *, user: str = IMAP_USER, folder: str | None = None):
        return imap_server.deliver(user, folder or mail_folder, raw)

    return deliver


@pytest.fixture
def mail_queue(in_tenant, staff):
    return queue_make("Biuro obsługi", members=[staff])


@pytest.fixture
def mail_case_type(in_tenant, mail_queue):
    """A type with a mandatory field: an e-mail may still raise the case without it."""
    return case_type_make("Zgłoszenie e-mail", default_queue=mail_queue, fields=[
        ("address", "Address", FieldKind.ADDRESS, True)])


@pytest.fixture
def helpdesk_mailbox(in_tenant, staff, imap_server, mail_folder, mail_case_type, mail_queue):
    from helpdesk.services.mail import mailbox_save

    return mailbox_save(actor=staff, address=HELPDESK_ADDRESS, host="127.0.0.1",
                        port=imap_server.port, security="none", username=IMAP_USER,
                        password=IMAP_PASSWORD, folder=mail_folder, case_type=mail_case_type,
                        queue=mail_queue, sender_hourly_limit=3)


def mail_bytes(*, sender="jan.kowalski@example.com", subject="Brak internetu",
               body="Od rana nie działa internet.", headers=None, html=None,
               attachments=(), message_id: str | None = None) -> bytes:
    """An e-mail as a customer's program writes it (UTF-8)."""
    message = EmailMessage()
    message["From"] = f"Jan Kowalski <{sender}>" if sender else "nobody"
    message["To"] = HELPDESK_ADDRESS
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="example.com")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, content, content_type in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()
