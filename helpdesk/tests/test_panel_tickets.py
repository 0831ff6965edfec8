"""The customer panel's "Zgłoszenia": the customer's tickets, one ticket with the staff's
public replies (internal notes never), a new ticket, a reply, a file."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import ActionLog
from core.tenancy import tenant_context
from helpdesk.models import (
    Case,
    CaseAttachment,
    CaseComment,
    CaseJournal,
    CaseStatus,
    JournalKind,
)
from helpdesk.services.cases import (
    case_attachment_add,
    case_comment_add,
    case_create,
    case_status_set,
)
from helpdesk.tests.fixtures_panel import png_upload

LIST_URL = reverse("panel:tickets")
NEW_URL = reverse("panel:ticket_new")
PHONE = {"f_phone": "601 234 567"}


def detail_url(case):
    return reverse("panel:ticket_detail", args=[case.pk])


def reply_url(case):
    return reverse("panel:ticket_reply", args=[case.pk])


def attach_url(case):
    return reverse("panel:ticket_attach", args=[case.pk])


def ticket(staff, case_type, customer, title="Brak internetu", **extra):
    return case_create(actor=staff, case_type=case_type, title=title, customer=customer,
                       data={"phone": "601234567"}, **extra)


@pytest.fixture
def conversation(staff, customer, panel_type):
    """A ticket with a public reply, an internal note with a file, a public file."""
    case = ticket(staff, panel_type, customer, description="Od rana nie działa")
    case_comment_add(actor=staff, case=case, body="Sprawdzamy łącze, prosimy o cierpliwość")
    note = case_comment_add(actor=staff, case=case, body="TAJNA notatka: klient zalega",
                            is_public=False)
    case_attachment_add(actor=staff, case=case, uploaded_file=png_upload("tajny.png"),
                        comment=note)
    case_attachment_add(actor=staff, case=case, uploaded_file=png_upload("internal.png"),
                        is_public=False)
    case_attachment_add(actor=staff, case=case, uploaded_file=png_upload("schemat.png"))
    return case


def test_the_menu_links_the_tickets(panel_customer_client):
    html = panel_customer_client.get(reverse("panel:home")).content.decode()

    assert f'href="{LIST_URL}"' in html and "Tickets" in html


def test_not_logged_in_goes_to_the_panel_login(client, in_tenant):
    response = client.get(LIST_URL)

    assert response.status_code == 302 and reverse("panel:login") in response["Location"]


def test_list_shows_own_tickets_newest_first_with_status(panel_customer_client, staff,
                                                         customer, panel_type,
                                                         panel_neighbour):
    older = ticket(staff, panel_type, customer, title="Pierwsze zgłoszenie")
    newer = ticket(staff, panel_type, customer, title="Drugie zgłoszenie")
    case_status_set(actor=staff, case=older, status=CaseStatus.IN_PROGRESS)
    ticket(staff, panel_type, panel_neighbour, title="Zgłoszenie Nowaka")

    html = panel_customer_client.get(LIST_URL).content.decode()

    assert html.index("Drugie zgłoszenie") < html.index("Pierwsze zgłoszenie")
    assert "Zgłoszenie Nowaka" not in html
    assert "in progress" in html and detail_url(newer) in html


def test_list_is_paged_20_a_page(panel_customer_client, staff, customer, panel_type):
    for n in range(21):
        ticket(staff, panel_type, customer, title=f"Zgłoszenie {n:02d}")

    first = panel_customer_client.get(LIST_URL).content.decode()
    second = panel_customer_client.get(LIST_URL + "?page=2").content.decode()

    assert "Zgłoszenie 20" in first and "Zgłoszenie 00" not in first
    assert "Zgłoszenie 00" in second and "Zgłoszenie 01" not in second


def test_list_query_count(panel_customer_client, staff, customer, panel_type,
                          django_assert_num_queries):
    for n in range(3):
        ticket(staff, panel_type, customer, title=f"Zgłoszenie {n}")

    # Session, panel tenant, panel account with its customer (panel_view: 3 with the
    # session), the count and the page of tickets, the types offered in the panel and
    # their fields ("New ticket" shown or not).
    with django_assert_num_queries(7):
        response = panel_customer_client.get(LIST_URL)
    assert response.status_code == 200


def test_detail_shows_public_replies_and_files_never_internal_notes(
        panel_customer_client, conversation):
    html = panel_customer_client.get(detail_url(conversation)).content.decode()

    assert "Sprawdzamy łącze" in html and "Od rana nie działa" in html
    assert "schemat.png" in html
    assert "TAJNA" not in html and "tajny.png" not in html and "internal.png" not in html


def test_internal_attachments_cannot_be_downloaded(panel_customer_client, conversation):
    with tenant_context(conversation.tenant):
        files = {a.name: a for a in CaseAttachment.objects.filter(case=conversation)}

    def get(name):
        return panel_customer_client.get(reverse("panel:ticket_attachment",
                                                 args=[conversation.pk, files[name].pk]))

    public = get("schemat.png")
    assert public.status_code == 200 and b"".join(public.streaming_content)[:4] == b"\x89PNG"
    assert get("tajny.png").status_code == 404
    assert get("internal.png").status_code == 404


def test_detail_query_count(panel_customer_client, conversation, django_assert_num_queries):
    # Session, tenant, account (3); the case with its type, public comments, visible
    # attachments (3).
    with django_assert_num_queries(6):
        assert panel_customer_client.get(detail_url(conversation)).status_code == 200


def test_another_customers_ticket_is_404_everywhere(panel_customer_client, staff,
                                                    panel_type, panel_neighbour):
    theirs = ticket(staff, panel_type, panel_neighbour, title="Zgłoszenie Nowaka")
    attachment = case_attachment_add(actor=staff, case=theirs, uploaded_file=png_upload())

    assert panel_customer_client.get(detail_url(theirs)).status_code == 404
    assert panel_customer_client.post(reply_url(theirs), {"body": "Hej"}).status_code == 404
    assert panel_customer_client.post(attach_url(theirs),
                                      {"file": png_upload()}).status_code == 404
    assert panel_customer_client.get(reverse(
        "panel:ticket_attachment", args=[theirs.pk, attachment.pk])).status_code == 404
    with tenant_context(theirs.tenant):
        assert not CaseComment.objects.filter(case=theirs).exists()
        assert CaseAttachment.objects.filter(case=theirs).count() == 1


def test_another_tenants_ticket_is_404(panel_customer_client, other_tenant, other_staff):
    from customers.services import customer_create
    from helpdesk.tests.factories import case_type_make, queue_make

    with tenant_context(other_tenant):
        queue = queue_make("Obca kolejka")
        case_type = case_type_make("Obcy typ", default_queue=queue, panel_visible=True)
        theirs = case_create(actor=other_staff, case_type=case_type, title="Obce",
                             customer=customer_create(actor=other_staff, last_name="Obcy"))

    assert panel_customer_client.get(detail_url(theirs)).status_code == 404
    assert panel_customer_client.get(NEW_URL + f"?type={case_type.pk}").status_code == 404


def test_new_ticket_offers_only_the_panel_types(panel_customer_client, panel_type,
                                                staff_only_type):
    html = panel_customer_client.get(NEW_URL).content.decode()

    assert "No internet" in html and "Internal audit" not in html
    assert panel_customer_client.get(NEW_URL + f"?type={staff_only_type.pk}").status_code == 404
    response = panel_customer_client.post(NEW_URL, {"case_type": staff_only_type.pk,
                                                    "title": "x", "description": "y"})
    assert response.status_code == 404
    assert panel_customer_client.get(NEW_URL + "?type=abc").status_code == 404


def test_new_ticket_created_for_the_customer_in_the_types_queue(
        panel_customer_client, customer, panel_type, panel_queue):
    text = "Nie działa %{x} \\ 'a' \"b\" <script>alert(1)</script>"
    response = panel_customer_client.post(NEW_URL, {
        "case_type": panel_type.pk, "title": "Brak internetu <b>", "description": text,
        "f_device": "ONT", **PHONE, "file": png_upload("zdjecie.png")})

    assert response.status_code == 302
    with tenant_context(customer.tenant):
        case = Case.objects.get()
        assert (case.customer, case.queue, case.source) == (customer, panel_queue, "panel")
        assert case.created_by is None and case.description == text
        assert case.data == {"phone": "+48601234567", "device": "ONT"}
        assert case.attachments.get().name == "zdjecie.png"
        entry = ActionLog.objects.get(kind="case.create")
        assert entry.customer == customer and entry.actor_customer_id == customer.pk
    assert response["Location"] == detail_url(case)
    html = panel_customer_client.get(response["Location"]).content.decode()
    assert "&lt;script&gt;" in html and "<script>alert" not in html


def test_new_ticket_enforces_mandatory_fields(panel_customer_client, customer, panel_type):
    response = panel_customer_client.post(NEW_URL, {
        "case_type": panel_type.pk, "title": "Brak internetu", "description": "Nie działa"})

    assert response.status_code == 400
    assert "Contact phone is mandatory." in response.content.decode()
    response = panel_customer_client.post(NEW_URL, {
        "case_type": panel_type.pk, "title": "Brak internetu", "description": "Nie działa",
        "f_phone": "123", "f_device": "modem"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid phone number." in html and "Choose one of: router, ONT." in html
    with tenant_context(customer.tenant):
        assert not Case.objects.exists()


def test_new_ticket_refuses_a_file_that_is_not_what_it_claims(panel_customer_client,
                                                              customer, panel_type):
    fake = SimpleUploadedFile("faktura.pdf", b"<html><script>x</script></html>",
                              content_type="application/pdf")
    response = panel_customer_client.post(NEW_URL, {
        "case_type": panel_type.pk, "title": "Brak internetu", "description": "x", **PHONE,
        "file": fake})

    assert response.status_code == 400
    with tenant_context(customer.tenant):
        assert not Case.objects.exists()  # the case and its file, or neither


def test_huge_and_empty_subject_refused(panel_customer_client, customer, panel_type):
    for title in ("", " " * 3, "x" * 201):
        response = panel_customer_client.post(NEW_URL, {
            "case_type": panel_type.pk, "title": title, "description": "x", **PHONE})
        assert response.status_code == 400
    with tenant_context(customer.tenant):
        assert not Case.objects.exists()


def test_reply_is_public_by_the_customer_and_logged_as_theirs(
        panel_customer_client, staff, customer, panel_type):
    case = ticket(staff, panel_type, customer)
    case_status_set(actor=staff, case=case, status=CaseStatus.IN_PROGRESS)
    case_status_set(actor=staff, case=case, status=CaseStatus.WAITING)

    response = panel_customer_client.post(reply_url(case), {"body": "Router zrestartowany"})

    assert response.status_code == 302
    with tenant_context(customer.tenant):
        comment = CaseComment.objects.get(case=case)
        assert comment.by_customer and comment.is_public and comment.source == "panel"
        case.refresh_from_db()
        assert case.status == CaseStatus.IN_PROGRESS
        entry = ActionLog.objects.get(kind="case.comment")
        assert entry.actor_customer_id == customer.pk and entry.customer == customer
    assert "Router zrestartowany" in panel_customer_client.get(detail_url(case)).content.decode()


def test_reply_reopens_a_resolved_ticket(panel_customer_client, staff, customer, panel_type):
    case = ticket(staff, panel_type, customer)
    case_status_set(actor=staff, case=case, status=CaseStatus.IN_PROGRESS)
    case_status_set(actor=staff, case=case, status=CaseStatus.RESOLVED)

    assert panel_customer_client.post(reply_url(case), {"body": "Znowu nie działa"}
                                      ).status_code == 302

    with tenant_context(customer.tenant):
        case.refresh_from_db()
        entry = CaseJournal.objects.filter(case=case, kind=JournalKind.STATUS).last()
    assert case.status == CaseStatus.IN_PROGRESS and case.resolved_at is None
    assert entry.by_customer and entry.data["before"] == {"status": "resolved"} \
        and entry.data["after"] == {"status": "in_progress"}


def test_closed_ticket_refuses_a_reply_and_a_file(panel_customer_client, staff, customer,
                                                  panel_type):
    case = ticket(staff, panel_type, customer)
    case_status_set(actor=staff, case=case, status=CaseStatus.IN_PROGRESS)
    case_status_set(actor=staff, case=case, status=CaseStatus.RESOLVED)
    case_status_set(actor=staff, case=case, status=CaseStatus.CLOSED)

    html = panel_customer_client.get(detail_url(case)).content.decode()
    assert "This ticket is closed" in html and 'id="ticket-reply-form"' not in html
    response = panel_customer_client.post(reply_url(case), {"body": "Halo?"})
    assert response.status_code == 400 and "This ticket is closed" in response.content.decode()
    assert panel_customer_client.post(attach_url(case),
                                      {"file": png_upload()}).status_code == 400
    with tenant_context(customer.tenant):
        assert not CaseComment.objects.filter(case=case).exists()
        assert not CaseAttachment.objects.filter(case=case).exists()


def test_empty_reply_refused(panel_customer_client, staff, customer, panel_type):
    case = ticket(staff, panel_type, customer)

    assert panel_customer_client.post(reply_url(case), {"body": "   "}).status_code == 400


def test_attach_a_file_content_checked(panel_customer_client, staff, customer, panel_type):
    case = ticket(staff, panel_type, customer)

    assert panel_customer_client.post(attach_url(case),
                                      {"file": png_upload("foto.png")}).status_code == 302
    fake = SimpleUploadedFile("a.pdf", b"%PDF-1.4\n garbage", content_type="application/pdf")
    response = panel_customer_client.post(attach_url(case), {"file": fake})
    assert response.status_code == 400

    with tenant_context(customer.tenant):
        attachment = CaseAttachment.objects.get(case=case)
        assert attachment.name == "foto.png" and attachment.is_public
        assert ActionLog.objects.get(kind="case.attach").actor_customer_id == customer.pk
    assert "foto.png" in panel_customer_client.get(detail_url(case)).content.decode()
