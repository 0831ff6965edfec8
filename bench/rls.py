"""Row-level security's cost (issue 12): the same measurements with the policies on and off.

``make bench`` runs each benchmark once per setting (``DB_RLS``); on a machine that is
busy with other work the figures of two runs minutes apart differ by more than the cost.
This script interleaves: in one process, as the application's role, it times the
customer search (selector and page), the card and the FreeRADIUS authorize statement
with the policies applied, then removed, then applied … ``--rounds`` times, and reports
the medians of each setting side by side. The connection keeps ``abonent.tenant`` in both
settings; what a change of tenant costs (one ``set_config``) is timed on its own.

    scripts/with-postgres.sh .venv/bin/python bench/rls.py [--rounds 4] [--samples 40]
"""

import argparse
import os
import random
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import run as base  # noqa: E402


def policies(on: bool) -> None:
    """Apply or remove the policies as the superuser, then back to the app role."""
    from django.db import connection

    from core import rls

    options = connection.settings_dict["OPTIONS"]
    role = options.pop("assume_role")
    connection.close()
    if on:
        rls.policies_apply()
    else:
        rls.policies_remove()
    options["assume_role"] = role
    connection.close()


def authorize_ms(tenant, logins: list[str], samples: int) -> list[float]:
    from core.tenancy import tenant_context
    from radius.selectors import login_authorize_get

    times = []
    with tenant_context(tenant):
        for name in logins[:samples]:
            started = time.perf_counter()
            login_authorize_get(username=name, nas_ip="10.0.0.1")
            times.append((time.perf_counter() - started) * 1000)
    return times


def scope_switch_ms(tenant, other, samples: int) -> float:
    """One query per tenant switch: the set_config's share, less a query's own time."""
    from django.db import connection

    from core.tenancy import tenant_context

    def loop(switch: bool) -> float:
        started = time.perf_counter()
        for n in range(samples):
            with tenant_context(other if switch and n % 2 else tenant), \
                    connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        return (time.perf_counter() - started) * 1000 / samples

    loop(True)
    return round(loop(True) - loop(False), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    warnings.filterwarnings("ignore", message="No directory at")
    os.environ["DB_RLS"] = "1"
    url = base.bench_database_url()
    base.ensure_database(url)
    base.setup_django(url)
    from django.test import Client

    from core.models import Tenant
    from core.tenancy import all_tenants_context
    from radius.models import Login

    ctx = base.seed(args.customers, 1_000)
    other = Tenant.objects.get(slug=base.OTHER_SLUG)
    with all_tenants_context():
        logins = list(Login.all_tenants.filter(tenant=ctx["tenant"]).values_list(
            "login", flat=True)[:2000])
    base.as_app_role()
    client = Client()
    client.force_login(ctx["staff"])
    terms = base.search_terms(ctx["tenant"], args.samples, random.Random(1))
    list_url = base.url_or_none("customers:list")
    random.Random(2).shuffle(logins)
    figures: dict[str, dict[str, list[float]]] = {}
    for n in range(args.rounds):
        for on in (True, False):
            policies(on)
            setting = "on" if on else "off"
            search = base.measure_search(ctx, terms, client, list_url)
            card = base.measure_card(ctx, client, args.samples)
            got = {f"search {kind} ({run})": search[kind][run]["p50"]
                   for kind in search for run in ("selector", "page") if run in search[kind]}
            got["card (page)"] = card["p50"]
            if logins:
                got["RADIUS authorize statement"] = round(statistics.median(
                    authorize_ms(ctx["tenant"], logins, args.samples * 5)), 3)
            for name, value in got.items():
                figures.setdefault(name, {}).setdefault(setting, []).append(value)
            print(f"round {n + 1} {setting}: {got}", flush=True)
    policies(True)
    switch = scope_switch_ms(ctx["tenant"], other, 2000)
    print("\n| measurement (p50 ms, median of the rounds) | RLS on | RLS off | cost |")
    print("|---|---:|---:|---:|")
    for name, by in figures.items():
        on, off = statistics.median(by["on"]), statistics.median(by["off"])
        print(f"| {name} | {on:.2f} | {off:.2f} | {(on - off) / off * 100:+.0f} % |")
    print(f"\nA change of tenant on a connection (one set_config): {switch} ms")
    print(f"load average at the start: {load}; {base.machine()}")


if __name__ == "__main__":
    main()
