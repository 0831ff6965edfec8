"""Device messages ("komunikat"): sending, the RADIUS attributes while unread, reading,
cancelling (messaging/notices.py)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from core.models import ActionLog, TenantSetting
from core.tenancy import tenant_context
from customers.services import customer_create
from messaging import notices
from messaging.models import Message, MessageEvent
from messaging.tests.fixtures_notice import notice_online
from radius.attributes import reply_for_nas
from radius.models import Login, LoginReload
from radius.services import login_block, login_create

NOTICE = "abonent-notice"


def address_lists(login) -> list[str]:
    login.refresh_from_db()
    entry = reply_for_nas(login.radius_snapshot, "mikrotik").get("reply:Mikrotik-Address-List")
    return entry["value"] if entry else []


def test_sent_notice_adds_the_message_attribute_and_reloads_the_online_login(
        staff, customer, notice_login, notice_commit, notice_reloads):
    message = notice_commit(notices.notice_send, customer=customer,
                            text="Przerwa techniczna jutro", actor=staff)

    message.refresh_from_db()
    assert (message.channel, message.status, message.purpose) == ("notice", "sent", "notice")
    assert message.recipient == "jan-dom" and message.sent_at is not None
    assert address_lists(notice_login) == [NOTICE]
    reload = LoginReload.objects.get(pk__in=notice_reloads)
    assert reload.login == notice_login and reload.status == "queued"
    assert ActionLog.objects.filter(kind="message.queue", customer=customer,
                                    actor_user=staff).count() == 1


def test_the_attribute_joins_the_logins_own_address_lists(staff, customer, notice_commit,
                                                          notice_reloads):
    login = login_create(actor=staff, customer=customer, login="jan", password="pw",
                         attributes=[("Mikrotik-Address-List", "+=", "subscribers")])

    notice_commit(notices.notice_send, customer=customer, text="Hej", actor=staff)

    assert address_lists(login) == ["subscribers", NOTICE]


def test_every_login_of_the_customer_gets_it_and_only_theirs(staff, customer, notice_commit,
                                                             notice_reloads):
    first = login_create(actor=staff, customer=customer, login="b-login", password="pw")
    second = login_create(actor=staff, customer=customer, login="a-login", password="pw")
    neighbour = customer_create(actor=staff, last_name="Nowak")
    theirs = login_create(actor=staff, customer=neighbour, login="nowak", password="pw")

    message = notice_commit(notices.notice_send, customer=customer, text="Hej", actor=staff)

    assert message.recipient == "a-login, b-login"
    assert address_lists(first) == address_lists(second) == [NOTICE]
    assert address_lists(theirs) == []


def test_a_customer_without_a_login_cannot_be_sent_a_notice(staff, customer):
    with pytest.raises(ValidationError) as error:
        notices.notice_send(customer=customer, text="Hej", actor=staff)

    assert "no login" in str(error.value)
    assert not Message.objects.exists()


@pytest.mark.parametrize("text", ["", "   \n ", "x" * 2001])
def test_empty_or_oversized_text_is_refused(staff, customer, notice_login, text):
    with pytest.raises(ValidationError):
        notices.notice_send(customer=customer, text=text, actor=staff)

    assert not Message.objects.exists()


def test_the_tenants_attributes_are_sent_as_typed(staff, customer, tenant, notice_login,
                                                  notice_commit, notice_reloads):
    TenantSetting.objects.create(
        tenant=tenant, key="messaging.notice_attributes",
        value='Mikrotik-Address-List := "notice\\x"; Reply-Message := Masz wiadomość %{x}')

    notice_commit(notices.notice_send, customer=customer, text="Hej", actor=staff)

    notice_login.refresh_from_db()
    reply = notice_login.radius_snapshot["reply"]
    assert reply["reply:Mikrotik-Address-List"]["value"] == ['"notice\\x"']
    assert reply["reply:Reply-Message"] == {"op": ":=", "value": ["Masz wiadomość %{x}"],
                                            "do_xlat": False}


def test_setting_refuses_rows_that_are_not_attributes():
    from core.tenant_settings import REGISTRY

    definition = REGISTRY["messaging.notice_attributes"]
    with pytest.raises(ValidationError):
        definition.clean("Cleartext-Password := x")
    with pytest.raises(ValidationError):
        definition.clean("just words")
    assert definition.clean(" Mikrotik-Address-List += a ;; ") == "Mikrotik-Address-List += a"


def test_a_blocked_login_keeps_the_block_instead(staff, customer, notice_login, notice_commit,
                                                 notice_reloads):
    login_block(actor=staff, login=notice_login, reason="Zaległość")

    notice_commit(notices.notice_send, customer=customer, text="Hej", actor=staff)

    assert address_lists(notice_login) == ["blocked"]


def test_reading_records_it_as_the_customers_action_and_removes_the_attribute(
        staff, customer, notice_login, notice_commit, notice_reloads):
    message = notice_commit(notices.notice_send, customer=customer, text="Hej", actor=staff)
    notice_reloads.clear()

    assert notice_commit(notices.notice_read, message=message, customer=customer,
                         ip="100.64.0.10") is True

    message.refresh_from_db()
    assert message.status == "read" and message.read_from == "100.64.0.10"
    assert message.read_at is not None
    assert list(message.events.values_list("status", flat=True)) == ["queued", "sent", "read"]
    entry = ActionLog.objects.get(kind="notice.read")
    assert entry.actor_kind == ActionLog.ActorKind.CUSTOMER
    assert entry.actor_customer_id == customer.pk and entry.customer_id == customer.pk
    assert "100.64.0.10" in entry.text
    assert address_lists(notice_login) == []
    reload = LoginReload.objects.get(pk__in=notice_reloads)
    assert NOTICE in str(reload.previous)  # the reload knows the session loses it


def test_the_same_confirmation_twice_reads_once(staff, customer, notice_login, notice_commit,
                                                notice_reloads):
    message = notice_commit(notices.notice_send, customer=customer, text="Hej", actor=staff)

    assert notices.notice_read(message=message, customer=customer, ip="100.64.0.10")
    assert not notices.notice_read(message=message, customer=customer, ip="100.64.0.11")

    message.refresh_from_db()
    assert message.read_from == "100.64.0.10"
    assert ActionLog.objects.filter(kind="notice.read").count() == 1


def test_another_customers_notice_cannot_be_read(staff, customer, notice_login, notice_commit,
                                                 notice_reloads):
    message = notice_commit(notices.notice_send, customer=customer, text="Hej", actor=staff)
    neighbour = customer_create(actor=staff, last_name="Nowak")

    with pytest.raises(Message.DoesNotExist):
        notices.notice_read(message=message, customer=neighbour, ip="100.64.0.10")

    message.refresh_from_db()
    assert message.status == "sent"


def test_a_garbled_address_is_stored_as_none(staff, customer, notice_login, notice_commit,
                                             notice_reloads):
    message = notice_commit(notices.notice_send, customer=customer, text="Hej", actor=staff)

    notices.notice_read(message=message, customer=customer, ip="1.2.3.4, evil")

    message.refresh_from_db()
    assert message.status == "read" and message.read_from is None


def test_the_attribute_stays_until_the_last_notice_is_read(staff, customer, notice_login,
                                                           notice_commit, notice_reloads):
    first = notice_commit(notices.notice_send, customer=customer, text="Jeden", actor=staff)
    second = notice_commit(notices.notice_send, customer=customer, text="Dwa", actor=staff)

    notice_commit(notices.notice_read, message=first, customer=customer, ip=None)
    assert address_lists(notice_login) == [NOTICE]
    assert [m.body for m in notices.notice_unread_list(customer=customer)] == ["Dwa"]

    notice_commit(notices.notice_read, message=second, customer=customer, ip=None)
    assert address_lists(notice_login) == []


def test_cancel_removes_the_attribute_and_cannot_be_repeated(staff, customer, notice_login,
                                                             notice_commit, notice_reloads):
    message = notice_commit(notices.notice_send, customer=customer, text="Hej", actor=staff)

    notice_commit(notices.notice_cancel, message=message, actor=staff)

    message.refresh_from_db()
    assert message.status == "cancelled"
    assert address_lists(notice_login) == []
    assert ActionLog.objects.filter(kind="notice.cancel", actor_user=staff).count() == 1
    with pytest.raises(ValidationError):
        notices.notice_cancel(message=message, actor=staff)
    assert not notices.notice_read(message=message, customer=customer, ip=None)


def test_a_read_notice_cannot_be_cancelled(staff, customer, notice_login, notice_commit,
                                           notice_reloads):
    message = notice_commit(notices.notice_send, customer=customer, text="Hej", actor=staff)
    notices.notice_read(message=message, customer=customer, ip=None)

    with pytest.raises(ValidationError):
        notices.notice_cancel(message=message, actor=staff)


# --------------------------------------------------------------------------- the address

def test_the_address_of_an_open_session_names_its_customer(staff, customer, notice_login):
    found = notices.notice_customer_for_address(ip="100.64.0.10")

    assert found == customer and found.tenant == customer.tenant


@pytest.mark.parametrize("ip", ["100.64.0.11", "", None, "nonsense", "100.64.0.1O"])
def test_any_other_address_names_nobody(notice_login, ip):
    assert notices.notice_customer_for_address(ip=ip) is None


def test_a_closed_session_names_nobody(staff, customer, notice_login):
    from datetime import UTC, datetime

    from radius.services import Accounting, accounting_record

    accounting_record(Accounting(status="Stop", nas_ip="127.0.0.1", event_at=datetime.now(UTC),
                                 username="jan-dom", unique_id="u-jan-dom",
                                 acct_session_id="81a00003", framed_ip="100.64.0.10"))

    assert notices.notice_customer_for_address(ip="100.64.0.10") is None


def test_an_address_open_in_two_tenants_names_nobody(staff, customer, notice_login,
                                                     other_tenant, other_staff):
    # Two ISPs on one platform may both hand out 100.64.0.10 (CGNAT).
    with tenant_context(other_tenant):
        theirs = customer_create(actor=other_staff, last_name="Obcy")
        notice_online(actor=other_staff, customer=theirs, login="obcy")

    assert notices.notice_customer_for_address(ip="100.64.0.10") is None


# --------------------------------------------------------------------------- queries

def test_refreshing_many_logins_asks_for_notices_once(staff, customer, notice_commit,
                                                      notice_reloads,
                                                      django_assert_max_num_queries):
    from radius.services.states import customer_logins_refresh

    for n in range(5):
        login_create(actor=staff, customer=customer, login=f"k{n}", password="pw")
    notice_commit(notices.notice_send, customer=customer, text="Hej", actor=staff)
    Login.objects.update(radius_snapshot={})
    # the block setting, the logins, their NAS, attributes (prefetches), the unread
    # notices, the notice setting, the update of each changed login, the open sessions —
    # the notices asked once for the five logins.
    with django_assert_max_num_queries(13) as captured:
        assert customer_logins_refresh(customer_id=customer.pk) == 5
    assert sum("messaging_message" in q["sql"] for q in captured.captured_queries) == 1


# --------------------------------------------------------------------------- at once

@pytest.mark.django_db(transaction=True)
def test_two_confirmations_at_once_read_once(tenant, staff, customer, notice_login,
                                             notice_reloads):
    message = notices.notice_send(customer=customer, text="Hej", actor=staff)
    barrier, results = threading.Barrier(2), []

    def confirm():
        try:
            with tenant_context(tenant):
                barrier.wait()
                results.append(notices.notice_read(message=message, customer=customer,
                                                   ip="100.64.0.10"))
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, True]
    assert ActionLog.objects.filter(kind="notice.read").count() == 1
    assert MessageEvent.objects.filter(message=message, status="read").count() == 1
