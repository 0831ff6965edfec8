"""Every numbered kind has its own pattern; a pattern that would repeat numbers is refused
where it is saved; a number clash is never an HTTP 500."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from conftest import make_staff, token_client
from core import numbering
from core.models import NumberSeries, TenantSetting
from core.roles import Role
from core.tenancy import tenant_context
from finance import services
from finance.interest_notes import interest_note_issue
from finance.models import CashRegister, FinanceDocument, Kind

PATTERN_KEYS = ["finance.invoice_number_pattern", "finance.correction_number_pattern",
                "finance.debit_note_number_pattern", "finance.interest_note_number_pattern",
                "finance.technical_number_pattern"]


def line(net="100.00"):
    return [{"name": "Internet", "quantity": Decimal(1), "net_unit_price": Decimal(net),
             "vat_rate": "23"}]


def invoice(staff, customer, day, net="100.00"):
    return services.invoice_issue(actor=staff, customer=customer, issue_date=day,
                                  due_date=day + timedelta(days=14), lines=line(net))


def pattern_set(key, value):
    TenantSetting.objects.update_or_create(key=key, defaults={"value": value})


@pytest.fixture
def api(staff, tenant):
    return token_client(staff, tenant)


# --------------------------------------------------------------------------- corrections

@pytest.mark.parametrize("first,second", [
    (date(2025, 12, 31), date(2026, 12, 1)),      # the same month a year later
    (date(2999, 12, 31), date(3000, 12, 31)),     # far dates, across a year boundary
    (date(2026, 1, 31), date(2027, 1, 1)),
])
def test_corrections_keep_the_year_and_never_collide(in_tenant, staff, customer, first,
                                                     second):
    """Before: "FK/" + the invoice pattern after its first "/" gave "FK/12/0001" twice."""
    pattern_set("finance.invoice_number_pattern", "FV {YYYY}/{MM}/{N:4}")
    numbers = []
    for day in (first, second):
        issued = invoice(staff, customer, day)
        correction, _warnings = services.correction_issue(
            actor=staff, invoice=issued, lines=line("50.00"), reason="rabat", issue_date=day)
        numbers.append(correction.number)
    assert numbers == [f"FK/{first:%Y/%m}/1", f"FK/{second:%Y/%m}/1"]


def test_the_correction_pattern_is_the_tenants_own(in_tenant, staff, customer):
    pattern_set("finance.correction_number_pattern", "KOR-{YY}{MM}-{N:3}")
    issued = invoice(staff, customer, date(2026, 5, 4))
    correction, _w = services.correction_issue(actor=staff, invoice=issued, lines=line("1.00"),
                                               reason="błąd", issue_date=date(2026, 5, 6))
    assert correction.number == "KOR-2605-001"


def test_the_correction_api_numbers_by_the_pattern_a_year_later_too(api, in_tenant, staff,
                                                                    customer):
    pattern_set("finance.invoice_number_pattern", "FV {YYYY}/{MM}/{N:4}")
    numbers = []
    for day in (date(2025, 12, 3), date(2026, 12, 3)):
        issued = invoice(staff, customer, day)
        response = api.post(
            f"/api/v1/customers/{customer.pk}/finance-documents/{issued.pk}/correct/",
            {"lines": [], "reason": "rezygnacja", "issue_date": str(day)}, format="json")
        assert response.status_code == 201, response.json()
        numbers.append(response.json()["number"])
    assert numbers == ["FK/2025/12/1", "FK/2026/12/1"]


# --------------------------------------------------------------------------- every kind

def test_each_kind_takes_its_number_from_its_own_pattern(in_tenant, staff, customer):
    pattern_set("finance.debit_note_number_pattern", "ND/{YYYY}/{N:2}")
    pattern_set("finance.technical_number_pattern", "T-{YYYY}-{N}")
    pattern_set("finance.interest_note_number_pattern", "ODS/{YY}/{N}")
    pattern_set("finance.invoice_number_pattern", "{YYYY}/{MM}/{N}")
    register = services.cash_register_create(
        actor=staff, name="Biuro", symbol="b1", kp_number_pattern="KP-B/{YYYY}/{N:3}",
        kw_number_pattern="WYP/{YYYY}/{MM}/{N}")
    default = services.cash_register_create(actor=staff, name="Kasa", symbol="k2")
    today = date.today()
    old = invoice(staff, customer, today - timedelta(days=120))
    assert old.number == f"{old.issue_date:%Y/%m}/1"
    note = services.debit_note_issue(actor=staff, customer=customer, amount="5", title="upomn.")
    tech = services.technical_issue(actor=staff, customer=customer, amount="1", charge=True,
                                    reason="korekta salda")
    kp = services.kp_issue(actor=staff, customer=customer, register=register, amount="10")
    kw = services.kw_issue(actor=staff, customer=customer, register=register, amount="1")
    kp2 = services.kp_issue(actor=staff, customer=customer, register=default, amount="10")
    interest = interest_note_issue(actor=staff, customer=customer, receivables=[old])
    assert [note.number, tech.number, kp.number, kw.number, kp2.number, interest.number] == [
        f"ND/{today:%Y}/01", f"T-{today:%Y}-1", f"KP-B/{today:%Y}/001",
        f"WYP/{today:%Y/%m}/1", f"KP/K2/{today:%Y}/1", f"ODS/{today:%y}/1"]


# --------------------------------------------------------------------------- refusals

@pytest.mark.parametrize("key", PATTERN_KEYS)
@pytest.mark.parametrize("value,message", [
    ("FK/{MM}/{N:4}", "the numbers would repeat a year later"),
    ("X/{YYYY}/{DD}/{N}", "the numbers would repeat a month later"),
    ("X/{YYYY}/{MM}", "running number {N}"),
])
def test_a_repeating_pattern_is_refused_on_the_settings_page(staff_client, in_tenant, key,
                                                             value, message):
    response = staff_client.post(reverse("tenant_settings"), {"key": key, "value": value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not TenantSetting.objects.filter(key=key).exists()


@pytest.mark.parametrize("payload,field", [
    ({"kp_number_pattern": "KP/{MM}/{N}"}, "kp_number_pattern"),
    ({"kw_number_pattern": "KW/{YYYY}/{DD}/{N}"}, "kw_number_pattern"),
    ({"kp_number_pattern": "KP/{YYYY}"}, "kp_number_pattern"),
    ({"kp_number_pattern": "KP/K1/{YYYY}/{N}"}, "kp_number_pattern"),  # register k1's
])
def test_a_register_pattern_that_would_repeat_or_clash_is_refused_by_the_api(
        api, in_tenant, staff, payload, field):
    services.cash_register_create(actor=staff, name="Kasa główna", symbol="k1")
    response = api.post("/api/v1/cash-registers/",
                        {"name": "Druga", "symbol": "k2", **payload}, format="json")
    assert response.status_code == 400, response.json()
    assert field in str(response.json())
    assert CashRegister.objects.count() == 1


def test_a_register_pattern_is_refused_on_the_page(staff_client, in_tenant):
    response = staff_client.post(reverse("finance:cash_registers"), {
        "name": "Kasa", "symbol": "k1", "kp_number_pattern": "KP/{MM}/{N}"})
    assert response.status_code in (200, 400)
    assert "the numbers would repeat a year later" in response.content.decode()
    assert not CashRegister.objects.exists()


def test_the_register_page_shows_each_registers_patterns(staff_client, in_tenant, staff):
    services.cash_register_create(actor=staff, name="Kasa", symbol="k1",
                                  kw_number_pattern="WYP/{YYYY}/{N}")
    page = staff_client.get(reverse("finance:cash_registers")).content.decode()
    assert "KP/K1/{YYYY}/{N}, WYP/{YYYY}/{N}" in page


# --------------------------------------------------------------------------- clashes

def test_a_number_already_in_use_is_skipped(in_tenant, staff, customer):
    """A document imported from the previous system bears FV/2026/05/1 and /2: the
    counter moves past them instead of an IntegrityError."""
    for n in (1, 2, 4):
        FinanceDocument.objects.create(customer=customer, kind=Kind.INVOICE,
                                       number=f"FV/2026/05/{n}", issue_date=date(2026, 5, 1),
                                       debit=Decimal("1.00"))
    numbers = [invoice(staff, customer, date(2026, 5, 20)).number for _ in range(3)]
    assert numbers == ["FV/2026/05/3", "FV/2026/05/5", "FV/2026/05/6"]


def test_another_tenants_numbers_are_not_in_use(in_tenant, staff, customer, other_tenant,
                                                other_staff):
    from customers.services import customer_create

    with tenant_context(other_tenant):
        theirs = customer_create(actor=other_staff, last_name="Obcy")
        invoice(other_staff, theirs, date(2026, 5, 2))
    assert invoice(staff, customer, date(2026, 5, 2)).number == "FV/2026/05/1"


def test_a_yy_pattern_a_century_later_skips_the_numbers_in_use(in_tenant, staff, customer):
    pattern_set("finance.debit_note_number_pattern", "NO/{YY}/{N}")
    pattern_set("finance.invoice_number_pattern", "FV/{YY}/{N}")
    first = invoice(staff, customer, date(2026, 3, 1))
    later = invoice(staff, customer, date(2126, 3, 1))
    assert (first.number, later.number) == ("FV/26/1", "FV/26/2")


def test_a_clash_that_slips_past_the_counter_is_a_400_not_a_500(
        monkeypatch, in_tenant, staff, customer, tenant):
    """Even with the skip turned off (a writer outside the series lock), the clash of
    numbers answers 400 with the number, and nothing is written."""
    monkeypatch.setattr(numbering, "_IN_USE", {})
    FinanceDocument.objects.create(customer=customer, kind=Kind.DEBIT_NOTE,
                                   number=f"NO/{date.today():%Y}/1", issue_date=date.today(),
                                   debit=Decimal("1.00"))
    api = token_client(make_staff(tenant, "ala", role=Role.ADMIN), tenant)
    response = api.post(f"/api/v1/customers/{customer.pk}/finance-documents/debit-note/",
                        {"amount": "40.00", "title": "Wezwanie"}, format="json")
    assert response.status_code == 400
    assert f"NO/{date.today():%Y}/1 is already used" in str(response.json())
    assert FinanceDocument.objects.count() == 1
    # The failed take is rolled back with everything else: the next one is the same.
    assert not NumberSeries.objects.filter(series="finance.debit_note").exists()


def test_the_api_shows_each_registers_patterns(api, in_tenant):
    response = api.post("/api/v1/cash-registers/", {
        "name": "Biuro", "symbol": "b1", "kw_number_pattern": "WYP/{YYYY}/{N}"},
        format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["kp_number_pattern"], response.json()["kw_number_pattern"]) == (
        "KP/B1/{YYYY}/{N}", "WYP/{YYYY}/{N}")


def test_concurrent_issues_skip_numbers_in_use_and_never_share_one(transactional_db, tenant,
                                                                    staff):
    """Six invoices issued at once, with numbers 2 and 4 already borne by imported
    documents: all succeed, with six different numbers past the ones in use."""
    import threading

    from django.db import connection

    from core.models import Tenant
    from customers.services import customer_create

    with tenant_context(tenant):
        customer = customer_create(actor=staff, last_name="Nowak")
        for n in (2, 4):
            FinanceDocument.objects.create(customer=customer, kind=Kind.INVOICE,
                                           number=f"FV/2026/05/{n}",
                                           issue_date=date(2026, 5, 1), debit=Decimal("1.00"))
    errors = []

    def work():
        try:
            with tenant_context(Tenant.objects.get(pk=tenant.pk)):
                invoice(staff, customer, date(2026, 5, 20))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with tenant_context(tenant):
        numbers = sorted(int(n.rsplit("/", 1)[1]) for n in FinanceDocument.objects.filter(
            kind=Kind.INVOICE).values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4, 5, 6, 7, 8]
