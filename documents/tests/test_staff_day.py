"""Issue 13 in the documents engine: group default templates in the UI (and API), tariff
documents ("dokumenty do taryf") linked to subscriptions, and the approval station that
takes a number, prints the readable code and lists today's documents awaiting approval."""

import io
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from core.tenancy import tenant_context
from customers import services as customer_services
from documents import rendering, selectors, services
from documents.models import Document
from finance import billing
from finance.models import FinanceDocument, Kind, Tariff

BODY = "<h1>{{ document.type }} {{ document.number }}</h1><p>{{ customer.name }}</p>"
HTMX = {"HX-Request": "true"}
TODAY = timezone.localdate()


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def template(staff, document_type, name, default=False):
    return services.document_template_create(actor=staff, document_type=document_type,
                                              name=name, body=BODY, is_default=default)


@pytest.fixture
def templates(in_tenant, staff):
    return {
        "contract": template(staff, "contract", "Umowa ogólna", default=True),
        "contract_fiber": template(staff, "contract", "Umowa światłowód"),
        "annex": template(staff, "annex", "Aneks taryfowy"),
        "termination": template(staff, "termination", "Wypowiedzenie", default=True),
    }


@pytest.fixture
def fiber(in_tenant, staff, templates):
    return billing.tariff_create(actor=staff, name="Światłowód 1G", net_price=D("100.00"),
                                 vat_rate="23", contract_template=templates["contract_fiber"],
                                 annex_template=templates["annex"],
                                 termination_fee=D("300.00"))


def section(client, customer):
    return client.get(reverse("customers:section", args=[customer.pk, "subscriptions"]),
                      headers=HTMX).content.decode()


# --------------------------------------------------------------------------- group defaults

@pytest.fixture
def groups(in_tenant, staff, customer):
    home = customer_services.group_create(actor=staff, name="Domowi")
    vip = customer_services.group_create(actor=staff, name="VIP")
    customer_services.customer_group_add(actor=staff, customer=customer, group=home)
    customer_services.customer_group_add(actor=staff, customer=customer, group=vip)
    return home, vip


def test_group_default_set_and_cleared_in_the_ui(staff_client, groups, templates, customer):
    home, _vip = groups
    url = reverse("documents:group_template_set", args=[home.pk])
    response = staff_client.post(url, {"document_type": "contract",
                                       "template": templates["contract_fiber"].pk}, follow=True)
    assert "Group “Domowi”: default contract template set to “Umowa światłowód”." \
        in response.content.decode()
    assert services.template_choose(customer=customer, document_type="contract") \
        == templates["contract_fiber"]
    page = staff_client.get(reverse("documents:group_templates")).content.decode()
    assert f'<option value="{templates["contract_fiber"].pk}" selected>' in page
    response = staff_client.post(url, {"document_type": "contract", "template": ""},
                                 follow=True)
    assert "default contract template cleared" in response.content.decode()
    assert services.template_choose(customer=customer, document_type="contract") \
        == templates["contract"]


@pytest.mark.parametrize("language", ["en", "pl"])
def test_group_default_conflict_is_refused_with_the_rule(client, staff, groups, templates,
                                                         language):
    home, vip = groups
    customer_services.group_default_template_set(actor=staff, group=home,
                                                 document_type="contract",
                                                 template=templates["contract"])
    client.force_login(staff)
    response = client.post(reverse("documents:group_template_set", args=[vip.pk]),
                           {"document_type": "contract",
                            "template": templates["contract_fiber"].pk},
                           headers={"accept-language": language}, follow=True)
    html = response.content.decode()
    # The refusal names both groups and says the rule; the page says it too.
    opening = "“" if language == "en" else "„"
    assert 'class="alert alert-danger' in html
    assert f"{opening}VIP”" in html and f"{opening}Domowi”" in html
    assert 'id="group-template-rule"' in html and f'lang="{language}"' in html
    if language == "en":
        assert "groups sharing customers must agree" in html
        assert "Set the same template in both groups" in html
    else:
        assert "grupy mające wspólnych klientów muszą być zgodne" in html
        assert "Ustaw ten sam szablon w obu grupach" in html
    assert not vip.default_templates.exists()


def test_group_defaults_api_agrees_with_the_ui(api_client, staff, groups, templates):
    home, vip = groups
    url = reverse("api:document-group-default-set", args=[home.pk])
    response = api_client.post(url, {"document_type": "contract",
                                     "template": templates["contract_fiber"].pk},
                               format="json")
    assert response.status_code == 200
    assert response.json()["defaults"]["contract"] == templates["contract_fiber"].pk
    refused = api_client.post(reverse("api:document-group-default-set", args=[vip.pk]),
                              {"document_type": "contract",
                               "template": templates["contract"].pk}, format="json")
    assert refused.status_code == 400 and "must agree" in str(refused.json())
    cleared = api_client.post(url, {"document_type": "contract", "template": None},
                              format="json")
    assert cleared.json()["defaults"]["contract"] is None
    listed = api_client.get(reverse("api:document-group-default-list")).json()
    assert [g["name"] for g in listed["results"]] == ["Domowi", "VIP"]


def test_group_defaults_of_another_tenant_are_404(other_tenant, other_staff, tenant, groups,
                                                  templates, other_api_client):
    home, _vip = groups
    client = Client(headers={"accept-language": "en"})
    client.force_login(other_staff)
    response = client.post(reverse("documents:group_template_set", args=[home.pk]),
                           {"document_type": "contract", "template": ""})
    assert response.status_code == 404
    assert other_api_client.post(reverse("api:document-group-default-set", args=[home.pk]),
                                 {"document_type": "contract", "template": None},
                                 format="json").status_code == 404
    page = client.get(reverse("documents:group_templates")).content.decode()
    assert "Domowi" not in page


def test_group_defaults_page_query_count(staff_client, staff, groups, templates,
                                         django_assert_num_queries):
    staff_client.get(reverse("documents:group_templates"))
    for n in range(3):
        customer_services.group_create(actor=staff, name=f"G{n}")
    # session, user, membership with the role (staff_view) + templates, groups' defaults, groups.
    with django_assert_num_queries(6):
        response = staff_client.get(reverse("documents:group_templates"))
    assert response.status_code == 200 and "G2" in response.content.decode()


# --------------------------------------------------------------------------- tariff documents

def test_tariff_keeps_its_templates_and_fee(staff, fiber, templates):
    assert fiber.contract_template == templates["contract_fiber"]
    assert fiber.termination_fee == D("300.00")
    with pytest.raises(Exception, match="Choose a contract template"):
        billing.tariff_update(actor=staff, tariff=fiber, contract_template=templates["annex"])
    with pytest.raises(Exception, match="termination fee must be above zero"):
        billing.tariff_update(actor=staff, tariff=fiber, termination_fee=D("-1"))


def test_tariff_form_sets_templates(staff_client, fiber, templates):
    page = staff_client.get(reverse("finance:tariff_edit", args=[fiber.pk])).content.decode()
    assert 'name="contract_template"' in page and 'name="termination_fee"' in page
    assert f'<option value="{templates["contract_fiber"].pk}" selected>' in page
    response = staff_client.post(reverse("finance:tariff_edit", args=[fiber.pk]), {
        "name": fiber.name, "net_price": "100.00", "vat_rate": "23", "period": "monthly",
        "billing": "advance", "contract_template": templates["contract"].pk,
        "annex_template": "", "termination_template": templates["termination"].pk,
        "termination_fee": "150.00"})
    assert response.status_code == 302
    fiber.refresh_from_db()
    assert fiber.contract_template == templates["contract"] and fiber.annex_template is None
    assert fiber.termination_fee == D("150.00")


def test_added_subscription_is_offered_its_contract_from_the_tariffs_template(
        staff_client, staff, customer, fiber, templates):
    response = staff_client.post(reverse("finance:subscription_add", args=[customer.pk]), {
        "tariff": fiber.pk, "start_date": TODAY.isoformat(), "discount": "0"}, headers=HTMX)
    html = response.content.decode()
    assert "Issue the contract from template “Umowa światłowód”" in html
    subscription = customer.subscriptions.get()
    # The offer, one click: the contract is issued and linked to the subscription.
    response = staff_client.post(reverse("documents:subscription_issue",
                                         args=[subscription.pk]),
                                 {"document_type": "contract",
                                  "template": templates["contract_fiber"].pk}, headers=HTMX)
    contract = Document.objects.get(customer=customer)
    assert contract.subscription == subscription and contract.document_type == "contract"
    assert contract.template_version.template == templates["contract_fiber"]
    html = response.content.decode()
    assert contract.number in html and "Issue the contract" not in html
    # A second tariff later: an annex to that contract.
    other = billing.tariff_create(actor=staff, name="TV", net_price=D("20"), vat_rate="8",
                                  annex_template=templates["annex"])
    billing.subscription_add(actor=staff, customer=customer, tariff=other, start_date=TODAY)
    assert "Issue an annex from template “Aneks taryfowy”" in section(staff_client, customer)


def test_ended_subscription_is_offered_its_termination_and_the_fault_debit_note(
        staff_client, staff, customer, fiber, templates):
    subscription = billing.subscription_add(actor=staff, customer=customer, tariff=fiber,
                                            start_date=TODAY)
    contract = services.document_issue(actor=staff, customer=customer,
                                        document_type="contract", subscription=subscription)
    response = staff_client.post(reverse("finance:subscription_end", args=[subscription.pk]),
                                 {"end_date": (TODAY + timedelta(days=40)).isoformat()},
                                 headers=HTMX)
    html = response.content.decode()
    assert "Issue the termination from template “Wypowiedzenie”" in html
    assert "by the customer's fault (debit note PLN\xa0300.00)" in html
    url = reverse("documents:subscription_issue", args=[subscription.pk])
    # The fault path is a page of its own: the debit note cannot be taken back.
    page = staff_client.get(url + "?fault=1").content.decode()
    assert 'name="fault" ' in page and "checked" in page and 'value="300.00"' in page
    response = staff_client.post(url, {"document_type": "termination",
                                       "parent": contract.pk, "fault": "on",
                                       "fault_fee": "300.00"})
    assert response.status_code == 302
    termination = Document.objects.get(document_type="termination")
    assert termination.subscription == subscription and termination.parent == contract
    note = FinanceDocument.objects.get(customer=customer, kind=Kind.DEBIT_NOTE)
    assert note.debit == D("300.00") and termination.number in note.title
    assert "Issue the termination" not in section(staff_client, customer)


def test_fault_fee_refused_outside_a_termination_and_nothing_issued(staff_client, staff,
                                                                   customer, fiber, templates):
    subscription = billing.subscription_add(actor=staff, customer=customer, tariff=fiber,
                                            start_date=TODAY)
    url = reverse("documents:subscription_issue", args=[subscription.pk])
    response = staff_client.post(url, {"document_type": "contract", "fault": "on",
                                       "fault_fee": "300.00"})
    assert response.status_code == 400
    assert "Only the termination of a subscription can charge a debit note." \
        in response.content.decode()
    missing = staff_client.post(url, {"document_type": "termination", "fault": "on"})
    assert "Enter the debit note" in missing.content.decode()
    assert not Document.objects.exists()
    assert not FinanceDocument.objects.filter(kind=Kind.DEBIT_NOTE).exists()


def test_a_fault_fee_above_what_one_document_carries_issues_no_termination(
        staff_client, staff, customer, fiber, templates):
    subscription = billing.subscription_add(actor=staff, customer=customer, tariff=fiber,
                                            start_date=TODAY)
    contract = services.document_issue(actor=staff, customer=customer,
                                        document_type="contract", subscription=subscription)
    url = reverse("documents:subscription_issue", args=[subscription.pk])
    response = staff_client.post(url, {"document_type": "termination", "parent": contract.pk,
                                       "fault": "on", "fault_fee": "100000000.00"})
    assert response.status_code == 400
    assert "At most 99,999,999.99 on one document." in response.content.decode()
    assert list(Document.objects.values_list("document_type", flat=True)) == ["contract"]
    assert not FinanceDocument.objects.filter(kind=Kind.DEBIT_NOTE).exists()


def test_subscription_issue_api_agrees(api_client, staff, customer, fiber, templates):
    subscription = billing.subscription_add(actor=staff, customer=customer, tariff=fiber,
                                            start_date=TODAY)
    response = api_client.post(reverse("api:customer-documents-list", args=[customer.pk]),
                               {"document_type": "contract",
                                "subscription": subscription.pk}, format="json")
    assert response.status_code == 201 and response.json()["subscription"] == subscription.pk
    document = Document.objects.get(pk=response.json()["id"])
    # No template named: the tariff's, as on the card's offer.
    assert document.template_version.template == templates["contract_fiber"]
    tariffs = api_client.get(reverse("api:tariff-detail", args=[fiber.pk])).json()
    assert tariffs["contract_template"] == templates["contract_fiber"].pk
    assert tariffs["termination_fee"] == "300.00"


def test_another_customers_subscription_is_refused(staff, customer, fiber, templates):
    other = customer_services.customer_create(actor=staff, last_name="Inny")
    subscription = billing.subscription_add(actor=staff, customer=other, tariff=fiber,
                                            start_date=TODAY)
    with pytest.raises(Exception, match="another customer"):
        services.document_issue(actor=staff, customer=customer, document_type="contract",
                                subscription=subscription)
    assert not Document.objects.exists()


def test_tariff_regenerate_renders_unapproved_documents_only(
        staff_client, staff, customer, fiber, templates, api_client,
        django_capture_on_commit_callbacks):
    subscription = billing.subscription_add(actor=staff, customer=customer, tariff=fiber,
                                            start_date=TODAY)
    draft = services.document_issue(actor=staff, customer=customer, document_type="contract",
                                    subscription=subscription)
    signed = services.document_issue(actor=staff, customer=customer, document_type="annex",
                                     parent=draft, subscription=subscription)
    services.document_approve(actor=staff, document=signed)
    url = reverse("documents:tariff_regenerate", args=[fiber.pk])
    assert f'href="{url}"' in staff_client.get(reverse("finance:tariffs")).content.decode()
    page = staff_client.get(url).content.decode()
    assert "1 unapproved document will be regenerated" in page
    assert "1 approved document stays as it is" in page
    assert "Approved (signed) documents never change" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, follow=True)
    assert "1 unapproved document is being regenerated" in response.content.decode()
    assert draft.files.count() == 2 and signed.files.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        answer = api_client.post(reverse("api:tariff-regenerate-documents", args=[fiber.pk]))
    assert answer.json() == {"queued": 1}
    assert draft.files.count() == 3 and signed.files.count() == 1


def test_tariff_documents_routes_of_another_tenant_are_404(other_tenant, other_staff, staff,
                                                           customer, fiber, templates):
    subscription = billing.subscription_add(actor=staff, customer=customer, tariff=fiber,
                                            start_date=TODAY)
    client = Client(headers={"accept-language": "en"})
    client.force_login(other_staff)
    for url in (reverse("documents:subscription_issue", args=[subscription.pk]),
                reverse("documents:tariff_regenerate", args=[fiber.pk])):
        assert client.get(url).status_code == 404
        assert client.post(url, {"document_type": "contract"}).status_code == 404
    assert not Document.objects.exists()


def test_offer_rule():
    sub = Tariff()  # any object with end_date
    sub.end_date = None
    contract = Document(document_type="contract")
    assert selectors.subscription_offer_type(subscription=sub, linked_types=set(),
                                             contract=None) == "contract"
    assert selectors.subscription_offer_type(subscription=sub, linked_types=set(),
                                             contract=contract) == "annex"
    assert selectors.subscription_offer_type(subscription=sub, linked_types={"contract"},
                                             contract=contract) is None
    sub.end_date = TODAY
    assert selectors.subscription_offer_type(subscription=sub, linked_types={"contract"},
                                             contract=contract) == "termination"
    assert selectors.subscription_offer_type(
        subscription=sub, linked_types={"contract", "termination"}, contract=contract) is None
    # Nothing to terminate: the contract first.
    assert selectors.subscription_offer_type(subscription=sub, linked_types=set(),
                                             contract=None) == "contract"


# --------------------------------------------------------------------------- approval station

@pytest.fixture
def numbered(in_tenant, staff, customer, templates, other_tenant, other_staff):
    """UM/2026/1 … UM/2026/12 here: "1" is a prefix of "10", "11", "12"."""
    documents = [services.document_issue(actor=staff, customer=customer,
                                         document_type="contract") for _ in range(12)]
    with tenant_context(other_tenant):
        template(other_staff, "contract", "B", default=True)
        theirs = customer_services.customer_create(actor=other_staff, last_name="Obcy")
        foreign = services.document_issue(actor=other_staff, customer=theirs,
                                          document_type="contract")
    return documents, foreign


def test_station_approves_by_number_whole_never_by_prefix(staff_client, numbered,
                                                          other_tenant):
    documents, foreign = numbered
    first = documents[0]
    assert any(d.number.startswith(first.number) and d != first for d in documents)
    response = staff_client.post(reverse("documents:approve"), {"code": f"  {first.number} "},
                                 headers=HTMX)
    assert "approved" in response.content.decode()
    approved = Document.objects.filter(status="approved")
    assert list(approved) == [first]
    prefix = first.number[:-1]
    result = services.document_approve_by_code(actor=None, code=prefix)
    assert not result.ok and result.document is None
    assert result.message == f"Unknown code or number “{prefix}”."
    # The other ISP's number (the same "UM/…/1" pattern) approves our own, never theirs.
    with tenant_context(other_tenant):
        assert Document.objects.get(pk=foreign.pk).status == "unapproved"


def test_station_number_of_two_types_is_ambiguous(staff, customer, templates, settings):
    from core.services import tenant_setting_set

    tenant_setting_set(actor=staff, key="documents.number_pattern.annex",
                       raw_value="UM/{YYYY}/{N}")
    contract = services.document_issue(actor=staff, customer=customer,
                                       document_type="contract")
    annex = services.document_issue(actor=staff, customer=customer, document_type="annex",
                                    parent=contract, template=templates["annex"])
    assert annex.number == contract.number
    result = services.document_approve_by_code(actor=staff, code=contract.number)
    assert not result.ok and "scan the barcode" in result.message
    assert not Document.objects.filter(status="approved").exists()


def test_station_lists_todays_documents_awaiting_approval(staff_client, staff, numbered,
                                                          django_assert_num_queries):
    documents, foreign = numbered
    old = documents[-1]
    Document.objects.filter(pk=old.pk).update(issued_at=timezone.now() - timedelta(days=2))
    page = staff_client.get(reverse("documents:approve")).content.decode()
    assert "Issued today, awaiting approval (11)" in page
    assert f'id="awaiting-{documents[0].pk}"' in page and f'id="awaiting-{old.pk}"' not in page
    assert foreign.number not in page or f'id="awaiting-{foreign.pk}"' not in page
    response = staff_client.post(reverse("documents:approve"), {"code": documents[0].code},
                                 headers=HTMX).content.decode()
    assert 'hx-swap-oob="true"' in response and "(10)" in response
    assert f'id="awaiting-{documents[0].pk}"' not in response
    with django_assert_num_queries(1):
        assert len(selectors.documents_awaiting_approval_today()) == 10


def test_station_in_polish(staff_client, numbered):
    with translation.override("pl"):
        page = staff_client.get(reverse("documents:approve"),
                                headers={"accept-language": "pl"}).content.decode()
    assert 'id="awaiting-today"' in page


def test_pdf_prints_the_code_readable_under_the_barcode(staff, customer, templates):
    document = services.document_issue(actor=staff, customer=customer,
                                       document_type="contract")
    with document.files.get().file.open("rb") as handle:
        text = pdf_text(handle.read())
    assert document.code in text and document.number in text
    assert "abonent-code-text" in rendering.PAGE_CSS


def test_station_api_takes_the_number_too(api_client, numbered):
    documents, _foreign = numbered
    url = reverse("api:document-approve-code")
    answer = api_client.post(url, {"code": documents[9].number}, format="json").json()
    assert answer["ok"] and Document.objects.get(pk=documents[9].pk).status == "approved"
    # "UM/2026/1" is the prefix of "UM/2026/10": it approves its own document only.
    assert documents[9].number.startswith(documents[0].number)
    answer = api_client.post(url, {"code": documents[0].number}, format="json").json()
    assert answer["ok"]
    assert set(Document.objects.filter(status="approved")) == {documents[0], documents[9]}
    partial = api_client.post(url, {"code": documents[9].number[:-2]}, format="json").json()
    assert not partial["ok"] and partial["message"].startswith("Unknown code or number")
