"""Importing a bank statement into the ledger (services of the bank import).

Parsing comes first and writes nothing: a malformed file is refused with its line and
reason. The import then runs in one transaction that holds an advisory lock on the
statement's account, so two imports of one file (or of overlapping statements) cannot
interleave; the unique (account, line identity) constraint backs that up. Lines already
imported are counted as duplicates, never booked twice.

The import is set-based, so a statement of 100,000 lines takes seconds, not an hour:
every rule of the identification looks up all the file's values in one query, the
transfers and lines are bulk-created in chunks, the balances of the customers paid move
in one UPDATE, and the settlement replays ``services.allocate_open`` in memory for the
customers who have open receivables — the same allocations, in the same order, as
booking the lines one by one would make (``test_bank_setbased`` proves it).

Each new line costs the rows a user needs and no more: its bank line, and for a booked
one its transfer document and the allocations it makes. The action log gets one entry
for the import (what it booked, counted), not one per transfer: the transfers are in
each customer's history and on the import's page, and 100,000 more log rows (seven
indexes and four foreign keys each) took a fifth of the import's time.
"""

import re
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import psycopg
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import DecimalField, F, Sum, Value
from django.db.models.functions import Coalesce, Concat, Right, Upper
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from psycopg.types.json import JsonbDumper

from core.actionlog import action_log, money, staff_of
from core.rls import copy_rows
from core.sql import array_param, column_any, values_in
from core.tenancy import current_tenant
from customers.models import BankAccount, Customer
from customers.services import bank_account_add

from .. import services as ledger
from ..allocation import Recogniser, payment_shares
from ..models import Allocation, BankImport, BankLine, CustomerAccount, FinanceDocument, Kind
from ..money import document_max_refusal
from ..numbering import title_recogniser
from ..seller import party_snapshots
from .parsers import StatementLine, StatementParseError, parse_statement

CUSTOMER_NUMBER = re.compile(r"(?:NR\.?\s*KLIENTA|KLIENT|KL\.|ID\s*KLIENTA)\s*[:#]?\s*(\d{1,12})",
                             re.IGNORECASE)
CHUNK = 5000  # rows per INSERT: big enough to be fast, small enough to report progress
ZERO = Decimal("0.00")
_SUM = {"output_field": DecimalField(max_digits=14, decimal_places=2)}

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class Identification:
    customer_id: int | None
    rule: str  # virtual_account, own_account, customer_number, document_number, name, ""
    match: str = ""  # what the rule found: the document or customer number


_NOT_DIGIT = re.compile(r"\D")


def _digits(text: str) -> str:
    return _NOT_DIGIT.sub("", text or "")


def _name_keys(name: str) -> tuple[str, set[tuple[str, str]]]:
    """A payer's name as a company name and as (first, last) pairs, upper-cased."""
    words = name.upper().split(" ")
    pairs = set()
    if len(words) >= 2:
        pairs = {(words[0], " ".join(words[1:])), (" ".join(words[1:]), words[0])}
    return name.upper(), pairs


def identify_all(lines: list[StatementLine],
                 titles: Recogniser | None = None) -> list[Identification]:
    """Who paid each line, by the first rule that gives exactly one customer: the
    individual (virtual) account → a known own account of the customer → a customer
    number, then a number of the tenant's own documents (``titles``: recognised by every
    number pattern of the tenant, as payers type them) in the title → a unique name. One
    query per rule for the whole file."""
    found: list[Identification | None] = [None] * len(lines)

    def pending():
        return [i for i, item in enumerate(found) if item is None]

    # 1. The virtual account, whole (26 digits) or as a bank's short id of it (mBank's
    # "ID IPH"): its digits end the NRB.
    full, tails = {}, defaultdict(dict)
    for i, line in enumerate(lines):
        digits = _digits(line.virtual_account)
        if len(digits) == 26:
            full[i] = digits
        elif digits:
            tail = digits[-16:]
            tails[len(tail)][i] = tail
    if full:
        owners = dict(Customer.objects
                      .filter(column_any(Customer, "virtual_account", set(full.values())))
                      .values_list("virtual_account", "id"))
        for i, digits in full.items():
            if digits in owners:
                found[i] = Identification(owners[digits], "virtual_account")
    for length, wanted in tails.items():
        matches = defaultdict(set)
        for tail, pk in (Customer.objects.annotate(tail=Right("virtual_account", length))
                         .filter(tail__in=values_in(set(wanted.values())))
                         .values_list("tail", "id")):
            matches[tail].add(pk)
        for i, tail in wanted.items():
            if len(matches[tail]) == 1:
                found[i] = Identification(next(iter(matches[tail])), "virtual_account")

    # 2. A known own account of the customer (written as NRB or IBAN).
    accounts = {i: lines[i].counterparty_account for i in pending()
                if lines[i].counterparty_account}
    if accounts:
        candidates = set()
        for account in accounts.values():
            candidates |= {account, "PL" + account} if account.isdigit() else {account}
        owners = defaultdict(set)
        for iban, pk in (BankAccount.objects.filter(column_any(BankAccount, "iban", candidates))
                         .values_list("iban", "customer_id")):
            owners[iban].add(pk)
        for i, account in accounts.items():
            pks = owners[account] | (owners["PL" + account] if account.isdigit() else set())
            if len(pks) == 1:
                found[i] = Identification(next(iter(pks)), "own_account")

    # 3. A customer number, then an invoice number, in the title.
    numbers = {}
    for i in pending():
        match = CUSTOMER_NUMBER.search(lines[i].title or "")
        if match:
            numbers[i] = int(match.group(1))
    if numbers:
        by_number = dict(Customer.objects
                         .filter(column_any(Customer, "number", set(numbers.values()), "bigint"))
                         .values_list("number", "id"))
        for i, number in numbers.items():
            if number in by_number:
                found[i] = Identification(by_number[number], "customer_number", str(number))
    titles = titles or title_recogniser()
    documents = {}
    for i in pending():
        named = [item.number for item in titles.find(lines[i].title or "")]
        if named:
            documents[i] = named
    if documents:
        owners = defaultdict(set)
        for number, pk in (FinanceDocument.objects
                           .filter(number__in=values_in(set().union(*documents.values())))
                           .exclude(kind=Kind.BANK_TRANSFER)  # its number: a bank reference
                           .values_list("number", "customer_id")):
            owners[number].add(pk)
        for i, named in documents.items():
            pks = set().union(*(owners[n] for n in named))
            if len(pks) == 1:
                number = next(n for n in named if owners[n])
                found[i] = Identification(next(iter(pks)), "document_number", number)

    # 4. A unique name: the company's, or first and last name in either order.
    names = {}
    for i in pending():
        name = " ".join((lines[i].counterparty_name or "").split())
        if name:
            names[i] = _name_keys(name)
    if names:
        companies = {company for company, _pairs in names.values()}
        people = {"\x1f".join(pair) for _company, pairs in names.values() for pair in pairs}
        by_company, by_person = defaultdict(set), defaultdict(set)
        rows = (Customer.objects
                .annotate(company=Upper("company_name"),
                          person=Concat(Upper("first_name"), Value("\x1f"), Upper("last_name")))
                .filter(company__in=values_in(companies)).values_list("company", "person", "id")
                .union(Customer.objects
                       .annotate(company=Upper("company_name"),
                                 person=Concat(Upper("first_name"), Value("\x1f"),
                                               Upper("last_name")))
                       .filter(person__in=values_in(people))
                       .values_list("company", "person", "id")))
        for company, person, pk in rows:
            by_company[company].add(pk)
            by_person[person].add(pk)
        for i, (company, pairs) in names.items():
            pks = set(by_company[company])
            for pair in pairs:
                pks |= by_person["\x1f".join(pair)]
            if len(pks) == 1:
                found[i] = Identification(next(iter(pks)), "name")
    return [item or Identification(None, "") for item in found]


def _lock_statement_account(account: str) -> None:
    if connection.vendor == "postgresql":
        key = zlib.crc32(f"{current_tenant().pk}:{account}".encode())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [8405, key - 2**31])


def statement_parse(data: bytes, *, format: str | None = None, csv_profile=None):
    """The statement of a file, or ValidationError {"file": ["line N: reason"]}."""
    try:
        return parse_statement(data, format=format, csv_profile=csv_profile)
    except StatementParseError as e:
        raise ValidationError({"file": [str(e)]}) from None


def bank_statement_import(*, actor, data: bytes, file_name: str = "",
                          format: str | None = None, csv_profile=None,
                          progress: Progress | None = None) -> BankImport:
    """Parse, identify and book a statement; see the module docstring for the guarantees.

    Identified credits become bank transfers on the customer's ledger (which settle the
    oldest unpaid invoices); unidentified ones wait in the queue; debits are recorded only.
    Locks: the statement's account (advisory), then the accounts of the customers paid,
    in id order. ``progress(stage, done, total)`` is called as the chunks are written.
    """
    statement = statement_parse(data, format=format, csv_profile=csv_profile)
    report = progress or (lambda stage, done, total: None)
    with transaction.atomic(durable=True):
        _lock_statement_account(statement.account)
        batch = BankImport.objects.create(
            file_name=file_name[:255], format=statement.format, account=statement.account,
            statement_id=statement.statement_id[:200], lines_total=len(statement.lines),
            imported_by=staff_of(actor))
        _book(actor, batch, statement.account, statement.lines, report)
        batch.save(update_fields=["lines_new", "lines_duplicate", "lines_unidentified"])
        action_log(actor=actor, kind="finance.bank_import",
                   message=N_("Statement %(s)s imported: %(n)s new, %(d)s already imported, "
                              "%(u)s unidentified"), params={
                       "s": batch.statement_id or batch.file_name, "n": batch.lines_new,
                       "d": batch.lines_duplicate, "u": batch.lines_unidentified})
    return batch


_DOCUMENT_COLUMNS = (
    "id", "tenant_id", "customer_id", "kind", "number", "issue_date", "due_date", "debit",
    "credit", "title", "reason", "corrects_id", "cash_register_id", "bank_reference",
    "bank_account", "counterparty_account", "created_at", "created_by_id", "parties")
_LINE_COLUMNS = (
    "tenant_id", "bank_import_id", "account", "line_identity", "bank_reference",
    "booking_date", "amount", "title", "counterparty_name", "counterparty_account",
    "virtual_account", "status", "rule", "rule_match", "customer_id", "document_id")
_ALLOCATION_COLUMNS = (
    "tenant_id", "payment_id", "receivable_id", "amount", "rule", "created_at",
    "created_by_id")


def _book(actor, batch: BankImport, account: str, lines, report: Progress) -> None:
    known = set(BankLine.objects.filter(
        column_any(BankLine, "line_identity", {line.line_identity for line in lines}),
        account=account)
        .values_list("line_identity", flat=True))
    new = []
    for line in lines:
        if line.line_identity in known:
            batch.lines_duplicate += 1
            continue
        known.add(line.line_identity)
        new.append(line)
    batch.lines_new = len(new)
    report("identify", 0, len(new))
    incoming = [line for line in new if line.amount > 0]
    titles = title_recogniser()
    who = dict(zip(map(id, incoming), identify_all(incoming, titles), strict=True))

    tenant_id, staff = current_tenant().pk, staff_of(actor)
    staff_id = staff.pk if staff is not None else None
    now = timezone.now()
    # a transfer above what one document carries (the decision of
    # ``services.document_amount_check``) is left unidentified for staff to see: booked by
    # hand it is refused with the reason
    too_big = {id(line) for line in incoming if document_max_refusal(line.amount)}
    booked = [line for line in incoming if who[id(line)].customer_id is not None
              and id(line) not in too_big]
    document_ids = _next_ids(FinanceDocument, len(booked))
    document_of = dict(zip(map(id, booked), document_ids, strict=True))
    # Each transfer keeps its parties as they are now, as bank_transfer_record does.
    parties = party_snapshots({who[id(line)].customer_id for line in booked})
    transfers: list[_Transfer] = []
    document_rows, line_rows = [], []
    kind = Kind.BANK_TRANSFER.value
    booked_status, outgoing, unidentified = (
        BankLine.Status.BOOKED.value, BankLine.Status.OUTGOING.value,
        BankLine.Status.UNIDENTIFIED.value)
    for line in new:
        found = who.get(id(line))
        document_id = customer_id = None
        rule = match = ""
        if line.amount <= 0:
            status = outgoing
        elif found.customer_id is None or id(line) in too_big:
            status = unidentified
            batch.lines_unidentified += 1
        else:
            status, rule, match, customer_id = (booked_status, found.rule, found.match[:60],
                                                found.customer_id)
            document_id = document_of[id(line)]
            reference = line.bank_reference[:100] or line.line_identity[:40]
            number, title = reference[:60], line.title[:500]
            transfers.append(_Transfer(document_id, customer_id, number, line.booking_date,
                                       title, line.amount))
            document_rows.append((
                document_id, tenant_id, customer_id, kind, number, line.booking_date, None,
                ZERO, line.amount, title, "", None, None, reference, account,
                line.counterparty_account[:34], now, staff_id, parties[customer_id]))
        line_rows.append((
            tenant_id, batch.pk, account, line.line_identity, line.bank_reference[:100],
            line.booking_date, line.amount, line.title[:1000], line.counterparty_name[:300],
            line.counterparty_account[:34], line.virtual_account[:34], status, rule, match,
            customer_id, document_id))

    report("book", 0, len(line_rows))
    try:
        with transaction.atomic():
            _copy(FinanceDocument, _DOCUMENT_COLUMNS, document_rows)
    except IntegrityError:
        raise ValidationError(_("This transfer was already recorded (the same bank "
                                "reference).")) from None
    for start in range(0, len(line_rows), CHUNK):
        _copy(BankLine, _LINE_COLUMNS, line_rows[start:start + CHUNK])
        report("book", min(start + CHUNK, len(line_rows)), len(line_rows))
    if transfers:
        report("settle", 0, len(transfers))
        _post(transfers)
        _settle(transfers, staff_id, now, titles)
    report("done", len(line_rows), len(line_rows))


@dataclass
class _Transfer:
    """A bank transfer document being booked, or an open payment of the customer."""

    pk: int
    customer_id: int
    number: str
    issue_date: object
    title: str
    credit: Decimal
    allocated: Decimal = ZERO


def _next_ids(model, count: int) -> list[int]:
    """``count`` primary keys from the table's sequence, so rows can be written by COPY
    and still be referred to."""
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                       "FROM generate_series(1, %s)", [model._meta.db_table, count])
        return [pk for (pk,) in cursor.fetchall()]


def _copy(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Write ``rows`` (values in the order of ``columns``, attnames) by COPY, ten times
    faster than INSERT.

    The columns must be every column of the table but ``id`` (which may be given); if the
    model has gained a column since, the rows are written by ``bulk_create`` instead, with
    the model's defaults, slower but right."""
    if not rows:
        return
    expected = {f.attname for f in model._meta.concrete_fields}
    if set(columns) | {"id"} != expected | {"id"}:
        model._base_manager.bulk_create([model(**dict(zip(columns, row, strict=True)))
                                         for row in rows], batch_size=CHUNK)
        return
    names = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column)
                      for c in columns)
    sql = f"COPY {model._meta.db_table} ({names}) FROM STDIN"
    try:
        with connection.cursor() as cursor:
            # JSON columns (a document's parties) are written from dicts, as the ORM does.
            cursor.cursor.adapters.register_dumper(dict, JsonbDumper)
            with copy_rows(cursor, sql) as copy:
                for row in rows:
                    copy.write_row(row)
    except psycopg.errors.IntegrityError as e:
        raise IntegrityError(str(e)) from e


def _post(transfers: list[_Transfer]) -> None:
    """Lock the accounts of the customers paid (created where missing), in id order —
    the order every money service keeps — and move their cached balances in one UPDATE."""
    totals = defaultdict(lambda: ZERO)
    for transfer in transfers:
        totals[transfer.customer_id] += transfer.credit
    customers = sorted(totals)
    tenant_id = current_tenant().pk
    ids, ids_params = array_param(customers, "bigint")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO finance_customeraccount (tenant_id, customer_id, balance) "
            f"SELECT %s, unnest({ids}), 0 ON CONFLICT (customer_id) DO NOTHING",
            [tenant_id, *ids_params])
    list(CustomerAccount.objects
         .filter(column_any(CustomerAccount, "customer", customers, "bigint"))
         .order_by("id").select_for_update().values_list("id", flat=True))
    ids, ids_params = array_param(customers, "bigint")
    amounts, amounts_params = array_param([str(totals[pk]) for pk in customers], "numeric")
    with connection.cursor() as cursor:
        sql = ("UPDATE finance_customeraccount AS a SET balance = a.balance + t.amount "  # noqa: S608
               f"FROM unnest({ids}, {amounts}) AS t(customer_id, amount) "
               "WHERE a.customer_id = t.customer_id AND a.tenant_id = %s")
        cursor.execute(sql, [*ids_params, *amounts_params, tenant_id])


@dataclass(frozen=True)
class _Receivable:
    pk: int
    number: str
    due_date: object
    issue_date: object


def _settle(transfers: list[_Transfer], staff_id, now, titles: Recogniser) -> None:
    """``services.allocate_open`` after each transfer, replayed in memory.

    Only customers with an open receivable can get an allocation, so those are read (two
    queries), and for each of them the transfers are added one by one in file order, each
    time settling every open payment (oldest first) against the receivables in the order
    of Civil Code art. 451: the document the title names, then due ones by earliest due
    date, then those not yet due.
    """
    paid = {transfer.customer_id for transfer in transfers}
    receivables, open_amounts = defaultdict(list), {}
    for pk, customer_id, number, due_date, issue_date, debit, allocated in (
            FinanceDocument.objects
            .filter(column_any(FinanceDocument, "customer", paid, "bigint"), debit__gt=0)
            .annotate(allocated=Coalesce(Sum("allocations_in__amount"), Value(ZERO), **_SUM))
            .filter(allocated__lt=F("debit")).order_by()
            .values_list("id", "customer_id", "number", "due_date", "issue_date", "debit",
                         "allocated")):
        receivables[customer_id].append(_Receivable(pk, number, due_date, issue_date))
        open_amounts[pk] = debit - allocated
    if not receivables:
        return
    earlier = defaultdict(list)
    for pk, customer_id, number, issue_date, title, credit, allocated in (
            FinanceDocument.objects
            .filter(column_any(FinanceDocument, "customer", receivables, "bigint"), credit__gt=0)
            .exclude(column_any(FinanceDocument, "id", [t.pk for t in transfers], "bigint"))
            .annotate(allocated=Coalesce(Sum("allocations_out__amount"), Value(ZERO), **_SUM))
            .filter(allocated__lt=F("credit")).order_by()
            .values_list("id", "customer_id", "number", "issue_date", "title", "credit",
                         "allocated")):
        earlier[customer_id].append(
            _Transfer(pk, customer_id, number, issue_date, title, credit, allocated))
    arriving = defaultdict(list)
    for transfer in transfers:
        if transfer.customer_id in receivables:
            arriving[transfer.customer_id].append(transfer)
    today, tenant_id = timezone.localdate(), current_tenant().pk
    made = []
    for customer_id, documents in arriving.items():
        owed = receivables[customer_id]
        # allocate_open after the first transfer goes through the open payments by date;
        # after it, either nothing is owed any more or every payment it saw is used up,
        # so each later run has only its own new transfer to settle.
        first = sorted([*earlier[customer_id], documents[0]], key=lambda p: (p.issue_date, p.pk))
        for payment in [*first, *documents[1:]]:
            for receivable_id, amount, rule in _allocate_one(payment, owed, open_amounts,
                                                             today, titles):
                made.append((tenant_id, payment.pk, receivable_id, amount, rule, now,
                             staff_id))
    for start in range(0, len(made), CHUNK):
        _copy(Allocation, _ALLOCATION_COLUMNS, made[start:start + CHUNK])


def _allocate_one(payment: _Transfer, receivables: list[_Receivable], open_amounts: dict,
                  today, titles: Recogniser):
    """One payment's turn of ``allocate_open``: what is left of it settles the open
    receivables in the order of art. 451 (``allocation.payment_shares``, as there);
    yields (receivable id, amount, rule)."""
    left = payment.credit - payment.allocated
    if left <= 0:
        return
    for receivable, amount, rule in payment_shares(
            left=left, receivables=receivables, open_amounts=open_amounts,
            title=payment.title, recogniser=lambda: titles, today=today):
        open_amounts[receivable.pk] -= amount
        payment.allocated += amount
        yield receivable.pk, amount, rule


def _transfer(actor, row: BankLine) -> FinanceDocument:
    return ledger.bank_transfer_record(
        actor=actor, customer=row.customer, amount=row.amount, booking_date=row.booking_date,
        title=row.title[:500], bank_reference=row.bank_reference or row.line_identity[:40],
        bank_account=row.account, counterparty_account=row.counterparty_account, nested=True)


def bank_line_assign(*, actor, line: BankLine, customer: Customer) -> BankLine:
    """Book an unidentified line to ``customer`` by hand; the payer's account is then
    remembered as the customer's own, so the next transfer from it is recognised.
    Locks the line, then the customer's account (in ``bank_transfer_record``)."""
    with transaction.atomic(durable=True):
        line = BankLine.objects.select_for_update().get(pk=line.pk)
        if line.status != BankLine.Status.UNIDENTIFIED:
            raise ValidationError(_("This line is not waiting for a customer."))
        line.customer, line.rule, line.status = customer, "manual", BankLine.Status.BOOKED
        line.document = _transfer(actor, line)
        line.save(update_fields=["customer", "rule", "status", "document"])
        account = line.counterparty_account
        if account and not BankAccount.objects.filter(
                customer=customer, iban__in=[account, "PL" + account]).exists():
            try:
                with transaction.atomic():
                    bank_account_add(actor=actor, customer=customer, iban=account,
                                     description=_("learnt from a transfer"))
            except ValidationError:
                pass  # not a valid IBAN (e.g. a foreign format): nothing to learn
        action_log(actor=actor, customer=customer, kind="finance.bank_assign",
                   message=N_("Bank line of %(d)s (%(a)s) assigned by hand"), params={
                       "d": line.booking_date, "a": money(line.amount)})
    return line
