"""The one search box (core.search) at 100,000 customers: a customer found by a RADIUS login,
an IP address, a MAC address or an invoice number, timed through the staff list page
``GET customers:list?q=…`` (all providers asked, the reasons rendered).

Uses the database of ``bench/run.py`` (``abonent_bench``, or ``BENCH_DB``; seeded by it when
missing) and the logins of ``bench/radius.py`` (one per customer, written when missing); adds
one invoice per customer (``FV/2026/MM/N``, by COPY) and a MAC address to every login when
missing. Figures go to ``bench/results.json`` (``search_*`` keys) and to this benchmark's
section of ``bench/RESULTS.md``.

    scripts/with-postgres.sh .venv/bin/python bench/search.py [--samples N] [--no-write]
"""

import argparse
import json
import os
import random
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path
                             if Path(p or ".").resolve() != ROOT / "bench"]

from bench import radius as radius_bench  # noqa: E402
from bench import run as base  # noqa: E402

SECTION_START = "<!-- bench:search:start -->"
SECTION_END = "<!-- bench:search:end -->"
TARGET_P95_MS = 50


def ensure_invoices(tenant) -> int:
    """One invoice per customer with a login, numbered as the default pattern numbers them
    (so "FV/2026/03/1" is a prefix of "FV/2026/03/10", "…/100"...)."""
    from datetime import date
    from decimal import Decimal

    from django.db import connection

    from finance.models import FinanceDocument, Kind
    from radius.models import Login

    have = FinanceDocument.objects.filter(kind=Kind.INVOICE, number__startswith="FV/2026/").count()
    customers = list(Login.objects.order_by("id").values_list("customer_id", flat=True))
    if have >= len(customers):
        return have
    print(f"writing {len(customers):,} invoices…")
    FinanceDocument.objects.filter(kind=Kind.INVOICE, number__startswith="FV/2026/").delete()
    rows = []
    for n, customer_id in enumerate(customers):
        month = n % 12 + 1
        rows.append(FinanceDocument(
            tenant_id=tenant.pk, customer_id=customer_id, kind=Kind.INVOICE,
            number=f"FV/2026/{month:02d}/{n // 12 + 1}", issue_date=date(2026, month, 1),
            debit=Decimal("73.80"), title="Internet"))
    FinanceDocument.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE finance_financedocument")
    return len(rows)


def ensure_macs() -> None:
    """A MAC address on every login (``02:00:…`` + its id: locally administered)."""
    from django.db import connection

    from radius.models import Login

    if not Login.objects.filter(mac="").exists():
        return
    print("writing MAC addresses…")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE radius_login SET mac = upper(regexp_replace("
            "'0200' || lpad(to_hex(id), 8, '0'), '(..)(?!$)', '\\1:', 'g')) WHERE mac = ''")
        cursor.execute("VACUUM ANALYZE radius_login")


def queries(tenant, samples: int, rng: random.Random) -> dict[str, list[str]]:
    from finance.models import FinanceDocument, Kind
    from radius.models import Login

    logins = list(Login.objects.order_by("?").values_list("login", "ip", "mac")[:samples])
    numbers = list(FinanceDocument.objects.filter(kind=Kind.INVOICE).order_by("?")
                   .values_list("number", flat=True)[:samples])
    return {
        "login": [login for login, _ip, _mac in logins],
        "login_prefix": [login[:rng.choice((6, 7, 8))] for login, _ip, _mac in logins],
        "ip": [ip for _login, ip, _mac in logins],
        "mac": [mac.replace(":", "-").lower() for _login, _ip, mac in logins],
        "invoice": numbers,
    }


LABELS = {
    "login": "RADIUS login, whole (“bench001234”)",
    "login_prefix": "RADIUS login, its start (6-8 characters)",
    "ip": "IP address (“10.64.4.210”)",
    "mac": "MAC address as “02-00-00-00-12-34”",
    "invoice": "invoice number (“FV/2026/03/1234”)",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--no-write", action="store_true",
                        help="print the figures only; leave RESULTS.md and results.json alone")
    args = parser.parse_args()
    base.LOAD_AT_START = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    warnings.filterwarnings("ignore", message="No directory at")
    url = base.bench_database_url()
    base.ensure_database(url)
    base.setup_django(url)
    from django.test import Client

    from core.models import Tenant
    from core.tenancy import tenant_context

    if Tenant.objects.filter(slug=base.MAIN_SLUG).first() is None:
        base.seed(100_000, 3_000)
    tenant = Tenant.objects.get(slug=base.MAIN_SLUG)
    with tenant_context(tenant):
        radius_bench.ensure_logins(tenant)
        ensure_macs()
        invoices = ensure_invoices(tenant)
        terms = queries(tenant, args.samples, random.Random(13))
    base.as_app_role()
    client = Client()
    client.force_login(radius_bench.base_staff())
    list_url = base.url_or_none("customers:list")

    def page(q):
        return base.time_page(client, f"{list_url}?{urlencode({'q': q})}")

    results = {}
    for kind, values in terms.items():
        # Each query must find its customer, with the reason shown.
        response = client.get(f"{list_url}?{urlencode({'q': values[0]})}")
        assert "search-reason" in response.content.decode(), (kind, values[0])
        for q in values[:20]:  # warm-up
            page(q)
        results[kind] = base.summary([page(q) for q in values])
    figures = {f"search_{kind}_p95_ms": r["p95"] for kind, r in results.items()}
    figures.update({f"search_{kind}_p50_ms": r["p50"] for kind, r in results.items()})
    figures["search_p95_ms"] = max(r["p95"] for r in results.values())
    info = base.machine()
    rows = "\n".join(f"| {LABELS[kind]} | {r['p50']} | {r['p95']} | {r['max']} |"
                     for kind, r in results.items())
    worst = figures["search_p95_ms"]
    verdict = "met" if worst < TARGET_P95_MS else "NOT met"
    where = (f'{info["cpu"]}, {info["cores"]} cores; PostgreSQL {info["postgresql"]}; '
             f'Python {info["python"]}; {info["date"]}; load average {info["load"]} '
             "at the start")
    markdown = f"""
## One search: login, IP, MAC, invoice number (bench/search.py)

Command: `scripts/with-postgres.sh .venv/bin/python bench/search.py --samples {args.samples}`,
database `{base.BENCH_DB}`: the customers of bench/run.py, one login per customer with an IP
and a MAC address (bench/radius.py), {invoices:,} invoices. Timed through the staff list page
`GET customers:list?q=…` — every provider of `core.search` asked (customers, radius,
finance, documents), the reasons rendered; warm caches, {args.samples} samples per kind.

| query | p50 ms | p95 ms | max ms |
|---|---:|---:|---:|
{rows}

Target: p95 < {TARGET_P95_MS} ms — worst kind {worst} ms ({verdict}).

Machine: {where}.
"""
    print(json.dumps(figures, indent=2))
    if not args.no_write:
        base.write_results(figures, markdown, start=SECTION_START, end=SECTION_END)


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"done in {time.perf_counter() - started:.0f} s")
