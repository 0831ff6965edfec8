"""The set-based bank import books exactly what booking line by line through
``services.bank_transfer_record`` (the import before it) would: the same transfers, the
same allocations in the order of art. 451, the same balances."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from core.models import Tenant, TenantSetting
from core.tenancy import tenant_context
from customers import services as customer_services
from customers.models import Customer
from finance import services
from finance.bank.csv_profiles import PROFILES
from finance.bank.importer import bank_statement_import
from finance.models import Allocation, BankImport, BankLine, CustomerAccount, FinanceDocument

HEADER = ("Data księgowania;Data waluty;Kontrahent;Rachunek kontrahenta;Tytuł;Uznania;"
          "Obciążenia;Waluta;Numer referencyjny;Rachunek wirtualny")
UNKNOWN_ACCOUNT = "PL27114020040000300201355387"


def statement(rows) -> bytes:
    """rows: (day of March 2026, payer, account, title, amount, reference, virtual)."""
    lines = [HEADER]
    for day, name, account, title, amount, reference, virtual in rows:
        credit, debit = (amount, "") if not amount.startswith("-") else ("", amount[1:])
        lines.append(f"{day:02d}.03.2026;{day:02d}.03.2026;{name};{account};{title};{credit};"
                     f"{debit};PLN;{reference};{virtual}")
    return ("\n".join(lines) + "\n").encode("cp1250")


def invoice(staff, customer, net, *, issued_days_ago, due_in=14):
    issued = timezone.localdate() - timedelta(days=issued_days_ago)
    return services.invoice_issue(
        actor=staff, customer=customer, issue_date=issued, due_date=issued + timedelta(due_in),
        lines=[{"name": "Internet", "quantity": Decimal(1), "net_unit_price": Decimal(net),
                "vat_rate": "23"}])


def build(staff) -> dict:
    """Five customers in every situation a payment can meet (same in any tenant)."""
    TenantSetting.objects.create(key="finance.virtual_account_prefix", value="0000")
    c = [customer_services.customer_create(actor=staff, last_name=f"Nowak{i}")
         for i in range(5)]
    customer_services.customer_update(actor=staff, customer=c[3], first_name="Ewa")
    docs = {
        "c0_old": invoice(staff, c[0], "100", issued_days_ago=60),  # 123.00
        "c0_new": invoice(staff, c[0], "50", issued_days_ago=30),  # 61.50
        "c1_old": invoice(staff, c[1], "100", issued_days_ago=60),
        "c1_new": invoice(staff, c[1], "50", issued_days_ago=30),
        "c2_future": invoice(staff, c[2], "100", issued_days_ago=0),  # not yet due
        "c2_due": invoice(staff, c[2], "50", issued_days_ago=40),
        "c4_inv": invoice(staff, c[4], "10", issued_days_ago=50),  # 12.30
    }
    # c4 has an earlier credit left unlinked by hand: open payment and open invoice.
    early = services.bank_transfer_record(
        actor=staff, customer=c[4], amount=Decimal("5.00"),
        booking_date=date(2026, 1, 15), title="nadpłata",
        bank_reference="PRE-C4")
    services.allocations_remove(actor=staff, document=early)
    return {"customers": c, "docs": docs}


def files(state):
    c, docs = state["customers"], state["docs"]
    va = [customer.virtual_account for customer in c]
    first = [
        (2, "Jan", "", "abonament", "150,00", "", va[0]),  # c0: old + part of new
        (2, "Jan", "", "abonament", "150,00", "", va[0]),  # the same again: a 2nd line
        (3, "Adam", "", f"zapłata {docs['c1_new'].number}", "81,50", "R02", va[1]),  # named
        (1, "Ola", "", "opłata", "100,00", "R03", va[2]),  # due first, an earlier day
        (4, "Ewa Nowak3", "", "przelew", "30,00", "R04", ""),  # by name: all credit
        (4, "Ktoś", UNKNOWN_ACCOUNT, "?", "13,00", "R05", ""),  # unknown payer
        (4, "Orange", "", "łącze", "-99,00", "R06", ""),  # outgoing
        (5, "Jan", "", f"nr klienta {c[4].number}", "10,00", "R07", ""),  # c4, old credit
    ]
    overlapping = first[5:] + [
        (6, "Jan", "", f"nr klienta {c[0].number}", "40,00", "R08", ""),
        (6, "Ola", "", "reszta", "100,00", "R09", va[2]),
    ]
    return statement(first), statement(overlapping)


def ledger_picture(tenant):
    """What an accountant sees: allocations, balances and invoice statuses by number."""
    with tenant_context(tenant):
        allocations = sorted(
            (a.payment.customer.number, a.payment.bank_reference, a.receivable.number,
             a.amount, a.rule)
            for a in Allocation.objects.select_related("payment__customer", "receivable"))
        balances = {a.customer.number: a.balance
                    for a in CustomerAccount.objects.select_related("customer")}
        for customer in Customer.objects.all():
            assert services.ledger_balance(customer) == balances.get(customer.number,
                                                                     Decimal(0))
        transfers = sorted(FinanceDocument.objects.filter(kind="bank_transfer").values_list(
            "customer__number", "number", "credit", "issue_date", "bank_reference"))
        return allocations, balances, transfers


@pytest.mark.django_db
def test_set_based_import_books_exactly_what_line_by_line_booking_does(
        tenant, other_tenant, staff, other_staff):
    with tenant_context(tenant):
        state = build(staff)
        first, overlapping = files(state)
        one = bank_statement_import(actor=staff, data=first, file_name="a.csv",
                                    csv_profile=PROFILES["generic_pl"])
        two = bank_statement_import(actor=staff, data=overlapping, file_name="b.csv",
                                    csv_profile=PROFILES["generic_pl"])
        booked = [(line.customer.number, line.amount, line.booking_date, line.title,
                   line.document.bank_reference)
                  for line in BankLine.objects.filter(status="booked")
                  .select_related("customer", "document").order_by("id")]
    assert (one.lines_total, one.lines_new, one.lines_unidentified) == (8, 8, 1)
    assert (two.lines_new, two.lines_duplicate, two.lines_unidentified) == (2, 3, 0)

    # The reference: the same tenant state, each identified line booked by the service.
    with tenant_context(other_tenant):
        build(other_staff)
        for number, amount, day, title, reference in booked:
            services.bank_transfer_record(
                actor=other_staff, customer=Customer.objects.get(number=number),
                amount=amount, booking_date=day, title=title, bank_reference=reference,
                bank_account="x")
    assert ledger_picture(tenant) == ledger_picture(other_tenant)


@pytest.mark.django_db
def test_payments_settle_named_then_oldest_then_not_due_and_the_rest_is_credit(
        tenant, staff):
    with tenant_context(tenant):
        state = build(staff)
        first, overlapping = files(state)
        for data in (first, overlapping):
            bank_statement_import(actor=staff, data=data, csv_profile=PROFILES["generic_pl"])
        c, docs = state["customers"], state["docs"]

        def paid(name):
            return services.invoice_settlement(docs[name]).paid

        # c0: 150 settles the oldest (123.00) then 27.00 of the newer; the identical second
        # line pays the rest 34.50 and 115.50 stays as credit; R08 (40) adds to it.
        assert (paid("c0_old"), paid("c0_new")) == (Decimal("123.00"), Decimal("61.50"))
        assert services.ledger_balance(c[0]) == Decimal("155.50")
        # c1 named the newer invoice: it goes first, the rest to the older one.
        assert (paid("c1_new"), paid("c1_old")) == (Decimal("61.50"), Decimal("20.00"))
        named = Allocation.objects.get(receivable=docs["c1_new"])
        assert named.rule == "named"
        # c2: the due invoice first, then the one not yet due.
        assert paid("c2_due") == Decimal("61.50")
        assert paid("c2_future") == Decimal("123.00")
        assert Allocation.objects.filter(receivable=docs["c2_future"]).first().rule == "not_due"
        # c3 had nothing to pay: all credit, identified by name.
        assert services.ledger_balance(c[3]) == Decimal("30.00")
        assert BankLine.objects.get(bank_reference="R04").rule == "name"
        # c4: the old credit (5.00, January) pays first, then 7.30 of the March transfer.
        assert paid("c4_inv") == Decimal("12.30")
        early = FinanceDocument.objects.get(bank_reference="PRE-C4")
        assert Allocation.objects.get(payment=early).amount == Decimal("5.00")
        # Unknown payer waits; the outgoing line is recorded only.
        assert BankLine.objects.get(bank_reference="R05").status == "unidentified"
        assert BankLine.objects.get(bank_reference="R06").status == "outgoing"
        assert BankLine.objects.filter(status="unidentified").count() == 1
        # No allocation exceeds its payment or its receivable.
        for document in FinanceDocument.objects.all():
            out = sum(a.amount for a in document.allocations_out.all())
            into = sum(a.amount for a in document.allocations_in.all())
            assert out <= document.credit and into <= document.debit


@pytest.mark.django_db
def test_the_import_is_logged_once_and_each_transfer_is_in_the_customers_history(
        tenant, staff):
    """One action log entry per import (not 100,000 on a big statement: each costs
    a row, seven index entries and four foreign-key checks); the transfers themselves
    are in each customer's history, and the import's lines say who paid."""
    from core.models import ActionLog
    from finance.selectors import customer_history

    with tenant_context(tenant):
        state = build(staff)
        first, _ = files(state)
        batch = bank_statement_import(actor=staff, data=first, file_name="marzec.csv",
                                      csv_profile=PROFILES["generic_pl"])
        entry = ActionLog.objects.get(kind="finance.bank_import")
        assert entry.actor_user == staff
        assert entry.text == (f"Statement {batch.statement_id} imported: 8 new, "
                              "0 already imported, 1 unidentified")
        c0 = state["customers"][0]
        transfers = [d for d in customer_history(customer=c0) if d.kind == "bank_transfer"]
        assert [t.credit for t in transfers] == [Decimal("150.00"), Decimal("150.00")]
        assert all(t.created_by == staff for t in transfers)
        assert batch.lines.filter(customer=c0).count() == 2


@pytest.mark.django_db
def test_a_clash_of_bank_references_writes_nothing(tenant, staff):
    with tenant_context(tenant):
        state = build(staff)
        va = state["customers"][0].virtual_account
        data = statement([(2, "Jan", "", "a", "10,00", "PRE-C4", va)])
        from django.core.exceptions import ValidationError

        before = FinanceDocument.objects.count()
        with pytest.raises(ValidationError):
            bank_statement_import(actor=staff, data=data, csv_profile=PROFILES["generic_pl"],
                                  format="csv")
        assert FinanceDocument.objects.count() == before
        assert not BankImport.objects.exists() and not BankLine.objects.exists()


def test_two_imports_of_one_big_file_at_once_book_each_line_once(
        transactional_db, tenant, staff):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    with tenant_context(tenant):
        TenantSetting.objects.create(key="finance.virtual_account_prefix", value="0000")
        customers = [customer_services.customer_create(actor=staff, last_name=f"K{i}")
                     for i in range(20)]
        for customer in customers[:10]:
            invoice(staff, customer, "40", issued_days_ago=30)
    rows = [(1 + i % 5, "Jan", "", "abonament", f"{10 + i},00", f"T{i}",
             customers[i % 20].virtual_account) for i in range(200)]
    data, errors = statement(rows), []

    def run():
        try:
            with tenant_context(Tenant.objects.get(pk=tenant.pk)):
                bank_statement_import(actor=staff, data=data,
                                      csv_profile=PROFILES["generic_pl"])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with tenant_context(tenant):
        assert FinanceDocument.objects.filter(kind="bank_transfer").count() == 200
        assert sorted(BankImport.objects.values_list("lines_new", flat=True)) == [0, 200]
        for customer in customers:
            account = CustomerAccount.objects.get(customer=customer)
            assert account.balance == services.ledger_balance(customer)
        assert sum(a.amount for a in Allocation.objects.all()) == Decimal("492.00")


@pytest.mark.django_db
def test_rows_that_miss_a_new_column_are_written_with_the_models_defaults(tenant, staff):
    """If a model gains a column the COPY does not name, the rows still get written
    (by bulk_create, with the field's default) instead of failing the import."""
    from core.models import ActionLog
    from finance.bank.importer import _copy

    with tenant_context(tenant):
        _copy(ActionLog, ("tenant_id", "at", "actor_kind", "actor_user_id",
                          "actor_customer_id", "actor_name", "customer_id", "kind", "message"),
              [(tenant.pk, timezone.now(), "system", None, None, "System", None, "x.y",
                "bez kolumny changes")])
        entry = ActionLog.objects.get(kind="x.y")
    assert entry.changes == {} and entry.message == "bez kolumny changes"
