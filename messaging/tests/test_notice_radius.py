"""Device messages end to end: a real FreeRADIUS asking the live Abonent, a real
FreeRADIUS acting as the NAS for CoA/Disconnect (radius/tests/conftest.py), and the
customer's ``/notice/`` in Chromium.

The customer's session has the framed address 127.0.0.1, the address the browser comes
from on loopback: the page finds the customer by it, as it would by 100.64.0.10 behind
a NAS.
"""

import os

import pytest
from django.urls import reverse

from core.models import ActionLog
from messaging import notices
from messaging.models import Message
from messaging.tests.fixtures_notice import notice_online
from radius.services import nas_create
from radius.tests.freeradius import SECRET, radclient

pytestmark = [pytest.mark.radius, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("inline_reloads")]


@pytest.fixture
def online(in_tenant, staff, customer, coa_peer):
    """The customer's login "jan-dom" online at 127.0.0.1 on a MikroTik whose CoA port is
    the peer's."""
    nas = nas_create(actor=staff, name="BRAS 1", ip="127.0.0.1", secret=SECRET,
                     kind="mikrotik", coa_port=coa_peer.auth_port)
    return notice_online(actor=staff, customer=customer, ip="127.0.0.1", nas=nas)


def access(server) -> list[str]:
    """The Mikrotik-Address-List values an Access-Request for jan-dom gets."""
    reply = radclient(server, "auth", {"NAS-IP-Address": "127.0.0.1", "User-Name": "jan-dom",
                                       "User-Password": "pw"})
    assert reply.code == "Access-Accept", reply.output
    return reply.get("Mikrotik-Address-List")


def test_a_notice_sent_from_the_card_reaches_freeradius_and_the_nas(
        radius_server, coa_peer, online, staff_client, customer):
    assert access(radius_server) == []

    response = staff_client.post(reverse("messaging:notice_send", args=[customer.pk]),
                                 {"body": "Przerwa techniczna"})

    assert response.status_code == 302
    log = coa_peer.output()
    assert "Received CoA-Request" in log
    assert 'Mikrotik-Address-List = "abonent-notice"' in log
    online.refresh_from_db()
    assert online.reload_status == "ack"
    assert access(radius_server) == ["abonent-notice"]


def test_cancelling_the_notice_takes_the_redirect_away(radius_server, coa_peer, online, staff,
                                                       customer):
    message = notices.notice_send(customer=customer, text="Hej", actor=staff)
    assert access(radius_server) == ["abonent-notice"]
    mark = len(coa_peer.output())

    notices.notice_cancel(message=message, actor=staff)

    # A CoA cannot take an attribute away: the session is disconnected and comes back
    # with the new reply.
    assert "Received Disconnect-Request" in coa_peer.output()[mark:]
    assert access(radius_server) == []


@pytest.mark.browser
def test_the_customer_reads_the_notice_in_chromium(radius_server, coa_peer, online, staff,
                                                   customer, app_server, browser_page):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    sync_api = pytest.importorskip("playwright.sync_api")
    message = notices.notice_send(customer=customer,
                                  text='Awaria w Twojej okolicy <b>"naprawiamy"</b>\nDziękujemy',
                                  actor=staff)
    assert access(radius_server) == ["abonent-notice"]
    mark = len(coa_peer.output())
    page, expect = browser_page, sync_api.expect

    page.goto(f"{app_server}/notice/")
    notice = page.locator(f"#notice-{message.pk} .notice-text")
    expect(notice).to_contain_text('Awaria w Twojej okolicy <b>"naprawiamy"</b>')
    expect(notice).to_contain_text("Dziękujemy")
    page.get_by_role("button", name="I have read it").click()
    expect(page.locator("#notice-none")).to_contain_text("There is no message for you")
    expect(page.locator("main")).to_contain_text("Your connection works as usual again")

    message.refresh_from_db()
    assert (message.status, message.read_from) == ("read", "127.0.0.1")
    entry = ActionLog.objects.get(kind="notice.read")
    assert (entry.actor_kind, entry.actor_customer_id) == ("customer", customer.pk)
    assert "Received Disconnect-Request" in coa_peer.output()[mark:]
    assert access(radius_server) == []
    assert Message.objects.filter(status="read").count() == 1
