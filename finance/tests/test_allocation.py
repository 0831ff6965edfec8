"""Art. 451 and the numbers a transfer title names: one rule (``finance.allocation``) for
the bank import and for a transfer recorded by hand (service and API) alike.

The defect: "FV/2021/06/12" in a title settled FV/2021/06/1 first (a substring), and the
tenant's own numbers ("FV 2021/05/0012", a payer's "fv 2021/5/12") went unrecognised.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import token_client
from core.models import NumberSeries, TenantSetting
from core.numbering import TOKEN, number_format
from customers.services import customer_create
from finance import services
from finance.allocation import Recogniser, number_key, payment_shares
from finance.bank.csv_profiles import PROFILES
from finance.bank.importer import bank_statement_import
from finance.models import Allocation, BankLine, CustomerAccount, FinanceDocument, Kind

DB_EXAMPLES = settings(max_examples=8, deadline=None,
                       suppress_health_check=[HealthCheck.function_scoped_fixture,
                                              HealthCheck.too_slow])


# --------------------------------------------------------------------------- pure: titles

PATTERNS = ["FV/{YYYY}/{MM}/{N}", "FV {YYYY}/{MM}/{N:4}", "FK/{YYYY}/{MM}/{N}",
            "NO/{YYYY}/{N}", "KP/K1/{YYYY}/{N}", "{YYYY}/{MM}/{N:5}", "F{YY}-{MM}-{N:3}",
            "R/{DD}.{MM}.{YYYY}/{N}", "nod_{YYYY}_{N:6}"]
SEPARATORS = ["/", " / ", "-", " ", ".", "  ", "\\", "_"]


@st.composite
def typed(draw, pattern: str, when: date, n: int) -> str:
    """The number as a payer might type it: any case, other separators (or none next to
    letters, spaces around them), zeros of the month, day and running number dropped."""
    out, position = [], 0
    previous_numeric = False
    pieces = []
    for match in TOKEN.finditer(pattern):
        pieces.append(("lit", pattern[position:match.start()]))
        pieces.append(("tok", match.group(1)))
        position = match.end()
    pieces.append(("lit", pattern[position:]))
    for index, (kind, text) in enumerate(pieces):
        if kind == "tok":
            name = "N" if text.startswith("N") else text
            value = {"YYYY": f"{when.year:04d}", "YY": f"{when.year % 100:02d}",
                     "MM": when.month, "DD": when.day, "N": n}[name]
            if name in ("MM", "DD", "N"):
                width = draw(st.sampled_from([0, 2, 4])) if name == "N" else \
                    draw(st.sampled_from([0, 2]))
                value = f"{value:0{width}d}"
            out.append(value)
            previous_numeric = True
            continue
        for run in re.findall(r"[^\W_]+|[\W_]+", text):
            if run[0].isalnum():
                out.append("".join(c.upper() if draw(st.booleans()) else c.lower()
                                   for c in run))
                previous_numeric = run[-1].isdigit()
            else:
                following = pieces[index + 1] if index + 1 < len(pieces) else None
                between = previous_numeric and following is not None and (
                    following[0] == "tok" and run == text[-len(run):])
                choices = SEPARATORS if between else ["", *SEPARATORS]
                out.append(draw(st.sampled_from(choices)))
                previous_numeric = False
    return "".join(out)


@given(data=st.data(), pattern=st.sampled_from(PATTERNS),
       when=st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)),
       n=st.integers(1, 10**6),
       before=st.sampled_from(["", "zapłata za ", "Faktura nr ", "nr:", "(", "FV; "]),
       after=st.sampled_from(["", " dziękuję", ", abonament", ".", ")", "; kl. 17"]))
def test_the_tenants_number_is_recognised_however_the_payer_types_it(
        data, pattern, when, n, before, after):
    canonical = number_format(pattern, when, n)
    title = before + data.draw(typed(pattern, when, n)) + after
    recogniser = Recogniser(PATTERNS)
    assert canonical in [found.number for found in recogniser.find(title)], title
    assert number_key(canonical) in recogniser.keys(title)


@given(pattern=st.sampled_from(PATTERNS), when=st.dates(date(2000, 1, 1), date(2099, 12, 31)),
       a=st.integers(1, 9_999), tail=st.integers(0, 9_999),
       glue=st.sampled_from(["", "0", "00"]))
def test_a_number_that_is_a_prefix_of_the_named_one_is_not_named(pattern, when, a, tail,
                                                                  glue):
    b = int(f"{a}{glue}{tail}")
    named, prefix = number_format(pattern, when, b), number_format(pattern, when, a)
    keys = Recogniser(PATTERNS).keys(f"przelew {named} dziękuję")
    assert number_key(named) in keys
    assert number_key(prefix) not in keys


@pytest.mark.parametrize("title,named", [
    ("FV/2021/06/12", {"FV/2021/06/12"}),
    ("fv 2021/6/12", {"FV/2021/06/12"}),
    ("FV/2021/06/1", {"FV/2021/06/1"}),
    ("FV/2021/06/1, FV/2021/06/12", {"FV/2021/06/1", "FV/2021/06/12"}),
    ("FV/2021/06/12FV/2021/06/1", set()),            # glued: neither stands whole
    ("FV/2021/06/1/2", set()),                        # continued by "/2"
    ("FV/2021/06/1a", set()),
    ("XFV/2021/06/1", set()),
    ("FV/2021/06/01", {"FV/2021/06/1"}),
    ("FV 2021 06 12", {"FV/2021/06/12"}),
    ("FV2021/06/12", {"FV/2021/06/12"}),
    ("20210612", set()),
    ("", set()),
])
def test_a_title_names_only_numbers_that_stand_whole(title, named):
    receivables = ["FV/2021/06/1", "FV/2021/06/12", "FV/2021/06/2"]
    keys = Recogniser(["FV/{YYYY}/{MM}/{N}"]).keys(title)
    assert {r for r in receivables if number_key(r) in keys} == named


@dataclass(frozen=True)
class Row:
    pk: int
    number: str
    due_date: date
    issue_date: date


def test_shares_go_to_the_named_then_due_then_not_yet_due():
    today = date(2026, 6, 15)
    rows = [Row(1, "FV/2026/06/1", today + timedelta(days=5), today),
            Row(2, "FV/2026/05/1", today - timedelta(days=5), today - timedelta(days=20)),
            Row(3, "FV/2026/04/1", today - timedelta(days=40), today - timedelta(days=50)),
            Row(4, "FV/2026/06/12", today + timedelta(days=9), today)]
    open_amounts = {1: Decimal("10"), 2: Decimal("10"), 3: Decimal("10"), 4: Decimal("10")}
    recogniser = Recogniser(["FV/{YYYY}/{MM}/{N}"])
    shares = payment_shares(left=Decimal("35"), receivables=rows, open_amounts=open_amounts,
                            title="FV/2026/06/12", recogniser=lambda: recogniser, today=today)
    assert [(r.pk, amount, rule) for r, amount, rule in shares] == [
        (4, Decimal("10"), "named"), (3, Decimal("10"), "due"), (2, Decimal("10"), "due"),
        (1, Decimal("5"), "not_due")]
    assert open_amounts[4] == Decimal("10")  # the caller books: nothing changed here


@pytest.mark.parametrize("left", [Decimal("0"), Decimal("-1.00")])
def test_nothing_left_of_a_payment_settles_nothing(left):
    rows = [Row(1, "FV/1", date(2026, 1, 1), date(2026, 1, 1))]
    assert payment_shares(left=left, receivables=rows, open_amounts={1: Decimal("5")},
                          title="FV/1", recogniser=lambda: Recogniser(["FV/{N}"]),
                          today=date(2026, 6, 1)) == []


# --------------------------------------------------------------------------- the DB paths

def fresh_ledger():
    Allocation.objects.all().delete()
    BankLine.objects.all().delete()
    FinanceDocument.objects.all().delete()
    CustomerAccount.objects.all().delete()
    NumberSeries.objects.all().delete()


def invoice_numbered(staff, customer, n: int, day: date, net="100.00"):
    """An invoice whose running number is ``n`` (the counter set just before)."""
    NumberSeries.objects.update_or_create(series="finance.invoice", period=f"{day:%Y%m}",
                                          defaults={"last_number": n - 1})
    return services.invoice_issue(
        actor=staff, customer=customer, issue_date=day, due_date=day + timedelta(days=14),
        lines=[{"name": "Internet", "quantity": Decimal(1), "net_unit_price": Decimal(net),
                "vat_rate": "23"}])


def two_invoices(staff, customer, a: int, b: int):
    """FV/2021/06/<a> (older, due first) and FV/2021/06/<b>, 123.00 each."""
    return (invoice_numbered(staff, customer, a, date(2021, 6, 3)),
            invoice_numbered(staff, customer, b, date(2021, 6, 20)))


def allocations_of(receivable):
    return list(Allocation.objects.filter(receivable=receivable).values_list("amount", "rule"))


PREFIXED = st.integers(1, 999).flatmap(
    lambda a: st.tuples(st.just(a), st.integers(0, 999).map(lambda t: int(f"{a}{t}"))))


def typed_default(number: str, style: int) -> str:
    """FV/2021/06/12 as payers type it."""
    _fv, year, month, n = number.split("/")
    return [number, f"fv {year}/{int(month)}/{int(n)}", f"FV {year}-{month}-{int(n):04d}",
            f"Faktura {number.lower()} za czerwiec"][style]


@DB_EXAMPLES
@given(numbers=PREFIXED, style=st.integers(0, 3))
def test_a_transfer_recorded_by_hand_pays_the_invoice_it_names_not_its_prefix(
        in_tenant, staff, customer, numbers, style):
    fresh_ledger()
    older, named = two_invoices(staff, customer, *numbers)
    services.bank_transfer_record(actor=staff, customer=customer, amount=named.debit,
                                  booking_date=date(2021, 7, 1),
                                  title=typed_default(named.number, style))
    assert allocations_of(named) == [(Decimal("123.00"), "named")]
    assert allocations_of(older) == []


@DB_EXAMPLES
@given(numbers=PREFIXED, style=st.integers(0, 3))
def test_the_bank_import_pays_the_invoice_it_names_not_its_prefix(
        in_tenant, staff, customer, numbers, style):
    fresh_ledger()
    older, named = two_invoices(staff, customer, *numbers)
    bank_statement_import(actor=staff, data=statement([
        ("01.07.2021", "Jan Kowalski", "", typed_default(named.number, style), "123,00",
         f"R{numbers[1]}", customer.virtual_account)]), csv_profile=PROFILES["generic_pl"])
    assert allocations_of(named) == [(Decimal("123.00"), "named")]
    assert allocations_of(older) == []


def test_the_api_transfer_names_the_invoice_as_the_payer_typed_it(in_tenant, staff, customer,
                                                                  tenant):
    older, named = two_invoices(staff, customer, 1, 12)
    api = token_client(staff, tenant)
    response = api.post(f"/api/v1/customers/{customer.pk}/finance-documents/bank-transfer/", {
        "amount": "123.00", "booking_date": "2021-07-01", "title": "fv 2021/6/12"},
        format="json")
    assert response.status_code == 201, response.json()
    assert allocations_of(named) == [(Decimal("123.00"), "named")]
    assert allocations_of(older) == []


def test_without_a_named_number_the_oldest_due_invoice_is_paid_first(in_tenant, staff,
                                                                     customer):
    older, newer = two_invoices(staff, customer, 1, 12)
    services.bank_transfer_record(actor=staff, customer=customer, amount="123.00",
                                  booking_date=date(2021, 7, 1), title="FV/2021/06/1/2")
    assert allocations_of(older) == [(Decimal("123.00"), "due")]
    assert allocations_of(newer) == []


# --------------------------------------------------------------------------- identification

HEADER = ("Data księgowania;Data waluty;Kontrahent;Rachunek kontrahenta;Tytuł;Uznania;"
          "Obciążenia;Waluta;Numer referencyjny;Rachunek wirtualny")


def statement(rows) -> bytes:
    """rows: (day, payer, account, title, amount, reference, virtual account)."""
    lines = [HEADER]
    for day, name, account, title, amount, reference, virtual in rows:
        lines.append(f"{day};{day};{name};{account};{title};{amount};;PLN;{reference};{virtual}")
    return ("\n".join(lines) + "\n").encode("cp1250")


def import_titles(staff, *titles):
    rows = [("01.07.2021", "Ktoś Inny", "", title, "10,00", f"T{i}", "")
            for i, title in enumerate(titles)]
    batch = bank_statement_import(actor=staff, data=statement(rows),
                                  csv_profile=PROFILES["generic_pl"])
    return list(BankLine.objects.filter(bank_import=batch).order_by("bank_reference"))


def test_the_tenants_own_pattern_identifies_the_payer(in_tenant, staff, customer):
    """"FV 2021/05/0012" (the tenant's pattern) and "fv 2021/5/12" were left unidentified
    by the old "XX/…" expression."""
    TenantSetting.objects.create(key="finance.invoice_number_pattern",
                                 value="FV {YYYY}/{MM}/{N:4}")
    NumberSeries.objects.create(series="finance.invoice", period="202105", last_number=11)
    issued = services.invoice_issue(
        actor=staff, customer=customer, issue_date=date(2021, 5, 4),
        lines=[{"name": "Internet", "quantity": 1, "net_unit_price": "10", "vat_rate": "23"}])
    assert issued.number == "FV 2021/05/0012"
    lines = import_titles(staff, "FV 2021/05/0012", "fv 2021/5/12", "FV2021-05-12 maj",
                          "FV 2021/05/00121", "FV 2021/05/001")
    assert [(line.status, line.rule, line.rule_match, line.customer_id) for line in lines] == [
        ("booked", "document_number", "FV 2021/05/0012", customer.pk)] * 3 + [
        ("unidentified", "", "", None)] * 2
    assert list(Allocation.objects.filter(receivable=issued).order_by("id")
                .values_list("amount", "rule")) == [(Decimal("10.00"), "named"),
                                                    (Decimal("2.30"), "named")]  # 12.30 owed


def test_the_default_pattern_identifies_the_payers_spelling(in_tenant, staff, customer):
    NumberSeries.objects.create(series="finance.invoice", period="202105", last_number=11)
    services.invoice_issue(
        actor=staff, customer=customer, issue_date=date(2021, 5, 4),
        lines=[{"name": "Internet", "quantity": 1, "net_unit_price": "10", "vat_rate": "23"}])
    [line] = import_titles(staff, "FV 2021/05/12")
    assert (line.rule, line.rule_match, line.customer_id) == (
        "document_number", "FV/2021/05/12", customer.pk)


def test_corrections_notes_and_kp_numbers_identify_the_payer(in_tenant, staff, customer):
    TenantSetting.objects.create(key="finance.debit_note_number_pattern", value="N {YYYY}-{N}")
    register = services.cash_register_create(actor=staff, name="Kasa", symbol="k1",
                                             kw_number_pattern="W {YYYY} {N:3}")
    issued = services.invoice_issue(
        actor=staff, customer=customer, issue_date=date(2021, 5, 4),
        lines=[{"name": "Internet", "quantity": 1, "net_unit_price": "10", "vat_rate": "23"}])
    correction, _w = services.correction_issue(
        actor=staff, invoice=issued, reason="podwyżka", issue_date=date(2021, 5, 5),
        lines=[{"name": "Internet", "quantity": 1, "net_unit_price": "20", "vat_rate": "23"}])
    note = services.debit_note_issue(actor=staff, customer=customer, amount="5", title="x")
    kw = services.kw_issue(actor=staff, customer=customer, register=register, amount="1")
    year = date.today().year
    lines = import_titles(staff, "fk 2021/5/1", f"n{year}-1", f"w {year} 1", "nic")
    assert [(line.rule, line.rule_match) for line in lines] == [
        ("document_number", correction.number), ("document_number", note.number),
        ("document_number", kw.number), ("", "")]
    assert correction.number == "FK/2021/05/1"


def test_another_tenants_number_does_not_identify(in_tenant, staff, customer, other_tenant,
                                                  other_staff):
    from core.tenancy import tenant_context

    with tenant_context(other_tenant):
        theirs = customer_create(actor=other_staff, last_name="Obcy")
        foreign = services.invoice_issue(
            actor=other_staff, customer=theirs, issue_date=date(2021, 5, 4),
            lines=[{"name": "x", "quantity": 1, "net_unit_price": "10", "vat_rate": "23"}])
    [line] = import_titles(staff, foreign.number)
    assert (line.status, line.customer_id) == ("unidentified", None)


def test_the_bank_line_shows_the_rule_and_the_number_it_found(
        in_tenant, staff, customer, staff_client, tenant):
    services.invoice_issue(
        actor=staff, customer=customer, issue_date=date(2021, 5, 4),
        lines=[{"name": "Internet", "quantity": 1, "net_unit_price": "10", "vat_rate": "23"}])
    [line] = import_titles(staff, "zapłata fv 2021 5 1")
    page = staff_client.get(reverse("finance:bank_import",
                                    kwargs={"bankimport_id": line.bank_import_id}))
    assert "document number in the title" in page.content.decode()
    assert "FV/2021/05/1" in page.content.decode()
    data = token_client(staff, tenant).get(f"/api/v1/bank-lines/{line.pk}/").json()
    assert (data["rule"], data["rule_match"]) == ("document_number", "FV/2021/05/1")


def test_the_customer_number_rule_shows_the_number(in_tenant, staff, customer):
    [line] = import_titles(staff, f"nr klienta {customer.number}")
    assert (line.rule, line.rule_match) == ("customer_number", str(customer.number))
    assert line.document.kind == Kind.BANK_TRANSFER
