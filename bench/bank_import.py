"""Bank import benchmark: a 100,000-line MT940 statement against 100,000 customers.

Uses the database of ``bench/run.py`` (``abonent_bench``, or ``BENCH_DB``; seeded by it
when missing) and its helpers. Bank data of an earlier run (imports, lines, transfers,
allocations and the bench's own invoices) is removed first and the cached balances are
recomputed from the ledger.

1. Most customers get one or two open invoices (written by COPY: the import only reads
   the documents' numbers, amounts and due dates).
2. A statement of ``--lines`` lines in mBank's Collect layout is generated: most lines pay
   a customer's individual account (26 digits, some as the bank's short id), some name
   an invoice number or the customer number in the title, some come from unknown payers,
   a few are outgoing.
3. The real ``bank_statement_import`` is timed (parse, identify, book, settle, commit),
   then the same file again (all duplicates), and a plain PostgreSQL COPY of as many rows
   of the same shape into a temporary table — the lower bound.

    scripts/with-postgres.sh .venv/bin/python bench/bank_import.py [--lines N] [--profile]
"""

import argparse
import cProfile
import io
import os
import pstats
import random
import sys
import time
import warnings
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path
                             if Path(p or ".").resolve() != ROOT / "bench"]

from bench import run as base  # noqa: E402

SECTION_START = "<!-- bench:bank:start -->"
SECTION_END = "<!-- bench:bank:end -->"
TARGET_LINES_PER_S = 5000
STATEMENT_ACCOUNT = "29114010810000267002001002"
INVOICE_PREFIX = "FB"  # matches the invoice number pattern of the title rule
BOOKING_DAY = date(2026, 3, 2)


def clear_bank_data(tenant) -> None:
    """Remove what an earlier run wrote, and put the cached balances back in step."""
    from django.db import connection

    with connection.cursor() as cursor:
        bench_docs = ("SELECT id FROM finance_financedocument WHERE tenant_id = %(t)s AND "
                      "(kind = 'bank_transfer' OR number LIKE %(p)s)")
        params = {"t": tenant.pk, "p": f"{INVOICE_PREFIX}/%"}
        # One join per side: an OR of two IN (subquery) runs as a nested loop over the
        # whole ledger once the bench has been run a few times.
        for side in ("payment_id", "receivable_id"):
            cursor.execute(
                f"DELETE FROM finance_allocation a USING finance_financedocument d "
                f"WHERE a.{side} = d.id AND d.tenant_id = %(t)s "
                f"AND (d.kind = 'bank_transfer' OR d.number LIKE %(p)s)", params)
        cursor.execute("DELETE FROM finance_bankline WHERE tenant_id = %(t)s", params)
        cursor.execute("DELETE FROM finance_bankimport WHERE tenant_id = %(t)s", params)
        cursor.execute(f"DELETE FROM finance_financedocument WHERE id IN ({bench_docs})", params)
        cursor.execute("DELETE FROM core_actionlog WHERE tenant_id = %(t)s AND kind IN "
                       "('finance.bank_transfer', 'finance.bank_import')", params)
        cursor.execute(
            "UPDATE finance_customeraccount a SET balance = coalesce(("
            "SELECT sum(credit) - sum(debit) FROM finance_financedocument d "
            "WHERE d.customer_id = a.customer_id), 0) WHERE a.tenant_id = %(t)s", params)
        # What autovacuum would do after a mass delete, so every run starts from the same
        # tables, not from indexes full of the dead rows of the runs before.
        cursor.execute("VACUUM (ANALYZE) finance_allocation, finance_bankline, "
                       "finance_bankimport, finance_financedocument, finance_customeraccount, "
                       "core_actionlog")


def seed_invoices(tenant, customers, rng) -> int:
    """One or two open invoices for 80 % of the customers, by COPY."""
    from django.db import connection
    from django.utils import timezone

    today = timezone.localdate()
    rows, number = [], 0
    for pk, _va, _no in customers:
        if rng.random() >= 0.8:
            continue
        for months_ago in (2, 1)[: rng.choice((1, 2))]:
            number += 1
            issued = today - timedelta(days=30 * months_ago)
            amount = Decimal(rng.choice((49, 59, 69, 79, 99, 119))) + Decimal("0.99")
            rows.append((tenant.pk, pk, "invoice", f"{INVOICE_PREFIX}/2026/{number}", issued,
                         issued + timedelta(days=14), amount, Decimal(0), "Internet", "", "",
                         "", "", timezone.now()))
    columns = ("tenant_id, customer_id, kind, number, issue_date, due_date, debit, credit, "
               "title, reason, bank_reference, bank_account, counterparty_account, created_at")
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY finance_financedocument ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            "INSERT INTO finance_customeraccount (tenant_id, customer_id, balance) "
            "SELECT %s, c.id, 0 FROM customers_customer c WHERE c.tenant_id = %s "
            "ON CONFLICT (customer_id) DO NOTHING", [tenant.pk, tenant.pk])
        cursor.execute(
            "UPDATE finance_customeraccount a SET balance = coalesce(("
            "SELECT sum(credit) - sum(debit) FROM finance_financedocument d "
            "WHERE d.customer_id = a.customer_id), 0) WHERE a.tenant_id = %s", [tenant.pk])
        cursor.execute("ANALYZE finance_financedocument")
        cursor.execute("ANALYZE finance_customeraccount")
    return len(rows)


def amount_text(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def statement(customers, invoices, lines: int, rng) -> tuple[bytes, dict]:
    """An MT940 file in mBank's Collect layout, and how many lines of each kind it has."""
    mix = {"virtual_account": 0, "short_id": 0, "invoice_number": 0, "customer_number": 0,
           "unknown": 0, "outgoing": 0}
    body, total = [], Decimal(0)
    for i in range(1, lines + 1):
        roll = rng.random()
        pk, virtual, number = rng.choice(customers)
        amount = Decimal(rng.randint(2000, 30000)) / 100
        ident, title, payer = "", "ABONAMENT INTERNET", "JAN KOWALSKI"
        if roll < 0.80:
            kind, ident = "virtual_account", virtual
        elif roll < 0.85:
            kind, ident = "short_id", "XX" + virtual[-16:]
        elif roll < 0.92 and invoices:
            kind = "invoice_number"
            title = f"ZAPLATA ZA {rng.choice(invoices)}"
        elif roll < 0.95:
            kind = "customer_number"
            title = f"NR KLIENTA {number} ABONAMENT"
        elif roll < 0.99:
            kind, payer, title = "unknown", f"NIEZNANY PLATNIK {i}", "PRZELEW"
        else:
            kind, amount = "outgoing", -amount
        mix[kind] += 1
        total += amount
        side = "C" if amount > 0 else "D"
        reference = f"MB{BOOKING_DAY:%y%m%d}{i:08d}"
        body.append(
            f":61:{BOOKING_DAY:%y%m%d}{BOOKING_DAY:%m%d}{side}N{amount_text(abs(amount))}"
            f"NTRFNONREF//{reference}\n911-TRANSAKCJA IPH\n"
            f":86:911 TRANSAKCJA COLLECT; ID IPH: {ident}; Z RACH.: \n"
            f"{rng.randint(10**25, 10**26 - 1)}; OD: {payer}  \n"
            f"UL. NIJAKA {i % 200 + 1} 31-234 KRAKOW; TYT.: {title}   ; \n"
            f"TNR: {179171073864111 + i}.010001\n")
    opening = Decimal("1000.00")
    closing = opening + total
    head = (f":20:ST{BOOKING_DAY:%y%m%d}BENCH/1\n:25:PL{STATEMENT_ACCOUNT}\n:28C:1/1\n"
            f":60F:C{BOOKING_DAY:%y%m%d}PLN{amount_text(opening)}\n")
    tail = (f":62F:{'C' if closing >= 0 else 'D'}{BOOKING_DAY:%y%m%d}PLN"
            f"{amount_text(abs(closing))}\n-\n")
    return (head + "".join(body) + tail).encode("ascii"), mix


def copy_lower_bound(rows: int) -> float:
    """COPY of as many rows shaped like a statement line into a temporary table."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_copy (LIKE finance_bankline INCLUDING DEFAULTS "
            "INCLUDING IDENTITY) ON COMMIT DROP")
        data = [(1, 1, STATEMENT_ACCOUNT, f"{i:064x}", f"MB{i:012d}", BOOKING_DAY,
                 Decimal("59.99"), "ABONAMENT INTERNET", "JAN KOWALSKI", "", "", "booked",
                 "virtual_account", "", None, None) for i in range(rows)]
        columns = ("tenant_id, bank_import_id, account, line_identity, bank_reference, "
                   "booking_date, amount, title, counterparty_name, counterparty_account, "
                   "virtual_account, status, rule, rule_match, customer_id, document_id")
        started = time.perf_counter()
        with cursor.cursor.copy(f"COPY bench_copy ({columns}) FROM STDIN") as copy:
            for row in data:
                copy.write_row(row)
        return time.perf_counter() - started


PHASE_NAMES = {
    "start→identify": "parse the file, find the lines already imported (one query)",
    "identify→book": "identify the payers (one query per rule)",
    "book→settle": "write transfers and lines (COPY)",
    "settle→done": "lock and update balances, settle invoices (allocations by COPY)",
    "done→committed": "commit (PostgreSQL checks the deferred foreign keys here)",
}


def render(args, figures, mix, invoices, info, phases) -> str:
    met = figures["bank_import_lines_per_s"] >= TARGET_LINES_PER_S
    lines = [
        "## Bank import: a 100,000-line MT940 statement (bench/bank_import.py)",
        "",
        f"Command: `scripts/with-postgres.sh .venv/bin/python bench/bank_import.py --lines "
        f"{args.lines}`, database `{base.BENCH_DB}`.",
        "",
        f"{figures['bank_bench_customers']:,} customers of one ISP; {invoices:,} open invoices "
        "(80 % of the customers have one or two). The statement (mBank Collect layout, "
        f"{args.lines:,} lines): " + ", ".join(f"{v:,} {k.replace('_', ' ')}"
                                             for k, v in mix.items()) + ".",
        "The import is timed end to end through `bank_statement_import`: parsing, "
        "identification, bank transfers, lines, balances, settlement of the oldest invoices, "
        "action log, commit.",
        "",
        "| measurement | wall s | rows/s |",
        "|---|---:|---:|",
        f"| `bank_statement_import`, new statement | {figures['bank_import_s']} | "
        f"{figures['bank_import_lines_per_s']:,} |",
        f"| of which parsing the file | {figures['bank_parse_s']} | "
        f"{figures['bank_parse_lines_per_s']:,} |",
        f"| the same file again (all duplicates) | {figures['bank_reimport_s']} | "
        f"{figures['bank_reimport_lines_per_s']:,} |",
        f"| plain `COPY` of as many rows into a temp table (lower bound) | "
        f"{figures['bank_copy_s']} | {figures['bank_copy_rows_per_s']:,} |",
        "",
        "Where the time of the new statement goes:",
        "",
        "| phase | s |",
        "|---|---:|",
        *[f"| {PHASE_NAMES.get(name, name)} | {value} |" for name, value in phases.items()],
        "",
        f"Result: {figures['bank_booked']:,} transfers booked, "
        f"{figures['bank_unidentified']:,} unidentified, {figures['bank_allocations']:,} "
        "allocations.",
        f"Target: import ≥ {TARGET_LINES_PER_S:,} lines/s — "
        f"{figures['bank_import_lines_per_s']:,} ({'met' if met else 'MISSED'}).",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['ram_gb']} GB RAM; "
        f"PostgreSQL {info['postgresql']}; Python {info['python']}; {info['date']}; "
        f"load average {info['load']} at the start (other work on the machine skews "
        "the figures upwards).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true",
                        help="print the top of a cProfile of the import")
    parser.add_argument("--no-write", action="store_true",
                        help="print the figures only; leave RESULTS.md and results.json alone")
    args = parser.parse_args()
    base.LOAD_AT_START = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    warnings.filterwarnings("ignore", message="No directory at")

    url = base.bench_database_url()
    base.ensure_database(url)
    base.setup_django(url)
    from core.models import Tenant
    from core.tenancy import tenant_context
    from customers.models import Customer
    from finance.bank.importer import bank_statement_import
    from finance.bank.parsers import parse_statement
    from finance.models import Allocation, FinanceDocument

    main_tenant = Tenant.objects.filter(slug=base.MAIN_SLUG).first()
    ctx = base.seed(100_000, 3_000) if main_tenant is None else None
    main_tenant = Tenant.objects.get(slug=base.MAIN_SLUG)
    from core.models import User

    staff = ctx["staff"] if ctx else User.objects.get(username="bench")
    rng = random.Random(451)
    with tenant_context(main_tenant):
        clear_bank_data(main_tenant)
        customers = list(Customer.objects.exclude(virtual_account="")
                         .values_list("id", "virtual_account", "number"))
        invoices = seed_invoices(main_tenant, customers, rng)
        numbers = list(FinanceDocument.objects.filter(number__startswith=INVOICE_PREFIX)
                       .values_list("number", flat=True)[:50_000])
        data, mix = statement(customers, numbers, args.lines, rng)
        print(f"{len(customers):,} customers, {invoices:,} invoices, statement "
              f"{len(data) / 1e6:.1f} MB: {mix}")

        base.as_app_role()
        started = time.perf_counter()
        parse_statement(data)
        parse_s = time.perf_counter() - started

        profiler = cProfile.Profile() if args.profile else None
        stages = {}

        def progress(stage, done, total):
            stages.setdefault(stage, time.perf_counter())

        started = time.perf_counter()
        if profiler:
            profiler.enable()
        batch = bank_statement_import(actor=staff, data=data, file_name="bench.sta",
                                      progress=progress)
        if profiler:
            profiler.disable()
        import_s = time.perf_counter() - started
        marks = [("start", started), *sorted(stages.items(), key=lambda kv: kv[1]),
                 ("committed", started + import_s)]
        phases = {f"{a}→{b}": round(tb - ta, 2)
                  for (a, ta), (b, tb) in zip(marks, marks[1:], strict=False)}
        print("phases (s):", phases)
        print(f"import: {import_s:.1f} s ({batch.lines_new} new, "
              f"{batch.lines_unidentified} unidentified)")
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
            print(out.getvalue())

        started = time.perf_counter()
        again = bank_statement_import(actor=staff, data=data, file_name="bench.sta")
        reimport_s = time.perf_counter() - started
        assert again.lines_new == 0 and again.lines_duplicate == args.lines
        booked = batch.lines.filter(status="booked").count()
        allocations = Allocation.objects.filter(payment__kind="bank_transfer").count()
        copy_s = copy_lower_bound(args.lines)

    figures = {
        "bank_import_lines_per_s": round(args.lines / import_s),
        "bank_import_s": round(import_s, 2),
        "bank_parse_s": round(parse_s, 2),
        "bank_parse_lines_per_s": round(args.lines / parse_s),
        "bank_reimport_s": round(reimport_s, 2),
        "bank_reimport_lines_per_s": round(args.lines / reimport_s),
        "bank_booked": booked,
        "bank_unidentified": batch.lines_unidentified,
        "bank_allocations": allocations,
        "bank_bench_customers": len(customers),
        "bank_copy_s": round(copy_s, 3),
        "bank_copy_rows_per_s": round(args.lines / copy_s),
        "copy_rows_per_s": round(args.lines / copy_s),
    }
    figures_phases = phases
    if args.no_write:
        print(figures)
        return
    base.write_results(figures, render(args, figures, mix, invoices, base.machine(),
                                       figures_phases),
                       start=SECTION_START, end=SECTION_END)
    print(figures)


if __name__ == "__main__":
    main()
