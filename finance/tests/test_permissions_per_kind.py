"""Issuing is granted per document kind (finance.permissions): the matrix role × kind ×
(staff UI, API) with real requests — what a role may issue is booked, what it may not is a
403 with nothing written — and the buttons shown are the forms that would answer."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import make_staff, token_client
from core.models import ActionLog
from core.roles import Role
from finance import services
from finance.models import Allocation, CashRegister, FinanceDocument, Kind
from finance.permissions import KIND_PERMISSIONS, can_issue, issuable_kinds, kind_permission

TODAY = timezone.localdate()

# What the roles say (core/roles.py): an operator takes payments at the desk and invoices
# by hand; cash out, transfers typed in, notes, corrections and technical transactions are
# the accountant's; a technician issues nothing.
MAY_ISSUE = {
    Role.ADMIN: set(Kind.values),
    Role.ACCOUNTANT: set(Kind.values),
    Role.OPERATOR: {Kind.KP, Kind.INVOICE},
    Role.TECHNICIAN: set(),
}
CASES = [(role, kind) for role in MAY_ISSUE for kind in Kind.values]


@pytest.fixture
def register(in_tenant, staff):
    return services.cash_register_create(actor=staff, name="Kasa główna", symbol="k1")


@pytest.fixture
def overdue(staff, customer):
    """An unpaid invoice overdue since 2025: it can be corrected and charged interest."""
    return services.invoice_issue(
        actor=staff, customer=customer, issue_date=date(2025, 10, 1),
        due_date=date(2025, 10, 31), lines=[{"name": "Abonament", "quantity": Decimal(1),
                                             "net_unit_price": Decimal("100.00"),
                                             "vat_rate": "23"}])


def lines(rows, initial=0):
    data = {"lines-TOTAL_FORMS": str(len(rows)), "lines-INITIAL_FORMS": str(initial),
            "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        data.update({f"lines-{i}-{k}": v for k, v in row.items()})
    return data


LINE = {"name": "Abonament", "quantity": "1", "unit": "szt.", "net_unit_price": "100.00",
        "vat_rate": "23"}


def ui_issue(client, kind, customer, register, invoice):
    """POST the staff form that issues ``kind``, with data it accepts."""
    c = customer.pk
    forms = {
        Kind.INVOICE: ("finance:invoice_create", [c], {"issue_date": TODAY.isoformat(),
                                                       "due_date": "", **lines([LINE])}),
        Kind.CORRECTION: ("finance:correction_create", [invoice.pk], {
            "issue_date": TODAY.isoformat(), "reason": "Rabat",
            **lines([{**LINE, "net_unit_price": "50.00"}], initial=1)}),
        Kind.KP: ("finance:kp_create", [c], {"register": register.pk, "amount": "30",
                                             "issue_date": TODAY.isoformat()}),
        Kind.KW: ("finance:kw_create", [c], {"register": register.pk, "amount": "500",
                                             "title": "wypłata", "issue_date":
                                             TODAY.isoformat()}),
        Kind.BANK_TRANSFER: ("finance:transfer_create", [c], {
            "amount": "123.00", "booking_date": TODAY.isoformat(), "title": "opłata",
            "bank_reference": "REF-1", "counterparty_account": ""}),
        Kind.DEBIT_NOTE: ("finance:debit_note_create", [c], {
            "note_kind": "plain", "amount": "40", "title": "Zniszczony router",
            "due_date": ""}),
        Kind.INTEREST_NOTE: ("finance:interest_note_issue", [c],
                             {"receivable": [invoice.pk]}),
        Kind.TECHNICAL: ("finance:technical_create", [c], {
            "direction": "charge", "amount": "15", "reason": "Błąd migracji salda"}),
    }
    name, args, data = forms[kind]
    return client.post(reverse(name, args=args), data)


def api_issue(api, kind, customer, register, invoice):
    """POST the API action that issues ``kind``, with data it accepts."""
    docs = f"/api/v1/customers/{customer.pk}/finance-documents/"
    calls = {
        Kind.INVOICE: (docs + "invoice/", {"lines": [{"name": "Abonament", "quantity": "1",
                                                      "net_unit_price": "100.00",
                                                      "vat_rate": "23"}]}),
        Kind.CORRECTION: (f"{docs}{invoice.pk}/correct/", {"lines": [], "reason": "Anulowanie"}),
        Kind.KP: (docs + "kp/", {"cash_register": register.pk, "amount": "30.00"}),
        Kind.KW: (docs + "kw/", {"cash_register": register.pk, "amount": "500.00",
                                 "title": "wypłata"}),
        Kind.BANK_TRANSFER: (docs + "bank-transfer/", {
            "amount": "123.00", "booking_date": str(TODAY), "title": "opłata",
            "bank_reference": "REF-1"}),
        Kind.DEBIT_NOTE: (docs + "debit-note/", {"amount": "40.00", "title": "Wezwanie"}),
        Kind.INTEREST_NOTE: (f"/api/v1/customers/{customer.pk}/interest/issue-note/",
                             {"receivables": [invoice.pk]}),
        Kind.TECHNICAL: (docs + "technical/", {"amount": "15.00", "direction": "charge",
                                               "reason": "Błąd migracji salda"}),
    }
    url, payload = calls[kind]
    return api.post(url, payload, format="json")


def section(client, customer, key) -> str:
    """A card section as htmx loads it into the card."""
    response = client.get(reverse("customers:section", args=[customer.pk, key]),
                          headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.content.decode()


def snapshot():
    return (FinanceDocument.objects.count(), Allocation.objects.count(),
            ActionLog.objects.filter(kind__startswith="finance.").count())


@pytest.mark.parametrize("role,kind", CASES)
def test_staff_ui_issues_exactly_what_the_role_may(tenant, customer, register, overdue, role,
                                                   kind):
    user = make_staff(tenant, "pracownik", role=role)
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    before = snapshot()
    response = ui_issue(client, kind, customer, register, overdue)
    if kind in MAY_ISSUE[role]:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert FinanceDocument.objects.filter(kind=kind, created_by=user).count() == 1
    else:
        assert response.status_code == 403
        assert snapshot() == before
    assert can_issue(user, kind) is (kind in MAY_ISSUE[role])


@pytest.mark.parametrize("role,kind", CASES)
def test_api_issues_exactly_what_the_role_may(tenant, customer, register, overdue, role, kind):
    user = make_staff(tenant, "pracownik", role=role)
    before = snapshot()
    response = api_issue(token_client(user, tenant), kind, customer, register, overdue)
    if kind in MAY_ISSUE[role]:
        assert response.status_code == 201, response.json()
        assert response.json()["kind"] == kind
        assert FinanceDocument.objects.filter(kind=kind, created_by=user).count() == 1
    else:
        assert response.status_code == 403
        assert snapshot() == before


def test_operator_kw_of_500_through_the_api_is_refused_and_nothing_booked(
        tenant, customer, register):
    operator = make_staff(tenant, "olek", role=Role.OPERATOR)
    api = token_client(operator, tenant)
    response = api.post(f"/api/v1/customers/{customer.pk}/finance-documents/kw/",
                        {"cash_register": register.pk, "amount": "500.00",
                         "title": "wypłata"}, format="json")
    assert response.status_code == 403
    assert not FinanceDocument.objects.exists()
    assert services.ledger_balance(customer) == 0
    assert not ActionLog.objects.filter(kind__startswith="finance.").exclude(
        kind="finance.cash_register").exists()


def test_another_tenants_customer_is_404_before_any_permission(tenant, other_tenant,
                                                               other_staff, register):
    from core.tenancy import tenant_context
    from customers import services as customer_services

    with tenant_context(other_tenant):
        theirs = customer_services.customer_create(actor=other_staff, first_name="Piotr",
                                                   last_name="Betowski")
    operator = make_staff(tenant, "olek", role=Role.OPERATOR)
    api = token_client(operator, tenant)
    for action in ("kw/", "kp/", "debit-note/", "bank-transfer/", "technical/"):
        response = api.post(f"/api/v1/customers/{theirs.pk}/finance-documents/{action}",
                            {"cash_register": register.pk, "amount": "500.00"}, format="json")
        assert response.status_code == 404, action
    with tenant_context(other_tenant):
        assert not FinanceDocument.objects.exists()


# --------------------------------------------------------------------------- buttons

BUTTONS = {
    Kind.INVOICE: "finance:invoice_create", Kind.KP: "finance:kp_create",
    Kind.KW: "finance:kw_create", Kind.BANK_TRANSFER: "finance:transfer_create",
    Kind.DEBIT_NOTE: "finance:debit_note_create", Kind.TECHNICAL: "finance:technical_create",
}


@pytest.mark.parametrize("role", [Role.ADMIN, Role.ACCOUNTANT, Role.OPERATOR])
def test_the_card_shows_the_buttons_of_the_kinds_the_role_may_issue(tenant, customer,
                                                                    overdue, role):
    user = make_staff(tenant, "pracownik", role=role)
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    html = section(client, customer, "history")
    for kind, name in BUTTONS.items():
        assert (reverse(name, args=[customer.pk]) in html) is (kind in MAY_ISSUE[role]), kind
    assert ('id="history-kp-button"' in html) is (Kind.KP in MAY_ISSUE[role])
    assert ('name="invoices"' in html) is (Kind.KP in MAY_ISSUE[role])  # the KP ticks
    interest = section(client, customer, "interest")
    assert "interest-row" in interest
    assert ("Issue interest note" in interest) is (Kind.INTEREST_NOTE in MAY_ISSUE[role])
    assert ('name="receivable"' in interest) is (Kind.INTEREST_NOTE in MAY_ISSUE[role])
    document = client.get(reverse("finance:document", args=[overdue.pk])).content.decode()
    assert (reverse("finance:correction_create", args=[overdue.pk]) in document) is \
        (Kind.CORRECTION in MAY_ISSUE[role])


def test_a_technician_sees_no_finance_at_all(tenant, customer):
    client = Client()
    client.force_login(make_staff(tenant, "tech", role=Role.TECHNICIAN))
    html = client.get(reverse("customers:card", args=[customer.pk])).content.decode()
    assert reverse("customers:section", args=[customer.pk, "history"]) not in html
    for name in BUTTONS.values():
        assert reverse(name, args=[customer.pk]) not in html
    assert client.get(reverse("customers:section", args=[customer.pk, "history"]),
                      headers={"HX-Request": "true"}).status_code in (403, 404)


# --------------------------------------------------------------------------- the rule itself

def test_every_kind_has_its_own_permission_and_nothing_asks_the_old_one():
    assert set(KIND_PERMISSIONS) == set(Kind.values)
    assert len(set(KIND_PERMISSIONS.values())) == len(Kind.values)
    from pathlib import Path

    finance = Path(__file__).resolve().parent.parent
    for path in [*finance.glob("views/*.py"), *finance.glob("api/*.py"),
                 *finance.glob("templates/**/*.html")]:
        assert "add_financedocument" not in path.read_text(), path


def test_an_unknown_kind_is_an_error_not_a_refusal(staff, in_tenant):
    with pytest.raises(ValueError):
        kind_permission("cash_out")
    with pytest.raises(ValueError):
        can_issue(staff, "")


def test_issuable_kinds_follow_the_active_tenant(tenant, other_tenant):
    from core.models import Membership
    from core.tenancy import tenant_context

    user = make_staff(tenant, "ewa", role=Role.OPERATOR)
    Membership.objects.create(user=user, tenant=other_tenant, role=Role.ACCOUNTANT)
    with tenant_context(tenant):
        assert issuable_kinds(user) == {Kind.KP, Kind.INVOICE}
    user = type(user).objects.get(pk=user.pk)
    with tenant_context(other_tenant):
        assert issuable_kinds(user) == set(Kind.values)
    user = type(user).objects.get(pk=user.pk)
    assert issuable_kinds(user) == frozenset()  # no active tenant, nothing


# --------------------------------------------------------------------------- around issuing

ROLES = [Role.ADMIN, Role.ACCOUNTANT, Role.OPERATOR, Role.TECHNICIAN]
# Linking and unlinking payments, and adding a cash desk, rewrite what settles what or
# where cash is counted: never the operator's.
MAY_MANAGE = {Role.ADMIN: True, Role.ACCOUNTANT: True, Role.OPERATOR: False,
              Role.TECHNICIAN: False}


@pytest.mark.parametrize("role", ROLES)
def test_links_and_their_removal_follow_the_role(tenant, staff, customer, overdue, role):
    payment = services.bank_transfer_record(
        actor=staff, customer=customer, amount=Decimal("10.00"), booking_date=TODAY,
        title="wpłata", bank_reference="REF-9")
    links = Allocation.objects.count()
    user = make_staff(tenant, "pracownik", role=role)
    api = token_client(user, tenant)
    docs = f"/api/v1/customers/{customer.pk}/finance-documents/"
    removed = api.post(f"{docs}{payment.pk}/remove-links/", {}, format="json")
    assert removed.status_code == (200 if MAY_MANAGE[role] else 403)
    assert Allocation.objects.count() == (0 if MAY_MANAGE[role] else links)
    linked = api.post(f"{docs}{payment.pk}/link/", {"receivable": overdue.pk}, format="json")
    assert linked.status_code == (201 if MAY_MANAGE[role] else 403)
    client = Client()
    client.force_login(user)
    for name in ("finance:allocation_link", "finance:allocation_remove"):
        status = client.get(reverse(name, args=[customer.pk])).status_code
        assert status == (200 if MAY_MANAGE[role] else 403), name


@pytest.mark.parametrize("role", ROLES)
def test_adding_a_cash_register_follows_the_role(tenant, in_tenant, role):
    user = make_staff(tenant, "pracownik", role=role)
    response = token_client(user, tenant).post("/api/v1/cash-registers/",
                                               {"name": "Kasa 2", "symbol": "k2"},
                                               format="json")
    assert response.status_code == (201 if MAY_MANAGE[role] else 403)
    client = Client()
    client.force_login(user)
    response = client.post(reverse("finance:cash_registers"), {"name": "Kasa 3",
                                                               "symbol": "k3"})
    assert response.status_code == (302 if MAY_MANAGE[role] else 403)
    assert CashRegister.objects.count() == (2 if MAY_MANAGE[role] else 0)
