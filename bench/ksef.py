"""KSeF send benchmark: invoices per second end to end through the local KSeF peer.

Runs against its own PostgreSQL database (``abonent_ksef_bench``, or ``BENCH_KSEF_DB``;
created and migrated when missing). The first run issues ``--invoices`` + ``--online``
invoices (B2C, through ``finance.services.invoice_issue``) in one ISP; later runs reuse
them and only forget their submissions. The local peer (``python -m ksef.peer``) runs in its own
process: it really decrypts the AES-256 token and invoices, validates each FA(3) against
the schema and every request and answer against the OpenAPI, and issues UPOs.

Timed, from "queued" to "every invoice accepted with its KSeF number and a UPO validated
against upo-v4-3.xsd", through ``ksef.pipeline.submissions_send`` (claim, authenticate,
session, send, close, poll, UPO):

* ``ksef_send_per_s``: the pipeline as it runs — a run above ``BATCH_THRESHOLD`` goes in a
  batch session (zip parts, encrypted);
* ``ksef_online_per_s``: ``--online`` invoices in online sessions, one request per invoice,
  with the API's ``invoiceSend`` limit lifted (the peer advertises the Ministry's 10/s; the
  figure is what Abonent itself can do, so the limits, not Abonent, bound a real send).

    scripts/with-postgres.sh .venv/bin/python bench/ksef.py [--invoices 2000] [--online 300]
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path
                             if Path(p or ".").resolve() != ROOT / "bench"]

from bench import run as base  # noqa: E402

base.BENCH_DB = os.environ.get("BENCH_KSEF_DB", "abonent_ksef_bench")
SECTION_START = "<!-- bench:ksef:start -->"
SECTION_END = "<!-- bench:ksef:end -->"
TENANT_SLUG = "bench-ksef"
STAFF_USERNAME = "bench-ksef"
TARGET_PER_S = 100
NIP = "5260001246"
TOKEN = "20261204-EC-BENCH00000-BENCH00000-00|nip-5260001246|bench"
SELLER = {"finance.seller_name": "Bench ISP Sp. z o.o.", "finance.seller_nip": NIP,
          "finance.seller_street": "ul. Testowa 1", "finance.seller_postal_code": "00-001",
          "finance.seller_city": "Warszawa"}


def peer_start():
    process = subprocess.Popen([sys.executable, "-m", "ksef.peer", "--host", "127.0.0.1",
                                "--port", "0"], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
    line = process.stdout.readline().decode().strip()
    if not line.startswith("listening on "):
        process.kill()
        sys.exit(f"the KSeF peer did not start: {line!r}")
    root = line.removeprefix("listening on ")
    import requests

    for _ in range(100):
        try:
            requests.get(root + "/_peer/health", timeout=2).raise_for_status()
            break
        except requests.RequestException:
            time.sleep(0.1)
    return process, root


def seed(count: int):
    """The bench ISP, its admin, one customer with an address and ``count`` invoices."""
    from decimal import Decimal

    from core.models import Membership, Tenant, User
    from core.roles import Role
    from core.services import tenant_setting_set
    from core.tenancy import tenant_context
    from customers import services as customer_services
    from finance import services as finance_services
    from finance.models import FinanceDocument, Kind

    tenant, _ = Tenant.objects.get_or_create(slug=TENANT_SLUG,
                                             defaults={"name": "Bench KSeF ISP"})
    user = User.objects.filter(username=STAFF_USERNAME).first() or \
        User.objects.create_user(username=STAFF_USERNAME, password=None)
    Membership.objects.get_or_create(user=user, tenant=tenant, defaults={"role": Role.ADMIN})
    with tenant_context(tenant):
        from ksef.models import KsefProfile

        KsefProfile.objects.update(enabled=False)  # issuing here queues nothing
        for key, value in SELLER.items():
            tenant_setting_set(actor=user, key=key, raw_value=value)
        customer = customer_services.customer_create(
            actor=user, first_name="Jan", last_name="Benchowski", status="connected") \
            if not FinanceDocument.objects.exists() else \
            FinanceDocument.objects.first().customer
        if not customer.addresses.exists():
            customer_services.address_add(actor=user, customer=customer, kind="residence",
                                          street="Długa", building_no="1", apartment_no="",
                                          postal_code="00-001", city="Warszawa")
        have = FinanceDocument.objects.filter(kind=Kind.INVOICE).count()
        started = time.perf_counter()
        for i in range(have, count):
            finance_services.invoice_issue(actor=user, customer=customer, lines=[
                {"name": f"Internet 600 Mb/s ({i})", "quantity": Decimal("1"),
                 "net_unit_price": Decimal("81.30"), "vat_rate": "23"}])
        if count > have:
            print(f"issued {count - have} invoices in {time.perf_counter() - started:.1f} s")
    return tenant, user


def measure(tenant, user, peer_url: str, count: int, *, skip: int = 0,
            online: bool) -> dict:
    """Queue ``count`` invoices (after the first ``skip``: KSeF refuses an invoice twice),
    run send rounds until every one is accepted or rejected; seconds."""
    from core.tenancy import tenant_context
    from finance.models import FinanceDocument, Kind
    from ksef import pipeline
    from ksef.models import KsefSubmission
    from ksef.upo import upo_validate

    with tenant_context(tenant):
        KsefSubmission.objects.all().delete()
        pipeline.profile_save(actor=user, nip=NIP, environment="custom", custom_url=peer_url,
                              token=TOKEN, enabled=True)
        ids = list(FinanceDocument.objects.filter(kind=Kind.INVOICE)
                   .order_by("pk").values_list("pk", flat=True)[skip:skip + count])
        pipeline.send_later = lambda *a, **kw: None  # the bench runs the rounds itself
        pipeline.POLL_INTERVAL_S = 0.05
        if online:
            pipeline.BATCH_THRESHOLD = count + 1
            pipeline._per_second = lambda client: None
        started = time.perf_counter()
        pipeline.submissions_queue(document_ids=ids, trigger="billing")
        rounds = 0
        done = (KsefSubmission.State.ACCEPTED, KsefSubmission.State.REJECTED)
        while KsefSubmission.objects.exclude(state__in=done).exists():
            rounds += 1
            result = pipeline.submissions_send()
            if rounds > 50 or result.get("error"):
                raise SystemExit(f"the send did not finish: {result}")
        seconds = time.perf_counter() - started
        upos = KsefSubmission.objects.values_list("upo", flat=True)
        bad = sum(1 for upo in upos if upo_validate(upo.encode()))
        rejected = KsefSubmission.objects.filter(state=KsefSubmission.State.REJECTED).count()
    if rejected:
        raise SystemExit(f"{rejected} invoices were rejected")
    return {"invoices": len(ids), "seconds": round(seconds, 2), "rounds": rounds,
            "per_s": round(len(ids) / seconds, 1), "upo_invalid": bad}


def render(args, batch: dict, online: dict, info: dict) -> str:
    verdict = "meets" if batch["per_s"] >= TARGET_PER_S else "misses"
    return "\n".join([
        "## KSeF sending (bench/ksef.py)",
        "",
        f"End to end through the local KSeF peer (AES-256 encryption, FA(3) and OpenAPI "
        f"validation on the peer, UPO per invoice validated): queued → accepted with the "
        f"KSeF number and UPO. Target ≥ {TARGET_PER_S}/s: **{verdict}**.",
        "",
        "| run | invoices | seconds | invoices/s | rounds | invalid UPO |",
        "|---|---:|---:|---:|---:|---:|",
        f"| pipeline (batch session) | {batch['invoices']} | {batch['seconds']} | "
        f"**{batch['per_s']}** | {batch['rounds']} | {batch['upo_invalid']} |",
        f"| online sessions, limit lifted | {online['invoices']} | {online['seconds']} | "
        f"{online['per_s']} | {online['rounds']} | {online['upo_invalid']} |",
        "",
        f"Machine: {info['cpu']} ({info['cores']} cores), PostgreSQL {info['postgresql']}, "
        f"Python {info['python']}, load {info['load']}, {info['date']}.",
        "",
        "Command: `scripts/with-postgres.sh .venv/bin/python bench/ksef.py "
        f"--invoices {args.invoices} --online {args.online}`",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=2000)
    parser.add_argument("--online", type=int, default=300)
    parser.add_argument("--no-write", action="store_true",
                        help="print the figures only (results.json and RESULTS.md untouched)")
    args = parser.parse_args()
    if args.invoices <= 0 or args.online <= 0:
        parser.error("--invoices and --online must be above zero")
    base.LOAD_AT_START = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    url = base.bench_database_url()
    base.ensure_database(url)
    base.setup_django(url)
    tenant, user = seed(args.invoices + args.online)
    process, root = peer_start()
    try:
        import requests

        requests.post(root + "/_peer/tokens", json={"nip": NIP, "token": TOKEN},
                      timeout=10).raise_for_status()
        batch = measure(tenant, user, root + "/v2", args.invoices, online=False)
        online = measure(tenant, user, root + "/v2", args.online, skip=args.invoices,
                         online=True)
        violations = requests.get(root + "/_peer/violations", timeout=10).json()
    finally:
        process.terminate()
        process.wait(timeout=10)
    figures = {"ksef_send_per_s": batch["per_s"], "ksef_online_per_s": online["per_s"]}
    print(json.dumps({"figures": figures, "batch": batch, "online": online,
                      "openapi_violations": len(violations)}, indent=1))
    if violations:
        sys.exit(f"the peer saw OpenAPI violations: {violations[:5]}")
    if not args.no_write:
        base.write_results(figures, render(args, batch, online, base.machine()),
                           start=SECTION_START, end=SECTION_END)


if __name__ == "__main__":
    main()
