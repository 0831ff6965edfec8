"""Documents benchmark: PDF rendering time and a batch of 1,000 contracts (``make bench``).

Uses the database of ``bench/run.py`` (``abonent_bench``, seeded by it when missing) and its
helpers. Documents, batches and their files from an earlier run are removed first; files
go to a temporary MEDIA_ROOT that is deleted afterwards.

1. A realistic one-page contract is issued ``--renders`` times through
   ``services.document_issue`` (template choice, number, render, store, action log), and
   the same HTML is rendered as many times by ``rendering.render_pdf`` alone.
2. 1,000 customers are put in a group and ``services.document_batch_start`` queues one
   task per customer in Redis (database 15, flushed before and after); two real Celery
   worker processes (``-c 1`` each) issue them and the last one merges the PDF. The wall
   time runs from the start call to the batch being done. Without Redis this part is
   skipped and said so.

    scripts/with-postgres.sh .venv/bin/python bench/documents.py [--renders N] [--batch N]
"""

import argparse
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on sys.path, and its name would shadow
# the ``documents`` app: the project root goes first and the bench folder is dropped.
sys.path[:] = [str(ROOT)] + [p for p in sys.path
                             if Path(p or ".").resolve() != ROOT / "bench"]

from bench import run as base  # noqa: E402

SECTION_START = "<!-- bench:documents:start -->"
SECTION_END = "<!-- bench:documents:end -->"
REDIS_URL = "redis://127.0.0.1:6379/15"
TEMPLATE_NAME = "Umowa abonencka (bench)"
GROUP_NAME = "Bench: batch of contracts"
TARGET_P50_MS = 300

# A contract as a small ISP prints it: parties, the service, the fee, eight clauses and
# the signatures, on one A4 page.
CONTRACT_BODY = """<style>
h1 { font-size: 14pt; text-align: center; margin: 0 0 2mm; }
.sub { text-align: center; margin: 0 0 4mm; font-size: 9.5pt; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 3mm; font-size: 9.5pt; }
td, th { border: 0.4pt solid #555; padding: 1mm 2mm; text-align: left; }
p, li { margin: 0 0 1.2mm; font-size: 9.5pt; line-height: 1.25; }
ol { padding-left: 5mm; margin: 0; }
.signatures { display: flex; justify-content: space-between; margin-top: 12mm; }
.signatures div { width: 45%; border-top: 0.4pt dotted #000; text-align: center;
                  font-size: 8.5pt; padding-top: 1mm; }
</style>
<h1>Umowa o świadczenie usług telekomunikacyjnych nr {{ document.number }}</h1>
<p class="sub">zawarta w dniu {{ document.date }}</p>
<table>
  <tr><th>Dostawca</th><td>{{ tenant.name }}, NIP {{ tenant.nip }}</td></tr>
  <tr><th>Abonent</th><td>{{ customer.name }} (nr klienta {{ customer.number }})
    {% if customer.pesel %}, PESEL {{ customer.pesel }}{% endif %}
    {% if customer.nip %}, NIP {{ customer.nip }}{% endif %}
    {% if customer.id_document %}, dokument {{ customer.id_document }}{% endif %}</td></tr>
  <tr><th>Adres zamieszkania</th><td>{{ addresses.residence.text }}</td></tr>
  <tr><th>Adres instalacji</th><td>{% for a in addresses.installation %}{{ a.text }}
    {% empty %}{{ addresses.residence.text }}{% endfor %}</td></tr>
  <tr><th>Kontakt</th><td>{{ contacts.phones|join:", " }}
    {% if contacts.emails %}; {{ contacts.emails|join:", " }}{% endif %}</td></tr>
  <tr><th>Rachunek do wpłat</th><td>{{ customer.account }}</td></tr>
</table>
<table>
  <tr><th>Usługa</th><th>Parametry</th><th>Opłata miesięczna</th><th>Aktywacja</th></tr>
  <tr><td>Internet światłowodowy</td><td>600/100 Mb/s, publiczny IPv4</td>
      <td>79,00 zł brutto</td><td>1,00 zł brutto</td></tr>
  <tr><td>Router Wi-Fi (dzierżawa)</td><td>Wi-Fi 6</td><td>5,00 zł brutto</td>
      <td>—</td></tr>
</table>
<ol>
  <li>Dostawca zobowiązuje się świadczyć Abonentowi usługi opisane powyżej, a Abonent
      zobowiązuje się terminowo uiszczać opłaty, zgodnie z Regulaminem i Cennikiem.</li>
  <li>Umowa zostaje zawarta na czas określony 24 miesięcy od dnia aktywacji usługi;
      po jego upływie przechodzi w umowę na czas nieokreślony.</li>
  <li>Opłaty abonamentowe płatne są z góry do 15. dnia każdego miesiąca na indywidualny
      rachunek Abonenta wskazany w umowie.</li>
  <li>W razie opóźnienia w płatności Dostawca może, po uprzednim wezwaniu, ograniczyć
      świadczenie usług, a po 30 dniach zawiesić ich świadczenie.</li>
  <li>Sprzęt udostępniony w dzierżawę pozostaje własnością Dostawcy i podlega zwrotowi
      w terminie 14 dni od rozwiązania umowy.</li>
  <li>Reklamacje można składać pisemnie, telefonicznie lub elektronicznie w terminie
      12 miesięcy; Dostawca odpowiada w terminie 30 dni.</li>
  <li>Abonent będący konsumentem może odstąpić od umowy zawartej poza lokalem
      przedsiębiorstwa w terminie 14 dni bez podania przyczyny.</li>
  <li>Integralną część umowy stanowią: Regulamin świadczenia usług, Cennik oraz
      informacja o przetwarzaniu danych osobowych, które Abonent otrzymał.</li>
</ol>
<div class="signatures"><div>Dostawca</div><div>Abonent</div></div>
"""


# --------------------------------------------------------------------------- setup

def redis_reachable(url: str) -> str | None:
    """None when Redis answers, else why not."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    return None


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def bench_context() -> dict:
    """The tenant and staff of bench/run.py, seeding the database only when it is empty."""
    from core.models import Tenant, User
    from customers.models import Customer

    main = Tenant.objects.filter(slug=base.MAIN_SLUG).first()
    if main is None or Customer.all_tenants.filter(tenant=main).count() < 2_000:
        return base.seed(100_000, 3_000)
    return {"tenant": main, "staff": User.objects.get(username="bench"), "seeding_s": None}


def clear_documents() -> None:
    """Documents, files, batches of earlier runs: each run starts from the same state."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE documents_documentdownload, documents_documentscan, "
                       "documents_documentfile, documents_document, documents_documentbatch")


def contract_template(staff):
    from documents import services
    from documents.models import DocumentTemplate

    template = DocumentTemplate.objects.filter(document_type="contract",
                                               name=TEMPLATE_NAME).first()
    if template is None:
        return services.document_template_create(actor=staff, document_type="contract",
                                                  name=TEMPLATE_NAME, body=CONTRACT_BODY,
                                                  is_default=True)
    return services.document_template_update(actor=staff, template=template,
                                             body=CONTRACT_BODY, is_default=True)


def batch_group(staff, size: int):
    """A group of the first ``size`` customers (by number), built once and reused."""
    from customers import services
    from customers.models import Customer, CustomerGroup, GroupMembership

    group = CustomerGroup.objects.filter(name=GROUP_NAME).first() or \
        services.group_create(actor=staff, name=GROUP_NAME)
    members = GroupMembership.objects.filter(group=group).count()
    if members != size:
        GroupMembership.objects.filter(group=group).delete()
        for customer in Customer.objects.order_by("number")[:size]:
            services.customer_group_add(actor=staff, customer=customer, group=group)
    return group


# --------------------------------------------------------------------------- measuring

def measure_renders(staff, template, renders: int) -> dict:
    """``document_issue`` end to end, then ``render_pdf`` alone on the same HTML."""
    import io

    from django.utils import timezone, translation
    from pypdf import PdfReader

    from core.tenancy import current_tenant
    from customers.models import Customer
    from documents import rendering, services

    customers = list(Customer.objects.order_by("-number")
                     .filter(number__lte=50_000)[:renders + 10])
    issue_s = []
    for i, customer in enumerate(customers):
        started = time.perf_counter()
        document = services.document_issue(actor=staff, customer=customer,
                                           document_type="contract", template=template)
        elapsed = time.perf_counter() - started
        if i >= 10:  # the first ones warm WeasyPrint's fonts and caches
            issue_s.append(elapsed)
    stored = document.files.get()
    with stored.file.open("rb") as handle:
        pages = len(PdfReader(io.BytesIO(handle.read())).pages)
    if pages != 1:
        raise SystemExit(f"the bench contract has {pages} pages: make it fit one page")

    customer = customers[0]
    with translation.override(services.DOCUMENT_LANGUAGE):
        context = rendering.document_context(
            tenant=current_tenant(), customer=customer, addresses=customer.addresses.all(),
            phones=[p.number for p in customer.phones.all()],
            emails=[e.address for e in customer.emails.all()], number="UM/2026/123",
            document_type_label="umowa", issued_on=timezone.localdate())
        html = rendering.render_html(template.current_version.body, context)
    render_s = []
    for i in range(renders + 10):
        started = time.perf_counter()
        rendering.render_pdf(html_body=html, css="", number="UM/2026/123",
                             code="ABN000000123")
        elapsed = time.perf_counter() - started
        if i >= 10:
            render_s.append(elapsed)
    return {"issue": base.summary(issue_s), "render_pdf": base.summary(render_s),
            "pages": pages}


def start_worker(name: str, env: dict, log_dir: Path) -> subprocess.Popen:
    log = open(log_dir / f"{name}.log", "wb")  # noqa: SIM115 - closed by stop_workers
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/celery"), "-A", "config", "worker", "-c", "1",
         "-n", f"{name}@%h", "--loglevel=WARNING", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)  # its own process group: the prefork child goes with it
    process.log = log
    return process


def stop_workers(workers) -> None:
    for process in workers:
        if process.poll() is None:
            process.terminate()
    for process in workers:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)  # a warm shutdown first
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the group of a worker started here
        process.wait()
        process.log.close()


def wait_for_workers(names, workers, timeout_s: float = 60) -> None:
    from config.celery import app

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in workers):
            raise RuntimeError("a Celery worker exited while starting")
        replies = app.control.ping(timeout=1.0)
        answered = {name.split("@")[0] for reply in replies for name in reply}
        if set(names) <= answered:
            return
    raise RuntimeError(f"the Celery workers did not answer within {timeout_s:.0f} s")


def measure_batch(staff, template, group, media_root: Path, timeout_s: float) -> dict:
    import io

    from pypdf import PdfReader

    from documents import services
    from documents.models import DocumentBatch

    flush_redis(REDIS_URL)
    env = {**os.environ, "REDIS_URL": REDIS_URL, "MEDIA_ROOT": str(media_root),
           "DATABASE_URL": os.environ["DATABASE_URL"], "DEBUG": "0", "LOG_LEVEL": "WARNING",
           "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "config.settings"}
    log_dir = Path(tempfile.mkdtemp(prefix="abonent-bench-workers-"))
    workers = []
    try:
        names = ("w1", "w2")
        workers = [start_worker(name, env, log_dir) for name in names]
        wait_for_workers(names, workers)
        started = time.perf_counter()
        batch = services.document_batch_start(actor=staff, group=group,
                                              document_type="contract", template=template)
        queued_s = time.perf_counter() - started
        deadline = started + timeout_s
        while True:
            batch.refresh_from_db()
            if batch.status != DocumentBatch.Status.RUNNING:
                break
            if time.perf_counter() > deadline:
                raise RuntimeError(f"batch not done within {timeout_s:.0f} s "
                                   f"({batch.done}/{batch.total})")
            if all(p.poll() is not None for p in workers):
                raise RuntimeError("both Celery workers exited before the batch was done")
            time.sleep(0.2)
        wall_s = time.perf_counter() - started
    except Exception:
        for log in sorted(log_dir.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}")
        raise
    finally:
        stop_workers(workers)
        flush_redis(REDIS_URL)
        shutil.rmtree(log_dir, ignore_errors=True)
    with batch.merged_file.open("rb") as handle:
        pages = len(PdfReader(io.BytesIO(handle.read())).pages)
    return {"wall_s": round(wall_s, 1), "queued_s": round(queued_s, 2),
            "total": batch.total, "done": batch.done, "failed": batch.failed,
            "status": batch.status, "merged_pages": pages,
            "per_document_ms": round(wall_s * 1000 / batch.total, 1)}


# --------------------------------------------------------------------------- reporting

def render_markdown(args, renders, batch, batch_skipped, info) -> str:
    issue, alone = renders["issue"], renders["render_pdf"]
    met = "met" if issue["p50"] < TARGET_P50_MS else "MISSED"
    lines = [
        "## Documents: PDF rendering and a batch of contracts (bench/documents.py)",
        "",
        "Command: `make bench` (after bench/run.py: `scripts/with-postgres.sh "
        f".venv/bin/python bench/documents.py --renders {args.renders} --batch "
        f"{args.batch}`), database `{base.BENCH_DB}`. A realistic one-page contract "
        "(parties, service and fee tables, eight clauses, signatures; WeasyPrint, Code 128 "
        "in the footer); the first 10 renders of each kind are warm-up and not counted.",
        "",
        "| measurement | p50 ms | p95 ms | max ms | samples |",
        "|---|---:|---:|---:|---:|",
        f"| `services.document_issue` end to end (template, number, render, store, log) | "
        f"{issue['p50']} | {issue['p95']} | {issue['max']} | {issue['samples']} |",
        f"| `rendering.render_pdf` alone (same HTML) | {alone['p50']} | {alone['p95']} | "
        f"{alone['max']} | {alone['samples']} |",
        "",
        f"Target: one-page PDF p50 < {TARGET_P50_MS} ms — {issue['p50']} ms end to end "
        f"({met}); `pdf_render_p50_ms`/`pdf_render_p95_ms` in results.json are the "
        "end-to-end figures.",
        "",
    ]
    if batch_skipped:
        lines.append(f"Batch of {args.batch} contracts: **not measured** — {batch_skipped}.")
    else:
        lines += [
            f"Batch of {batch['total']} contracts for a customer group "
            "(`services.document_batch_start`), two Celery worker processes "
            "(`celery -A config worker -c 1`, w1 and w2) on Redis: "
            f"**{batch['wall_s']} s** from the start call to the merged PDF "
            f"({batch['per_document_ms']} ms per document; queueing the tasks "
            f"{batch['queued_s']} s; {batch['done']} done, {batch['failed']} failed, merged "
            f"PDF of {batch['merged_pages']} pages).",
        ]
    lines += [
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['ram_gb']} GB RAM; "
        f"PostgreSQL {info['postgresql']}; Python {info['python']}; {info['date']}; "
        f"load average {info['load']} at the start. The workers, PostgreSQL and the bench "
        "share these cores.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renders", type=int, default=120,
                        help="timed renders of each kind (at least 100 for the p95)")
    parser.add_argument("--batch", type=int, default=1000, help="customers in the batch")
    parser.add_argument("--timeout", type=float, default=1200,
                        help="seconds to wait for the batch")
    args = parser.parse_args()
    base.LOAD_AT_START = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    warnings.filterwarnings("ignore", message="No directory at")

    url = base.bench_database_url()
    base.ensure_database(url)
    # Settings are read once: Redis must be chosen before Django starts, and only when it
    # answers (it then also backs the cache).
    batch_skipped = None
    if (why := redis_reachable(REDIS_URL)) is not None:
        batch_skipped = f"Redis at {REDIS_URL} is not reachable ({why})"
        print(batch_skipped)
    else:
        os.environ["REDIS_URL"] = REDIS_URL
    media_root = Path(tempfile.mkdtemp(prefix="abonent-bench-media-"))
    os.environ["MEDIA_ROOT"] = str(media_root)
    try:
        base.setup_django(url)
        # WeasyPrint logs every step of every render at INFO: 1,000s of lines here.
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
        from core.tenancy import tenant_context

        ctx = bench_context()
        staff = ctx["staff"]
        clear_documents()
        with tenant_context(ctx["tenant"]):
            template = contract_template(staff)
            print(f"timing {args.renders} renders…")
            renders = measure_renders(staff, template, args.renders)
            batch = None
            if batch_skipped is None:
                group = batch_group(staff, args.batch)
                print(f"batch of {args.batch} contracts with 2 Celery workers…")
                batch = measure_batch(staff, template, group, media_root, args.timeout)
        figures = {
            "pdf_render_p50_ms": renders["issue"]["p50"],
            "pdf_render_p95_ms": renders["issue"]["p95"],
            "pdf_render_samples": renders["issue"]["samples"],
            "pdf_render_pdf_only_p50_ms": renders["render_pdf"]["p50"],
            "pdf_render_pdf_only_p95_ms": renders["render_pdf"]["p95"],
        }
        batch_key = "pdf_batch_1000_s" if args.batch == 1000 else f"pdf_batch_{args.batch}_s"
        # Not measured is null, never an earlier run's figure left standing.
        figures[batch_key] = batch["wall_s"] if batch is not None else None
        figures["pdf_batch_workers"] = 2
        base.write_results(figures, render_markdown(args, renders, batch, batch_skipped,
                                                    base.machine()),
                           start=SECTION_START, end=SECTION_END)
        print(figures)
    finally:
        shutil.rmtree(media_root, ignore_errors=True)


if __name__ == "__main__":
    main()
