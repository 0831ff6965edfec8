"""Billing benchmark: the billing run for 100,000 subscriptions (``make bench``).

Uses the database of ``bench/run.py`` (``BENCH_DB``, default ``abonent_bench``, seeded by
it when missing) and its helpers. Billing data of the bench ISP from an earlier run
(tariffs, subscriptions, billed invoices, billing runs) is removed first and the cached
balances are recomputed from what is left of the ledger.

1. 100,000 subscriptions on the first 100,000 customers: one monthly tariff billed in
   advance, 10 % of them starting mid-month (pro-rata lines), 1 % with a suspension in
   the month, and 0.5 % of the customers with an overpayment (credit) recorded through
   ``services.bank_transfer_record``, which the run must allocate.
2. ``finance.billing.billing_run`` for the month is timed end to end (what the beat task
   and the button run): invoices, lines, billing items, balances, action log, allocation.
3. The lower bound: PostgreSQL ``COPY`` of 100,000 invoice-sized rows into a temporary
   table.

    scripts/with-postgres.sh .venv/bin/python bench/billing.py [--subscriptions N]
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path
                             if Path(p or ".").resolve() != ROOT / "bench"]

from bench import run as base  # noqa: E402

SECTION_START = "<!-- bench:billing:start -->"
SECTION_END = "<!-- bench:billing:end -->"
TARGET_PER_S = 2000
RUN_DATE = date(2026, 1, 17)
TARIFF_NAME = "Światłowód 600 (bench)"


def bench_context(subscriptions: int) -> dict:
    from core.models import Tenant, User
    from customers.models import Customer

    main = Tenant.objects.filter(slug=base.MAIN_SLUG).first()
    if main is None or Customer.all_tenants.filter(tenant=main).count() < subscriptions:
        return base.seed(max(100_000, subscriptions), 3_000)
    return {"tenant": main, "staff": User.objects.get(username="bench"), "seeding_s": None}


def clear_billing(tenant) -> None:
    """Everything an earlier billing bench wrote for the bench ISP, and nothing else."""
    from django.db import connection

    t = tenant.pk
    statements = [
        "CREATE TEMP TABLE billed ON COMMIT DROP AS SELECT DISTINCT invoice_id AS id "
        "FROM finance_billingitem WHERE tenant_id = %(t)s AND invoice_id IS NOT NULL",
        "DELETE FROM finance_allocation WHERE tenant_id = %(t)s AND (receivable_id IN "
        "(SELECT id FROM billed) OR payment_id IN (SELECT id FROM finance_financedocument "
        "WHERE tenant_id = %(t)s AND number LIKE 'BENCH-CREDIT-%%'))",
        "DELETE FROM finance_invoiceline WHERE document_id IN (SELECT id FROM billed)",
        "DELETE FROM finance_billingitem WHERE tenant_id = %(t)s",
        "DELETE FROM finance_financedocument WHERE id IN (SELECT id FROM billed) "
        "OR (tenant_id = %(t)s AND number LIKE 'BENCH-CREDIT-%%')",
        "DELETE FROM finance_suspension WHERE tenant_id = %(t)s",
        "DELETE FROM finance_subscription WHERE tenant_id = %(t)s",
        "DELETE FROM finance_tariff WHERE tenant_id = %(t)s",
        "DELETE FROM finance_billingrun WHERE tenant_id = %(t)s",
        "DELETE FROM core_actionlog WHERE tenant_id = %(t)s AND kind IN ('finance.invoice', "
        "'finance.billing_run', 'finance.tariff', 'finance.subscription', "
        "'finance.suspension', 'finance.bank_transfer')",
        "DELETE FROM core_numberseries WHERE tenant_id = %(t)s AND series = 'finance.invoice' "
        "AND NOT EXISTS (SELECT 1 FROM finance_financedocument d WHERE d.tenant_id = %(t)s "
        "AND d.kind = 'invoice')",
        "UPDATE finance_customeraccount a SET balance = coalesce((SELECT sum(credit - debit) "
        "FROM finance_financedocument d WHERE d.customer_id = a.customer_id), 0) "
        "WHERE a.tenant_id = %(t)s",
    ]
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, {"t": t})
        cursor.execute("ANALYZE")


def build_subscriptions(tenant, staff, count: int) -> dict:
    """The tariff and ``count`` subscriptions (bulk, untimed), a few with suspensions, and
    credit for 0.5 % of the customers (through the service, untimed)."""
    from customers.models import Customer
    from finance import billing, services
    from finance.models import Subscription, Suspension

    tariff = billing.tariff_create(actor=staff, name=TARIFF_NAME, net_price=Decimal("64.23"),
                                   vat_rate="23", download_kbps=600_000, upload_kbps=100_000)
    ids = list(Customer.objects.order_by("number").values_list("pk", flat=True)[:count])
    month_start = RUN_DATE.replace(day=1)
    subs = [Subscription(tenant=tenant, customer_id=pk, tariff=tariff,
                         start_date=month_start + timedelta(days=i % 16) if i % 10 == 0
                         else date(2025, 12, 1) if i % 10 == 1 else month_start,
                         billed_until=date(2025, 12, 31) if i % 10 == 1 else None,
                         cycles_billed=1 if i % 10 == 1 else 0)
            for i, pk in enumerate(ids)]
    Subscription.objects.bulk_create(subs, batch_size=5000)
    Suspension.objects.bulk_create([
        Suspension(tenant=tenant, subscription=s, date_from=month_start + timedelta(days=20),
                   date_to=month_start + timedelta(days=27), reason="bench")
        for s in subs[5::100]], batch_size=5000)
    credited = ids[7::200]
    for pk in credited:
        services.bank_transfer_record(actor=staff, customer=Customer.objects.get(pk=pk),
                                      amount=Decimal("100.00"), booking_date=month_start,
                                      title="nadpłata", bank_reference=f"BENCH-CREDIT-{pk}")
    return {"subscriptions": len(subs), "credited": len(credited)}


def measure_run(staff, profile: bool) -> dict:
    from finance import billing

    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    run = billing.billing_run(run_date=RUN_DATE, actor=staff)
    if profiler:
        profiler.disable()
    wall_s = time.perf_counter() - started
    top = ""
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        top = out.getvalue()
    return {"wall_s": wall_s, "invoices": run.invoices, "lines": run.lines,
            "gross": run.gross_total, "status": run.status, "profile": top}


def verify(tenant, result) -> dict:
    """The run's own claims, checked against the tables."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # 400,000 new rows: fresh statistics for the checks
        # Every billing item of the bench ISP is this run's (cleared before it).
        cursor.execute("SELECT count(*), count(DISTINCT d.number), coalesce(sum(d.debit), 0) "
                       "FROM finance_financedocument d JOIN (SELECT DISTINCT invoice_id "
                       "FROM finance_billingitem WHERE tenant_id = %s) b "
                       "ON b.invoice_id = d.id", [tenant.pk])
        invoices, distinct, gross = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM finance_customeraccount a WHERE a.tenant_id = %s AND "
            "a.balance <> coalesce((SELECT sum(credit - debit) FROM finance_financedocument d "
            "WHERE d.customer_id = a.customer_id), 0)", [tenant.pk])
        drift = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM finance_allocation WHERE tenant_id = %s",
                       [tenant.pk])
        allocations = cursor.fetchone()[0]
    problems = []
    if invoices != result["invoices"] or distinct != invoices:
        problems.append(f"{invoices} invoices in the table, {distinct} distinct numbers, "
                        f"the run says {result['invoices']}")
    if gross != result["gross"]:
        problems.append(f"gross {gross} in the table, the run says {result['gross']}")
    if drift:
        problems.append(f"{drift} cached balances differ from the ledger")
    if problems:
        raise SystemExit("billing bench: " + "; ".join(problems))
    return {"allocations": allocations}


def measure_copy(rows: int) -> float:
    """COPY of ``rows`` invoice-sized rows into a temporary table: the lower bound."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_invoice_copy (tenant_id bigint, customer_id bigint, "
            "kind varchar(20), number varchar(60), issue_date date, due_date date, "
            "debit numeric(14,2), credit numeric(14,2), title varchar(500)) ON COMMIT DROP")
        data = [(1, i, "invoice", f"FV/2026/01/{i}", RUN_DATE, RUN_DATE + timedelta(days=14),
                 Decimal("79.00"), Decimal("0.00"), "") for i in range(1, rows + 1)]
        started = time.perf_counter()
        with cursor.cursor.copy("COPY bench_invoice_copy FROM STDIN") as copy:
            for row in data:
                copy.write_row(row)
        return time.perf_counter() - started


def render_markdown(args, ctx, built, result, checks, copy_s, info) -> str:
    per_s = result["invoices"] / result["wall_s"]
    copy_per_s = args.subscriptions / copy_s
    met = "met" if per_s >= TARGET_PER_S else \
        f"MISSED by {TARGET_PER_S - per_s:,.0f} invoices/s ({per_s / TARGET_PER_S:.0%} of it)"
    return "\n".join([
        "## Billing run (bench/billing.py)",
        "",
        "Command: `make bench` (after bench/run.py: `scripts/with-postgres.sh "
        f".venv/bin/python bench/billing.py --subscriptions {args.subscriptions}`), database "
        f"`{base.BENCH_DB}`.",
        "",
        f"{built['subscriptions']:,} subscriptions of one monthly tariff (in advance) on "
        f"{built['subscriptions']:,} customers; 10 % start mid-month (pro-rata), 1 % have a "
        f"suspension in the month, 10 % were billed up to the previous month, and "
        f"{built['credited']} customers have an overpayment the run allocates. Timed: "
        f"`finance.billing.billing_run(run_date={RUN_DATE.isoformat()})` end to end "
        f"(chunks of {ctx['chunk']:,} customers per transaction: account locks, number "
        "block, COPY of invoices, lines and billing items, one balance update per "
        "distinct amount, "
        "one action-log entry per invoice, allocation of credit).",
        "",
        "| measurement | rows | wall s | rows/s |",
        "|---|---:|---:|---:|",
        f"| billing run: invoices issued | {result['invoices']:,} | {result['wall_s']:.1f} | "
        f"**{per_s:,.0f}** |",
        f"| lower bound: `COPY` of invoice-sized rows into a temp table | "
        f"{args.subscriptions:,} | {copy_s:.2f} | {copy_per_s:,.0f} |",
        "",
        f"Target ≥ {TARGET_PER_S:,} invoices/s: {met}. {result['lines']:,} lines, "
        f"{result['gross']} PLN gross, {checks['allocations']} allocations of credit; "
        "invoice numbers distinct and cached balances equal to the ledger (checked after "
        "the run).",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['ram_gb']} GB RAM; "
        f"PostgreSQL {info['postgresql']}; Python {info['python']}; {info['date']}; "
        f"load average {info['load']} at the start (the cores are shared).",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true",
                        help="run under cProfile and print the top functions")
    args = parser.parse_args()
    base.LOAD_AT_START = " / ".join(f"{x:.1f}" for x in os.getloadavg())

    url = base.bench_database_url()
    base.ensure_database(url)
    base.setup_django(url)
    from core.tenancy import tenant_context
    from finance import billing

    ctx = bench_context(args.subscriptions)
    ctx["chunk"] = billing.CHUNK
    clear_billing(ctx["tenant"])
    with tenant_context(ctx["tenant"]):
        print(f"building {args.subscriptions:,} subscriptions…")
        built = build_subscriptions(ctx["tenant"], ctx["staff"], args.subscriptions)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        base.as_app_role()
        print("billing run…")
        result = measure_run(ctx["staff"], args.profile)
        checks = verify(ctx["tenant"], result)
    copy_s = measure_copy(args.subscriptions)
    per_s = round(result["invoices"] / result["wall_s"], 1)
    if result["profile"]:
        print(result["profile"])
    figures = {"billing_invoices_per_s": per_s}
    base.write_results(figures, render_markdown(args, ctx, built, result, checks, copy_s,
                                                base.machine()),
                       start=SECTION_START, end=SECTION_END)
    print({**figures, "wall_s": round(result["wall_s"], 1), "invoices": result["invoices"],
           "copy_rows_per_s_billing": round(args.subscriptions / copy_s)})


if __name__ == "__main__":
    main()
