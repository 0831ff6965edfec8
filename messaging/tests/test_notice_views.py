"""Device messages on the card ("Wyślij komunikat") and the customer's ``/notice/``."""

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_staff
from core.models import ActionLog
from core.roles import Role
from core.tenancy import tenant_context
from customers.services import customer_create
from messaging import notices
from messaging.models import Message
from messaging.tests.fixtures_notice import notice_online
from radius.services import login_create

NOTICE_URL = "/notice/"
HTMX = {"HTTP_HX_REQUEST": "true"}
EVIL = '<script>alert("x")</script> & "cudzysłów" \\ ąę'


def tab_url(customer):
    return reverse("messaging:notice_tab", args=[customer.pk])


def send_url(customer):
    return reverse("messaging:notice_send", args=[customer.pk])


@pytest.fixture
def sent(staff, customer, notice_login, notice_commit, notice_reloads):
    """An unread notice whose text is HTML and quotes."""
    return notice_commit(notices.notice_send, customer=customer, text=EVIL, actor=staff)


# --------------------------------------------------------------------------- the card

def test_the_cards_tab_loads_itself_into_the_messages_section(staff_client, customer):
    html = staff_client.get(reverse("customers:section", args=[customer.pk, "messages"]),
                            **HTMX).content.decode()

    assert f'hx-get="{tab_url(customer)}"' in html


def test_tab_lists_notices_with_their_read_state_and_shows_html_as_text(
        staff_client, staff, customer, sent, notice_commit):
    other = notice_commit(notices.notice_send, customer=customer, text="Drugi", actor=staff)
    notices.notice_read(message=other, customer=customer, ip="100.64.0.10")

    html = staff_client.get(tab_url(customer), **HTMX).content.decode()

    assert EVIL not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert html.count('class="notice-row"') == 2
    assert "unread" in html and "100.64.0.10" in html
    assert 'id="notice-send"' in html
    assert reverse("messaging:notice_cancel", args=[sent.pk]) in html
    assert reverse("messaging:notice_cancel", args=[other.pk]) not in html


def test_without_javascript_the_tab_is_a_page(staff_client, customer, sent):
    response = staff_client.get(tab_url(customer))

    assert response.status_code == 200
    assert "<html" in response.content.decode() and "notice-row" in response.content.decode()


def test_send_from_the_tab(staff_client, staff, customer, notice_login, notice_reloads,
                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(send_url(customer), {"body": "Awaria\r\nusunięta"},
                                     **HTMX)

    assert response.status_code == 200 and response["HX-Trigger"] == "card-changed"
    message = Message.objects.get()
    assert (message.body, message.author, message.status) == ("Awaria\nusunięta", staff,
                                                              "sent")
    assert "Device message sent" in response.content.decode()
    assert len(notice_reloads) == 1


def test_send_without_javascript_goes_back_to_the_card(staff_client, customer, notice_login,
                                                       notice_reloads):
    response = staff_client.post(send_url(customer), {"body": "Hej"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("customers:card", args=[customer.pk]))
    assert "kanal=notice" in response["Location"]


@pytest.mark.parametrize("body", ["", "x" * 2001])
def test_refused_text_shows_the_error(staff_client, customer, notice_login, body):
    response = staff_client.post(send_url(customer), {"body": body}, **HTMX)

    assert response.status_code == 400 and "invalid-feedback" in response.content.decode()
    assert not Message.objects.exists()


def test_a_customer_without_logins_is_told_why(staff_client, customer):
    response = staff_client.post(send_url(customer), {"body": "Hej"}, **HTMX)

    assert response.status_code == 400
    assert "no login to show the message on" in response.content.decode()


def test_cancel_from_the_tab(staff_client, customer, sent, notice_reloads):
    response = staff_client.post(reverse("messaging:notice_cancel", args=[sent.pk]), **HTMX)

    assert response.status_code == 200
    sent.refresh_from_db()
    assert sent.status == "cancelled"
    again = staff_client.post(reverse("messaging:notice_cancel", args=[sent.pk]), **HTMX)
    assert "Only a message the customer has not read" in again.content.decode()


def test_other_tenants_customer_and_notice_are_404(client, sent, customer, other_tenant,
                                                   other_staff):
    client.force_login(other_staff)

    assert client.get(tab_url(customer), **HTMX).status_code == 404
    assert client.post(send_url(customer), {"body": "Hej"}).status_code == 404
    assert client.post(reverse("messaging:notice_cancel", args=[sent.pk])).status_code == 404
    sent.refresh_from_db()
    assert sent.status == "sent" and Message.objects.count() == 1


def test_an_sms_is_not_a_notice_to_cancel(staff_client, customer):
    from messaging.services import message_queue

    sms = message_queue(customer=customer, channel="sms", recipient="+48601234567",
                        body="Hej", send=False)

    response = staff_client.post(reverse("messaging:notice_cancel", args=[sms.pk]))

    assert response.status_code == 404


def test_a_technician_cannot_see_or_send(client, tenant, customer, notice_login):
    client.force_login(make_staff(tenant, "tomek", role=Role.TECHNICIAN))

    assert client.get(tab_url(customer), **HTMX).status_code == 403
    assert client.post(send_url(customer), {"body": "Hej"}).status_code == 403


def test_tab_query_count(staff_client, staff, customer, notice_login, notice_commit,
                         notice_reloads, django_assert_num_queries):
    for n in range(3):
        notice_commit(notices.notice_send, customer=customer, text=f"N{n}", actor=staff)
    # the session, the user, the membership with the role (permissions), the customer, the
    # notices with their authors, the session saved (savepoint, update, release) — the
    # same for three notices as for one.
    with django_assert_num_queries(8):
        response = staff_client.get(tab_url(customer), **HTMX)
    assert response.content.decode().count('class="notice-row"') == 3


# --------------------------------------------------------------------------- /notice/

def test_the_page_shows_the_notice_of_the_sessions_address_as_text(client, sent):
    response = client.get(NOTICE_URL, REMOTE_ADDR="100.64.0.10")

    html = response.content.decode()
    assert response.status_code == 200
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html and EVIL not in html
    assert "I have read it" in html and "csrfmiddlewaretoken" in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_confirming_reads_it_as_the_customers_action(client, sent, customer, notice_login,
                                                     notice_reloads,
                                                     django_capture_on_commit_callbacks):
    notice_reloads.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NOTICE_URL, {"message": sent.pk}, REMOTE_ADDR="100.64.0.10")

    assert response.status_code == 302 and response["Location"] == NOTICE_URL
    sent.refresh_from_db()
    assert (sent.status, sent.read_from) == ("read", "100.64.0.10")
    entry = ActionLog.objects.get(kind="notice.read")
    assert (entry.actor_kind, entry.actor_customer_id) == ("customer", customer.pk)
    notice_login.refresh_from_db()
    assert "reply:Mikrotik-Address-List" not in notice_login.radius_snapshot["reply"]
    assert len(notice_reloads) == 1
    after = client.get(NOTICE_URL, REMOTE_ADDR="100.64.0.10").content.decode()
    assert "Your connection works as usual again" in after
    assert "There is no message for you" in after


def test_another_address_sees_nothing(client, sent):
    html = client.get(NOTICE_URL, REMOTE_ADDR="100.64.0.11").content.decode()

    assert "There is no message for you" in html and "alert" not in html
    response = client.post(NOTICE_URL, {"message": sent.pk}, REMOTE_ADDR="100.64.0.11")
    assert response.status_code == 400
    sent.refresh_from_db()
    assert sent.status == "sent"


def test_a_forwarded_for_header_is_not_trusted_by_default(client, sent, settings):
    html = client.get(NOTICE_URL, REMOTE_ADDR="10.0.0.1",
                      HTTP_X_FORWARDED_FOR="100.64.0.10").content.decode()
    assert "There is no message for you" in html

    settings.TRUSTED_PROXY_COUNT = 1
    html = client.get(NOTICE_URL, REMOTE_ADDR="10.0.0.1",
                      HTTP_X_FORWARDED_FOR="100.64.0.10").content.decode()
    assert "I have read it" in html


def test_another_customers_notice_cannot_be_confirmed_from_my_address(
        client, staff, customer, sent, notice_commit, notice_reloads):
    neighbour = customer_create(actor=staff, last_name="Nowak")
    notice_online(actor=staff, customer=neighbour, login="nowak", ip="100.64.0.20",
                  nas=notice_login_nas(customer))
    theirs = notice_commit(notices.notice_send, customer=neighbour, text="Tylko dla Nowaka",
                           actor=staff)

    mine = client.get(NOTICE_URL, REMOTE_ADDR="100.64.0.10").content.decode()
    assert "Tylko dla Nowaka" not in mine
    response = client.post(NOTICE_URL, {"message": theirs.pk}, REMOTE_ADDR="100.64.0.10")
    assert response.status_code == 404
    for bad in ("", "x", "-1"):
        assert client.post(NOTICE_URL, {"message": bad},
                           REMOTE_ADDR="100.64.0.10").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "sent"


def notice_login_nas(customer):
    from radius.models import Nas

    return Nas.objects.get(tenant=customer.tenant)


def test_confirming_twice_reads_once(client, sent, notice_reloads):
    for _ in range(2):
        response = client.post(NOTICE_URL, {"message": sent.pk}, REMOTE_ADDR="100.64.0.10")
        assert response.status_code == 302

    assert ActionLog.objects.filter(kind="notice.read").count() == 1


def test_the_confirmation_needs_the_csrf_token(sent):
    client = Client(enforce_csrf_checks=True, headers={"accept-language": "en"})

    response = client.post(NOTICE_URL, {"message": sent.pk}, REMOTE_ADDR="100.64.0.10")

    assert response.status_code == 403
    sent.refresh_from_db()
    assert sent.status == "sent"


def test_an_address_of_two_tenants_shows_nothing(client, sent, other_tenant, other_staff):
    with tenant_context(other_tenant):
        theirs = customer_create(actor=other_staff, last_name="Obcy")
        notice_online(actor=other_staff, customer=theirs, login="obcy")

    html = client.get(NOTICE_URL, REMOTE_ADDR="100.64.0.10").content.decode()

    assert "There is no message for you" in html and "alert" not in html


def test_without_a_session_a_panel_login_opens_the_panels_messages(client, sent):
    session = client.session
    session["panel_account_id"] = 1
    session.save()

    response = client.get(NOTICE_URL, REMOTE_ADDR="10.9.9.9")

    assert response.status_code == 302 and response["Location"] == reverse("panel:messages")


def test_without_anything_the_page_offers_the_panel_login(client, db):
    html = client.get(NOTICE_URL).content.decode()

    assert "There is no message for you" in html
    assert f'href="{reverse("panel:messages")}"' in html


def test_the_page_query_count(client, staff, customer, sent, notice_login, notice_commit,
                              django_assert_num_queries):
    notice_commit(notices.notice_send, customer=customer, text="Drugi", actor=staff)
    # the open session's customer, the customer with the tenant, the unread notices.
    with django_assert_num_queries(3):
        response = client.get(NOTICE_URL, REMOTE_ADDR="100.64.0.10")
    assert response.content.decode().count('class="card shadow-sm mb-3 notice"') == 2


def test_a_login_without_a_session_is_not_an_address(client, staff, customer, notice_commit,
                                                     notice_reloads):
    login_create(actor=staff, customer=customer, login="offline", password="pw",
                 ip="100.64.0.30")
    notice_commit(notices.notice_send, customer=customer, text="Hej", actor=staff)

    html = client.get(NOTICE_URL, REMOTE_ADDR="100.64.0.30").content.decode()

    assert "There is no message for you" in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chromium_staff_send_and_cancel_from_the_cards_tab(in_tenant, staff, customer,
                                                              live_server, browser_page,
                                                              notice_reloads):
    import os

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    sync_api = pytest.importorskip("playwright.sync_api")
    from conftest import staff_browser_login

    notice_online(actor=staff, customer=customer)
    page, expect = browser_page, sync_api.expect
    staff_browser_login(page, f"{live_server.url}/login/?next=/customers/{customer.pk}/"
                              "%3Fsekcja%3Dwiadomosci%26kanal%3Dnotice")

    page.fill("#notice_body", "Awaria <b>usunięta</b>")
    page.locator("#notice-send button").click()

    expect(page.locator("#notice-tab")).to_contain_text("Device message sent")
    row = page.locator("#notice-list .notice-row").first
    expect(row.locator(".notice-text")).to_have_text("Awaria <b>usunięta</b>")
    expect(row.locator(".notice-state")).to_contain_text("unread")
    row.get_by_role("button", name="Cancel").click()
    expect(page.locator("#notice-tab")).to_contain_text("The device message is cancelled")
    expect(page.locator("#notice-list .notice-row").first.locator(".notice-state")) \
        .to_contain_text("cancelled")
    assert Message.objects.get().status == "cancelled"
