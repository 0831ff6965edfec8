"""The panel's "Wiadomości" (panel/messages.py): the customer's messages, the unread
device message with "Przeczytałem", attachments, the consents."""

import pytest
from django.urls import reverse

from core.models import ActionLog
from core.tenancy import tenant_context
from customers import services as customer_services
from customers.models import Consent
from customers.services import customer_create
from messaging import notices
from messaging.services import Attachment, message_queue

PASSWORD = "Haslo-Bardzo-Tajne-1"
MESSAGES_URL = reverse("panel:messages")
CONSENTS_URL = reverse("panel:consents")


def read_url(message):
    return reverse("panel:notice_read", args=[message.pk])


def attachment_url(attachment):
    return reverse("panel:message_attachment", args=[attachment.pk])


def panel_login(client, customer, staff, login="jkowalski"):
    customer_services.panel_credentials_set(actor=staff, customer=customer, login=login,
                                            password=PASSWORD)
    response = client.post(reverse("panel:login"), {"login": login, "secret": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def panel(client, customer, staff):
    return panel_login(client, customer, staff)


@pytest.fixture
def inbox(staff, customer, notice_login, notice_commit, notice_reloads):
    """An e-mail with a PDF, an SMS, an unread and a read device message, a cancelled
    one; and a neighbour's e-mail."""
    email = message_queue(customer=customer, channel="email", recipient="jan@example.pl",
                          subject="Faktura FV/1/2026", body="W załączniku faktura.",
                          attachments=[Attachment("FV_1_2026.pdf", b"%PDF-1.4 jan")],
                          send=False)
    sms = message_queue(customer=customer, channel="sms", recipient="+48601234567",
                        body="Przypomnienie o płatności", send=False)
    read = notice_commit(notices.notice_send, customer=customer, text="Przeczytany",
                         actor=staff)
    notices.notice_read(message=read, customer=customer, ip="100.64.0.10")
    cancelled = notice_commit(notices.notice_send, customer=customer, text="Odwołany",
                              actor=staff)
    notices.notice_cancel(message=cancelled, actor=staff)
    unread = notice_commit(notices.notice_send, customer=customer,
                           text="<i>Nowy</i> komunikat", actor=staff)
    neighbour = customer_create(actor=staff, last_name="Nowak")
    theirs = message_queue(customer=neighbour, channel="email", recipient="nowak@example.pl",
                           subject="Faktura Nowaka", body="Tajne",
                           attachments=[Attachment("nowak.pdf", b"%PDF nowak")], send=False)
    return {"email": email, "sms": sms, "read": read, "unread": unread,
            "cancelled": cancelled, "theirs": theirs}


def test_the_menu_links_the_messages(panel):
    html = panel.get(reverse("panel:home")).content.decode()

    assert f'href="{MESSAGES_URL}"' in html


def test_the_page_lists_what_was_sent_to_the_customer(panel, inbox):
    html = panel.get(MESSAGES_URL).content.decode()

    assert "Faktura FV/1/2026" in html and "FV_1_2026.pdf" in html
    assert attachment_url(inbox["email"].attachments.get()) in html
    assert "Przypomnienie o płatności" in html and "+48601234567" in html
    assert "Przeczytany" in html and "Odwołany" not in html
    assert "&lt;i&gt;Nowy&lt;/i&gt; komunikat" in html and "<i>Nowy</i>" not in html
    assert html.count('class="panel-message"') == 4
    assert read_url(inbox["unread"]) in html and read_url(inbox["read"]) not in html
    assert "Nowak" not in html and "Tajne" not in html


def test_reading_in_the_panel_is_the_customers_action(panel, inbox, customer, notice_login,
                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = panel.post(read_url(inbox["unread"]))

    assert response.status_code == 302 and response["Location"] == MESSAGES_URL
    inbox["unread"].refresh_from_db()
    assert (inbox["unread"].status, inbox["unread"].read_from) == ("read", "127.0.0.1")
    entry = ActionLog.objects.filter(kind="notice.read").latest("pk")
    assert (entry.actor_kind, entry.actor_customer_id) == ("customer", customer.pk)
    notice_login.refresh_from_db()
    assert "reply:Mikrotik-Address-List" not in notice_login.radius_snapshot["reply"]
    assert "Thank you for reading" in panel.get(MESSAGES_URL).content.decode()


def test_another_customers_notice_or_attachment_is_404(panel, inbox, staff, notice_commit,
                                                       notice_reloads):
    neighbour = inbox["theirs"].customer
    from radius.services import login_create

    login_create(actor=staff, customer=neighbour, login="nowak", password="pw")
    theirs = notice_commit(notices.notice_send, customer=neighbour, text="Nowak", actor=staff)

    assert panel.post(read_url(theirs)).status_code == 404
    assert panel.get(attachment_url(inbox["theirs"].attachments.get())).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "sent"


def test_another_tenants_ids_are_404(panel, inbox, other_tenant, other_staff):
    with tenant_context(other_tenant):
        stranger = customer_create(actor=other_staff, last_name="Obcy")
        email = message_queue(customer=stranger, channel="email", recipient="o@example.pl",
                              subject="Obcy", body="Obcy",
                              attachments=[Attachment("obcy.pdf", b"%PDF obcy")], send=False)
        attachment = email.attachments.get()

    assert panel.get(attachment_url(attachment)).status_code == 404
    assert panel.post(read_url(email)).status_code == 404


def test_own_attachment_downloads(panel, inbox):
    response = panel.get(attachment_url(inbox["email"].attachments.get()))

    assert response.status_code == 200 and response.content == b"%PDF-1.4 jan"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="FV_1_2026.pdf"'


def test_without_a_panel_login_the_pages_ask_to_log_in(client, inbox):
    for response in (client.get(MESSAGES_URL), client.post(read_url(inbox["unread"])),
                     client.post(CONSENTS_URL, {"marketing": "on"})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("panel:login"))
    inbox["unread"].refresh_from_db()
    assert inbox["unread"].status == "sent" and not Consent.objects.exists()


def test_consents_changed_by_the_customer_are_logged_as_theirs(panel, customer):
    response = panel.post(CONSENTS_URL, {"marketing": "on", "e_invoice": "on"})

    assert response.status_code == 302
    granted = dict(Consent.objects.filter(customer=customer).values_list("kind", "granted"))
    assert granted == {"marketing": True, "e_invoice": True}
    entries = ActionLog.objects.filter(kind="consent.set", customer=customer)
    assert entries.count() == 2
    assert {(e.actor_kind, e.actor_customer_id) for e in entries} == {("customer",
                                                                       customer.pk)}

    panel.post(CONSENTS_URL, {"e_invoice": "on"})

    assert not Consent.objects.get(customer=customer, kind="marketing").granted
    assert ActionLog.objects.filter(kind="consent.set", customer=customer).count() == 3
    html = panel.get(MESSAGES_URL).content.decode()
    assert 'name="e_invoice" class="form-check-input" id="consent_e_invoice" checked' in html


def test_saving_the_same_consents_again_changes_and_logs_nothing(panel, customer):
    panel.post(CONSENTS_URL, {"phone_contact": "on"})
    panel.post(CONSENTS_URL, {"phone_contact": "on"})

    assert ActionLog.objects.filter(kind="consent.set").count() == 1
    assert "Nothing has changed" in panel.get(MESSAGES_URL).content.decode()


def test_data_processing_cannot_be_withdrawn_in_the_panel(panel, customer, staff):
    from datetime import date

    customer_services.consent_set(actor=staff, customer=customer, kind="data_processing",
                                  granted=True, given_on=date(2026, 1, 2))

    panel.post(CONSENTS_URL, {"data_processing": ""})

    assert Consent.objects.get(customer=customer, kind="data_processing").granted


def test_the_page_query_count(panel, inbox, django_assert_num_queries):
    # the session, the tenant, the panel account with its customer; the count and the
    # page of messages, their attachments (without content), the unread notices, the
    # consents — whatever the number of messages.
    with django_assert_num_queries(8):
        response = panel.get(MESSAGES_URL)
    assert response.status_code == 200


def test_the_home_page_shows_the_unread_notice_until_it_is_read(panel, inbox):
    home = reverse("panel:home")
    html = panel.get(home).content.decode()
    assert read_url(inbox["unread"]) in html and "&lt;i&gt;Nowy&lt;/i&gt;" in html

    panel.post(read_url(inbox["unread"]))

    assert read_url(inbox["unread"]) not in panel.get(home).content.decode()
