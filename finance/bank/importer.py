"""Importing a bank statement into the ledger (services of the bank import).

Parsing comes first and writes nothing: a malformed file is refused with its line and
reason. The import then runs in one transaction that holds an advisory lock on the
statement's account, so two imports of one file (or of overlapping statements) cannot
interleave; the unique (account, line identity) constraint backs that up. Lines already
imported are counted as duplicates, never booked twice.
"""

import re
import zlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from core.actionlog import action_log, staff_of
from core.tenancy import current_tenant
from customers.models import BankAccount, Customer
from customers.services import bank_account_add

from .. import services as ledger
from ..models import BankImport, BankLine, FinanceDocument
from .parsers import StatementLine, StatementParseError, parse_statement

CUSTOMER_NUMBER = re.compile(r"(?:NR\.?\s*KLIENTA|KLIENT|KL\.|ID\s*KLIENTA)\s*[:#]?\s*(\d{1,12})",
                             re.IGNORECASE)
DOCUMENT_NUMBER = re.compile(r"[A-Z]{1,5}/\d{2,4}(?:/\d{1,2}){0,2}/\d{1,9}", re.IGNORECASE)


@dataclass(frozen=True)
class Identification:
    customer: Customer | None
    rule: str  # virtual_account, own_account, customer_number, document_number, name, ""


def identify(line: StatementLine) -> Identification:
    """Who paid, by the first rule that gives exactly one customer: the individual
    (virtual) account → a known own account of the customer → a customer or invoice number
    in the title → a unique name."""
    digits = re.sub(r"\D", "", line.virtual_account or "")
    if len(digits) == 26:
        found = list(Customer.objects.filter(virtual_account=digits)[:2])
        if len(found) == 1:
            return Identification(found[0], "virtual_account")
    elif digits:
        # A bank's short id of the virtual account (mBank's "ID IPH"): its digits end the NRB.
        found = list(Customer.objects.filter(virtual_account__endswith=digits[-16:])[:2])
        if len(found) == 1:
            return Identification(found[0], "virtual_account")
    if line.counterparty_account:
        account = line.counterparty_account
        candidates = {account, "PL" + account} if account.isdigit() else {account}
        owners = list(BankAccount.objects.filter(iban__in=candidates)
                      .values_list("customer", flat=True).distinct()[:2])
        if len(owners) == 1:
            return Identification(Customer.objects.get(pk=owners[0]), "own_account")
    title = line.title or ""
    match = CUSTOMER_NUMBER.search(title)
    if match:
        customer = Customer.objects.filter(number=int(match.group(1))).first()
        if customer is not None:
            return Identification(customer, "customer_number")
    numbers = [m.upper() for m in DOCUMENT_NUMBER.findall(title)]
    if numbers:
        owners = list(FinanceDocument.objects.filter(number__in=numbers, debit__gt=0)
                      .values_list("customer", flat=True).distinct()[:2])
        if len(owners) == 1:
            return Identification(Customer.objects.get(pk=owners[0]), "document_number")
    name = " ".join((line.counterparty_name or "").split())
    if name:
        words = name.split(" ")
        query = Q(company_name__iexact=name)
        if len(words) >= 2:
            query |= Q(first_name__iexact=words[0], last_name__iexact=" ".join(words[1:]))
            query |= Q(last_name__iexact=words[0], first_name__iexact=" ".join(words[1:]))
        found = list(Customer.objects.filter(query)[:2])
        if len(found) == 1:
            return Identification(found[0], "name")
    return Identification(None, "")


def _lock_statement_account(account: str) -> None:
    if connection.vendor == "postgresql":
        key = zlib.crc32(f"{current_tenant().pk}:{account}".encode())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [8405, key - 2**31])


def bank_statement_import(*, actor, data: bytes, file_name: str = "",
                          format: str | None = None, csv_profile=None) -> BankImport:
    """Parse, identify and book a statement; see the module docstring for the guarantees.

    Identified credits become bank transfers on the customer's ledger (which settle the
    oldest unpaid invoices); unidentified ones wait in the queue; debits are recorded only.
    """
    try:
        statement = parse_statement(data, format=format, csv_profile=csv_profile)
    except StatementParseError as e:
        raise ValidationError({"file": [str(e)]}) from None
    with transaction.atomic(durable=True):
        _lock_statement_account(statement.account)
        known = set(BankLine.objects.filter(
            account=statement.account,
            line_identity__in=[line.line_identity for line in statement.lines])
            .values_list("line_identity", flat=True))
        batch = BankImport.objects.create(
            file_name=file_name[:255], format=statement.format, account=statement.account,
            statement_id=statement.statement_id[:200], lines_total=len(statement.lines),
            imported_by=staff_of(actor))
        for line in statement.lines:
            if line.line_identity in known:
                batch.lines_duplicate += 1
                continue
            known.add(line.line_identity)
            batch.lines_new += 1
            _book_line(actor, batch, statement.account, line)
        batch.save(update_fields=["lines_new", "lines_duplicate", "lines_unidentified"])
        action_log(actor=actor, kind="finance.bank_import",
                   message=_("Statement %(s)s imported: %(n)s new, %(d)s already imported, "
                             "%(u)s unidentified") % {
                       "s": batch.statement_id or batch.file_name, "n": batch.lines_new,
                       "d": batch.lines_duplicate, "u": batch.lines_unidentified})
    return batch


def _book_line(actor, batch: BankImport, account: str, line: StatementLine) -> BankLine:
    row = BankLine(
        bank_import=batch, account=account, line_identity=line.line_identity,
        bank_reference=line.bank_reference[:100], booking_date=line.booking_date,
        amount=line.amount, title=line.title[:1000],
        counterparty_name=line.counterparty_name[:300],
        counterparty_account=line.counterparty_account[:34],
        virtual_account=line.virtual_account[:34])
    if line.amount <= 0:
        row.status = BankLine.Status.OUTGOING
        row.save()
        return row
    found = identify(line)
    if found.customer is None:
        row.status = BankLine.Status.UNIDENTIFIED
        batch.lines_unidentified += 1
        row.save()
        return row
    row.customer, row.rule, row.status = found.customer, found.rule, BankLine.Status.BOOKED
    row.document = _transfer(actor, row)
    row.save()
    return row


def _transfer(actor, row: BankLine) -> FinanceDocument:
    return ledger.bank_transfer_record(
        actor=actor, customer=row.customer, amount=row.amount, booking_date=row.booking_date,
        title=row.title, bank_reference=row.bank_reference or row.line_identity[:40],
        bank_account=row.account, counterparty_account=row.counterparty_account, nested=True)


def bank_line_assign(*, actor, line: BankLine, customer: Customer) -> BankLine:
    """Book an unidentified line to ``customer`` by hand; the payer's account is then
    remembered as the customer's own, so the next transfer from it is recognised."""
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
    return line
