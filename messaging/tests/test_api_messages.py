"""``/api/v1/customers/{customer_pk}/messages/``: list, detail, send, retry, attachments."""

import pytest

from conftest import make_staff, token_client
from core.roles import Role
from messaging.models import Message, MessageTemplate, Status
from messaging.services import Attachment
from messaging.tests.fixtures_card import card_message

PDF = b"%PDF-1.4\n%%EOF\n"


def url(customer, *rest):
    tail = "".join(f"{part}/" for part in rest)
    return f"/api/v1/customers/{customer.pk}/messages/{tail}"


@pytest.fixture
def emailed(customer, card_email, staff):
    return card_message(customer, channel="email", recipient=card_email.address,
                        subject="Faktura", body="W załączniku.", author=staff,
                        attachments=[Attachment("FV_1.pdf", PDF)], status=Status.SENT)


def test_list_filters_by_channel_and_status_newest_first(api_client, customer, card_phone,
                                                         emailed):
    first = card_message(customer, body="Pierwszy", status=Status.DELIVERED)
    second = card_message(customer, body="Drugi", status=Status.FAILED, reason="rejected")
    everything = api_client.get(url(customer)).json()
    assert [m["id"] for m in everything["results"]] == [second.pk, first.pk, emailed.pk]
    sms = api_client.get(url(customer), {"channel": "sms"}).json()
    assert sms["count"] == 2
    failed = api_client.get(url(customer), {"channel": "sms", "status": "failed"}).json()
    assert [m["body"] for m in failed["results"]] == ["Drugi"]
    row = failed["results"][0]
    assert row["status_display"] == "failed" and row["retryable"] is True
    assert row["status_reason"] == "rejected" and row["parts"] == 1
    assert api_client.get(url(customer), {"status": "nonsense"}).status_code == 400
    email_row = api_client.get(url(customer), {"channel": "email"}).json()["results"][0]
    assert email_row["attachments_count"] == 1 and email_row["author_name"] == "Anna Testowy"


def test_list_query_count(api_client, customer, card_phone, staff, django_assert_num_queries):
    for n in range(6):
        card_message(customer, body=f"SMS {n}", author=staff, status=Status.SENT)
    # 1 token + user + tenant, 2 membership exists, 3 token last_used_at update,
    # 4 the customer of the URL, 5 role in the tenant (permission check), 6 count for the
    # page, 7 the page with authors and numbers of attachments (a subquery).
    with django_assert_num_queries(7):
        response = api_client.get(url(customer))
    assert response.status_code == 200 and response.json()["count"] == 6


def test_detail_has_attempts_events_and_attachments(api_client, customer, emailed):
    data = api_client.get(url(customer, emailed.pk)).json()
    assert [e["status"] for e in data["events"]] == ["queued", "sent"]
    assert data["attempts"] == []  # never handed to a gateway in this test
    (attachment,) = data["attachments"]
    assert attachment["filename"] == "FV_1.pdf" and attachment["size"] == len(PDF)
    download = api_client.get(attachment["download_url"])
    assert download.status_code == 200 and download.content == PDF
    assert download["Content-Disposition"] == 'attachment; filename="FV_1.pdf"'


def test_send_sms_to_one_of_the_customers_numbers_in_any_notation(api_client, customer,
                                                                  card_phone):
    response = api_client.post(url(customer), {"channel": "sms", "recipient": "600-100-200",
                                               "body": "Zażółć \"gęślą\" \\ jaźń"},
                               format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["recipient"] == "+48600100200" and data["status"] == "queued"
    assert data["encoding"] == "UCS-2" and data["author_name"] == "Anna Testowy"
    assert Message.objects.get().body == "Zażółć \"gęślą\" \\ jaźń"


@pytest.mark.parametrize("recipient", ["+48601200300", "+48 999", "", "600100200\n"
                                       "Bcc: x@example.com"])
def test_send_to_a_number_that_is_not_the_customers_is_refused(api_client, customer,
                                                               card_phone, card_other_customer,
                                                               recipient):
    response = api_client.post(url(customer), {"channel": "sms", "recipient": recipient,
                                               "body": "Hej"}, format="json")
    assert response.status_code == 400
    assert "recipient" in response.json()["errors"]
    assert not Message.objects.exists()


def test_send_email_validates_like_the_card(api_client, customer, card_email, in_tenant):
    template = MessageTemplate.objects.create(channel="email", name="Saldo", subject="S",
                                              body="B")
    no_subject = api_client.post(url(customer), {"channel": "email",
                                                 "recipient": "JAN.Kowalski@example.com",
                                                 "body": "Treść"}, format="json")
    assert no_subject.status_code == 400
    assert no_subject.json()["errors"]["subject"] == ["An e-mail needs a subject."]
    empty = api_client.post(url(customer), {"channel": "email", "subject": "S",
                                            "recipient": card_email.address, "body": "  "},
                            format="json")
    assert empty.json()["errors"]["body"] == ["The message is empty."]
    sent = api_client.post(url(customer), {"channel": "email", "subject": "Saldo",
                                           "recipient": "JAN.Kowalski@example.com",
                                           "body": "Treść", "template": template.pk},
                           format="json")
    assert sent.status_code == 201
    assert sent.json()["recipient"] == card_email.address
    assert sent.json()["template"] == template.pk
    wrong = api_client.post(url(customer), {"channel": "sms", "recipient": "600100200",
                                            "body": "x", "template": template.pk},
                            format="json")
    assert wrong.status_code == 400


def test_oversized_and_empty_input_is_refused(api_client, customer, card_phone, in_tenant):
    too_long = api_client.post(url(customer), {"channel": "sms", "recipient": "600100200",
                                               "body": "ą" * 1601}, format="json")
    assert too_long.json()["errors"]["body"] == [
        "The message is longer than 1600 characters."]
    huge = api_client.post(url(customer), {"channel": "sms", "recipient": "600100200",
                                           "body": "x" * 100_001}, format="json")
    assert huge.status_code == 400 and "body" in huge.json()["errors"]
    for template in (-1, 0, 10**12):
        answer = api_client.post(url(customer), {"channel": "sms", "recipient": "600100200",
                                                 "body": "x", "template": template},
                                 format="json")
        assert answer.status_code == 400, template
    assert api_client.post(url(customer), {}, format="json").status_code == 400
    assert not Message.objects.exists()


def test_a_device_message_cannot_be_sent_here(api_client, customer):
    response = api_client.post(url(customer), {"channel": "notice", "recipient": "jan",
                                               "body": "x"}, format="json")
    assert response.status_code == 400 and "channel" in response.json()["errors"]


def test_retry_a_failed_message_then_not_again(api_client, customer, card_failed_sms):
    response = api_client.post(url(customer, card_failed_sms.pk, "retry"))
    assert response.status_code == 200 and response.json()["status"] == "queued"
    assert [e["status"] for e in response.json()["events"]] == ["queued", "failed", "queued"]
    again = api_client.post(url(customer, card_failed_sms.pk, "retry"))
    assert again.status_code == 400
    assert again.json()["detail"] == "Only a failed or undelivered message can be sent again."


def test_another_tenants_ids_are_404(other_api_client, api_client, customer, emailed,
                                     card_failed_sms, card_other_customer):
    attachment = emailed.attachments.get()
    for path in (url(customer), url(customer, emailed.pk),
                 url(customer, emailed.pk, "attachments", attachment.pk)):
        assert other_api_client.get(path).status_code == 404
    assert other_api_client.post(url(customer, card_failed_sms.pk, "retry")).status_code == 404
    assert other_api_client.post(url(customer), {"channel": "sms", "recipient": "600100200",
                                                 "body": "x"}).status_code == 404
    # The same tenant, another customer's URL: not found either.
    assert api_client.get(url(card_other_customer, emailed.pk)).status_code == 404
    assert api_client.get(url(card_other_customer, emailed.pk, "attachments",
                              attachment.pk)).status_code == 404
    assert api_client.post(url(card_other_customer, card_failed_sms.pk,
                               "retry")).status_code == 404
    # An attachment under another message of the customer.
    assert api_client.get(url(customer, card_failed_sms.pk, "attachments",
                              attachment.pk)).status_code == 404
    card_failed_sms.refresh_from_db()
    assert card_failed_sms.status == Status.FAILED


def test_roles(tenant, customer, card_phone, card_failed_sms):
    technician = token_client(make_staff(tenant, "tomek", Role.TECHNICIAN), tenant)
    assert technician.get(url(customer)).status_code == 403
    assert technician.post(url(customer), {"channel": "sms", "recipient": "600100200",
                                           "body": "x"}).status_code == 403
    assert technician.post(url(customer, card_failed_sms.pk, "retry")).status_code == 403
    accountant = token_client(make_staff(tenant, "ala", Role.ACCOUNTANT), tenant)
    assert accountant.post(url(customer, card_failed_sms.pk, "retry")).status_code == 200


def test_the_schema_documents_the_messages(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "/api/v1/customers/{customer_pk}/messages/" in paths
    assert "post" in paths["/api/v1/customers/{customer_pk}/messages/{id}/retry/"]
    assert ("/api/v1/customers/{customer_pk}/messages/{id}/attachments/"
            "{messageattachment_pk}/") in paths


# --------------------------------------------------------------------------- Idempotency-Key

def test_the_same_idempotency_key_twice_sends_one_message(api_client, customer, card_phone):
    body = {"channel": "sms", "recipient": "600100200", "body": "Awaria usunięta"}
    first = api_client.post(url(customer), body, format="json", HTTP_IDEMPOTENCY_KEY="req-1")
    again = api_client.post(url(customer), body, format="json", HTTP_IDEMPOTENCY_KEY="req-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Message.objects.count() == 1
    other = api_client.post(url(customer), body, format="json", HTTP_IDEMPOTENCY_KEY="req-2")
    assert other.status_code == 201 and Message.objects.count() == 2
    plain = api_client.post(url(customer), body, format="json")  # no key: a new message
    assert plain.status_code == 201 and Message.objects.count() == 3


def test_an_idempotency_key_used_for_another_message_is_refused(api_client, customer,
                                                                card_phone):
    api_client.post(url(customer), {"channel": "sms", "recipient": "600100200",
                                    "body": "Pierwsza"}, format="json",
                    HTTP_IDEMPOTENCY_KEY="req-1")
    response = api_client.post(url(customer), {"channel": "sms", "recipient": "600100200",
                                               "body": "Druga"}, format="json",
                               HTTP_IDEMPOTENCY_KEY="req-1")

    assert response.status_code == 400
    assert "already used for another message" in str(response.json())
    assert list(Message.objects.values_list("body", flat=True)) == ["Pierwsza"]


@pytest.mark.parametrize("key", ["x" * 101, "a\tb"])
def test_a_malformed_idempotency_key_is_refused(api_client, customer, card_phone, key):
    response = api_client.post(url(customer), {"channel": "sms", "recipient": "600100200",
                                               "body": "Test"}, format="json",
                               HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["errors"]
    assert not Message.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_same_idempotency_key_twice_at_once_queues_one_message(tenant, staff):
    import threading

    from django.db import connection

    from core.tenancy import tenant_context
    from customers import services as customer_services
    from messaging import services

    with tenant_context(tenant):
        customer = customer_services.customer_create(actor=staff, first_name="Jan",
                                                     last_name="Naraz", status="connected")
        customer_services.phone_add(actor=staff, customer=customer, number="600100200")
    results, barrier = [], threading.Barrier(2)

    def send():
        try:
            with tenant_context(tenant):
                barrier.wait()
                message = services.message_queue(
                    customer=customer, channel="sms", recipient="+48600100200",
                    body="Raz", author=staff, client_key="at-once", send=False)
                results.append((message.pk, message.replayed))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with tenant_context(tenant):
        assert Message.objects.filter(customer=customer).count() == 1
    assert len({pk for pk, _r in results}) == 1
    assert sorted(r for _pk, r in results) == [False, True]
