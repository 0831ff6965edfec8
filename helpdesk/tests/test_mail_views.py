"""The helpdesk mailbox page and the list of the e-mails read."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from conftest import make_staff
from core.roles import Role
from helpdesk.models import HelpdeskMailbox
from helpdesk.services.mail import mailbox_clean, message_ingest
from helpdesk.tests.fixtures_mail import IMAP_PASSWORD, IMAP_USER, mail_bytes

pytestmark = pytest.mark.django_db


def _post(mail_case_type, mail_queue, imap_port, **changes):
    data = {"address": "bok@alfa.example", "host": "127.0.0.1", "port": imap_port,
            "security": "none", "username": IMAP_USER, "password": IMAP_PASSWORD,
            "folder": "INBOX", "case_type": mail_case_type.pk, "queue": mail_queue.pk,
            "sender_hourly_limit": 5, "is_active": "on"}
    data.update(changes)
    return data


def test_set_up_then_change_keeping_the_masked_password(staff_client, mail_case_type,
                                                        mail_queue, imap_server):
    url = reverse("helpdesk:mailbox")
    response = staff_client.post(url, _post(mail_case_type, mail_queue, imap_server.port))
    assert response.status_code == 302
    mailbox = HelpdeskMailbox.objects.get()
    assert mailbox.password == IMAP_PASSWORD

    page = staff_client.get(url).content.decode()
    assert IMAP_PASSWORD not in page and "desk%{}" not in page and "••••" in page

    response = staff_client.post(url, _post(mail_case_type, mail_queue, imap_server.port,
                                            password="", sender_hourly_limit=9))
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.password == IMAP_PASSWORD and mailbox.sender_hourly_limit == 9


@pytest.mark.parametrize(("changes", "field"), [
    ({"address": "nie-adres"}, "address"),
    ({"host": "bad host!"}, "host"),
    ({"security": "none", "host": "imap.example.com"}, "security"),
    ({"port": "70000"}, "port"),
    ({"sender_hourly_limit": 0}, "sender_hourly_limit"),
    ({"folder": "IN\nBOX"}, "folder"),
])
def test_invalid_settings_are_refused_on_the_field(staff_client, mail_case_type, mail_queue,
                                                   changes, field):
    response = staff_client.post(reverse("helpdesk:mailbox"),
                                 _post(mail_case_type, mail_queue, 143, **changes))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not HelpdeskMailbox.objects.exists()


_LONGEST = ("a" * 63 + ".") * 3 + "a" * 61  # 253 characters


@pytest.mark.parametrize(("host", "valid"), [
    ("a" * 64 + ".example.pl", False), ("-imap.example.pl", False),
    ("imap-.example.pl", False), ("a..b", False), (_LONGEST + "a", False),
    ("zażółć.pl", False), ("imap_1.example.pl", False),
    ("127.1", False), ("10.0.0.999", False),  # an address in disguise (core.netguard's rule)
    ("a" * 63 + ".example.pl", True), (_LONGEST, True), (_LONGEST + ".", True),
    ("xn--za-6ja4f8n1l.pl", True), ("10.0.0.25", True), ("2001:db8::25", True),
])
def test_the_imap_host_is_a_host_name_or_an_address(mail_case_type, mail_queue, host,
                                                     valid):
    values = {"address": "bok@alfa.example", "host": host, "security": "ssl",
              "username": IMAP_USER, "password": IMAP_PASSWORD,
              "case_type": mail_case_type, "queue": mail_queue}
    if valid:
        assert mailbox_clean(**values)["host"] == host
    else:
        with pytest.raises(ValidationError) as refused:
            mailbox_clean(**values)
        assert refused.value.message_dict == {
            "host": ["Enter a valid host name or IP address."]}


def test_test_connection_says_what_the_server_said(staff_client, helpdesk_mailbox, staff):
    response = staff_client.post(reverse("helpdesk:mailbox_test"), follow=True)
    assert "Connected: 0 messages" in response.content.decode()

    HelpdeskMailbox.objects.filter(pk=helpdesk_mailbox.pk).update(password="wrong")
    response = staff_client.post(reverse("helpdesk:mailbox_test"), follow=True)
    assert "refused the login" in response.content.decode()


def test_read_now_reads_the_mailbox(staff_client, helpdesk_mailbox, mail_deliver):
    mail_deliver(mail_bytes(subject="Pilne <script>alert(1)</script>"))
    staff_client.post(reverse("helpdesk:mailbox_read"))
    page = staff_client.get(reverse("helpdesk:mailbox")).content.decode()
    assert "Pilne &lt;script&gt;" in page and "<script>alert(1)" not in page


def test_an_operator_cannot_see_the_mailbox_settings(client, tenant, helpdesk_mailbox):
    client.force_login(make_staff(tenant, "olek", Role.OPERATOR))
    assert client.get(reverse("helpdesk:mailbox")).status_code == 403
    assert client.post(reverse("helpdesk:mailbox_test")).status_code == 403


def test_ingest_list_is_paged_filtered_and_counted(staff_client, helpdesk_mailbox,
                                                   django_assert_max_num_queries):
    for n in range(3):
        message_ingest(mailbox=helpdesk_mailbox, raw=mail_bytes(subject=f"Sprawa {n}",
                                                                sender=f"k{n}@example.com"))
    message_ingest(mailbox=helpdesk_mailbox,
                   raw=mail_bytes(subject="urlop", headers={"X-Autoreply": "yes"}))
    url = reverse("helpdesk:mailingest_list")
    # The request's own: session, user, membership with tenant and role (and the session's
    # save, three statements, when it changed); the page's: the count and one page of rows
    # joined with their cases (no query per row).
    with django_assert_max_num_queries(9) as captured:
        response = staff_client.get(url)
    ours = [q["sql"] for q in captured.captured_queries if "helpdesk_mailingest" in q["sql"]]
    assert len(ours) == 2 and "helpdesk_case" in ours[1]
    assert response.content.decode().count("data-outcome=") == 4

    response = staff_client.get(url, {"outcome": "auto_reply"})
    assert response.content.decode().count("data-outcome=") == 1
    response = staff_client.get(url, {"sender": "k1@"})
    assert response.content.decode().count("data-outcome=") == 1
