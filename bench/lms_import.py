"""LMS import benchmark: 100,000 customers, 100,000 nodes, 2,400,000 documents (``make bench``).

The LMS database comes from ``bench/lms_generate.py`` (``lms_bench_<N>``; generated when
missing, reused when there). The Abonent side is its own database (``abonent_lms_bench``, or
``BENCH_LMS_DB``), made afresh and migrated for each run so the first import meets an
empty tenant. Then, as the application's database role (row-level security on), as the
Celery job runs it:

1. ``lmsimport.runner.import_run`` of the whole LMS into a new tenant — every stage there
   is in ``lmsimport/stages/`` and the reconciliation when ``lmsimport/reconcile.py`` is
   there (``lms_import_100k_s``, target < 15 min);
2. ``--change-percent`` (1) % of LMS's rows changed the way LMS's use changes them
   (``lms_generate.change``: names, phones, payments, a month's invoices, node IPs) and
   the import run again (``lms_reimport_100k_s``, target < 2 min).

Each stage is timed on its own; what is left (reconciliation, commit, the run's row) is
shown as such. ``--profile`` prints the functions taking the time (cProfile, cumulative)
of each run.

    scripts/with-postgres.sh .venv/bin/python bench/lms_import.py [--customers 100000]
        [--change-percent 1] [--profile] [--no-write]
"""

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path
                             if Path(p or ".").resolve() != ROOT / "bench"]

from bench import lms_generate  # noqa: E402
from bench import run as base  # noqa: E402

base.BENCH_DB = os.environ.get("BENCH_LMS_DB", "abonent_lms_bench")
SECTION_START = "<!-- bench:lms_import:start -->"
SECTION_END = "<!-- bench:lms_import:end -->"
TENANT_SLUG = "bench-lms"
TARGET_IMPORT_S, TARGET_REIMPORT_S = 15 * 60, 2 * 60


def fresh_database(url: str) -> None:
    """The Abonent bench database dropped and made again (migrated by setup_django)."""
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{base.BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{base.BENCH_DB}"')


def timed_stages(times: dict, only=None) -> list:
    """The import's stages (``only`` these names), each wrapped to record its seconds in
    ``times``."""
    from lmsimport.stages import STAGES

    def wrap(name, stage):
        def run(ctx):
            started = time.perf_counter()
            try:
                stage(ctx)
            finally:
                times[name] = round(time.perf_counter() - started, 2)
                print(f"  stage {name}: {times[name]} s", flush=True)
        return run

    return [(name, wrap(name, stage)) for name, stage in STAGES
            if only is None or name in only]


def one_run(tenant, dsn: str, *, profile: str | None, only=None) -> dict:
    from lmsimport.runner import _reconciliation, import_run

    times: dict = {}
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    run = import_run(tenant=tenant, dsn=dsn, stages=timed_stages(times, only))
    if profiler:
        profiler.disable()
    total = time.perf_counter() - started
    if profiler:
        profiler.dump_stats(profile)
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
    counts = {}
    for stage in run.report["stages"]:
        for kind, per_kind in stage["counts"].items():
            counts[kind] = {k: v for k, v in per_kind.items() if v}
    return {"total_s": round(total, 2), "stages_s": times,
            "rest_s": round(total - sum(times.values()), 2),
            "reconciliation": _reconciliation() is not None, "status": run.status,
            "problems": sum(len(s["problems"]) for s in run.report["stages"]),
            "counts": counts}


def render_markdown(args, first: dict, second: dict, change: dict, lms: dict,
                    info: dict, generated: dict | None) -> str:
    def verdict(seconds, target):
        return "meets" if seconds < target else "misses"

    stages = list(first["stages_s"])
    rows = [f"| {name} | {first['stages_s'][name]} | {second['stages_s'].get(name, '')} |"
            for name in stages]
    made = (f" (generated in {generated['total_s']:.0f} s)" if generated else " (reused)")
    scale = f"{args.customers:,}"
    return "\n".join([
        "## LMS import (bench/lms_import.py)",
        "",
        f"Command: `scripts/with-postgres.sh .venv/bin/python bench/lms_import.py "
        f"--customers {args.customers} --change-percent {args.change_percent}` "
        f"(in `make bench`). LMS database `{lms['name']}`{made} by `bench/lms_generate.py`: "
        f"{lms['customers']:,} customers, {lms['nodes']:,} nodes, "
        f"{lms['assignments']:,} assignments, {lms['documents']:,} documents, "
        f"{lms['invoicecontents']:,} invoice lines, {lms['cash']:,} cash rows. Abonent "
        f"database `{base.BENCH_DB}` made afresh; run as the application's database role "
        f"(row-level security on), one transaction per run as the Celery job runs it.",
        "",
        f"Stages in the run: {', '.join(stages) or 'none'}; reconciliation: "
        f"{'yes' if first['reconciliation'] else 'not there yet (lmsimport/reconcile.py)'}.",
        "",
        "| seconds | first import | re-run after changes |",
        "|---|---:|---:|",
        *rows,
        f"| rest (reconciliation, commit, the run's report) | {first['rest_s']} | "
        f"{second['rest_s']} |",
        f"| **total** | **{first['total_s']}** | **{second['total_s']}** |",
        "",
        f"Targets (issue 17) at 100,000 customers: import < {TARGET_IMPORT_S // 60} min — "
        f"{first['total_s']} s at {scale} customers "
        f"({verdict(first['total_s'], TARGET_IMPORT_S)}); "
        f"re-run with {args.change_percent} % changed < {TARGET_REIMPORT_S // 60} min — "
        f"{second['total_s']} s ({verdict(second['total_s'], TARGET_REIMPORT_S)}).",
        "",
        f"The changes before the re-run: {change['customers_renamed']} customers renamed, "
        f"{change['phones_changed']} phones changed, {change['invoices_added']} invoices "
        f"of a new month, {change['payments_added']} payments, {change['nodes_moved']} "
        f"nodes moved to another network.",
        "",
        f"Machine: {info['cpu']} ({info['cores']} cores, {info['ram_gb']} GB), PostgreSQL "
        f"{info['postgresql']}, Python {info['python']}, load {info['load']} at the start, "
        f"{info['date']} (other work on the machine skews the figures upwards).",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--change-percent", type=float, default=1.0)
    parser.add_argument("--profile", action="store_true",
                        help="print cProfile's view of each run (and keep it in "
                             "/tmp/lms_import_{first,rerun}.prof)")
    parser.add_argument("--stages", default=None,
                        help="only these stages, comma-separated (while developing: "
                             "nothing is written)")
    parser.add_argument("--reuse-db", action="store_true",
                        help="keep the Abonent bench database, import into a new tenant "
                             "(while developing: nothing is written)")
    parser.add_argument("--no-write", action="store_true",
                        help="print the figures only (results.json and RESULTS.md untouched; "
                             "also for another --customers than 100,000)")
    args = parser.parse_args()
    base.LOAD_AT_START = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    warnings.filterwarnings("ignore", message="No directory at")
    url = base.bench_database_url()

    name = lms_generate.database_name(args.customers)
    generated = None
    if not lms_generate.complete(name):
        print(f"generating {name} …", flush=True)
        generated = lms_generate.generate(name, args.customers, seed=17)
        print(generated, flush=True)
    lms = {"name": name, **lms_generate.counts(name)}
    dsn = lms_generate.server_dsn(name)

    if not args.reuse_db:
        fresh_database(url)
    started = time.perf_counter()
    base.setup_django(url)
    print(f"migrated {base.BENCH_DB} in {time.perf_counter() - started:.0f} s", flush=True)
    from core.models import Tenant

    slug = TENANT_SLUG
    if args.reuse_db:
        slug = f"{TENANT_SLUG}-{Tenant.objects.count() + 1}"
    tenant = Tenant.objects.create(slug=slug, name="Bench LMS ISP")
    base.as_app_role()
    only = set(args.stages.split(",")) if args.stages else None

    first = one_run(tenant, dsn, profile=args.profile and "/tmp/lms_import_first.prof",
                    only=only)
    print(json.dumps(first, indent=1), flush=True)
    change = lms_generate.change(name, args.change_percent)
    print(change, flush=True)
    second = one_run(tenant, dsn, profile=args.profile and "/tmp/lms_import_rerun.prof",
                     only=only)
    print(json.dumps(second, indent=1), flush=True)

    markdown = render_markdown(args, first, second, change, lms, base.machine(), generated)
    print(f"{SECTION_START}\n{markdown}\n{SECTION_END}")
    if args.no_write or args.customers != 100_000 or only or args.reuse_db:
        return
    figures = {"lms_import_customers": args.customers,
               "lms_import_100k_s": first["total_s"],
               "lms_reimport_100k_s": second["total_s"],
               "lms_import_stages_s": first["stages_s"],
               "lms_reimport_stages_s": second["stages_s"]}
    base.write_results(figures, markdown, start=SECTION_START, end=SECTION_END)


if __name__ == "__main__":
    main()
