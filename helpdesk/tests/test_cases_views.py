"""Staff pages of cases: the card section, new case, detail with its actions, queue
views with their query counts, my cases, find by number, settings pages."""

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_staff
from core.roles import Role
from helpdesk.models import Case, CaseSource, CaseStatus
from helpdesk.services.cases import case_create, case_status_set
from helpdesk.tests.fixtures_cases import FAULT_DATA

pytestmark = pytest.mark.django_db


def _case(staff, fault_type, **extra):
    return case_create(**({"actor": staff, "case_type": fault_type, "title": "No internet",
                           "data": dict(FAULT_DATA)} | extra))


def test_card_section_lists_cases_with_open_and_closed_eyes(staff_client, staff, customer,
                                                            fault_type):
    open_case = _case(staff, fault_type, customer=customer, title="Open <b>one</b>")
    closed = case_status_set(actor=staff, case=_case(staff, fault_type, customer=customer),
                             status="closed")
    url = reverse("customers:section", kwargs={"customer_id": customer.pk, "key": "helpdesk"})
    html = staff_client.get(url).content.decode()
    assert reverse("helpdesk:case_detail", kwargs={"case_id": open_case.pk}) in html
    assert f"#{closed.number}" in html
    assert "case-eye-open" in html and "case-eye-closed" in html
    assert "Open &lt;b&gt;one&lt;/b&gt;" in html
    card = staff_client.get(reverse("customers:card", kwargs={"customer_id": customer.pk}))
    assert reverse("helpdesk:case_new_customer", kwargs={"customer_id": customer.pk}) \
        in card.content.decode()


def test_new_case_from_the_card_with_fields(staff_client, customer, fault_type):
    url = reverse("helpdesk:case_new_customer", kwargs={"customer_id": customer.pk})
    assert b"case_type" in staff_client.get(url).content
    page = staff_client.get(url, {"case_type": fault_type.pk})
    assert b'name="f_address"' in page.content
    refused = staff_client.post(url, {"case_type": fault_type.pk, "title": "No signal",
                                      "f_phone": "12"})
    assert refused.status_code == 200
    body = refused.content.decode()
    assert "Address is mandatory." in body and "Enter a valid phone number." in body
    done = staff_client.post(url, {"case_type": fault_type.pk, "title": "No signal",
                                   "f_address": "Długa 5", "f_phone": "601234567",
                                   "priority": 3})
    case = Case.objects.get()
    assert done.status_code == 302 and done.url == reverse("helpdesk:case_detail",
                                                           kwargs={"case_id": case.pk})
    assert case.customer == customer and case.data["phone"] == "+48601234567"
    assert case.priority == 3 and case.source == CaseSource.STAFF


def test_detail_actions_take_status_comment(staff_client, staff, fault_type):
    case = _case(staff, fault_type)
    url = reverse("helpdesk:case_detail", kwargs={"case_id": case.pk})
    assert b'id="case-take"' in staff_client.get(url).content
    staff_client.post(reverse("helpdesk:case_take", kwargs={"case_id": case.pk}))
    staff_client.post(reverse("helpdesk:case_comment", kwargs={"case_id": case.pk}),
                      {"body": "Only for us", "is_internal": "on"})
    staff_client.post(reverse("helpdesk:case_status", kwargs={"case_id": case.pk}),
                      {"status": "resolved"})
    case.refresh_from_db()
    assert case.owner == staff and case.status == CaseStatus.RESOLVED
    html = staff_client.get(url).content.decode()
    assert "case-note" in html and "internal note" in html
    # A refused transition comes back as a message on the page.
    page = staff_client.post(reverse("helpdesk:case_status", kwargs={"case_id": case.pk}),
                             {"status": "waiting"}, follow=True)
    assert "cannot become" in page.content.decode()


def test_take_by_non_member_shows_the_refusal(client, staff, fault_type, tenant):
    case = _case(staff, fault_type)
    make_staff(tenant, "olek", Role.OPERATOR)
    client.login(username="olek", password="s3cret-pass")
    page = client.post(reverse("helpdesk:case_take", kwargs={"case_id": case.pk}),
                       follow=True)
    assert "Only a member of the queue First line" in page.content.decode()
    case.refresh_from_db()
    assert case.owner is None


def test_return_and_complete_pages(staff_client, staff, fault_type, second_line,
                                   second_line_user):
    from django.test import Client

    case = _case(staff, fault_type, data={}, source=CaseSource.ROUTING, queue=second_line)
    client = Client()
    client.force_login(second_line_user)
    client.post(reverse("helpdesk:case_return", kwargs={"case_id": case.pk}),
                {"reason": "Phone?"})
    case.refresh_from_db()
    assert case.owner == staff and case.is_returned
    mine = staff_client.get(reverse("helpdesk:my_cases")).content.decode()
    assert f"#{case.number}" in mine and "returned" in mine
    url = reverse("helpdesk:case_complete", kwargs={"case_id": case.pk})
    assert b"Phone?" in staff_client.get(url).content
    page = staff_client.post(url, {"f_address": "Długa 5"})
    assert "Phone is mandatory." in page.content.decode()
    staff_client.post(url, {"f_address": "Długa 5", "f_phone": "+48 601 234 567"})
    case.refresh_from_db()
    assert not case.is_returned and case.owner is None and case.queue == second_line


def test_queue_detail_query_count(staff_client, staff, fault_type, first_line,
                                  django_assert_num_queries):
    for i in range(12):
        _case(staff, fault_type, title=f"Case {i}", priority=1 + i % 4)
    url = reverse("helpdesk:queue_detail", kwargs={"queue_id": first_line.pk})
    staff_client.get(url)
    # Four of the staff middleware (session, user, membership, tenant settings), the
    # queue, the page of cases with owner/type/customer, the user's membership of it.
    with django_assert_num_queries(6) as ctx:
        html = staff_client.get(url).content.decode()
    queries = len(ctx.captured_queries)
    for i in range(12, 30):
        _case(staff, fault_type, title=f"Case {i}")
    # Breached cases show how long ago: the badge reads the breach time from the page's
    # one query, not one query per row.
    Case.objects.filter(title__in=[f"Case {i}" for i in range(0, 30, 2)]).update(
        sla_breached=True, sla_breached_at=timezone.now())
    with django_assert_num_queries(queries):
        html = staff_client.get(url).content.decode()
    assert "sla-breached" in html
    assert html.index("Case 3") < html.index("Case 0")  # urgent first
    assert "Case 11" in html


def test_queue_list_counts(staff_client, staff, fault_type, first_line, second_line):
    _case(staff, fault_type)
    case_status_set(actor=staff, case=_case(staff, fault_type), status="closed")
    html = staff_client.get(reverse("helpdesk:queue_list")).content.decode()
    assert 'class="queue-open">1<' in html


def test_find_by_number(staff_client, staff, fault_type):
    case = _case(staff, fault_type)
    found = staff_client.get(reverse("helpdesk:case_find"), {"number": case.number})
    assert found.url == reverse("helpdesk:case_detail", kwargs={"case_id": case.pk})
    missing = staff_client.get(reverse("helpdesk:case_find"), {"number": 999}, follow=True)
    assert "There is no case number 999." in missing.content.decode()


def test_other_tenants_case_is_404(client, staff, fault_type, other_tenant, other_staff):
    case = _case(staff, fault_type)
    client.force_login(other_staff)
    assert client.get(reverse("helpdesk:case_detail",
                              kwargs={"case_id": case.pk})).status_code == 404
    assert client.post(reverse("helpdesk:case_take",
                               kwargs={"case_id": case.pk})).status_code == 404


def test_settings_type_field_and_queue(staff_client, first_line, staff):
    page = staff_client.post(reverse("helpdesk:case_types"), {
        "name": "Install", "is_active": "on", "default_queue": first_line.pk,
        "default_priority": 2, "position": 0})
    from helpdesk.models import CaseType

    kind = CaseType.objects.get(name="Install")
    assert page.url == reverse("helpdesk:casetype_detail", kwargs={"casetype_id": kind.pk})
    url = page.url
    refused = staff_client.post(url, {"form": "field", "field-label": "Router",
                                      "field-kind": "choice", "field-choices": ""})
    assert "A choice field needs its choices" in refused.content.decode()
    staff_client.post(url, {"form": "field", "field-label": "Router model",
                            "field-kind": "choice", "field-choices": "A\nB\nA\n",
                            "field-required": "on", "field-is_active": "on"})
    field = kind.fields.get()
    assert field.key == "router_model" and field.choices == ["A", "B"] and field.required
    staff_client.post(reverse("helpdesk:queue_new"), {
        "name": "Billing", "is_active": "on", "members": [staff.pk]})
    from helpdesk.models import Queue

    assert list(Queue.objects.get(name="Billing").members.all()) == [staff]
    assert b"Billing" in staff_client.get(reverse("helpdesk:queues")).content


def test_queue_view_shows_how_late_a_case_is(staff_client, staff, fault_type, first_line):
    """The queue's SLA column tells the operator, per case, whether it is late."""
    import datetime

    from django.utils import timezone

    from helpdesk.models import SlaTarget

    SlaTarget.objects.create(case_type=fault_type, priority=2, first_response_minutes=60,
                             resolution_minutes=480)
    late = _case(staff, fault_type, title="Late one",
                 now=timezone.now() - datetime.timedelta(days=30))
    fresh = _case(staff, fault_type, title="Fresh one")
    html = staff_client.get(reverse("helpdesk:queue_detail",
                                    kwargs={"queue_id": first_line.pk})).content.decode()
    late_row = html.split(f'data-case="{late.number}"', 1)[1].split("</tr>", 1)[0]
    fresh_row = html.split(f'data-case="{fresh.number}"', 1)[1].split("</tr>", 1)[0]
    assert "overdue by" in late_row and "sla-badge" in late_row
    assert "overdue by" not in fresh_row and "sla-badge" in fresh_row
