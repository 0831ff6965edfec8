"""``/api/v1/helpdesk-mailboxes/`` and ``/api/v1/helpdesk-mail-ingests/``."""

import pytest

from core.tenancy import tenant_context
from helpdesk.models import HelpdeskMailbox
from helpdesk.services.mail import message_ingest
from helpdesk.tests.factories import case_type_make, queue_make
from helpdesk.tests.fixtures_mail import IMAP_PASSWORD, IMAP_USER, mail_bytes

pytestmark = pytest.mark.django_db
URL = "/api/v1/helpdesk-mailboxes/"


def _body(mail_case_type, mail_queue, port, **changes):
    return {"address": "bok@alfa.example", "host": "127.0.0.1", "port": port,
            "security": "none", "username": IMAP_USER, "password": IMAP_PASSWORD,
            "folder": "INBOX", "case_type": mail_case_type.pk, "queue": mail_queue.pk,
            **changes}


def test_create_patch_keeps_password_and_never_shows_it(api_client, mail_case_type,
                                                        mail_queue, imap_server):
    response = api_client.post(URL, _body(mail_case_type, mail_queue, imap_server.port),
                               format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["has_password"] is True and "password" not in data
    response = api_client.patch(f"{URL}{data['id']}/", {"sender_hourly_limit": 7},
                                format="json")
    assert response.status_code == 200 and response.json()["sender_hourly_limit"] == 7
    assert HelpdeskMailbox.objects.get().password == IMAP_PASSWORD
    assert IMAP_PASSWORD not in api_client.get(URL).content.decode()

    response = api_client.post(f"{URL}{data['id']}/test/")
    assert response.json() == {"ok": True, "detail": "Connected: 0 messages in INBOX."}


def test_refusals_name_their_fields(api_client, mail_case_type, mail_queue, other_tenant):
    with tenant_context(other_tenant):
        foreign = case_type_make("Obcy typ", default_queue=queue_make("Obca"))
    response = api_client.post(URL, _body(mail_case_type, mail_queue, 143,
                                          case_type=foreign.pk), format="json")
    assert response.status_code == 400 and "case_type" in response.json()["errors"]
    response = api_client.post(URL, _body(mail_case_type, mail_queue, 143,
                                          host="imap.example.com"), format="json")
    assert response.status_code == 400 and "security" in str(response.json())
    assert not HelpdeskMailbox.objects.exists()


def test_another_tenants_mailbox_is_a_404(other_api_client, helpdesk_mailbox):
    assert other_api_client.get(f"{URL}{helpdesk_mailbox.pk}/").status_code == 404
    assert other_api_client.patch(f"{URL}{helpdesk_mailbox.pk}/", {"folder": "X"},
                                  format="json").status_code == 404
    assert other_api_client.post(f"{URL}{helpdesk_mailbox.pk}/test/").status_code == 404


def test_ingests_listed_and_filtered(api_client, helpdesk_mailbox):
    message_ingest(mailbox=helpdesk_mailbox, raw=mail_bytes(subject="Sprawa"))
    message_ingest(mailbox=helpdesk_mailbox,
                   raw=mail_bytes(subject="lista", headers={"List-Id": "<l.example>"}))
    response = api_client.get("/api/v1/helpdesk-mail-ingests/", {"outcome": "loop"})
    assert [r["subject"] for r in response.json()["results"]] == ["lista"]
    response = api_client.get("/api/v1/helpdesk-mail-ingests/")
    rows = response.json()["results"]
    assert [r["outcome"] for r in rows] == ["loop", "created"]
    assert rows[1]["case_number"] is not None
